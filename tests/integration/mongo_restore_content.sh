#!/usr/bin/env bash
# MongoDB restore writes back what was captured, and checks what it reads
# before it writes anything (issues #25 item 2, #26 items 3 and 4), on the
# MongoDB peer (FerretDB), in databases hs_it_mfid_* only (dropped before
# and after):
#  - a document with an empty field name ({"_id": "k-empty", "": "x"}),
#    which the server stores and mongorestore restores, is captured and
#    restored in every mode (it used to be refused by the driver's key
#    check: "1 documents could not be loaded ()", exit 3 in replace mode,
#    the collections after it not restored); the restored .bson is
#    byte-identical;
#  - documents the server itself refuses (FerretDB: a key "a.b", a nested
#    "$x") are counted per document and named by _id with the server's
#    code and message in the report and the log; never an empty reason;
#  - archives made the way an attacker would (checksums, manifest and index
#    frame consistent: tests/tools/hs_repack.py), so that only the content
#    check can catch them: a .bson whose last document is truncated, or
#    whose document 1500 has an unknown element type, is exit 65 before
#    anything is written (no collection is created on the target), and so
#    are `cat --json` and `diff`;
#  - an archive naming admin.system.users, and --map-ns into admin, config,
#    local or a system.* collection, are refused (exit 5) before anything
#    is written unless --allow-system is given.
# Needs the env of `scripts/peers.sh env` (HIVESNAP_MONGO_URI, PEERS_BIN).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
: "${HIVESNAP:?}" "${HS_TOOLS:?}" "${HS_SRC:?}"
: "${HIVESNAP_MONGO_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
: "${PEERS_BIN:?not set: eval \"\$(scripts/peers.sh env)\"}"
U=$HIVESNAP_MONGO_URI
T=$HS_TOOLS/hs_mongo_tool
REPACK=$HS_SRC/tests/tools/hs_repack.py
dbs=(hs_it_mfid_src hs_it_mfid_mr hs_it_mfid_insert hs_it_mfid_upsert hs_it_mfid_replace hs_it_mfid_ref
	hs_it_mfid_refrep hs_it_mfid_cut hs_it_mfid_type hs_it_mfid_sys hs_it_mfid_x)
