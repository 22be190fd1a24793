#!/usr/bin/env bash
# k8s_configmaps.sh - ConfigMap restore against the real kube-apiserver: round
# trip (deleted ConfigMap created, edited one replaced, data equal to the
# archive), conflict detection (a live change since the snapshot shows a
# key-level diff and --execute refuses it without --force, exit 5, nothing
# changed), --restart sets the restartedAt annotation of the Deployment using
# it, and a second plan is all "unchanged".
set -euo pipefail
# shellcheck source=k8s_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/k8s_lib.bash"

k8s_app
A=$work/a.tar.zst
run_rc 0 "$H" snapshot -p "$work/profile.yaml" --only k8s -o "$A" -q
"$H" cat "$A" "k8s/$NS/configmaps/app-config.json" >"$work/cm.json"
expect_eq "archived ConfigMap is apply-able (no server fields)" \
	"$(jq -c '[.metadata | has("uid", "resourceVersion", "managedFields", "creationTimestamp")] | any' "$work/cm.json")" false
expect_eq "archived data" "$(jq -c .data "$work/cm.json")" '{"level":"info","mode":"one"}'
# kubectl itself accepts the archived object
kc apply --dry-run=server -f "$work/cm.json" >/dev/null || fail "kubectl apply --dry-run=server refuses the archived ConfigMap"
ok "kubectl apply --dry-run=server accepts it"
"$H" inspect --json "$A" >"$work/inspect.json"
[[ -n $(jq -r ".sources.k8s.watermark.resourceVersion // .manifest.sources.k8s.watermark.resourceVersion // empty" "$work/inspect.json") ]] ||
	fail "no k8s resourceVersion watermark: $(head -c 1000 "$work/inspect.json")"
ok "watermark present"

# --to-context: an unknown context is bad input (65) naming it and the kubeconfig
run_rc 65 "$H" restore -p "$work/profile.yaml" --only k8s --to-context nope "$A"
grep -q "'$KUBECONFIG': kubeconfig has no context 'nope'" "$work/err" || fail "unclear: $(cat "$work/err")"

# live changes after the snapshot
kc -n "$NS" patch configmap app-config -p '{"data":{"mode":"two","added":"x"}}' >/dev/null
kc -n "$NS" delete configmap extra-config >/dev/null

# 1. the plan: conflict with the key-level diff, create for the deleted one
run_rc 0 "$H" restore -p "$work/profile.yaml" --only k8s "$A"
grep -q "$NS/configmap/app-config .*conflict .*changed since the snapshot.*~mode -added" "$work/out" ||
	fail "plan lacks the conflict with its diff: $(cat "$work/out")"
grep -q "$NS/configmap/extra-config .*create" "$work/out" || fail "plan lacks the create: $(cat "$work/out")"

# 2. --execute without --force: refused (5), nothing changed
run_rc 5 "$H" restore -p "$work/profile.yaml" --only k8s --execute "$A"
grep -q "changed since the snapshot ($NS/configmap/app-config): --force" "$work/err" || fail "refusal unclear: $(cat "$work/err")"
expect_eq "mode after refusal" "$(kc -n "$NS" get configmap app-config -o jsonpath='{.data.mode}')" two
kc -n "$NS" get configmap extra-config >/dev/null 2>&1 && fail "extra-config created despite the refusal"
ok "nothing created on refusal"

# 3. --force --restart: replaced, created, Deployment restarted
run_rc 0 "$H" restore -p "$work/profile.yaml" --only k8s --force --restart --execute "$A"
expect_eq "app-config after restore" "$(kc -n "$NS" get configmap app-config -o jsonpath='{.data}')" '{"level":"info","mode":"one"}'
expect_eq "extra-config after restore" "$(kc -n "$NS" get configmap extra-config -o jsonpath='{.data}')" '{"x":"1"}'
[[ -n $(kc -n "$NS" get deployment web -o jsonpath='{.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}') ]] ||
	fail "web not restarted"
ok "web has restartedAt"

# 4. round trip: nothing left to do
run_rc 0 "$H" restore -p "$work/profile.yaml" --only k8s "$A"
[[ $(grep -c "unchanged" "$work/out") == 2 ]] || fail "second plan not all unchanged: $(cat "$work/out")"
ok "second plan: unchanged"
ok "configmaps"
