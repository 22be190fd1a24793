#!/usr/bin/env bash
# kafka.sh build|start|stop|status|env - the Apache Kafka peer: a single-node
# KRaft broker+controller (broker 127.0.0.1:19092, controller 19094) run from
# the Maven Central jars that `mvn dependency:copy-dependencies` copies from
# scripts/peers/kafka/pom.xml into PEERS_CACHE/kafka-<version>/lib. Kafka 4.x
# logs through log4j2, configured with a .properties file. `start` also writes
# PEERS_BIN/kafka-consumer-groups (ConsumerGroupCommand from kafka-tools).
# See lib.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=kafka
version=4.1.1
port=$(peer_port 19092)
cport=$(peer_port 19094)
home=$PEERS_CACHE/$name-$version

build_fn() {
	command -v java >/dev/null || { echo "java not found (apt-get install openjdk-17-jre-headless)"; return 1; }
	command -v mvn >/dev/null || { echo "mvn not found (apt-get install maven)"; return 1; }
	mvn -B -q -f "$PEERS_SRC/kafka/pom.xml" -Dkafka.version="$version" \
		dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$1/lib"
	ls "$1/lib/kafka_2.13-$version.jar" "$1/lib/kafka-tools-$version.jar"
	# the server logs INFO to its log file, the CLI tools only warnings
	cat >"$1/log4j2.properties" <<'EOP'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.kafka.name = kafka
logger.kafka.level = info
logger.state.name = state.change.logger
logger.state.level = warn
EOP
	cat >"$1/log4j2-tools.properties" <<'EOP'
status = error
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = ERR
EOP
}

write_cli() {
	mkdir -p "$PEERS_BIN"
	cat >"$PEERS_BIN/kafka-consumer-groups" <<EOW
#!/bin/sh
# kafka-consumer-groups from the Kafka $version jars in $home (written by scripts/peers/kafka.sh)
exec java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$home/log4j2-tools.properties" \\
	-cp "$home/lib/*" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "\$@"
EOW
	chmod +x "$PEERS_BIN/kafka-consumer-groups"
}

write_config() {
	local dir=$1
	cat >"$dir/server.properties" <<EOC
# written by scripts/peers/kafka.sh: single-node KRaft for tests
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOC
}

case ${1:-} in
build)
	cached_build "$name" "$version" build_fn
	;;
start)
	cached_build "$name" "$version" build_fn
	dir=$(peer_dir "$name")
	write_cli
	if peer_running "$name"; then
		log "$name" "already running on port $port"
		exit 0
	fi
	require_free_port "$name" "$port"
	require_free_port "$name" "$cport"
	write_config "$dir"
	if [[ ! -f $dir/data/meta.properties ]]; then
		# A cluster id starting with '-' is read as an option by StorageTool (Kafka's own
		# Uuid.randomUuid() never makes one): draw again, as it does (1 in 64 starts failed).
		id=$(python3 -c 'import base64,uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):
        print(s)
        break')
		java -Xmx256m -Dlog4j2.configurationFile="$home/log4j2-tools.properties" -cp "$home/lib/*" \
			kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" >>"$(peer_log "$name")" 2>&1 ||
			die "$name" "$(peer_log "$name")" "formatting the KRaft storage failed"
	fi
	start_daemon "$name" java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$home/log4j2.properties" -cp "$home/lib/*" \
		kafka.Kafka "$dir/server.properties"
	wait_port "$name" "$port" 180
	for ((i = 0; i < 600; i++)); do
		grep -q "Kafka Server started" "$(peer_log "$name")" && break
		peer_running "$name" || die "$name" "$(peer_log "$name")" "exited while starting"
		sleep 0.2
	done
	grep -q "Kafka Server started" "$(peer_log "$name")" || die "$name" "$(peer_log "$name")" "not started within 120s after opening its port"
	log "$name" "up on 127.0.0.1:$port (controller $cport)"
	;;
stop)
	stop_daemon "$name" 30
	;;
status)
	status_line "$name" "$port" "$cport"
	;;
env)
	echo "export HIVESNAP_KAFKA_BROKERS=127.0.0.1:$port"
	;;
*)
	echo "usage: $0 build|start|stop|status|env" >&2
	exit 2
	;;
esac
