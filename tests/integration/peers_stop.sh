#!/usr/bin/env bash
# scripts/peers.sh in a run folder of its own with every port shifted by
# HIVESNAP_PEERS_PORT_OFFSET (so the shared peers the other tests use stay up):
#  - a port in use fails `start` with one line naming the peer, the port and the
#    log, exit 1, and the peer started before it is stopped again;
#  - start is idempotent; status says running; stop leaves no peer process and
#    no listening port, and status then says stopped for each and exits non-zero.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HS_SRC:?HS_SRC must name the source tree}"
peers=$HS_SRC/scripts/peers.sh
run=$(mktemp -d /tmp/hivesnap-peers-stoptest.XXXXXX)
export HIVESNAP_PEERS_RUN=$run HIVESNAP_PEERS_PORT_OFFSET=${PEERS_STOP_TEST_OFFSET:-1000}
unset PEERS_RUN PEERS_BIN PEERS_CACHE
PEERS_CACHE_REAL=${HIVESNAP_PEERS_CACHE:-$HOME/.cache/hivesnap-peers}
off=$HIVESNAP_PEERS_PORT_OFFSET
ports=($((16379 + off)) $((27117 + off)) $((19092 + off)) $((19094 + off)) $((19090 + off)) $((19100 + off)) $((19095 + off)))
list=(redis ferretdb kafka prometheus alertmanager)
blocker=
cleanup() {
	[[ -n $blocker ]] && kill "$blocker" 2>/dev/null
	"$peers" stop "${list[@]}" >/dev/null 2>&1 || true
	rm -rf "$run"
}
trap cleanup EXIT
open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "${ports[@]}"; do
	! open "$p" || fail "port $p is taken before the test; set PEERS_STOP_TEST_OFFSET"
done

# a port in use: ferretdb starts, redis cannot, both end up stopped
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(300)' "${ports[0]}" &
blocker=$!
for ((i = 0; i < 50; i++)); do open "${ports[0]}" && break; sleep 0.1; done
rc=0
err=$("$peers" start ferretdb redis 2>&1 >/dev/null) || rc=$?
[[ $rc == 1 ]] || fail "start with redis's port taken exited $rc, want 1"
line=$(grep "port ${ports[0]}" <<<"$err") || fail "no error naming port ${ports[0]}: $err"
[[ $(wc -l <<<"$line") == 1 && $line == "peers: redis: "*"(log: $run/redis/redis.log)" ]] ||
	fail "error is not one line naming redis and its log: $line"
! open "${ports[1]}" || fail "ferretdb still listens on ${ports[1]} after the failed start"
[[ ! -e $run/ferretdb/ferretdb.pid ]] || fail "ferretdb pid file left after the failed start"
kill "$blocker"
wait "$blocker" 2>/dev/null || true
blocker=
echo "ok: port in use -> '$line', exit 1, nothing left running"

# a failed build (a maven that fails, an empty cache): one line naming kafka and the build
# log, exit 1, redis (started first) stopped again, no half-built cache folder
mkdir -p "$run/fakebin" "$run/cache"
printf '#!/bin/sh\necho "maven: simulated failure" >&2\nexit 1\n' >"$run/fakebin/mvn"
chmod +x "$run/fakebin/mvn"
rc=0
err=$(PATH="$run/fakebin:$PATH" HIVESNAP_PEERS_CACHE="$run/cache" "$peers" start redis kafka 2>&1 >/dev/null) || rc=$?
[[ $rc == 1 ]] || fail "start with a failing build exited $rc, want 1"
line=$(grep "building kafka" <<<"$err" | grep failed) || fail "no error naming the kafka build: $err"
[[ $line == "peers: kafka: building kafka "*" failed "*"(log: $run/cache/kafka-"*".build.log)" ]] ||
	fail "build error does not name kafka and its build log: $line"
grep -q "simulated failure" "$run/cache"/kafka-*.build.log || fail "the build log does not hold maven's output"
! ls -d "$run/cache"/kafka-*/ >/dev/null 2>&1 || fail "a half-built kafka cache folder was left"
! open "${ports[0]}" || fail "redis still listens on ${ports[0]} after the failed start"
echo "ok: failed build -> '$line', exit 1, nothing left running"

# a peer that does not come up within its timeout (Kafka's JVM needs more than 1s to
# listen): one line naming kafka and its log, exit 1, redis (started first) and the kafka
# process stopped again
rc=0
err=$(HIVESNAP_PEERS_TIMEOUT=1 "$peers" start redis kafka 2>&1 >/dev/null) || rc=$?
[[ $rc == 1 ]] || fail "start with a 1s timeout exited $rc, want 1"
line=$(grep "within 1s" <<<"$err") || fail "no error naming the timeout: $err"
[[ $line == "peers: kafka: "*"(log: $run/kafka/kafka.log)" ]] || fail "timeout error does not name kafka and its log: $line"
! open "${ports[0]}" || fail "redis still listens after the failed start"
! pgrep -f "kafka.Kafka $run/kafka/server.properties" >/dev/null || fail "the kafka process was left running"
for p in "${ports[2]}" "${ports[3]}"; do ! open "$p" || fail "kafka port $p still open after the failed start"; done
echo "ok: not up in time -> '$line', exit 1, nothing left running"

# start, start again, status, stop, status
"$peers" start "${list[@]}" 2>"$run/start.log" || { cat "$run/start.log" >&2; fail "start failed"; }
t=$SECONDS
"$peers" start "${list[@]}" 2>/dev/null || fail "second start failed"
((SECONDS - t <= 5)) || fail "second start took $((SECONDS - t))s: not idempotent"
"$peers" status "${list[@]}" >"$run/status" || fail "status after start exited non-zero: $(cat "$run/status")"
pids=$(cat "$run"/*/*.pid)
[[ $(wc -w <<<"$pids") == 6 ]] || fail "want 6 pid files (exporter included), got: $pids"
for p in "${ports[@]}"; do open "$p" || fail "port $p not open after start"; done
env=$("$peers" env)
grep -q "^export HIVESNAP_REDIS_URI=redis://127.0.0.1:${ports[0]}/0$" <<<"$env" || fail "env has no shifted redis uri: $env"
grep -q "^export PEERS_BIN=$run/bin$" <<<"$env" || fail "env has no PEERS_BIN: $env"
for tool in redis-cli kafka-consumer-groups; do [[ -x $run/bin/$tool ]] || fail "no $tool in PEERS_BIN"; done
echo "ok: start (twice), status, env"

"$peers" stop "${list[@]}" 2>"$run/stop.log" || { cat "$run/stop.log" >&2; fail "stop failed"; }
rc=0
out=$("$peers" status "${list[@]}") || rc=$?
[[ $rc != 0 ]] || fail "status after stop exited 0"
[[ $(grep -c ': stopped$' <<<"$out") == 6 ]] || fail "status after stop: $out"
for pid in $pids; do ! kill -0 "$pid" 2>/dev/null || fail "process $pid still alive after stop"; done
for p in "${ports[@]}"; do ! open "$p" || fail "port $p still open after stop"; done
echo "ok: stop leaves no process and no port; status says stopped"
