#!/usr/bin/env bash
# `snapshot --silence 2h` and `unsilence ID|ARCHIVE` against the real
# Alertmanager peer: the silence carries the profile's matchers, comment
# (+ archive path) and author, lasts the duration, its id is in --json, the
# log and the archive's manifest (schema-valid, URL credentials redacted,
# index frame still equal to manifest.json); `unsilence ARCHIVE` and
# `unsilence ID` expire it; an archive without a silence is exit 65; a
# snapshot that writes nothing expires its own silence; an unknown id is a
# clear error (3).  Matchers are FlowCTest*, so
# no real Flow C alert is touched.  Redis db 12, keys hs-sched:s*.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
: "${HIVESNAP:?}" "${HS_SCHEMAS:?}"
: "${HIVESNAP_REDIS_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
: "${HIVESNAP_ALERTMANAGER_URL:?not set: run with the peers env}"
am=$HIVESNAP_ALERTMANAGER_URL
hostport=${HIVESNAP_REDIS_URI#redis://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
work=$(mktemp -d)
ids=()
cleanup() {
	for id in "${ids[@]}"; do curl -s -X DELETE "$am/api/v2/silence/$id" >/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
mkprofile() { # FILE REDIS_HOSTPORT
	printf '%s\n' 'name: itsilence' 'redis:' "  uri: redis://$2/12" '  dbs:' '    - db: 12' \
		'      patterns: ["hs-sched:s*"]' 'diag:' '  alertmanager:' "    url: $am" 'silence:' \
		"  matchers: ['alertname=~\"FlowCTest.*\"', 'team=\"hivesnap-test\"']" \
		'  comment: hivesnap test window' '  author: hs-test' >"$1"
}
mkprofile "$work/p.yaml" "$hostport"
silence() { curl -sf "$am/api/v2/silence/$1"; }
# the same Alertmanager reached with credentials in its URL (it ignores
# them): they must not reach the manifest
mkprofile "$work/pc.yaml" "$hostport"
sed -i "s#url: http://#url: http://hsuser:s3cr3t-am@#" "$work/pc.yaml"
grep -q 's3cr3t-am@' "$work/pc.yaml" || fail "could not put credentials into the Alertmanager URL ($am)"

before=$(date +%s)
"$HIVESNAP" snapshot -q -p "$work/pc.yaml" --only redis -o "$work/a.tar.zst" --silence 2h --json \
	>"$work/out.json" 2>"$work/err" || fail "snapshot --silence failed: $(cat "$work/err")"
validate_json snapshot.schema.json "$work/out.json"
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["silence"])' "$work/out.json")
ids+=("$id")
grep -q "silence $id created for 7200s: 'hivesnap unsilence $id' ends it" "$work/err" ||
	fail "the silence id is not logged: $(cat "$work/err")"
silence "$id" >"$work/s.json" || fail "Alertmanager does not know silence $id"
python3 - "$work/s.json" "$work/a.tar.zst" "$before" <<'PY' || fail "silence content: $(cat "$work/s.json")"
import json, sys, datetime
s = json.load(open(sys.argv[1]))
assert s["status"]["state"] == "active", s
assert s["createdBy"] == "hs-test" and s["comment"] == "hivesnap test window: " + sys.argv[2], s
m = sorted((x["name"], x["value"], x["isRegex"], x["isEqual"]) for x in s["matchers"])
assert m == [("alertname", "FlowCTest.*", True, True), ("team", "hivesnap-test", False, True)], m
ts = lambda v: datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
d = ts(s["endsAt"]) - ts(s["startsAt"])
assert 7190 <= d <= 7210, d
assert abs(ts(s["startsAt"]) - int(sys.argv[3])) < 120, s["startsAt"]
PY
echo "ok: snapshot --silence 2h created an active silence with the profile's matchers, comment and author"

# the manifest records it (manifest.json and the index frame alike: verify compares them)
"$HIVESNAP" verify "$work/a.tar.zst" >/dev/null 2>"$work/err" || fail "verify: $(cat "$work/err")"
"$HIVESNAP" cat "$work/a.tar.zst" manifest.json >"$work/manifest.json" || fail "cat manifest.json"
! grep -q 's3cr3t-am' "$work/manifest.json" "$work/out.json" "$work/err" || fail "the Alertmanager password leaked"
python3 - "$work/manifest.json" "$id" "$work/s.json" <<'PY' || fail "manifest silence: $(cat "$work/manifest.json")"
import json, sys
m = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[3]))
sil = m["silence"]
assert sil["id"] == sys.argv[2], sil
assert sil["alertmanager"].startswith("http://hsuser:***@"), sil["alertmanager"]
assert sil["ends_at"][:19] == s["endsAt"][:19], (sil["ends_at"], s["endsAt"])
m2 = sorted((x["name"], x["value"], x["isRegex"], x["isEqual"]) for x in sil["matchers"])
assert m2 == [("alertname", "FlowCTest.*", True, True), ("team", "hivesnap-test", False, True)], m2
PY
/usr/bin/python3 - "$HS_SCHEMAS" "$work/manifest.json" <<'PY' || fail "the manifest does not validate against manifest.schema.json"
import json, os, sys
import jsonschema
folder, path = sys.argv[1], sys.argv[2]
schemas = {f: json.load(open(os.path.join(folder, f))) for f in os.listdir(folder) if f.endswith(".schema.json")}
try:  # jsonschema >= 4.18
    from referencing import Registry, Resource
    reg = Registry().with_resources((x["$id"], Resource.from_contents(x)) for x in schemas.values() if "$id" in x)
    v = jsonschema.Draft202012Validator(schemas["manifest.schema.json"], registry=reg)
