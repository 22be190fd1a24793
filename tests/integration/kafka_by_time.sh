#!/usr/bin/env bash
# Kafka --kafka-by-time after the topic was recreated: the raw archived offset would
# point at other records; by time, the group resumes at the first record whose timestamp
# is >= the timestamp of its last consumed record.  The plan says which method each
# partition uses.
set -euo pipefail
. "$(dirname "$0")/kafka_lib.bash"

t=$tag.events
g=$tag-bytime
groups+=("$g")
base=$(( $(date +%s) * 1000 - 600000 ))
new_topic "$t" 1
"$KT" produce "$t" 0 10 "$base" 1000        # offsets 0..9, timestamps base+0s .. base+9s
"$KT" commit "$g" "$t" 0 6                   # last consumed: offset 5, timestamp base+5s
profile "$work/p.yaml" "[\"$g\"]"
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/a.tar.zst" >/dev/null 2>"$work/snap.err" ||
	fail "snapshot: $(cat "$work/snap.err")"
entry "$work/a.tar.zst" "kafka/groups/$g.json" | jq -e --argjson ts $((base + 5000)) \
	'.offsets[0].timestamp_ms == $ts and .offsets[0].timestamp_offset == 5' >/dev/null ||
	fail "archived timestamp: $(entry "$work/a.tar.zst" "kafka/groups/$g.json")"
ok "the timestamp of the last consumed record is archived"

# the topic is recreated and refilled from base+3s: offsets 0..6, timestamps base+3s .. base+9s
"$KT" delete-topic "$t"
sleep 1
new_topic "$t" 1
"$KT" produce "$t" 0 7 $((base + 3000)) 1000

"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" >"$work/plan" 2>"$work/err" || fail "plan: $(cat "$work/err")"
grep -qE "$g $t\[0\] +set +none -> 6 \(archive 6, by-offset\)" "$work/plan" ||
	fail "plan without --kafka-by-time: $(cat "$work/plan")"
ok "without --kafka-by-time the raw offset is planned"

"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --kafka-by-time >"$work/plan" 2>"$work/err" ||
	fail "plan by time: $(cat "$work/err")"
grep -qE "$g $t\[0\] +by-time +none -> 2 \(archive 6, by-time from timestamp $((base + 5000))\)" "$work/plan" ||
	fail "plan with --kafka-by-time: $(cat "$work/plan")"
ok "with --kafka-by-time the plan translates the offset by timestamp"

"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --kafka-by-time --execute >/dev/null 2>"$work/err" ||
	fail "restore by time: $(cat "$work/err")"
[[ $(committed "$g" "$t" 0) == 2 ]] || fail "committed $(committed "$g" "$t" 0), want 2"
ok "restore by time commits the translated offset"

# an unchanged topic keeps the raw offset even with --kafka-by-time
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/b.tar.zst" >/dev/null 2>"$work/snap.err" ||
	fail "snapshot 2: $(cat "$work/snap.err")"
"$HIVESNAP" restore "$work/b.tar.zst" -p "$work/p.yaml" --kafka-by-time >"$work/plan" 2>"$work/err" ||
	fail "plan 2: $(cat "$work/err")"
grep -qE "$g $t\[0\] +unchanged +live 2 -> 2 \(archive 2, by-offset\)" "$work/plan" ||
	fail "unchanged topic by time: $(cat "$work/plan")"
ok "where the record at offset-1 is unchanged, the offset is kept"
