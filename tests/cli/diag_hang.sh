#!/usr/bin/env bash
# hivesnap diag with a hung server: a TCP listener that accepts and never
# answers, used as the MongoDB URI (with driver timeouts of minutes) and as a
# health endpoint.  With --timeout 2s the mongo collector is killed at 2 s
# (status timeout, error "timed out after 2 s"), the others finish, the
# bundle is written and verifies (exit 2), all well within the listener's
# lifetime, and no child process or temporary file is left.  SIGINT and
# SIGTERM during a run stop it at once (exit 3) leaving nothing behind; after
# kill -9 no collector process outlives hivesnap.
source "$(dirname "$0")/lib.sh"

lifetime=60
/usr/bin/python3 - "$tmp/port" "$lifetime" <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held, end = [], time.time() + float(sys.argv[2])
s.settimeout(0.2)
while time.time() < end:
    try:
        c, _ = s.accept()
        held.append(c)  # accepted, never answered
    except socket.timeout:
        pass
PY
listener=$!
trap 'kill $listener 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [[ -s $tmp/port ]] && break; sleep 0.05; done
[[ -s $tmp/port ]] || fail "the hang listener did not start"
hang=$(cat "$tmp/port")
closed=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
p=$tmp/hang.yaml
cat >"$p" <<YAML
name: hang
redis:
  uri: redis://127.0.0.1:$closed/0
mongo:
  uri: mongodb://127.0.0.1:$hang/?serverSelectionTimeoutMS=300000&connectTimeoutMS=300000
  databases: [{name: neural_hive}]
diag:
  health:
    - {name: hung, url: "http://127.0.0.1:$hang/health", timeout_ms: 300000}
YAML

# no process left with this run's command line (the forked children share it)
no_children() {
	local left
	left=$(pgrep -f -- "diag -p $p" || true)
	[[ -z $left ]] || fail "processes left behind: $(ps -o pid,args -p "${left//$'\n'/,}")"
}

o=$tmp/o1
mkdir "$o"
start=$(date +%s%N)
expect_exit 2 "$HIVESNAP" diag -p "$p" --output-dir "$o" --timeout 2s
elapsed=$((($(date +%s%N) - start) / 1000000))
((elapsed < 15000)) || fail "the run took ${elapsed} ms with a 2 s budget (listener lives ${lifetime} s)"
((elapsed >= 1900)) || fail "the run took ${elapsed} ms: the hung collector was not given its 2 s"
kill -0 "$listener" 2>/dev/null || fail "the listener is gone: the test proves nothing"
echo "ok: a run with a hung server took ${elapsed} ms"
no_children
bundle=$(ls "$o"/hang-diag-*.tar.zst)
[[ $(ls -A "$o") == "$(basename "$bundle")" ]] || fail "the output folder holds more than the bundle: $(ls -A "$o")"
expect_exit 0 "$HIVESNAP" verify "$bundle"
expect_exit 0 "$HIVESNAP" cat "$bundle" diag/checks.json
cp "$tmp/out" "$tmp/checks.json"
validate_json checks.schema.json "$tmp/checks.json"
/usr/bin/python3 - "$tmp/checks.json" <<'PY' || fail "checks are wrong: $(cat "$tmp/checks.json")"
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))}
assert c["mongo"]["status"] == "timeout", c["mongo"]
assert c["mongo"]["error"] == "timed out after 2 s", c["mongo"]
assert 1900 <= c["mongo"]["duration_ms"] < 5000 and c["mongo"]["timeout_ms"] == 2000, c["mongo"]
assert c["redis"]["status"] == "failed", c["redis"]
assert c["health"]["status"] != "skipped" and c["health"]["duration_ms"] < 5000, c["health"]
assert c["kafka"]["status"] == "skipped", c["kafka"]
PY
expect_exit 0 "$HIVESNAP" cat "$bundle" diag/findings.json
grep -q "collector 'mongo' (.*) was stopped: timed out after 2 s" "$tmp/out" ||
	fail "no finding for the timed-out collector: $(cat "$tmp/out")"
expect_exit 0 "$HIVESNAP" cat "$bundle" manifest.json
/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["sources"]["mongo"]; assert s["status"]=="failed" and s["error"]=="timed out after 2 s" and s["details"]["diag_status"]=="timeout", s' \
	"$tmp/out" || fail "the manifest does not record the timeout: $(cat "$tmp/out")"
echo "ok: the hung collector timed out, the rest finished, the bundle is whole"

# a signal during the run: exit 3 at once, nothing left (work folder, temp archive, lock, children)
for sig in INT TERM; do
	o=$tmp/sig-$sig
	mkdir "$o"
	"$HIVESNAP" diag -p "$p" --output-dir "$o" --timeout 60s >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 100); do grep -q 'running .* diag collectors' "$tmp/err" && break; sleep 0.05; done
	sleep 1
	[[ -n $(ls -A "$o") ]] || fail "SIG$sig: the run has no work folder or lock yet: the test proves nothing"
	start=$(date +%s%N)
	kill -s "$sig" "$pid"
	got=0
	wait "$pid" || got=$?
	elapsed=$((($(date +%s%N) - start) / 1000000))
	[[ $got == 3 ]] || fail "SIG$sig: exit $got, want 3: $(cat "$tmp/err")"
	((elapsed < 5000)) || fail "SIG$sig: took ${elapsed} ms to stop"
	grep -q "interrupted by signal" "$tmp/err" || fail "SIG$sig: no message: $(cat "$tmp/err")"
	[[ -z $(ls -A "$o") ]] || fail "SIG$sig left files: $(ls -A "$o")"
	[[ ! -s $tmp/out ]] || fail "SIG$sig printed a report: $(cat "$tmp/out")"
	no_children
	echo "ok: SIG$sig stops the run (exit 3) and leaves nothing"
done
# kill -9 of the parent: its children die with it (they would otherwise run to their budgets)
o=$tmp/sig-KILL
mkdir "$o"
"$HIVESNAP" diag -p "$p" --output-dir "$o" --timeout 60s >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q 'running .* diag collectors' "$tmp/err" && break; sleep 0.05; done
sleep 1
[[ -n $(pgrep -f -- "diag -p $p" | grep -vx "$pid" || true) ]] || fail "no child process to watch: the test proves nothing"
# while collectors are forked the parent runs no other thread: a fork() while
# one (zstd's workers) holds malloc's lock gave a child that hung for ever
threads=$(ls "/proc/$pid/task" | wc -l)
[[ $threads == 1 ]] || fail "hivesnap runs $threads threads while it forks collectors, want 1"
[[ -z $(ls -A "$o" | grep '\.tmp-' || true) ]] || fail "the archive is open while collectors run: $(ls -A "$o")"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
for _ in $(seq 40); do [[ -z $(pgrep -f -- "diag -p $p" || true) ]] && break; sleep 0.05; done
no_children
echo "ok: kill -9 of hivesnap takes its collectors with it"
# what it left (its work folder) goes at the next run into that folder
ls -A "$o" | grep -q '^\.hivesnap-diag-[0-9]*-' || fail "kill -9 left no work folder: the next check proves nothing"
expect_exit 2 "$HIVESNAP" diag -p "$p" --output-dir "$o" --timeout 1s --skip health
expect_stderr_match 'removed [0-9]+ temporary files? or folders? left by dead runs'
[[ $(ls -A "$o" | grep -cv '^hang-diag-.*\.tar\.zst$') == 0 ]] || fail "stale files stay: $(ls -A "$o")"
echo "ok: the next run removes what a killed run left"
echo "PASS"
