#!/usr/bin/env bash
# diag's kafka collector on the shared broker, with this test's OWN topic and
# groups (prefix diagtest-..., removed on exit): three groups matched by a glob,
# one far behind (lag over 10x the profile's consumer_lag_max: critical), one a
# little behind with an active member (warning; state Stable, 1 member), one
# caught up (no finding); diag/kafka/groups.json
# has each partition's committed offset, end offset and lag, topics.json the
# partitions.  Then brokers that do not answer: the collector fails, "Kafka
# unreachable" (critical), exit 2.
set -euo pipefail
. "$(dirname "$0")/diag_src_lib.bash"
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"
: "${HIVESNAP_KAFKA_BROKERS:?run with the peers env: eval \"\$(scripts/peers.sh env)\"}"
KT=$HS_TOOLS/hs_kafka_tool
tag=diagtest-$$-$RANDOM
topic=$tag-t
member=
cleanup() {
	local g
	[[ -n $member ]] && { kill "$member" 2>/dev/null || true; wait "$member" 2>/dev/null || true; }
	for g in far near done; do "$KT" delete-group "$tag-$g" >/dev/null 2>&1 || true; done
	"$KT" delete-topic "$topic" >/dev/null 2>&1 || true
	diag_cleanup
}
trap cleanup EXIT

for _ in $(seq 60); do "$KT" create "$topic" 2 2>"$work/create.err" && break; sleep 0.5; done
"$KT" produce "$topic" 0 1600 >/dev/null || fail "cannot produce"
"$KT" produce "$topic" 1 400 >/dev/null || fail "cannot produce"
# far: lag 2000 (> 10 x 150); near: lag 200 (> 150); done: lag 0
"$KT" commit "$tag-far" "$topic" 0 0 && "$KT" commit "$tag-far" "$topic" 1 0
"$KT" commit "$tag-near" "$topic" 0 1500 && "$KT" commit "$tag-near" "$topic" 1 300
"$KT" commit "$tag-done" "$topic" 0 1600 && "$KT" commit "$tag-done" "$topic" 1 400

# near has a member (joined, assigned, never commits): state Stable, 1 member
"$KT" member "$tag-near" "$topic" "$work/ready" 2>"$work/member.err" &
member=$!
for _ in $(seq 300); do [[ -f $work/ready ]] && break; sleep 0.1; done
[[ -f $work/ready ]] || fail "the test consumer did not join '$tag-near': $(cat "$work/member.err")"

cat >"$work/p.yaml" <<EOF
name: diag-kafka
kafka:
  brokers: $HIVESNAP_KAFKA_BROKERS
  groups: ["$tag-*"]
  timeout_ms: 5000
diag:
  thresholds:
    consumer_lag_max: 150
EOF
diag_rc 0 "$work/a.tar.zst" -p "$work/p.yaml" --only kafka
check_status kafka ok
has_entry diag/kafka/groups.json
has_entry diag/kafka/topics.json
finding critical "^Kafka consumer lag 2000 over 150 for group $tag-far\$" "Kafka Operations"
[[ $(jq -r .evidence.group "$work/finding") == "$tag-far" ]] || fail "evidence group"
finding warning "^Kafka consumer lag 200 over 150 for group $tag-near\$" "Kafka Operations"
no_finding "$tag-done"
g=$work/b/diag/kafka/groups.json
[[ $(jq -r --arg g "$tag-near" '.groups[] | select(.group == $g) | [.partitions[] | "\(.partition):\(.committed):\(.log_end):\(.lag)"] | join(" ")' "$g") == "0:1500:1600:100 1:300:400:100" ]] ||
	fail "near's partitions: $(jq -c --arg g "$tag-near" '.groups[] | select(.group == $g)' "$g")"
[[ $(jq -r --arg g "$tag-done" '.groups[] | select(.group == $g) | "\(.state) \(.total_lag)"' "$g") == "Empty 0" ]] ||
	fail "done's state and lag: $(jq -c --arg g "$tag-done" '.groups[] | select(.group == $g)' "$g")"
[[ $(jq -r --arg g "$tag-near" '.groups[] | select(.group == $g) | "\(.state) \(.members | length) \(.members[0].client_id) \(.members[0].assigned_partitions)"' "$g") == "Stable 1 hs_kafka_tool 2" ]] ||
	fail "near's state and members: $(jq -c --arg g "$tag-near" '.groups[] | select(.group == $g) | {state, members}' "$g")"
jq -e '.evidence.state == "Stable" and .evidence.members == 1' "$work/finding" >/dev/null ||
	fail "near's finding evidence: $(jq -c .evidence "$work/finding")"
[[ $(jq '.groups | length' "$g") == 3 ]] || fail "want the 3 groups the glob matches: $(jq -c '[.groups[].group]' "$g")"
ok "groups.json: committed, log end and lag per partition; state"
[[ $(jq -r --arg t "$topic" '.topics[] | select(.name == $t) | [.partitions[] | "\(.partition):\(.high)"] | join(" ")' \
	"$work/b/diag/kafka/topics.json") == "0:1600 1:400" ]] || fail "topics.json: $(cat "$work/b/diag/kafka/topics.json")"
ok "topics.json: partitions with their end offsets"

# brokers that do not answer
port=$(closed_port)
cat >"$work/down.yaml" <<EOF
name: diag-kafka-down
kafka:
  brokers: 127.0.0.1:$port
  groups: ["$tag-*"]
  timeout_ms: 2000
EOF
start=$SECONDS
diag_rc 2 "$work/b.tar.zst" -p "$work/down.yaml" --only kafka
check_status kafka failed
finding critical '^Kafka unreachable$' "Check Dependencies"
((SECONDS - start < 20)) || fail "unreachable brokers took $((SECONDS - start)) s"
echo "PASS"
