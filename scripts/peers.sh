#!/usr/bin/env bash
# peers.sh - real servers on loopback for hivesnap's integration tests and demo.
#
# Usage:
#   scripts/peers.sh start  [PEER...]   build once (cached) and start; already running = ok
#   scripts/peers.sh stop   [PEER...]   stop; then verify no peer process and no port is left
#   scripts/peers.sh status [PEER...]   one line per peer; exit 0 only if all are running
#   scripts/peers.sh env    [PEER...]   sourceable export lines: eval "$(scripts/peers.sh env)"
#   scripts/peers.sh seed [--scale small|medium|large] [PEER...] [-- HS_SEED_ARGS...]
#                                       load the deterministic Flow C data set (hs_seed)
#   scripts/peers.sh build  [PEER...]   build only
#
# PEER is one of: redis ferretdb kafka prometheus alertmanager tools (the default list, in
# this order) and k8s when scripts/peers/k8s.sh exists. Each is scripts/peers/<name>.sh
# taking build|start|stop|status|env; shared helpers are in scripts/peers/lib.sh.
#
# Ports (127.0.0.1): redis 16379, ferretdb (MongoDB wire) 27117, kafka 19092 + controller
# 19094, prometheus 19090, Flow C metrics exporter 19100, alertmanager 19095; k8s: etcd
# 24379 + peer 24380, kube-apiserver 26443, kwok 26250 (no two ports differ by a multiple of
# 1000 below 8000, so shifted sets of peers do not collide with each other).
#
# Environment:
#   HIVESNAP_PEERS_CACHE   built peers, one folder per pinned version (~/.cache/hivesnap-peers)
#   HIVESNAP_PEERS_RUN     pid files, logs, configs, data; PEERS_BIN=<run>/bin (/tmp/hivesnap-peers)
#   HIVESNAP_PEERS_PORT_OFFSET  added to every port (default 0), for a second set of peers
#   HIVESNAP_PEERS_TIMEOUT seconds to wait for each peer to answer, instead of its own default
#   HS_TOOLS               where `seed` finds hs_seed (default build/tests); when missing
#                          there, `seed` builds it with cmake into build/
#
# A port in use, a failed build or a peer not up in time: one line naming the peer and its
# log file, exit 1, and the peers this command was starting are stopped again.
# See docs/peers.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peers_dir=$root/scripts/peers
. "$peers_dir/lib.sh"

default_peers=(redis ferretdb kafka prometheus alertmanager tools)
[[ -f $peers_dir/k8s.sh ]] && default_peers+=(k8s)

usage() {
	sed -n '3,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# The fixed ports of a peer (for stop's check that nothing is left listening).
ports_of() {
	case $1 in
	redis) peer_port 16379 ;;
	ferretdb) peer_port 27117 ;;
	kafka) echo "$(peer_port 19092) $(peer_port 19094)" ;;
	prometheus) echo "$(peer_port 19090) $(peer_port 19100)" ;;
	alertmanager) peer_port 19095 ;;
	k8s) echo "$(peer_port 24379) $(peer_port 24380) $(peer_port 26443) $(peer_port 26250)" ;;
	*) echo "" ;;
	esac
}

run_peer() {
	bash "$peers_dir/$1.sh" "$2"
}

cmd=${1:-}
[[ -n $cmd ]] || usage
shift
scale=small
peers=()
seed_args=()
while (($#)); do
	case $1 in
	--scale)
		[[ $# -ge 2 ]] || { echo "peers: --scale needs small, medium or large" >&2; exit 2; }
		scale=$2
		shift 2
		;;
	--scale=*)
		scale=${1#--scale=}
		shift
		;;
	--)
		shift
		seed_args=("$@")
		break
		;;
	-h | --help) usage ;;
	-*)
		echo "peers: unknown option '$1'" >&2
		exit 2
		;;
	*)
		[[ -f $peers_dir/$1.sh && $1 != lib ]] || { echo "peers: unknown peer '$1' (known: ${default_peers[*]})" >&2; exit 2; }
		peers+=("$1")
		shift
		;;
	esac
