#!/usr/bin/env bash
# A Kafka broker killed in the middle of a capture and of a restore, on a
# PRIVATE single-node KRaft broker (the cached peer jars, ports and data
# folder of its own; the shared broker is never touched):
#  - capture: the broker dies (SIGKILL) -> exit 3 and no archive; with
#    --allow-partial and another source (a private redis): exit 2, kafka
#    "failed" in the manifest;
#  - restore of 24 groups: the broker dies after some groups -> exit 3, the
#    report lists each group restored / failed / not-applied; the broker
#    comes back (same data folder) and the same restore finishes the job:
#    every group's committed offsets equal the archive's.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
ok() { echo "ok: $*"; }
: "${HIVESNAP:?}" "${HS_TOOLS:?}"
cache=${PEERS_CACHE:-${HIVESNAP_PEERS_CACHE:-$HOME/.cache/hivesnap-peers}}
home=$(ls -d "$cache"/kafka-*/ 2>/dev/null | head -1)
[[ -n $home && -d $home/lib ]] || fail "no cached Kafka under $cache: run scripts/peers.sh start kafka once"
command -v java >/dev/null || fail "java not found"
srv=redis-server rcli=redis-cli
if [[ -n ${PEERS_BIN:-} && -x $PEERS_BIN/redis-server ]]; then
	srv=$PEERS_BIN/redis-server rcli=$PEERS_BIN/redis-cli
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
kpid= rpid=
cleanup() {
	[[ -n $kpid ]] && kill -9 -- "-$kpid" 2>/dev/null || true
	[[ -n $rpid ]] && kill -9 "$rpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
port=$(free_port) cport=$(free_port)
export HIVESNAP_KAFKA_BROKERS=127.0.0.1:$port
KT=$HS_TOOLS/hs_kafka_tool

cat >"$work/server.properties" <<EOC
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$work/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOC
java -Xmx256m -Dlog4j2.configurationFile="$home/log4j2-tools.properties" -cp "$home/lib/*" \
	kafka.tools.StorageTool format -t "hsfault${RANDOM}abcdefghij" -c "$work/server.properties" >"$work/format.log" 2>&1 ||
	fail "formatting the KRaft storage failed: $(tail -3 "$work/format.log")"

# start: the broker (its own process group, so kill reaches the JVM), same data each time
start() {
	local t0=$SECONDS
	: >"$work/kafka.log"
	setsid java -Xms128m -Xmx384m -XX:+UseG1GC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$home/log4j2.properties" -cp "$home/lib/*" \
		kafka.Kafka "$work/server.properties" >"$work/kafka.log" 2>&1 </dev/null &
	kpid=$!
	for _ in $(seq 900); do
		grep -q "Kafka Server started" "$work/kafka.log" && break
		kill -0 "$kpid" 2>/dev/null || fail "the private broker exited: $(tail -5 "$work/kafka.log")"
		sleep 0.2
	done
	grep -q "Kafka Server started" "$work/kafka.log" || fail "the private broker did not start in 180 s"
	ok "private broker up in $((SECONDS - t0)) s"
}
stop9() {
	kill -9 -- "-$kpid" 2>/dev/null || true
	wait "$kpid" 2>/dev/null || true
	kpid=
}

start
"$KT" create hs.fault 2 >/dev/null
"$KT" produce hs.fault 0 50 >/dev/null
"$KT" produce hs.fault 1 50 >/dev/null
G=24
for i in $(seq -w 1 $G); do
	"$KT" commit "hs-fault-g$i" hs.fault 0 "$((10#$i))" >/dev/null
done
cat >"$work/p.yaml" <<EOF
name: kafka-fault
kafka:
  brokers: 127.0.0.1:$port
  groups: ["hs-fault-*"]
  topics: [hs.fault]
  timeout_ms: 3000
  timestamp_budget_ms: 2000
EOF
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/a.tar.zst" --quiet 2>"$work/err" || fail "snapshot: $(cat "$work/err")"
[[ $(tar --zstd -xOf "$work/a.tar.zst" kafka/offsets.csv | grep -c '^hs-fault-g') == "$G" ]] ||
	fail "the archive does not hold $G groups"
ok "archive of $G groups"

# 1. restore after moving every group to offset 0; kill the broker after a few groups
for i in $(seq -w 1 $G); do "$KT" commit "hs-fault-g$i" hs.fault 0 0 >/dev/null; done
"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute --json --log-level info \
	>"$work/r1.json" 2>"$work/r1.err" &
rpid_restore=$!
for _ in $(seq 2000); do
	grep -q "group 'hs-fault-g03'" "$work/r1.err" 2>/dev/null && break
	sleep 0.005
done
grep -q "group 'hs-fault-g03'" "$work/r1.err" || fail "the restore never got going: $(cat "$work/r1.err")"
stop9
set +e
wait $rpid_restore
rc=$?
set -e
[[ $rc == 3 ]] || fail "restore with the broker killed: exit $rc, want 3: $(tail -3 "$work/r1.err")"
R=$work/r1.json
validate_json restore.schema.json "$R"
jq -e '.sources[0].source == "kafka" and .sources[0].status == "failed" and .exit_code == 3' "$R" >/dev/null ||
	fail "report: $(jq -c '.sources[0] | {source, status}' "$R")"
nres=$(jq '[.sources[0].result[] | select(.action == "restored")] | length' "$R")
nfail=$(jq '[.sources[0].result[] | select(.action == "failed")] | length' "$R")
nnot=$(jq '[.sources[0].result[] | select(.action == "not-applied")] | length' "$R")
((nres >= 3 && nfail == 1 && nnot >= 1 && nres + nfail + nnot == G)) ||
	fail "report: $nres restored, $nfail failed, $nnot not applied (of $G)"
ok "killed mid-restore: exit 3; $nres groups restored, 1 failed, $nnot not applied"

start
# every group reported restored holds its archived offset; the not-applied ones still 0
jq -r '.sources[0].result[] | "\(.target) \(.action)"' "$R" >"$work/actions"
while read -r g action; do
	want=$((10#${g#hs-fault-g}))
	got=$("$KT" committed "$g" hs.fault 0)
	case $action in
	restored) [[ $got == "$want" ]] || fail "$g reported restored, but holds $got (want $want)" ;;
	not-applied) [[ $got == 0 ]] || fail "$g reported not applied, but holds $got" ;;
	esac
done <"$work/actions"
ok "after the broker came back, the groups hold what the report said"

"$HIVESNAP" restore "$work/a.tar.zst" -p "$work/p.yaml" --execute >"$work/r2.out" 2>"$work/r2.err" ||
	fail "second restore: $(tail -3 "$work/r2.err")"
for i in $(seq -w 1 $G); do
	got=$("$KT" committed "hs-fault-g$i" hs.fault 0)
	[[ $got == "$((10#$i))" ]] || fail "after the second restore hs-fault-g$i holds $got, want $((10#$i))"
done
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/b.tar.zst" --quiet 2>"$work/err" || fail "snapshot: $(cat "$work/err")"
"$HIVESNAP" diff "$work/a.tar.zst" "$work/b.tar.zst" --only kafka >"$work/diff.out" 2>&1 ||
	fail "restored offsets differ from the archive: $(head -20 "$work/diff.out")"
ok "the same restore again: all $G groups at their archived offsets, a new snapshot diffs equal"

# 2. capture: the broker killed while hivesnap waits on it
rport=$(free_port)
"$srv" --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
rpid=$!
for _ in $(seq 50); do [[ $("$rcli" -p "$rport" ping 2>/dev/null) == PONG ]] && break; sleep 0.1; done
"$rcli" -p "$rport" set hs:one 1 >/dev/null
cat >>"$work/p.yaml" <<EOF
redis:
  uri: redis://127.0.0.1:$rport/0
  dbs:
    - db: 0
      patterns: ["hs:*"]
EOF
kill_capture() { # NAME FLAGS...: the broker stopped (SIGSTOP) before, killed once kafka's capture started
	kill -STOP -- "-$kpid"
	"$HIVESNAP" snapshot -p "$work/p.yaml" --log-level info "${@:2}" >"$work/$1.out" 2>"$work/$1.err" &
	local spid=$!
	for _ in $(seq 400); do
		grep -q 'source=kafka msg="capture started"' "$work/$1.err" 2>/dev/null && break
		sleep 0.025
	done
	grep -q 'source=kafka msg="capture started"' "$work/$1.err" || fail "kafka capture never started"
	sleep 0.5
	stop9
	set +e
	wait $spid
	rc=$?
	set -e
}
mkdir "$work/o1"
kill_capture c1 --only kafka --output-dir "$work/o1"
[[ $rc == 3 ]] || fail "capture with the broker killed: exit $rc, want 3: $(tail -3 "$work/c1.err")"
[[ -z $(ls -A "$work/o1") ]] || fail "files left in the output folder: $(ls -A "$work/o1")"
grep -q "kafka" "$work/c1.err" || fail "the error does not name kafka"
ok "broker killed mid-capture: exit 3, nothing written: $(tail -1 "$work/c1.err")"
start
kill_capture c2 --allow-partial -o "$work/p.tar.zst"
[[ $rc == 2 ]] || fail "capture with the broker killed, --allow-partial: exit $rc, want 2: $(tail -3 "$work/c2.err")"
m=$("$HIVESNAP" cat "$work/p.tar.zst" manifest.json)
[[ $(jq -r .sources.kafka.status <<<"$m") == failed ]] || fail "kafka not failed: $(jq -c .sources.kafka <<<"$m")"
[[ $(jq -r .sources.redis.status <<<"$m") == ok ]] || fail "redis not ok"
jq -e '.sources.kafka.error | length > 0' <<<"$m" >/dev/null || fail "no kafka error in the manifest"
"$HIVESNAP" verify "$work/p.tar.zst" >/dev/null || fail "the partial archive does not verify"
ok "with --allow-partial: exit 2, kafka failed ($(jq -r .sources.kafka.error <<<"$m")), redis ok"
echo PASS