work=$(mktemp -d)
cleanup() {
	for db in "${dbs[@]}"; do "$T" drop "$U" "$db" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
for db in "${dbs[@]}"; do "$T" drop "$U" "$db" 2>/dev/null; done

# the collections of a database, one per line (none: nothing)
colls() { "$T" cmd "$U" "$1" '{"listCollections":1,"nameOnly":true}' | jq -r '.cursor.firstBatch[].name' | sort; }
# the number of documents of DB.COLL
count() { "$T" count "$U" "$1" "$2"; }
entry() { "$HIVESNAP" cat "$1" "$2"; }

"$T" seed "$U" hs_it_mfid_src odd 3000 2>/dev/null
"$T" cmd "$U" hs_it_mfid_src '{"insert":"odd","documents":[{"_id":"k-empty","":"x"}]}' >/dev/null
"$T" seed "$U" hs_it_mfid_src z_after 10 2>/dev/null
[[ $(count hs_it_mfid_src odd) == 3001 ]] || fail "the server did not store the document with an empty key"

cat >"$work/p.yaml" <<EOF
name: itmfid
mongo:
  uri: "$U"
  parallel: 1
  databases:
    - name: hs_it_mfid_src
EOF
A=$work/a.tar.zst
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$A" --only mongo --quiet >/dev/null 2>"$work/snap.err" ||
	{ cat "$work/snap.err" >&2; fail "snapshot failed"; }
entry "$A" mongo/hs_it_mfid_src/odd.bson >"$work/odd.bson"
"$HIVESNAP" cat --json "$A" mongo/hs_it_mfid_src/odd.bson >"$work/odd.ejson"
grep -q '"_id" : "k-empty", "" : "x"' "$work/odd.ejson" ||
	fail "the capture lost the document with an empty key"
ok "captured: odd (3001 documents, one with an empty key) and z_after"

# mongorestore restores it (the reference)
"$HIVESNAP" extract "$A" "$work/x" >/dev/null
"$PEERS_BIN/mongorestore" --uri "$U" --dir "$work/x/mongo" --nsInclude 'hs_it_mfid_src.*' \
	--nsFrom 'hs_it_mfid_src.*' --nsTo 'hs_it_mfid_mr.*' --noIndexRestore >"$work/mr.log" 2>&1 ||
	{ cat "$work/mr.log" >&2; fail "mongorestore failed"; }
[[ $(count hs_it_mfid_mr odd) == 3001 ]] || fail "mongorestore: $(count hs_it_mfid_mr odd) documents, want 3001"

# --- #25.2: restore sends documents unvalidated, as mongorestore does
for mode in replace insert upsert; do
	db=hs_it_mfid_$mode
	rc=0
	"$HIVESNAP" restore "$A" -p "$work/p.yaml" --only mongo --map-ns "hs_it_mfid_src.*=$db.*" \
		--mongo-mode $mode --execute --json --quiet >"$work/$mode.json" 2>"$work/$mode.err" || rc=$?
	[[ $rc == 0 ]] || fail "restore --mongo-mode $mode: exit $rc: $(cat "$work/$mode.err")"
	validate_json restore.schema.json "$work/$mode.json"
	[[ $(count $db odd) == 3001 && $(count $db z_after) == 10 ]] ||
		fail "$mode: odd $(count $db odd) (want 3001), z_after $(count $db z_after) (want 10)"
	"$T" cmd "$U" $db '{"find":"odd","filter":{"_id":"k-empty"}}' | jq -e '.cursor.firstBatch == [{"_id":"k-empty","":"x"}]' >/dev/null ||
		fail "$mode: the document with an empty key is not there as it was"
	jq -e '[.sources[0].result[] | .failed] == [0, 0] and ([.sources[0].result[] | .refused] == [[], []])' "$work/$mode.json" >/dev/null ||
		fail "$mode: $(jq -c '.sources[0].result' "$work/$mode.json")"
done
cat >"$work/pr.yaml" <<EOF
name: itmfid
mongo:
  uri: "$U"
  databases:
    - name: hs_it_mfid_replace
      collections: [odd]
EOF
"$HIVESNAP" snapshot -p "$work/pr.yaml" -o "$work/r.tar.zst" --only mongo --quiet >/dev/null 2>&1 || fail "snapshot of the restored collection failed"
cmp -s "$work/odd.bson" <(entry "$work/r.tar.zst" mongo/hs_it_mfid_replace/odd.bson) ||
	fail "the restored odd.bson is not byte-identical to the captured one"
ok "a document with an empty key is restored in replace, insert and upsert mode; the collection after it too; byte-identical"

# --- #25.2: what the server itself refuses is named by _id, code and message
/usr/bin/python3 - "$work/keys.bson" <<'PY'
import struct, sys
def cstr(s): return s.encode() + b"\0"
def doc(els): b = b"".join(els); return struct.pack("<i", 4 + len(b) + 1) + b + b"\0"
def s(k, v): v = v.encode() + b"\0"; return b"\x02" + cstr(k) + struct.pack("<i", len(v)) + v
def i32(k, v): return b"\x10" + cstr(k) + struct.pack("<i", v)
def sub(k, d): return b"\x03" + cstr(k) + d
out = doc([s("_id", "k-dollar"), sub("n", doc([i32("$x", 1)]))]) + doc([s("_id", "k-dot"), i32("a.b", 1)]) \
    + doc([s("_id", "k-empty"), s("", "x")]) + doc([s("_id", "k-plain"), i32("v", 1)])
open(sys.argv[1], "wb").write(out)
PY
entry "$A" mongo/hs_it_mfid_src/z_after.metadata.json | sed 's/"collectionName":"z_after"/"collectionName":"keys"/' >"$work/keys.metadata.json"
add_keys='c = m["sources"]["mongo"]["details"]["collections"]
k = dict(next(x for x in c if x["collection"] == "z_after"))
k.update(collection="keys", documents=4)
c.append(k)'
K=$work/keys.tar.zst
/usr/bin/python3 "$REPACK" "$A" "$K" --manifest "$add_keys" \
	"mongo/hs_it_mfid_src/keys.metadata.json=@$work/keys.metadata.json" "mongo/hs_it_mfid_src/keys.bson=@$work/keys.bson"
"$HIVESNAP" verify "$K" >/dev/null || fail "the repacked archive does not verify"
rc=0
"$HIVESNAP" restore "$K" -p "$work/p.yaml" --only mongo --include 'hs_it_mfid_src.keys' \
	--map-ns 'hs_it_mfid_src.*=hs_it_mfid_ref.*' --execute --json >"$work/ref.json" 2>"$work/ref.err" || rc=$?
[[ $rc == 2 ]] || fail "restore of refused documents: exit $rc, want 2 (partial): $(cat "$work/ref.err")"
validate_json restore.schema.json "$work/ref.json"
jq -e '.sources[0].result[0] | .inserted == 2 and .failed == 2 and
	([.refused[] | ._id] | sort) == ["k-dollar", "k-dot"] and
	all(.refused[]; (.code | type) == "number" and .code > 0 and (.error | length) > 0) and
	(.error | test("^document _id \"k-(dollar|dot)\" refused by the server: code [0-9]+: .+"))' "$work/ref.json" >/dev/null ||
	fail "report of refused documents: $(jq -c '.sources[0].result' "$work/ref.json")"
for id in k-dot k-dollar; do
	grep -q "document _id \\\\\?\"$id\\\\\?\" refused by the server: code [0-9]*: ." "$work/ref.err" ||
		{ cat "$work/ref.err" >&2; fail "the log does not name $id with the server's code and message"; }
done
! grep -q '()' "$work/ref.err" || fail "an empty reason was printed: $(cat "$work/ref.err")"
[[ $(colls hs_it_mfid_ref) == keys && $(count hs_it_mfid_ref keys) == 2 ]] || fail "refused: the target holds $(count hs_it_mfid_ref keys) documents"
# replace: the collection is left as it was, the reason names the document
rc=0
"$HIVESNAP" restore "$K" -p "$work/p.yaml" --only mongo --include 'hs_it_mfid_src.keys' \
	--map-ns 'hs_it_mfid_src.*=hs_it_mfid_refrep.*' --mongo-mode replace --execute >"$work/refrep.out" 2>"$work/refrep.err" || rc=$?
[[ $rc == 3 ]] || fail "replace with refused documents: exit $rc, want 3"
grep -q "left as it was: 2 documents could not be loaded (document _id \"k-[a-z]*\" refused by the server: code [0-9]*: ." "$work/refrep.err" ||
	fail "replace: the error does not name the refused document: $(cat "$work/refrep.err")"
[[ -z $(colls hs_it_mfid_refrep) ]] || fail "replace left collections behind: $(colls hs_it_mfid_refrep)"
ok "documents the server refuses (a.b, nested \$x) are named by _id with the server's code and message; exit 2, replace 3"

# --- #26.3: bad BSON is 65 before any write, in restore, cat --json and diff
/usr/bin/python3 - "$work/odd.bson" "$work/cut.bson" "$work/type.bson" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
offs, o = [], 0
while o < len(d):
    offs.append(o)
    o += struct.unpack("<i", d[o:o + 4])[0]
assert len(offs) == 3001, len(offs)
open(sys.argv[2], "wb").write(d[:-7])                      # the last document cut
b = bytearray(d)
assert b[offs[1499] + 4] in (0x02, 0x07, 0x10)              # document 1500's _id element
b[offs[1499] + 4] = 0x42                                    # an unknown element type
open(sys.argv[3], "wb").write(bytes(b))
PY
for bad in cut type; do
	B=$work/$bad.tar.zst
	/usr/bin/python3 "$REPACK" "$A" "$B" "mongo/hs_it_mfid_src/odd.bson=@$work/$bad.bson"
	case $bad in
	cut) want="document 3001 at byte [0-9]+: truncated" ;;
	type) want="document 1500 at byte [0-9]+: unknown element type" ;;
	esac
	# consistent but for the content: verify refuses it as restore does
	rc=0
	"$HIVESNAP" verify "$B" >"$work/$bad.out" 2>&1 || rc=$?
	[[ $rc == 65 ]] && grep -Eq "^FAILED $B: bad BSON in 'mongo/hs_it_mfid_src/odd.bson': $want" "$work/$bad.out" ||
		fail "$bad: verify exit $rc, want 65 naming the document: $(cat "$work/$bad.out")"
	for mode in insert replace upsert; do
		rc=0
		"$HIVESNAP" restore "$B" -p "$work/p.yaml" --only mongo --map-ns "hs_it_mfid_src.*=hs_it_mfid_$bad.*" \
			--mongo-mode $mode --execute >"$work/$bad.out" 2>"$work/$bad.err" || rc=$?
		[[ $rc == 65 ]] || fail "$bad ($mode): restore exit $rc, want 65: $(cat "$work/$bad.err")"
		grep -Eq "bad BSON in 'mongo/hs_it_mfid_src/odd.bson': $want" "$work/$bad.err" ||
			fail "$bad ($mode): $(cat "$work/$bad.err")"
		[[ -z $(colls hs_it_mfid_$bad) ]] || fail "$bad ($mode): restore wrote to the target: $(colls hs_it_mfid_$bad | tr '\n' ' ')"
	done
	rc=0
	"$HIVESNAP" cat --json "$B" mongo/hs_it_mfid_src/odd.bson >/dev/null 2>"$work/$bad.err" || rc=$?
	[[ $rc == 65 ]] || fail "$bad: cat --json exit $rc, want 65"
	rc=0
	"$HIVESNAP" diff "$A" "$B" >/dev/null 2>"$work/$bad.err" || rc=$?
	[[ $rc == 65 ]] || fail "$bad: diff exit $rc, want 65: $(cat "$work/$bad.err")"
