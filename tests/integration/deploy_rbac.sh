#!/usr/bin/env bash
# deploy/k8s/rbac.yaml against the real kube-apiserver: the hivesnap-snapshot
# ClusterRole (list/get only) bound to a service account lets `snapshot --only
# k8s` (configmaps, deployments, replicasets, pods, logs, events) succeed, and
# `restore --execute` with that token fails with a clear 403; the
# hivesnap-restore ClusterRole then lets the restore through.  The roles are
# applied under test names ($NS-...) and removed on exit; the CronJob
# manifest passes a client-side dry run.
set -euo pipefail
# shellcheck source=k8s_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/k8s_lib.bash"
: "${HS_SRC:?HS_SRC must name the source tree}"

k8s_app
server=$(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}')
ca=$(kc config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
cleanup() {
	kc delete clusterrole "$NS-snapshot" "$NS-restore" >/dev/null 2>&1 || true
	k8s_cleanup
}
trap cleanup EXIT

# the two ClusterRoles of deploy/k8s/rbac.yaml under test names, bound in $NS
/usr/bin/python3 - "$HS_SRC/deploy/k8s/rbac.yaml" "$NS" >"$work/rbac.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ns = sys.argv[2]
out = []
for d in docs:
    if d["kind"] == "ClusterRole":
        d["metadata"]["name"] = ns + "-" + d["metadata"]["name"].split("-", 1)[1]
        out.append(d)
assert sorted(d["metadata"]["name"] for d in out) == [ns + "-restore", ns + "-snapshot"], out
for d in out:
    for r in d["rules"]:
        assert "secrets" not in r["resources"], r
        if d["metadata"]["name"].endswith("-snapshot"):
            assert set(r["verbs"]) <= {"get", "list"}, r
out.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "hivesnap", "namespace": ns}})
out.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "hivesnap-snapshot", "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": ns + "-snapshot"},
            "subjects": [{"kind": "ServiceAccount", "name": "hivesnap", "namespace": ns}]})
yaml.safe_dump_all(out, sys.stdout)
PY
kc apply -f "$work/rbac.yaml" >/dev/null
token=$(kc -n "$NS" create token hivesnap --duration=10m)
printf '%s\n' 'apiVersion: v1' 'kind: Config' \
	"clusters: [{name: c, cluster: {server: \"$server\", certificate-authority-data: \"$ca\"}}]" \
	"users: [{name: sa, user: {token: \"$token\"}}]" \
	'contexts: [{name: t, context: {cluster: c, user: sa}}]' 'current-context: t' >"$work/sa.kubeconfig"
printf '%s\n' 'name: k8sdeploy' 'k8s:' '  namespaces:' "    - name: $NS" \
	'      configmaps: [app-config, extra-config]' '      deployments: ["*"]' '      pods: true' \
	'      events: true' '      logs: {since: 1h, tail_lines: 10, limit_bytes: 65536, previous: false}' \
	>"$work/full.yaml"
A=$work/a.tar.zst
run_rc 0 env KUBECONFIG="$work/sa.kubeconfig" "$H" snapshot -p "$work/full.yaml" --only k8s -o "$A" -q
"$H" inspect --json "$A" >"$work/inspect.json"
/usr/bin/python3 - "$work/inspect.json" <<'PY' || fail "snapshot with the deploy role is not ok: $(cat "$work/inspect.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d.get("status") == "ok", d.get("status")
PY
ok "the hivesnap-snapshot role is enough for a snapshot"

kc -n "$NS" delete configmap extra-config >/dev/null
rc=0
env KUBECONFIG="$work/sa.kubeconfig" "$H" restore -p "$work/profile.yaml" --only k8s --execute "$A" >"$work/out" 2>"$work/err" || rc=$?
# a refused preflight changes nothing: exit 3 (an ASan leak report would make it 1 or 23)
[[ $rc == 3 ]] || fail "restore with the snapshot role: exit $rc, want 3: $(head -c 2000 "$work/err")"
grep -q "forbidden (403): user 'sa' lacks the RBAC permission verb=get resource=configmaps" "$work/err" || fail "restore with the snapshot role: no clear 403: $(cat "$work/err")"
ok "restore with the snapshot role fails with a 403: $(head -n1 "$work/err")"

kc -n "$NS" create rolebinding hivesnap-restore --clusterrole="$NS-restore" --serviceaccount="$NS:hivesnap" >/dev/null
run_rc 0 env KUBECONFIG="$work/sa.kubeconfig" "$H" restore -p "$work/profile.yaml" --only k8s --execute "$A"
kc -n "$NS" get configmap extra-config >/dev/null || fail "restore with the restore role did not recreate extra-config"
ok "the hivesnap-restore role lets the ConfigMap restore through"

kc apply --dry-run=client -f "$HS_SRC/deploy/k8s/cronjob.yaml" >/dev/null || fail "cronjob.yaml does not parse"
ok "cronjob.yaml is accepted"
echo PASS
