#!/usr/bin/env bash
# diag's mongo collector on the shared FerretDB, in this test's OWN database
# (diagtest_..., dropped on exit): diag/mongo/server.json has what the server
# gives (FerretDB: buildInfo's version, part of serverStatus), and
# diag/mongo/collections.json each profile collection's count, size and
# indexes; a profile collection that does not exist is a warning, not a
# failure.  Credentials it does not accept: "MongoDB authentication failed".
# Then a server that does not answer: the collector fails,
# "MongoDB unreachable" (critical), exit 2, no password anywhere.
set -euo pipefail
. "$(dirname "$0")/diag_src_lib.bash"
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"
: "${HIVESNAP_MONGO_URI:?run with the peers env: eval \"\$(scripts/peers.sh env)\"}"
MT=$HS_TOOLS/hs_mongo_tool
db=diagtest_$$_$RANDOM
cleanup() {
	"$MT" drop "$HIVESNAP_MONGO_URI" "$db" >/dev/null 2>&1 || true
	diag_cleanup
}
trap cleanup EXIT

"$MT" seed "$HIVESNAP_MONGO_URI" "$db" tickets 250 >/dev/null
"$MT" seed "$HIVESNAP_MONGO_URI" "$db" audit 40 >/dev/null
"$MT" cmd "$HIVESNAP_MONGO_URI" "$db" '{"createIndexes": "tickets", "indexes": [{"key": {"n": 1}, "name": "n_1"}]}' >/dev/null
cat >"$work/p.yaml" <<EOF
name: diag-mongo
mongo:
  uri: $HIVESNAP_MONGO_URI
  databases:
    - name: $db
      collections: [tickets, audit, missing_coll]
EOF
diag_rc 0 "$work/a.tar.zst" -p "$work/p.yaml" --only mongo
check_status mongo warning
has_entry diag/mongo/server.json
has_entry diag/mongo/collections.json
s=$work/b/diag/mongo/server.json
jq -e '.buildInfo.version | type == "string"' "$s" >/dev/null || fail "server.json has no version: $(cat "$s")"
jq -e '(.serverStatus | type == "object") or (.unavailable | length > 0)' "$s" >/dev/null || fail "server.json: no serverStatus and no reason"
ok "server.json: version $(jq -r .buildInfo.version "$s")"
c=$work/b/diag/mongo/collections.json
q() { jq -r --arg c "$1" ".collections[] | select(.collection == \$c) | $2" "$c"; }
[[ $(q tickets .count) == 250 ]] || fail "tickets count: $(q tickets .)"
[[ $(q audit .count) == 40 ]] || fail "audit count: $(q audit .)"
[[ $(q tickets '[.indexes[].name] | sort | join(",")') == "_id_,n_1" ]] || fail "tickets indexes: $(q tickets .indexes)"
(($(q tickets .size) > 0)) || fail "tickets size: $(q tickets .)"
[[ $(q missing_coll .exists) == false ]] || fail "missing collection: $(q missing_coll .)"
ok "collections.json: counts, sizes, indexes; the missing collection marked"
jq -e '[.. | objects | select(.name? == "mongo" and has("warnings")) | .warnings[] | select(test("missing_coll"))] | length == 1' \
	"$work/b/diag/checks.json" >/dev/null || fail "no warning about the missing collection: $(cat "$work/b/diag/checks.json")"
no_finding MongoDB

# credentials the server does not accept: the collector fails, the finding says so
sed "s#mongodb://#mongodb://diaguser:MongoPW-s3cret@#" "$work/p.yaml" >"$work/auth.yaml"
diag_rc 2 "$work/c.tar.zst" -p "$work/auth.yaml" --only mongo
check_status mongo failed
finding critical '^MongoDB authentication failed$' "Check Dependencies"
nowhere MongoPW-s3cret "the mongo password"

port=$(closed_port)
cat >"$work/down.yaml" <<EOF
name: diag-mongo-down
mongo:
  uri: mongodb://diaguser:MongoPW-s3cret@127.0.0.1:$port/?serverSelectionTimeoutMS=1500
  databases:
    - name: $db
EOF
diag_rc 2 "$work/b.tar.zst" -p "$work/down.yaml" --only mongo
check_status mongo failed
finding critical '^MongoDB unreachable$' "Check Dependencies"
nowhere MongoPW-s3cret "the mongo password"
echo "PASS"
