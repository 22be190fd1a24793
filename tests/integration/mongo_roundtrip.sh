#!/usr/bin/env bash
# MongoDB capture and restore on the MongoDB peer (FerretDB), in databases
# hs_it_mongo_* only (dropped before and after):
#  - the .bson entries are in the server's _id order (mixed _id types,
#    shuffled inserts), the metadata is byte for byte mongodump's, and
#    mongodump's documents are the same documents;
#  - mongorestore --dir <extracted>/mongo restores the archive's folder and
#    a snapshot of the result has byte-identical .bson entries;
#  - restore in each mode (insert, upsert, replace) into another namespace
#    with --map-ns, then snapshot: byte-identical .bson, same indexes; a
#    second restore skips (insert), replaces (upsert) or reloads (replace);
#  - the plan changes nothing; --include selects; a conflicting unique index
#    on the target is counted per document, and --stop-on-error stops;
#  - a collection the profile names that does not exist is a warning.
# Needs the env of `scripts/peers.sh env` (HIVESNAP_MONGO_URI, PEERS_BIN).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
: "${HIVESNAP:?}" "${HS_TOOLS:?}"
: "${HIVESNAP_MONGO_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
: "${PEERS_BIN:?not set: eval \"\$(scripts/peers.sh env)\"}"
U=$HIVESNAP_MONGO_URI
T=$HS_TOOLS/hs_mongo_tool
dbs=(hs_it_mongo_src hs_it_mongo_mr hs_it_mongo_insert hs_it_mongo_upsert hs_it_mongo_replace
	hs_it_mongo_conflict hs_it_mongo_plan hs_it_mongo_inc)
