#!/usr/bin/env bash
# `hivesnap diff A B`: equal archives exit 0 with no changes, entries added /
# removed / changed by sha256, Redis dbs key by key (--details, --limit,
# --only, --json with schemas/diff.schema.json), a corrupt archive exits 4
# before anything is printed, usage errors exit 64.
source "$(dirname "$0")/lib.sh"
mk_sample
mk_bad
good=$tmp/good.tar.zst
in=$tmp/in

# the same data captured at another time (header and redis/server.json differ)
mk_archive "$tmp/same.tar.zst" --created-at 1700000000 --label other \
	"mongo/neural_hive/coll.bson=@$in/coll.bson" \
	"mongo/neural_hive/coll.metadata.json=@$in/coll.metadata.json" \
	"redis/db0.jsonl=@$in/db0.jsonl" \
	"redis/server.json={\"role\":\"master\",\"master_repl_offset\":42}" \
	"k8s/ns/logs/pod/c.log=@$in/big.log"
expect_exit 0 "$HIVESNAP" diff "$good" "$tmp/same.tar.zst"
expect_stdout_match "^equal: "
expect_exit 0 "$HIVESNAP" diff --json "$good" "$tmp/same.tar.zst"
validate_json diff.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" <<'PY' || fail "diff --json of equal archives"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["equal"] is True and d["changes"] == [], d
assert d["entries"] == {"added": 0, "removed": 0, "changed": 0}, d
PY
echo "ok: equal archives -> 0, equal: true, no changes"

# B: key a changed value, b added, c removed (expiry of d changed); coll.bson
# changed; the metadata removed; a Kafka group added; the log unchanged
printf '%s\n' '{"key":"a","type":"string","expire_at_ms":null,"value":"x"}' \
	'{"key":"c","type":"string","expire_at_ms":null,"value":"gone"}' \
	'{"key":"d","type":"hash","expire_at_ms":1000,"value":[["f","v"]]}' >"$in/a0.jsonl"
printf '%s\n' '{"key":"a","type":"string","expire_at_ms":null,"value":"y"}' \
	'{"key":"b","type":"string","expire_at_ms":null,"value":"new"}' \
	'{"key":"d","type":"hash","expire_at_ms":5000,"value":[["f","v"]]}' \
	'{"key":{"$base64":"/w=="},"type":"set","expire_at_ms":null,"value":["m"]}' >"$in/b0.jsonl"
# coll.bson (_id 1, 2, 3) -> other.bson: 1 unchanged, 2 name changed and x added,
# 3 removed, "k" (a string sorts after every number) added
/usr/bin/python3 - "$in/other.bson" "$in/unsorted.bson" <<'PY'
import struct, sys
def el_int(k, v): return b"\x10" + k + b"\x00" + struct.pack("<i", v)
def el_str(k, v):
    v = v.encode(); return b"\x02" + k + b"\x00" + struct.pack("<i", len(v) + 1) + v + b"\x00"
def doc(*els):
    body = b"".join(els); return struct.pack("<i", 4 + len(body) + 1) + body + b"\x00"
open(sys.argv[1], "wb").write(doc(el_int(b"_id", 1), el_str(b"name", "doc-1")) +
    doc(el_int(b"_id", 2), el_str(b"name", "two"), el_int(b"x", 7)) +
    doc(el_str(b"_id", "k"), el_str(b"name", "doc-k")))
open(sys.argv[2], "wb").write(doc(el_str(b"_id", "k")) + doc(el_int(b"_id", 9)))
PY
g1a='{"group":"g1","state":"Stable","members":[{"member_id":"m1"}],"offsets_time_ms":1,"offsets":[
 {"topic":"t","partition":0,"offset":10,"metadata":"","log_start":0,"log_end":12,"lag":2},
 {"topic":"t","partition":1,"offset":5,"metadata":"","log_start":0,"log_end":5,"lag":0},
 {"topic":"u","partition":0,"offset":1,"metadata":"","log_start":0,"log_end":1,"lag":0}]}'
g1b='{"group":"g1","state":"Empty","members":[],"offsets_time_ms":2,"offsets":[
 {"topic":"t","partition":0,"offset":10,"metadata":"","log_start":0,"log_end":12,"lag":2},
 {"topic":"t","partition":1,"offset":9,"metadata":"","log_start":0,"log_end":20,"lag":11},
 {"topic":"v","partition":3,"offset":0,"metadata":"","log_start":0,"log_end":0,"lag":0}]}'
