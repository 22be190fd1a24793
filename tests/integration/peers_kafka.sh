#!/usr/bin/env bash
# The Kafka peer answers kafka-consumer-groups: both seeded groups exist with no
# live members, and their committed offsets and log-end offsets add up to what
# the small seed wrote. Needs the env of `scripts/peers.sh env` and a small seed.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP_KAFKA_BROKERS:?not set: run scripts/peers.sh start + seed, then eval \"\$(scripts/peers.sh env)\"}"
: "${PEERS_BIN:?not set: eval \"\$(scripts/peers.sh env)\"}"
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"
want=$("$HS_TOOLS/hs_seed" --scale small --plan --json --only kafka)
kcg() { "$PEERS_BIN/kafka-consumer-groups" --bootstrap-server "$HIVESNAP_KAFKA_BROKERS" "$@"; }

list=$(kcg --list)
for topic in plans.consensus execution.tickets; do
	group=$(jq -r ".kafka[\"$topic\"].group" <<<"$want")
	grep -qx "$group" <<<"$list" || fail "group $group not listed: $list"
	out=$(kcg --describe --group "$group" 2>&1)
	grep -q "has no active members" <<<"$out" || fail "group $group has live members or did not answer: $out"
	rows=$(awk -v t="$topic" '$2 == t' <<<"$out")
	parts=$(wc -l <<<"$rows")
	committed=$(awk '{s += $4} END {print s}' <<<"$rows")
	logend=$(awk '{s += $5} END {print s}' <<<"$rows")
	[[ $parts == "$(jq -r ".kafka[\"$topic\"].partitions" <<<"$want")" ]] || fail "$group/$topic: $parts partitions"
	[[ $committed == "$(jq -r ".kafka[\"$topic\"].committed_total" <<<"$want")" ]] || fail "$group/$topic: committed $committed"
	[[ $logend == "$(jq -r ".kafka[\"$topic\"].messages" <<<"$want")" ]] || fail "$group/$topic: log end $logend"
	echo "ok: $group on $topic: $parts partitions, $committed committed of $logend messages"
done
