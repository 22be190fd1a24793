#!/usr/bin/env bash
# The BSON the test server cannot store (FerretDB 1.24 refuses NaN,
# +-Infinity, nested arrays and Decimal128), through everything that needs
# no server, on tests/fixtures/bson/ (see its README): the fixture is what
# its generator writes today; verify passes; `cat --json` is the canonical
# Extended JSON of tests/fixtures/bson/types.ejson (and the values the
# spec names, checked one by one); `diff` finds the archive equal to
# itself and the document changed only from -0.0 to 0.0; `extract` passes
# `sha256sum -c` and writes the bytes cat streams, documents intact.
# bsondump is bson_types_bsondump.sh; restore's document reader is
# tests/unit/test_bson_types.c.
source "$(dirname "$0")/lib.sh"
fx=$HS_FIXTURES/bson
a=$fx/types.tar.zst
b=$fx/types-zero.tar.zst
bson=mongo/hs_bsontypes/types.bson

# the checked-in archives are what hs_mkbsontypes writes: every entry byte
# for byte, but for the host in the header and completed_at in the manifest
# (stamped from the machine and the clock; masked here), and SHA256SUMS'
# lines for those two
"$HS_TOOLS/hs_mkbsontypes" "$tmp/types.tar.zst" || fail "hs_mkbsontypes failed"
"$HS_TOOLS/hs_mkbsontypes" --zero "$tmp/types-zero.tar.zst" || fail "hs_mkbsontypes --zero failed"
for f in types types-zero; do
	expect_exit 0 "$HIVESNAP" extract "$fx/$f.tar.zst" "$tmp/x-old-$f"
	expect_exit 0 "$HIVESNAP" extract "$tmp/$f.tar.zst" "$tmp/x-new-$f"
	/usr/bin/python3 - "$tmp/x-old-$f" "$tmp/x-new-$f" <<'PY' || fail "tests/fixtures/bson/$f.tar.zst is not what tests/tools/hs_mkbsontypes writes: regenerate it (tests/fixtures/bson/README)"
import json, os, sys
old, new = sys.argv[1:3]
def files(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)
assert files(old) == files(new), (files(old), files(new))
for name in sorted(files(old), key=lambda n: (n in ("hivesnap.json", "manifest.json", "SHA256SUMS"), n)):
    x, y = (open(os.path.join(d, name), "rb").read() for d in (old, new))
    if name == "hivesnap.json":
        x, y = (json.loads(v) for v in (x, y))
        x.pop("host"); y.pop("host")
    elif name == "manifest.json":
        x, y = (json.loads(v) for v in (x, y))
        x.pop("completed_at"); y.pop("completed_at")
        for m in (x, y):
            for e in m["entries"]:
                if e["name"] == "hivesnap.json":
                    e.pop("sha256"); e.pop("size")
            m["totals"].pop("bytes")
    elif name == "SHA256SUMS":
        x, y = ([l for l in v.splitlines() if not l.endswith((b"  hivesnap.json", b"  manifest.json"))] for v in (x, y))
    assert x == y, "%s differs" % name
PY
done
echo "ok: both archives are what hs_mkbsontypes writes (every entry but the machine's stamps)"

# a real snapshot's layout: header, metadata then documents, manifest, SHA256SUMS
expect_exit 0 "$HIVESNAP" ls "$a"
[[ $(awk '{print $NF}' "$tmp/out" | tr '\n' ' ') == "hivesnap.json mongo/hs_bsontypes/types.metadata.json $bson " ]] ||
	fail "ls lists: $(cat "$tmp/out")"
grep -qE "^ +[0-9]+ +[0-9a-f]{64} +mongo +10 +$bson\$" "$tmp/out" || fail "ls: the .bson entry is not 10 mongo documents: $(cat "$tmp/out")"
echo "ok: ls lists the entries a mongo snapshot has, 10 documents"

for f in "$a" "$b"; do
	expect_exit 0 "$HIVESNAP" verify "$f"
	expect_stdout_match '^ok '
done

# cat --json: the checked-in canonical Extended JSON, each 1 MiB base64
# string shown as its decoded length and sha256 (types.ejson stays small)
expect_exit 0 "$HIVESNAP" cat --json "$a" "$bson"
cp "$tmp/out" "$tmp/cat.ejson"
/usr/bin/python3 - "$tmp/cat.ejson" >"$tmp/cat.norm" <<'PY' || fail "cannot shorten the cat --json output"
import base64, hashlib, re, sys
def short(m):
    d = base64.b64decode(m.group(1), validate=True)
    return '"base64" : "<%d bytes, sha256 %s>"' % (len(d), hashlib.sha256(d).hexdigest())