g2='{"group":"g2","state":"Empty","members":[],"offsets_time_ms":1,"offsets":[]}'
mk_archive "$tmp/ka.tar.zst" "kafka/groups/g1.json=$g1a" "kafka/groups/g2.json=$g2"
mk_archive "$tmp/kb.tar.zst" "kafka/groups/g1.json=$g1b" \
	"kafka/groups/g2.json=${g2/\"offsets_time_ms\":1/\"offsets_time_ms\":9}"
expect_exit 1 "$HIVESNAP" diff --details "$tmp/ka.tar.zst" "$tmp/kb.tar.zst"
expect_stdout_match '^kafka +changed +1 +1 +3  kafka/groups/g1.json$'
grep -q g2.json "$tmp/out" && fail "g2 differs only in offsets_time_ms but is listed: $(cat "$tmp/out")"
expect_stdout_match '^  ~ "state" "Stable" -> "Empty"$'
expect_stdout_match '^  ~ "members" 1 -> 0$'
expect_stdout_match '^  ~ t\[1\] \(offset, log_end, lag\) offset \+4, lag \+11$'
expect_stdout_match '^  - u\[0\]$'
expect_stdout_match '^  \+ v\[3\]$'
grep -q 't\[0\]' "$tmp/out" && fail "the unchanged partition t[0] is listed: $(cat "$tmp/out")"
expect_exit 1 "$HIVESNAP" diff --json --details "$tmp/ka.tar.zst" "$tmp/kb.tar.zst"
validate_json diff.schema.json "$tmp/out"
jq -e '.changes[0].items[] | select(.key == {"topic":"t","partition":1}) | .delta == {"offset":4,"lag":11}' \
	"$tmp/out" >/dev/null || fail "kafka delta in --json: $(cat "$tmp/out")"
echo "ok: Kafka groups: state and member count changes, partitions added, removed, moved (offset and lag deltas)"

cma='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"ns","labels":{"app":"x"}},"data":{"same":"1","app.yaml":"a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n","old":"x"}}'
cmb='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"ns","labels":{"app":"y"}},"data":{"same":"1","app.yaml":"a: 1\nb: 2\nc: 30\nd: 4\ne: 5\n","new":"z"}}'
depa='{"kind":"Deployment","metadata":{"name":"api","namespace":"ns","annotations":{"deployment.kubernetes.io/revision":"3"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"api","image":"api:1.0","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"resources":{"limits":{"cpu":"500m"}}},{"name":"side","image":"side:1"}]}}}}'
depb='{"kind":"Deployment","metadata":{"name":"api","namespace":"ns","annotations":{"deployment.kubernetes.io/revision":"4"}},"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"side","image":"side:1"},{"name":"api","image":"api:1.1","env":[{"name":"B","value":"2"},{"name":"A","value":"9"},{"name":"C","value":"3"}],"resources":{"limits":{"cpu":"1"}}}]}}}}'
mk_archive "$tmp/k8a.tar.zst" "k8s/ns/configmaps/cfg.json=$cma" "k8s/ns/deployments/api.json=$depa" \
	"k8s/ns/deployments/api/revisions/3.json={}"
mk_archive "$tmp/k8b.tar.zst" "k8s/ns/configmaps/cfg.json=$cmb" "k8s/ns/deployments/api.json=$depb" \
	"k8s/ns/deployments/api/revisions/3.json={}" "k8s/ns/deployments/api/revisions/4.json={}"
