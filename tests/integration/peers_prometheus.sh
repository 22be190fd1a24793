#!/usr/bin/env bash
# Prometheus answers PromQL over the Flow C exporter's metrics; opening the
# orchestrator circuit breaker in the exporter's state file shows in the next
# scrapes and raises FlowCCircuitBreakerOpen in Alertmanager; Alertmanager's
# /api/v2/status answers with clustering off. Restores the state file.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP_PROMETHEUS_URL:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
: "${HIVESNAP_ALERTMANAGER_URL:?not set: eval \"\$(scripts/peers.sh env)\"}"
: "${HIVESNAP_FLOWC_STATE:?not set: eval \"\$(scripts/peers.sh env)\"}"
q() { curl -fsS --max-time 5 -G "$HIVESNAP_PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$1"; }
breaker() { q 'neural_hive_circuit_breaker_state{component="orchestrator"}' | jq -r '.data.result[0].value[1] // "none"'; }

status=$(curl -fsS --max-time 5 "$HIVESNAP_ALERTMANAGER_URL/api/v2/status") || fail "alertmanager /api/v2/status did not answer"
[[ $(jq -r .cluster.status <<<"$status") == disabled ]] || fail "alertmanager cluster is not disabled: $status"
echo "ok: alertmanager /api/v2/status"

[[ $(breaker) == 0 ]] || fail "orchestrator circuit breaker is $(breaker), want 0 (closed)"
workers=$(q 'count(neural_hive_service_registry_agents_total{agent_type="worker",status="healthy"})' | jq -r '.data.result[0].value[1]')
[[ $workers == 1 ]] || fail "healthy worker series: $workers"
for m in neural_hive_flow_c_success_total neural_hive_flow_c_failures_total neural_hive_flow_c_active_workflows \
	neural_hive_flow_c_sla_violations_total 'neural_hive_execution_tickets_created_total{source="flow_c"}' \
	'histogram_quantile(0.95, rate(neural_hive_flow_c_duration_seconds_bucket[1m]))'; do
	v=$(q "$m" | jq -r '.data.result[0].value[1] // "none"')
	[[ $v != none && $v != NaN ]] || fail "query $m returned $v"
	echo "ok: $m = $v"
done

saved=$(cat "$HIVESNAP_FLOWC_STATE")
restore() { printf '%s\n' "$saved" >"$HIVESNAP_FLOWC_STATE.tmp" && mv "$HIVESNAP_FLOWC_STATE.tmp" "$HIVESNAP_FLOWC_STATE"; }
trap restore EXIT
jq '.circuit_breaker.orchestrator = 1' <<<"$saved" >"$HIVESNAP_FLOWC_STATE.tmp"
mv "$HIVESNAP_FLOWC_STATE.tmp" "$HIVESNAP_FLOWC_STATE"
for ((i = 0; i < 50; i++)); do
	[[ $(breaker) == 1 ]] && break
	sleep 0.2
done
[[ $(breaker) == 1 ]] || fail "opening the breaker in the state file did not show in Prometheus within 10s"
echo "ok: breaker open shows in Prometheus"
for ((i = 0; i < 60; i++)); do
	curl -fsS --max-time 5 "$HIVESNAP_ALERTMANAGER_URL/api/v2/alerts" |
		jq -e '.[] | select(.labels.alertname=="FlowCCircuitBreakerOpen" and .labels.component=="orchestrator")' >/dev/null && break
	sleep 0.5
done
((i < 60)) || fail "FlowCCircuitBreakerOpen did not reach alertmanager within 30s"
echo "ok: FlowCCircuitBreakerOpen reached alertmanager"
restore
trap - EXIT
for ((i = 0; i < 50; i++)); do
	[[ $(breaker) == 0 ]] && break
	sleep 0.2
done
[[ $(breaker) == 0 ]] || fail "closing the breaker again did not show within 10s"
echo "ok: breaker closed again"
