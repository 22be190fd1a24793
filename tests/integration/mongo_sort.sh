#!/usr/bin/env bash
# Client-side _id sort on the MongoDB peer (FerretDB), in database
# hs_it_sort only (dropped before and after):
#  - a collection of mixed _id types (int32, int64, doubles negative and
#    fractional, strings with a NUL and prefixes, ObjectIds, dates before
#    and after 1970, bools, binaries of different length and subtype, null,
#    a timestamp) and 5000 plain documents: --mongo-sort client (in memory,
#    and with HIVESNAP_MONGO_SORT_MEM=65536 so runs spill to disk and merge)
#    writes .bson entries byte-identical to --mongo-sort server's, and the
#    manifest says which sort each collection got;
#  - a collection with a subdocument _id falls back to the server sort (the
#    manifest says server) and is still identical;
#  - the default (auto) picks client on FerretDB; a bad --mongo-sort is 64.
# FerretDB refuses NaN, infinities, MinKey, MaxKey and decimal128 as _id,
# and the empty string and empty binary _ids were refused as duplicates of
# other _ids in some insert orders: those are covered by
# tests/unit/test_mongo_idkey.c only.
# Needs the env of `scripts/peers.sh env` (HIVESNAP_MONGO_URI).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}" "${HS_TOOLS:?}"
: "${HIVESNAP_MONGO_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
U=$HIVESNAP_MONGO_URI
T=$HS_TOOLS/hs_mongo_tool
DB=hs_it_sort
work=$(mktemp -d)
cleanup() {
	"$T" drop "$U" "$DB" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
"$T" drop "$U" "$DB" >/dev/null 2>&1 || true

ids=('{"$numberInt":"-5"}' '{"$numberInt":"7"}' '{"$numberLong":"-9007199254740992"}'
	'{"$numberLong":"9007199254740992"}' '{"$numberLong":"3"}' '{"$numberDouble":"-2.5"}'
	'{"$numberDouble":"1.5"}' '{"$numberDouble":"-0.001"}' '{"$numberDouble":"1e300"}' '"a"' '"ab"'
	'"B"' '"a\u0000b"' '"a\u0000"' '"\u00e9t\u00e9"' '{"$oid":"5f0000000000000000000001"}'
	'{"$oid":"0f0000000000000000000001"}' '{"$oid":"5f0000000000000000000100"}'
	'{"$date":{"$numberLong":"-86400000"}}' '{"$date":{"$numberLong":"0"}}'
	'{"$date":{"$numberLong":"1700000000000"}}' true false
	'{"$binary":{"base64":"AAE=","subType":"00"}}' '{"$binary":{"base64":"/w==","subType":"00"}}'
	'{"$binary":{"base64":"AA==","subType":"80"}}'
	'{"$binary":{"base64":"AAAAAAAAAAAAAAAAAAAAAA==","subType":"04"}}' null
	'{"$timestamp":{"t":5,"i":1}}')
# inserted one at a time in a shuffled order
for v in $(printf '%s\n' "${ids[@]}" | shuf); do
	r=$("$T" cmd "$U" "$DB" "{\"insert\":\"mixed\",\"documents\":[{\"_id\":$v,\"v\":$v}]}" 2>&1) ||
		fail "insert of $v: $r"
	grep -q '"n" : { "$numberInt" : "1" }' <<<"$r" || { "$T" ids-server "$U" "$DB" mixed >&2; fail "insert of $v refused: $r"; }
done
"$T" seed "$U" "$DB" plain 5000 >/dev/null 2>&1
"$T" cmd "$U" "$DB" '{"insert":"subdoc","documents":[{"_id":{"a":2}},{"_id":7},{"_id":{"a":1,"b":1}},{"_id":"x"}]}' >/dev/null 2>&1
[[ $("$T" count "$U" "$DB" mixed) == "${#ids[@]}" ]] || fail "mixed has $("$T" count "$U" "$DB" mixed) documents"

{
	echo "name: itsort"
	echo "mongo:"
	echo "  uri: \"$U\""
	echo "  parallel: 2"
	echo "  databases:"
	echo "    - name: $DB"
} >"$work/p.yaml"
snap() { # OUT [ARGS...]
	local out=$1
	shift
	"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$out" --only mongo --log-level debug "$@" >/dev/null 2>"$out.err" ||
		{ cat "$out.err" >&2; fail "snapshot $* failed"; }
}
sorts() { "$HIVESNAP" cat "$1" manifest.json | jq -c '[.sources.mongo.details.collections[] | .collection + "=" + .sort]'; }
same() { # A B COLL
	cmp <("$HIVESNAP" cat "$1" "mongo/$DB/$3.bson") <("$HIVESNAP" cat "$2" "mongo/$DB/$3.bson") >&2 ||
		fail "mongo/$DB/$3.bson of $(basename "$2") differs from $(basename "$1")'s"
}

snap "$work/server.tar.zst" --mongo-sort server
snap "$work/client.tar.zst" --mongo-sort client
HIVESNAP_MONGO_SORT_MEM=65536 snap "$work/spill.tar.zst" --mongo-sort client
snap "$work/auto.tar.zst"
for f in server client spill auto; do
	"$HIVESNAP" verify "$work/$f.tar.zst" >/dev/null || fail "verify of $f failed"
done

# the server's order itself is _id order as the server sorts it
"$HIVESNAP" extract "$work/server.tar.zst" "$work/x" >/dev/null
diff <("$T" ids "$work/x/mongo/$DB/mixed.bson") <("$T" ids-server "$U" "$DB" mixed) >&2 ||
	fail "mixed.bson of the server sort is not in the server's _id order"
[[ $("$T" ids "$work/x/mongo/$DB/mixed.bson" | wc -l) == "${#ids[@]}" ]] || fail "mixed.bson lacks documents"

want_server='["mixed=server","plain=server","subdoc=server"]'
want_client='["mixed=client","plain=client","subdoc=server"]'
[[ $(sorts "$work/server.tar.zst") == "$want_server" ]] || fail "server manifest: $(sorts "$work/server.tar.zst")"
for f in client spill auto; do
	[[ $(sorts "$work/$f.tar.zst") == "$want_client" ]] || fail "$f manifest: $(sorts "$work/$f.tar.zst")"
	for c in mixed plain subdoc; do same "$work/server.tar.zst" "$work/$f.tar.zst" "$c"; done
done
"$HIVESNAP" cat "$work/auto.tar.zst" manifest.json | jq -e '.sources.mongo.details.sort == "auto"' >/dev/null ||
	fail "the manifest does not say the sort was auto"
"$HIVESNAP" cat "$work/spill.tar.zst" manifest.json |
	jq -e '[.sources.mongo.details.collections[] | select(.collection=="plain")][0].documents == 5000' >/dev/null ||
	fail "plain's count is not 5000"
grep -q "'$DB.plain': 5000 documents read in natural order, [1-9][0-9]* sorted runs on disk" "$work/spill.tar.zst.err" ||
	fail "the small sort memory did not spill runs: $(grep -i runs "$work/spill.tar.zst.err")"
grep -q "'$DB.plain': 5000 documents read in natural order, 0 sorted runs on disk" "$work/client.tar.zst.err" ||
	fail "the default sort memory spilled 5000 small documents"
grep -q "'$DB.subdoc': an _id of this type cannot be ordered by hivesnap" "$work/client.tar.zst.err" ||
	fail "no info line for the subdocument _id's fallback"
echo "ok: client sort (in memory and spilled) byte-identical to the server sort; fallback; auto is client on FerretDB"

set +e
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/bad.tar.zst" --only mongo --mongo-sort fast >/dev/null 2>"$work/bad.err"
rc=$?
set -e
[[ $rc == 64 ]] || fail "--mongo-sort fast: exit $rc"
grep -q -- "--mongo-sort takes auto, server or client" "$work/bad.err" || fail "bad --mongo-sort error: $(cat "$work/bad.err")"
[[ ! -e $work/bad.tar.zst ]] || fail "--mongo-sort fast wrote an archive"
echo "ok: a bad --mongo-sort is a usage error"
