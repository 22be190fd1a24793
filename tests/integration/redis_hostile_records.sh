#!/usr/bin/env bash
# Issue #26 (items 2, 6, 8): redis/db0.jsonl records that are malformed in
# their CONTENT, in an archive an attacker made consistent (the entry's
# size and SHA-256 in the manifest, SHA256SUMS and the index frame all
# recomputed), so that only the record reader can catch them.  Each sits
# at line 1200 of 1500+ records, so a restore that found it only while
# writing would have written ~1,000 keys first.  For every case:
#   - verify exits 65 naming the line and the reason (src/cmd_verify.c);
#   - restore (plan, and --execute) exits 65 in its verifying pass, naming
#     the line and the reason on one line, with no "applied: nothing" /
#     "run the same restore again" report, and the target db is unchanged
#     (DBSIZE, its one key of its own): nothing was written;
#   - diff of the good archive against it, and of it against a copy with
#     another line changed (the bad line then equal on both sides: diff
#     reads equal lines too), exits 65 naming the line: diff refuses
#     exactly what restore refuses (one decoder).  (An entry byte-identical
#     in both archives, same SHA-256, is equal without being read.)
# Cases: a type/value mismatch, invalid JSON in the value and in a member
# restore skips, expire_at_ms 2^63-1 under --redis-ttl relative (Redis:
# "invalid expire time"), a negative expiry, a zset score Redis refuses,
# stream ids XADD refuses, a module DUMP with a wrong CRC, records out of
# key order.  Controls: the good archive, and one with a module-type record
# holding a real DUMP payload, restore in every --redis-ttl mode.
# Runs its OWN redis-server on a private port (never the shared peer).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}" "${HS_SRC:?}"
. "$(dirname "${BASH_SOURCE[0]}")/private_redis.bash"
private_redis_init 26591
private_redis_start --appendonly no

# db 0: what is captured (1500 strings with a TTL, then a hash, a list, a zset, a stream)
for i in $(seq -w 1 1500); do echo "SET hs:s:$i v$i PX 3600000"; done | cli -n 0 >/dev/null
cli -n 0 hset hs:z:hash f1 v1 f2 v2 >/dev/null
cli -n 0 rpush hs:z:list a b c >/dev/null
cli -n 0 zadd hs:z:zset 1.5 m 2 n >/dev/null
cli -n 0 xadd hs:z:stream 1-1 f v >/dev/null
cli -n 0 xgroup create hs:z:stream g 0 >/dev/null
cli -n 5 set mine untouched >/dev/null
cat >"$work/p.yaml" <<EOF
name: redis-hostile
redis:
  uri: redis://127.0.0.1:$port/0
  dbs:
    - db: 0
      patterns: ["hs:*"]
EOF
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis -o "$work/good.tar.zst" >/dev/null || fail "snapshot failed"
# a real DUMP payload (of a string), for a module-type record
/usr/bin/python3 - "$port" >"$work/dump.b64" <<'PY'
import base64, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"*2\r\n$4\r\nDUMP\r\n$9\r\nhs:s:0001\r\n")
d = b""
while b"\r\n" not in d or len(d) < int(d.split(b"\r\n")[0][1:]) + len(d.split(b"\r\n")[0]) + 4:
    d += s.recv(4096)
hdr, rest = d.split(b"\r\n", 1)
print(base64.b64encode(rest[: int(hdr[1:])]).decode())
PY

# hostile IN OUT PYCODE [REASON]: IN with its redis/db0.jsonl changed by
# PYCODE (python statements on L, the list of record lines without their
# newlines; rec(key, type, exp, value) makes one), re-made consistent the
# way an attacker would (tests/tools/hs_repack.py: the entry's size and
# SHA-256 in the manifest, SHA256SUMS and the index frame).  verify passes
# it, or with REASON refuses line 1200 for it (65): the container is
# consistent (its errors would come first), only the content is bad.
hostile() {
	zstd -dcq "$1" | tar -xO redis/db0.jsonl >"$work/in.jsonl"
	/usr/bin/python3 - "$work/in.jsonl" "$work/out.jsonl" "$3" "$(cat "$work/dump.b64")" <<'PY'
import sys
src, dst, code, dump = sys.argv[1:5]
L = open(src, "rb").read().rstrip(b"\n").split(b"\n")
def rec(key, typ, exp, value):
    return ('{"key":"%s","type":"%s","expire_at_ms":%s,"value":%s}' % (key, typ, exp, value)).encode()
n0 = len(L)
exec(code)
assert len(L) == n0, "a case replaces records, it does not add any"
open(dst, "wb").write(b"\n".join(L) + b"\n")
PY
	/usr/bin/python3 "$HS_SRC/tests/tools/hs_repack.py" "$1" "$2" "redis/db0.jsonl=@$work/out.jsonl"
	if [[ -z ${4:-} ]]; then
		"$HIVESNAP" verify "$2" >"$work/verr" 2>&1 || fail "hostile $2: not consistent: $(cat "$work/verr")"
		return
	fi
	set +e
	"$HIVESNAP" verify "$2" >"$work/verr" 2>&1
	rc=$?
	set -e
	[[ $rc == 65 ]] && grep -q "^FAILED $2: redis/db0.jsonl line 1200: .*$4" "$work/verr" ||
		fail "verify $2: exit $rc, want 65 naming line 1200 and '$4': $(cat "$work/verr")"
}

