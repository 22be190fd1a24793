#!/usr/bin/env bash
# redis.sh build|start|stop|status|env - the Redis 7.0 peer (Debian redis-server)
# on 127.0.0.1:16379, no persistence, data in PEERS_RUN/redis. See lib.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=redis
port=$(peer_port 16379)

# Debian's redis-server is the build: pin its major.minor and link it into the cache.
version() {
	local v
	command -v redis-server >/dev/null || { echo none; return; }
	v=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
	echo "${v:-unknown}"
}

build_fn() {
	local v
	v=$(version)
	[[ $v == 7.0.* ]] || { echo "need Debian redis-server 7.0.x, found $v (apt-get install redis-server)"; return 1; }
	ln -sf "$(command -v redis-server)" "$1/redis-server"
	ln -sf "$(command -v redis-cli)" "$1/redis-cli"
}

case ${1:-} in
build)
	cached_build "$name" "$(version)" build_fn
	;;
start)
	cached_build "$name" "$(version)" build_fn
	dir=$(peer_dir "$name")
	mkdir -p "$PEERS_BIN"
	ln -sf "$PEERS_CACHE/$name-$(version)/redis-cli" "$PEERS_BIN/redis-cli"
	if peer_running "$name"; then
		log "$name" "already running on port $port"
		exit 0
	fi
	require_free_port "$name" "$port"
	start_daemon "$name" "$PEERS_CACHE/$name-$(version)/redis-server" \
		--bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$dir" \
		--daemonize no --protected-mode yes --logfile ""
	wait_port "$name" "$port" 30
	redis-cli -p "$port" ping >/dev/null 2>&1 || die "$name" "$(peer_log "$name")" "does not answer PING on port $port"
	log "$name" "up on 127.0.0.1:$port"
	;;
stop)
	stop_daemon "$name"
	;;
status)
	status_line "$name" "$port"
	;;
env)
	echo "export HIVESNAP_REDIS_URI=redis://127.0.0.1:$port/0"
	;;
*)
	echo "usage: $0 build|start|stop|status|env" >&2
	exit 2
	;;
esac
