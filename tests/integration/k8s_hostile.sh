#!/usr/bin/env bash
# k8s_hostile.sh - issue #26, Kubernetes items 1 and 7, against the real
# kube-apiserver.  The archives are made as an attacker would make them:
# hs_mkarchive writes them through the real writer, so checksums, manifest
# and index frame are consistent; only the content checks catch them
# (verify's too: 65 naming the entry).
#   1. a ConfigMap entry whose object names kube-system: restore refuses
#      it (65), and the ConfigMap exists neither in kube-system nor in the
#      entry's namespace;
#   2. a ConfigMap entry whose object has another name: refused (65), the
#      other name is not created and the entry's ConfigMap is unchanged;
#   3. a rollback revision whose template names kube-system: refused (65),
#      the Deployment unchanged (resourceVersion and template);
#   4. --map-k8s-ns SRC=DST is the one way to another namespace: the plan
#      says "mapped from", the object written is the target's;
#   5. a 403 that is not RBAC's (a namespace being terminated, for the
#      peer's system:masters admin) quotes the server and suggests no RBAC.
set -euo pipefail
# shellcheck source=k8s_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/k8s_lib.bash"
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"

HOSTILE=hs-hostile-$$-cm
DST=$NS-dst
TERM_NS=$NS-term
trap 'kc -n kube-system delete configmap "$HOSTILE" >/dev/null 2>&1 || true
	k8s_ns_remove "$DST"; k8s_ns_remove "$TERM_NS"; k8s_cleanup' EXIT

k8s_app
mk() { "$HS_TOOLS/hs_mkarchive" "$@" >"$work/mk.log" 2>&1 || fail "hs_mkarchive: $(cat "$work/mk.log")"; }
absent() { # NS NAME: the ConfigMap is not there
	! kc -n "$1" get configmap "$2" >/dev/null 2>&1 || fail "configmap $1/$2 exists: $(kc -n "$1" get configmap "$2" -o json)"
	ok "no configmap $1/$2"
}
app_config() { kc -n "$NS" get configmap app-config -o jsonpath='{.data}'; }
before_cm=$(app_config)

# 1. the entry says $NS, the object kube-system
printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s","namespace":"kube-system"},"data":{"evil":"1"}}' \
	"$HOSTILE" >"$work/hostile.json"
mk "$work/ns.tar.zst" "k8s/$NS/configmaps/$HOSTILE.json=@$work/hostile.json"
run_rc 65 "$H" verify "$work/ns.tar.zst"
grep -q "whose metadata.namespace is 'kube-system'" "$work/out" || fail "verify: $(cat "$work/out")"
run_rc 65 "$H" restore "$work/ns.tar.zst" -p "$work/profile.yaml" --only k8s --include "*/$HOSTILE*" --execute
grep -q "'k8s/$NS/configmaps/$HOSTILE.json' whose metadata.namespace is 'kube-system', not the entry's namespace '$NS': refused" \
	"$work/err" || fail "refusal unclear: $(cat "$work/err")"
! grep -q created "$work/out" || fail "the report says something was created: $(cat "$work/out")"
absent kube-system "$HOSTILE"
absent "$NS" "$HOSTILE"

# 2. the entry says app-config, the object another name (and other data)
printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other-cm","namespace":"%s"},"data":{"mode":"evil"}}' \
	"$NS" >"$work/renamed.json"
mk "$work/name.tar.zst" "k8s/$NS/configmaps/app-config.json=@$work/renamed.json"
run_rc 65 "$H" verify "$work/name.tar.zst"
grep -q "whose metadata.name is 'other-cm'" "$work/out" || fail "verify: $(cat "$work/out")"
run_rc 65 "$H" restore "$work/name.tar.zst" -p "$work/profile.yaml" --only k8s --force --execute
grep -q "'k8s/$NS/configmaps/app-config.json' whose metadata.name is 'other-cm', not the entry's name 'app-config': refused" \
	"$work/err" || fail "refusal unclear: $(cat "$work/err")"
absent "$NS" other-cm
expect_eq "app-config after the refused restore" "$(app_config)" "$before_cm"

