#!/usr/bin/env bash
# `hivesnap diff` on real Kafka snapshots (own topic and group, removed on
# exit): two snapshots without a change are equal (exit 0); after a commit,
# produced records and a newly committed partition the group's diff gives
# the offset and lag deltas and the added partition.
# Needs the env of `scripts/peers.sh env`.
set -euo pipefail
. "$(dirname "$0")/kafka_lib.bash"

t=$tag.diff
g=$tag-diff
groups+=("$g")
new_topic "$t" 3
"$KT" produce "$t" 0 20
"$KT" produce "$t" 1 10
"$KT" produce "$t" 2 4
"$KT" commit "$g" "$t" 0 12
"$KT" commit "$g" "$t" 1 10
profile "$work/p.yaml" "[\"$g\"]"
snap() {
	"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only kafka -o "$1" >/dev/null 2>"$work/snap.err" ||
		fail "snapshot $1: $(cat "$work/snap.err")"
}
snap "$work/a.tar.zst"
snap "$work/a2.tar.zst"
rc=0
"$HIVESNAP" diff --json "$work/a.tar.zst" "$work/a2.tar.zst" >"$work/eq.json" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || fail "two snapshots without a change: exit $rc, want 0: $(cat "$work/eq.json" "$work/err")"
jq -e '.equal == true and .changes == []' "$work/eq.json" >/dev/null || fail "equal: $(cat "$work/eq.json")"
ok "two snapshots with nothing changed in between are equal (exit 0; offsets_time_ms not compared)"

"$KT" commit "$g" "$t" 0 15
"$KT" produce "$t" 1 5
"$KT" commit "$g" "$t" 2 4
snap "$work/b.tar.zst"
rc=0
"$HIVESNAP" diff --json --details "$work/a.tar.zst" "$work/b.tar.zst" >"$work/d.json" 2>"$work/err" || rc=$?
[[ $rc == 1 ]] || fail "diff after changes: exit $rc, want 1: $(cat "$work/d.json" "$work/err")"
/usr/bin/python3 - "$work/d.json" "$g" "$t" <<'PY' || fail "diff --json after the changes: $(cat "$work/d.json")"
import json, sys
d, g, t = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
ch = {c["entry"]: c for c in d["changes"]}
grp = ch.pop("kafka/groups/%s.json" % g)
assert (grp["added"], grp["removed"], grp["changed"]) == (1, 0, 2), grp
items = {(i["key"]["partition"], i["change"]): i for i in grp["items"]}
p0, p1 = items[(0, "changed")], items[(1, "changed")]
assert p0["delta"] == {"offset": 3, "lag": -3} and p0["fields"] == ["offset", "lag"], p0
assert p1["delta"] == {"offset": 0, "lag": 5} and p1["fields"] == ["log_end", "lag"], p1
assert (2, "added") in items and len(items) == 3, items
assert set(ch) == {"kafka/offsets.csv", "kafka/topics.json"}, ch.keys()
PY
ok "a commit, produced records and a new committed partition found with their offset and lag deltas"
