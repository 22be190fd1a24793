#!/usr/bin/env bash
# Two archives into one --output-dir within the same second (issue #25
# item 4), no peers: diag bundles (a health endpoint on a closed port: the
# collector is ok, exit 0) go through the same output code as snapshot.
# The second run takes "<stem>-2.tar.zst", then -3; stdout, --json and the
# logs name the real file and summary.md inside says how to open it;
# both verify; list, prune and their --json order -2 as the newer archive
# of that second; -o FILE is never numbered (exit 3, untouched).  The
# collision is forced by making the SPEC names of the next seconds first.
source "$(dirname "$0")/lib.sh"
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"

closed=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
p=$tmp/p.yaml
printf 'name: coll\ndiag:\n  health:\n    - {name: svc, url: "http://127.0.0.1:%s/health", timeout_ms: 1000}\n' "$closed" >"$p"
stamp() { date -u -d "@$1" +%Y%m%dT%H%M%SZ; }
WINDOW=40

# make_taken DIR SUFFIX...: for each of the next WINDOW seconds, the bundle
# name of that second with each suffix ("" or "-2"), as consistent archives
# made by the writer (header created_at = that second, status ok)
make_taken() {
	local dir=$1 t0 i s
	shift
	t0=$(date +%s)
	for ((i = 0; i < WINDOW; i++)); do
		for s in "$@"; do
			mk_archive "$dir/coll-diag-$(stamp $((t0 + i)))$s.tar.zst" --kind bundle --profile coll \
				--label diag --created-at $((t0 + i)) diag/x.txt=placeholder
		done
	done
}

# ------------------------------------------------------------ the name is taken: -2
d=$tmp/d1
mkdir "$d"
make_taken "$d" ""
expect_exit 0 "$HIVESNAP" diag -p "$p" --output-dir "$d" --json
cp "$tmp/out" "$tmp/r1.json"
validate_json diag.schema.json "$tmp/r1.json"
arch=$(jq -r .archive "$tmp/r1.json")
[[ $arch =~ ^$d/coll-diag-([0-9]{8}T[0-9]{6}Z)-2\.tar\.zst$ ]] || fail "--json archive is '$arch', want …Z-2.tar.zst"
S=${BASH_REMATCH[1]}
plain=$d/coll-diag-$S.tar.zst
[[ -f $arch && -f $plain ]] || fail "want both $plain and $arch: $(ls "$d")"
expect_stderr_match "'$plain' exists: the bundle is '$arch'"
expect_stderr_match "bundle written: $arch "
expect_exit 0 "$HIVESNAP" cat "$arch" hivesnap.json
[[ $(jq -r '.kind + " " + .created_at' "$tmp/out") == "bundle ${S:0:4}-${S:4:2}-${S:6:2}T${S:9:2}:${S:11:2}:${S:13:2}Z" ]] ||
	fail "the -2 bundle's header: $(cat "$tmp/out")"
expect_exit 0 "$HIVESNAP" cat "$arch" diag/summary.md
expect_stdout_match "hivesnap ls coll-diag-$S-2\.tar\.zst"
expect_exit 0 "$HIVESNAP" verify "$arch" "$plain"
# only the second that collided matters from here
for f in "$d"/coll-diag-*.tar.zst; do
	[[ $f == "$plain" || $f == "$arch" ]] || rm "$f"
done
echo "ok: a taken --output-dir name gives …Z-2.tar.zst, reported and verified"

# list: the same second's two archives, -2 first (newer)
expect_exit 0 "$HIVESNAP" list --json "$d"
cp "$tmp/out" "$tmp/list.json"
validate_json list.schema.json "$tmp/list.json"
[[ $(jq -r '[.[].name] | join(" ")' "$tmp/list.json") == "coll-diag-$S-2.tar.zst coll-diag-$S.tar.zst" ]] ||
	fail "list --json order: $(jq -c '[.[].name]' "$tmp/list.json")"
