#!/usr/bin/env bash
# Redis capture and restore on the real Redis peer, in dbs 11-13 only (the
# seed lives in 0 and 1; these are flushed before and after):
#  - every type, binary keys and values (NUL, invalid UTF-8), empty values,
#    a 1,000,000-field hash, a stream with a consumer group, TTLs;
#  - records sorted by key bytes, exact values (zset scores included);
#  - restore into another db: a second snapshot of the target equals the
#    first; the plan changes nothing; --redis-ttl absolute skips a key that
#    expired since the snapshot, relative and none;
#  - merge keeps extra keys, replace deletes exactly the extra keys that
#    match the capture's patterns;
#  - keys expiring during the scan are counted, not errors; with a tiny
#    sort memory the records are spilled in runs and still come out sorted.
# Needs the env of `scripts/peers.sh env`.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
: "${HIVESNAP:?}" "${HS_SCHEMAS:?}"
: "${HIVESNAP_REDIS_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
hostport=${HIVESNAP_REDIS_URI#redis://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
base="redis://$hostport"
rcli=redis-cli
[[ -n ${PEERS_BIN:-} && -x $PEERS_BIN/redis-cli ]] && rcli=$PEERS_BIN/redis-cli
cli() { "$rcli" -h "$host" -p "$port" "$@"; }
[[ $(cli ping) == PONG ]] || fail "redis at $hostport does not answer"

restore() { "$HIVESNAP" restore "$@"; }

work=$(mktemp -d)
cleanup() {
	for db in 11 12 13; do cli -n $db flushdb >/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
for db in 11 12 13; do cli -n $db flushdb >/dev/null; done

# One RESP command; arguments are printf %b strings, so \0 and \xHH work.
resp() {
	local a n
	printf '*%d\r\n' $#
	for a in "$@"; do
		n=$(printf '%b' "$a" | wc -c)
		printf '$%d\r\n' "$n"
		printf '%b' "$a"
		printf '\r\n'
	done
}
{
	resp SET 'hs:str1' 'hello'
	resp SET 'hs:empty' ''
	resp SET 'hs:nul' 'a\0b\0'
	resp SET 'hs:bad-utf8' 'x\xff\xfe\xc3('
	resp SET 'hs:bin-key-\0-\xff' 'v'
	resp SET 'hs:utf8' 'caf\xc3\xa9 \xe2\x82\xac'
	resp HSET 'hs:hash' 'f1' 'v1' 'empty' '' 'bin\xff' 'val\0ue'
	resp RPUSH 'hs:list' 'c' 'a' 'b' 'a' ''
	resp SADD 'hs:set' 'm3' 'm1' 'm2' '\xff'
	resp ZADD 'hs:zset' '1.5' 'a' '-inf' 'low' 'inf' 'high' '0.1' 'tenth' '3' 'three' '1e-300' 'tiny'
	resp XADD 'hs:stream' '1-1' 'f' 'v'
	resp XADD 'hs:stream' '2-5' 'g' 'w' 'h' '\xff'
	resp XADD 'hs:stream' '3-0' 'i' 'x'
	resp XDEL 'hs:stream' '3-0'
	resp XGROUP CREATE 'hs:stream' 'workers' '1-1'
	resp XGROUP CREATE 'hs:emptystream' 'g0' '$' MKSTREAM
	resp SET 'hs:ttl-long' 'stays' PX 3600000
	resp SET 'other:not-in-pattern' 'x'
} | cli -n 11 --pipe >/dev/null
# a hash of 1,000,000 fields, 1000 per HSET
awk 'BEGIN { for (c = 0; c < 1000; c++) {
	printf "*2002\r\n$4\r\nHSET\r\n$7\r\nhs:big1\r\n"
	for (i = 0; i < 1000; i++) { f = "f" (c * 1000 + i); v = "v" (c * 1000 + i)
		printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(f), f, length(v), v } } }' | cli -n 11 --pipe >/dev/null
[[ $(cli -n 11 hlen hs:big1) == 1000000 ]] || fail "seeding the big hash"
nkeys=$(cli -n 11 --scan --pattern 'hs:*' | wc -l)

profile() { # db
	cat <<EOF
name: redis-it
redis:
  uri: $base/$1
  dbs:
    - db: $1
      patterns: ["hs:*"]
  scan_count: 100
  batch: 7
EOF
}
profile 11 >"$work/p11.yaml"
profile 12 >"$work/p12.yaml"

"$HIVESNAP" snapshot -q -p "$work/p11.yaml" --only redis -o "$work/a.tar.zst" || fail "snapshot exit $?"
tar --zstd -xOf "$work/a.tar.zst" redis/db11.jsonl >"$work/a.jsonl"
tar --zstd -xOf "$work/a.tar.zst" manifest.json >"$work/a.manifest"
[[ $(wc -l <"$work/a.jsonl") == "$nkeys" ]] || fail "archive has $(wc -l <"$work/a.jsonl") records, db 11 has $nkeys hs:* keys"
grep -q other:not-in-pattern "$work/a.jsonl" && fail "a key outside the patterns was captured"
echo "ok: $nkeys records"