done
((${#peers[@]})) || peers=("${default_peers[@]}")

# Stop the given peers in reverse order; then check no pid and no port is left.
stop_peers() {
	local i p port rc=0 left
	for ((i = ${#@}; i >= 1; i--)); do
		p=${!i}
		run_peer "$p" stop || { echo "peers: $p: stop failed (log: $(peer_log "$p"))" >&2; rc=1; }
	done
	for p in "$@"; do
		if run_peer "$p" status >/dev/null 2>&1 && [[ $p != tools ]]; then
			echo "peers: $p: still running after stop (log: $(peer_log "$p"))" >&2
			rc=1
		fi
		for port in $(ports_of "$p"); do
			left=0
			for ((i = 0; i < 50; i++)); do
				port_open "$port" || { left=1; break; }
				sleep 0.1
			done
			if ((!left)); then
				echo "peers: $p: port $port still open after stop" >&2
				rc=1
			fi
		done
	done
	return $rc
}

case $cmd in
start)
	started=()
	on_fail() {
		trap - EXIT INT TERM
		echo "peers: start failed; stopping ${started[*]}" >&2
		stop_peers "${started[@]}" >/dev/null 2>&1 || true
		exit 1
	}
	trap on_fail INT TERM
	t0=$SECONDS
	for p in "${peers[@]}"; do
		started+=("$p")
		t=$SECONDS
		run_peer "$p" start || on_fail
		log "$p" "ready ($((SECONDS - t))s)"
	done
	trap - INT TERM
	echo "peers: started ${peers[*]} in $((SECONDS - t0))s (run folder $PEERS_RUN)" >&2
	;;
stop)
	stop_peers "${peers[@]}"
	echo "peers: stopped ${peers[*]}" >&2
	;;
status)
	rc=0
	for p in "${peers[@]}"; do
		run_peer "$p" status || rc=1
	done
	exit $rc
	;;
env)
	echo "export PEERS_BIN=$PEERS_BIN"
	echo "export HIVESNAP_PEERS_RUN=$PEERS_RUN"
	echo "export HIVESNAP_PEERS_CACHE=$PEERS_CACHE"
	echo "export HIVESNAP_PEERS_PORT_OFFSET=$PEERS_PORT_OFFSET"
	for p in "${peers[@]}"; do
		run_peer "$p" env
	done
	;;
build)
	for p in "${peers[@]}"; do
		run_peer "$p" build
	done
	;;
seed)
	case $scale in
	small | medium | large) ;;
	*) echo "peers: --scale must be small, medium or large, not '$scale'" >&2; exit 2 ;;
	esac
	only=()
	for p in "${peers[@]}"; do
		case $p in
		ferretdb) only+=(mongo) ;;
		redis) only+=(redis) ;;
		kafka) only+=(kafka) ;;
		esac
	done
	# The Kubernetes peer starts empty (fresh etcd): its Flow C objects come
	# from the fixture script, applied here like the other peers' data.
	for p in "${peers[@]}"; do
		if [[ $p == k8s ]] && run_peer k8s status >/dev/null 2>&1; then
			t=$SECONDS
			(eval "$(run_peer k8s env)"; bash "$root/tests/fixtures/k8s/flowc.sh") >"$PEERS_RUN/k8s-seed.log" 2>&1 ||
				die seed "$PEERS_RUN/k8s-seed.log" "applying the Flow C Kubernetes fixture failed"
			log seed "applied the Flow C Kubernetes fixture in $((SECONDS - t))s"
		fi
	done
	((${#only[@]})) || exit 0
	seeder=${HS_TOOLS:-$root/build/tests}/hs_seed
	if [[ ! -x $seeder ]]; then
		log seed "no $seeder; building hs_seed into $root/build"
		blog=$root/build/hs_seed.build.log
		mkdir -p "$root/build"
		{ cmake -S "$root" -B "$root/build" -G Ninja && cmake --build "$root/build" --target hs_seed -j 2; } >"$blog" 2>&1 ||
			die seed "$blog" "building hs_seed failed"
		seeder=$root/build/tests/hs_seed
	fi
	eval "$(for p in ferretdb redis kafka; do run_peer "$p" env; done)"
	oldifs=$IFS
	IFS=,
	only_list="${only[*]}"
	IFS=$oldifs
	t=$SECONDS
	"$seeder" --scale "$scale" --mongo "$HIVESNAP_MONGO_URI" --redis "$HIVESNAP_REDIS_URI" \
		--kafka "$HIVESNAP_KAFKA_BROKERS" --only "$only_list" ${seed_args[@]+"${seed_args[@]}"} ||
		{ echo "peers: seed: hs_seed --scale $scale failed" >&2; exit 1; }
	log seed "seeded $only_list at scale $scale in $((SECONDS - t))s"
	;;
*)
	usage
	;;
esac
