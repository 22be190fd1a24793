#!/usr/bin/env bash
# `snapshot --metrics-file PATH` against the real Redis peer: the file
# passes `promtool check metrics`, carries the run's exit code, archive
# size, items and status per source; a failed run, a run refused with 75
# (folder locked) and a run refused for bad flags (64) report their exit
# code and keep the previous last success timestamp; no temporary file is
# left.  Reads db 12, hs-sched:*.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}"
: "${HIVESNAP_REDIS_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus)"
hostport=${HIVESNAP_REDIS_URI#redis://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
rcli=redis-cli
[[ -n ${PEERS_BIN:-} && -x $PEERS_BIN/redis-cli ]] && rcli=$PEERS_BIN/redis-cli
cli() { "$rcli" -h "$host" -p "$port" -n 12 "$@"; }
[[ $(cli ping) == PONG ]] || fail "redis at $hostport does not answer"
work=$(mktemp -d)
trap 'cli del hs-sched:m1 hs-sched:m2 hs-sched:m3 >/dev/null || true; rm -rf "$work"' EXIT
cli mset hs-sched:m1 a hs-sched:m2 b hs-sched:m3 c >/dev/null
printf 'name: itmetrics\nredis:\n  uri: redis://%s/12\n  dbs:\n    - db: 12\n      patterns: ["hs-sched:m*"]\n' "$hostport" >"$work/p.yaml"
m=$work/hivesnap.prom
mkdir "$work/b"

before=$(date +%s)
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis --output-dir "$work/b" --metrics-file "$m" >"$work/out" ||
	fail "snapshot with --metrics-file failed"
promtool check metrics <"$m" || fail "promtool rejects the metrics file: $(cat "$m")"
val() { awk -v k="$1" 'index($0, k) == 1 { print $NF }' "$m"; }
[[ $(val 'hivesnap_last_run_exit_code{profile="itmetrics"}') == 0 ]] || fail "exit code: $(cat "$m")"
[[ $(val 'hivesnap_source_items{profile="itmetrics",source="redis"}') == 3 ]] || fail "redis items: $(cat "$m")"
[[ $(val 'hivesnap_source_status{profile="itmetrics",source="redis",status="ok"}') == 1 ]] || fail "redis status: $(cat "$m")"
[[ $(val 'hivesnap_source_status{profile="itmetrics",source="redis",status="failed"}') == 0 ]] || fail "redis status: $(cat "$m")"
[[ $(val 'hivesnap_archive_bytes{profile="itmetrics"}') == $(stat -c %s "$(cat "$work/out")") ]] || fail "archive bytes: $(cat "$m")"
ok_ts=$(val 'hivesnap_last_success_timestamp_seconds{profile="itmetrics"}')
awk -v t="$ok_ts" -v b="$before" 'BEGIN { exit !(t >= b && t <= b + 120) }' || fail "last success $ok_ts, run started $before"
[[ $(stat -c %a "$m") == 644 ]] || fail "metrics file mode $(stat -c %a "$m")"
echo "ok: metrics of a successful run pass promtool and carry exit code, items, status, archive size"

# a failing run (nothing listens there): exit 3 reported, last success kept
printf 'name: itmetrics\nredis:\n  uri: redis://127.0.0.1:1/12\n' >"$work/bad.yaml"
mkdir "$work/b2" # a fresh folder: a second run in the same second would collide on the file name
rc=0
"$HIVESNAP" snapshot -q -p "$work/bad.yaml" --only redis --output-dir "$work/b2" --metrics-file "$m" 2>"$work/err" || rc=$?
[[ $rc == 3 ]] || fail "snapshot against a dead redis exited $rc, want 3: $(cat "$work/err")"
promtool check metrics <"$m" || fail "promtool rejects the failed run's metrics: $(cat "$m")"
[[ $(val 'hivesnap_last_run_exit_code{profile="itmetrics"}') == 3 ]] || fail "exit code after failure: $(cat "$m")"
[[ $(val 'hivesnap_last_success_timestamp_seconds{profile="itmetrics"}') == "$ok_ts" ]] || fail "last success changed: $(cat "$m")"
[[ $(val 'hivesnap_archive_bytes{profile="itmetrics"}') == 0 ]] || fail "archive bytes after failure: $(cat "$m")"
[[ $(val 'hivesnap_source_status{profile="itmetrics",source="redis",status="failed"}') == 1 ]] || fail "failed status: $(cat "$m")"
[[ $(ls "$work" | grep -c tmp || true) == 0 ]] || fail "temporary files left: $(ls "$work")"
echo "ok: a failed run reports exit 3 and keeps the last success timestamp"

# a run refused because another run holds the folder (75): it reports its
# exit code, the last success does not move, no source series (none ran)
lock=$work/b/.hivesnap.lock
printf 'pid 4242\nstarted 2026-11-29T06:00:00Z\n' >"$lock"
( exec 9>>"$lock"; flock -n 9 || exit 1; touch "$work/held"; exec sleep 60 ) &
holder=$!
for _ in $(seq 100); do [[ -e $work/held ]] && break; sleep 0.05; done
[[ -e $work/held ]] || { kill -9 $holder; fail "the test could not take the lock with flock"; }
rc=0
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis --output-dir "$work/b" --metrics-file "$m" 2>"$work/err" || rc=$?
kill -9 $holder; wait $holder 2>/dev/null || true
[[ $rc == 75 ]] || fail "snapshot into a locked folder exited $rc, want 75: $(cat "$work/err")"
promtool check metrics <"$m" || fail "promtool rejects the locked run's metrics: $(cat "$m")"
[[ $(val 'hivesnap_last_run_exit_code{profile="itmetrics"}') == 75 ]] || fail "exit code of the locked run: $(cat "$m")"
[[ $(val 'hivesnap_last_success_timestamp_seconds{profile="itmetrics"}') == "$ok_ts" ]] || fail "last success moved on 75: $(cat "$m")"
[[ $(val 'hivesnap_archive_bytes{profile="itmetrics"}') == 0 ]] || fail "archive bytes of the locked run: $(cat "$m")"
! grep -q '^hivesnap_source_' "$m" || fail "per-source series for a run that captured nothing: $(cat "$m")"
echo "ok: a run refused with 75 reports exit 75 and keeps the last success timestamp"

# bad flags (64): reported when the metrics path itself is known, whatever the flags' order
rc=0
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --parallel 0 --output-dir "$work/b" --metrics-file "$m" 2>"$work/err" || rc=$?
[[ $rc == 64 ]] || fail "--parallel 0 exited $rc, want 64"
promtool check metrics <"$m" || fail "promtool rejects the bad-flags run's metrics: $(cat "$m")"
[[ $(val 'hivesnap_last_run_exit_code{profile="itmetrics"}') == 64 ]] || fail "exit code of a bad-flags run: $(cat "$m")"
[[ $(val 'hivesnap_last_success_timestamp_seconds{profile="itmetrics"}') == "$ok_ts" ]] || fail "last success moved on 64: $(cat "$m")"
rc=0
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --metrics-file="$work/m2.prom" --no-such-flag 2>"$work/err" || rc=$?
[[ $rc == 64 ]] || fail "--no-such-flag exited $rc, want 64"
promtool check metrics <"$work/m2.prom" || fail "promtool rejects $(cat "$work/m2.prom")"
m=$work/m2.prom
[[ $(val 'hivesnap_last_run_exit_code{profile="itmetrics"}') == 64 ]] || fail "exit code (--metrics-file=): $(cat "$m")"
[[ $(val 'hivesnap_last_success_timestamp_seconds{profile="itmetrics"}') == 0.000 ]] || fail "a first failed run has a last success: $(cat "$m")"
m=$work/hivesnap.prom
rc=0
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --output-dir "$work/b" --metrics-file 2>"$work/err" || rc=$?
[[ $rc == 64 ]] || fail "--metrics-file without a path exited $rc, want 64"
[[ $(ls "$work" | grep -c tmp || true) == 0 ]] || fail "temporary files left: $(ls "$work")"
echo "ok: a run refused for its flags reports exit 64 when --metrics-file is given, before or after the bad flag"

rc=0
mkdir "$work/b3"
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis --output-dir "$work/b3" --metrics-file "$work/nodir/x.prom" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || fail "an unwritable metrics file changed the exit code to $rc"
grep -q "cannot write metrics file '.*/nodir/x.prom'" "$work/err" || fail "no error for the unwritable metrics file: $(cat "$work/err")"
echo "PASS"