grep -v '"key":"hs:big1"' "$work/a.jsonl" >"$work/a-small.jsonl"   # jq is slow on the 1M-field line
rec() { jq -c "select(.key == $1)" "$work/a-small.jsonl"; }
[[ $(rec '"hs:nul"' | jq -c .value) == '"a\u0000b\u0000"' ]] || fail "NUL bytes: $(rec '"hs:nul"')"
[[ $(rec '"hs:bad-utf8"' | jq -r '.value["$base64"]' | base64 -d | od -An -tx1 | tr -d ' \n') == 78fffec328 ]] ||
	fail "invalid UTF-8 value: $(rec '"hs:bad-utf8"')"
[[ $(jq -r 'select(.key | type == "object") | .key["$base64"]' "$work/a-small.jsonl" | base64 -d | od -An -tx1 | tr -d ' \n') == \
	$(printf 'hs:bin-key-\0-\xff' | od -An -tx1 | tr -d ' \n') ]] || fail "binary key"
[[ $(rec '"hs:empty"' | jq -c .value) == '""' ]] || fail "empty string"
[[ $(rec '"hs:hash"' | jq -c .value) == '[[{"$base64":"Ymlu/w=="},"val\u0000ue"],["empty",""],["f1","v1"]]' ]] ||
	fail "hash: $(rec '"hs:hash"' | jq -c .value)"
[[ $(rec '"hs:list"' | jq -c .value) == '["c","a","b","a",""]' ]] || fail "list order"
[[ $(rec '"hs:set"' | jq -c .value) == '["m1","m2","m3",{"$base64":"/w=="}]' ]] || fail "set: $(rec '"hs:set"' | jq -c .value)"
zs=$(grep -F '"key":"hs:zset"' "$work/a.jsonl")
[[ $zs == *'"value":[["low","-inf"],["tiny",1e-300],["tenth",0.1],["a",1.5],["three",3],["high","inf"]]'* ]] ||
	fail "zset scores: $zs"
st=$(rec '"hs:stream"' | jq -c .value)
[[ $(jq -c .entries <<<"$st") == '[["1-1",["f","v"]],["2-5",["g","w","h",{"$base64":"/w=="}]]]' ]] || fail "stream entries: $st"
[[ $(jq -r .last_id <<<"$st") == 3-0 ]] || fail "stream last id: $st"
[[ $(jq -c '.groups' <<<"$st") == '[{"name":"workers","last_delivered_id":"1-1","entries_read":1}]' ]] ||
	[[ $(jq -c '.groups[0].last_delivered_id' <<<"$st") == '"1-1"' ]] || fail "stream groups: $st"
[[ $(grep -F '{"key":"hs:big1",' "$work/a.jsonl" | jq '.value | length') == 1000000 ]] || fail "big hash not whole"
[[ $(rec '"hs:ttl-long"' | jq '.expire_at_ms | type') == '"number"' ]] || fail "expiry missing"
[[ $(rec '"hs:str1"' | jq '.expire_at_ms') == null ]] || fail "expiry on a persistent key"
# sorted by key bytes (the plain keys; C collation is byte order)
jq -r 'select(.key | type == "string") | .key' "$work/a-small.jsonl" >"$work/keys"
LC_ALL=C sort -c "$work/keys" || fail "records are not sorted by key"
[[ $(jq -r .sources.redis.details.point_in_time "$work/a.manifest") == false ]] || fail "manifest does not say SCAN is not point-in-time"
jq -e '.sources.redis.watermark.time_end_ms >= .sources.redis.watermark.time_start_ms' "$work/a.manifest" >/dev/null ||
	fail "watermark window"
tar --zstd -xOf "$work/a.tar.zst" redis/server.json | jq -e '.version and .role and .scan_start.time_ms and .dbsize["11"]' >/dev/null ||
	fail "server.json"
# every record (but the big hash, for speed) validates against the schema
/usr/bin/python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
for n, line in enumerate(sys.stdin, 1):
    jsonschema.validate(json.loads(line), schema, cls=jsonschema.Draft202012Validator)
' "$HS_SCHEMAS/redis-record.schema.json" <"$work/a-small.jsonl" || fail "a record does not validate against redis-record.schema.json"
echo "ok: records exact and valid"

