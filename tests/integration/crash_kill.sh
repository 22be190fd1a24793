#!/usr/bin/env bash
# Crash safety (issue #12), on the shared Redis and MongoDB peers (read only):
#   - `snapshot --output-dir D` killed with SIGKILL at seeded random moments,
#     spread over a whole run (HS_CRASH_TRIALS, default 30; HS_CRASH_SEED, printed):
#     after each kill, every file in D with a final archive name passes
#     `hivesnap verify`; the temporary files left behind carry the dead pid;
#   - the next run removes them (and says so), and keeps a live process's one;
#   - SIGTERM and SIGINT: exit 3, one line, no temporary file, no lock file,
#     and the next run gets the lock at once.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}" "${HIVESNAP_REDIS_URI:?run with the peers env}" "${HIVESNAP_MONGO_URI:?run with the peers env}"
# libmongoc creates /dev/shm/mongoc-PID before main(); hivesnap removes the
# name at once, so a SIGKILLed run leaves none (else a later process of the
# same pid prints a driver warning): checked after each kill below
trials=${HS_CRASH_TRIALS:-30}
seed=${HS_CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "crash_kill: seed $seed, $trials trials (HS_CRASH_SEED=$seed reproduces the delays)"
RANDOM=$seed

work=$(mktemp -d)
snap= live=
cleanup() {
	[[ -n $snap ]] && kill -9 "$snap" 2>/dev/null || true
	[[ -n $live ]] && kill -9 "$live" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
d=$work/backups
mkdir "$d"

now_ms() { date +%s%3N; }
final_archives() { find "$d" -maxdepth 1 -name '*.tar.zst' -type f; }
temps() { find "$d" -maxdepth 1 \( -name '*.tar.zst.tmp-*' -o -name '.hivesnap-spool-*' \) | sort; }
declare -A verified
check_finals() { # every file with a final name verifies (each checked once: they never change)
	local f
	while read -r f; do
		[[ -z $f || -n ${verified[$f]:-} ]] && continue
		"$HIVESNAP" verify "$f" >"$work/v.out" 2>&1 || fail "$1: '$f' has a final name and fails verify: $(cat "$work/v.out")"
		verified[$f]=1
	done < <(final_archives)
}

# one undisturbed run per source set, to time a whole run
declare -A dur
for only in redis redis,mongo; do
	t0=$(now_ms)
	"$HIVESNAP" snapshot -q --only "$only" --output-dir "$d" --label "calib-${only/,/-}" >/dev/null 2>"$work/err" ||
		fail "an undisturbed snapshot --only $only failed: $(cat "$work/err")"
	dur[$only]=$(($(now_ms) - t0))
	echo "ok: snapshot --only $only takes ${dur[$only]} ms"
done
check_finals "undisturbed runs"
[[ -z $(temps) ]] || fail "undisturbed runs left temporary files: $(temps)"

# SIGKILL at moments spread over a whole run (stratified: trial i in its own
# slice of 0..110% of the run), every tenth with MongoDB (10x slower), the rest Redis
# only.  Each run also removes the temporary files of the runs killed before it.
left=0 done_runs=0
for i in $(seq 1 "$trials"); do
	only=redis
	((i % 10 == 0)) && only=redis,mongo
	full=${dur[$only]}
	slice=$((full * 110 / 100 / trials))
	delay=$(((i - 1) * full * 110 / 100 / trials + RANDOM % (slice + 1)))
	"$HIVESNAP" snapshot -q --only "$only" --output-dir "$d" --label "k$i" >/dev/null 2>"$work/k.err" &
	snap=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -9 "$snap" 2>/dev/null || true
	rc=0
	wait "$snap" 2>/dev/null || rc=$?
	# (a kill in the first second may land before main())
	((delay < 1000)) || [[ ! -e /dev/shm/mongoc-$snap ]] || fail "trial $i: the killed run left /dev/shm/mongoc-$snap"
	snap=
	[[ $rc == 137 ]] || done_runs=$((done_runs + 1))
	check_finals "trial $i (killed after $delay ms)"
	# what is left carries a pid that is dead now
	while read -r t; do
		[[ -z $t ]] && continue
		p=$(basename "$t" | sed -E 's/.*(\.tar\.zst\.tmp-|\.hivesnap-spool-)([0-9]+)-.*/\2/')
		! kill -0 "$p" 2>/dev/null || fail "trial $i: temporary file $t of a live pid $p"
	done < <(temps)
	[[ -n $(temps) ]] && left=$((left + 1))
done
echo "ok: $trials SIGKILLs ($done_runs runs finished first): no file with a final name fails verify; temporary files left by $left trials or later"

# a run killed well inside main() leaves no /dev/shm/mongoc-PID
"$HIVESNAP" snapshot -q --only redis,mongo --output-dir "$d" --label shm >/dev/null 2>"$work/k.err" &
snap=$!
sleep 0.5
kill -0 "$snap" 2>/dev/null || fail "the run to kill ended within 0.5 s: the check proves nothing"
kill -9 "$snap"
wait "$snap" 2>/dev/null || true
[[ ! -e /dev/shm/mongoc-$snap ]] || fail "the killed run left /dev/shm/mongoc-$snap"
snap=
echo "ok: a SIGKILLed run leaves no /dev/shm/mongoc-PID"
((left > 0)) || fail "no trial was killed while writing: the test did not test anything (seed $seed)"

# the next run removes the dead runs' temporary files, not a live one's
sleep 600 &
live=$!
touch "$d/x-20260101T000000Z.tar.zst.tmp-$live-abcdef" "$d/.hivesnap-spool-$live-abcdef"
# and one of a dead pid for sure, whatever the last trial left
true &
dead=$!
wait "$dead"
touch "$d/y-20260101T000000Z.tar.zst.tmp-$dead-ghijkl"
stale=$(temps | grep -vc -- "-$live-abcdef" || true)
"$HIVESNAP" snapshot --only redis --output-dir "$d" --label after >/dev/null 2>"$work/after.err" ||
	fail "the run after the kills failed: $(cat "$work/after.err")"
grep -q "removed $stale temporary file" "$work/after.err" ||
	fail "the run after the kills does not report removing $stale files: $(cat "$work/after.err")"
[[ $(temps) == "$(printf '%s\n' "$d/.hivesnap-spool-$live-abcdef" "$d/x-20260101T000000Z.tar.zst.tmp-$live-abcdef" | sort)" ]] ||
	fail "after the next run, temporary files are: $(temps)"
kill -9 "$live"
wait "$live" 2>/dev/null || true
live=
rm -f "$d"/*-abcdef "$d"/.hivesnap-spool-*-abcdef
check_finals "the run after the kills"
echo "ok: the next run removed the $stale temporary file(s) of dead runs and kept a live process's"

# SIGTERM and SIGINT: a clean stop
for sig in TERM INT; do
	"$HIVESNAP" snapshot -q --only redis,mongo --output-dir "$d" --label "sig$sig" >/dev/null 2>"$work/s.err" &
	snap=$!
	for _ in $(seq 400); do [[ -n $(temps) ]] && break; sleep 0.025; done
	[[ -n $(temps) ]] || fail "SIG$sig: the run never created its temporary file"
	sleep 0.3
	kill -s "$sig" "$snap"
	rc=0
	wait "$snap" || rc=$?
	snap=
	[[ $rc == 3 ]] || fail "SIG$sig: exit $rc, want 3: $(cat "$work/s.err")"
	[[ $(cat "$work/s.err") == "hivesnap: stopped by SIG$sig (temporary files removed)" ]] ||
		fail "SIG$sig: stderr is not the one line: $(cat "$work/s.err")"
	[[ -z $(temps) ]] || fail "SIG$sig left temporary files: $(temps)"
	[[ ! -e $d/.hivesnap.lock ]] || fail "SIG$sig left the lock file"
	! ls "$d"/flowc-sig$sig-* >/dev/null 2>&1 || fail "SIG$sig: an archive was written"
	t0=$(now_ms)
	"$HIVESNAP" snapshot -q --only redis --output-dir "$d" --label "post$sig" >/dev/null 2>"$work/p.err" ||
		fail "the run after SIG$sig failed: $(cat "$work/p.err")"
	echo "ok: SIG$sig stops a snapshot with exit 3, nothing left behind; the next run took the lock and finished in $(($(now_ms) - t0)) ms"
done
check_finals "the end"
