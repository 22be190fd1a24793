#!/usr/bin/env bash
# fresh-check.sh - prove that a brand-new Debian bookworm machine needs nothing
# but scripts/install-deps.sh: build a bookworm chroot, put a clean clone of
# HEAD in it and run, inside, what scripts/test.sh runs there without peers.
#
#   sudo scripts/fresh-check.sh [--rebuild-base] [--keep]
#
# 1. debootstraps bookworm (--variant=minbase: only the required packages,
#    less than any real install has) once into a cached folder,
#    $HIVESNAP_FRESH_CACHE/bookworm-base (default ~/.cache/hivesnap-fresh),
#    which stays pristine: every run copies it to run/ and starts from that
#    copy (--rebuild-base debootstraps again).  The Debian mirror and suites
#    are the ones this machine's apt uses (/etc/apt/sources.list*).
# 2. git-clones this repository's HEAD (not the work tree: uncommitted
#    changes are not checked) into the copy's /src/hivesnap.
# 3. runs inside the chroot, with a clean environment:
#      install-deps  scripts/install-deps.sh
#      check         HIVESNAP_NO_PEERS=1 scripts/install-deps.sh --check
#      build+unit    HIVESNAP_NO_PEERS=1 scripts/test.sh -L unit
#                    (the -Werror, ASan+UBSan build, then the unit tests)
#      cli           HIVESNAP_NO_PEERS=1 scripts/test.sh -L cli
#      fuzz          HIVESNAP_NO_PEERS=1 FUZZ_SECONDS=N scripts/test.sh -L fuzz
#                    (fuzz/build, then every target for N s: $FRESH_FUZZ_SECONDS,
#                    default 5)
#    and says what it skipped and why: the peers need Go, which the README
#    expects on the machine and a fresh one lacks, and so the integration
#    tests and the demo, which need the peers, are skipped too.
#
# /proc, /sys, /dev and the apt download cache ($cache/apt-archives, so a
# second run does not download every package again) are mounted into the
# copy and unmounted on exit, whatever happened; processes left in the
# chroot are killed first.  A policy-rc.d in the copy stops package scripts
# from starting redis-server and prometheus inside it.  Step logs are in
# $cache/logs/.  The copy is deleted afterwards unless --keep.
#
# Runs as root (debootstrap, chroot, mount); takes 15-30 minutes, most of it
# apt downloads and the sanitized build.  Not part of CI.  The last line is
# the summary; the exit code is 0 when every step passed, else 1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${HIVESNAP_FRESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hivesnap-fresh}"
fuzz_secs="${FRESH_FUZZ_SECONDS:-5}"
suite=bookworm
rebuild=0 keep=0
for a in "$@"; do
	case "$a" in
	--rebuild-base) rebuild=1 ;;
	--keep) keep=1 ;;
	-h | --help) sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "fresh-check: unknown option '$a' (usage: fresh-check.sh [--rebuild-base] [--keep])" >&2; exit 64 ;;
	esac
