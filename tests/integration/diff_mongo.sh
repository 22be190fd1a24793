#!/usr/bin/env bash
# `hivesnap diff` on real MongoDB snapshots (database hs_it_diff only, dropped
# before and after): two snapshots with no change between them are equal
# (exit 0); after an update, a delete, an insert and a new collection the
# diff names exactly those documents (by _id, mixed _id types in the
# server's order) and the changed top-level fields; a new index is found.
# Needs the env of `scripts/peers.sh env`.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}" "${HS_TOOLS:?}" "${HS_SCHEMAS:?}"
: "${HIVESNAP_MONGO_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
U=$HIVESNAP_MONGO_URI
T=$HS_TOOLS/hs_mongo_tool
DB=hs_it_diff
work=$(mktemp -d)
cleanup() {
	"$T" drop "$U" "$DB" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
"$T" drop "$U" "$DB" 2>/dev/null

"$T" seed "$U" "$DB" tickets 500 2>/dev/null
# more _id types than the seed has: doubles between ints, longs, documents, bools, dates
"$T" cmd "$U" "$DB" '{"insert":"tickets","documents":[{"_id":{"$numberDouble":"2.5"},"v":1},{"_id":{"$numberLong":"100000000000"},"v":2},{"_id":{"a":1,"b":"x"},"v":3},{"_id":{"a":1},"v":4},{"_id":true,"v":5},{"_id":{"$date":{"$numberLong":"1700000000000"}},"v":6},{"_id":{"$numberDouble":"-1.5"},"v":7}]}' >/dev/null
printf 'name: itdiff\nmongo:\n  uri: "%s"\n  databases:\n    - name: %s\n' "$U" "$DB" >"$work/p.yaml"
snap() {
	"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only mongo -o "$1" >/dev/null 2>"$work/snap.err" ||
		{ cat "$work/snap.err" >&2; fail "snapshot $1 failed"; }
}
snap "$work/a.tar.zst"
snap "$work/a2.tar.zst"
rc=0
"$HIVESNAP" diff --json "$work/a.tar.zst" "$work/a2.tar.zst" >"$work/eq.json" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || { cat "$work/eq.json" "$work/err" >&2; fail "two snapshots without a change: exit $rc, want 0"; }
jq -e '.equal == true and .changes == []' "$work/eq.json" >/dev/null || fail "equal: $(cat "$work/eq.json")"
echo "ok: two snapshots with nothing changed in between are equal (exit 0)"

"$T" cmd "$U" "$DB" '{"update":"tickets","updates":[{"q":{"_id":"t-000061"},"u":{"$set":{"hs_new":1}}},{"q":{"_id":{"a":1}},"u":{"$set":{"v":40}}}]}' >/dev/null
"$T" cmd "$U" "$DB" '{"delete":"tickets","deletes":[{"q":{"_id":{"$numberInt":"0"}},"limit":1},{"q":{"_id":{"$numberDouble":"2.5"}},"limit":1}]}' >/dev/null
"$T" cmd "$U" "$DB" '{"insert":"tickets","documents":[{"_id":"t-zzz","v":8}]}' >/dev/null
"$T" cmd "$U" "$DB" '{"insert":"fresh","documents":[{"_id":1}]}' >/dev/null
"$T" cmd "$U" "$DB" '{"createIndexes":"tickets","indexes":[{"key":{"v":1},"name":"v_1"}]}' >/dev/null
snap "$work/b.tar.zst"

rc=0
"$HIVESNAP" diff --json --details "$work/a.tar.zst" "$work/b.tar.zst" >"$work/d.json" 2>"$work/err" || rc=$?
[[ $rc == 1 ]] || { cat "$work/d.json" "$work/err" >&2; fail "diff after changes: exit $rc, want 1"; }
/usr/bin/python3 - "$work/d.json" "$DB" <<'PY' || fail "diff --json after the changes: $(cat "$work/d.json")"
import json, sys
d, db = json.load(open(sys.argv[1])), sys.argv[2]
ch = {c["entry"]: c for c in d["changes"]}
t = ch.pop("mongo/%s/tickets.bson" % db)
assert (t["change"], t["added"], t["removed"], t["changed"]) == ("changed", 1, 2, 2), t
got = sorted(json.dumps([i["change"], i["key"], i.get("fields")], sort_keys=True) for i in t["items"])
want = sorted(json.dumps(x, sort_keys=True) for x in [
    ["changed", "t-000061", ["hs_new"]], ["changed", {"a": 1}, ["v"]],
    ["removed", 0, None], ["removed", 2.5, None], ["added", "t-zzz", None]])
assert got == want, got
f = ch.pop("mongo/%s/fresh.bson" % db)
assert f["change"] == "added" and f["added"] == 1, f
assert ch.pop("mongo/%s/fresh.metadata.json" % db)["change"] == "added"
m = ch.pop("mongo/%s/tickets.metadata.json" % db)
assert m["changed"] == 0 and m["removed"] == 0 and m["added"] == 1, m
assert [(i["key"], i["change"]) for i in m["items"]] == [("indexes[v_1]", "added")], m["items"]
assert not ch, ch
PY
echo "ok: updated, deleted and inserted documents found by _id with the changed fields; a new collection added"
rc=0
"$HIVESNAP" diff "$work/a.tar.zst" "$work/b.tar.zst" >"$work/d.txt" 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "text diff exit $rc"
grep -qE "^mongo +changed +1 +2 +2  mongo/$DB/tickets.bson$" "$work/d.txt" || fail "summary: $(cat "$work/d.txt")"
echo "ok: the summary line counts them"
