#!/usr/bin/env bash
# diag's k8s collector on the peer apiserver + kwok, in this test's OWN
# namespace and fake node (diagtest-..., removed on exit):
#  - pod crashy: CrashLoopBackOff, last terminated OOMKilled, 7 restarts ->
#    critical "Pod Crash Loop", its events in the evidence; current and
#    previous logs (kwok's Logs previousLogsFile) as entries, a line older than
#    --since left out, a password planted in a log line redacted;
#  - pod restarty: 5 restarts (> pod_restarts_max 3) -> warning; a last
#    termination but no previous log on the node -> no .previous.log entry and
#    no error; a log over limit_bytes cut there and said so in the result;
#  - pod fine: no finding, no previous log;
#  - Deployment web 1 of 3 available -> warning; Deployment ok -> nothing;
#  - HPA web at maxReplicas -> warning;
#  - events younger than --since only, oldest first;
#  - a pod env variable named like a secret has its value replaced by ***;
#  - a user allowed to read pods only: 403s are warnings, pods still collected;
#  - an API server that does not answer: "Kubernetes API server unreachable", exit 2.
set -euo pipefail
. "$(dirname "$0")/diag_src_lib.bash"
: "${KUBECONFIG:?run with the peers env: eval \"\$(scripts/peers.sh env)\"}"
: "${HIVESNAP_K8S_BIN:?run with the peers env: eval \"\$(scripts/peers.sh env)\"}"
kc() { "$HIVESNAP_K8S_BIN/kubectl" "$@"; }
NS=diagtest-$$-$RANDOM
NODE=$NS-node
secret=hunter2-$RANDOM-planted
envsecret=envpw-$RANDOM-planted
cleanup() {
	kc -n "$NS" delete pods,logs.kwok.x-k8s.io,events,deployments,horizontalpodautoscalers,roles,rolebindings,serviceaccounts --all \
		--grace-period=0 --force --wait=false >/dev/null 2>&1 || true
	kc delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
	kc get namespace "$NS" -o json 2>/dev/null | jq '.spec.finalizers = []' |
		kc replace --raw "/api/v1/namespaces/$NS/finalize" -f - >/dev/null 2>&1 || true
	kc delete node "$NODE" --wait=false >/dev/null 2>&1 || true
	diag_cleanup
}
trap cleanup EXIT
now=$(date +%s)
ts() { TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' $((now - $1)); }
# logline AGE_S STREAM TEXT: one CRI-format line as kwok serves them
logline() { TZ=UTC printf '%(%Y-%m-%dT%H:%M:%S)T.000000000Z %s F %s\n' $((now - $1)) "$2" "$3"; }

mkdir -p "$work/logs"
{
	logline 7200 stdout "crashy OLD-LINE-BEFORE-SINCE"
	logline 90 stdout "crashy starting db password=$secret"
	logline 80 stderr "crashy exiting"
} >"$work/logs/crashy.log"
{
	logline 400 stdout "crashy previous run"
	logline 300 stderr "crashy PREVIOUS-OOM out of memory"
} >"$work/logs/crashy.previous.log"
for i in $(seq 200); do logline $((600 - i)) stdout "restarty line $i $(printf '%060d' "$i")"; done >"$work/logs/restarty.log"
logline 30 stdout "fine ok" >"$work/logs/fine.log"

kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {type: kwok}
---
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
EOF
for p in crashy restarty fine; do
	prev=
	[[ $p == crashy ]] && prev="    previousLogsFile: $work/logs/crashy.previous.log"
	cat <<EOF
---
apiVersion: v1
kind: Pod
metadata: {name: $p, namespace: $NS, labels: {app: $p}}
spec:
  nodeName: $NODE
  containers:
  - name: app
    image: "registry.test/$p:1"
    env: [{name: DB_PASSWORD, value: "$envsecret"}, {name: LOG_LEVEL, value: debug-$p}]
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Logs
metadata: {name: $p, namespace: $NS}
spec:
  logs:
  - containers: [app]
    logsFile: $work/logs/$p.log
$prev
EOF
done | kc apply -f - >/dev/null
cstat() { # NAME RESTARTS STATE_JSON LASTSTATE_JSON
	kc -n "$NS" patch pod "$1" --subresource=status --type=merge -p "{\"status\":{\"phase\":\"Running\",\"hostIP\":\"127.0.0.1\",\"startTime\":\"$(ts 3000)\",\"containerStatuses\":[{\"name\":\"app\",\"image\":\"registry.test/$1:1\",\"imageID\":\"registry.test/$1@sha256:1\",\"ready\":false,\"restartCount\":$2,\"state\":$3,\"lastState\":$4}]}}" >/dev/null
}
cstat crashy 7 '{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 5m0s"}}' \
	"{\"terminated\":{\"exitCode\":137,\"reason\":\"OOMKilled\",\"startedAt\":\"$(ts 400)\",\"finishedAt\":\"$(ts 300)\"}}"
cstat restarty 5 "{\"running\":{\"startedAt\":\"$(ts 600)\"}}" \
	"{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\",\"startedAt\":\"$(ts 900)\",\"finishedAt\":\"$(ts 610)\"}}"
cstat fine 0 "{\"running\":{\"startedAt\":\"$(ts 600)\"}}" '{}'

for d in web:3:1 ok:1:1; do
	IFS=: read -r name want avail <<<"$d"
	kc apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: $name, namespace: $NS}
