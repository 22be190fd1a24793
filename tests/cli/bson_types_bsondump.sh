#!/usr/bin/env bash
# MongoDB's own bsondump reads the .bson that `hivesnap extract` writes from
# the BSON types fixture (tests/fixtures/bson/: NaN, +-Infinity, -0.0,
# Decimal128, nested arrays, odd keys, 1 MiB binaries, 40-deep nesting,
# every type) with --objcheck, finds its 10 documents, and prints the same
# canonical Extended JSON as `hivesnap cat --json`, value for value
# (doubles compared as numbers: bsondump writes the shortest digits that
# round-trip, libbson 20 significant digits, both exact).
#
# bsondump is built by the tools peer (scripts/peers/tools.sh) and linked
# into PEERS_BIN by `scripts/peers.sh start`, which scripts/test.sh runs; it
# is looked for there, then on PATH, then in the peers' build cache.  When
# there is none this test exits 77, which ctest reports as skipped (not
# passed), saying why.
source "$(dirname "$0")/lib.sh"
a=$HS_FIXTURES/bson/types.tar.zst
bson=mongo/hs_bsontypes/types.bson

bsondump=
for c in "${PEERS_BIN:+$PEERS_BIN/bsondump}" "$(command -v bsondump || true)" \
	"${HIVESNAP_PEERS_CACHE:-$HOME/.cache/hivesnap-peers}"/tools-*/bsondump; do
	if [[ -n $c && -x $c ]]; then
		bsondump=$c
		break
	fi
done
if [[ -z $bsondump ]]; then
	echo "SKIP: no bsondump (not in PEERS_BIN=${PEERS_BIN:-unset}, on PATH or in the peers' cache): build it with 'scripts/peers.sh build tools'" >&2
	exit 77
fi
echo "bsondump: $bsondump"

expect_exit 0 "$HIVESNAP" extract "$a" "$tmp/x"
(cd "$tmp/x" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c SHA256SUMS fails after extract"
expect_exit 0 "$bsondump" --objcheck --bsonFile="$tmp/x/$bson" --outFile="$tmp/bsondump.json"
expect_stderr_match '(^|[[:space:]])10 objects found'
expect_exit 0 "$HIVESNAP" cat --json "$a" "$bson"
/usr/bin/python3 - "$tmp/out" "$tmp/bsondump.json" <<'PY' || fail "bsondump and hivesnap cat --json disagree"
import json, sys
def norm(v):
    if isinstance(v, dict):
        if list(v) == ["$numberDouble"]:
            s = v["$numberDouble"]
            return ("double", s if s in ("NaN", "Infinity", "-Infinity") else repr(float(s)))
        return [(k, norm(x)) for k, x in v.items()]  # key order counts
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v
cat = [json.loads(l) for l in open(sys.argv[1])]
dump = [json.loads(l) for l in open(sys.argv[2])]
assert len(cat) == len(dump) == 10, (len(cat), len(dump))
for i, (x, y) in enumerate(zip(cat, dump)):
    assert norm(x) == norm(y), "document %d differs" % (i + 1)
assert dump[0]["negzero"] == {"$numberDouble": "-0.0"} and dump[0]["nan"] == {"$numberDouble": "NaN"}
assert dump[1]["nan"] == {"$numberDecimal": "NaN"}
PY
echo "ok: bsondump --objcheck reads the extracted .bson: 10 documents, the Extended JSON cat --json writes"
