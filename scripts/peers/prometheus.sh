#!/usr/bin/env bash
# prometheus.sh build|start|stop|status|env - Prometheus (Debian package) on
# 127.0.0.1:19090 scraping, every second, the Flow C metrics exporter
# (flowc_exporter.py, 127.0.0.1:19100) that this script also runs. The
# exporter's values come from PEERS_RUN/prometheus/flowc-state.json
# (HIVESNAP_FLOWC_STATE): tests edit it to e.g. open a circuit breaker.
# Alerts (FlowC*) go to the alertmanager peer's port. See lib.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=prometheus
exporter=flowc-exporter
port=$(peer_port 19090)
eport=$(peer_port 19100)
aport=$(peer_port 19095)

version() {
	command -v prometheus >/dev/null || { echo none; return; }
	prometheus --version 2>&1 | sed -n '1s/^prometheus, version \([^ ]*\).*/\1/p'
}

build_fn() {
	command -v prometheus >/dev/null || { echo "prometheus not found (apt-get install prometheus)"; return 1; }
	ln -sf "$(command -v prometheus)" "$1/prometheus"
}

write_config() {
	local dir=$1
	cat >"$dir/prometheus.yml" <<EOC
# written by scripts/peers/prometheus.sh
global:
  scrape_interval: 1s
  evaluation_interval: 1s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$aport"]
rule_files:
  - $dir/flowc-rules.yml
scrape_configs:
  - job_name: flow-c
    static_configs:
      - targets: ["127.0.0.1:$eport"]
        labels: {namespace: neural-hive-orchestration}
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:$port"]
EOC
	cat >"$dir/flowc-rules.yml" <<'EOC'
groups:
  - name: flow-c
    rules:
      - alert: FlowCCircuitBreakerOpen
        expr: neural_hive_circuit_breaker_state == 1
        labels: {severity: critical}
        annotations: {summary: "circuit breaker {{ $labels.component }} is open"}
      - alert: FlowCNoHealthyWorkers
        expr: sum(neural_hive_service_registry_agents_total{agent_type="worker",status="healthy"}) == 0
        labels: {severity: critical}
        annotations: {summary: "no healthy worker agents"}
EOC
}

case ${1:-} in
build)
	cached_build "$name" "$(version)" build_fn
	;;
start)
	cached_build "$name" "$(version)" build_fn
	dir=$(peer_dir "$name")
	edir=$(peer_dir "$exporter")
	if ! peer_running "$exporter"; then
		require_free_port "$exporter" "$eport"
		start_daemon "$exporter" python3 "$PEERS_SRC/flowc_exporter.py" --port "$eport" --state "$dir/flowc-state.json"
		wait_http "$exporter" "http://127.0.0.1:$eport/metrics" 20
	fi
	if peer_running "$name"; then
		log "$name" "already running on port $port"
		exit 0
	fi
	require_free_port "$name" "$port"
	write_config "$dir"
	start_daemon "$name" "$PEERS_CACHE/$name-$(version)/prometheus" --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/data" --storage.tsdb.retention.time=1d \
		--web.listen-address="127.0.0.1:$port" --web.enable-lifecycle
	wait_http "$name" "http://127.0.0.1:$port/-/ready" 60
	# wait for the first scrape of the exporter so queries find data at once
	for ((i = 0; i < 100; i++)); do
		curl -fsS "http://127.0.0.1:$port/api/v1/query?query=up%7Bjob%3D%22flow-c%22%7D%3D%3D1" 2>/dev/null |
			grep -q '"value"' && break
		sleep 0.2
	done
	log "$name" "up on 127.0.0.1:$port (exporter $eport, state $dir/flowc-state.json)"
	;;
stop)
	stop_daemon "$name"
	stop_daemon "$exporter"
	;;
status)
	rc=0
	status_line "$exporter" "$eport" || rc=1
	status_line "$name" "$port" || rc=1
	exit $rc
	;;
env)
	echo "export HIVESNAP_PROMETHEUS_URL=http://127.0.0.1:$port"
	echo "export HIVESNAP_FLOWC_METRICS_URL=http://127.0.0.1:$eport/metrics"
	echo "export HIVESNAP_FLOWC_STATE=$PEERS_RUN/$name/flowc-state.json"
	;;
*)
	echo "usage: $0 build|start|stop|status|env" >&2
	exit 2
	;;
esac
