#!/usr/bin/env bash
# `hivesnap diff` on real Kubernetes snapshots (own namespace, removed on
# exit): two snapshots without a change are equal (exit 0); after a
# ConfigMap edit (a changed and an added key) and a Deployment change (image,
# replicas) the diff names exactly those keys and fields.
# Needs the env of `scripts/peers.sh env`.
set -euo pipefail
# shellcheck source=k8s_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/k8s_lib.bash"

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
