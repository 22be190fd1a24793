#!/usr/bin/env bash
# Kafka restore clamps an archived offset that is no longer inside the live
# [log-start, log-end]: below log-start after DeleteRecords, with a warning naming the
# group, topic and partition, and the plan says "clamp".
set -euo pipefail
. "$(dirname "$0")/kafka_lib.bash"

t=$tag.plans
g=$tag-clamp
groups+=("$g")
new_topic "$t" 2
"$KT" produce "$t" 0 10
"$KT" produce "$t" 1 10
"$KT" commit "$g" "$t" 0 3
"$KT" commit "$g" "$t" 1 8
profile "$work/p.yaml" "[\"$g\"]" "[\"$t\"]"
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/a.tar.zst" >/dev/null 2>"$work/snap.err" ||
	fail "snapshot: $(cat "$work/snap.err")"

# retention (here: DeleteRecords) removes partition 0's records below 6; the group moved on
"$KT" delete-records "$t" 0 6
"$KT" commit "$g" "$t" 0 9
"$KT" commit "$g" "$t" 1 9

"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" >"$work/plan" 2>"$work/plan.err" ||
	fail "plan: $(cat "$work/plan.err")"
grep -qE "$g $t\[0\] +clamp +live 9 -> 6 \(archive 3, clamped into \[6, 10\]\)" "$work/plan" ||
	fail "plan does not clamp partition 0: $(cat "$work/plan")"
grep -qE "$g $t\[1\] +set +live 9 -> 8 \(archive 8, by-offset\)" "$work/plan" ||
	fail "plan for partition 1: $(cat "$work/plan")"
grep -q "level=warn source=kafka msg=\"group '$g' topic '$t' partition 0: archived offset 3 is outside \[6, 10\], clamped to 6\"" \
	"$work/plan.err" || fail "no warning naming the clamped partition: $(cat "$work/plan.err")"
ok "plan clamps below log-start with a warning naming the partition"

"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute >/dev/null 2>"$work/err" ||
	fail "restore: $(cat "$work/err")"
[[ $(committed "$g" "$t" 0) == 6 && $(committed "$g" "$t" 1) == 8 ]] ||
	fail "committed $(committed "$g" "$t" 0),$(committed "$g" "$t" 1), want 6,8"
ok "restore commits the clamped offset"