sys.stdout.write(re.sub(r'"base64" : "([A-Za-z0-9+/=]{4096,})"', short, open(sys.argv[1]).read()))
PY
diff -u "$fx/types.ejson" "$tmp/cat.norm" >"$tmp/cat.diff" ||
	{ head -c 4000 "$tmp/cat.diff" >&2; fail "cat --json differs from tests/fixtures/bson/types.ejson"; }
echo "ok: cat --json is tests/fixtures/bson/types.ejson"

# the values as the canonical Extended JSON spec writes them, one by one
# (parsed, so the check holds whatever the spacing)
/usr/bin/python3 - "$tmp/cat.ejson" <<'PY' || fail "cat --json is not the canonical Extended JSON of the fixture"
import base64, json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert len(docs) == 10, len(docs)
assert [d["_id"] for d in docs] == [{"$numberInt": str(i)} for i in range(1, 11)]
D = lambda s: {"$numberDouble": s}
N = lambda s: {"$numberDecimal": s}
d = docs[0]
for k, v in [("nan", "NaN"), ("pinf", "Infinity"), ("ninf", "-Infinity"), ("negzero", "-0.0"), ("zero", "0.0"), ("one", "1.0"), ("neg", "-1.5")]:
    assert d[k] == D(v), (k, d[k])
for k in ("third", "max", "min_normal", "min_subnormal", "big"):  # round-trips exactly
    assert float(d[k]["$numberDouble"]) == {"third": 1 / 3, "max": 1.7976931348623157e308, "min_normal": 2.2250738585072014e-308, "min_subnormal": 5e-324, "big": 1.2345678921232e18}[k], k
assert d["in_array"] == [D("NaN"), D("-0.0"), D("-Infinity")]
d = docs[1]
for k, v in [("nan", "NaN"), ("pinf", "Infinity"), ("ninf", "-Infinity"), ("zero", "0"), ("negzero", "-0"), ("trailing", "1.000"), ("money", "-12345.67"), ("max", "9.999999999999999999999999999999999E+6144"), ("min", "1E-6176"), ("exp", "1.23E+40")]:
    assert d[k] == N(v), (k, d[k])
I = lambda n: {"$numberInt": str(n)}
d = docs[2]
assert d["nested"] == [[I(1), [I(2)]]] and d["empty"] == [] and d["empty_doc"] == {}
assert d["mixed"] == [I(1), "two", [D("3.0"), [None]], {"k": []}]
d = docs[3]
assert d[""] == "the empty key" and d["a.b"] == "a dotted key"
assert d["nested"] == {"$x": I(1), "a.b": "dotted, nested", "": {"$x": True}}
assert d["in_array"] == [{"$x": "dollar key in an array's document"}]
for n, sub, salt in ((4, "00", 0), (5, "80", 1)):
    b = docs[n]["bin"]["$binary"]
    assert b["subType"] == sub, b["subType"]
    raw = base64.b64decode(b["base64"], validate=True)
    assert raw == bytes(((i % 251) * 7 + salt) & 0xFF for i in range(1 << 20)), "1 MiB binary of document %d" % (n + 1)
d = docs[5]
assert d["uuid"] == {"$binary": {"base64": "ABEiM0RVRneImaq7zN3u/w==", "subType": "04"}}
assert d["old"] == {"$binary": {"base64": "b2xk", "subType": "02"}} and d["empty"]["$binary"] == {"base64": "", "subType": "00"}
x, depth = docs[6]["d"], 1
while "d" in x:
    x, depth = x["d"], depth + 1
assert depth == 40 and x == {"leaf": "bottom"}, depth
x, depth = docs[7]["a"], 1
while isinstance(x[0], list):
    x, depth = x[0], depth + 1
assert depth == 40 and x == [I(40)], depth
L = lambda n: {"$numberLong": str(n)}
d = docs[8]
assert d["i32_min"] == I(-2**31) and d["i32_max"] == I(2**31 - 1)
assert d["i64_min"] == L(-2**63) and d["i64_max"] == L(2**63 - 1) and d["i64_small"] == L(1)
assert d["date_neg"] == {"$date": L(-1)} and d["date_1900"] == {"$date": L(-2208988800000)}
assert d["date_min"] == {"$date": L(-2**63)} and d["date_10000"] == {"$date": L(253402300800000)}
assert d["ts"] == {"$timestamp": {"t": 1700000000, "i": 7}} and d["ts_max"] == {"$timestamp": {"t": 2**32 - 1, "i": 2**32 - 1}}
assert d["oid"] == {"$oid": "65768798a9bacbdcedfe0f20"}
assert d["min"] == {"$minKey": 1} and d["max"] == {"$maxKey": 1} and d["null"] is None and d["t"] is True
d = docs[9]
assert d["nul_inside"] == "a\0b" and d["controls"] == 'tab\there "quoted" back\\slash \x01\x1f'
assert d["unicode"] == "caf\u00e9 \u2028 \U0001f41d"
assert d["regex"] == {"$regularExpression": {"pattern": "^a.b$", "options": "imsux"}}
assert d["code"] == {"$code": "function () { return 1; }"}
assert d["code_scope"] == {"$code": "function () { return x; }", "$scope": {"x": I(1)}}
assert d["symbol"] == {"$symbol": "sym"} and d["undefined"] == {"$undefined": True}
assert d["dbpointer"] == {"$dbPointer": {"$ref": "db.coll", "$id": {"$oid": "112233445566778899aabbcc"}}}
PY
echo "ok: cat --json writes NaN, Infinity, -0.0, decimals, binaries, dates, keys and depth as canonical Extended JSON"

