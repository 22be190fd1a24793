#!/usr/bin/env bash
# peer_k8s.sh - the Kubernetes peer (scripts/peers/k8s.sh) is a real
# kube-apiserver holding the Flow C fixture (tests/fixtures/k8s/flowc.sh):
# names, revisions, owner references, status, RBAC, Secrets, and pod logs
# served through the apiserver's pods/log by kwok. Needs the environment of
# `scripts/peers.sh env` (KUBECONFIG, HIVESNAP_K8S_BIN); fails without it.
set -euo pipefail
: "${HS_SRC:?HS_SRC must name the source tree}"

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
[[ -n ${KUBECONFIG:-} && -n ${HIVESNAP_K8S_BIN:-} ]] ||
	fail "KUBECONFIG / HIVESNAP_K8S_BIN not set: start the peer (scripts/peers.sh start k8s) and eval \"\$(scripts/peers.sh env)\""
[[ -x $HIVESNAP_K8S_BIN/kubectl ]] || fail "no kubectl in HIVESNAP_K8S_BIN=$HIVESNAP_K8S_BIN"
kc() { "$HIVESNAP_K8S_BIN/kubectl" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_names WANT... -- kubectl get args: the sorted names equal WANT.
expect_names() {
	local want=() got
	while [[ $1 != -- ]]; do want+=("$1"); shift; done
	shift
	got=$(kc get "$@" -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}' | sort | tr '\n' ' ')
	[[ $got == "$(printf '%s\n' "${want[@]}" | sort | tr '\n' ' ')" ]] ||
		fail "kubectl get $*: got [$got], want [${want[*]}]"
	ok "kubectl get $*: ${want[*]}"
}

# jp ARGS... : kubectl get ... -o jsonpath
jp() { kc get "${@:2}" -o "jsonpath=$1"; }

expect_eq() {
	[[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"
	ok "$1 = $3"
}

# 1. the server is a real kube-apiserver v1.34 and we are admin
kc version -o json >"$tmp/version.json" || fail "kubectl version: apiserver not answering"
grep -q '"gitVersion": "v1.34' "$tmp/version.json" || fail "server is not v1.34: $(cat "$tmp/version.json")"
ok "kube-apiserver $(grep -o '"gitVersion": "[^"]*' "$tmp/version.json" | tail -1 | cut -d'"' -f4)"
kc get --raw /readyz >/dev/null || fail "/readyz"
expect_eq "can-i '*' '*' (admin cert, O=system:masters)" "$(kc auth can-i '*' '*' --all-namespaces)" yes

# 2. apply the fixture twice: it is idempotent
bash "$HS_SRC/tests/fixtures/k8s/flowc.sh" || fail "flowc.sh (first apply)"
bash "$HS_SRC/tests/fixtures/k8s/flowc.sh" || fail "flowc.sh (second apply)"

O=neural-hive-orchestration
X=neural-hive-execution
R=neural-hive-registry
M=neural-hive-messaging
expect_names $O $X $R $M -- namespaces -l app.kubernetes.io/part-of=flow-c
expect_names orchestrator-dynamic execution-ticket-service -- deployments -n $O
expect_names worker-agents -- deployments -n $X
expect_names service-registry -- deployments -n $R
expect_names orchestrator-dynamic-5d8f7c9b4d orchestrator-dynamic-6b9c8d7f5e orchestrator-dynamic-7c9d5b8f6d \
	execution-ticket-service-8d6f5b9c7a execution-ticket-service-6c8b7f9d5d -- replicasets -n $O
expect_names worker-agents-84f6c5d7b9 worker-agents-9b7d6c8f45 worker-agents-6f5c9d8b7a -- replicasets -n $X
expect_names service-registry-7b8c6d5f94 service-registry-5f9d7c6b8e -- replicasets -n $R
expect_names orchestrator-config orchestrator-feature-flags execution-ticket-config -- configmaps -n $O -l hivesnap.test/fixture=flowc
expect_names worker-agents-config -- configmaps -n $X -l hivesnap.test/fixture=flowc
expect_names mongodb-credentials kafka-credentials -- secrets -n $O
expect_names code-forge-secrets -- secrets -n $X
expect_names orchestrator-dynamic -- hpa -n $O
expect_names worker-agents -- hpa -n $X
expect_names orchestrator-dynamic-7c9d5b8f6d-x2k9p orchestrator-dynamic-7c9d5b8f6d-b7x2q \
	execution-ticket-service-6c8b7f9d5d-m4n8r execution-ticket-service-6c8b7f9d5d-q9t2w -- pods -n $O
expect_names worker-agents-6f5c9d8b7a-h5j7k worker-agents-6f5c9d8b7a-l3p6s worker-agents-6f5c9d8b7a-v8z4c -- pods -n $X
expect_names service-registry-5f9d7c6b8e-d2f6g service-registry-5f9d7c6b8e-n7r3t service-registry-5f9d7c6b8e-w9x5y -- pods -n $R
expect_names kafka-0 -- pods -n $M

# 3. what the Deployment controller would have set
uid=$(jp '{.metadata.uid}' deployment orchestrator-dynamic -n $O)
expect_eq "orchestrator-dynamic revision" "$(jp '{.metadata.annotations.deployment\.kubernetes\.io/revision}' deployment orchestrator-dynamic -n $O)" 3
for h in 5d8f7c9b4d:1 6b9c8d7f5e:2 7c9d5b8f6d:3; do
	rs=orchestrator-dynamic-${h%:*}
	expect_eq "$rs owner uid" "$(jp '{.metadata.ownerReferences[0].uid}' rs "$rs" -n $O)" "$uid"
	expect_eq "$rs controller" "$(jp '{.metadata.ownerReferences[0].controller}' rs "$rs" -n $O)" true
	expect_eq "$rs revision" "$(jp '{.metadata.annotations.deployment\.kubernetes\.io/revision}' rs "$rs" -n $O)" "${h#*:}"
done
# the current ReplicaSet's template is the Deployment's plus pod-template-hash
kc get deployment orchestrator-dynamic -n $O -o 'jsonpath={.spec.template}' >"$tmp/dt.json"
kc get rs orchestrator-dynamic-7c9d5b8f6d -n $O -o 'jsonpath={.spec.template}' |
	jq -c 'del(.metadata.labels["pod-template-hash"])' >"$tmp/rt.json"
[[ $(jq -cS . "$tmp/dt.json") == "$(jq -cS . "$tmp/rt.json")" ]] ||
	fail "current ReplicaSet template differs from the Deployment's: $(diff <(jq -S . "$tmp/dt.json") <(jq -S . "$tmp/rt.json"))"
ok "current ReplicaSet template = Deployment template + pod-template-hash"
# kubectl sees the history through the owner references
kc rollout history deployment/orchestrator-dynamic -n $O >"$tmp/hist" || fail "kubectl rollout history"
for c in "1.4.0: initial rollout" "1.5.0: adaptive scheduling" "1.5.1: circuit breaker"; do
	grep -q "$c" "$tmp/hist" || fail "rollout history lacks '$c': $(cat "$tmp/hist")"
done
ok "kubectl rollout history lists revisions 1-3 with their change-cause"
kc rollout history deployment/orchestrator-dynamic -n $O --revision=1 >"$tmp/rev1" || fail "rollout history --revision=1"
grep -q 'orchestrator-dynamic:1.4.0' "$tmp/rev1" || fail "revision 1 template lacks image 1.4.0"
ok "revision 1 template has image 1.4.0"
expect_eq "revision 3 references orchestrator-config by configMapKeyRef" \
	"$(jp '{.spec.template.spec.containers[0].env[?(@.name=="CIRCUIT_BREAKER_FAILURE_THRESHOLD")].valueFrom.configMapKeyRef.name}' deployment orchestrator-dynamic -n $O)" orchestrator-config
expect_eq "revision 1 has no feature-flags volume" \
	"$(jp '{.spec.template.spec.volumes}' rs orchestrator-dynamic-5d8f7c9b4d -n $O)" ""

# 4. status set through the status subresource
P=orchestrator-dynamic-7c9d5b8f6d-b7x2q
expect_eq "$P restartCount" "$(jp '{.status.containerStatuses[0].restartCount}' pod $P -n $O)" 7
expect_eq "$P waiting reason" "$(jp '{.status.containerStatuses[0].state.waiting.reason}' pod $P -n $O)" CrashLoopBackOff
expect_eq "$P last terminated" "$(jp '{.status.containerStatuses[0].lastState.terminated.reason}/{.status.containerStatuses[0].lastState.terminated.exitCode}' pod $P -n $O)" Error/1
expect_eq "$P owner" "$(jp '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}' pod $P -n $O)" ReplicaSet/orchestrator-dynamic-7c9d5b8f6d
expect_eq "orchestrator-dynamic readyReplicas" "$(jp '{.status.readyReplicas}/{.status.replicas}' deployment orchestrator-dynamic -n $O)" 1/2
expect_eq "worker-agents HPA" "$(jp '{.spec.minReplicas}-{.spec.maxReplicas}/{.status.currentReplicas}' hpa worker-agents -n $X)" 3-20/3
reasons=$(kc get events -n $O -o 'jsonpath={range .items[*]}{.reason}{"\n"}{end}' | sort -u | tr '\n' ' ')
[[ $reasons == "BackOff ScalingReplicaSet SuccessfulRescale Unhealthy " ]] || fail "events in $O: [$reasons]"
ok "events in $O: $reasons"

# 5. Secrets: key names as planted; values carry the marker the archive tests grep for
expect_eq "mongodb-credentials keys" "$(kc get secret mongodb-credentials -n $O -o json | jq -r '.data | keys | join(",")')" password,username
kc get secret mongodb-credentials -n $O -o json | jq -r '.data.password' | base64 -d | grep -q 'hsfixture-SECRET-not-for-archives' ||
	fail "mongodb-credentials password lacks the fixture marker"
ok "secret values carry the fixture marker"

# 6. RBAC: the read-only service account can list but not update
token=$(kc create token hivesnap-reader -n $O --duration=10m) || fail "kubectl create token"
server=$(kc config view --minify --raw -o 'jsonpath={.clusters[0].cluster.server}')
kc config view --minify --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$tmp/ca.crt"
ro() { "$HIVESNAP_K8S_BIN/kubectl" --kubeconfig=/dev/null --server="$server" --certificate-authority="$tmp/ca.crt" --token="$token" "$@"; }
ro get configmaps -n $X >/dev/null || fail "read-only token cannot list configmaps"
ok "read-only token lists configmaps"
if ro patch configmap worker-agents-config -n $X --type=merge -p '{"data":{"X":"1"}}' >"$tmp/out" 2>"$tmp/err"; then
	fail "read-only token could patch a configmap"
fi
grep -q 'cannot patch resource "configmaps"' "$tmp/err" || fail "403 does not name the verb: $(cat "$tmp/err")"
ok "read-only token gets 403 naming the verb: $(head -c 160 "$tmp/err")"

# 7. pod logs through the apiserver (kwok plays the kubelet), when kwok runs
if ! kc get crd logs.kwok.x-k8s.io >/dev/null 2>&1; then
	fail "kwok's Logs CRD is missing: the k8s peer was started without kwok, so pods/log cannot be tested"
fi
expect_eq "node flowc-node-1 InternalIP" "$(jp '{.status.addresses[?(@.type=="InternalIP")].address}' node flowc-node-1)" 127.0.0.1
W=worker-agents-6f5c9d8b7a-h5j7k
got=
for ((i = 0; i < 40; i++)); do
	got=$(kc logs -n $X $W -c worker 2>"$tmp/err" | wc -l) && ((got > 0)) && break
	sleep 0.25
done
expect_eq "$W log lines (all)" "$got" 3000
expect_eq "$W --tail=2" "$(kc logs -n $X $W --tail=2 | sed 's/.*seq=//' | tr '\n' ' ')" "2999 3000 "
expect_eq "$W --since=1h drops the 5 old lines" "$(kc logs -n $X $W --since=1h | wc -l)" 2995
got=$(kc logs -n $X $W --limit-bytes=1000 | wc -c)
((got <= 1000 && got > 900)) || fail "$W --limit-bytes=1000 gave $got bytes"
ok "$W --limit-bytes=1000 gave $got bytes"
kc logs -n $X $W >"$tmp/wlog" || fail "kubectl logs $W"
expect_eq "$W line 1" "$(sed -n 1p "$tmp/wlog")" "level=info msg=\"heartbeat\" app=worker-agents pod=$W seq=1"
expect_eq "$W line 33" "$(sed -n 33p "$tmp/wlog")" "level=info msg=\"ticket completed\" correlation_id=abc-123 ticket_id=tkt-33 pod=$W seq=33"
kc logs -n $O $P --previous >"$tmp/prev" || fail "kubectl logs --previous $P"
expect_eq "$P --previous last line" "$(tail -1 "$tmp/prev")" "panic: circuit_breaker_open"
grep -q 'circuit_breaker_open" dependency=mongodb' "$tmp/prev" || fail "$P previous log lacks the breaker line"
expect_eq "$P current log lines" "$(kc logs -n $O $P | wc -l)" 3
kc get --raw "/api/v1/namespaces/$O/pods/$P/log?previous=true&tailLines=1" >"$tmp/raw" || fail "raw pods/log"
expect_eq "raw pods/log?previous=true&tailLines=1" "$(cat "$tmp/raw")" "panic: circuit_breaker_open"
echo "PASS: k8s peer"
