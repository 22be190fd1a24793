#!/usr/bin/env bash
# k8s_content.sh - content-level checks of the Kubernetes entries (issue #26,
# item 1), with no server: archives made as an attacker would make them
# (hs_mkarchive writes them through the real writer, so checksums, manifest
# and index frame are consistent), whose objects disagree with their
# entries' paths.  verify, restore and rollback refuse each with exit 65
# and one line naming the entry, BEFORE connecting anywhere:
# the kubeconfig points at a listener that logs every connection, and it
# must log none.  Also: --map-k8s-ns rules are checked as usage (64).
# Against the real API server (nothing written there): tests/integration/k8s_hostile.sh.
source "$(dirname "$0")/lib.sh"

# a TCP listener standing in for the API server: logs each connection, closes it
listener_pid=
cleanup() {
	[[ -n $listener_pid ]] && kill "$listener_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
/usr/bin/python3 - "$tmp/port" "$tmp/connections" <<'PY' &
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connection\n")
    c.close()
PY
listener_pid=$!
for _ in $(seq 100); do [[ -s $tmp/port ]] && break; sleep 0.05; done
[[ -s $tmp/port ]] || fail "the listener did not start"
cat >"$tmp/kubeconfig" <<EOF
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$(cat "$tmp/port")", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-a-real-token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
EOF
export KUBECONFIG=$tmp/kubeconfig
printf 'name: k8scontent\nk8s:\n  timeout_ms: 2000\n  namespaces:\n    - name: neural-hive-orchestration\n' >"$tmp/profile.yaml"

no_connection() {
	[[ ! -s $tmp/connections ]] || fail "$1: hivesnap connected to the API server ($(wc -l <"$tmp/connections") times)"
	echo "ok: $1: no connection"
}
one_line() {
	[[ $(wc -l <"$tmp/err") == 1 ]] || fail "want one error line: $(cat "$tmp/err")"
}

NS=neural-hive-orchestration
cm() { # NS NAME [KIND]: a ConfigMap object as the archive holds it
	printf '{"apiVersion":"v1","kind":"%s","metadata":{"name":"%s","namespace":"%s"},"data":{"k":"v"}}' \
		"${3:-ConfigMap}" "$2" "$1"
}

# ------------------------------------------------------------------ restore
# the issue's case: the entry's path says neural-hive-orchestration, the object kube-system
mk_archive "$tmp/ns.tar.zst" "k8s/$NS/configmaps/hivesnap-hostile-cm.json=$(cm kube-system hivesnap-hostile-cm)"
expect_exit 65 "$HIVESNAP" verify "$tmp/ns.tar.zst"
expect_stdout_match "^FAILED $tmp/ns.tar.zst: .*'k8s/$NS/configmaps/hivesnap-hostile-cm.json' whose metadata.namespace is 'kube-system'"
for execute in "" --execute; do
	expect_exit 65 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/ns.tar.zst" --only k8s \
		--include '*/hivesnap-hostile-cm*' $execute
	expect_stderr_match "'k8s/$NS/configmaps/hivesnap-hostile-cm.json' whose metadata.namespace is 'kube-system', not the entry's namespace '$NS': refused"
	one_line
	[[ ! -s $tmp/out ]] || fail "a plan was printed: $(cat "$tmp/out")"
	no_connection "namespace mismatch ${execute:-plan}"
done
# --json: the same error, nothing on stdout
expect_exit 65 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/ns.tar.zst" --only k8s --json --execute
[[ ! -s $tmp/out ]] || fail "--json printed a report: $(cat "$tmp/out")"
# a --map-k8s-ns rule does not make the object's own namespace acceptable
expect_exit 65 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/ns.tar.zst" --only k8s --map-k8s-ns "$NS=kube-system" --execute
expect_stderr_match "whose metadata.namespace is 'kube-system'"
no_connection "namespace mismatch with a mapping"

# a name mismatch goes no further: entry app-config, object other-cm
mk_archive "$tmp/name.tar.zst" "k8s/$NS/configmaps/app-config.json=$(cm $NS other-cm)"
expect_exit 65 "$HIVESNAP" verify "$tmp/name.tar.zst"
expect_stdout_match "'k8s/$NS/configmaps/app-config.json' whose metadata.name is 'other-cm'"
expect_exit 65 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/name.tar.zst" --only k8s --execute
expect_stderr_match "'k8s/$NS/configmaps/app-config.json' whose metadata.name is 'other-cm', not the entry's name 'app-config': refused"
one_line
no_connection "name mismatch"

# another kind under configmaps/
mk_archive "$tmp/kind.tar.zst" "k8s/$NS/configmaps/app-config.json=$(cm $NS app-config Secret)"
expect_exit 65 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/kind.tar.zst" --only k8s --execute
expect_stderr_match "whose kind is 'Secret', not 'ConfigMap': refused"
no_connection "kind mismatch"

# an entry under configmaps/ that is not one ConfigMap's file, and an invalid name
mk_archive "$tmp/deep.tar.zst" "k8s/$NS/configmaps/kube-system/x.json=$(cm kube-system x)"
expect_exit 65 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/deep.tar.zst" --only k8s --execute
expect_stderr_match "holds 'k8s/$NS/configmaps/kube-system/x.json' under configmaps/, which is not k8s/<namespace>/configmaps/<name>.json"
no_connection "nested entry"
mk_archive "$tmp/badname.tar.zst" "k8s/$NS/configmaps/App_Config.json=$(cm $NS App_Config)"
expect_exit 65 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/badname.tar.zst" --only k8s --execute
expect_stderr_match "'App_Config' is not a valid Kubernetes ConfigMap name"
no_connection "invalid name"

# one bad entry among good ones refuses the whole restore (nothing is planned)
mk_archive "$tmp/mixed.tar.zst" "k8s/$NS/configmaps/a.json=$(cm $NS a)" \
	"k8s/$NS/configmaps/b.json=$(cm kube-system b)" "k8s/$NS/configmaps/c.json=$(cm $NS c)"
expect_exit 65 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/mixed.tar.zst" --only k8s --include "$NS/a" --execute
expect_stderr_match "'k8s/$NS/configmaps/b.json' whose metadata.namespace is 'kube-system'"
no_connection "one bad entry among good ones"

# --map-k8s-ns: malformed rules are usage errors, before the archive is read
mk_archive "$tmp/good.tar.zst" "k8s/$NS/configmaps/a.json=$(cm $NS a)"
for rule in "$NS" "$NS=" "=staging" "$NS=Staging" "$NS=a/b" "n*=x"; do
	expect_exit 64 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/good.tar.zst" --only k8s --map-k8s-ns "$rule"
	expect_stderr_match "--map-k8s-ns takes SRC=DST, two namespace names"
done
expect_exit 64 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/good.tar.zst" --only k8s --map-k8s-ns "$NS=a" --map-k8s-ns "$NS=b"
expect_stderr_match "--map-k8s-ns maps namespace '$NS' twice"
mk_archive "$tmp/two.tar.zst" "k8s/$NS/configmaps/a.json=$(cm $NS a)" "k8s/other/configmaps/a.json=$(cm other a)"
expect_exit 64 "$HIVESNAP" restore -p "$tmp/profile.yaml" "$tmp/two.tar.zst" --only k8s --map-k8s-ns "$NS=other"
expect_stderr_match "--map-k8s-ns would restore both 'other/configmap/a' and '$NS/configmap/a' into 'other/configmap/a'|--map-k8s-ns would restore both '$NS/configmap/a' and 'other/configmap/a' into 'other/configmap/a'"
no_connection "two ConfigMaps into one"

# ----------------------------------------------------------------- rollback
rev() { # N TEMPLATE-METADATA-JSON [REVISION-FIELD]
	printf '{"revision":%s,"replicaset":"web-%s","change_cause":"r%s","current":false,"annotations":{},"template":{"metadata":%s,"spec":{"containers":[{"name":"web","image":"nginx:%s"}]}},"configmaps":["app-config"],"secrets":[]}' \
		"${3:-$1}" "$1" "$1" "$2" "$1"
}
D=k8s/$NS/deployments/web
mk_archive "$tmp/rb-ns.tar.zst" "$D.json={}" "$D/revisions/1.json=$(rev 1 '{"namespace":"kube-system","labels":{"app":"web"}}')" \
	"$D/revisions/2.json=$(rev 2 '{"labels":{"app":"web"}}')"
expect_exit 65 "$HIVESNAP" verify "$tmp/rb-ns.tar.zst"
expect_stdout_match "'$D/revisions/1.json' whose template names namespace 'kube-system', not the Deployment's '$NS'"
for execute in "" --execute; do
	expect_exit 65 "$HIVESNAP" rollback "$tmp/rb-ns.tar.zst" -p "$tmp/profile.yaml" --deployment "$NS/web" --revision 1 $execute
	expect_stderr_match "'$D/revisions/1.json' whose template names namespace 'kube-system', not the Deployment's '$NS': refused"
	one_line
	[[ ! -s $tmp/out ]] || fail "a plan was printed: $(cat "$tmp/out")"
	no_connection "rollback template namespace ${execute:-plan}"
done
# any archived revision of the Deployment, not only the one asked for
expect_exit 65 "$HIVESNAP" rollback "$tmp/rb-ns.tar.zst" -p "$tmp/profile.yaml" --deployment "$NS/web" --revision 2 --execute
no_connection "rollback, another revision bad"

# a revision file whose revision field says another number
mk_archive "$tmp/rb-num.tar.zst" "$D/revisions/1.json=$(rev 1 '{"labels":{"app":"web"}}' 7)"
expect_exit 65 "$HIVESNAP" verify "$tmp/rb-num.tar.zst"
expect_stdout_match "'$D/revisions/1.json' whose revision is not 1, the entry's: refused"
expect_exit 65 "$HIVESNAP" rollback "$tmp/rb-num.tar.zst" -p "$tmp/profile.yaml" --deployment "$NS/web" --revision 7 --execute
expect_stderr_match "'$D/revisions/1.json' whose revision is not 1, the entry's: refused"
no_connection "rollback revision number"

# --with-configmaps: a ConfigMap of the namespace whose object names kube-system
mk_archive "$tmp/rb-cm.tar.zst" "$D/revisions/1.json=$(rev 1 '{"labels":{"app":"web"}}')" \
	"k8s/$NS/configmaps/app-config.json=$(cm kube-system app-config)"
expect_exit 65 "$HIVESNAP" rollback "$tmp/rb-cm.tar.zst" -p "$tmp/profile.yaml" --deployment "$NS/web" --revision 1 \
	--with-configmaps --execute
expect_stderr_match "'k8s/$NS/configmaps/app-config.json' whose metadata.namespace is 'kube-system'"
no_connection "rollback ConfigMap namespace"
echo "ok: k8s content checks"
