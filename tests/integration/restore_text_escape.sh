#!/usr/bin/env bash
# The restore plan against the real targets (issue #26 item 5): a Kafka
# group, a Mongo collection (the manifest's collection list), a k8s object
# and a Redis key holding "\nlevel=error msg=..." or ESC/C1 sequences are
# printed escaped: no plan line starts with the forged text, no raw control
# byte on stdout or stderr (tests/tools/hs_text_clean.py).  The archives
# are made as an attacker would (the real writer: checksums, manifest and
# index frame agree).  Plans only, no --execute: the test checks that
# nothing was written to any target.  Own names (prefix $tag) throughout.
set -euo pipefail
. "$(dirname "$0")/kafka_lib.bash"
: "${HIVESNAP_MONGO_URI:?run with the peers env}" "${HIVESNAP_REDIS_URI:?run with the peers env}"
: "${KUBECONFIG:?run with the peers env}"

MT=$HS_TOOLS/hs_mongo_tool MK=$HS_TOOLS/hs_mkarchive
CSI=$'\xc2\x9b'
forge='level=error msg="forged log line"'
jforge='level=error msg=\"forged log line\"'
rdb=11
mdb=${tag}_db
rkey="$tag:k"$'\n'"$forge"$'\x1b[2J'
trap '"$MT" drop "$HIVESNAP_MONGO_URI" "$mdb" >/dev/null 2>&1 || true; kafka_cleanup' EXIT

# plan WHAT ARCHIVE ARGS...: restore (plan only) exits 0 with a plan, or 65
# when a content check refuses a name; either way the output is clean
plan() {
	local what=$1 a=$2 rc=0
	shift 2
	"$HIVESNAP" restore "$a" "$@" >"$work/out" 2>"$work/err" || rc=$?
	[[ $rc == 0 || $rc == 65 ]] || fail "$what: restore exited $rc: $(cat "$work/out" "$work/err")"
	[[ $rc == 65 || $(head -1 "$work/out") == "Plan for restoring (dry run; --execute to act): $a" ]] ||
		fail "$what: no plan: $(cat "$work/out" "$work/err")"
	/usr/bin/python3 "$HS_SRC/tests/tools/hs_text_clean.py" "$work/out" "$work/err" ||
		fail "$what: output not clean (above)"
	ok "$what: exit $rc, no forged line, no raw control byte"
}
# shows WHAT TEXT: the last plan's stdout or stderr holds TEXT
shows() {
	grep -qF -- "$2" "$work/out" "$work/err" || fail "$1: does not show '$2': $(cat "$work/out" "$work/err")"
	ok "$1 shows '$2'"
}

# Kafka: a group whose name holds the forged line, on a topic of our own
t=$tag.t
new_topic "$t" 1
g="$tag"$'\n'"$forge"
groups+=("$g")
"$MK" "$work/kafka.tar.zst" "kafka/groups/$tag.json={\"group\":\"$tag\\n$jforge\",\"state\":\"Empty\",\"simple\":true,\"members\":[],\"offsets_time_ms\":1,\"offsets\":[{\"topic\":\"$t\",\"partition\":0,\"offset\":0,\"metadata\":\"\",\"log_start\":0,\"log_end\":0,\"lag\":0,\"timestamp_offset\":-1,\"timestamp_ms\":null}]}" >/dev/null
plan kafka "$work/kafka.tar.zst" --only kafka --to-kafka "$B"
shows kafka "$tag\\nlevel=error msg=\"forged log line\""
# no committed offset: negative (the tool prints librdkafka's -1001, "invalid")
c=$(committed "$g" "$t" 0)
((c < 0)) || fail "kafka: the plan committed offset $c for the group"
ok "kafka: nothing committed"

# Mongo: the manifest's collection list names a collection holding the forged line
mk_docs() {
	/usr/bin/python3 - "$1" <<'PY'
import struct, sys
el = b"\x10_id\x00" + struct.pack("<i", 1)
open(sys.argv[1], "wb").write(struct.pack("<i", 4 + len(el) + 1) + el + b"\x00")
PY
}
mk_docs "$work/c.bson"
"$MK" "$work/mongo.tar.zst" "mongo/$mdb/c.bson=@$work/c.bson" \
	"mongo/$mdb/c.metadata.json={\"options\":{},\"indexes\":[],\"collectionName\":\"c\"}" \
	--source-details "mongo={\"collections\":[{\"db\":\"$mdb\",\"collection\":\"c\\n$jforge\",\"type\":\"collection\",\"status\":\"ok\",\"documents\":1},{\"db\":\"$mdb\",\"collection\":\"d${CSI}2J\",\"type\":\"collection\",\"status\":\"ok\",\"documents\":1}]}" >/dev/null
plan mongo "$work/mongo.tar.zst" --only mongo --to-mongo "$HIVESNAP_MONGO_URI"
shows mongo "c\\nlevel=error msg=\"forged log line\""
out=$("$MT" cmd "$HIVESNAP_MONGO_URI" "$mdb" '{"listCollections": 1, "nameOnly": true}')
grep -q '"name"' <<<"$out" && fail "mongo: the plan created a collection: $out"
ok "mongo: nothing created in $mdb"

# Kubernetes: a ConfigMap whose name and data key hold the forged line, one with a C1 name
cm() { echo "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"$1\",\"namespace\":\"default\"},\"data\":{\"k\\n$jforge\":\"1\"}}"; }
"$MK" "$work/k8s.tar.zst" "k8s/default/configmaps/$tag-a.json=$(cm "$tag-a\\n$jforge")" \
	"k8s/default/configmaps/$tag-b${CSI}2J.json=$(cm "$tag-b${CSI}2J")" >/dev/null
plan k8s "$work/k8s.tar.zst" --only k8s
# the plan, or a content check's refusal, names them escaped
grep -qF -e "$tag-a\\nlevel=error msg=\"forged log line\"" -e "$tag-b\\u009b2J" "$work/out" "$work/err" ||
	fail "k8s: names not shown escaped: $(cat "$work/out" "$work/err")"
ok "k8s: names shown escaped"
kubectl get configmaps -n default -o name | grep -q "$tag" && fail "k8s: the plan created a ConfigMap"
ok "k8s: no ConfigMap created"

# Redis: a key holding the forged line and ESC (the plan counts keys; it must stay clean)
"$MK" "$work/redis.tar.zst" "redis/db$rdb.jsonl={\"key\":\"$tag:k\\n$jforge\\u001b[2J\",\"type\":\"string\",\"expire_at_ms\":null,\"value\":\"x\"}" >/dev/null
u=${HIVESNAP_REDIS_URI%/*}/$rdb
plan redis "$work/redis.tar.zst" --only redis --to-redis "$u"
[[ $(redis-cli -u "$u" EXISTS "$rkey") == 0 ]] || fail "redis: the plan wrote the key"
ok "redis: key not written"