# the B side differs from A in one byte pattern only: document 1's negzero
expect_exit 0 "$HIVESNAP" cat --json "$b" "$bson"
grep -qF '"negzero" : { "$numberDouble" : "-0.0" }' "$tmp/cat.ejson" || fail "types.tar.zst's document 1 does not hold negzero -0.0"
cmp -s <(sed 1d "$tmp/cat.ejson") <(sed 1d "$tmp/out") || fail "types-zero.tar.zst differs in more than document 1"
[[ $(sed -n 1p "$tmp/cat.ejson" | sed 's/"negzero" : { "$numberDouble" : "-0.0" }/"negzero" : { "$numberDouble" : "0.0" }/') == "$(sed -n 1p "$tmp/out")" ]] ||
	fail "types-zero.tar.zst's document 1 differs in more than negzero"
echo "ok: types-zero.tar.zst differs from types.tar.zst only in document 1's negzero (-0.0 -> 0.0)"

# diff: equal to itself (and to its regenerated copy); -0.0 -> 0.0 is a change
expect_exit 0 "$HIVESNAP" diff "$a" "$a"
expect_stdout_match '^equal: '
expect_exit 0 "$HIVESNAP" diff "$a" "$tmp/types.tar.zst"
expect_exit 0 "$HIVESNAP" diff --json --details "$a" "$a"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["equal"] is True and d["changes"] == [], d' "$tmp/out" ||
	fail "diff --json of the archive with itself is not equal: $(head -c 500 "$tmp/out")"
expect_exit 1 "$HIVESNAP" diff --details "$a" "$b"
grep -qE "^mongo +changed +0 +0 +1 +$bson\$" "$tmp/out" || fail "diff does not report 1 changed document in $bson: $(cat "$tmp/out")"
grep -qxF '  ~ 1 (negzero)' "$tmp/out" || fail "diff --details does not name _id 1 and its field negzero: $(cat "$tmp/out")"
[[ $(grep -c 'changed' "$tmp/out") == 1 ]] || fail "diff reports more than one change: $(cat "$tmp/out")"
expect_exit 1 "$HIVESNAP" diff --json --details "$a" "$b"
validate_json diff.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" <<'PY' || fail "diff --json does not report the -0.0 -> 0.0 document as changed: $(head -c 1000 "$tmp/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["equal"] is False
c = d["changes"]
assert len(c) == 1 and c[0]["entry"] == "mongo/hs_bsontypes/types.bson", c
assert (c[0]["added"], c[0]["removed"], c[0]["changed"]) == (0, 0, 1), c
assert c[0]["items"] == [{"change": "changed", "fields": ["negzero"], "key": 1}], c[0]["items"]
PY
expect_exit 1 "$HIVESNAP" diff --details "$b" "$a"
grep -qxF '  ~ 1 (negzero)' "$tmp/out" || fail "diff B A does not name _id 1 (negzero): $(cat "$tmp/out")"
echo "ok: diff: equal to itself; -0.0 -> 0.0 found as document 1 changed in field negzero, both ways"

# extract: SHA256SUMS holds, the .bson is the bytes cat streams, 10 whole documents
expect_exit 0 "$HIVESNAP" extract "$a" "$tmp/x"
(cd "$tmp/x" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c SHA256SUMS fails after extract"
"$HIVESNAP" cat "$a" "$bson" >"$tmp/raw.bson" || fail "cat of $bson failed"
cmp -s "$tmp/raw.bson" "$tmp/x/$bson" || fail "the extracted $bson differs from what cat streams"
/usr/bin/python3 - "$tmp/x/$bson" <<'PY' || fail "the extracted $bson is not 10 whole BSON documents with _id 1..10"
import struct, sys
d, off, ids = open(sys.argv[1], "rb").read(), 0, []
while off < len(d):
    n = struct.unpack_from("<i", d, off)[0]
    assert n >= 5 and off + n <= len(d) and d[off + n - 1] == 0, off
    assert d[off + 4:off + 9] == b"\x10_id\x00", off
    ids.append(struct.unpack_from("<i", d, off + 9)[0])
    off += n
assert ids == list(range(1, 11)), ids
PY
echo "ok: extract: sha256sum -c passes, the .bson is cat's bytes, 10 documents in _id order"
