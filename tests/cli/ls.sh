#!/usr/bin/env bash
# `hivesnap ls`: every entry with size and sha256 in archive order, GLOB
# (no FNM_PATHNAME: mongo/* matches deeper), --json (schemas/ls.schema.json).
source "$(dirname "$0")/lib.sh"
mk_sample
mk_bad
good=$tmp/good.tar.zst

expect_exit 0 "$HIVESNAP" ls "$good"
[[ $(wc -l <"$tmp/out") -eq 5 ]] || fail "ls lists $(wc -l <"$tmp/out") entries, want 5: $(cat "$tmp/out")"
[[ $(head -n1 "$tmp/out" | awk '{print $NF}') == hivesnap.json ]] || fail "hivesnap.json is not listed first"
sha=$(sha256sum "$tmp/in/big.log" | cut -d' ' -f1)
size=$(stat -c %s "$tmp/in/big.log")
grep -qE "^ *$size +$sha +k8s +[0-9]+ +k8s/ns/logs/pod/c.log$" "$tmp/out" ||
	fail "ls line of k8s/ns/logs/pod/c.log lacks its size $size / sha256 $sha: $(cat "$tmp/out")"
echo "ok: ls shows size, sha256, source of each entry"

expect_exit 0 "$HIVESNAP" ls "$good" 'mongo/*'
[[ $(wc -l <"$tmp/out") -eq 2 ]] || fail "ls 'mongo/*' lists: $(cat "$tmp/out")"
expect_exit 0 "$HIVESNAP" ls "$good" '*.json'
[[ $(awk '{print $NF}' "$tmp/out" | tr '\n' ' ') == "hivesnap.json mongo/neural_hive/coll.metadata.json " ]] ||
	fail "ls '*.json' lists: $(cat "$tmp/out")"
expect_exit 0 "$HIVESNAP" ls "$good" 'nothing-matches*'
[[ ! -s $tmp/out ]] || fail "ls with an unmatched glob printed: $(cat "$tmp/out")"

expect_exit 0 "$HIVESNAP" ls --json "$good"
validate_json ls.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" "$tmp/in" <<'PY' || fail "ls --json content"
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
names = [e["name"] for e in d]
assert names == ["hivesnap.json", "mongo/neural_hive/coll.bson", "mongo/neural_hive/coll.metadata.json",
                 "redis/db0.jsonl", "k8s/ns/logs/pod/c.log"], names
e = d[1]
raw = open(sys.argv[2] + "/coll.bson", "rb").read()
assert e["size"] == len(raw) and e["sha256"] == hashlib.sha256(raw).hexdigest(), e
assert e["source"] == "mongo" and d[0]["source"] is None
PY
echo "ok: ls --json lists every entry in archive order with the right size and sha256"
expect_exit 0 "$HIVESNAP" ls --json "$good" 'redis/*'
validate_json ls.schema.json "$tmp/out"
[[ $(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/out") == 1 ]] ||
	fail "ls --json 'redis/*': $(cat "$tmp/out")"

for f in random plain truncated; do
	expect_exit 4 "$HIVESNAP" ls "$tmp/bad/$f.tar.zst"
done
expect_exit 65 "$HIVESNAP" ls "$tmp/bad/v2.tar.zst"
expect_exit 3 "$HIVESNAP" ls "$tmp/missing.tar.zst"
expect_exit 64 "$HIVESNAP" ls
expect_exit 64 "$HIVESNAP" ls "$good" a b
expect_exit 64 "$HIVESNAP" ls -x "$good"
expect_exit 0 "$HIVESNAP" ls --help
expect_stdout_match '^usage: hivesnap ls ARCHIVE'
if [[ -w /dev/full ]]; then
	got=0
	"$HIVESNAP" ls "$good" >/dev/full 2>/dev/null || got=$?
	[[ $got == 3 ]] || fail "ls to /dev/full exited $got, want 3"
	echo "ok: ls to a full disk -> 3"
fi