# --- restore into db 12; a snapshot of it equals the first one
before=$(cli -n 12 dbsize)
out=$(restore "$work/a.tar.zst" -p "$work/p11.yaml" --only redis --to-redis "$base/12") || fail "plan exit $?"
[[ $(cli -n 12 dbsize) == "$before" ]] || fail "the plan changed db 12"
[[ $out == *"write $nkeys keys of db 11"* ]] || fail "plan: $out"
restore "$work/a.tar.zst" -p "$work/p11.yaml" --only redis --to-redis "$base/12" --execute --json >"$work/r.json" ||
	fail "restore exit $?"
[[ $(cli -n 12 dbsize) == "$nkeys" ]] || fail "db 12 has $(cli -n 12 dbsize) keys, want $nkeys"
validate_json restore.schema.json "$work/r.json"
jq -e --argjson n "$nkeys" '.exit_code == 0 and .execute and .sources[0].status == "applied" and
	.sources[0].result[0].written == $n and .sources[0].result[0].complete' "$work/r.json" >/dev/null ||
	fail "restore --json: $(jq -c '.sources[0].result' "$work/r.json")"
"$HIVESNAP" snapshot -q -p "$work/p12.yaml" --only redis -o "$work/b.tar.zst" || fail "second snapshot exit $?"
tar --zstd -xOf "$work/b.tar.zst" redis/db12.jsonl >"$work/b.jsonl"
cmp -s "$work/a.jsonl" "$work/b.jsonl" || { diff <(cut -c1-300 "$work/a.jsonl") <(cut -c1-300 "$work/b.jsonl") | head >&2; fail "restored db 12 differs from the snapshot"; }
echo "ok: restore into db 12 round-trips, 1M-field hash and absolute expiry included"
cli -n 12 flushdb >/dev/null

# --- TTL modes on a small archive of db 13: a key expires between snapshot and restore
{
	resp SET 'hs:ttl-short' 'goes' PX 1500
	resp SET 'hs:ttl-long' 'stays' PX 3600000
	resp SET 'hs:plain' 'p'
	resp SET 'hs:str1' 'hello'
} | cli -n 13 --pipe >/dev/null
profile 13 >"$work/p13.yaml"
"$HIVESNAP" snapshot -q -p "$work/p13.yaml" --only redis -o "$work/s.tar.zst" || fail "small snapshot exit $?"
db13=$(tar --zstd -xOf "$work/s.tar.zst" redis/db13.jsonl) || fail "cannot extract redis/db13.jsonl"
grep -q '"key":"hs:ttl-short"' <<<"$db13" || fail "hs:ttl-short not captured"
sleep 2
out=$(restore "$work/s.tar.zst" -p "$work/p13.yaml" --only redis --to-redis "$base/12")
[[ $out == *"write 3 keys"* && $out == *"skip 1 keys"* ]] || fail "plan: $out"
restore "$work/s.tar.zst" -p "$work/p13.yaml" --only redis --to-redis "$base/12" --execute >/dev/null
[[ $(cli -n 12 exists hs:ttl-short) == 0 ]] || fail "an expired key was restored under --redis-ttl absolute"
[[ $(cli -n 12 dbsize) == 3 ]] || fail "absolute: db 12 has $(cli -n 12 dbsize) keys"
t=$(cli -n 12 pttl hs:ttl-long)
((t > 3500000 && t <= 3600000)) || fail "absolute: hs:ttl-long PTTL $t"
echo "ok: absolute skips the expired key"

# --- merge keeps extra keys; replace deletes the extra ones in the patterns only
cli -n 12 set hs:extra1 x >/dev/null
cli -n 12 hset hs:extra2 f v >/dev/null
cli -n 12 set hs:q-extra x >/dev/null     # sorts between archive keys
cli -n 12 set hs:zz-extra x >/dev/null    # sorts after them all
cli -n 12 set keep:other y >/dev/null
cli -n 12 set hs:str1 changed >/dev/null
restore "$work/s.tar.zst" -p "$work/p13.yaml" --only redis --to-redis "$base/12" --redis-mode merge --execute >/dev/null
[[ $(cli -n 12 get hs:str1) == hello && $(cli -n 12 exists hs:extra1 hs:extra2 hs:q-extra hs:zz-extra keep:other) == 5 ]] || fail "merge"
out=$(restore "$work/s.tar.zst" -p "$work/p13.yaml" --only redis --to-redis "$base/12" --redis-mode replace)
[[ $out == *"delete 4 live keys"* ]] || fail "replace plan: $out"
restore "$work/s.tar.zst" -p "$work/p13.yaml" --only redis --to-redis "$base/12" --redis-mode replace --execute >/dev/null
[[ $(cli -n 12 exists hs:extra1 hs:extra2 hs:q-extra hs:zz-extra) == 0 ]] || fail "replace left extra keys"
[[ $(cli -n 12 get keep:other) == y ]] || fail "replace deleted a key outside the patterns"
[[ $(cli -n 12 dbsize) == 4 ]] || fail "replace: db 12 has $(cli -n 12 dbsize) keys"
echo "ok: merge and replace"

