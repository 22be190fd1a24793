#!/usr/bin/env bash
# A Redis server killed in the middle of a RESTORE (the capture side is
# redis_killed.sh): the restore exits 3 and its report says exactly what was
# applied — the keys redis confirmed, the ones sent but never confirmed —
# and that the rest was not; every confirmed key really is on the server
# after it comes back (AOF, fsync always), and far from all of them; then
# the same restore run again finishes the job: a new snapshot diffs equal
# to the archive.
# Runs its OWN redis-server on a private port (never the shared peer).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
ok() { echo "ok: $*"; }
: "${HIVESNAP:?}"
. "$(dirname "${BASH_SOURCE[0]}")/private_redis.bash"
private_redis_init 26291

# start: the private server, its data kept in an AOF fsynced on every write
start() {
	private_redis_start --appendonly yes --appendfsync always
}
stop9() {
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

cat >"$work/p.yaml" <<EOF
name: redis-fault
redis:
  uri: redis://127.0.0.1:$port/0
  dbs:
    - db: 0
      patterns: ["hs:*"]
EOF

# 1. 45000 strings and 15000 hashes (a string is one SET, a hash a MULTI/EXEC)
start
awk 'BEGIN { for (i = 0; i < 45000; i++) { k = "hs:s:" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n", length(k), k }
             for (i = 0; i < 15000; i++) { k = "hs:h:" i; printf "*4\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n$1\r\nf\r\n$%d\r\n%s\r\n", length(k), k, length(k), k } }' |
	cli --pipe >/dev/null
[[ $(cli dbsize) == 60000 ]] || fail "seeding: dbsize $(cli dbsize)"
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/a.tar.zst" --quiet 2>"$work/err" ||
	fail "snapshot: $(cat "$work/err")"
cli flushall >/dev/null
ok "archive of 60000 keys; server emptied"

# 2. restore, kill the server once some keys are in
"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute --json >"$work/r1.json" 2>"$work/r1.err" &
rpid=$!
n=0
for _ in $(seq 600); do
	n=$(cli dbsize 2>/dev/null || echo 0)
	((n >= 6000)) && break
	sleep 0.05
done
((n >= 6000)) || fail "the restore never got going (dbsize $n): $(cat "$work/r1.err")"
stop9
set +e
wait $rpid
rc=$?
set -e
[[ $rc == 3 ]] || fail "restore with the server killed: exit $rc, want 3: $(cat "$work/r1.err")"
validate_json restore.schema.json "$work/r1.json"
grep -q 'redis' "$work/r1.err" || fail "the error does not name redis: $(cat "$work/r1.err")"
jq -e '.sources[0].source == "redis" and .sources[0].status == "failed" and .exit_code == 3' "$work/r1.json" >/dev/null ||
	fail "report: $(jq -c '.sources[0] | {source, status}' "$work/r1.json")"
step=$(jq -c '.sources[0].result[0]' "$work/r1.json")
[[ $(jq -r '.action + " " + (.complete|tostring)' <<<"$step") == "failed false" ]] || fail "result step: $step"
confirmed=$(jq -r .written <<<"$step")
unconfirmed=$(jq -r .unconfirmed <<<"$step")
[[ $confirmed =~ ^[0-9]+$ && $unconfirmed =~ ^[0-9]+$ ]] || fail "no counts in the result: $step"
((confirmed >= 1 && confirmed < 60000)) || fail "confirmed $confirmed: the kill did not land inside the restore"
jq -e '.detail | test("run the same restore again")' <<<"$step" >/dev/null || fail "detail: $step"
ok "killed mid-restore: exit 3, report: $(jq -r .detail <<<"$step")"

# the human report says the same, per source and overall
start
live=$(cli dbsize)
# every confirmed key is there (fsync always); the unconfirmed ones may or may not be
((live >= confirmed && live <= confirmed + unconfirmed)) ||
	fail "after restart dbsize $live, report said $confirmed confirmed + $unconfirmed unconfirmed"
((live < 60000)) || fail "everything was applied: the restore was not cut"
ok "after the server came back: $live keys ($confirmed confirmed + up to $unconfirmed unconfirmed)"

# 3. the same restore again finishes the job; the result equals the archive
"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute >"$work/r2.out" 2>"$work/r2.err" ||
	fail "second restore: $(cat "$work/r2.err")"
grep -Eq 'redis .* wrote +60000 keys of db 0 written' "$work/r2.out" || fail "second restore output: $(cat "$work/r2.out")"
[[ $(cli dbsize) == 60000 ]] || fail "after the second restore: dbsize $(cli dbsize)"
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/b.tar.zst" --quiet 2>"$work/err" || fail "snapshot: $(cat "$work/err")"
"$HIVESNAP" diff "$work/a.tar.zst" "$work/b.tar.zst" --only redis >"$work/diff.out" 2>&1 ||
	fail "restored state differs from the archive: $(head -20 "$work/diff.out")"
ok "the same restore again: 60000 keys, a new snapshot diffs equal to the archive"

# 4. the human report of a restore cut short
cli flushall >/dev/null
"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute >"$work/r3.out" 2>"$work/r3.err" &
rpid=$!
for _ in $(seq 600); do
	n=$(cli dbsize 2>/dev/null || echo 0)
	((n >= 6000)) && break
	sleep 0.05
done
stop9
set +e
wait $rpid
rc=$?
set -e
[[ $rc == 3 ]] || fail "second kill: exit $rc, want 3"
grep -Eq '^stopped:$' "$work/r3.out" || fail "no 'stopped:' section: $(cat "$work/r3.out")"
grep -Eq 'redis .* failed +stopped: [0-9]+ keys of db 0 written and 0 extra deleted \(confirmed\), [0-9]+ more sent but not confirmed' \
	"$work/r3.out" || fail "the human report does not say what was written: $(cat "$work/r3.out")"
grep -q 'applied: nothing; failed: redis; not applied: nothing' "$work/r3.out" || fail "summary line: $(cat "$work/r3.out")"
ok "human report: $(grep 'failed  *stopped' "$work/r3.out" | sed 's/  */ /g')"
echo PASS