spec:
  replicas: $want
  selector: {matchLabels: {app: $name}}
  template:
    metadata: {labels: {app: $name}}
    spec: {containers: [{name: app, image: "registry.test/$name:1"}]}
EOF
	kc -n "$NS" patch deployment "$name" --subresource=status --type=merge \
		-p "{\"status\":{\"replicas\":$want,\"readyReplicas\":$avail,\"availableReplicas\":$avail,\"updatedReplicas\":$want}}" >/dev/null
done
kc apply -f - >/dev/null <<EOF
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: $NS}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
EOF
kc -n "$NS" patch hpa web --subresource=status --type=merge \
	-p '{"status":{"currentReplicas":5,"desiredReplicas":5}}' >/dev/null
event() { # NAME TYPE REASON AGE_S MESSAGE
	cat <<EOF
---
apiVersion: v1
kind: Event
metadata: {name: $1, namespace: $NS}
involvedObject: {kind: Pod, name: crashy, namespace: $NS, apiVersion: v1}
type: $2
reason: $3
message: "$5"
count: 1
firstTimestamp: "$(ts "$4")"
lastTimestamp: "$(ts "$4")"
source: {component: kubelet, host: $NODE}
EOF
}
{
	event crashy.ev3 Warning BackOff 60 "Back-off restarting failed container app"
	event crashy.ev1 Normal Stale 7200 "an event older than --since"
	event crashy.ev2 Normal Killing 300 "Container app was OOMKilled"
} | kc apply -f - >/dev/null

cat >"$work/p.yaml" <<EOF
name: diag-k8s
k8s:
  timeout_ms: 10000
  namespaces:
    - name: $NS
      deployments: ["*"]
      hpas: ["*"]
      pods: true
      events: true
      logs: {since: 1h, limit_bytes: 4096, previous: true}
diag:
  thresholds:
    pod_restarts_max: 3
EOF

diag_rc 0 "$work/a.tar.zst" -p "$work/p.yaml" --only k8s --since 1h
check_status k8s ok
K=k8s/$NS
finding critical "^Pod $NS/crashy container app is in CrashLoopBackOff, last terminated OOMKilled \\(7 restarts\\)\$" "Pod Crash Loop"
[[ $(jq -r '[.evidence.events[].reason] | join(",")' "$work/finding") == "Killing,BackOff" ]] ||
	fail "crashy's finding evidence events: $(jq -c .evidence.events "$work/finding")"
[[ $(jq -r '.evidence.last_terminated.reason' "$work/finding") == OOMKilled ]] || fail "evidence last_terminated"
finding warning "^Pod $NS/restarty container app restarted 5 times \\(threshold 3\\)\$" "Pod Crash Loop"
no_finding "$NS/fine"
finding warning "^Deployment $NS/web has 1 of 3 replicas available\$" "Rollback Deployment"
no_finding "Deployment $NS/ok"
finding warning "^HPA $NS/web is at its maximum of 5 replicas\$" "Auto-scaling Configuration"

for p in crashy restarty fine; do has_entry "$K/pods/$p.json"; done
[[ $(jq -r '.status.containerStatuses[0].state.waiting.reason' "$work/b/$K/pods/crashy.json") == CrashLoopBackOff ]] ||
	fail "pods/crashy.json has no status"
has_entry "$K/deployments/web.json"
has_entry "$K/deployments/ok.json"
has_entry "$K/hpa/web.json"
[[ $(jq -r .status.currentReplicas "$work/b/$K/hpa/web.json") == 5 ]] || fail "hpa entry status"
[[ $(jq -r '.spec.containers[0].env | map("\(.name)=\(.value)") | join(" ")' "$work/b/$K/pods/crashy.json") == "DB_PASSWORD=*** LOG_LEVEL=debug-crashy" ]] ||
	fail "pod env: $(jq -c .spec.containers[0].env "$work/b/$K/pods/crashy.json")"
