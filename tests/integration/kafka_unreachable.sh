#!/usr/bin/env bash
# Kafka that does not answer: a closed port and a listener that accepts and never
# replies both give one clear error naming the brokers within the profile's timeout
# (not a hang), exit 3, no archive; restore to such a target fails the same way before
# changing anything.  kafka.config secrets never appear in the output.
set -euo pipefail
. "$(dirname "$0")/kafka_lib.bash"

secret="s3cr3t-$RANDOM$RANDOM"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# unreachable_profile FILE BROKERS
unreachable_profile() {
	cat >"$1" <<EOP
name: hsk
kafka:
  brokers: $2
  config:
    sasl.username: hivesnap
    sasl.password: "$secret"
  groups: ["*"]
  timeout_ms: 3000
EOP
}

# expect_fast_failure WHAT BROKERS CMD...: exit 3 within 3 s + 4 s slack, one line naming the brokers
expect_fast_failure() {
	local what=$1 brokers=$2 rc=0 t0 t1; shift 2
	t0=$(date +%s%N)
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	t1=$(date +%s%N)
	[[ $rc == 3 ]] || fail "$what: exit $rc, want 3: $(cat "$work/err")"
	(( (t1 - t0) / 1000000 < 7000 )) || fail "$what: took $(( (t1 - t0) / 1000000 )) ms with timeout_ms 3000"
	grep -q "cannot reach kafka brokers '$brokers' within 3000 ms" "$work/err" ||
		fail "$what: error does not name the brokers and the time: $(cat "$work/err")"
	! grep -q "$secret" "$work/out" "$work/err" || fail "$what: the sasl.password appears in the output"
	ok "$what: exit 3 after $(( (t1 - t0) / 1000000 )) ms: $(tail -1 "$work/err")"
}

closed=$(free_port)
unreachable_profile "$work/closed.yaml" "127.0.0.1:$closed"
expect_fast_failure "closed port" "127.0.0.1:$closed" "$HIVESNAP" snapshot -p "$work/closed.yaml" -o "$work/c.tar.zst"
[[ ! -e $work/c.tar.zst ]] || fail "an archive was written"
expect_fast_failure "closed port, debug log" "127.0.0.1:$closed" \
	"$HIVESNAP" snapshot --log-level debug -p "$work/closed.yaml" -o "$work/c.tar.zst"
grep -q 'level=debug source=kafka msg="librdkafka' "$work/err" || fail "librdkafka's log is not routed to the debug log"
# librdkafka's own configuration dump (debug: conf) with SASL in use
sed -i 's/^  config:$/  config:\n    security.protocol: SASL_PLAINTEXT\n    sasl.mechanisms: PLAIN\n    debug: conf/' "$work/closed.yaml"
expect_fast_failure "closed port, SASL and librdkafka's config dump" "127.0.0.1:$closed" \
	"$HIVESNAP" snapshot --log-level debug -p "$work/closed.yaml" -o "$work/c.tar.zst"
grep -q 'sasl.password = \[redacted\]' "$work/err" || fail "no config dump to check: $(head -5 "$work/err")"

# a listener that accepts connections and never answers
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >"$work/hole.port" &
bg_pids+=("$!")
for _ in $(seq 1 50); do [[ -s $work/hole.port ]] && break; sleep 0.1; done
hole=$(cat "$work/hole.port")
unreachable_profile "$work/hole.yaml" "127.0.0.1:$hole"
expect_fast_failure "silent listener" "127.0.0.1:$hole" "$HIVESNAP" snapshot -p "$work/hole.yaml" -o "$work/h.tar.zst"
[[ ! -e $work/h.tar.zst ]] || fail "an archive was written"

# restore: a valid archive (from the real broker), a target that does not answer
profile "$work/p.yaml" "[\"$tag-none-*\"]"
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/a.tar.zst" >/dev/null 2>"$work/snap.err" ||
	fail "snapshot: $(cat "$work/snap.err")"
expect_fast_failure "restore to a silent listener" "127.0.0.1:$hole" \
	"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/hole.yaml" --execute
expect_fast_failure "restore --to-kafka a closed port" "127.0.0.1:$closed" \
	"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/hole.yaml" --to-kafka "127.0.0.1:$closed" --execute
