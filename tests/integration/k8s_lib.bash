# k8s_lib.bash - shared by tests/integration/k8s_*.sh (sourced; not a test).
# Needs HIVESNAP and the peers' env (KUBECONFIG, HIVESNAP_K8S_BIN). Each test
# works in its own namespace ($NS, made by k8s_app) and deletes it on exit, so
# the shared apiserver and its Flow C fixture are left as they were found.
set -euo pipefail
: "${HIVESNAP:?HIVESNAP must name the binary}"
: "${KUBECONFIG:?run with the peers env: eval \"\$(scripts/peers.sh env)\"}"
: "${HIVESNAP_K8S_BIN:?run with the peers env: eval \"\$(scripts/peers.sh env)\"}"
work=$(mktemp -d)
NS=hs-k8s-$$-$RANDOM
H=$HIVESNAP

fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
ok() { echo "ok: $*"; }
kc() { "$HIVESNAP_K8S_BIN/kubectl" "$@"; }

# k8s_ns_remove NS: no namespace controller runs on the peer, so delete the
# objects, then the namespace, then clear its finalizer so it goes away.
k8s_ns_remove() {
	kc -n "$1" delete deployments,replicasets,configmaps,pods --all --wait=false >/dev/null 2>&1 || true
	kc delete namespace "$1" --wait=false >/dev/null 2>&1 || true
	kc get namespace "$1" -o json 2>/dev/null | jq '.spec.finalizers = []' |
		kc replace --raw "/api/v1/namespaces/$1/finalize" -f - >/dev/null 2>&1 || true
}

k8s_cleanup() {
	k8s_ns_remove "$NS"
	kc delete clusterrolebinding "$NS-reader" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap k8s_cleanup EXIT

expect_eq() {
	[[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"
	ok "$1 = $3"
}

# run_rc WANT CMD...: run, keep stdout in $work/out and stderr in $work/err, check the exit code
run_rc() {
	local want=$1 rc=0
	shift
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	[[ $rc == "$want" ]] || fail "$* exited $rc, want $want; stdout: $(head -c 2000 "$work/out"); stderr: $(head -c 2000 "$work/err")"
}

# a profile capturing $NS only
k8s_profile() {
	cat >"$work/profile.yaml" <<EOF
name: k8stest
k8s:
  namespaces:
    - name: $NS
      configmaps: [app-config, extra-config]
      deployments: ["*"]
EOF
}

# template IMAGE CHANGE: a pod template (YAML, 4-space indented under "template:")
k8s_template() {
	cat <<EOF
    metadata:
      labels: {app: web$2}
    spec:
      containers:
      - name: web
        image: $1
        envFrom: [{configMapRef: {name: app-config}}]
EOF
}

# replicaset REV IMAGE CAUSE HASH UID: a ReplicaSet as the Deployment controller makes it
k8s_rs() {
	cat <<EOF
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-$4
  namespace: $NS
  labels: {app: web, pod-template-hash: "$4"}
  annotations:
    deployment.kubernetes.io/revision: "$1"
    kubernetes.io/change-cause: "$3"
    hivesnap.test/note: "r$1"
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: $5, controller: true, blockOwnerDeletion: true}
spec:
  replicas: 0
  selector: {matchLabels: {app: web, pod-template-hash: "$4"}}
  template:
    metadata:
      labels: {app: web, pod-template-hash: "$4"}
    spec:
      containers:
      - name: web
        image: $2
        envFrom: [{configMapRef: {name: app-config}}]
EOF
}

# k8s_app: namespace $NS with ConfigMaps app-config (mode=one) and extra-config,
# Deployment web at revision 2 (nginx:2) and ReplicaSets of revisions 1
# (nginx:1, "v1: first") and 2 (nginx:2, "v2: second"); no controller runs,
# so this plays its part.
k8s_app() {
	local uid
	kc create namespace "$NS" >/dev/null
	kc -n "$NS" create configmap app-config --from-literal=mode=one --from-literal=level=info >/dev/null
	kc -n "$NS" create configmap extra-config --from-literal=x=1 >/dev/null
	kc apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: $NS
  annotations:
    deployment.kubernetes.io/revision: "2"
    kubernetes.io/change-cause: "v2: second"
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:2
        envFrom: [{configMapRef: {name: app-config}}]
EOF
	uid=$(kc -n "$NS" get deployment web -o jsonpath='{.metadata.uid}')
	{ k8s_rs 1 nginx:1 "v1: first" 5f6d7c8b9a "$uid"; echo ---; k8s_rs 2 nginx:2 "v2: second" 6b7c8d9e0f "$uid"; } |
		kc apply -f - >/dev/null
	k8s_profile
}

# the live Deployment's image
k8s_image() { kc -n "$NS" get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}'; }
