#!/usr/bin/env bash
# k8s_rollback.sh - `hivesnap rollback` against the real kube-apiserver: the
# plan changes nothing; a paused Deployment is refused (5); rollback to the
# previous revision; an identical template is "nothing to do"; rollback to a
# revision whose ReplicaSet is gone; --with-configmaps brings the ConfigMaps
# back as the archive captured them with that revision current, and says
# when no archive holds them.
set -euo pipefail
# shellcheck source=k8s_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/k8s_lib.bash"

k8s_app
A=$work/a.tar.zst
run_rc 0 "$H" snapshot -p "$work/profile.yaml" --only k8s -o "$A" -q
"$H" ls "$A" >"$work/ls"
for e in deployments/web.json deployments/web/revisions/1.json deployments/web/revisions/2.json configmaps/app-config.json; do
	grep -q "k8s/$NS/$e\$" "$work/ls" || fail "archive lacks k8s/$NS/$e"
done
expect_eq "revision 2 change-cause" "$("$H" cat "$A" "k8s/$NS/deployments/web/revisions/2.json" | jq -r '.change_cause + " " + (.current|tostring) + " " + (.configmaps|join(","))')" "v2: second true app-config"

# 1. the plan: previous revision, nothing changed
run_rc 0 "$H" rollback -p "$work/profile.yaml" "$A" --deployment "$NS/web"
grep -q "revision 2 -> 1 (v1: first)" "$work/out" || fail "plan does not say 2 -> 1: $(cat "$work/out")"
expect_eq "image after plan only" "$(k8s_image)" nginx:2

# 2. paused: refused with 5, nothing changed
kc -n "$NS" patch deployment web -p '{"spec":{"paused":true}}' >/dev/null
run_rc 5 "$H" rollback -p "$work/profile.yaml" "$A" --deployment "$NS/web" --execute
grep -q "is paused" "$work/err" || fail "paused error unclear: $(cat "$work/err")"
expect_eq "image after paused refusal" "$(k8s_image)" nginx:2
kc -n "$NS" patch deployment web -p '{"spec":{"paused":false}}' >/dev/null

# 3. execute: revision 1's template, no pod-template-hash, its change-cause
run_rc 0 "$H" rollback -p "$work/profile.yaml" "$A" --deployment "$NS/web" --execute
expect_eq "image after rollback" "$(k8s_image)" nginx:1
expect_eq "pod-template-hash label" "$(kc -n "$NS" get deployment web -o jsonpath='{.spec.template.metadata.labels}')" '{"app":"web"}'
expect_eq "change-cause" "$(kc -n "$NS" get deployment web -o jsonpath='{.metadata.annotations.kubernetes\.io/change-cause}')" "v1: first"
# annotations as kubectl sets them: the ReplicaSet's, but the Deployment keeps its revision
expect_eq "ReplicaSet annotation copied" "$(kc -n "$NS" get deployment web -o jsonpath='{.metadata.annotations.hivesnap\.test/note}')" r1
expect_eq "revision annotation kept" "$(kc -n "$NS" get deployment web -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')" 2

# 4. the same revision again: nothing to do, exit 0
run_rc 0 "$H" rollback -p "$work/profile.yaml" "$A" --deployment "$NS/web" --revision 1 --execute
grep -q "nothing to do" "$work/out" || fail "identical template not 'nothing to do': $(cat "$work/out")"

# 5. the ReplicaSet of revision 2 is gone: the archive still has its template
kc -n "$NS" delete replicaset web-6b7c8d9e0f >/dev/null
run_rc 0 "$H" rollback -p "$work/profile.yaml" "$A" --deployment "$NS/web" --revision 2 --execute
expect_eq "image after rollback to a deleted ReplicaSet's revision" "$(k8s_image)" nginx:2

# 6. --with-configmaps: revision 2 was current in the archive: its ConfigMap comes back
kc -n "$NS" patch configmap app-config -p '{"data":{"mode":"two"}}' >/dev/null
run_rc 0 "$H" rollback -p "$work/profile.yaml" "$A" --deployment "$NS/web" --revision 1 --with-configmaps
grep -q "no archive given holds it as at revision 1" "$work/out" || fail "plan does not say revision 1's ConfigMap is not held: $(cat "$work/out")"
run_rc 0 "$H" rollback -p "$work/profile.yaml" "$A" --deployment "$NS/web" --revision 2 --with-configmaps --execute --json
validate_json rollback.schema.json "$work/out"
expect_eq "configmap step" "$(jq -r '.plan[] | select(.target | endswith("configmap/app-config")) | .action' "$work/out")" restore
expect_eq "app-config mode after --with-configmaps" "$(kc -n "$NS" get configmap app-config -o jsonpath='{.data.mode}')" one

# 7. bad input: a revision the archive does not hold, a bad --deployment
run_rc 3 "$H" rollback -p "$work/profile.yaml" "$A" --deployment "$NS/web" --revision 9
grep -q "holds no revision 9 of deployment '$NS/web' (it holds 1, 2)" "$work/err" || fail "unclear: $(cat "$work/err")"
run_rc 64 "$H" rollback "$A" --deployment web
run_rc 3 "$H" rollback -p "$work/profile.yaml" "$A" --deployment "$NS/nope"
ok "rollback"