# name | PYCODE (line 1200 is L[1199], the string hs:s:1200) | the reason | restore flags
cases=$(cat <<'EOF'
mismatch|L[1199] = rec("hs:s:1200", "hash", "null", '"x"')|does not fit type 'hash'|
badjson-value|L[1199] = rec("hs:s:1200", "list", "null", '["a",}')|does not fit type 'list'|
badjson-skipped|L[1199] = L[1199][:-1] + b',"x":[tru]}'|not valid JSON|
expiry-max|L[1199] = rec("hs:s:1200", "string", "9223372036854775807", '"v"')|expire_at_ms is past|--redis-ttl relative
expiry-negative|L[1199] = rec("hs:s:1200", "string", "-1", '"v"')|expire_at_ms is negative|
zset-score|L[1199] = rec("hs:s:1200", "zset", "null", '[["m",1e999]]')|out of the range of a double|
stream-ids|L[1199] = rec("hs:s:1200", "stream", "null", '{"last_id":"9-0","entries":[["2-0",["f","v"]],["1-0",["f","v"]]],"groups":[]}')|not in increasing order|
dump-crc|L[1199] = rec("hs:s:1200", "mytype", "null", '{"$dump":"%s"}' % base64x(dump))|CRC-64 does not match|
unsorted|L[1198], L[1199] = L[1199], L[1198]|not sorted by key|
EOF
)
# base64x: the payload with one byte flipped (its CRC then wrong)
prelude='import base64
def base64x(b):
    p = bytearray(base64.b64decode(b)); p[2] ^= 1
    return base64.b64encode(bytes(p)).decode()
'
target_ok() {
	[[ $(cli -n 5 dbsize) == 1 && $(cli -n 5 get mine) == untouched ]] ||
		fail "$1 changed db 5: $(cli -n 5 dbsize) keys: $(cli -n 5 --scan | head -5 | tr '\n' ' ')"
}
while IFS='|' read -r name code want flags; do
	hostile "$work/good.tar.zst" "$work/$name.tar.zst" "$prelude$code" "$want"
	for ex in "" --execute; do
		set +e
		# shellcheck disable=SC2086
		"$HIVESNAP" restore "$work/$name.tar.zst" -p "$work/p.yaml" --only redis \
			--to-redis "redis://127.0.0.1:$port/5" $flags $ex >"$work/out" 2>"$work/err"
		rc=$?
		set -e
		[[ $rc == 65 ]] || fail "restore $ex $flags of $name: exit $rc, want 65: $(cat "$work/err")"
		grep -q "redis/db0.jsonl line 1200: .*$want" "$work/err" ||
			fail "restore $ex of $name: error does not name line 1200 and '$want': $(cat "$work/err")"
		[[ $(wc -l <"$work/err") == 1 ]] || fail "restore $ex of $name: not one error line: $(cat "$work/err")"
		! grep -qE "applied: nothing|run the same restore again" "$work/out" "$work/err" ||
			fail "restore $ex of $name reports a partial apply: $(cat "$work/out" "$work/err")"
		[[ ! -s $work/out ]] || fail "restore $ex of $name printed a plan: $(cat "$work/out")"
		target_ok "restore $ex of $name"
	done
	# the same bad line in both (another line changed, so the entries differ and are merged)
	hostile "$work/$name.tar.zst" "$work/$name-b.tar.zst" 'L[0] = rec("hs:s:0001", "string", "null", "\"changed\"")' "$want"
	for pair in "good.tar.zst $name.tar.zst B" "$name.tar.zst $name-b.tar.zst A"; do
		read -r a b side <<<"$pair"
		set +e
		"$HIVESNAP" diff "$work/$a" "$work/$b" >"$work/out" 2>"$work/err"
		rc=$?
		set -e
		[[ $rc == 65 ]] || fail "diff $a $b: exit $rc, want 65: $(cat "$work/err")"
		grep -q "of $side: line 1200.*$want" "$work/err" ||
			fail "diff $a $b: error does not name line 1200 of $side and '$want': $(cat "$work/err")"
	done
	echo "ok: $name: verify, restore (plan, --execute) and diff refuse line 1200 ($want), nothing written"
done <<<"$cases"

# controls: the good archive, and a module-type record with a real DUMP, restore in every TTL mode
hostile "$work/good.tar.zst" "$work/module.tar.zst" 'L[1199] = rec("hs:s:1200", "mytype", "null", "{\"$dump\":\"%s\"}" % dump)'
for ttl in absolute relative none; do
	cli -n 6 flushdb >/dev/null
	"$HIVESNAP" restore "$work/module.tar.zst" -p "$work/p.yaml" --only redis --to-redis "redis://127.0.0.1:$port/6" \
		--redis-ttl "$ttl" --execute >"$work/out" 2>"$work/err" || fail "restore --redis-ttl $ttl of module: $(cat "$work/err")"
	[[ $(cli -n 6 dbsize) == 1504 && $(cli -n 6 get hs:s:1200) == v0001 && $(cli -n 6 xlen hs:z:stream) == 1 ]] ||
		fail "restore --redis-ttl $ttl: db 6 holds $(cli -n 6 dbsize) keys, hs:s:1200 $(cli -n 6 get hs:s:1200)"
	case $ttl in
	none) [[ $(cli -n 6 pttl hs:s:0001) == -1 ]] || fail "--redis-ttl none kept an expiry" ;;
	*) (($(cli -n 6 pttl hs:s:0001) > 0)) || fail "--redis-ttl $ttl lost the expiry" ;;
	esac
done
"$HIVESNAP" restore "$work/good.tar.zst" -p "$work/p.yaml" --only redis --to-redis "redis://127.0.0.1:$port/7" \
	--redis-ttl relative --execute >"$work/out" 2>"$work/err" || fail "restore of the good archive: $(cat "$work/err")"
[[ $(cli -n 7 dbsize) == 1504 ]] || fail "the good archive restored $(cli -n 7 dbsize) keys"
target_ok "the controls"
echo "ok: the good archive and a real module DUMP record restore in every --redis-ttl mode"
