#!/usr/bin/env bash
# Kafka round trip on the real broker: commit, snapshot (offsets.csv, groups/*.json,
# topics.json, watermark), consume further, plan (changes nothing), restore --execute,
# the committed offsets equal the archive's, and a new snapshot gives the same offsets.csv.
set -euo pipefail
. "$(dirname "$0")/kafka_lib.bash"

t=$tag.orders
g=$tag-rt
groups+=("$g")
new_topic "$t" 3
"$KT" produce "$t" 0 20
"$KT" produce "$t" 1 10
"$KT" commit "$g" "$t" 0 12
"$KT" commit "$g" "$t" 1 10
profile "$work/p.yaml" "[\"$tag-rt*\", \"$tag-absent\"]"

"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/a.tar.zst" >/dev/null 2>"$work/snap.err" || fail "snapshot: $(cat "$work/snap.err")"
ok "snapshot written"

want=$(printf '%s,%s,0,12\n%s,%s,1,10' "$g" "$t" "$g" "$t")
[[ $(entry "$work/a.tar.zst" kafka/offsets.csv) == "$want" ]] ||
	fail "offsets.csv is not the group,topic,partition,offset lines: $(entry "$work/a.tar.zst" kafka/offsets.csv)"
ok "offsets.csv lists the committed offsets"

doc=$(entry "$work/a.tar.zst" "kafka/groups/$g.json")
jq -e --arg g "$g" --arg t "$t" '
	.group == $g and .state == "Empty" and (.members | length) == 0 and (.offsets | length) == 2 and
	.offsets[0].topic == $t and .offsets[0].partition == 0 and .offsets[0].offset == 12 and
	.offsets[0].log_start == 0 and .offsets[0].log_end == 20 and .offsets[0].lag == 8 and
	(.offsets[0].timestamp_ms | type) == "number" and .offsets[0].timestamp_offset == 11 and
	.offsets[1].offset == 10 and .offsets[1].lag == 0 and (.offsets[1].timestamp_ms | type) == "number"' \
	<<<"$doc" >/dev/null || fail "group document: $doc"
ok "group document has state, offsets, watermarks, lag and record timestamps"

# a named group that does not exist is recorded as Dead with no offsets
entry "$work/a.tar.zst" "kafka/groups/$tag-absent.json" | jq -e '.state == "Dead" and (.offsets | length) == 0' >/dev/null ||
	fail "absent group not recorded as Dead"
ok "a named group that does not exist is recorded as Dead"

entry "$work/a.tar.zst" kafka/topics.json | jq -e --arg t "$t" '
	.topics | length == 1 and .[0].name == $t and (.[0].partitions | map([.partition, .low, .high])) ==
	[[0, 0, 20], [1, 0, 10], [2, 0, 0]]' >/dev/null || fail "topics.json: $(entry "$work/a.tar.zst" kafka/topics.json)"
ok "topics.json has every partition's watermarks"

entry "$work/a.tar.zst" "kafka/groups/$g.json" >"$work/group.json"
entry "$work/a.tar.zst" "kafka/groups/$tag-absent.json" >"$work/absent.json"
entry "$work/a.tar.zst" kafka/topics.json >"$work/topics.json"
validate kafka-group.schema.json "$work/group.json"
validate kafka-group.schema.json "$work/absent.json"
validate kafka-topics.schema.json "$work/topics.json"
ok "group documents and topics.json validate against their schemas"

entry "$work/a.tar.zst" manifest.json | jq -e '.sources.kafka.status == "ok" and
	(.sources.kafka.watermark.offsets_time_ms | type) == "number" and .sources.kafka.details.partitions == 2' \
	>/dev/null || fail "manifest kafka record: $(entry "$work/a.tar.zst" manifest.json | jq -c .sources.kafka)"
ok "manifest records status, offsets time and counts"

# timestamp_budget_ms: 0 reads no record and says so
sed 's/timestamp_budget_ms: 5000/timestamp_budget_ms: 0/' "$work/p.yaml" >"$work/p0.yaml"
"$HIVESNAP" snapshot -p "$work/p0.yaml" -o "$work/z.tar.zst" >/dev/null 2>"$work/snap0.err" || fail "snapshot: $(cat "$work/snap0.err")"
entry "$work/z.tar.zst" "kafka/groups/$g.json" | jq -e '[.offsets[] | .timestamp_ms == null and
	.timestamp_note == "timestamp_budget_ms is 0"] == [true, true]' >/dev/null || fail "budget 0 still read timestamps"
entry "$work/z.tar.zst" manifest.json | jq -e '.sources.kafka.details.timestamps_missing == 2' >/dev/null ||
	fail "budget 0: details do not count the missing timestamps"
ok "timestamp_budget_ms 0 reads no record timestamps and says why"

# consume further
"$KT" commit "$g" "$t" 0 18
"$KT" commit "$g" "$t" 1 3

"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" >"$work/plan.out" 2>"$work/plan.err" ||
	fail "restore plan: $(cat "$work/plan.err")"
grep -qE "$g $t\[0\] +set +live 18 -> 12 \(archive 12, by-offset\)" "$work/plan.out" || fail "plan: $(cat "$work/plan.out")"
grep -qE "$g $t\[1\] +set +live 3 -> 10" "$work/plan.out" || fail "plan: $(cat "$work/plan.out")"
[[ $(committed "$g" "$t" 0) == 18 && $(committed "$g" "$t" 1) == 3 ]] || fail "the plan changed offsets"
ok "plan says live -> archive per partition and changes nothing"

"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --exclude "$tag-rt*" --execute >"$work/excl.out" 2>"$work/excl.err" ||
	fail "restore --exclude: $(cat "$work/excl.err")"
grep -q "$g" "$work/excl.out" && fail "--exclude did not leave the group out: $(cat "$work/excl.out")"
[[ $(committed "$g" "$t" 0) == 18 ]] || fail "--exclude changed the excluded group"
ok "--exclude leaves a group out of the restore"

"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute --json >"$work/exec.json" 2>"$work/exec.err" ||
	fail "restore --execute: $(cat "$work/exec.err")"
[[ $(committed "$g" "$t" 0) == 12 && $(committed "$g" "$t" 1) == 10 ]] ||
	fail "after restore: committed $(committed "$g" "$t" 0),$(committed "$g" "$t" 1), want 12,10"
jq -e --arg g "$g" '.sources[0].source == "kafka" and .sources[0].status == "applied" and
	(.sources[0].result[] | select(.target == $g) | .partitions) == 2' "$work/exec.json" >/dev/null ||
	fail "restore --json: $(cat "$work/exec.json")"
validate_json restore.schema.json "$work/exec.json"
ok "restore --execute commits the archived offsets and reads them back"

"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/b.tar.zst" >/dev/null 2>"$work/snap2.err" || fail "snapshot 2: $(cat "$work/snap2.err")"
[[ $(entry "$work/b.tar.zst" kafka/offsets.csv) == "$(entry "$work/a.tar.zst" kafka/offsets.csv)" ]] ||
	fail "round trip: offsets.csv differs"
ok "round trip: a new snapshot has the same offsets"