expect_exit 1 "$HIVESNAP" diff --details "$tmp/k8a.tar.zst" "$tmp/k8b.tar.zst"
expect_stdout_match '^k8s +changed +1 +1 +2  k8s/ns/configmaps/cfg.json$'
expect_stdout_match '^k8s +changed +1 +0 +5  k8s/ns/deployments/api.json$'
expect_stdout_match '^k8s +added +- +- +-  k8s/ns/deployments/api/revisions/4.json$'
expect_stdout_match '^  ~ "data.app.yaml"$'
expect_stdout_match '^      @@ -1,5 \+1,5 @@$'
expect_stdout_match '^      -c: 3$'
expect_stdout_match '^      \+c: 30$'
expect_stdout_match '^  - "data.old"$'
expect_stdout_match '^  \+ "data.new"$'
expect_stdout_match '^  ~ "metadata.labels.app" "x" -> "y"$'
expect_stdout_match '^  ~ "spec.replicas" 2 -> 3$'
expect_stdout_match '^  ~ "spec.template.spec.containers\[api\].image" "api:1.0" -> "api:1.1"$'
expect_stdout_match '^  ~ "spec.template.spec.containers\[api\].env\[A\].value" "1" -> "9"$'
expect_stdout_match '^  \+ "spec.template.spec.containers\[api\].env\[C\]" \{"name":"C","value":"3"\}$'
expect_stdout_match '^  ~ "spec.template.spec.containers\[api\].resources.limits.cpu" "500m" -> "1"$'
expect_stdout_match '^  ~ "metadata.annotations.deployment.kubernetes.io/revision" "3" -> "4"$'
grep -qE 'data.same|containers\[side\]|env\[B\]' "$tmp/out" && fail "unchanged keys or fields are listed: $(cat "$tmp/out")"
expect_exit 1 "$HIVESNAP" diff --json --details "$tmp/k8a.tar.zst" "$tmp/k8b.tar.zst"
validate_json diff.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" <<'PY' || fail "k8s --json: $(cat "$tmp/out")"
import json, os, subprocess, sys, tempfile
d = json.load(open(sys.argv[1]))
cm = [c for c in d["changes"] if c["entry"] == "k8s/ns/configmaps/cfg.json"][0]
it = [i for i in cm["items"] if i["key"] == "data.app.yaml"][0]
a, b = "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n", "a: 1\nb: 2\nc: 30\nd: 4\ne: 5\n"
# the unified diff applies: patch turns a into b
with tempfile.TemporaryDirectory() as t:
    open(os.path.join(t, "f"), "w").write(a)
    open(os.path.join(t, "p"), "w").write("--- f\n+++ f\n" + it["diff"])
    subprocess.run(["patch", "-s", os.path.join(t, "f"), os.path.join(t, "p")], check=True)
    assert open(os.path.join(t, "f")).read() == b
PY
echo "ok: k8s ConfigMaps key by key with an applicable unified diff; Deployments field by field (images, env by name, resources, replicas); revisions added"

# many changed entries share one spool file per side: 300 changed ConfigMaps under 64 descriptors
ma=() mb=()
for i in $(seq 1 300); do
	ma+=("k8s/ns/configmaps/c$i.json={\"data\":{\"k\":\"a$i\"}}")
	mb+=("k8s/ns/configmaps/c$i.json={\"data\":{\"k\":\"b$i\"}}")
done
mk_archive "$tmp/many-a.tar.zst" "${ma[@]}"
mk_archive "$tmp/many-b.tar.zst" "${mb[@]}"
expect_exit 1 bash -c 'ulimit -n 64 && exec "$@"' - "$HIVESNAP" diff --json "$tmp/many-a.tar.zst" "$tmp/many-b.tar.zst"
[[ $(jq '[.changes[] | select(.changed == 1)] | length' "$tmp/out") == 300 ]] ||
	fail "300 changed ConfigMaps: $(head -c 600 "$tmp/out")"
echo "ok: 300 changed entries compared with 64 file descriptors"

# collection metadata: options and indexes (by name) field by field; the uuid alone is no change
meta() { # UUID EXPIRE EXTRA_INDEX
	printf '{"collectionName":"c","type":"collection","uuid":"%s","options":{"validationLevel":"strict"%s},"indexes":[{"v":2,"key":{"_id":1},"name":"_id_"}%s]}' "$1" "$2" "$3"
}
mk_archive "$tmp/ma.tar.zst" "mongo/d/c.metadata.json=$(meta u1 '' '')"
mk_archive "$tmp/mu.tar.zst" "mongo/d/c.metadata.json=$(meta u2 '' '')"
mk_archive "$tmp/mb.tar.zst" "mongo/d/c.metadata.json=$(meta u2 ',"capped":false' ',{"v":2,"key":{"k":1},"name":"k_1","unique":true}')"
expect_exit 0 "$HIVESNAP" diff "$tmp/ma.tar.zst" "$tmp/mu.tar.zst"
expect_exit 1 "$HIVESNAP" diff --details "$tmp/ma.tar.zst" "$tmp/mb.tar.zst"
expect_stdout_match '^mongo +changed +2 +0 +0  mongo/d/c.metadata.json$'
expect_stdout_match '^  \+ "options.capped" false$'
expect_stdout_match '^  \+ "indexes\[k_1\]" \{"v":2,"key":\{"k":1\},"name":"k_1","unique":true\}$'
grep -q uuid "$tmp/out" && fail "the uuid is compared: $(cat "$tmp/out")"
echo "ok: collection options and indexes compared by name; a new uuid alone (restore) is no change"

