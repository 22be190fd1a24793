#!/usr/bin/env bash
# A MongoDB server (a PRIVATE FerretDB: the cached peer binary on a port and
# SQLite folder of its own) killed in the middle of a RESTORE (the capture
# side is mongo_faults.sh): exit 3; the report gives, per collection, what
# was inserted and whether it was done, failed or not applied — the first
# collection done, the big one failed with a count that is really there
# after the server comes back, the last one not applied; then the same
# restore run again (insert mode: existing _ids are skipped) finishes the
# job: a new snapshot diffs equal to the archive.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
ok() { echo "ok: $*"; }
: "${HIVESNAP:?}" "${HS_TOOLS:?}"
. "$(dirname "${BASH_SOURCE[0]}")/private_ferretdb.bash"
private_ferretdb_init
port=$(pick_port)
U="mongodb://127.0.0.1:$port/"

# start: FerretDB on $port, its data in $work/fdb (kept across restarts)
start() { start_ferretdb; }
count() { "$T" count "$U" hs_fault "$1"; }

cat >"$work/p.yaml" <<EOF
name: mongo-fault
mongo:
  uri: "$U"
  parallel: 1          # one collection after the other: archive order a_small, big, z_small
  databases:
    - name: hs_fault
      collections: [a_small, big, z_small]
EOF

start
"$T" seed "$U" hs_fault a_small 10
"$T" seed "$U" hs_fault big 20000
"$T" seed "$U" hs_fault z_small 10
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/a.tar.zst" --quiet 2>"$work/err" || fail "snapshot: $(cat "$work/err")"
"$HIVESNAP" ls "$work/a.tar.zst" | grep -q 'mongo/hs_fault/big.bson' || fail "big not captured"
"$T" drop "$U" hs_fault >/dev/null
ok "archive of 3 collections (20020 documents); database dropped"

# kill_mid NAME: restore --execute --json into $work/NAME.json; kill the server inside big
kill_mid() {
	"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute "${@:2}" >"$work/$1.out" 2>"$work/$1.err" &
	local rpid=$! n=0
	for _ in $(seq 1200); do
		n=$(count big 2>/dev/null || echo 0)
		((n >= 2000)) && break
		sleep 0.05
	done
	((n >= 2000)) || fail "the restore never got into big (count $n): $(cat "$work/$1.err")"
	stop9
	set +e
	wait $rpid
	rc=$?
	set -e
}
kill_mid r1 --json
[[ $rc == 3 ]] || fail "restore with the server killed: exit $rc, want 3: $(cat "$work/r1.err")"
R=$work/r1.out
validate_json restore.schema.json "$R"
jq -e '.sources[0].source == "mongo" and .sources[0].status == "failed" and .exit_code == 3' "$R" >/dev/null ||
	fail "report: $(jq -c '.sources[0] | {source, status}' "$R")"
st() { jq -r --arg c "mongo:hs_fault.$1" '.sources[0].result[] | select(.target == $c) | .status' "$R"; }
[[ $(st a_small) == done ]] || fail "a_small: $(st a_small), want done"
[[ $(st big) == failed ]] || fail "big: $(st big), want failed"
[[ $(st z_small) == not-applied ]] || fail "z_small: $(st z_small), want not-applied"
inserted=$(jq -r '.sources[0].result[] | select(.target == "mongo:hs_fault.big") | .inserted' "$R")
((inserted < 20000)) || fail "big: $inserted inserted: the kill came too late"
ok "killed mid-restore: exit 3; a_small done, big failed after $inserted inserted, z_small not applied"

start
live_big=$(count big)
((live_big >= inserted && live_big < 20000)) ||
	fail "after restart big holds $live_big documents; the report said $inserted were inserted"
[[ $(count a_small) == 10 && $(count z_small) == 0 ]] ||
	fail "after restart: a_small $(count a_small), z_small $(count z_small)"
ok "after the server came back: big holds $live_big (>= $inserted reported), a_small 10, z_small 0"

"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute --json >"$work/r2.json" 2>"$work/r2.err" ||
	fail "second restore: $(cat "$work/r2.err")"
validate_json restore.schema.json "$work/r2.json"
skipped=$(jq -r '.sources[0].result[] | select(.target == "mongo:hs_fault.big") | .skipped' "$work/r2.json")
((skipped >= live_big)) || fail "second restore skipped $skipped of big, $live_big were there"
[[ $(count big) == 20000 && $(count a_small) == 10 && $(count z_small) == 10 ]] ||
	fail "after the second restore: big $(count big), a_small $(count a_small), z_small $(count z_small)"
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/b.tar.zst" --quiet 2>"$work/err" || fail "snapshot: $(cat "$work/err")"
"$HIVESNAP" diff "$work/a.tar.zst" "$work/b.tar.zst" --only mongo >"$work/diff.out" 2>&1 ||
	fail "restored state differs from the archive: $(head -20 "$work/diff.out")"
ok "the same restore again: $skipped already there skipped, the rest inserted; a new snapshot diffs equal"

# the human report of a restore cut short names each collection's outcome
"$T" drop "$U" hs_fault >/dev/null
kill_mid r3
[[ $rc == 3 ]] || fail "second kill: exit $rc, want 3"
grep -Eq '^stopped:$' "$work/r3.out" || fail "no 'stopped:' section: $(cat "$work/r3.out")"
grep -Eq 'mongo +mongo:hs_fault.big +failed +[0-9]+ inserted' "$work/r3.out" || fail "big's line: $(cat "$work/r3.out")"
grep -Eq 'mongo +mongo:hs_fault.z_small +not-applied' "$work/r3.out" || fail "z_small's line: $(cat "$work/r3.out")"
grep -q 'applied: nothing; failed: mongo; not applied: nothing' "$work/r3.out" || fail "summary: $(cat "$work/r3.out")"
ok "human report names each collection's outcome"
echo PASS
