#!/usr/bin/env bash
# Kafka restore on bad archive content and without a target: a malformed
# kafka/groups/*.json is exit 65 naming the entry, found before any broker is
# contacted; no target at all is a usage error (64).  No broker needed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

good='{"group":"g1","state":"Empty","simple":true,"members":[],"offsets_time_ms":1,"offsets":[{"topic":"t","partition":0,"offset":5,"metadata":"","log_start":0,"log_end":9,"lag":4,"timestamp_offset":4,"timestamp_ms":null}]}'

mk_archive "$tmp/notjson.tar.zst" "kafka/groups/g1.json=$good" 'kafka/groups/g2.json={"group": "g2", "offsets": [' \
	"kafka/offsets.csv=g1,t,0,5"
expect_exit 65 "$HIVESNAP" restore "$tmp/notjson.tar.zst" --only kafka --to-kafka 127.0.0.1:1
expect_stderr_match "cannot read 'kafka/groups/g2.json': "
grep -q "cannot reach" "$tmp/err" && fail "a bad archive entry was found only after contacting the broker"

mk_archive "$tmp/negative.tar.zst" \
	'kafka/groups/g3.json={"group":"g3","offsets":[{"topic":"t","partition":0,"offset":-7}]}'
expect_exit 65 "$HIVESNAP" restore "$tmp/negative.tar.zst" --only kafka --to-kafka 127.0.0.1:1
expect_stderr_match "cannot read 'kafka/groups/g3.json': offset 0 is malformed"

mk_archive "$tmp/nogroup.tar.zst" 'kafka/groups/g4.json={"offsets":[]}'
expect_exit 65 "$HIVESNAP" restore "$tmp/nogroup.tar.zst" --only kafka --to-kafka 127.0.0.1:1
expect_stderr_match "cannot read 'kafka/groups/g4.json': not a kafka group document"

# a profile without a kafka section and no --to-kafka: nothing to restore into
printf 'name: nokafka\nredis:\n  uri: redis://127.0.0.1:1/0\n' >"$tmp/p.yaml"
mk_archive "$tmp/good.tar.zst" "kafka/groups/g1.json=$good"
expect_exit 64 "$HIVESNAP" restore "$tmp/good.tar.zst" --only kafka -p "$tmp/p.yaml"
expect_stderr_match "no kafka target: give --to-kafka BROKERS or configure kafka in the profile"
# ... also when a group in the archive is malformed: the usage error first
expect_exit 64 "$HIVESNAP" restore "$tmp/notjson.tar.zst" --only kafka -p "$tmp/p.yaml"
expect_stderr_match "no kafka target: give --to-kafka BROKERS or configure kafka in the profile"
