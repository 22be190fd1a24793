#!/usr/bin/env bash
# `hivesnap diff` on real Redis snapshots (db 15 only, flushed before and
# after): two snapshots without a change are equal (exit 0); after a value
# change, a type change, an expiry change, a new key and a deleted key the
# diff names exactly those keys and what changed about them.
# Needs the env of `scripts/peers.sh env`.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}" "${HS_SCHEMAS:?}"
: "${HIVESNAP_REDIS_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
hostport=${HIVESNAP_REDIS_URI#redis://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
rcli=redis-cli
[[ -n ${PEERS_BIN:-} && -x $PEERS_BIN/redis-cli ]] && rcli=$PEERS_BIN/redis-cli
cli() { "$rcli" -h "$host" -p "$port" -n 15 "$@"; }
[[ $(cli ping) == PONG ]] || fail "redis at $hostport does not answer"
work=$(mktemp -d)
cleanup() {
	cli flushdb >/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
cli flushdb >/dev/null

for i in $(seq 1 200); do echo "SET hs:k$i v$i"; done | cli >/dev/null
cli hset hs:h f1 v1 f2 v2 >/dev/null
cli set hs:t typed >/dev/null
cli set hs:ttl x EX 3600 >/dev/null
cli set hs:gone bye >/dev/null
cli set other:x not-captured >/dev/null
printf 'name: itdiff\nredis:\n  uri: redis://%s/15\n  dbs:\n    - db: 15\n      patterns: ["hs:k*", "hs:*"]\n' "$hostport" >"$work/p.yaml"
# the same keys, other patterns: for the per-pattern counts of `diff -p`
printf 'name: itdiff2\nredis:\n  uri: redis://%s/15\n  dbs:\n    - db: 15\n      patterns: ["hs:t*"]\n' "$hostport" >"$work/p2.yaml"
snap() {
	"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis -o "$1" >/dev/null 2>"$work/snap.err" ||
		{ cat "$work/snap.err" >&2; fail "snapshot $1 failed"; }
}
snap "$work/a.tar.zst"
snap "$work/a2.tar.zst"
rc=0
"$HIVESNAP" diff --json "$work/a.tar.zst" "$work/a2.tar.zst" >"$work/eq.json" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || { cat "$work/eq.json" "$work/err" >&2; fail "two snapshots without a change: exit $rc, want 0"; }
jq -e '.equal == true and .changes == []' "$work/eq.json" >/dev/null || fail "equal: $(cat "$work/eq.json")"
echo "ok: two snapshots with nothing changed in between are equal (exit 0; server.json not compared)"

cli set hs:k7 changed >/dev/null
cli hset hs:h f2 v2b >/dev/null
cli del hs:t >/dev/null
cli rpush hs:t a b >/dev/null
cli expire hs:ttl 7200 >/dev/null
cli del hs:gone >/dev/null
cli set hs:new hello >/dev/null
cli set other:x changed-but-not-captured >/dev/null
snap "$work/b.tar.zst"

rc=0
"$HIVESNAP" diff --json --details "$work/a.tar.zst" "$work/b.tar.zst" >"$work/d.json" 2>"$work/err" || rc=$?
[[ $rc == 1 ]] || { cat "$work/d.json" "$work/err" >&2; fail "diff after changes: exit $rc, want 1"; }
/usr/bin/python3 - "$work/d.json" <<'PY' || fail "diff --json after the changes: $(cat "$work/d.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert [c["entry"] for c in d["changes"]] == ["redis/db15.jsonl"], d["changes"]
r = d["changes"][0]
assert (r["added"], r["removed"], r["changed"]) == (1, 1, 4), r
items = [(i["change"], i["key"], i.get("fields")) for i in r["items"]]
assert items == [("removed", "hs:gone", None), ("changed", "hs:h", ["value"]),
                 ("changed", "hs:k7", ["value"]), ("added", "hs:new", None),
                 ("changed", "hs:t", ["type", "value"]), ("changed", "hs:ttl", ["expire_at_ms"])], items
PY
echo "ok: value, type and expiry changes, added and removed keys found; keys outside the patterns ignored"

# counts per profile pattern: first matching pattern of the profile's db, else "(other)"
rc=0
"$HIVESNAP" diff --json -p "$work/p.yaml" "$work/a.tar.zst" "$work/b.tar.zst" >"$work/pp.json" 2>"$work/err" || rc=$?
[[ $rc == 1 ]] || fail "diff -p: exit $rc: $(cat "$work/err")"
jq -e '.changes[0].patterns == [{"pattern":"hs:k*","added":0,"removed":0,"changed":1},
	{"pattern":"hs:*","added":1,"removed":1,"changed":3}]' "$work/pp.json" >/dev/null ||
	fail "per-pattern counts with p.yaml: $(jq -c '.changes[0].patterns' "$work/pp.json")"
validate_diff() {
	/usr/bin/python3 - "$HS_SCHEMAS/diff.schema.json" "$1" <<'PY' || fail "$1 does not validate against diff.schema.json"
import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
PY
}
validate_diff "$work/pp.json"
rc=0
"$HIVESNAP" diff -p "$work/p2.yaml" "$work/a.tar.zst" "$work/b.tar.zst" >"$work/pp.txt" 2>"$work/err" || rc=$?
[[ $rc == 1 ]] || fail "diff -p p2: exit $rc: $(cat "$work/err")"
grep -Eq '^ +pattern +0 +0 +2    hs:t\*$' "$work/pp.txt" || fail "pattern line hs:t*: $(cat "$work/pp.txt")"
grep -Eq '^ +pattern +1 +1 +2    \(other\)$' "$work/pp.txt" || fail "pattern line (other): $(cat "$work/pp.txt")"
# the built-in profile does not capture db 15: every key is "(other)"
rc=0
"$HIVESNAP" diff --json "$work/a.tar.zst" "$work/b.tar.zst" >"$work/pp0.json" 2>"$work/err" || rc=$?
[[ $rc == 1 ]] || fail "diff without -p: exit $rc"
jq -e '.changes[0].patterns == [{"pattern":"(other)","added":1,"removed":1,"changed":4}]' "$work/pp0.json" >/dev/null ||
	fail "per-pattern counts with the built-in profile: $(jq -c '.changes[0].patterns' "$work/pp0.json")"
echo "ok: changes counted per profile pattern (-p, else the built-in profile; \"(other)\" for keys no pattern matches), text and --json"

# --live: B is captured now, into a temporary archive that is removed afterwards
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
rc=0
"$HIVESNAP" diff --live -p "$work/p.yaml" --only redis "$work/b.tar.zst" >"$work/live.txt" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || { cat "$work/live.txt" "$work/err" >&2; fail "diff B --live right after B: exit $rc, want 0"; }
grep -q '^equal: ' "$work/live.txt" || fail "diff --live equal: $(cat "$work/live.txt")"
cli set hs:k9 live-change >/dev/null
rc=0
"$HIVESNAP" diff --live --json --details -p "$work/p.yaml" "$work/b.tar.zst" >"$work/live.json" 2>"$work/err" || rc=$?
[[ $rc == 1 ]] || { cat "$work/live.json" "$work/err" >&2; fail "diff --live after a change: exit $rc, want 1"; }
jq -e '.changes | length == 1 and .[0].entry == "redis/db15.jsonl" and .[0].items == [{"key":"hs:k9","change":"changed","fields":["value"]}]' \
	"$work/live.json" >/dev/null || fail "diff --live: $(cat "$work/live.json")"
[[ -z $(ls -A "$TMPDIR") ]] || fail "diff --live left files behind: $(ls -A "$TMPDIR")"
echo "ok: --live captures the profile's sources now, finds the change, and removes its temporary archive"
