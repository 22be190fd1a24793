#!/usr/bin/env bash
# The MongoDB wire peer (FerretDB) answers mongodump of neural_hive with the
# small seed's document counts and indexes, and mongorestore reads the dump
# back (--dryRun). Needs the env of `scripts/peers.sh env` and a small seed.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP_MONGO_URI:?not set: run scripts/peers.sh start + seed, then eval \"\$(scripts/peers.sh env)\"}"
: "${PEERS_BIN:?not set: eval \"\$(scripts/peers.sh env)\"}"
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
want=$("$HS_TOOLS/hs_seed" --scale small --plan --json --only mongo)

"$PEERS_BIN/mongodump" --uri "$HIVESNAP_MONGO_URI" --db neural_hive --out "$tmp/dump" >"$tmp/dump.log" 2>&1 ||
	{ cat "$tmp/dump.log" >&2; fail "mongodump of neural_hive failed"; }
for coll in execution_tickets validation_audit workflow_results; do
	n=$(sed -n "s/.*done dumping neural_hive\.$coll (\([0-9]*\) documents\{0,1\}).*/\1/p" "$tmp/dump.log")
	[[ $n == "$(jq -r ".mongo.$coll" <<<"$want")" ]] || fail "mongodump gave $coll ${n:-no} documents, seeded $(jq -r ".mongo.$coll" <<<"$want")"
	[[ -s $tmp/dump/neural_hive/$coll.bson ]] || fail "no $coll.bson"
	echo "ok: $coll $n documents"
done
meta=$tmp/dump/neural_hive/execution_tickets.metadata.json
jq -e '.indexes[] | select(.name=="ticket_id_1" and .unique==true)' "$meta" >/dev/null || fail "no unique ticket_id_1 index"
jq -e '.indexes[] | select(.name=="plan_id_1_status_1")' "$meta" >/dev/null || fail "no compound plan_id_1_status_1 index"
echo "ok: unique and compound indexes"
"$PEERS_BIN/mongorestore" --uri "$HIVESNAP_MONGO_URI" --dryRun --nsInclude 'neural_hive.*' "$tmp/dump" >"$tmp/restore.log" 2>&1 ||
	{ cat "$tmp/restore.log" >&2; fail "mongorestore --dryRun of the dump failed"; }
echo "ok: mongorestore reads the dump"