done
ok "a truncated last document and an unknown element type: 65 from verify, restore (any mode, nothing written), cat --json and diff"

# --- #26.4: system namespaces only with --allow-system
add_sys='c = m["sources"]["mongo"]["details"]["collections"]
k = dict(next(x for x in c if x["collection"] == "z_after"))
k.update(db="admin", collection="system.users", documents=10)
c.append(k)'
S=$work/sys.tar.zst
entry "$A" mongo/hs_it_mfid_src/z_after.metadata.json | sed 's/"collectionName":"z_after"/"collectionName":"system.users"/' >"$work/su.metadata.json"
entry "$A" mongo/hs_it_mfid_src/z_after.bson >"$work/su.bson"
/usr/bin/python3 "$REPACK" "$A" "$S" --manifest "$add_sys" \
	"mongo/admin/system.users.metadata.json=@$work/su.metadata.json" "mongo/admin/system.users.bson=@$work/su.bson"
"$HIVESNAP" verify "$S" >/dev/null || fail "the repacked archive with admin.system.users does not verify"
refused() { # WHAT ARGS...: exit 5 naming a system namespace, nothing in hs_it_mfid_sys / hs_it_mfid_x
	local what=$1 rc=0
	shift
	"$HIVESNAP" restore "$@" -p "$work/p.yaml" --only mongo >"$work/sys.out" 2>"$work/sys.err" || rc=$?
	[[ $rc == 5 ]] || fail "$what: exit $rc, want 5: $(cat "$work/sys.err")"
	grep -q "refusing to restore '.*': a system namespace .*--allow-system" "$work/sys.err" ||
		fail "$what: $(cat "$work/sys.err")"
	[[ -z $(colls hs_it_mfid_sys) && -z $(colls hs_it_mfid_x) ]] || fail "$what: something was written"
}
# (the plans: nothing would be written even without the refusal; the
# --execute ones map every namespace into hs_it_mfid_*, so that a build
# without the refusal writes nothing into the shared peer's admin)
refused "admin.system.users in the archive" "$S"
refused "admin.system.users in the archive, mapped elsewhere" "$S" --map-ns 'admin.system.users=hs_it_mfid_sys.users' \
	--map-ns 'hs_it_mfid_src.*=hs_it_mfid_x.*' --execute
