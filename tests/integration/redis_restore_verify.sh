#!/usr/bin/env bash
# Restore verifies the whole archive before it reaches a target, also now
# that the pass which verifies it plans the redis entries as it reads them
# (src/restore_scan.c): an archive whose redis entries were all read and
# planned, and which turns out bad only AFTER them (a later entry's
# checksum wrong, with and without the index frame), or whose redis entry
# is both malformed and fails its checksum, exits 4 with the checksum
# error, makes no connection to the target and changes nothing there, for
# the plan and for --execute.  The good archive, as a control, restores.
# Runs its OWN redis-server on a private port (never the shared peer).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}"
. "$(dirname "${BASH_SOURCE[0]}")/private_redis.bash"
private_redis_init 26491
private_redis_start --appendonly no

# db 0: what is captured; db 5: the target, holding one key of its own
for i in $(seq 300); do echo "SET hs:s:$i v$i PX 3600000"; done | cli -n 0 >/dev/null
cli -n 0 hset hs:h f1 v1 f2 v2 >/dev/null
cli -n 0 rpush hs:l a b c >/dev/null
cli -n 5 set mine untouched >/dev/null
cat >"$work/p.yaml" <<EOF
name: redis-restore-verify
redis:
  uri: redis://127.0.0.1:$port/0
  dbs:
    - db: 0
      patterns: ["hs:*"]
EOF
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis -o "$work/good.tar.zst" ||
	fail "snapshot failed"
[[ $(zstd -dcq "$work/good.tar.zst" | tar -t | tr '\n' ' ') == "hivesnap.json redis/db0.jsonl redis/server.json manifest.json SHA256SUMS " ]] ||
	fail "unexpected entry order: $(zstd -dcq "$work/good.tar.zst" | tar -t | tr '\n' ' ')"

# rewrite IN OUT PYEXPR KEEPINDEX: the tar changed by a bytes -> bytes python
# expression on d (same length), recompressed; IN's index frame appended when
# KEEPINDEX=1 (the manifest then known from the start: each checksum is checked
# at its entry's end), else none (checked at the end of the archive)
rewrite() {
	zstd -q -dc "$1" >"$work/rw.tar"
	/usr/bin/python3 - "$work/rw.tar" "$3" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
n = eval(sys.argv[2])
assert n != d and len(n) == len(d), "rewrite changed nothing"
open(sys.argv[1], "wb").write(n)
PY
	zstd -q -f "$work/rw.tar" -o "$2"
	if [[ $4 == 1 ]]; then
		/usr/bin/python3 - "$1" "$2" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[-4:] == b"HSNX", "no index frame"
n = struct.unpack("<I", d[-8:-4])[0]
open(sys.argv[2], "ab").write(d[-(n + 16):])
PY
	fi
	rm -f "$work/rw.tar"
}
# a later entry than redis/db0.jsonl: redis/server.json's role
rewrite "$work/good.tar.zst" "$work/late.tar.zst" 'd.replace(b"\"master\"", b"\"mastex\"", 1)' 1
rewrite "$work/good.tar.zst" "$work/late-noindex.tar.zst" 'd.replace(b"\"master\"", b"\"mastex\"", 1)' 0
# the redis entry itself, broken as JSON (its record is no longer one), the checksum then wrong too
rewrite "$work/good.tar.zst" "$work/malformed.tar.zst" 'd.replace(b"{\"key\":\"hs:s:2\"", b"[\"key\":\"hs:s:2\"", 1)' 1
rewrite "$work/good.tar.zst" "$work/malformed-noindex.tar.zst" 'd.replace(b"{\"key\":\"hs:s:2\"", b"[\"key\":\"hs:s:2\"", 1)' 0

conns() { cli info stats | tr -d '\r' | sed -n 's/^total_connections_received://p'; }
for a in late late-noindex malformed malformed-noindex; do
	for ex in "" --execute; do
		c0=$(conns)
		set +e
		"$HIVESNAP" restore "$work/$a.tar.zst" -p "$work/p.yaml" --only redis \
			--to-redis "redis://127.0.0.1:$port/5" $ex >"$work/out" 2>"$work/err"
		rc=$?
		set -e
		c1=$(conns)
		[[ $rc == 4 ]] || fail "restore $ex of $a: exit $rc, want 4: $(cat "$work/err")"
		case $a in
		late*) want="'redis/server.json'.*checksum mismatch|checksum mismatch.*redis/server.json" ;;
		*) want="'redis/db0.jsonl'.*checksum mismatch|checksum mismatch.*redis/db0.jsonl" ;;
		esac
		grep -qE "$want" "$work/err" || fail "restore $ex of $a: error does not name the checksum: $(cat "$work/err")"
		[[ $(wc -l <"$work/err") == 1 ]] || fail "restore $ex of $a: not one error line: $(cat "$work/err")"
		[[ ! -s $work/out ]] || fail "restore $ex of $a printed a plan: $(cat "$work/out")"
		# one connection between the two counts: the second count's own
		[[ $((c1 - c0)) == 1 ]] || fail "restore $ex of $a connected to the target ($((c1 - c0 - 1)) connections)"
		[[ $(cli -n 5 dbsize) == 1 && $(cli -n 5 get mine) == untouched ]] ||
			fail "restore $ex of $a changed db 5: $(cli -n 5 keys '*' | head -5 | tr '\n' ' ')"
	done
done

# control: the good archive plans (302 keys, none there yet) and restores
"$HIVESNAP" restore "$work/good.tar.zst" -p "$work/p.yaml" --only redis --to-redis "redis://127.0.0.1:$port/5" \
	>"$work/out" 2>"$work/err" || fail "plan of the good archive failed: $(cat "$work/err")"
grep -q "write 302 keys of db 0 (0 exist" "$work/out" || fail "plan: $(cat "$work/out")"
cli -n 5 set hs:s:7 old >/dev/null
"$HIVESNAP" restore "$work/good.tar.zst" -p "$work/p.yaml" --only redis --to-redis "redis://127.0.0.1:$port/5" \
	>"$work/out" 2>"$work/err" || fail "plan of the good archive failed: $(cat "$work/err")"
grep -q "write 302 keys of db 0 (1 exist" "$work/out" || fail "plan with one key there: $(cat "$work/out")"
"$HIVESNAP" restore "$work/good.tar.zst" -p "$work/p.yaml" --only redis --to-redis "redis://127.0.0.1:$port/5" \
	--execute >"$work/out" 2>"$work/err" || fail "restore of the good archive failed: $(cat "$work/err")"
[[ $(cli -n 5 dbsize) == 303 && $(cli -n 5 get hs:s:7) == v7 && $(cli -n 5 lrange hs:l 0 -1 | tr '\n' ' ') == "a b c " ]] ||
	fail "the good archive's restore: db 5 holds $(cli -n 5 dbsize) keys"
echo "ok: a bad archive is refused (exit 4) after its redis entries were planned, with no connection and no change"