mk_archive "$tmp/a.tar.zst" \
	"mongo/neural_hive/coll.bson=@$in/coll.bson" \
	"mongo/neural_hive/coll.metadata.json=@$in/coll.metadata.json" \
	"redis/db0.jsonl=@$in/a0.jsonl" \
	"k8s/ns/logs/pod/c.log=@$in/big.log"
mk_archive "$tmp/b.tar.zst" \
	"mongo/neural_hive/coll.bson=@$in/other.bson" \
	"redis/db0.jsonl=@$in/b0.jsonl" \
	"kafka/groups/g1.json={}" \
	"k8s/ns/logs/pod/c.log=@$in/big.log"

expect_exit 1 "$HIVESNAP" diff "$tmp/a.tar.zst" "$tmp/b.tar.zst"
[[ $(head -n1 "$tmp/out") =~ ^SOURCE\ +CHANGE\ +ADDED\ +REMOVED\ +CHANGED\ +ENTRY$ ]] ||
	fail "the summary table does not come first: $(cat "$tmp/out")"
expect_stdout_match "^redis +changed +2 +1 +2  redis/db0.jsonl$"
expect_stdout_match "^mongo +changed +1 +1 +1  mongo/neural_hive/coll.bson$"
expect_stdout_match "^mongo +removed +- +- +-  mongo/neural_hive/coll.metadata.json$"
expect_stdout_match "^kafka +added +- +- +-  kafka/groups/g1.json$"
# the built-in profile's db 0 patterns match none of these keys: all under "(other)"
expect_stdout_match "^ +pattern +2 +1 +2    \(other\)$"
[[ $(wc -l <"$tmp/out") -eq 6 ]] || fail "diff lists more than the 4 changed entries (+1 pattern line): $(cat "$tmp/out")"
grep -q 'c.log' "$tmp/out" && fail "the unchanged log is listed: $(cat "$tmp/out")"
grep -q '"a"' "$tmp/out" && fail "keys are listed without --details: $(cat "$tmp/out")"
echo "ok: the summary table lists each added, removed and changed entry once"

expect_exit 1 "$HIVESNAP" diff --details "$tmp/a.tar.zst" "$tmp/b.tar.zst"
expect_stdout_match '^  ~ "a" \(value\)$'
expect_stdout_match '^  \+ "b"$'
expect_stdout_match '^  - "c"$'
expect_stdout_match '^  ~ "d" \(expire_at_ms\)$'
expect_stdout_match '^  \+ \{"\$base64": ?"/w=="\}$'
expect_stdout_match '^  ~ 2 \(name, x\)$'
expect_stdout_match '^  - 3$'
expect_stdout_match '^  \+ "k"$'
grep -qE '^  . 1( |$)' "$tmp/out" && fail "the unchanged document 1 is listed: $(cat "$tmp/out")"
expect_exit 1 "$HIVESNAP" diff --details --limit 2 "$tmp/a.tar.zst" "$tmp/b.tar.zst"
[[ $(grep -cE '^  [-+~] ' "$tmp/out") -eq 4 ]] || fail "--limit 2 shows: $(cat "$tmp/out")"
expect_stdout_match '^  \.\.\. 3 more$'
expect_stdout_match '^  \.\.\. 1 more$'
echo "ok: --details lists keys and _ids added, removed and changed with the fields that changed; --limit bounds them"

expect_exit 1 "$HIVESNAP" diff --json --details --only mongo "$tmp/a.tar.zst" "$tmp/b.tar.zst"
validate_json diff.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" <<'PY' || fail "diff --json of MongoDB documents"
import json, sys
d = json.load(open(sys.argv[1]))
ch = {c["entry"]: c for c in d["changes"]}
assert set(ch) == {"mongo/neural_hive/coll.bson", "mongo/neural_hive/coll.metadata.json"}, ch.keys()
m = ch["mongo/neural_hive/coll.bson"]
assert (m["added"], m["removed"], m["changed"]) == (1, 1, 1), m
items = [(i["change"], i["key"], i.get("fields")) for i in m["items"]]
assert items == [("changed", 2, ["name", "x"]), ("removed", 3, None), ("added", "k", None)], items
PY
echo "ok: MongoDB documents merged by _id (numbers before strings), changed top-level fields named"

