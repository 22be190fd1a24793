#!/usr/bin/env bash
# k8s_access.sh - credentials and bounds against the real kube-apiserver: an
# exec kubeconfig is refused clearly (5) before any request; an invalid
# (expired or revoked) token gets a clear 401 error; a read-only service
# account token snapshots, and its restore --execute gets a 403 naming the
# missing RBAC verb and quoting the server's denial; logs are bounded by
# limit_bytes; Secret values never
# reach the archive (the fixture's values all contain a marker).
set -euo pipefail
# shellcheck source=k8s_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/k8s_lib.bash"

k8s_app
server=$(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}')
ca=$(kc config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')

# token_kubeconfig FILE TOKEN
token_kubeconfig() {
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$server", certificate-authority-data: "$ca"}}]
users: [{name: tok, user: {token: "$2"}}]
contexts: [{name: t, context: {cluster: c, user: tok}}]
current-context: t
EOF
}

# 1. exec credential plugin: refused, names the user
cat >"$work/exec.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$server", certificate-authority-data: "$ca"}}]
users: [{name: gke-user, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: gke-gcloud-auth-plugin}}}]
contexts: [{name: e, context: {cluster: c, user: gke-user}}]
current-context: e
EOF
run_rc 3 env KUBECONFIG="$work/exec.kubeconfig" "$H" snapshot -p "$work/profile.yaml" --only k8s -o "$work/x.tar.zst" -q
grep -q "kubeconfig user 'gke-user' uses an exec credential plugin: not supported" "$work/err" || fail "exec not refused clearly: $(cat "$work/err")"
[[ ! -e $work/x.tar.zst ]] || fail "an archive was written"

# 2. an invalid token: 401, clear, the token never printed
bad_token=hsbad$RANDOM-expired-token
token_kubeconfig "$work/bad.kubeconfig" "$bad_token"
run_rc 3 env KUBECONFIG="$work/bad.kubeconfig" "$H" snapshot -p "$work/profile.yaml" --only k8s -o "$work/x.tar.zst" -q
grep -q "unauthorized (401): the API server refused the credentials of user 'tok' (expired or invalid token" "$work/err" ||
	fail "401 unclear: $(cat "$work/err")"
! grep -q "$bad_token" "$work/err" "$work/out" || fail "the token appears in the output"
ok "no token in the output"

# 2b. an unreachable server and a silent one: one line naming the request, in the profile's timeout
sed "s#$server#https://127.0.0.1:1#" "$work/bad.kubeconfig" >"$work/closed.kubeconfig"
run_rc 3 env KUBECONFIG="$work/closed.kubeconfig" "$H" snapshot -p "$work/profile.yaml" --only k8s -o "$work/x.tar.zst" -q
grep -q "cannot list deployments.apps in namespace '$NS': API server 'https://127.0.0.1:1': " "$work/err" ||
	fail "unreachable unclear: $(cat "$work/err")"
python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(5); print(s.getsockname()[1]); sys.stdout.flush()
conns=[]
while True: c,_=s.accept(); conns.append(c)' >"$work/port" &
silent=$!
trap 'kill $silent 2>/dev/null || true; k8s_cleanup' EXIT
for _ in $(seq 50); do [[ -s $work/port ]] && break; sleep 0.1; done
sed "s#$server#https://127.0.0.1:$(cat "$work/port")#" "$work/bad.kubeconfig" >"$work/silent.kubeconfig"
printf 'name: k8sfast\nk8s:\n  timeout_ms: 1500\n  namespaces:\n    - name: %s\n      deployments: ["*"]\n' "$NS" >"$work/fast.yaml"
start=$(date +%s)
run_rc 3 env KUBECONFIG="$work/silent.kubeconfig" "$H" snapshot -p "$work/fast.yaml" --only k8s -o "$work/x.tar.zst" -q
(( $(date +%s) - start < 10 )) || fail "a silent API server took $(( $(date +%s) - start ))s with timeout_ms 1500"
grep -qi "timeout\|timed out" "$work/err" || fail "silent server error does not say timeout: $(cat "$work/err")"
ok "silent API server: timeout in $(( $(date +%s) - start ))s"
kill $silent 2>/dev/null || true

