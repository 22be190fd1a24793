#!/usr/bin/env bash
# install-deps.sh - install every Debian package hivesnap's build, tests,
# fuzzers, demo and peers need, or check that they are all there.
#
#   scripts/install-deps.sh           install what is missing (apt-get, as root or
#                                     through sudo); silent when all is present
#   scripts/install-deps.sh --check   install nothing: print one line per missing
#                                     package, tool, runtime file or Python module
#                                     and exit 1 if anything is missing, else 0
#
# The list below is every package a script under scripts/ or tests/ runs a
# program from (Debian's Essential packages aside: coreutils, util-linux,
# tar, gzip, grep, sed, findutils, diffutils, mawk, dpkg); each is
# installed with --no-install-recommends, so a package that is only
# recommended (libclang-rt-14-dev by clang) is named here itself.
# scripts/fresh-check.sh proves the list complete: it runs this script, the
# build and the unit, cli and fuzz tests in a fresh Debian bookworm chroot.
#
# Not from Debian: Go (for the FerretDB, mongo-tools and Kubernetes peers;
# bookworm's golang is 1.19, too old) is expected on the machine, on PATH
# or in /usr/local/go.  --check asks for the newest version the peers'
# go.mod files name (an older Go >= 1.21 does too when GOTOOLCHAIN lets it
# fetch that toolchain).  HIVESNAP_NO_PEERS=1 (no peers will be started)
# leaves Go out of the check.  A JDK >= 17 and Maven (for the Kafka peer)
# already on PATH are used; when they are missing, Debian's are installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=install
case "${1:-}" in
"") ;;
--check) mode=check ;;
-h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "install-deps: unknown option '$1' (usage: install-deps.sh [--check])" >&2; exit 64 ;;
esac

# package|what needs it
needs=(
	"build-essential|the build (gcc, make, libc headers)"
	"cmake|the build, ctest, cpack"
	"ninja-build|the build (-G Ninja)"
	"pkg-config|the build (pkg_check_modules)"
	"git|fresh-check.sh (clean clone), go module downloads"
	"ca-certificates|HTTPS downloads of the peers (Go modules, Maven Central)"
	"libmongoc-dev|the build (MongoDB)"
	"libbson-dev|the build (MongoDB)"
	"libhiredis-dev|the build (Redis)"
	"librdkafka-dev|the build (Kafka)"
	"libzstd-dev|the build (archives)"
	"libcurl4-openssl-dev|the build (HTTP: Kubernetes, Prometheus, diag)"
	"libyaml-dev|the build (profiles, kubeconfig)"
	"libjansson-dev|the build (JSON)"
	"libssl-dev|the build (SHA-256, TLS)"
	"libcmocka-dev|the unit tests"
	"clang|the fuzz targets (scripts/fuzz.sh)"
	"libclang-rt-14-dev|the fuzz targets: clang 14's ASan, UBSan and libFuzzer runtimes, only recommended by clang"
	"dpkg-dev|tests/cli/package.sh (cpack -G DEB runs dpkg-shlibdeps)"
	"man-db|tests/cli/package.sh (man -l)"
	"systemd|tests/cli/deploy_systemd.sh (systemd-analyze verify)"
	"e2fsprogs|tests/integration/snapshot_retention.sh (chattr)"
	"procps|the tests (pgrep, ps)"
	"time|the benchmarks (/usr/bin/time)"
	"file|the tests (file)"
	"zstd|the tests and demo (tar --zstd, zstd -dc)"
	"curl|the peers (health checks)"
	"openssl|the Kubernetes peer (certificates)"
	"jq|the tests and benchmarks"
	"python3|the tests, the Flow C exporter peer"
	"python3-jsonschema|the tests (schema checks of --json output)"
	"python3-yaml|tests/integration/deploy_rbac.sh"
	"redis-server|the Redis peer"
	"redis-tools|the Redis peer, benchmarks (redis-cli)"
	"prometheus|the Prometheus peer, tests (promtool)"
	"prometheus-alertmanager|the Alertmanager peer"
	"valgrind|scripts/valgrind.sh"
	"debootstrap|scripts/fresh-check.sh"
)
# tool|package: programs the scripts run, checked with command -v
tools=(
	"cc|build-essential" "make|build-essential" "cmake|cmake" "ctest|cmake" "cpack|cmake"
	"ninja|ninja-build" "pkg-config|pkg-config" "git|git" "clang|clang"
	"dpkg-shlibdeps|dpkg-dev" "man|man-db" "systemd-analyze|systemd" "chattr|e2fsprogs"
	"pgrep|procps" "ps|procps" "/usr/bin/time|time" "file|file" "zstd|zstd" "curl|curl"
	"openssl|openssl" "jq|jq" "python3|python3" "redis-server|redis-server"
	"redis-cli|redis-tools" "prometheus|prometheus" "promtool|prometheus"
	"prometheus-alertmanager|prometheus-alertmanager" "valgrind|valgrind"
	"debootstrap|debootstrap" "setsid|util-linux" "flock|util-linux" "timeout|coreutils"
)
# module|who imports it: for the python3 found on PATH, which the tests run
py_modules=("jsonschema|the tests (schema checks)" "yaml|tests/integration/deploy_rbac.sh")

