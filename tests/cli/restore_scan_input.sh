#!/usr/bin/env bash
# restore reads the Kafka groups and the Kubernetes ConfigMaps in the same
# pass that verifies the archive (src/restore_scan.c), not in a pass of their
# own, and rollback its namespace's entries (restore/k8s.c): a malformed one is exit 65 naming the entry, before any target is
# contacted; when an entry after it is corrupt too, the archive's own error
# wins: exit 4 naming the corrupt entry in one line, no plan printed.  A good
# archive is read twice in all: its manifest, then the verifying pass (the
# debug log's "reading" lines), however many of kafka, redis and k8s are
# restored; by rollback once.  The targets are closed ports; no peer is needed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# corrupt IN OUT: "late-entry" (the text of zz/late.txt) changed after the
# fact, so that entry's checksum is wrong (the index frame is dropped)
corrupt() {
	zstd -q -dc "$1" | /usr/bin/python3 -c '
import sys
d = sys.stdin.buffer.read()
n = d.replace(b"late-entry", b"late-entrX", 1)
assert n != d, "nothing to corrupt"
sys.stdout.buffer.write(n)' | zstd -q -o "$2"
}
# archive_wins NAME: the last command exited 4 for zz/late.txt, nothing else
archive_wins() {
	expect_stderr_match "entry 'zz/late.txt': checksum mismatch"
	[[ $(wc -l <"$tmp/err") == 1 ]] || fail "$1: more than the archive's error: $(cat "$tmp/err")"
	[[ ! -s $tmp/out ]] || fail "$1: printed a plan: $(cat "$tmp/out")"
}

# passes ARCHIVE ARGS...: restore (plan) with a closed target fails to connect
# (exit 3) after reading ARCHIVE exactly twice
passes() {
	local a=$1
	shift
	expect_exit 3 "$HIVESNAP" restore "$a" --log-level debug "$@"
	[[ $(grep -c "msg=\"reading '$a'\"" "$tmp/err") == 2 ]] ||
		fail "restore $*: read the archive other than twice: $(grep "reading '" "$tmp/err")"
}

# Kafka: the broker is a closed port
mk_archive "$tmp/kafka.tar.zst" 'kafka/groups/g2.json={"group": "g2", "offsets": [' 'zz/late.txt=late-entry'
expect_exit 65 "$HIVESNAP" restore "$tmp/kafka.tar.zst" --only kafka --to-kafka 127.0.0.1:1
expect_stderr_match "^hivesnap: kafka: preflight: cannot read 'kafka/groups/g2.json': "
grep -q "cannot reach\|broker" "$tmp/err" && fail "a bad group was found only after contacting the broker"
corrupt "$tmp/kafka.tar.zst" "$tmp/kafka-late.tar.zst"
expect_exit 4 "$HIVESNAP" restore "$tmp/kafka-late.tar.zst" --only kafka --to-kafka 127.0.0.1:1
archive_wins kafka
good='{"group":"g1","state":"Empty","simple":true,"members":[],"offsets_time_ms":1,"offsets":[{"topic":"t","partition":0,"offset":5,"metadata":"","log_start":0,"log_end":9,"lag":4,"timestamp_offset":4,"timestamp_ms":null}]}'
mk_archive "$tmp/kafka-good.tar.zst" "kafka/groups/g1.json=$good" 'zz/late.txt=late-entry'
printf 'name: scan\nkafka:\n  brokers: "127.0.0.1:1"\n  timeout_ms: 1000\n' >"$tmp/kafka.yaml"
passes "$tmp/kafka-good.tar.zst" --only kafka -p "$tmp/kafka.yaml"

# Kubernetes: the API server is a closed port
cat >"$tmp/kubeconfig" <<'KC'
apiVersion: v1
kind: Config
clusters:
- name: closed
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: "not-a-real-token"}
contexts:
- name: closed
  context: {cluster: closed, user: u}
current-context: closed
KC
export KUBECONFIG=$tmp/kubeconfig
mk_archive "$tmp/k8s.tar.zst" 'k8s/ns1/configmaps/cm1.json={"metadata": ' 'zz/late.txt=late-entry'
expect_exit 65 "$HIVESNAP" restore "$tmp/k8s.tar.zst" --only k8s
expect_stderr_match "^hivesnap: k8s: preflight: cannot read 'k8s/ns1/configmaps/cm1.json' in '.*': not JSON"
grep -q "API server" "$tmp/err" && fail "a bad ConfigMap was found only after contacting the API server"
corrupt "$tmp/k8s.tar.zst" "$tmp/k8s-late.tar.zst"
expect_exit 4 "$HIVESNAP" restore "$tmp/k8s-late.tar.zst" --only k8s
archive_wins k8s
cm='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1","namespace":"ns1"},"data":{"a":"1"}}'
mk_archive "$tmp/k8s-good.tar.zst" "k8s/ns1/configmaps/cm1.json=$cm" 'zz/late.txt=late-entry'
passes "$tmp/k8s-good.tar.zst" --only k8s
# kafka, redis and k8s together: still one verifying pass for all three
mk_archive "$tmp/all.tar.zst" "kafka/groups/g1.json=$good" \
	'redis/db0.jsonl={"key":"a","type":"string","expire_at_ms":null,"value":"x"}' "k8s/ns1/configmaps/cm1.json=$cm"
passes "$tmp/all.tar.zst" --only kafka,redis,k8s -p "$tmp/kafka.yaml" --to-redis redis://127.0.0.1:1/0

# rollback: one pass verifies the archive and loads the namespace's entries
dep='{"metadata":{"name":"web","namespace":"ns1","annotations":{"deployment.kubernetes.io/revision":"2"}},"spec":{"template":{}}}'
rev='{"revision":1,"template":{},"configmaps":[],"current":false}'
mk_archive "$tmp/rb.tar.zst" "k8s/ns1/deployments/web.json=$dep" "k8s/ns1/deployments/web/revisions/1.json=$rev" \
	'zz/late.txt=late-entry'
expect_exit 3 "$HIVESNAP" rollback "$tmp/rb.tar.zst" --deployment ns1/web --revision 1 --log-level debug
expect_stderr_match "API server 'https://127.0.0.1:1'"
[[ $(grep -c "msg=\"reading '$tmp/rb.tar.zst'\"" "$tmp/err") == 1 ]] ||
	fail "rollback read the archive other than once: $(grep "reading '" "$tmp/err")"
mk_archive "$tmp/rb-bad.tar.zst" 'k8s/ns1/deployments/web/revisions/1.json={"revision":' 'zz/late.txt=late-entry'
expect_exit 65 "$HIVESNAP" rollback "$tmp/rb-bad.tar.zst" --deployment ns1/web --revision 1
expect_stderr_match "^hivesnap: rollback 'ns1/web': cannot read 'k8s/ns1/deployments/web/revisions/1.json' in '.*': not JSON"
corrupt "$tmp/rb-bad.tar.zst" "$tmp/rb-late.tar.zst"
expect_exit 4 "$HIVESNAP" rollback "$tmp/rb-late.tar.zst" --deployment ns1/web --revision 1
archive_wins rollback
echo PASS