# 3. a rollback revision whose template names kube-system
A=$work/a.tar.zst
run_rc 0 "$H" snapshot -p "$work/profile.yaml" --only k8s -o "$A" -q
R=k8s/$NS/deployments/web/revisions
"$H" cat "$A" "$R/1.json" | jq -c '.template.metadata.namespace = "kube-system"' >"$work/rev1.json"
"$H" cat "$A" "$R/2.json" >"$work/rev2.json"
mk "$work/rb.tar.zst" "$R/1.json=@$work/rev1.json" "$R/2.json=@$work/rev2.json"
run_rc 0 "$H" verify "$A"
run_rc 65 "$H" verify "$work/rb.tar.zst"
grep -q "'$R/1.json' whose template names namespace 'kube-system'" "$work/out" || fail "verify: $(cat "$work/out")"
dep_before=$(kc -n "$NS" get deployment web -o json | jq -c '[.metadata.resourceVersion, .spec.template]')
run_rc 65 "$H" rollback "$work/rb.tar.zst" -p "$work/profile.yaml" --deployment "$NS/web" --revision 1 --execute
grep -q "'$R/1.json' whose template names namespace 'kube-system', not the Deployment's '$NS': refused" "$work/err" ||
	fail "refusal unclear: $(cat "$work/err")"
expect_eq "Deployment after the refused rollback" \
	"$(kc -n "$NS" get deployment web -o json | jq -c '[.metadata.resourceVersion, .spec.template]')" "$dep_before"
# the same revision with the Deployment's own namespace in its template: the field is dropped, the rollback works
"$H" cat "$A" "$R/1.json" | jq -c ".template.metadata.namespace = \"$NS\"" >"$work/rev1-own.json"
mk "$work/rb-own.tar.zst" "$R/1.json=@$work/rev1-own.json" "$R/2.json=@$work/rev2.json"
run_rc 0 "$H" rollback "$work/rb-own.tar.zst" -p "$work/profile.yaml" --deployment "$NS/web" --revision 1 --execute
expect_eq "image after rollback" "$(k8s_image)" nginx:1
expect_eq "template namespace" "$(kc -n "$NS" get deployment web -o jsonpath='{.spec.template.metadata.namespace}')" ""

# 4. --map-k8s-ns: the plan says where from; what is written is the target's
kc create namespace "$DST" >/dev/null
run_rc 0 "$H" restore "$A" -p "$work/profile.yaml" --only k8s --map-k8s-ns "$NS=$DST"
grep -Eq "^  k8s +$DST/configmap/app-config +create +mapped from $NS/configmap/app-config \(--map-k8s-ns\): absent" "$work/out" ||
	fail "plan does not show the mapping: $(cat "$work/out")"
absent "$DST" app-config
run_rc 0 "$H" restore "$A" -p "$work/profile.yaml" --only k8s --map-k8s-ns "$NS=$DST" --execute --json
validate_json restore.schema.json "$work/out"
expect_eq "mapped step" "$(jq -c '[.sources[0].plan[] | select(.target == "'"$DST"'/configmap/app-config") | .source, .action]' "$work/out")" \
	"[\"$NS/configmap/app-config\",\"create\"]"
expect_eq "mapped ConfigMap" "$(kc -n "$DST" get configmap app-config -o json | jq -c '[.metadata.namespace, .data]')" \
	"[\"$DST\",$(kc -n "$NS" get configmap app-config -o json | jq -c .data)]"
expect_eq "source namespace's app-config untouched" "$(app_config)" "$before_cm"

# 5. a namespace being terminated (no namespace controller runs on the peer, so it stays so)
kc create namespace "$TERM_NS" >/dev/null
kc -n "$TERM_NS" create configmap term-config --from-literal=a=b >/dev/null
printf 'name: k8sterm\nk8s:\n  namespaces:\n    - name: %s\n      configmaps: [term-config]\n' "$TERM_NS" >"$work/term.yaml"
T=$work/term.tar.zst
run_rc 0 "$H" snapshot -p "$work/term.yaml" --only k8s -o "$T" -q
kc -n "$TERM_NS" delete configmap term-config >/dev/null
kc delete namespace "$TERM_NS" --wait=false >/dev/null
expect_eq "namespace phase" "$(kc get namespace "$TERM_NS" -o jsonpath='{.status.phase}')" Terminating
run_rc 3 "$H" restore "$T" -p "$work/term.yaml" --only k8s --execute
grep -q "cannot create configmaps in namespace '$TERM_NS': forbidden (403): configmaps \"term-config\" is forbidden: unable to create new content in namespace $TERM_NS because it is being terminated" \
	"$work/err" || fail "403 does not quote the server: $(cat "$work/err")"
! grep -qi "rbac" "$work/err" "$work/out" || fail "a terminating namespace blamed on RBAC: $(cat "$work/err")"
absent "$TERM_NS" term-config
ok "k8s hostile"