refused "mapped into admin" "$A" --map-ns 'hs_it_mfid_src.z_after=admin.z_after'
refused "mapped into config" "$A" --map-ns 'hs_it_mfid_src.z_after=config.z_after'
refused "mapped into local" "$A" --map-ns 'hs_it_mfid_src.z_after=local.z_after'
refused "mapped into system.js" "$A" --map-ns 'hs_it_mfid_src.z_after=hs_it_mfid_x.system.js' --map-ns 'hs_it_mfid_src.*=hs_it_mfid_x.*' --execute
"$HIVESNAP" restore "$S" -p "$work/p.yaml" --only mongo --include 'admin.*' --map-ns 'admin.system.users=hs_it_mfid_sys.users' \
	--allow-system --execute --quiet >"$work/sys.out" 2>"$work/sys.err" || fail "--allow-system: $(cat "$work/sys.err")"
[[ $(count hs_it_mfid_sys users) == 10 ]] || fail "--allow-system: $(count hs_it_mfid_sys users) documents, want 10"
# an excluded system namespace is no reason to refuse the rest
"$HIVESNAP" restore "$S" -p "$work/p.yaml" --only mongo --exclude 'admin.*' --map-ns 'hs_it_mfid_src.*=hs_it_mfid_x.*' \
	--execute --quiet >"$work/sys.out" 2>"$work/sys.err" || fail "--exclude 'admin.*': $(cat "$work/sys.err")"
[[ $(count hs_it_mfid_x z_after) == 10 ]] || fail "--exclude 'admin.*': z_after not restored"
ok "system namespaces (archive's admin.system.users; --map-ns into admin, config, local, system.*) refused with 5, nothing written; --allow-system restores"
