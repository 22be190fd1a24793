#!/usr/bin/env bash
# diag's network collectors (health, deps, prometheus) on real servers:
# - a PRIVATE Prometheus + Flow C exporter + Alertmanager (scripts/peers.sh with
#   its own run folder and ports shifted by DIAG_NET_TEST_OFFSET, default 7100;
#   the shared peers are never touched) whose exporter reports the orchestrator
#   circuit breaker open and many SLA violations -> critical findings, the
#   FlowCCircuitBreakerOpen alert firing -> a finding, a bad PromQL query -> a
#   warning of the collector, not a failure;
# - a python3 http.server fixture: /ready 503 and /missing 404 -> critical
#   "health/readiness failing", /slow over health_latency_max_ms -> warning,
#   /health 200 with password=... in its body;
# - gRPC health (grpc.health.v1) of the k8s peers' etcd -> SERVING;
# - dependencies: a closed port -> critical "<name> unreachable"; etcd /health,
#   etcd gRPC, the shared redis and mongo -> ok; a server that accepts and
#   never answers is cut at the dependency's timeout; gRPC health against an
#   HTTP/1 server fails;
# - the secret in the body and the one in a health URI's userinfo appear
#   nowhere (entries, stdout, stderr); with --no-redact the body's does (so
#   the search can fail), the URI's still not;
# - Prometheus unreachable: the collector fails with a finding, exit 2.
set -euo pipefail
. "$(dirname "$0")/diag_src_lib.bash"
: "${HS_SRC:?HS_SRC must name the source tree}"
command -v python3 >/dev/null || fail "python3 is needed for the HTTP fixture"

off=${DIAG_NET_TEST_OFFSET:-7100}
peers=$HS_SRC/scripts/peers.sh
prun=$work/peers
pport=$((19090 + off)) eport=$((19100 + off)) aport=$((19095 + off))
etcd_port=$((24379 + ${HIVESNAP_PEERS_PORT_OFFSET:-0}))
body_secret=BODYPW-$RANDOM-planted
uri_secret=URIPW-$RANDOM-planted
fixture_pid=
started=

open_port() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
cleanup() {
	[[ -n $fixture_pid ]] && kill "$fixture_pid" 2>/dev/null || true
	if [[ -n $started ]]; then
		HIVESNAP_PEERS_RUN=$prun HIVESNAP_PEERS_PORT_OFFSET=$off "$peers" stop prometheus alertmanager \
			>"$work/peers-stop.log" 2>&1 || cat "$work/peers-stop.log" >&2
	fi
	diag_cleanup
}
trap cleanup EXIT

for p in $pport $eport $aport; do
	! open_port "$p" || fail "port $p is taken before the test; set DIAG_NET_TEST_OFFSET"
done
open_port "$etcd_port" || fail "no etcd on 127.0.0.1:$etcd_port (scripts/peers.sh start k8s)"

# the exporter's state: orchestrator breaker open, SLA violations at 100/s (rate over 30m of a few seconds' data stays over 0.01)
mkdir -p "$prun/prometheus"
jq -n '{circuit_breaker: {orchestrator: 1, service_registry: 0, mongodb: 0, kafka: 0},
	sla_violations_total: {value: 100, per_second: 100.0}}' >"$prun/prometheus/flowc-state.json"
started=1
HIVESNAP_PEERS_RUN=$prun HIVESNAP_PEERS_PORT_OFFSET=$off "$peers" start alertmanager prometheus \
	>"$work/peers-start.log" 2>&1 || fail "private prometheus did not start: $(tail -5 "$work/peers-start.log")"
