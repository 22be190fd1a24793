#!/usr/bin/env bash
# `hivesnap diff` on real Kubernetes snapshots (own namespace, removed on
# exit): two snapshots without a change are equal (exit 0); after a
# ConfigMap edit (a changed and an added key) and a Deployment change (image,
# replicas) the diff names exactly those keys and fields.
# Needs the env of `scripts/peers.sh env`.
set -euo pipefail
# shellcheck source=k8s_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/k8s_lib.bash"
: "${HS_SCHEMAS:?}"

k8s_app
A=$work/a.tar.zst
run_rc 0 "$H" snapshot -p "$work/profile.yaml" --only k8s -o "$A" -q
run_rc 0 "$H" snapshot -p "$work/profile.yaml" --only k8s -o "$work/a2.tar.zst" -q
run_rc 0 "$H" diff --json "$A" "$work/a2.tar.zst"
jq -e '.equal == true and .changes == []' "$work/out" >/dev/null || fail "equal: $(cat "$work/out")"
ok "two snapshots with nothing changed in between are equal (exit 0)"

kc -n "$NS" patch configmap app-config --type merge -p '{"data":{"level":"debug","added":"yes"}}' >/dev/null
kc -n "$NS" patch deployment web --type json -p \
	'[{"op":"replace","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:3"}]' >/dev/null
run_rc 0 "$H" snapshot -p "$work/profile.yaml" --only k8s -o "$work/b.tar.zst" -q
run_rc 1 "$H" diff --json --details "$A" "$work/b.tar.zst"
/usr/bin/python3 - "$work/out" "$NS" <<'PY' || fail "diff --json after the changes: $(cat "$work/out")"
import json, sys
d, ns = json.load(open(sys.argv[1])), sys.argv[2]
ch = {c["entry"]: c for c in d["changes"]}
cm = ch.pop("k8s/%s/configmaps/app-config.json" % ns)
items = {(i["key"], i["change"]) for i in cm["items"]}
assert items == {("data.level", "changed"), ("data.added", "added")}, items
lv = [i for i in cm["items"] if i["key"] == "data.level"][0]
assert lv["diff"] == "@@ -1,1 +1,1 @@\n-info\n+debug\n", lv
dep = ch.pop("k8s/%s/deployments/web.json" % ns)
got = {i["key"]: (i["change"], i.get("from"), i.get("to")) for i in dep["items"]}
assert got == {"spec.replicas": ("changed", 1, 2),
               "spec.template.spec.containers[web].image": ("changed", "nginx:2", "nginx:3")}, got
assert not any("extra-config" in e for e in ch), ch.keys()
PY
ok "a ConfigMap key changed and one added, a Deployment's image and replicas, found exactly"

# Deployment and HPA changes in operator terms ("what"), revisions by number
cp "$work/profile.yaml" "$work/p2.yaml"
echo '      hpas: ["*"]' >>"$work/p2.yaml"
kc apply -f - >/dev/null <<YAML
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: $NS}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
YAML
hpa_status() {
	kc -n "$NS" patch hpa web --subresource=status --type merge \
		-p "{\"status\":{\"currentReplicas\":$1,\"desiredReplicas\":$2}}" >/dev/null
}
hpa_status 1 1
C=$work/c.tar.zst
run_rc 0 "$H" snapshot -p "$work/p2.yaml" --only k8s -o "$C" -q
uid=$(kc -n "$NS" get deployment web -o jsonpath='{.metadata.uid}')
k8s_rs 3 nginx:3 "v3: third" 7a8b9c0d1e "$uid" | kc apply -f - >/dev/null
kc -n "$NS" delete replicaset web-5f6d7c8b9a >/dev/null
kc -n "$NS" annotate deployment web deployment.kubernetes.io/revision=3 --overwrite >/dev/null
kc -n "$NS" patch deployment web --type json -p '[
	{"op":"add","path":"/spec/template/spec/containers/0/env","value":[{"name":"NEWVAR","value":"1"}]},
	{"op":"add","path":"/spec/template/spec/containers/0/resources","value":{"requests":{"cpu":"100m"}}}]' >/dev/null
kc -n "$NS" patch hpa web --type merge -p \
	'{"spec":{"maxReplicas":6,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}}]}}' >/dev/null
hpa_status 2 3
D=$work/d.tar.zst
run_rc 0 "$H" snapshot -p "$work/p2.yaml" --only k8s -o "$D" -q
run_rc 1 "$H" diff --json --details "$C" "$D"
cp "$work/out" "$work/cd.json"
/usr/bin/python3 - "$work/cd.json" "$NS" <<'PY' || fail "diff --json C D: $(cat "$work/cd.json")"
import json, sys
d, ns = json.load(open(sys.argv[1])), sys.argv[2]
ch = {c["entry"]: c for c in d["changes"]}
dep = ch["k8s/%s/deployments/web.json" % ns]
assert dep["what"] == "web: env +NEWVAR; web: requests.cpu none \u2192 100m", dep["what"]
keys = {i["key"] for i in dep["items"]}
assert "spec.template.spec.containers[web].env" in keys, keys
hpa = ch["k8s/%s/hpa/web.json" % ns]
assert hpa["what"] == ("maxReplicas 4 \u2192 6; cpu target 70% \u2192 80%; "
                       "current replicas 1 \u2192 2; desired replicas 1 \u2192 3"), hpa["what"]
got = {i["key"]: (i.get("from"), i.get("to")) for i in hpa["items"]}
assert got["status.currentReplicas"] == (1, 2) and got["status.desiredReplicas"] == (1, 3), got
assert got["spec.maxReplicas"] == (4, 6), got
rev = "k8s/%s/deployments/web/revisions/" % ns
revs = sorted((e[len(rev):], c["change"]) for e, c in ch.items() if e.startswith(rev))
# revision 2 is no longer current (its document changed) but it is still revision 2: not listed
assert revs == [("1.json", "removed"), ("3.json", "added")], revs
PY
/usr/bin/python3 - "$HS_SCHEMAS/diff.schema.json" "$work/cd.json" <<'PY' || fail "diff --json C D does not validate"
import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
PY
run_rc 1 "$H" diff "$C" "$D"
grep -qF "       what     web: env +NEWVAR; web: requests.cpu none → 100m" "$work/out" ||
	fail "no what line for the Deployment: $(cat "$work/out")"
grep -qF "       what     maxReplicas 4 → 6; cpu target 70% → 80%" "$work/out" ||
	fail "no what line for the HPA: $(cat "$work/out")"
ok "Deployment env/resources and HPA max/target/status in operator terms; revisions added/removed by number"