work=$(mktemp -d)
cleanup() {
	for db in "${dbs[@]}"; do "$T" drop "$U" "$db" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
for db in "${dbs[@]}"; do "$T" drop "$U" "$db" 2>/dev/null; done

"$T" seed "$U" hs_it_mongo_src tickets 2500 2>/dev/null
"$T" seed "$U" hs_it_mongo_src empty 0 2>/dev/null
"$T" cmd "$U" hs_it_mongo_src '{"createIndexes":"tickets","indexes":[{"key":{"k":1},"name":"k_1","unique":true},{"key":{"sub.status":1,"n":-1},"name":"status_n"}]}' >/dev/null 2>&1

# profile DB... : a profile capturing those databases
profile() {
	local f=$work/p-$1.yaml db
	{
		echo "name: itmongo"
		echo "mongo:"
		echo "  uri: \"$U\""
		echo "  parallel: 2"
		echo "  databases:"
		for db in "$@"; do echo "    - name: $db"; done
		echo "    - name: hs_it_mongo_nonexistent"
		echo "      collections: [ghost]"
	} >"$f"
	echo "$f"
}
snap() { # DB OUT
	rm -f "$2"
	"$HIVESNAP" snapshot -p "$(profile "$1")" -o "$2" --only mongo --quiet >/dev/null 2>"$work/snap.err" ||
		{ cat "$work/snap.err" >&2; fail "snapshot of $1 failed"; }
}
entry() { "$HIVESNAP" cat "$1" "$2"; }
same_bson() { # A DBA B DBB COLL
	cmp -s <(entry "$1" "mongo/$2/$5.bson") <(entry "$3" "mongo/$4/$5.bson") ||
		fail "mongo/$4/$5.bson differs from mongo/$2/$5.bson"
}
same_indexes() { # A DBA B DBB COLL
	diff <(entry "$1" "mongo/$2/$5.metadata.json" | jq -S '[.indexes[] | del(.v)] | sort_by(.name)') \
		<(entry "$3" "mongo/$4/$5.metadata.json" | jq -S '[.indexes[] | del(.v)] | sort_by(.name)') >&2 ||
		fail "indexes of $4.$5 differ from $2.$5"
}

A=$work/a.tar.zst
snap hs_it_mongo_src "$A"
"$HIVESNAP" verify "$A" >/dev/null || fail "verify of the snapshot failed"
m=$(entry "$A" manifest.json)
[[ $(jq -r .sources.mongo.status <<<"$m") == ok ]] || fail "mongo status is not ok: $(jq -c .sources.mongo <<<"$m")"
jq -e '.sources.mongo.watermark.kind | IN("at_cluster_time","operation_time","cluster_time","server_clock")' <<<"$m" >/dev/null ||
	fail "no watermark kind"
jq -e '.sources.mongo.details | (.snapshot|type=="boolean") and (.read_concern|type=="string")' <<<"$m" >/dev/null ||
	fail "the manifest does not say whether reads were a snapshot"
jq -e '.sources.mongo.details.warnings | any(contains("hs_it_mongo_nonexistent.ghost"))' <<<"$m" >/dev/null ||
	fail "no warning for the missing collection"
jq -e '[.sources.mongo.details.collections[] | select(.db=="hs_it_mongo_src") | {collection, documents}] ==
	[{"collection":"empty","documents":0},{"collection":"tickets","documents":2500}]' <<<"$m" >/dev/null ||
	fail "collection counts: $(jq -c .sources.mongo.details.collections <<<"$m")"
echo "ok: snapshot, manifest counts, watermark, warning"

"$HIVESNAP" extract "$A" "$work/x" >/dev/null
src=$work/x/mongo/hs_it_mongo_src
diff <("$T" ids "$src/tickets.bson") <("$T" ids-server "$U" hs_it_mongo_src tickets) >/dev/null ||
	fail "tickets.bson is not in the server's _id order"
echo "ok: documents in _id order"

"$PEERS_BIN/mongodump" --uri "$U" --db hs_it_mongo_src --out "$work/dump" >"$work/dump.log" 2>&1 ||
	{ cat "$work/dump.log" >&2; fail "mongodump failed"; }
for c in tickets empty; do
	cmp "$work/dump/hs_it_mongo_src/$c.metadata.json" "$src/$c.metadata.json" >&2 ||
		fail "$c.metadata.json differs from mongodump's"
	diff <("$T" docs "$work/dump/hs_it_mongo_src/$c.bson" | sort) <("$T" docs "$src/$c.bson" | sort) >/dev/null ||
		fail "$c.bson holds other documents than mongodump's"
done
echo "ok: metadata byte-identical to mongodump's, same documents"

# mongorestore reads the folder.  (It cannot create secondary indexes on
# FerretDB even from its own dumps: it sends "ns", which FerretDB rejects.)
"$PEERS_BIN/mongorestore" --uri "$U" --dir "$work/x/mongo" --nsInclude 'hs_it_mongo_src.*' \
	--nsFrom 'hs_it_mongo_src.*' --nsTo 'hs_it_mongo_mr.*' --noIndexRestore >"$work/mr.log" 2>&1 ||
	{ cat "$work/mr.log" >&2; fail "mongorestore --dir <extracted>/mongo failed"; }
snap hs_it_mongo_mr "$work/mr.tar.zst"
same_bson "$A" hs_it_mongo_src "$work/mr.tar.zst" hs_it_mongo_mr tickets
same_bson "$A" hs_it_mongo_src "$work/mr.tar.zst" hs_it_mongo_mr empty
echo "ok: mongorestore restores the archive's folder, documents byte-identical"

# The plan changes nothing.
"$HIVESNAP" restore "$A" -p "$(profile x)" --only mongo --map-ns 'hs_it_mongo_src.*=hs_it_mongo_plan.*' \
	--mongo-mode replace >"$work/plan.txt"
grep -q 'mongo:hs_it_mongo_plan.tickets .*replace .*2500 documents' "$work/plan.txt" || { cat "$work/plan.txt" >&2; fail "plan lacks tickets"; }
[[ $("$T" count "$U" hs_it_mongo_plan tickets 2>/dev/null) == 0 ]] || fail "the plan wrote documents"
echo "ok: plan only"

# --include selects namespaces (of the archive).
"$HIVESNAP" restore "$A" -p "$(profile x)" --only mongo --include 'hs_it_mongo_src.emp*' \
	--map-ns 'hs_it_mongo_src.*=hs_it_mongo_inc.*' --json >"$work/inc.json"
validate_json restore.schema.json "$work/inc.json"
jq -e '[.sources[0].plan[].target] == ["mongo:hs_it_mongo_inc.empty"]' "$work/inc.json" >/dev/null ||
	fail "--include: $(jq -c '[.sources[0].plan[].target]' "$work/inc.json")"
echo "ok: --include"

rest() { # MODE DB [extra args]
	local mode=$1 db=$2
	shift 2
	"$HIVESNAP" restore "$A" -p "$(profile x)" --only mongo --map-ns "hs_it_mongo_src.*=$db.*" \
		--mongo-mode "$mode" --execute --json --quiet "$@"
}
count_of() { jq -r --arg t "mongo:$2.tickets" ".sources[0].result[] | select(.target==\$t) | .$3" "$1"; }
for mode in insert upsert replace; do
	db=hs_it_mongo_$mode
	rest $mode $db >"$work/r1.json" || { cat "$work/r1.json" >&2; fail "restore --mongo-mode $mode failed"; }
	validate_json restore.schema.json "$work/r1.json"
	[[ $(count_of "$work/r1.json" $db inserted) == 2500 ]] || fail "$mode: $(jq -c .sources[0].result "$work/r1.json")"
	snap $db "$work/$mode.tar.zst"
	same_bson "$A" hs_it_mongo_src "$work/$mode.tar.zst" $db tickets
	same_bson "$A" hs_it_mongo_src "$work/$mode.tar.zst" $db empty
	same_indexes "$A" hs_it_mongo_src "$work/$mode.tar.zst" $db tickets
	rest $mode $db >"$work/r2.json" || fail "second restore --mongo-mode $mode failed"
	case $mode in
	insert) want="skipped=2500 inserted=0" ;;
	upsert) want="replaced=2500 inserted=0" ;;
	replace) want="inserted=2500 failed=0" ;;
	esac
	for kv in $want; do
		[[ $(count_of "$work/r2.json" $db "${kv%=*}") == "${kv#*=}" ]] ||
			fail "second $mode: want $kv: $(jq -c .sources[0].result "$work/r2.json")"
	done
	snap $db "$work/$mode-2.tar.zst"
	same_bson "$A" hs_it_mongo_src "$work/$mode-2.tar.zst" $db tickets
	echo "ok: restore --mongo-mode $mode round trip (twice)"
