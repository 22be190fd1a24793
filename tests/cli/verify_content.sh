#!/usr/bin/env bash
# `verify` reads the CONTENT of a snapshot's entries the way restore,
# rollback, diff and cat read it (issue #26: bad data is exit 65 everywhere).
# Each hostile archive is a good one with one entry replaced and everything
# else re-made consistent as an attacker would (tests/tools/hs_repack.py:
# the entry's size and SHA-256 in the manifest, SHA256SUMS, the index
# frame), so only a content check can catch it.  For each: exit 65, one
# "FAILED ARCHIVE: reason" line naming the entry and where in it (document
# and byte, line).  Also: the good archive verifies 0; --json reports 65; a
# damaged container (checksum, manifest) is reported before bad content; a
# bundle's entries are not read as a snapshot's.
source "$(dirname "$0")/lib.sh"
: "${HS_SRC:?}"

in=$tmp/in
mkdir -p "$in"
mk_bson "$in/coll.bson"
rec() { # KEY TYPE EXPIRY VALUE: one redis record
	printf '{"key":"%s","type":"%s","expire_at_ms":%s,"value":%s}\n' "$1" "$2" "$3" "$4"
}
{
	rec a string null '"1"'
	rec b hash 1900000000000 '[["f","v"]]'
	rec c list null '["x","y"]'
	rec d zset null '[["m",1.5]]'
	rec e set null '["s"]'
} >"$in/db0.jsonl"
cm() { # NS NAME
	printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s","namespace":"%s"},"data":{"k":"v"}}' "$2" "$1"
}
rev() { # N TEMPLATE-METADATA
	printf '{"revision":%s,"template":{"metadata":%s,"spec":{}},"configmaps":["app-config"]}' "$1" "$2"
}
group='{"group":"g1","offsets":[{"topic":"t","partition":0,"offset":5,"timestamp_ms":null}]}'
D=k8s/ns/deployments/web
good=$tmp/good.tar.zst
mk_archive "$good" \
	"mongo/neural_hive/coll.bson=@$in/coll.bson" \
	'mongo/neural_hive/coll.metadata.json={"options":{},"indexes":[],"collectionName":"coll"}' \
	"redis/db0.jsonl=@$in/db0.jsonl" \
	"kafka/groups/g1.json=$group" \
	"k8s/ns/configmaps/app-config.json=$(cm ns app-config)" \
	"$D.json={\"metadata\":{\"name\":\"web\"}}" \
	"$D/revisions/1.json=$(rev 1 '{"labels":{"app":"web"}}')" \
	"k8s/ns/logs/web-1/web.log=not json, not read"

expect_exit 0 "$HIVESNAP" verify "$good"
expect_stdout_match "^ok $good \(9 entries, [0-9]+ bytes\)$"
echo "ok: the good archive verifies"

# hostile NAME ENTRY FILE: good.tar.zst with ENTRY's bytes replaced by FILE's, made consistent
hostile() {
	/usr/bin/python3 "$HS_SRC/tests/tools/hs_repack.py" "$good" "$tmp/$1.tar.zst" "$2=@$3" ||
		fail "hs_repack $1 failed"
}
# refused NAME REGEX: verify exits 65 with one line naming the archive, then matching REGEX
refused() {
	expect_exit 65 "$HIVESNAP" verify "$tmp/$1.tar.zst"
	[[ $(wc -l <"$tmp/out") == 1 ]] || fail "$1: not one line: $(cat "$tmp/out")"
	expect_stdout_match "^FAILED $tmp/$1\.tar\.zst: .*$2"
	# the container is consistent: only the content is bad
	expect_exit 0 "$HIVESNAP" ls "$tmp/$1.tar.zst"
}