[[ -x /usr/local/go/bin/go ]] && PATH="/usr/local/go/bin:$PATH"
PATH="$PATH:/usr/sbin:/sbin"   # debootstrap, for a user whose PATH lacks sbin

installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

packages=()
for n in "${needs[@]}"; do packages+=("${n%%|*}"); done
if ! command -v java >/dev/null 2>&1; then
	packages+=(openjdk-17-jdk-headless)
	needs+=("openjdk-17-jdk-headless|the Kafka peer (no java on PATH)")
	tools+=("java|openjdk-17-jdk-headless")
fi
if ! command -v mvn >/dev/null 2>&1; then
	packages+=(maven)
	needs+=("maven|the Kafka peer's build (no mvn on PATH)")
	tools+=("mvn|maven")
fi

if [[ $mode == install ]]; then
	missing=()
	for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
	if ((${#missing[@]})); then
		sudo=""
		[[ $(id -u) -eq 0 ]] || sudo="sudo"
		echo "install-deps: installing ${missing[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		$sudo apt-get update -qq >/dev/null
		$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi

	# The Debian prometheus and alertmanager packages start system services; the
	# tests run their own instances on their own ports, so these are not needed.
	for svc in prometheus prometheus-alertmanager prometheus-node-exporter redis-server; do
		if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
			systemctl stop "$svc" >/dev/null 2>&1 || true
		fi
	done
	if ! command -v go >/dev/null 2>&1; then
		echo "install-deps: warning: no Go toolchain found; the MongoDB, mongo-tools and Kubernetes peers need it (docs/peers.md)" >&2
	fi
	exit 0
fi

# --check: one line per missing item, nothing installed
nmiss=0
miss() { echo "install-deps: missing: $*"; nmiss=$((nmiss + 1)); }

absent=" "
for n in "${needs[@]}"; do
	installed "${n%%|*}" || { miss "package ${n%%|*} (${n#*|})"; absent+="${n%%|*} "; }
done
# a tool whose package is missing was named with the package already
for t in "${tools[@]}"; do
	[[ $absent == *" ${t#*|} "* ]] && continue
	command -v "${t%%|*}" >/dev/null 2>&1 || miss "tool ${t%%|*} (Debian package ${t#*|})"
done

# the runtimes the fuzz targets link (clang -fsanitize=fuzzer,address,undefined)
if command -v clang >/dev/null 2>&1; then
	rt="$(clang -print-resource-dir)/lib/linux"
	rtpkg="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
	for lib in fuzzer asan asan_static; do
		f="$rt/libclang_rt.$lib-$(uname -m).a"
		[[ -f $f || $absent == *" $rtpkg "* ]] || miss "file $f (clang's $lib runtime: Debian package $rtpkg)"
	done
fi

if command -v python3 >/dev/null 2>&1; then
	py=$(command -v python3)
	for m in "${py_modules[@]}"; do
		python3 -c "import ${m%%|*}" >/dev/null 2>&1 ||
			miss "python3 module ${m%%|*} for $py (${m#*|}; Debian package python3-${m%%|*} has it for /usr/bin/python3)"
	done
fi

if command -v java >/dev/null 2>&1; then
	jv=$(java -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')
	[[ -n $jv && $jv -ge 17 ]] || miss "java >= 17 for the Kafka peer (found $(command -v java), version ${jv:-unknown})"
fi

if [[ -n ${HIVESNAP_NO_PEERS:-} ]]; then
	echo "install-deps: not checked: go (HIVESNAP_NO_PEERS=1: no peers will be built)"
else
	need=$(sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' "$here"/scripts/peers/*/go.mod "$here"/scripts/peers/*/*/go.mod 2>/dev/null |
		sort -V | tail -n 1)
	if ! command -v go >/dev/null 2>&1; then
		miss "go >= ${need:-1.22} (the FerretDB, mongo-tools and Kubernetes peers; not from Debian, see docs/peers.md)"
	elif [[ -n $need ]]; then
		have=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
		tc=$(go env GOTOOLCHAIN 2>/dev/null || echo local)
		if [[ $(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n 1) != "$need" ]]; then
			# go >= 1.21 fetches the toolchain a go.mod asks for, unless GOTOOLCHAIN=local
			if [[ $tc == local* || $(printf '1.21\n%s\n' "$have" | sort -V | head -n 1) != 1.21 ]]; then
				miss "go >= $need for the peers' go.mod files (found $(command -v go), go$have, GOTOOLCHAIN=$tc)"
			fi
		fi
	fi
fi

if ((nmiss)); then
	echo "install-deps --check: $nmiss missing (scripts/install-deps.sh installs the Debian ones)"
	exit 1
fi
echo "install-deps --check: ok (${#needs[@]} packages, ${#tools[@]} tools, clang runtimes, python3 modules${HIVESNAP_NO_PEERS:+; go not checked})"
