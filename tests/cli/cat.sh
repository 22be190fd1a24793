#!/usr/bin/env bash
# `hivesnap cat`: an entry byte for byte, checksum checked (a flipped byte
# is 4, with and without the index frame), a missing entry is 3, --json
# renders BSON as canonical Extended JSON and refuses bad BSON with 65 (a
# damaged entry, whose checksum fails, with 4).
source "$(dirname "$0")/lib.sh"
mk_sample
mk_bad
good=$tmp/good.tar.zst

for a in "$good" "$tmp/noindex.tar.zst"; do
	expect_exit 0 "$HIVESNAP" cat "$a" k8s/ns/logs/pod/c.log
	cmp -s "$tmp/out" "$tmp/in/big.log" || fail "cat of c.log from $a differs from the input"
	expect_exit 0 "$HIVESNAP" cat "$a" mongo/neural_hive/coll.bson
	cmp -s "$tmp/out" "$tmp/in/coll.bson" || fail "cat of coll.bson from $a differs from the input"
	expect_exit 0 "$HIVESNAP" cat "$a" SHA256SUMS
	expect_stdout_match '^[0-9a-f]{64}  manifest\.json$'
	expect_exit 0 "$HIVESNAP" cat "$a" manifest.json
	validate_json manifest.schema.json "$tmp/out"
	cp "$tmp/out" "$tmp/manifest.json"
	expect_exit 0 "$HIVESNAP" cat "$a" hivesnap.json
	validate_json header.schema.json "$tmp/out"
	# the header's bytes are the ones the manifest's checksum covers
	/usr/bin/python3 - "$tmp/out" "$tmp/manifest.json" <<'PY' || fail "cat hivesnap.json is not the stored header"
import hashlib, json, sys
raw = open(sys.argv[1], "rb").read()
m = json.load(open(sys.argv[2]))
e = m["entries"][0]
assert e["name"] == "hivesnap.json" and e["sha256"] == hashlib.sha256(raw).hexdigest()
PY
	echo "ok: cat gives every kind of entry byte for byte from $(basename "$a")"
	expect_exit 3 "$HIVESNAP" cat "$a" no/such.entry
	expect_stderr_match "no entry 'no/such.entry' in '$a'"
done

expect_exit 0 "$HIVESNAP" cat --json "$good" mongo/neural_hive/coll.bson
/usr/bin/python3 - "$tmp/out" <<'PY' || fail "cat --json of BSON"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 3, lines
for i, line in enumerate(lines, 1):
    d = json.loads(line)
    assert d == {"_id": {"$numberInt": str(i)}, "name": "doc-%d" % i}, d
PY
echo "ok: cat --json renders BSON as canonical Extended JSON, one document per line"
expect_exit 0 "$HIVESNAP" cat --json "$good" redis/db0.jsonl
cmp -s "$tmp/out" "$tmp/in/db0.jsonl" || fail "cat --json of a .jsonl entry is not the entry"

# bad BSON in an intact archive (checksums, manifest and index consistent):
# a length below 5, a length above 16 MiB + 16 KiB, an unknown element type
# at the top and in a nested document, a truncated last document: 65, as
# for restore and diff (one reading, src/sources/mongo/mongo_bson.c)
printf '\003\000\000\000' >"$tmp/short.bson"
printf '\377\377\377\177\000\000\000\000' >"$tmp/huge.bson"
printf '\014\000\000\000\077a\000\001\000\000\000\000' >"$tmp/garbage.bson"
printf '\024\000\000\000\003s\000\014\000\000\000\102a\000\001\000\000\000\000\000' >"$tmp/nested.bson"
head -c 20 "$tmp/in/coll.bson" >"$tmp/cut.bson"
{ cat "$tmp/in/coll.bson"; head -c 20 "$tmp/in/coll.bson"; } >"$tmp/cutlast.bson"
mk_archive "$tmp/badbson.tar.zst" "a/short.bson=@$tmp/short.bson" "a/huge.bson=@$tmp/huge.bson" \
	"a/garbage.bson=@$tmp/garbage.bson" "a/nested.bson=@$tmp/nested.bson" "a/cut.bson=@$tmp/cut.bson" \
	"a/cutlast.bson=@$tmp/cutlast.bson"
for b in short huge garbage nested cut cutlast; do
	expect_exit 65 "$HIVESNAP" cat --json "$tmp/badbson.tar.zst" "a/$b.bson"
	expect_stderr_match "bad BSON in 'a/$b.bson': document [0-9]+ at byte [0-9]+: "
done
expect_exit 65 "$HIVESNAP" cat --json "$tmp/badbson.tar.zst" a/nested.bson
expect_stderr_match "document 1 at byte 0: unknown element type \(its byte 11\)"
expect_exit 65 "$HIVESNAP" cat --json "$tmp/badbson.tar.zst" a/cutlast.bson
expect_stderr_match "document 4 at byte [0-9]+: truncated: the entry ends after 20 of its [0-9]+ bytes"
[[ $(wc -l <"$tmp/out") == 3 ]] || fail "cat --json did not print the 3 good documents before the cut one"
# bad BSON in a damaged entry (its checksum fails): the damage is what is reported, 4
for k in 1 0; do
	rewrite "$good" "$tmp/badsum$k.tar.zst" 'd.replace(b"\x02name\x00\x06\x00\x00\x00doc-2", b"\x42name\x00\x06\x00\x00\x00doc-2")' $k
	expect_exit 4 "$HIVESNAP" cat --json "$tmp/badsum$k.tar.zst" mongo/neural_hive/coll.bson
	expect_stderr_match 'checksum|sha256|SHA256'
done
echo "ok: cat --json: bad BSON is 65 naming the document and byte, a damaged entry 4"
expect_exit 0 "$HIVESNAP" cat "$tmp/badbson.tar.zst" a/short.bson
cmp -s "$tmp/out" "$tmp/short.bson" || fail "cat without --json did not print the bytes"

# a changed byte: with the index frame the entry's checksum fails at its end,
# without it at the end of the archive; both are 4
expect_exit 4 "$HIVESNAP" cat "$tmp/bad/flipped.tar.zst" k8s/ns/logs/pod/c.log
expect_stderr_match 'c\.log|checksum|sha'
expect_exit 4 "$HIVESNAP" cat "$tmp/bad/flipped-noindex.tar.zst" k8s/ns/logs/pod/c.log
for f in random plain zflip truncated; do
	expect_exit 4 "$HIVESNAP" cat "$tmp/bad/$f.tar.zst" k8s/ns/logs/pod/c.log
done
expect_exit 65 "$HIVESNAP" cat "$tmp/bad/v2.tar.zst" redis/db0.jsonl
expect_exit 3 "$HIVESNAP" cat "$tmp/missing.tar.zst" x
expect_exit 64 "$HIVESNAP" cat "$good"
expect_exit 64 "$HIVESNAP" cat "$good" a b
expect_exit 64 "$HIVESNAP" cat --raw "$good" a
expect_exit 0 "$HIVESNAP" cat --help
expect_stdout_match '^usage: hivesnap cat ARCHIVE ENTRY'
if [[ -w /dev/full ]]; then
	got=0
	"$HIVESNAP" cat "$good" k8s/ns/logs/pod/c.log >/dev/full 2>/dev/null || got=$?
	[[ $got == 3 ]] || fail "cat to /dev/full exited $got, want 3"
	echo "ok: cat to a full disk -> 3"
fi