# ---------------------------------------------------------------- mongo
# a truncated last document (the entry ends inside document 4)
{ cat "$in/coll.bson"; head -c 20 "$in/coll.bson"; } >"$in/cut-last.bson"
hostile cut-last mongo/neural_hive/coll.bson "$in/cut-last.bson"
refused cut-last "bad BSON in 'mongo/neural_hive/coll.bson': document 4 at byte [0-9]+: truncated: the entry ends after 20 of its [0-9]+ bytes"
# document 2 with an unknown element type (0x42), framed well
/usr/bin/python3 - "$in/coll.bson" "$in/bad-type.bson" <<'PY'
import struct, sys
good = open(sys.argv[1], "rb").read()
n1 = struct.unpack("<i", good[:4])[0]
n2 = struct.unpack("<i", good[n1:n1 + 4])[0]
doc2 = bytearray(good[n1:n1 + n2])
i = doc2.index(b"\x02name\x00")
doc2[i] = 0x42
open(sys.argv[2], "wb").write(good[:n1] + bytes(doc2) + good[n1 + n2:])
PY
hostile bad-type mongo/neural_hive/coll.bson "$in/bad-type.bson"
refused bad-type "bad BSON in 'mongo/neural_hive/coll.bson': document 2 at byte [0-9]+: unknown element type"
# metadata that is not Extended JSON, and an array (libbson alone takes it; restore and diff do not)
printf '{"indexes":[' >"$in/meta-cut.json"
hostile meta-cut mongo/neural_hive/coll.metadata.json "$in/meta-cut.json"
refused meta-cut "entry 'mongo/neural_hive/coll.metadata.json': not Extended JSON"
printf '[{"indexes":[]}]' >"$in/meta-array.json"
hostile meta-array mongo/neural_hive/coll.metadata.json "$in/meta-array.json"
refused meta-array "entry 'mongo/neural_hive/coll.metadata.json': not Extended JSON: not an object"
echo "ok: bad BSON and metadata -> 65 naming the entry, the document and its byte"

# ---------------------------------------------------------------- redis
# redis_case NAME PYCODE REGEX: line 3 of db0.jsonl (L[2], key "c") changed by PYCODE
redis_case() {
	/usr/bin/python3 - "$in/db0.jsonl" "$in/$1.jsonl" "$2" <<'PY'
import sys
src, dst, code = sys.argv[1:4]
L = open(src, "rb").read().rstrip(b"\n").split(b"\n")
def rec(key, typ, exp, value):
    return ('{"key":"%s","type":"%s","expire_at_ms":%s,"value":%s}' % (key, typ, exp, value)).encode()
exec(code)
open(dst, "wb").write(b"\n".join(L) + b"\n")
PY
	hostile "$1" redis/db0.jsonl "$in/$1.jsonl"
	refused "$1" "redis/db0.jsonl line 3: .*$3"
}
redis_case mismatch 'L[2] = rec("c", "hash", "null", "\"x\"")' "the value does not fit type 'hash'"
redis_case badjson-value 'L[2] = rec("c", "list", "null", "[\"a\",}")' "does not fit type 'list'"
redis_case badjson-skipped 'L[2] = L[2][:-1] + b",\"x\":[tru]}"' "not valid JSON"
redis_case expiry-max 'L[2] = rec("c", "string", "9223372036854775807", "\"v\"")' "expire_at_ms is past"
redis_case unsorted 'L[1], L[2] = L[2], L[1]' "not sorted by key"
redis_case duplicate 'L[2] = L[1]' "not sorted by key"
echo "ok: bad redis records -> 65 naming the line and the reason"

# ---------------------------------------------------------------- kafka
printf '{"group":"g1","offsets":[{"topic":"t","partition":-1,"offset":5}]}' >"$in/group.json"
hostile group kafka/groups/g1.json "$in/group.json"
refused group "cannot read 'kafka/groups/g1.json': offset 0 is malformed"
echo "ok: a malformed kafka group -> 65"