done

# A unique index on the target that one archive document violates.
"$T" cmd "$U" hs_it_mongo_conflict '{"create":"tickets"}' >/dev/null 2>&1
"$T" cmd "$U" hs_it_mongo_conflict '{"createIndexes":"tickets","indexes":[{"key":{"k":1},"name":"k_1","unique":true}]}' >/dev/null 2>&1
"$T" cmd "$U" hs_it_mongo_conflict '{"insert":"tickets","documents":[{"_id":"not-in-archive","k":{"$numberInt":"7"}}]}' >/dev/null 2>&1
crc=0
rest insert hs_it_mongo_conflict >"$work/c.json" || crc=$?
# documents failed but the run went on (no --stop-on-error): exit 2, partial
[[ $crc == 2 ]] || { cat "$work/c.json" >&2; fail "restore with a conflicting index: exit $crc, want 2"; }
[[ $(jq -r .exit_code "$work/c.json") == 2 ]] || fail "report exit_code is not 2"
for kv in failed=1 inserted=2499 skipped=0; do
	[[ $(count_of "$work/c.json" hs_it_mongo_conflict "${kv%=*}") == "${kv#*=}" ]] ||
		fail "conflict: want $kv: $(jq -c .sources[0].result "$work/c.json")"
done
"$T" drop "$U" hs_it_mongo_conflict
"$T" cmd "$U" hs_it_mongo_conflict '{"create":"tickets"}' >/dev/null 2>&1
"$T" cmd "$U" hs_it_mongo_conflict '{"createIndexes":"tickets","indexes":[{"key":{"k":1},"name":"k_1","unique":true}]}' >/dev/null 2>&1
"$T" cmd "$U" hs_it_mongo_conflict '{"insert":"tickets","documents":[{"_id":"not-in-archive","k":{"$numberInt":"7"}}]}' >/dev/null 2>&1
set +e
rest insert hs_it_mongo_conflict --stop-on-error >"$work/c2.json" 2>"$work/c2.err"
rc=$?
set -e
[[ $rc == 3 ]] || fail "--stop-on-error: exit $rc, want 3"
grep -q 'stop-on-error' "$work/c2.err" || { cat "$work/c2.err" >&2; fail "--stop-on-error: no reason given"; }
echo "ok: conflicting unique index counted, --stop-on-error stops (exit 3)"