expect_exit 1 "$HIVESNAP" diff --json --details --only redis,kafka "$tmp/a.tar.zst" "$tmp/b.tar.zst"
validate_json diff.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" <<'PY' || fail "diff --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["equal"] is False, d
ch = {c["entry"]: c for c in d["changes"]}
assert set(ch) == {"redis/db0.jsonl", "kafka/groups/g1.json"}, ch.keys()
r = ch["redis/db0.jsonl"]
assert (r["change"], r["added"], r["removed"], r["changed"]) == ("changed", 2, 1, 2), r
items = [(i["change"], i["key"], i.get("fields")) for i in r["items"]]
assert items == [("changed", "a", ["value"]), ("added", "b", None), ("removed", "c", None),
                 ("changed", "d", ["expire_at_ms"]), ("added", {"$base64": "/w=="}, None)], items
k = ch["kafka/groups/g1.json"]
assert k["change"] == "added" and k["source"] == "kafka" and k["added"] is None, k
assert d["entries"] == {"added": 1, "removed": 0, "changed": 1}, d["entries"]
PY
echo "ok: --json --only lists only those sources, keys in key-byte order"

expect_exit 1 "$HIVESNAP" diff "$tmp/b.tar.zst" "$tmp/a.tar.zst" --only mongo
expect_stdout_match "^mongo +added +- +- +-  mongo/neural_hive/coll.metadata.json$"
expect_exit 0 "$HIVESNAP" diff --only k8s "$tmp/a.tar.zst" "$tmp/b.tar.zst"
echo "ok: swapping A and B swaps added and removed; an unchanged source alone is equal"

# a corrupt archive on either side: exit 4, nothing printed as a diff
for bad in flipped flipped-noindex truncated zflip random plain; do
	expect_exit 4 "$HIVESNAP" diff "$tmp/bad/$bad.tar.zst" "$good"
	[[ ! -s $tmp/out ]] || fail "diff printed a report for corrupt $bad: $(cat "$tmp/out")"
	expect_exit 4 "$HIVESNAP" diff --json "$good" "$tmp/bad/$bad.tar.zst"
	[[ ! -s $tmp/out ]] || fail "diff --json printed a report for corrupt $bad: $(cat "$tmp/out")"
done
expect_stderr_match "$tmp/bad/plain.tar.zst"
expect_exit 65 "$HIVESNAP" diff "$good" "$tmp/bad/v2.tar.zst"
expect_exit 3 "$HIVESNAP" diff "$good" "$tmp/missing.tar.zst"
echo "ok: corrupt -> 4 with no report, newer version -> 65, missing file -> 3"

# an unsorted or malformed Redis entry is bad data, not a difference
printf '%s\n' '{"key":"b","type":"string","expire_at_ms":null,"value":"1"}' \
	'{"key":"a","type":"string","expire_at_ms":null,"value":"1"}' >"$in/unsorted.jsonl"
mk_archive "$tmp/unsorted.tar.zst" "redis/db0.jsonl=@$in/unsorted.jsonl"
expect_exit 65 "$HIVESNAP" diff "$tmp/a.tar.zst" "$tmp/unsorted.tar.zst"
expect_stderr_match "redis/db0.jsonl.*line 2 is not sorted by key"
[[ ! -s $tmp/out ]] || fail "diff printed a report for an unsorted db: $(cat "$tmp/out")"
echo "ok: an unsorted Redis entry -> 65 naming the entry and line"

