#!/usr/bin/env bash
# diag's redis collector on a PRIVATE redis-server (password-protected, on a
# free port; never the shared peer): memory near maxmemory and idempotency keys
# without TTL give their findings, counts per pattern and telemetry buffer sizes
# are in diag/redis/keys.json, no key value and no password appear anywhere;
# counting is cut at the time budget ("at least N"); a wrong password is "Redis
# refused the credentials", a listener that never answers "Redis not
# answering"; then the server is killed: "Redis unreachable" (all critical,
# runbook "Check Dependencies"; the collector fails, exit 2, bundle written).
set -euo pipefail
. "$(dirname "$0")/diag_src_lib.bash"
srv=redis-server rcli=redis-cli
if [[ -n ${PEERS_BIN:-} && -x $PEERS_BIN/redis-server ]]; then
	srv=$PEERS_BIN/redis-server rcli=$PEERS_BIN/redis-cli
fi
command -v "$srv" >/dev/null || fail "no redis-server (PEERS_BIN or PATH)"
port=$(free_port $((26591 + ${HIVESNAP_PEERS_PORT_OFFSET:-0})))
pw=diagPW-$RANDOM-s3cret
pid= hang=
cleanup() {
	[[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
	[[ -n $hang ]] && kill "$hang" 2>/dev/null || true
	diag_cleanup
}
trap cleanup EXIT
cli() { REDISCLI_AUTH=$pw "$rcli" -p "$port" "$@"; }

mkdir -p "$work/redis"
"$srv" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/redis" \
	--requirepass "$pw" --daemonize no >"$work/redis.log" 2>&1 &
pid=$!
for _ in $(seq 50); do [[ $(cli ping 2>/dev/null) == PONG ]] && break; sleep 0.1; done
[[ $(cli ping) == PONG ]] || fail "private redis on $port did not start: $(cat "$work/redis.log")"

# idempotency keys: two without TTL, one with; their values must never be shown
cli set decision:processed:d-1 VALUE-NEVER-SHOWN-1 >/dev/null
cli set ticket:processed:t-1 VALUE-NEVER-SHOWN-2 >/dev/null
cli set decision:processed:d-2 VALUE-NEVER-SHOWN-3 EX 600 >/dev/null
for i in 1 2 3; do cli set "pheromone:p$i" 1 >/dev/null; done
cli rpush telemetry:buffer:orch a b c >/dev/null
cli xadd telemetry:buffer:stream '*' f v >/dev/null
cli xadd telemetry:buffer:stream '*' f v >/dev/null
cli hset telemetry:buffer:hash f1 v1 f2 v2 f3 v3 f4 v4 >/dev/null
cli select 1 >/dev/null
REDISCLI_AUTH=$pw "$rcli" -p "$port" -n 1 set other:x 1 >/dev/null
# maxmemory at about 2.2 times what is used: a ratio near 0.45, over the
# profile's 0.3 (warning) and under 0.65 (critical: halfway from 0.3 to 1)
used=$(cli info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
cli config set maxmemory $((used * 22 / 10)) >/dev/null

cat >"$work/p.yaml" <<EOF
name: diag-redis
redis:
  uri: redis://:$pw@127.0.0.1:$port/0
  dbs:
    - db: 0
      patterns: ["decision:processed:*", "ticket:processed:*", "pheromone:*", "telemetry:buffer:*"]
    - db: 1
      patterns: ["other:*"]
diag:
  thresholds:
    redis_memory_ratio_max: 0.3
EOF

diag_rc 0 "$work/a.tar.zst" -p "$work/p.yaml" --only redis
check_status redis ok
has_entry diag/redis/info.txt
has_entry diag/redis/keys.json
grep -q '^used_memory:' "$work/b/diag/redis/info.txt" || fail "info.txt is not INFO's text"
finding warning '^Redis memory at [0-9]+% of maxmemory \(threshold 30%\)$' "High Memory Usage"
ratio=$(jq '.evidence.ratio' "$work/finding")
jq -e '.evidence.ratio > 0.3 and .evidence.ratio < 0.65' "$work/finding" >/dev/null || fail "memory ratio $ratio"
finding warning '^2 idempotency key\(s\) without TTL in Redis$' "Redis Operations"
[[ $(jq -c '[.evidence.sample[].key] | sort' "$work/finding") == '["decision:processed:d-1","ticket:processed:t-1"]' ]] ||
	fail "sample of keys without TTL: $(jq -c .evidence.sample "$work/finding")"
ok "the sample names the two keys without TTL, not the one with"
k=$work/b/diag/redis/keys.json
q() { jq -r "$1" "$k"; }
[[ $(q '.dbs[0].patterns[] | select(.pattern == "pheromone:*") | .count') == 3 ]] || fail "pheromone count: $(q .dbs[0].patterns)"
[[ $(q '.dbs[0].patterns[] | select(.pattern == "decision:processed:*") | .count') == 2 ]] || fail "decision count"
[[ $(q '.dbs[1].patterns[] | select(.pattern == "other:*") | .count') == 1 ]] || fail "db 1 count: $(q .dbs[1])"
[[ $(q '.dbs[0].idempotency[] | select(.pattern == "decision:processed:*") | .without_ttl') == 1 ]] || fail "decision without_ttl"
ok "counts per pattern and db, idempotency TTLs"
[[ $(q '.dbs[0].telemetry_buffers.by_type.list.total_size') == 3 ]] || fail "telemetry list size: $(q .dbs[0].telemetry_buffers)"
[[ $(q '.dbs[0].telemetry_buffers.by_type.stream.total_size') == 2 ]] || fail "telemetry stream size"
[[ $(q '.dbs[0].telemetry_buffers.by_type.hash.total_size') == 4 ]] || fail "telemetry hash size"
[[ $(q '.dbs[0].telemetry_buffers.keys[] | select(.key == "telemetry:buffer:stream") | .type') == stream ]] || fail "telemetry keys"
ok "telemetry buffer sizes by type (LLEN, XLEN, HLEN)"
[[ $(q .complete) == true ]] || fail "scan not complete"
nowhere VALUE-NEVER-SHOWN "a key's value"
nowhere "$pw" "the redis password"

# counting bounded in time: 200k keys scanned 1 at a time cannot be counted
# within a 2 s budget; the count stops 1 s before its end and says "at least N"
cli config set maxmemory 0 >/dev/null
awk 'BEGIN { for (i = 0; i < 200000; i++) { k = "hs:k:" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n", length(k), k } }' |
	cli --pipe >/dev/null
cat >"$work/slow.yaml" <<EOF
name: diag-redis-slow
redis:
  uri: redis://:$pw@127.0.0.1:$port/0
  scan_count: 1
  dbs:
    - db: 0
      patterns: ["hs:*"]
EOF
start=$SECONDS
diag_rc 0 "$work/s.tar.zst" -p "$work/slow.yaml" --only redis --timeout 2s
((SECONDS - start < 10)) || fail "a 2 s budget took $((SECONDS - start)) s"
check_status redis warning
n=$(jq -r '.dbs[0].patterns[0] | select(.pattern == "hs:*" and .complete == false) | .count' "$work/b/diag/redis/keys.json")
[[ -n $n ]] && ((n > 0 && n < 200000)) || fail "want an incomplete count of hs:*: $(jq -c .dbs[0].patterns "$work/b/diag/redis/keys.json")"
jq -e --arg w "db 0 pattern 'hs:*': at least $n keys (counting stopped: time budget nearly spent)" \
	'[.. | objects | select(.name? == "redis" and has("warnings")) | .warnings[] | select(. == $w)] | length == 1' \
	"$work/b/diag/checks.json" >/dev/null || fail "no 'at least $n' warning: $(jq -c '[.. | objects | select(.name? == "redis")][0].warnings' "$work/b/diag/checks.json")"
ok "counting stopped at the budget: at least $n keys"

# a wrong password: the collector fails, the finding says so, no password shown
sed "s#redis://:$pw@#redis://:WrongPW-$RANDOM@#" "$work/p.yaml" >"$work/wrong.yaml"
wrong=$(grep -o 'WrongPW-[0-9]*' "$work/wrong.yaml")
diag_rc 2 "$work/w.tar.zst" -p "$work/wrong.yaml" --only redis
check_status redis failed
finding critical '^Redis refused the credentials$' "Check Dependencies"
nowhere "$wrong" "the wrong redis password"

# a server that accepts and never answers: "Redis not answering" within the
# budget (I/O timeouts of at most 5 s), not a collector killed at its timeout
python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >"$work/hang.port" &
hang=$!
for _ in $(seq 100); do [[ -s $work/hang.port ]] && break; sleep 0.1; done
[[ -s $work/hang.port ]] || fail "the hanging listener did not start"
sed "s#@127.0.0.1:$port/#@127.0.0.1:$(cat "$work/hang.port")/#" "$work/p.yaml" >"$work/hang.yaml"
diag_rc 2 "$work/h.tar.zst" -p "$work/hang.yaml" --only redis --timeout 15s
kill "$hang"; wait "$hang" 2>/dev/null || true
check_status redis failed
finding critical '^Redis not answering$' "Check Dependencies"
nowhere "$pw" "the redis password"

# the server stops: the collector fails with a critical finding, exit 2
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
diag_rc 2 "$work/b.tar.zst" -p "$work/p.yaml" --only redis
check_status redis failed
finding critical '^Redis unreachable$' "Check Dependencies"
jq -e '.evidence.uri | test("^redis://:\\*\\*\\*@127.0.0.1:")' "$work/finding" >/dev/null ||
	fail "evidence uri not redacted: $(jq -c .evidence "$work/finding")"
nowhere "$pw" "the redis password"
echo "PASS"
