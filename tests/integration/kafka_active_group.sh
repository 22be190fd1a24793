#!/usr/bin/env bash
# Kafka restore refuses a group that still has members: exit 5 naming the group,
# its state and its members' client ids and hosts, and nothing is committed.
# Once the consumer has left, the same restore succeeds.
set -euo pipefail
. "$(dirname "$0")/kafka_lib.bash"

t=$tag.tickets
g=$tag-active
groups+=("$g")
new_topic "$t" 1
"$KT" produce "$t" 0 5
"$KT" commit "$g" "$t" 0 3
profile "$work/p.yaml" "[\"$g\"]"
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/a.tar.zst" >/dev/null 2>"$work/snap.err" ||
	fail "snapshot: $(cat "$work/snap.err")"
"$KT" commit "$g" "$t" 0 4

# a real consumer that stays in the group while the restore runs
"$KT" member "$g" "$t" "$work/ready" 2>"$work/member.err" &
member=$!
bg_pids+=("$member")
for _ in $(seq 1 120); do [[ -f $work/ready ]] && break; sleep 0.25; done
[[ -f $work/ready ]] || fail "the test consumer did not join '$g': $(cat "$work/member.err")"

# a snapshot of the active group records its state, members and assignments
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/live.tar.zst" >/dev/null 2>"$work/snap.err" ||
	fail "snapshot of the active group: $(cat "$work/snap.err")"
entry "$work/live.tar.zst" "kafka/groups/$g.json" | jq -e --arg t "$t" '.state == "Stable" and .simple == false and
	(.members | length) == 1 and .members[0].client_id == "hs_kafka_tool" and .members[0].host == "/127.0.0.1" and
	(.members[0].member_id | length) > 0 and .members[0].assignment == [{"topic": $t, "partition": 0}] and
	.partition_assignor != null and .offsets[0].offset == 4' >/dev/null ||
	fail "active group document: $(entry "$work/live.tar.zst" "kafka/groups/$g.json")"
entry "$work/live.tar.zst" "kafka/groups/$g.json" >"$work/live.json"
validate kafka-group.schema.json "$work/live.json"
ok "a snapshot records the active group's state, members and assignments"

rc=0
"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 5 ]] || fail "restore with an active group exited $rc, want 5: $(cat "$work/err")"
grep -q "group '$g' is Stable with 1 member(s): client 'hs_kafka_tool' on /127.0.0.1" "$work/err" ||
	fail "the refusal does not name the group and its member: $(cat "$work/err")"
echo "refusal: $(cat "$work/err")"
[[ $(wc -l <"$work/err") == 1 ]] || fail "the refusal is not one line: $(cat "$work/err")"
[[ $(committed "$g" "$t" 0) == 4 ]] || fail "a refused restore changed the committed offset"
ok "active group refused with exit 5, members named, nothing changed"

# the plan alone is refused too: the operator learns it before --execute
rc=0
"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" >/dev/null 2>"$work/err" || rc=$?
[[ $rc == 5 ]] || fail "plan with an active group exited $rc, want 5"
ok "the dry run refuses the active group as well"

kill "$member"
wait "$member" || true
bg_pids=()
"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute >/dev/null 2>"$work/err" ||
	fail "restore after the consumer left: $(cat "$work/err")"
[[ $(committed "$g" "$t" 0) == 3 ]] || fail "committed $(committed "$g" "$t" 0) after restore, want 3"
ok "after the consumer left the group, the restore applies"