# expiry jitter (TIME + PTTL) within --ttl-tolerance (default 1s) is no change
printf '%s\n' '{"key":"a","type":"string","expire_at_ms":100000,"value":"x"}' >"$in/j1.jsonl"
printf '%s\n' '{"key":"a","type":"string","expire_at_ms":100700,"value":"x"}' >"$in/j2.jsonl"
mk_archive "$tmp/j1.tar.zst" "redis/db0.jsonl=@$in/j1.jsonl"
mk_archive "$tmp/j2.tar.zst" "redis/db0.jsonl=@$in/j2.jsonl"
expect_exit 0 "$HIVESNAP" diff --json "$tmp/j1.tar.zst" "$tmp/j2.tar.zst"
jq -e '.equal == true and .changes == []' "$tmp/out" >/dev/null || fail "jitter 700ms: $(cat "$tmp/out")"
expect_exit 0 "$HIVESNAP" diff --ttl-tolerance 700ms "$tmp/j1.tar.zst" "$tmp/j2.tar.zst"
expect_exit 1 "$HIVESNAP" diff --details --ttl-tolerance 699ms "$tmp/j1.tar.zst" "$tmp/j2.tar.zst"
expect_stdout_match '^  ~ "a" \(expire_at_ms\)$'
expect_exit 1 "$HIVESNAP" diff --ttl-tolerance 0 "$tmp/j1.tar.zst" "$tmp/j2.tar.zst"
expect_exit 0 "$HIVESNAP" diff --ttl-tolerance 1m "$tmp/j1.tar.zst" "$tmp/j2.tar.zst"
expect_exit 64 "$HIVESNAP" diff --ttl-tolerance soon "$tmp/j1.tar.zst" "$tmp/j2.tar.zst"
expect_stderr_match "--ttl-tolerance needs a duration"
echo "ok: expiries within --ttl-tolerance (default 1s) are equal; beyond it they change"

# lines that differ only in the expiry are compared without parsing them (src/sources/redis/diff_redis.c):
# the same answers as parsing, whatever the key holds
cat >"$in/j3.jsonl" <<'JSONL'
{"key":"a","type":"hash","expire_at_ms":100000,"value":[["f","1"]]}
{"key":"b","type":"string","expire_at_ms":100000,"value":"x"}
{"key":"k\",\"expire_at_ms\":1,\"value\":\"","type":"string","expire_at_ms":5,"value":"v"}
{"key":"n","type":"string","expire_at_ms":null,"value":"v"}
{"key":"t","type":"string","expire_at_ms":100000,"value":"v"}
JSONL
cat >"$in/j4.jsonl" <<'JSONL'
{"key":"a","type":"hash","expire_at_ms":100500,"value":[["f","1"]]}
{"key":"b","type":"string","expire_at_ms":100300,"value":"y"}
{"key":"k\",\"expire_at_ms\":1,\"value\":\"","type":"string","expire_at_ms":6,"value":"v"}
{"key":"n","type":"string","expire_at_ms":100000,"value":"v"}
{"key":"t","type":"list","expire_at_ms":100001,"value":["v"]}
JSONL
mk_archive "$tmp/j3.tar.zst" "redis/db0.jsonl=@$in/j3.jsonl"
mk_archive "$tmp/j4.tar.zst" "redis/db0.jsonl=@$in/j4.jsonl"
expect_exit 1 "$HIVESNAP" diff --details "$tmp/j3.tar.zst" "$tmp/j4.tar.zst"
[[ $(grep -c '^  ~ ' "$tmp/out") == 3 ]] || fail "expiry-only lines: $(cat "$tmp/out")"
expect_stdout_match '^  ~ "b" \(value\)$'
expect_stdout_match '^  ~ "n" \(expire_at_ms\)$'
expect_stdout_match '^  ~ "t" \(type, value\)$'
# a leading zero is no JSON number: bad data (65), as when the line is parsed
printf '%s\n' '{"key":"a","type":"hash","expire_at_ms":0100400,"value":[["f","1"]]}' >"$in/j5.jsonl"
mk_archive "$tmp/j5.tar.zst" "redis/db0.jsonl=@$in/j5.jsonl"
expect_exit 65 "$HIVESNAP" diff "$tmp/j3.tar.zst" "$tmp/j5.tar.zst"
echo "ok: records equal but for an expiry within the tolerance are equal without a parse; the rest as parsed"

