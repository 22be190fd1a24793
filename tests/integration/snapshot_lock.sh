#!/usr/bin/env bash
# Two concurrent snapshots into one folder: the first blocks on a private
# redis-server stopped with SIGSTOP while holding the folder lock; the second
# exits 75 at once naming the first's pid; once the server continues the
# first finishes (exit 0) and a third run gets the lock.  Runs its OWN
# redis-server on a private port (never the shared peer).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}"
. "$(dirname "${BASH_SOURCE[0]}")/private_redis.bash"
snap=
private_redis_on_exit() { [[ -z $snap ]] || kill -9 "$snap" 2>/dev/null; }
private_redis_init 26591
private_redis_start --appendonly no
cli set hs:k v >/dev/null
printf '%s\n' 'name: itlock' 'redis:' "  uri: redis://127.0.0.1:$port/0" '  dbs:' '    - db: 0' >"$work/p.yaml"
d=$work/backups
mkdir "$d"

kill -STOP "$pid"
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis --output-dir "$d" --label first >"$work/a.out" 2>"$work/a.err" &
snap=$!
for _ in $(seq 100); do grep -q "^pid $snap$" "$d/.hivesnap.lock" 2>/dev/null && break; sleep 0.05; done
grep -q "^pid $snap$" "$d/.hivesnap.lock" || fail "the first run did not take the lock: $(cat "$d/.hivesnap.lock" 2>&1)"
start=$(date +%s)
rc=0
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis --output-dir "$d" --label second 2>"$work/b.err" || rc=$?
[[ $rc == 75 ]] || fail "the second run exited $rc, want 75: $(cat "$work/b.err")"
(($(date +%s) - start < 5)) || fail "the second run did not exit at once"
grep -qE "output folder '.*/backups' is locked by hivesnap pid $snap started [0-9T:-]+Z \(try again later\)" "$work/b.err" ||
	fail "the second run does not name the holder: $(cat "$work/b.err")"
kill -0 "$snap" 2>/dev/null || fail "the first run ended early: $(cat "$work/a.err")"
echo "ok: a second concurrent snapshot exits 75 at once naming pid $snap"

kill -CONT "$pid"
rc=0
wait "$snap" || rc=$?
snap=
[[ $rc == 0 ]] || fail "the first run exited $rc after the server continued: $(cat "$work/a.err")"
ls "$d"/itlock-first-*.tar.zst >/dev/null || fail "the first run wrote no archive"
! ls "$d"/itlock-second-* >/dev/null 2>&1 || fail "the refused run wrote an archive"
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis --output-dir "$d" --label third >/dev/null 2>"$work/c.err" ||
	fail "a run after the first finished failed: $(cat "$work/c.err")"
echo "ok: the first run finishes once the server continues; the next run gets the lock"
echo PASS
