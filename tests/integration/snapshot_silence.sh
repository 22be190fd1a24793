#!/usr/bin/env bash
# `snapshot --silence 2h` and `unsilence ID` against the real Alertmanager
# peer: the silence carries the profile's matchers, comment (+ archive path)
# and author, lasts the duration, its id is in --json and the log;
# unsilence expires it; a snapshot that writes nothing expires its own
# silence; an unknown id is a clear error (3).  Matchers are FlowCTest*, so
# no real Flow C alert is touched.  Redis db 12, keys hs-sched:s*.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}"
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

before=$(date +%s)
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis -o "$work/a.tar.zst" --silence 2h --json \
	>"$work/out.json" 2>"$work/err" || fail "snapshot --silence failed: $(cat "$work/err")"
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

"$HIVESNAP" unsilence -p "$work/p.yaml" "$id" >"$work/out" 2>"$work/err" || fail "unsilence failed: $(cat "$work/err")"
grep -qx "expired silence $id" "$work/out" || fail "unsilence output: $(cat "$work/out")"
silence "$id" | grep -q '"state":"expired"' || fail "silence $id is not expired: $(silence "$id")"
echo "ok: unsilence expires it"

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