# ------------------------------------------------------------------ k8s
cm ns-other app-config >"$in/cm-ns.json"
hostile cm-ns k8s/ns/configmaps/app-config.json "$in/cm-ns.json"
refused cm-ns "'k8s/ns/configmaps/app-config.json' whose metadata.namespace is 'ns-other', not the entry's namespace 'ns': refused"
cm ns other >"$in/cm-name.json"
hostile cm-name k8s/ns/configmaps/app-config.json "$in/cm-name.json"
refused cm-name "whose metadata.name is 'other', not the entry's name 'app-config'"
rev 1 '{"namespace":"kube-system"}' >"$in/rev-ns.json"
hostile rev-ns "$D/revisions/1.json" "$in/rev-ns.json"
refused rev-ns "'$D/revisions/1.json' whose template names namespace 'kube-system', not the Deployment's 'ns'"
rev 2 '{}' >"$in/rev-num.json"
hostile rev-num "$D/revisions/1.json" "$in/rev-num.json"
refused rev-num "whose revision is not 1, the entry's"
printf '[]' >"$in/dep.json"
hostile dep "$D.json" "$in/dep.json"
refused dep "'$D.json', which is not a JSON object"
printf '{"items": [' >"$in/events.json"
/usr/bin/python3 "$HS_SRC/tests/tools/hs_repack.py" "$good" "$tmp/events.tar.zst" "k8s/ns/events.json=@$in/events.json"
refused events "cannot read 'k8s/ns/events.json' in '$tmp/events.tar.zst': not JSON"
echo "ok: k8s objects that disagree with their paths -> 65"

# ----------------------------------------------------------------- --json
expect_exit 65 "$HIVESNAP" verify --json "$good" "$tmp/cut-last.tar.zst" "$tmp/cm-ns.tar.zst"
validate_json verify.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" <<'PY' || fail "verify --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert [x["code"] for x in d] == [0, 65, 65], d
assert d[0]["ok"] and d[0]["entries"] == 9
assert "document 4 at byte" in d[1]["error"] and not d[1]["ok"] and d[1]["entries"] == 0, d[1]
assert "metadata.namespace is 'ns-other'" in d[2]["error"], d[2]
PY
echo "ok: verify --json reports 65 with the reason"

# --------------------------------------------------------- what comes first
# bad content AND a damaged later entry (its checksum fails): the damage, 4
mk_archive "$tmp/both.tar.zst" "mongo/neural_hive/coll.bson=@$in/cut-last.bson" \
	"k8s/ns/logs/p/c.log=MARKER-0123456789-MARKER"
expect_exit 65 "$HIVESNAP" verify "$tmp/both.tar.zst"
rewrite "$tmp/both.tar.zst" "$tmp/both-flipped.tar.zst" 'd.replace(b"MARKER-0123456789", b"MARKER-0123456780")' 1
expect_exit 4 "$HIVESNAP" verify "$tmp/both-flipped.tar.zst"
expect_stdout_match "entry 'k8s/ns/logs/p/c.log': checksum mismatch"
# bad content in the entry whose checksum fails: the checksum, 4
rewrite "$good" "$tmp/sum.tar.zst" 'd.replace(b"\x02name\x00\x06\x00\x00\x00doc-2", b"\x42name\x00\x06\x00\x00\x00doc-2")' 1
expect_exit 4 "$HIVESNAP" verify "$tmp/sum.tar.zst"
expect_stdout_match "entry 'mongo/neural_hive/coll.bson': checksum mismatch"
# bad content and a manifest that lies about its totals: the manifest, 4
remanifest "$tmp/cut-last.tar.zst" "$tmp/totals.tar.zst" 'm["totals"]["bytes"] += 1'
expect_exit 4 "$HIVESNAP" verify "$tmp/totals.tar.zst"
expect_stdout_match 'totals do not match'
# a bundle's entries are diag's collectors' output, not a snapshot's: not read as such
mk_archive "$tmp/bundle.tar.zst" --kind bundle "redis/db0.jsonl=@$in/unsorted.jsonl"
expect_exit 0 "$HIVESNAP" verify "$tmp/bundle.tar.zst"
mk_archive "$tmp/snap.tar.zst" "redis/db0.jsonl=@$in/unsorted.jsonl"
expect_exit 65 "$HIVESNAP" verify "$tmp/snap.tar.zst"
echo "ok: the container's errors come first; bundles are not read as snapshots"

# restore's verifying pass refuses what verify refuses, with the same reason
printf 'name: vc\nredis:\n  uri: redis://127.0.0.1:1/0\n' >"$tmp/profile.yaml"
expect_exit 65 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/mismatch.tar.zst" --only redis
expect_stderr_match "redis/db0.jsonl line 3: the value does not fit type 'hash'"
echo "ok: restore and verify agree"
