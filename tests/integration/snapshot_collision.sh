#!/usr/bin/env bash
# Two snapshots into one --output-dir within the same second (issue #25
# item 4), against the real Redis peer: the second takes "<stem>-2.tar.zst"
# instead of failing with "file exists"; stdout/--json, the log and the
# metrics file (archive bytes) are about that file; the keep policy after
# the run keeps it; a label with dashes and digits ("pre-2") is not taken
# for a counter; -o FILE is never numbered; two runs back to back both
# succeed.  The collision is forced by making the next seconds' names
# first (their headers are old, so retention sees them as old archives).
# Reads db 12, keys hs-coll:*.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}" "${HS_SCHEMAS:?}" "${HS_TOOLS:?}"
: "${HIVESNAP_REDIS_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
hostport=${HIVESNAP_REDIS_URI#redis://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
rcli=redis-cli
[[ -n ${PEERS_BIN:-} && -x $PEERS_BIN/redis-cli ]] && rcli=$PEERS_BIN/redis-cli
cli() { "$rcli" -h "$host" -p "$port" -n 12 "$@"; }
[[ $(cli ping) == PONG ]] || fail "redis at $hostport does not answer"
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
work=$(mktemp -d)
trap 'cli del hs-coll:a >/dev/null || true; rm -rf "$work"' EXIT
cli set hs-coll:a 1 >/dev/null
printf 'name: itcoll\nredis:\n  uri: redis://%s/12\n  dbs:\n    - db: 12\n      patterns: ["hs-coll:*"]\n' "$hostport" >"$work/p.yaml"
stamp() { date -u -d "@$1" +%Y%m%dT%H%M%SZ; }
T0=1767225600 # 2026-01-01T00:00:00Z

# ------------------------------------------------------------ the name is taken: -2
d=$work/backups
mkdir "$d"
t0=$(date +%s)
for ((i = 0; i < 40; i++)); do
	"$HS_TOOLS/hs_mkarchive" "$d/itcoll-pre-2-$(stamp $((t0 + i))).tar.zst" --profile itcoll --label pre-2 \
		--created-at $((T0 + i)) redis/db12.jsonl=x >/dev/null || fail "hs_mkarchive failed"
done
rc=0
"$HIVESNAP" snapshot -p "$work/p.yaml" --only redis --label pre-2 --output-dir "$d" --keep-last 1 --json \
	--metrics-file "$work/m.prom" >"$work/out.json" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || { cat "$work/err" >&2; fail "snapshot into a taken name exited $rc, want 0"; }
validate_json snapshot.schema.json "$work/out.json"
arch=$(jq -r .archive "$work/out.json")
[[ $arch =~ ^$d/itcoll-pre-2-([0-9]{8}T[0-9]{6}Z)-2\.tar\.zst$ ]] || fail "--json archive '$arch', want …-pre-2-…Z-2.tar.zst"
S=${BASH_REMATCH[1]}
[[ -f $arch ]] || fail "$arch does not exist: $(ls "$d")"
grep -q "'$d/itcoll-pre-2-$S.tar.zst' exists: the archive is '$arch'" "$work/err" ||
	fail "the log does not say the name was taken: $(cat "$work/err")"
"$HIVESNAP" verify "$arch" >/dev/null || fail "$arch does not verify"
# retention: the new -2 archive is the newest; every placeholder (the plain name of its second too) goes
[[ $(jq -r '.pruned | length' "$work/out.json") == 40 ]] || fail "pruned: $(jq -c .pruned "$work/out.json")"
jq -e --arg n "itcoll-pre-2-$S.tar.zst" '.pruned | index($n) != null' "$work/out.json" >/dev/null ||
	fail "the plain name of that second was not pruned: $(jq -c .pruned "$work/out.json")"
[[ $(ls "$d") == "$(basename "$arch")" ]] || fail "left after --keep-last 1: $(ls "$d")"
# metrics: the bytes of the file this run wrote, not of the placeholder that had the name
size=$(stat -c %s "$arch")
grep -qx "hivesnap_archive_bytes{profile=\"itcoll\"} $size" "$work/m.prom" ||
	fail "metrics archive bytes, want $size: $(grep archive_bytes "$work/m.prom")"
"$HIVESNAP" list --json "$d" >"$work/list.json"
validate_json list.schema.json "$work/list.json"
[[ $(jq -r '.[0].name + " " + .[0].label + " " + .[0].status' "$work/list.json") == "$(basename "$arch") pre-2 ok" ]] ||
	fail "list: $(cat "$work/list.json")"
echo "ok: a taken name gives …Z-2.tar.zst; report, log, metrics and retention agree"

# ------------------------------------------------------------ -o FILE is never numbered
echo precious >"$work/x.tar.zst"
rc=0
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis -o "$work/x.tar.zst" 2>"$work/err" || rc=$?
[[ $rc == 3 ]] || fail "-o to an existing file exited $rc, want 3"
grep -q "cannot write '$work/x.tar.zst': file exists" "$work/err" || fail "error: $(cat "$work/err")"
[[ $(cat "$work/x.tar.zst") == precious && ! -e $work/x-2.tar.zst ]] || fail "-o wrote something"
echo "ok: -o to an existing file: exit 3, untouched, no -2"

# ------------------------------------------------------------ back to back, as a script would
d2=$work/pair
mkdir "$d2"
for run in a b; do
	rc=0
	"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis --output-dir "$d2" --json >"$work/$run.json" 2>"$work/err" || rc=$?
	[[ $rc == 0 ]] || { cat "$work/err" >&2; fail "back-to-back run $run exited $rc"; }
done
a=$(jq -r .archive "$work/a.json")
b=$(jq -r .archive "$work/b.json")
[[ -f $a && -f $b && $a != "$b" && $(ls "$d2" | wc -l) == 2 ]] || fail "two runs: '$a' '$b': $(ls "$d2")"
[[ $b == "${a%.tar.zst}-2.tar.zst" || ($(basename "$b") =~ ^itcoll-[0-9]{8}T[0-9]{6}Z\.tar\.zst$ && $b > $a) ]] ||
	fail "second run's name '$b' after '$a'"
"$HIVESNAP" verify "$a" "$b" >/dev/null || fail "the pair does not verify"
echo "ok: two snapshots back to back both succeed ($(basename "$a"), $(basename "$b"))"
echo "PASS"
