# private_redis.bash - a redis-server of the test's own, on a port nobody
# answers on: never the shared peer, and other tests start private servers
# too, so each test scans its own range.  Sourced (not run) by a test that
# has defined fail():
#
#   private_redis_init BASE    srv/rcli (PEERS_BIN, else PATH); port: the first
#                              port of BASE..BASE+99 (shifted by
#                              HIVESNAP_PEERS_PORT_OFFSET) nobody answers on;
#                              work=$(mktemp -d); an EXIT trap that runs the
#                              test's private_redis_on_exit (if it defines one),
#                              then kills the server (continued first, in case
#                              it was stopped) and removes $work
#   private_redis_start [ARG...]  start redis-server --port ... --save '' ARG...
#                              (log appended to $work/redis.log), wait until it
#                              answers PONG; pid: its pid
#   cli ARG...                 redis-cli -p $port ARG...

private_redis_init() {
	local base=$(($1 + ${HIVESNAP_PEERS_PORT_OFFSET:-0})) p
	srv=redis-server rcli=redis-cli
	if [[ -n ${PEERS_BIN:-} && -x $PEERS_BIN/redis-server ]]; then
		srv=$PEERS_BIN/redis-server rcli=$PEERS_BIN/redis-cli
	fi
	command -v "$srv" >/dev/null || fail "no redis-server (PEERS_BIN or PATH)"
	port=
	for p in $(seq "$base" $((base + 99))); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
	done
	[[ -n $port ]] || fail "no free port for a private redis-server in $base..$((base + 99))"
	work=$(mktemp -d)
	pid=
	trap private_redis_cleanup EXIT
}

private_redis_cleanup() {
	if declare -F private_redis_on_exit >/dev/null; then private_redis_on_exit || true; fi
	if [[ -n $pid ]]; then
		kill -CONT "$pid" 2>/dev/null || true
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}

cli() { "$rcli" -p "$port" "$@"; }

private_redis_start() {
	"$srv" --port "$port" --bind 127.0.0.1 --save '' --dir "$work" --daemonize no "$@" \
		>>"$work/redis.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do [[ $(cli ping 2>/dev/null) == PONG ]] && break; sleep 0.1; done
	[[ $(cli ping 2>/dev/null) == PONG ]] ||
		fail "private redis on $port did not start: $(tail -5 "$work/redis.log")"
	kill -0 "$pid" 2>/dev/null || fail "port $port answers, but not our redis-server ($(tail -5 "$work/redis.log"))"
}