mk_archive "$tmp/unsorted-mongo.tar.zst" "mongo/neural_hive/coll.bson=@$in/unsorted.bson"
expect_exit 65 "$HIVESNAP" diff "$tmp/a.tar.zst" "$tmp/unsorted-mongo.tar.zst"
expect_stderr_match "coll.bson.*document 2 is not sorted by _id"
[[ ! -s $tmp/out ]] || fail "diff printed a report for an unsorted collection: $(cat "$tmp/out")"
# bytes that are no BSON: a bad length, and a document without _id
printf 'garbage!' >"$in/garbage.bson"
mk_archive "$tmp/garbage.tar.zst" "mongo/neural_hive/coll.bson=@$in/garbage.bson"
expect_exit 65 "$HIVESNAP" diff "$tmp/a.tar.zst" "$tmp/garbage.tar.zst"
expect_stderr_match "cannot diff B: bad BSON in 'mongo/neural_hive/coll.bson': document 1 at byte 0: length"
printf '\x0c\x00\x00\x00\x10n\x00\x01\x00\x00\x00\x00' >"$in/noid.bson"
mk_archive "$tmp/noid.tar.zst" "mongo/neural_hive/coll.bson=@$in/noid.bson"
expect_exit 65 "$HIVESNAP" diff "$tmp/noid.tar.zst" "$tmp/a.tar.zst"
expect_stderr_match "coll.bson' of A: document 1 has no _id"
[[ ! -s $tmp/out ]] || fail "diff printed a report for bad BSON: $(cat "$tmp/out")"
# well framed, _id first and sorted, but document 2 holds an unknown element
# type in a nested document, and then a truncated last one: 65 (was: "changed")
/usr/bin/python3 - "$in/coll.bson" "$in/nested-bad.bson" "$in/cut-last.bson" <<'PY'
import struct, sys
good = open(sys.argv[1], "rb").read()
n1 = struct.unpack("<i", good[:4])[0]
n2 = struct.unpack("<i", good[n1:n1 + 4])[0]
inner = b"\x42a\x00" + struct.pack("<i", 1)
sub = struct.pack("<i", 4 + len(inner) + 1) + inner + b"\x00"
el = b"\x10_id\x00" + struct.pack("<i", 2) + b"\x03s\x00" + sub
doc2 = struct.pack("<i", 4 + len(el) + 1) + el + b"\x00"
open(sys.argv[2], "wb").write(good[:n1] + doc2 + good[n1 + n2:])
open(sys.argv[3], "wb").write(good[:-3])
PY
mk_archive "$tmp/nested-bad.tar.zst" "mongo/neural_hive/coll.bson=@$in/nested-bad.bson"
expect_exit 65 "$HIVESNAP" diff "$tmp/a.tar.zst" "$tmp/nested-bad.tar.zst"
expect_stderr_match "cannot diff B: bad BSON in 'mongo/neural_hive/coll.bson': document 2 at byte [0-9]+: unknown element type"
[[ ! -s $tmp/out ]] || fail "diff printed a report for bad BSON: $(cat "$tmp/out")"
mk_archive "$tmp/cut-last.tar.zst" "mongo/neural_hive/coll.bson=@$in/cut-last.bson"
expect_exit 65 "$HIVESNAP" diff "$tmp/cut-last.tar.zst" "$tmp/a.tar.zst"
expect_stderr_match "cannot diff A: bad BSON in 'mongo/neural_hive/coll.bson': document 3 at byte [0-9]+: truncated"
echo "ok: an unsorted collection -> 65 naming the entry and document"

expect_exit 64 "$HIVESNAP" diff "$good"
expect_exit 64 "$HIVESNAP" diff "$good" "$good" "$good"
expect_exit 64 "$HIVESNAP" diff --only nosuch "$good" "$good"
expect_stderr_match "unknown source 'nosuch'"
expect_exit 64 "$HIVESNAP" diff --limit -1 "$good" "$good"
expect_exit 64 "$HIVESNAP" diff --limit "$good"
expect_exit 64 "$HIVESNAP" diff --bogus "$good" "$good"
expect_exit 64 "$HIVESNAP" diff --live "$good" "$good"
expect_stderr_match "--live needs one archive A"
# a corrupt A is refused before anything is captured (the profile points nowhere)
printf 'name: nowhere\nredis:\n  uri: redis://127.0.0.1:1/0\n' >"$tmp/nowhere.yaml"
expect_exit 4 "$HIVESNAP" diff --live -p "$tmp/nowhere.yaml" "$tmp/bad/flipped.tar.zst"
[[ ! -s $tmp/out ]] || fail "diff --live printed a report for a corrupt A"
expect_exit 3 "$HIVESNAP" diff --live -p "$tmp/nowhere.yaml" --only redis "$good"
expect_stderr_match "live capture failed"
[[ ! -s $tmp/out ]] || fail "diff --live printed a report after a failed capture"
echo "ok: usage errors -> 64"
