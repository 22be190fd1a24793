#!/usr/bin/env bash
# `hivesnap diff A B` merges the changed entries straight from the two
# archive readers: entries larger than the stream buffers (both readers
# interleaved), the same entries in another order in B (one side waits in
# the spool) give the same report, and a compared entry whose records are
# bad data AND whose checksum is wrong is still an integrity error (exit 4,
# nothing printed): the archives are verified to their end before a record
# error counts.
source "$(dirname "$0")/lib.sh"
in=$tmp/in
mkdir -p "$in"

# 30000 keys and 20000 documents per side (~2.5 MB and ~1.5 MB), B with
# removals, changes and additions spread through both entries
/usr/bin/python3 - "$in" <<'PY'
import os, struct, sys
d = sys.argv[1]
def doc(i, tok):
    s = tok.encode()
    body = (b"\x12_id\x00" + struct.pack("<q", i) + b"\x02tok\x00" + struct.pack("<i", len(s) + 1) +
            s + b"\x00")
    return struct.pack("<i", len(body) + 5) + body + b"\x00"
for side in "AB":
    with open(os.path.join(d, side + ".jsonl"), "w") as f:
        for i in range(30000):
            if side == "B" and i % 1000 == 7:
                continue
            v = "v%d-%s" % (i, "x" if side == "B" and i % 100 == 3 else "y") * 4
            f.write('{"key":"k%06d","type":"string","expire_at_ms":null,"value":"%s"}\n' % (i, v))
    with open(os.path.join(d, side + ".bson"), "wb") as f:
        for i in range(20000 + (50 if side == "B" else 0)):
            if side == "B" and i % 500 == 11:
                continue
            f.write(doc(i, "t%d-%s" % (i, "x" if side == "B" and i % 200 == 5 else "y") * 8))
PY
meta='{"options":{},"indexes":[{"v":2,"key":{"_id":1},"name":"_id_"}]}'
meta_b='{"options":{},"indexes":[{"v":2,"key":{"_id":1},"name":"_id_"},{"v":2,"key":{"tok":1},"name":"tok_1"}]}'
mk_archive "$tmp/a.tar.zst" "redis/db0.jsonl=@$in/A.jsonl" "mongo/d/c.bson=@$in/A.bson" \
	"mongo/d/c.metadata.json=$meta" "kafka/groups/g.json={}"
mk_archive "$tmp/b.tar.zst" "redis/db0.jsonl=@$in/B.jsonl" "mongo/d/c.bson=@$in/B.bson" \
	"mongo/d/c.metadata.json=$meta_b" "kafka/groups/g.json={}"
# B's entries in reverse order: every compared entry of one side must wait for its partner
mk_archive "$tmp/b-rev.tar.zst" "kafka/groups/g.json={}" "mongo/d/c.metadata.json=$meta_b" \
	"mongo/d/c.bson=@$in/B.bson" "redis/db0.jsonl=@$in/B.jsonl"

expect_exit 1 "$HIVESNAP" diff --json --details --limit 3 "$tmp/a.tar.zst" "$tmp/b.tar.zst"
validate_json diff.schema.json "$tmp/out"
cp "$tmp/out" "$tmp/same-order.json"
jq -e '[.changes[] | {entry, added, removed, changed}] == [
	{"entry":"redis/db0.jsonl","added":0,"removed":30,"changed":300},
	{"entry":"mongo/d/c.bson","added":49,"removed":40,"changed":100},
	{"entry":"mongo/d/c.metadata.json","added":1,"removed":0,"changed":0}]' "$tmp/out" >/dev/null ||
	fail "counts of the streamed merge: $(jq -c '.changes' "$tmp/out" | head -c 600)"
jq -e '.changes[0].items[0] == {"key":"k000003","change":"changed","fields":["value"]}' "$tmp/out" >/dev/null ||
	fail "first Redis item: $(jq -c '.changes[0].items' "$tmp/out")"
echo "ok: entries larger than the stream buffers merged from both readers at once"

expect_exit 1 "$HIVESNAP" diff --json --details --limit 3 "$tmp/a.tar.zst" "$tmp/b-rev.tar.zst"
jq 'del(.b)' "$tmp/out" >"$tmp/rev.json"
jq 'del(.b)' "$tmp/same-order.json" >"$tmp/same.json"
cmp -s "$tmp/rev.json" "$tmp/same.json" ||
	fail "B in another entry order gives another report: $(diff "$tmp/same.json" "$tmp/rev.json" | head -20)"
expect_exit 1 "$HIVESNAP" diff --json --details --limit 3 "$tmp/b-rev.tar.zst" "$tmp/a.tar.zst"
jq -e '[.changes[] | {entry, added, removed}] == [
	{"entry":"mongo/d/c.metadata.json","added":0,"removed":1},
	{"entry":"mongo/d/c.bson","added":40,"removed":49},
	{"entry":"redis/db0.jsonl","added":30,"removed":0}]' "$tmp/out" >/dev/null ||
	fail "B (reversed) against A: $(jq -c '[.changes[] | {entry, added, removed}]' "$tmp/out")"
echo "ok: the same entries in another order (spooled side) give the same report"

# B without index frame, its Redis entry unsorted: bad data (65) when intact ...
printf '%s\n' '{"key":"b","type":"string","expire_at_ms":null,"value":"1"}' \
	'{"key":"a","type":"string","expire_at_ms":null,"value":"1"}' >"$in/unsorted.jsonl"
mk_archive "$tmp/u.tar.zst" --no-index "redis/db0.jsonl=@$in/unsorted.jsonl" "mongo/d/c.bson=@$in/B.bson"
mk_archive "$tmp/ua.tar.zst" "redis/db0.jsonl=@$in/A.jsonl" "mongo/d/c.bson=@$in/A.bson"
expect_exit 65 "$HIVESNAP" diff "$tmp/ua.tar.zst" "$tmp/u.tar.zst"
expect_stderr_match "line 2 is not sorted by key"
# ... and with a byte of that entry changed (checksum wrong, found only at the end): 4
zstd -qdc "$tmp/u.tar.zst" | LC_ALL=C sed 's/"value":"1"/"value":"7"/' | zstd -q -o "$tmp/u-bad.tar.zst"
expect_exit 4 "$HIVESNAP" diff "$tmp/ua.tar.zst" "$tmp/u-bad.tar.zst"
expect_stderr_match "u-bad.tar.zst"
[[ ! -s $tmp/out ]] || fail "diff printed a report for a corrupt B: $(cat "$tmp/out")"
expect_exit 4 "$HIVESNAP" diff --json "$tmp/u-bad.tar.zst" "$tmp/ua.tar.zst"
[[ ! -s $tmp/out ]] || fail "diff --json printed a report for a corrupt A: $(cat "$tmp/out")"
# both corrupt
expect_exit 4 "$HIVESNAP" diff "$tmp/u-bad.tar.zst" "$tmp/u-bad.tar.zst"
echo "ok: a record error in an entry whose checksum is wrong -> 4, nothing printed"