except ImportError:  # Debian bookworm: 4.10
    store = {x["$id"]: x for x in schemas.values() if "$id" in x}
    res = jsonschema.RefResolver.from_schema(schemas["manifest.schema.json"], store=store)
    v = jsonschema.Draft202012Validator(schemas["manifest.schema.json"], resolver=res)
v.validate(json.load(open(path)))
PY
echo "ok: the manifest records the silence (id, redacted URL, end, matchers) and validates"

"$HIVESNAP" unsilence -p "$work/p.yaml" "$work/a.tar.zst" >"$work/out" 2>"$work/err" || fail "unsilence ARCHIVE failed: $(cat "$work/err")"
grep -qx "expired silence $id" "$work/out" || fail "unsilence ARCHIVE output: $(cat "$work/out")"
silence "$id" | grep -q '"state":"expired"' || fail "silence $id is not expired: $(silence "$id")"
# again: Alertmanager (0.25) accepts expiring an expired silence, so a retry is harmless
"$HIVESNAP" unsilence -p "$work/p.yaml" "$work/a.tar.zst" >/dev/null 2>"$work/err" ||
	fail "a second unsilence ARCHIVE failed: $(cat "$work/err")"
silence "$id" | grep -q '"state":"expired"' || fail "silence $id is not expired after the retry"
echo "ok: unsilence ARCHIVE expires the silence the manifest records (a retry exits 0)"

"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis -o "$work/c2.tar.zst" --silence 1h --json \
	>"$work/out.json" 2>"$work/err" || fail "second snapshot --silence failed: $(cat "$work/err")"
id2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["silence"])' "$work/out.json")
ids+=("$id2")
silence "$id2" | grep -q '"state":"active"' || fail "silence $id2 is not active"
"$HIVESNAP" unsilence -p "$work/p.yaml" "$id2" >"$work/out" 2>"$work/err" || fail "unsilence failed: $(cat "$work/err")"
grep -qx "expired silence $id2" "$work/out" || fail "unsilence output: $(cat "$work/out")"
silence "$id2" | grep -q '"state":"expired"' || fail "silence $id2 is not expired: $(silence "$id2")"
echo "ok: unsilence ID expires it"

"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis -o "$work/nosil.tar.zst" >/dev/null 2>"$work/err" ||
	fail "snapshot without --silence failed: $(cat "$work/err")"
"$HIVESNAP" cat "$work/nosil.tar.zst" manifest.json | grep -q '"silence"' && fail "a manifest without a silence has one"
rc=0
"$HIVESNAP" unsilence -p "$work/p.yaml" "$work/nosil.tar.zst" >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 65 ]] || fail "unsilence of an archive without a silence exited $rc, want 65"
grep -q "archive '$work/nosil.tar.zst' records no silence" "$work/err" || fail "no-silence error: $(cat "$work/err")"
[[ ! -s $work/out ]] || fail "output on error: $(cat "$work/out")"
rc=0
"$HIVESNAP" unsilence -p "$work/p.yaml" "$work/p.yaml" >/dev/null 2>"$work/err" || rc=$?
[[ $rc == 4 ]] || fail "unsilence of a file that is no archive exited $rc, want 4: $(cat "$work/err")"
echo "ok: an archive without a silence is exit 65, a file that is no archive exit 4"

# nothing written (redis unreachable): the run's own silence is expired again
mkprofile "$work/bad.yaml" 127.0.0.1:1
rc=0
"$HIVESNAP" snapshot -p "$work/bad.yaml" --only redis -o "$work/b.tar.zst" --silence 1h >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 3 ]] || fail "snapshot against a dead redis exited $rc, want 3"
bid=$(grep -oE 'silence [0-9a-f-]{36} created' "$work/err" | awk '{print $2}')
[[ -n $bid ]] || fail "no silence logged: $(cat "$work/err")"
ids+=("$bid")
silence "$bid" | grep -q '"state":"expired"' || fail "the failed run left its silence active: $(silence "$bid")"
echo "ok: a run that writes nothing expires its silence"

rc=0
"$HIVESNAP" unsilence -p "$work/p.yaml" 00000000-0000-0000-0000-000000000000 2>"$work/err" || rc=$?
[[ $rc == 3 ]] || fail "unsilence of an unknown id exited $rc, want 3"
grep -q "answered 500: silence not found" "$work/err" || fail "unknown id error: $(cat "$work/err")"
rc=0
"$HIVESNAP" unsilence -p "$work/p.yaml" not-an-id 2>"$work/err" || rc=$?
[[ $rc == 64 ]] || fail "unsilence not-an-id exited $rc, want 64"
rc=0
"$HIVESNAP" snapshot -p "$work/p.yaml" --only redis -o "$work/c.tar.zst" --silence soon 2>"$work/err" || rc=$?
[[ $rc == 64 ]] || fail "--silence soon exited $rc, want 64"
echo PASS
