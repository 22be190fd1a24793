#!/usr/bin/env bash
# The output-folder lock: while another process holds DIR/.hivesnap.lock a
# snapshot exits 75 at once naming the holder's pid and start time (for
# --output-dir and for -o, whose folder is locked); once the holder dies by
# kill -9 the stale lock file does not block.
source "$(dirname "$0")/lib.sh"
: "${HS_FIXTURES:?HS_FIXTURES must name the fixtures folder}"
d=$tmp/backups
mkdir -p "$d"
lock=$d/.hivesnap.lock
profile=$HS_FIXTURES/profiles/minimal.yaml # no sources: a run that gets the lock exits 3
printf 'pid 4242\nstarted 2026-11-29T06:00:00Z\n' >"$lock"
# hold the lock from a process we can kill -9 (the fd survives the exec)
( exec 9>>"$lock"; flock -n 9 || exit 1; touch "$tmp/held"; exec sleep 120 ) &
holder=$!
trap 'kill -9 $holder 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [[ -e $tmp/held ]] && break; sleep 0.05; done
[[ -e $tmp/held ]] || fail "the test could not take the lock with flock"

start=$(date +%s%N)
expect_exit 75 "$HIVESNAP" snapshot -p "$profile" --output-dir "$d" --quiet
expect_stderr_match "output folder '.*/backups' is locked by hivesnap pid 4242 started 2026-11-29T06:00:00Z \(try again later\)"
elapsed=$((($(date +%s%N) - start) / 1000000))
((elapsed < 5000)) || fail "the locked run took ${elapsed} ms, want at once"
[[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "the locked run printed more than one line: $(cat "$tmp/err")"
expect_exit 75 "$HIVESNAP" snapshot -p "$profile" -o "$d/x.tar.zst" --quiet
expect_stderr_match "output folder '.*/backups' is locked by hivesnap pid 4242"
[[ ! -e $d/x.tar.zst ]] || fail "the locked run wrote $d/x.tar.zst"
[[ $(ls -A "$d") == .hivesnap.lock ]] || fail "the locked runs left files: $(ls -A "$d")"
echo "ok: a second run exits 75 at once naming the holder"

kill -9 "$holder"
wait "$holder" 2>/dev/null || true
expect_exit 3 "$HIVESNAP" snapshot -p "$profile" --output-dir "$d" --quiet
expect_stderr_match "no source is configured"
# the run took the stale lock (exit 3 comes after locking) and removed it when done
[[ ! -e $lock ]] || fail "the run after kill -9 left the lock file: $(cat "$lock")"
[[ -z $(ls -A "$d") ]] || fail "the run left files: $(ls -A "$d")"
echo "ok: a stale lock from a process killed with -9 does not block"
echo "PASS"
