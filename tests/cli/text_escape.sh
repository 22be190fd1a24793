#!/usr/bin/env bash
# Names in an archive are input (issue #26 item 5): a Kafka group or topic,
# a Redis key, a Mongo collection, a k8s object or data key, a label or a
# recorded error holding "\nlevel=error msg=..." or ESC/C1 sequences must
# not forge a line or drive the terminal in any text report.  The archives
# are made as an attacker would: through the real writer, so checksums,
# manifest and index frame agree and only the content is hostile.  Every
# stdout and stderr is checked: no line starts with the forged text, no raw
# control byte (C0 but the line ends, DEL, C1) nor invalid UTF-8 is
# written, and the escaped form (\n, \u009b ...) is what is shown.  No
# server is needed; the restore targets are closed ports (the plans against
# real targets: tests/integration/restore_text_escape.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NEL=$'\xc2\x85' CSI=$'\xc2\x9b' ESC=$'\x1b' BEL=$'\x07'
forge='level=error msg="forged log line"'
jforge='level=error msg=\"forged log line\"'   # the same, inside a JSON string

# check_clean WHAT [json]: the last command's stdout and stderr are clean
# (tests/tools/hs_text_clean.py; with json, stdout is JSON output)
check_clean() {
	/usr/bin/python3 "$(dirname "$0")/../tools/hs_text_clean.py" ${2:+--json} "$tmp/out" "$tmp/err" ||
		fail "$1: output not clean (above)"
	echo "ok: $1: no forged line, no raw control byte"
}

# shows WHAT TEXT: stdout or stderr of the last command holds TEXT (fixed string)
shows() {
	grep -qF -- "$2" "$tmp/out" "$tmp/err" || fail "$1: does not show '$2': $(head -c 600 "$tmp/out" "$tmp/err")"
	echo "ok: $1 shows '$2'"
}