# --- --include/--exclude select keys, for writes and for replace's deletions
cli -n 12 flushdb >/dev/null
cli -n 12 set hs:extra3 x >/dev/null
restore "$work/s.tar.zst" -p "$work/p13.yaml" --only redis --to-redis "$base/12" --redis-mode replace \
	--include 'hs:*' --exclude 'hs:ttl-*' --exclude 'hs:extra*' --execute >/dev/null
[[ $(cli -n 12 exists hs:plain hs:str1) == 2 && $(cli -n 12 exists hs:ttl-long) == 0 ]] || fail "--include/--exclude writes"
[[ $(cli -n 12 exists hs:extra3) == 1 ]] || fail "--exclude did not protect hs:extra3 from replace"
echo "ok: include/exclude"

# --- relative and none
cli -n 12 flushdb >/dev/null
restore "$work/s.tar.zst" -p "$work/p13.yaml" --only redis --to-redis "$base/12" --redis-ttl relative --execute >/dev/null
t=$(cli -n 12 pttl hs:ttl-short)
((t > 0 && t <= 1500)) || fail "relative: hs:ttl-short PTTL $t"
cli -n 12 flushdb >/dev/null
restore "$work/s.tar.zst" -p "$work/p13.yaml" --only redis --to-redis "$base/12" --redis-ttl none --execute >/dev/null
[[ $(cli -n 12 pttl hs:ttl-long) == -1 ]] || fail "--redis-ttl none kept an expiry"
echo "ok: relative and none"
cli -n 13 flushdb >/dev/null

# --- bad flags and targets: clear errors, nothing changed
set +e
msg=$(restore "$work/a.tar.zst" -p "$work/p11.yaml" --only redis --to-redis "rediss://u:hunter2@$hostport/12" 2>&1); rc=$?
set -e
[[ $rc == 3 && $msg == *"TLS not supported by this build"* && $msg != *hunter2* ]] || fail "rediss: rc $rc: $msg"
echo "ok: rediss refused"

# an archive of two dbs cannot go into one named db
cat >"$work/p2.yaml" <<EOF
name: redis-it
redis:
  uri: $base/0
  dbs:
    - {db: 11, patterns: ["hs:str*"]}
    - {db: 13, patterns: ["hs:*"]}
EOF
cli -n 13 set hs:one 1 >/dev/null
"$HIVESNAP" snapshot -q -p "$work/p2.yaml" --only redis -o "$work/two.tar.zst" || fail "two-db snapshot exit $?"
set +e
msg=$(restore "$work/two.tar.zst" -p "$work/p2.yaml" --only redis --to-redis "$base/12" 2>&1); rc=$?
set -e
[[ $rc == 64 && $msg == *"more than one redis db"* ]] || fail "two dbs into one: rc $rc: $msg"
cli -n 13 flushdb >/dev/null
echo "ok: two dbs into one named db refused"

# --- keys expiring during the scan are counted, not errors
awk 'function cmd(k, px) {
	if (px) printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n$2\r\nPX\r\n$%d\r\n%s\r\n", length(k), k, length(px ""), px
	else printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n", length(k), k }
	BEGIN { for (i = 1; i <= 3000; i++) cmd("hs:tmp:" i, 1 + i % 300); for (i = 1; i <= 2000; i++) cmd("hs:keep:" i, 0) }' |
	cli -n 13 --pipe >/dev/null
# with a 4 KiB sort memory, so that sorted runs are spilled and merged
HIVESNAP_REDIS_SORT_MEM=4096 "$HIVESNAP" snapshot -q -p "$work/p13.yaml" --only redis -o "$work/c.tar.zst" ||
	fail "snapshot with expiring keys: exit $?"
tar --zstd -xOf "$work/c.tar.zst" redis/db13.jsonl >"$work/c.jsonl"
runs=$(tar --zstd -xOf "$work/c.tar.zst" manifest.json | jq '.sources.redis.details.dbs["13"].sort_runs')
((runs > 10)) || fail "expected spilled sort runs, got $runs"
jq -r .key "$work/c.jsonl" | LC_ALL=C sort -c || fail "merged runs are not sorted"
[[ $(jq -r .key "$work/c.jsonl" | sort | uniq -d | wc -l) == 0 ]] || fail "a key appears twice"
[[ $(grep -c '"key":"hs:keep:' "$work/c.jsonl") == 2000 ]] || fail "persistent keys lost while others expired"
[[ -z $(grep '"key":"hs:tmp:' "$work/c.jsonl" | grep '"expire_at_ms":null') ]] || fail "an expiring key without expiry"
echo "ok: expiring keys during the scan ($(tar --zstd -xOf "$work/c.tar.zst" manifest.json | jq .sources.redis.details.vanished) vanished)"
echo "PASS"
