#!/usr/bin/env bash
# The Redis peer answers with the small seed in place: per-pattern SCAN counts,
# db 1's DBSIZE, TTLs, types, the stream's consumer group, and redis-dump-go
# dumps db 1. Needs the env of `scripts/peers.sh env` and `seed --scale small`.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP_REDIS_URI:?not set: run scripts/peers.sh start + seed, then eval \"\$(scripts/peers.sh env)\"}"
: "${PEERS_BIN:?not set: eval \"\$(scripts/peers.sh env)\"}"
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"
hostport=${HIVESNAP_REDIS_URI#redis://}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
cli() { "$PEERS_BIN/redis-cli" -h "$host" -p "$port" "$@"; }
want=$("$HS_TOOLS/hs_seed" --scale small --plan --json --only redis)
w() { jq -r ".redis[\"$1\"]" <<<"$want"; }

[[ $(cli ping) == PONG ]] || fail "redis at $hostport does not answer PING"
count() { cli -n "$1" --scan --pattern "$2" | wc -l; }
for pat in decision:processed ticket:processed pheromone telemetry:buffer; do
	got=$(count 0 "$pat:*")
	[[ $got == "$(w "$pat")" ]] || fail "$pat:* has $got keys, seeded $(w "$pat")"
	echo "ok: $pat:* $got keys"
done
[[ $(cli -n 1 dbsize) == "$(w db1_keys)" ]] || fail "db 1 DBSIZE $(cli -n 1 dbsize), seeded $(w db1_keys)"
(($(cli -n 0 dbsize) >= $(w db0_keys))) || fail "db 0 DBSIZE $(cli -n 0 dbsize) < seeded $(w db0_keys)"
echo "ok: DBSIZE db0 $(cli -n 0 dbsize), db1 $(cli -n 1 dbsize)"
ttl=$(cli ttl ticket:processed:tkt-00000007)
((ttl > 86400)) || fail "ticket:processed:tkt-00000007 TTL is $ttl, want a week-scale TTL"
[[ $(cli type pheromone:trail:BUILD:0) == zset ]] || fail "pheromone:trail:BUILD:0 is not a sorted set"
[[ $(cli zcard pheromone:trail:BUILD:0) -ge 1 ]] || fail "pheromone:trail:BUILD:0 is empty"
[[ $(cli type telemetry:buffer:orchestrator-dynamic:0) == list ]] || fail "telemetry:buffer list missing"
[[ $(cli xlen flow_c:events) == "$(w stream_entries)" ]] || fail "flow_c:events XLEN $(cli xlen flow_c:events)"
cli xinfo groups flow_c:events | grep -qx orchestrator-dynamic || fail "flow_c:events has no group orchestrator-dynamic"
echo "ok: TTLs, types, stream and its consumer group"
dump=$("$PEERS_BIN/redis-dump-go" -host "$host" -port "$port" -db 1 -n 2 2>/dev/null)
sets=$(grep -c 'config:flow_c:' <<<"$dump" || true)
[[ $sets == "$(w db1_keys)" ]] || fail "redis-dump-go dumped $sets config:flow_c keys of db 1, want $(w db1_keys)"
echo "ok: redis-dump-go dumps db 1 ($sets keys)"