group() { # group NAME TOPIC OFFSET (JSON-escaped strings)
	echo "{\"group\":\"$1\",\"state\":\"Empty\",\"simple\":true,\"members\":[],\"offsets_time_ms\":1,\"offsets\":[{\"topic\":\"$2\",\"partition\":0,\"offset\":$3,\"metadata\":\"\",\"log_start\":0,\"log_end\":9,\"lag\":4,\"timestamp_offset\":4,\"timestamp_ms\":null}]}"
}
cm() { # cm VALUE: a ConfigMap whose name and data key carry the forged line
	echo "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\\n$jforge\",\"namespace\":\"ns1\"},\"data\":{\"k\\n$jforge\":\"$1\"}}"
}
rkey() { # rkey KEY VALUE
	echo "{\"key\":\"$1\",\"type\":\"string\",\"expire_at_ms\":null,\"value\":\"$2\"}"
}
colls() { # colls NAME: mongo's collection list in the manifest
	echo "mongo={\"collections\":[{\"db\":\"db\",\"collection\":\"$1\",\"type\":\"collection\",\"status\":\"ok\",\"documents\":3}]}"
}
mk_bson "$tmp/c.bson"
mkdir -p "$tmp/dir"
A=$tmp/dir/a.tar.zst B=$tmp/dir/b.tar.zst
# entry names cannot hold control bytes (the writer and the reader refuse
# them): C1 characters are valid UTF-8 and pass; names inside entries and
# the manifest can hold anything
mk_archive "$A" --label "l"$'\n'"$forge" --profile "p$ESC]0;pwned$BEL" \
	--source-status "redis=partial:lost"$'\n'"$forge" --source-details "$(colls "c\\n$jforge")" \
	"kafka/groups/g1.json=$(group "g\\n$jforge" "t\\n$jforge" 5)" \
	"redis/db0.jsonl=$(rkey "k\\n$jforge\\u001b[2J" x)" \
	"mongo/db/coll${NEL}x.bson=@$tmp/c.bson" \
	"k8s/ns1/configmaps/cm${CSI}2J.json=$(cm 1)"
mk_archive "$B" --label "m$CSI" --source-details "$(colls "c\\n$jforge")" \
	"kafka/groups/g1.json=$(group "g\\n$jforge" "t\\n$jforge" 7)" \
	"redis/db0.jsonl=$(rkey "k\\n$jforge\\u001b[2J" y)"$'\n'"$(rkey "k2\\u001b]0;x\\u0007$CSI\\u007f" y)" \
	"mongo/db/coll${NEL}y.bson=@$tmp/c.bson" \
	"k8s/ns1/configmaps/cm${CSI}2J.json=$(cm 2)"

expect_exit 0 "$HIVESNAP" inspect "$A"
check_clean inspect
shows inspect 'error: lost\nlevel=error msg="forged log line"'
shows inspect 'label      l\nlevel=error'
shows inspect 'profile    p\x1b]0;pwned\x07'
expect_exit 0 "$HIVESNAP" inspect "$A" --json
check_clean "inspect --json" json

expect_exit 0 "$HIVESNAP" ls "$A"
check_clean ls
shows ls 'mongo/db/coll\u0085x.bson'
shows ls 'k8s/ns1/configmaps/cm\u009b2J.json'

expect_exit 0 "$HIVESNAP" list "$tmp/dir"
check_clean list
shows list 'l\nlevel=error'
shows list 'm\u009b'

# the ConfigMap's name is no Kubernetes name: verify refuses it as restore does, escaped
expect_exit 65 "$HIVESNAP" verify "$A" "$B"
check_clean verify
shows verify "holds 'k8s/ns1/configmaps/cm\u009b2J.json': 'cm\u009b2J' is not a valid Kubernetes ConfigMap name"
# an entry with a C1 name whose bytes were changed after the fact: the error names it
zstd -q -dc "$B" | /usr/bin/python3 -c '
import sys
d = sys.stdin.buffer.read()
n = d.replace(b"doc-1", b"doc-X", 1)
assert n != d
sys.stdout.buffer.write(n)' | zstd -q -o "$tmp/flipped.tar.zst"
expect_exit 65 "$HIVESNAP" verify "$A" "$tmp/flipped.tar.zst"
check_clean "verify (checksum mismatch)"
shows verify "FAILED $tmp/flipped.tar.zst: entry 'mongo/db/coll\u0085y.bson': checksum mismatch"
expect_exit 65 "$HIVESNAP" verify "$A" "$tmp/flipped.tar.zst" --json
check_clean "verify --json" json

expect_exit 1 "$HIVESNAP" diff "$A" "$B"
check_clean diff
shows diff 'mongo/db/coll\u0085y.bson'
expect_exit 1 "$HIVESNAP" diff "$A" "$B" --details
check_clean "diff --details"
shows "diff --details" '~ t\nlevel=error msg="forged log line"[0]'
# JSON text (a Redis key): jansson's escapes, and the C1 and DEL it leaves raw in its style
shows "diff --details" '"k2\u001B]0;x\u0007\u009B\u007F"'
shows "diff --details" '"data.k\nlevel=error msg=\"forged log line\""'
expect_exit 1 "$HIVESNAP" diff "$A" "$B" --details --json
check_clean "diff --json" json

# restore: the closed ports are never written to; what is printed is clean
expect_exit 3 "$HIVESNAP" restore "$A" --only kafka --to-kafka 127.0.0.1:1
check_clean "restore kafka (closed port)"
expect_exit 3 "$HIVESNAP" restore "$A" --only redis --to-redis redis://127.0.0.1:1/0
check_clean "restore redis (closed port)"
expect_exit 3 "$HIVESNAP" restore "$A" --only mongo --to-mongo mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300
check_clean "restore mongo (closed port)"
# a malformed k8s entry under a C1 name: the content check's error names it
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
mk_archive "$tmp/k8s-bad.tar.zst" "k8s/ns1/configmaps/cm${CSI}2J.json={\"metadata\": "
expect_exit 65 "$HIVESNAP" restore "$tmp/k8s-bad.tar.zst" --only k8s
check_clean "restore k8s (bad entry)"
shows "restore k8s (bad entry)" 'cm\u009b2J'

# error lines: one line whatever the name given or found
expect_exit 3 "$HIVESNAP" cat "$A" "x"$'\n'"$forge"
check_clean "cat (no such entry)"
shows "cat (no such entry)" "no entry 'x\\nlevel=error"
expect_exit 64 "$HIVESNAP" "nope"$'\n'"$forge"
check_clean "unknown command"
expect_exit 0 "$HIVESNAP" extract "$A" "$tmp/x"$'\n'"$forge"
check_clean extract
shows extract "x\\nlevel=error"