nowhere "$envsecret" "a password in a pod's env"
ok "pods, deployments and hpa entries with status"

has_entry "$K/events.json"
[[ $(jq -r '[.items[].reason] | join(",")' "$work/b/$K/events.json") == "Killing,BackOff" ]] ||
	fail "events.json (want Killing,BackOff: younger than --since, oldest first): $(jq -c '[.items[].reason]' "$work/b/$K/events.json")"
ok "events younger than --since, oldest first"

has_entry "$K/logs/crashy/app.log"
has_entry "$K/logs/crashy/app.previous.log"
grep -q 'crashy exiting' "$work/b/$K/logs/crashy/app.log" || fail "crashy's current log: $(cat "$work/b/$K/logs/crashy/app.log")"
grep -q 'PREVIOUS-OOM' "$work/b/$K/logs/crashy/app.previous.log" || fail "crashy's previous log"
nowhere OLD-LINE-BEFORE-SINCE "a log line older than --since"
ok "current and previous logs of crashy"
has_entry "$K/logs/fine/app.log"
no_entry "$K/logs/fine/app.previous.log"
no_entry "$K/logs/restarty/app.previous.log"
has_entry "$K/logs/restarty/app.log"
size=$(stat -c %s "$work/b/$K/logs/restarty/app.log")
((size <= 4096 && size > 3000)) || fail "restarty's log is $size bytes, want it cut at limit_bytes 4096"
c=$work/b/diag/checks.json
jq -e '[.. | objects | select(.name? == "restarty") | .containers[0].log.cut_at_limit] == [true]' "$c" >/dev/null ||
	fail "result does not say restarty's log was cut: $(jq -c '[.. | objects | select(.name? == "restarty")]' "$c")"
jq -e '[.. | objects | select(.name? == "restarty") | .containers[0].previous_log.unavailable | type] == ["string"]' "$c" >/dev/null ||
	fail "result does not say restarty's previous log is unavailable"
jq -e '[.. | objects | select(.name? == "k8s" and has("warnings")) | .warnings | length] == [0]' "$c" >/dev/null ||
	fail "a missing previous log made a warning: $(jq -c '[.. | objects | select(.name? == "k8s")][0].warnings' "$c")"
ok "no previous log: no entry, no warning; a log over limit_bytes cut and said so"
nowhere "$secret" "the password planted in a log line"

# a user who may read pods and their logs only: the rest is a warning each,
# the pods are still collected (status warning, exit 0)
kc -n "$NS" create serviceaccount diag-limited >/dev/null
kc -n "$NS" create role diag-pods --verb=get,list --resource=pods,pods/log >/dev/null
kc -n "$NS" create rolebinding diag-pods --role=diag-pods --serviceaccount="$NS:diag-limited" >/dev/null
server=$(kc config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
ca=$(kc config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
token=$(kc -n "$NS" create token diag-limited --duration=10m)
cat >"$work/limited.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$server", certificate-authority-data: "$ca"}}]
users: [{name: limited, user: {token: "$token"}}]
contexts: [{name: l, context: {cluster: c, user: limited}}]
current-context: l
EOF
KUBECONFIG=$work/limited.kubeconfig diag_rc 0 "$work/l.tar.zst" -p "$work/p.yaml" --only k8s --since 1h
check_status k8s warning
has_entry "$K/pods/crashy.json"
has_entry "$K/logs/crashy/app.previous.log"
no_entry "$K/events.json"
no_entry "$K/deployments/web.json"
finding critical "^Pod $NS/crashy container app is in CrashLoopBackOff" "Pod Crash Loop"
for r in events deployments horizontalpodautoscalers; do
	jq -e --arg r "$r" '[.. | objects | select(.name? == "k8s" and has("warnings")) | .warnings[] | select(test("forbidden \\(403\\)") and test($r))] | length == 1' \
		"$work/b/diag/checks.json" >/dev/null || fail "no 403 warning for $r: $(jq -c '[.. | objects | select(.name? == "k8s")][0].warnings' "$work/b/diag/checks.json")"
done
nowhere "$token" "the service account token"
ok "lists the user may not read are warnings; pods and logs still collected"

# an API server that does not answer: the collector fails, critical finding
port=$(closed_port)
sed "s#server: \"$server\"#server: \"https://127.0.0.1:$port\"#" "$work/limited.kubeconfig" >"$work/down.kubeconfig"
KUBECONFIG=$work/down.kubeconfig diag_rc 2 "$work/d.tar.zst" -p "$work/p.yaml" --only k8s
check_status k8s failed
finding critical '^Kubernetes API server unreachable$' "Check Dependencies"
nowhere "$token" "the service account token"
echo "PASS"