# 3. a read-only service account: snapshot ok, restore --execute 403 naming the verb
kc create clusterrolebinding "$NS-reader" --clusterrole=hivesnap-reader \
	--serviceaccount=neural-hive-orchestration:hivesnap-reader >/dev/null
reader_token=$(kc -n neural-hive-orchestration create token hivesnap-reader --duration=10m)
token_kubeconfig "$work/reader.kubeconfig" "$reader_token"
A=$work/a.tar.zst
run_rc 0 env KUBECONFIG="$work/reader.kubeconfig" "$H" snapshot -p "$work/profile.yaml" --only k8s -o "$A" -q
ok "read-only token snapshots"
kc -n "$NS" delete configmap extra-config >/dev/null
run_rc 3 env KUBECONFIG="$work/reader.kubeconfig" "$H" restore -p "$work/profile.yaml" --only k8s --execute "$A"
grep -q "cannot create configmaps in namespace '$NS': forbidden (403): user 'tok' lacks the RBAC permission verb=create resource=configmaps namespace=$NS" "$work/err" ||
	fail "403 unclear: $(cat "$work/err")"
# ... and quotes who the server saw (the RBAC denial's own words)
grep -q "apiGroup=\"\" (the API server: User \"system:serviceaccount:neural-hive-orchestration:hivesnap-reader\" cannot create resource \"configmaps\"" "$work/err" ||
	fail "403 does not quote the server: $(cat "$work/err")"
! grep -q "$reader_token" "$work/err" "$work/out" || fail "the token appears in the output"
# the report says what failed (and that nothing was applied)
grep -Eq "^  k8s +$NS/configmap/extra-config +failed +cannot create configmaps" "$work/out" ||
	fail "the report does not say which object failed: $(cat "$work/out")"
grep -q "applied: nothing; failed: k8s; not applied: nothing" "$work/out" || fail "summary: $(cat "$work/out")"

# 4. logs bounded by bytes, and Secrets never by value (the Flow C fixture, read only)
cat >"$work/logs.yaml" <<EOF
name: k8slogs
k8s:
  namespaces:
    - name: neural-hive-execution
      deployments: [worker-agents]
      pods: true
      events: true
      logs: {tail_lines: 0, limit_bytes: 2000}
    - name: neural-hive-orchestration
      deployments: ["*"]
      pods: "app=orchestrator-dynamic"
      logs: {tail_lines: 5, previous: true}
EOF
L=$work/logs.tar.zst
run_rc 0 "$H" snapshot -p "$work/logs.yaml" --only k8s -o "$L" -q
"$H" ls "$L" | awk '$NF ~ /\/logs\/.*\.log$/ {print $1, $NF}' >"$work/logs"
[[ $(wc -l <"$work/logs") -ge 3 ]] || fail "expected the worker-agents logs: $(cat "$work/logs")"
while read -r size name; do
	((size > 0 && size <= 2000)) || fail "$name is $size bytes, limit 2000"
done <"$work/logs"
ok "every log within 2000 bytes"
# the crash-looping pod: its previous container's log, tail 5 lines; a waiting container has no current log
grep -Eq 'k8s/neural-hive-orchestration/logs/orchestrator-dynamic-[a-z0-9]+-b7x2q/orchestrator\.previous\.log$' <("$H" ls "$L") ||
	fail "no previous log of the crash-looping pod: $("$H" ls "$L" | grep orchestration/logs)"
"$H" ls "$L" | awk '$NF ~ /b7x2q\/orchestrator\.log$/ {found=1} END {exit found}' || fail "a current log for a waiting container"
prev=$("$H" ls "$L" | awk '$NF ~ /b7x2q\/orchestrator\.previous\.log$/ {print $NF}')
expect_eq "previous log lines (tail_lines 5)" "$("$H" cat "$L" "$prev" | wc -l)" 5
run_rc 0 "$H" extract "$L" "$work/x"
! grep -rq hsfixture-SECRET "$work/x" || fail "a Secret value reached the archive"
ok "no Secret value in the archive"
"$H" cat "$L" k8s/neural-hive-orchestration/deployments/orchestrator-dynamic/revisions/3.json >"$work/rev3.json"
expect_eq "Secret names and key names of revision 3" "$(jq -c .secrets "$work/rev3.json")" \
	'[{"keys":["password"],"name":"kafka-credentials"},{"keys":["password","username"],"name":"mongodb-credentials"}]'
ok "access"