prom=http://127.0.0.1:$pport
pq() { curl -fsS --max-time 5 -G "$prom/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // "none"'; }
for ((i = 0; i < 100; i++)); do
	v=$(pq 'rate(neural_hive_flow_c_sla_violations_total[30m])')
	firing=$(curl -fsS --max-time 5 "$prom/api/v1/alerts" | jq '[.data.alerts[] | select(.state == "firing")] | length')
	[[ $v != none && $firing -ge 1 ]] && awk -v v="$v" 'BEGIN { exit !(v > 0.05) }' && break
	sleep 0.3
done
[[ $v != none ]] || fail "private prometheus has no SLA violation rate after 30 s"
[[ $firing -ge 1 ]] || fail "FlowCCircuitBreakerOpen not firing in the private prometheus after 30 s"
ok "private prometheus on $pport: breaker open, SLA rate $v, $firing alert(s) firing"

# the HTTP fixture
hport=$(free_port $((26700 + off % 1000)))
cat >"$work/fixture.py" <<'EOF'
import socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, secret, silent_port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def silent():
    # accepts connections and never answers (a hung server)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", silent_port))
    s.listen(16)
    held = []
    while True:
        held.append(s.accept()[0])
threading.Thread(target=silent, daemon=True).start()
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = {"/health": (200, "status=ok password=%s\n" % secret),
                      "/ready": (503, '{"status": "not ready"}\n'),
                      "/slow": (200, "ok\n")}.get(self.path, (404, "no such page\n"))
        if self.path == "/slow":
            time.sleep(1.2)
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
sport=$(free_port $((hport + 1)))
python3 "$work/fixture.py" "$hport" "$body_secret" "$sport" &
fixture_pid=$!
for ((i = 0; i < 50; i++)); do open_port "$hport" && open_port "$sport" && break; sleep 0.1; done
open_port "$hport" && open_port "$sport" || fail "the HTTP fixture did not start on $hport and $sport"
closed=$(free_port $((26800 + off % 1000)))

cat >"$work/p.yaml" <<EOF
name: diag-net
diag:
  health:
    - {name: app/health, url: "http://ops:$uri_secret@127.0.0.1:$hport/health"}
    - {name: app/ready, url: "http://127.0.0.1:$hport/ready"}
    - {name: app/missing, url: "http://127.0.0.1:$hport/missing"}
    - {name: app/slow, url: "http://127.0.0.1:$hport/slow", timeout_ms: 5000}
    - {name: etcd/grpc, kind: grpc, url: "127.0.0.1:$etcd_port"}
    - {name: http1/grpc, kind: grpc, url: "127.0.0.1:$hport", timeout_ms: 2000}
  dependencies:
    - {name: closed-port, kind: tcp, address: "127.0.0.1:$closed", timeout_ms: 2000}
    - {name: hung-redis, kind: redis, address: "redis://:$uri_secret@127.0.0.1:$sport/0", timeout_ms: 1000}
    - {name: hung-mongo, kind: mongo, address: "mongodb://app:$uri_secret@127.0.0.1:$sport/db", timeout_ms: 1000}
    - {name: etcd, kind: etcd, url: "http://127.0.0.1:$etcd_port"}
    - {name: etcd-grpc, kind: grpc, address: "127.0.0.1:$etcd_port"}
    - {name: redis, kind: redis, address: "${HIVESNAP_REDIS_URI:-redis://127.0.0.1:16379/0}"}
    - {name: mongodb, kind: mongo, address: "${HIVESNAP_MONGO_URI:-mongodb://127.0.0.1:27117/}"}
  prometheus:
    url: $prom
    queries:
      - {name: circuit_breaker_orchestrator, query: 'neural_hive_circuit_breaker_state{component="orchestrator"}',
         crit: 1, runbook_section: Circuit Breaker Open}
      - {name: sla_violations, query: 'rate(neural_hive_flow_c_sla_violations_total[30m])', unit: violations/s,
         warn: 0.001, crit: 0.01, runbook_section: Scale Orchestrator Dynamic}
      - {name: active_workflows, query: neural_hive_flow_c_active_workflows, warn: 1000}
      - {name: broken, query: 'rate(', crit: 1}
  alertmanager:
    url: http://127.0.0.1:$aport
  thresholds:
    health_latency_max_ms: 800
EOF

diag_rc 0 "$work/a.tar.zst" -p "$work/p.yaml" --only health,deps,prometheus
check_status health ok
check_status deps ok
check_status prometheus warning

# health
finding critical '^app/ready health/readiness failing: HTTP 503$' "Check Service Health"
finding critical '^app/missing health/readiness failing: HTTP 404$' "Check Service Health"
finding warning '^app/slow health answered in [0-9]+ ms, over 800 ms$' "Check Service Health"
no_finding '^app/health '
no_finding '^etcd/grpc '
has_entry diag/health/app_health.json
has_entry diag/health/etcd_grpc.json
h=$work/b/diag/health
[[ $(jq -r .status "$h/app_health.json") == 200 ]] || fail "app/health status: $(cat "$h/app_health.json")"
jq -e '.body | test("^status=ok password=\\*\\*\\*")' "$h/app_health.json" >/dev/null ||
	fail "app/health body not kept, redacted: $(jq .body "$h/app_health.json")"
[[ $(jq -r .url "$h/app_health.json") == "http://ops:***@127.0.0.1:$hport/health" ]] ||
	fail "health url not redacted: $(jq .url "$h/app_health.json")"
[[ $(jq -r .status "$h/app_ready.json") == 503 && $(jq -r .ok "$h/app_ready.json") == false ]] ||
	fail "app/ready record: $(cat "$h/app_ready.json")"
ok "health records: status, body (redacted), url (redacted)"
[[ $(jq -r .serving_status "$h/etcd_grpc.json") == SERVING && $(jq -r .grpc_status "$h/etcd_grpc.json") == 0 ]] ||
	fail "etcd gRPC health: $(cat "$h/etcd_grpc.json")"
ok "gRPC health of etcd: SERVING, grpc-status 0"

# deps
finding critical '^closed-port unreachable$' "Check Dependencies"
jq -e '.evidence.step == "connect" and (.evidence.error | test("cannot connect to .127.0.0.1:[0-9]+.: Connection refused"))' \
	"$work/finding" >/dev/null || fail "closed-port evidence: $(jq -c .evidence "$work/finding")"
finding critical '^hung-redis unreachable$' "Check Dependencies"
jq -e '.evidence.step == "ping" and .evidence.ping_ms < 3000' "$work/finding" >/dev/null ||
	fail "hung-redis: not cut at its 1 s timeout at the ping: $(jq -c .evidence "$work/finding")"
finding critical '^hung-mongo unreachable$' "Check Dependencies"
jq -e '.evidence.step == "ping" and .evidence.ping_ms < 3000 and (.evidence.address | test("^mongodb://app:\\*\\*\\*@"))' \
	"$work/finding" >/dev/null || fail "hung-mongo: $(jq -c .evidence "$work/finding")"
ok "a server that accepts and never answers is cut at the dependency's timeout (redis, mongo)"
finding critical '^http1/grpc health/readiness failing: unreachable' "Check Service Health"
d=$work/b/diag/deps.json
for n in etcd etcd-grpc redis mongodb; do
	jq -e --arg n "$n" '.dependencies[] | select(.name == $n) | .ok == true and .connect_ms >= 0 and .ping_ms >= 0' \
		"$d" >/dev/null || fail "dependency $n not ok: $(jq -c --arg n "$n" '.dependencies[] | select(.name == $n)' "$d")"
done
[[ $(jq -r '.dependencies[] | select(.name == "etcd-grpc") | .serving_status' "$d") == SERVING ]] || fail "etcd-grpc serving"
[[ $(jq -r '.dependencies[] | select(.name == "redis") | .ping' "$d") == PONG ]] || fail "redis PING"
[[ $(jq -r .unreachable "$d") == 3 ]] || fail "deps.json unreachable count: $(jq .unreachable "$d")"
ok "deps.json: etcd /health, etcd gRPC, redis PING, mongo ping ok; three unreachable"

# prometheus
finding critical '^circuit breaker open \{.*component=orchestrator.*\} \(circuit_breaker_orchestrator = 1\)$' "Circuit Breaker Open"
finding critical '^sla_violations\{.*\} = [0-9.e-]+ violations/s, at or above the critical threshold 0.01$' "Scale Orchestrator Dynamic"
jq -e '.evidence.value > 0.01' "$work/finding" >/dev/null || fail "SLA value: $(jq -c .evidence "$work/finding")"
no_finding '^active_workflows'
finding critical '^alert firing: FlowCCircuitBreakerOpen: circuit breaker orchestrator is open$' "Circuit Breaker Open"
has_entry diag/prometheus/alerts.json
jq -e '.prometheus.data.alerts | map(select(.labels.alertname == "FlowCCircuitBreakerOpen" and .state == "firing")) | length == 1' \
	"$work/b/diag/prometheus/alerts.json" >/dev/null || fail "alerts.json: $(head -c 2000 "$work/b/diag/prometheus/alerts.json")"
for q in circuit_breaker_orchestrator sla_violations active_workflows broken; do has_entry "diag/prometheus/$q.json"; done
[[ $(jq -r .status "$work/b/diag/prometheus/active_workflows.json") == success ]] || fail "raw answer not kept"
[[ $(jq -r .status "$work/b/diag/prometheus/broken.json") == error ]] || fail "broken query's raw answer"
jq -e '[.. | objects | select(.name? == "prometheus" and has("status"))][0] | tostring | test("query .broken. failed: HTTP 400")' \
	"$work/b/diag/checks.json" >/dev/null || fail "no warning for the broken query: $(jq -c '.' "$work/b/diag/checks.json" | head -c 3000)"
ok "a bad query is a warning of the collector"

# secrets
nowhere "$body_secret" "the password in an HTTP body"
nowhere "$uri_secret" "the password in a health URI"

# --no-redact: the body's secret is there (the search above could fail), the URI's never
diag_rc 0 "$work/n.tar.zst" -p "$work/p.yaml" --only health,deps --no-redact
grep -rlaF -- "$body_secret" "$work/b" >/dev/null || fail "with --no-redact the body secret is not in the bundle"
ok "with --no-redact the body secret is in the bundle"
nowhere "$uri_secret" "the password in a health URI and in redis/mongo URIs (--no-redact)"

# Prometheus unreachable: a failed collector with a finding, exit 2
sed "s|url: $prom|url: http://127.0.0.1:$closed|" "$work/p.yaml" >"$work/down.yaml"
diag_rc 2 "$work/d.tar.zst" -p "$work/down.yaml" --only prometheus
check_status prometheus failed
finding critical '^Prometheus unreachable$' "Query Prometheus Metrics"
echo "PASS"