done
[[ $fuzz_secs =~ ^[1-9][0-9]*$ ]] || { echo "fresh-check: FRESH_FUZZ_SECONDS must be a number > 0" >&2; exit 64; }
[[ $(id -u) -eq 0 ]] || { echo "fresh-check: needs root (debootstrap, chroot, mount): sudo $0" >&2; exit 1; }
PATH="$PATH:/usr/sbin:/sbin"
for t in debootstrap chroot mount umount mountpoint git flock; do
	command -v "$t" >/dev/null || { echo "fresh-check: $t is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

base="$cache/$suite-base"
root="$cache/run"
logs="$cache/logs"
archives="$cache/apt-archives"
mkdir -p "$cache" "$archives/partial"
exec 8>"$cache/.lock"
flock -n 8 || { echo "fresh-check: another fresh-check holds $cache/.lock" >&2; exit 75; }

# debian_sources: "URI SUITE COMPONENTS..." for every enabled deb entry of
# this machine's apt sources, one-line (sources.list) and deb822 (.sources)
debian_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			line = $i; for (j = i + 1; j <= NF && $j !~ /^#/; j++) line = line " " $j; print line }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		awk 'function flush(   n, m, i, j, U, S) {
				if (types ~ /(^| )deb( |$)/ && enabled !~ /^no$/) {
					n = split(uris, U, " "); m = split(suites, S, " ")
					for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print U[i], S[j], comps
				}
				types = uris = suites = comps = enabled = ""; last = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { if (last == "uris") uris = uris " " $1; next }
			{ k = tolower($1); sub(/:$/, "", k); v = $0; sub(/^[^:]*:[ \t]*/, "", v); last = k
			  if (k == "types") types = v; else if (k == "uris") uris = v
			  else if (k == "suites") suites = v; else if (k == "components") comps = v
			  else if (k == "enabled") enabled = tolower(v) }
			END { flush() }' "$f"
	done
}

# the mirror apt uses for bookworm itself, and the bookworm suites it uses
sources=$(debian_sources | awk -v s="$suite" '$2 == s || $2 == s "-updates" || $2 == s "-security"' | sort -u)
mirror=$(awk -v s="$suite" '$2 == s { print $1; exit }' <<<"$sources")
[[ -n $mirror ]] || { echo "fresh-check: no '$suite' entry in /etc/apt/sources.list or /etc/apt/sources.list.d/" >&2; exit 1; }

# mounts_under DIR: the mount points below DIR (a run killed with SIGKILL
# leaves its mounts; rm -rf must never walk into a bound /dev)
mounts_under() {
	awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo
}

mounted=()
cleanup() {
	local rc=$? p pr i
	trap - EXIT INT TERM
	if [[ -d $root ]]; then
		# processes left inside the chroot (a daemon, gpg-agent): all started here
		for p in /proc/[0-9]*; do
			pr=$(readlink "$p/root" 2>/dev/null || true)
			[[ $pr == "$root" || $pr == "$root/"* ]] && kill -TERM "${p#/proc/}" 2>/dev/null || true
		done
		sleep 1
		for p in /proc/[0-9]*; do
			pr=$(readlink "$p/root" 2>/dev/null || true)
			[[ $pr == "$root" || $pr == "$root/"* ]] && kill -KILL "${p#/proc/}" 2>/dev/null || true
		done
	fi
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -R "${mounted[i]}" 2>/dev/null || umount -R -l "${mounted[i]}" ||
			echo "fresh-check: cannot unmount ${mounted[i]}" >&2
	done
	if [[ -n $(mounts_under "$root") ]]; then
		echo "fresh-check: still mounted under $root:" >&2
		mounts_under "$root" | sed 's/^/  /' >&2
		rc=1
	elif ((keep == 0)) && [[ -d $root ]]; then
		rm -rf --one-file-system "$root"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$SECONDS
if ((rebuild)) || [[ ! -f $base/.hivesnap-fresh-base ]]; then
	echo "== debootstrap $suite (minbase) from $mirror into $base (once; minutes)"
	rm -rf --one-file-system "$base" "$base.tmp"
	mkdir -p "$logs"
	if ! debootstrap --variant=minbase "$suite" "$base.tmp" "$mirror" >"$logs/debootstrap.log" 2>&1; then
		tail -n 30 "$logs/debootstrap.log" >&2
		echo "fresh-check: debootstrap failed (log: $logs/debootstrap.log)" >&2
		exit 1
	fi
	echo "$suite minbase from $mirror, $(date -u +%FT%TZ)" >"$base.tmp/.hivesnap-fresh-base"
	mv "$base.tmp" "$base"
fi

echo "== fresh copy of $base in $root"
if [[ -n $(mounts_under "$root") ]]; then
	# a killed earlier run: unmount what it left, deepest first
	mounts_under "$root" | sort -r | while read -r m; do umount -R "$m" 2>/dev/null || umount -R -l "$m" || true; done
	[[ -z $(mounts_under "$root") ]] ||
		{ echo "fresh-check: cannot unmount what an earlier run left under $root: $(mounts_under "$root" | tr '\n' ' ')" >&2; exit 1; }
fi
rm -rf --one-file-system "$root" "$logs"
mkdir -p "$logs"
cp -a "$base" "$root"
# this machine's Debian suites (bookworm, -updates, -security), as a new install has them
awk '{ print "deb", $0 }' <<<"$sources" >"$root/etc/apt/sources.list"
rm -f "$root"/etc/apt/sources.list.d/*
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\n# fresh-check.sh: no services start inside the chroot\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

head=$(git -C "$here" rev-parse --short HEAD)
echo "== clean clone of HEAD ($head) into /src/hivesnap"
dirty=$(git -C "$here" status --porcelain --untracked-files=no | wc -l)
((dirty == 0)) || echo "   note: $dirty uncommitted change(s) in $here are not part of this check"
mkdir -p "$root/src"
git clone --quiet --no-hardlinks "$here" "$root/src/hivesnap"

mount -t proc proc "$root/proc"
mounted+=("$root/proc")
mount -t sysfs sysfs "$root/sys"
mounted+=("$root/sys")
mount --rbind /dev "$root/dev"
mounted+=("$root/dev")
mount --make-rslave "$root/dev"
mount --bind "$archives" "$root/var/cache/apt/archives"
mounted+=("$root/var/cache/apt/archives")

# in_root STEP CMD: run CMD with bash in /src/hivesnap inside the chroot, with
# the environment of a root login on a new machine; output to $logs/STEP.log
in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb USER=root \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		bash -c "cd /src/hivesnap && $2" >"$logs/$1.log" 2>&1
}

names=() results=() details=()
failed=()
# step NAME NEEDS CMD: run CMD unless step NEEDS failed; record the result
step() {
	local name=$1 needs=$2 cmd=$3 s=$SECONDS rc=0 detail skips
	if [[ -n $needs && " ${failed[*]} " == *" $needs "* ]]; then
		names+=("$name") results+=("not run") details+=("$needs failed")
		failed+=("$name")
		return
	fi
	echo "== $name: $cmd"
	in_root "$name" "$cmd" || rc=$?
	detail=$(grep -E 'tests passed|install-deps --check:|install-deps: installing' "$logs/$name.log" | tail -n 1 || true)
	[[ $detail == "install-deps: installing "* ]] &&
		detail="installed $(wc -w <<<"${detail#install-deps: installing }") packages (and their dependencies)"
	# tests ctest reports as skipped (exit 77: say so, they did not pass)
	skips=$(sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (Skipped)$/\1/p' "$logs/$name.log" | tr '\n' ' ')
	[[ -z $skips ]] || detail+="; skipped by ctest: ${skips% }"
	names+=("$name") details+=("$((SECONDS - s)) s${detail:+; $detail}")
	if ((rc == 0)); then
		results+=(ok)
	else
		results+=("FAILED (exit $rc)")
		failed+=("$name")
		echo "--- last lines of $logs/$name.log:" >&2
		tail -n 40 "$logs/$name.log" >&2
	fi
}

step install-deps "" "scripts/install-deps.sh"
step check install-deps "HIVESNAP_NO_PEERS=1 scripts/install-deps.sh --check"
step build+unit install-deps "HIVESNAP_NO_PEERS=1 scripts/test.sh -L unit"
step cli build+unit "HIVESNAP_NO_PEERS=1 scripts/test.sh -L cli"
step fuzz build+unit "HIVESNAP_NO_PEERS=1 FUZZ_SECONDS=$fuzz_secs scripts/test.sh -L fuzz"

go_need=$(sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' "$here"/scripts/peers/*/go.mod "$here"/scripts/peers/*/*/go.mod 2>/dev/null | sort -V | tail -n 1)
skipped=(
	"peers|scripts/peers.sh build FerretDB, mongo-tools and the Kubernetes peer with Go >= ${go_need:-1.22}, which the README expects on the machine and Debian does not have (bookworm's golang is 1.19); a JDK and Maven are there (install-deps.sh installed Debian's)"
	"integration|ctest -L integration runs against the peers (a cli test needing a peer's tool skips itself: see 'skipped by ctest' above)"
	"demo|scripts/demo.sh starts the peers"
)

echo
echo "fresh-check: Debian $suite (minbase) chroot from $mirror, clone of $head"
for i in "${!names[@]}"; do
	printf '  %-13s %-17s %s\n' "${names[i]}" "${results[i]}" "${details[i]}"
done
for s in "${skipped[@]}"; do
	printf '  %-13s %-17s %s\n' "${s%%|*}" skipped "${s#*|}"
done
echo "  logs: $logs/"
if ((${#failed[@]})); then
	echo "fresh-check: FAIL after $(((SECONDS - t0) / 60)) min: ${failed[*]} (of ${names[*]}); skipped: peers, integration, demo (no Go)"
	exit 1
fi
echo "fresh-check: PASS after $(((SECONDS - t0) / 60)) min: ${names[*]} on a fresh $suite; skipped: peers, integration, demo (no Go)"
