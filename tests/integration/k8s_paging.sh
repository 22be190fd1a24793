#!/usr/bin/env bash
# k8s_paging.sh - lists page with limit/continue: 520 ConfigMaps selected by
# a label selector (pages of 500) all reach the archive, once each.
set -euo pipefail
# shellcheck source=k8s_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/k8s_lib.bash"

kc create namespace "$NS" >/dev/null
for i in $(seq 1 520); do
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bulk-%03d, namespace: %s, labels: {bulk: "yes"}}\ndata: {i: "%d"}\n' "$i" "$NS" "$i"
done >"$work/bulk.yaml"
kc create -f "$work/bulk.yaml" >/dev/null
cat >"$work/bulk-profile.yaml" <<EOP
name: k8spaging
k8s:
  namespaces:
    - name: $NS
      configmaps: {label_selector: "bulk=yes"}
EOP
A=$work/a.tar.zst
run_rc 0 "$H" snapshot -p "$work/bulk-profile.yaml" --only k8s -o "$A" -q
expect_eq "bulk ConfigMaps in the archive" "$("$H" ls "$A" | grep -c "k8s/$NS/configmaps/bulk-[0-9]*\.json$")" 520
expect_eq "distinct" "$("$H" ls "$A" | awk '{print $NF}' | grep "configmaps/bulk-" | sort -u | wc -l)" 520
expect_eq "bulk-520 data" "$("$H" cat "$A" "k8s/$NS/configmaps/bulk-520.json" | jq -r .data.i)" 520
ok "paging"