[[ $(jq -r '[.[].created_at] | unique | length' "$tmp/list.json") == 1 ]] || fail "not the same second: $(cat "$tmp/list.json")"
[[ $(jq -r '.[0].path' "$tmp/list.json") == "$arch" ]] || fail "list path: $(jq -r '.[0].path' "$tmp/list.json")"
expect_exit 0 "$HIVESNAP" list "$d"
[[ $(awk '{print $6}' "$tmp/out" | tr '\n' ' ') == "coll-diag-$S-2.tar.zst coll-diag-$S.tar.zst " ]] ||
	fail "list order: $(cat "$tmp/out")"
echo "ok: list shows both, -2 first"

# prune: --keep-last 1 keeps the -2 one (the newer), removes the plain one
expect_exit 0 "$HIVESNAP" prune "$d" --keep-last 1 --dry-run --json
cp "$tmp/out" "$tmp/prune.json"
validate_json prune.schema.json "$tmp/prune.json"
[[ $(jq -r '[.archives[] | .name + "=" + .action] | join(" ")' "$tmp/prune.json") == \
	"coll-diag-$S-2.tar.zst=keep coll-diag-$S.tar.zst=remove" ]] || fail "prune --dry-run: $(cat "$tmp/prune.json")"
[[ -f $plain ]] || fail "--dry-run removed $plain"
expect_exit 0 "$HIVESNAP" prune "$d" --keep-hourly 1
expect_stdout_match "^keep +coll-diag-$S-2\.tar\.zst +kept by hourly"
expect_stdout_match "^remove +coll-diag-$S\.tar\.zst "
[[ $(ls "$d") == "coll-diag-$S-2.tar.zst" ]] || fail "after prune: $(ls "$d")"
expect_exit 0 "$HIVESNAP" verify "$arch"
echo "ok: prune keeps the same second's -2 archive, removes the plain one"

# ------------------------------------------------------------ -2 taken too: -3 (text mode)
d=$tmp/d2
mkdir "$d"
make_taken "$d" "" "-2"
expect_exit 0 "$HIVESNAP" diag -p "$p" --output-dir "$d"
expect_stderr_match "bundle written: $d/coll-diag-[0-9]{8}T[0-9]{6}Z-3\.tar\.zst "
arch=$(sed -n 's/.*bundle written: \([^ ]*\) .*/\1/p' "$tmp/err")
[[ -f $arch ]] || fail "the logged bundle $arch does not exist"
expect_stdout_match "hivesnap ls $(basename "$arch")"
[[ $(ls "$d" | grep -c -- '-3\.tar\.zst$') == 1 ]] || fail "want one -3 file: $(ls "$d")"
expect_exit 0 "$HIVESNAP" verify "$arch"
echo "ok: -2 taken as well gives -3"

# ------------------------------------------------------------ -o FILE is never numbered
d=$tmp/d3
mkdir "$d"
echo precious >"$d/x.tar.zst"
expect_exit 3 "$HIVESNAP" diag -p "$p" -o "$d/x.tar.zst"
expect_stderr_match "cannot write '$d/x\.tar\.zst': file exists"
[[ $(cat "$d/x.tar.zst") == precious && $(ls -A "$d") == x.tar.zst ]] || fail "-o changed the folder: $(ls -A "$d")"
echo "ok: an explicit -o that exists is refused, no -2"

# ------------------------------------------------------------ back to back, as a script would
d=$tmp/d4
mkdir "$d"
expect_exit 0 "$HIVESNAP" diag -q -p "$p" --output-dir "$d" --json
a=$(jq -r .archive "$tmp/out")
expect_exit 0 "$HIVESNAP" diag -q -p "$p" --output-dir "$d" --json
b=$(jq -r .archive "$tmp/out")
[[ -f $a && -f $b && $a != "$b" && $(ls "$d" | wc -l) == 2 ]] || fail "two runs: '$a' '$b': $(ls "$d")"
# the second is either the same second's -2, or a later second's plain name
[[ $b == "${a%.tar.zst}-2.tar.zst" || ($(basename "$b") =~ ^coll-diag-[0-9]{8}T[0-9]{6}Z\.tar\.zst$ && $b > $a) ]] ||
	fail "second run's name '$b' after '$a'"
expect_exit 0 "$HIVESNAP" verify "$a" "$b"
echo "ok: two runs back to back both succeed"
echo "PASS"
