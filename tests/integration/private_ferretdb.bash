# private_ferretdb.bash - a FerretDB of the test's own: the peer binary that
# `scripts/peers.sh start` caches, SQLite backend, on a port and in a folder of
# its own (the shared peer is never touched).  Sourced (not run) by a test
# that has defined fail() and has HS_TOOLS:
#
#   private_ferretdb_init   ferretdb: the cached binary (or fail); T: hs_mongo_tool;
#                           work=$(mktemp -d); an EXIT trap that runs the test's
#                           private_ferretdb_on_exit (if it defines one), then
#                           kills the server and removes $work
#   port_free PORT          true when nobody answers on PORT
#   pick_port               a random free port in 30000..49999
#   start_ferretdb [ARG...] start it on $port with ARG... (e.g. auth options),
#                           data in $work/fdb (kept across restarts), log appended
#                           to $work/fdb/log; wait until it answers a command;
#                           fpid: its pid
#   stop9                   kill -9 the server and reap it

private_ferretdb_init() {
	local cache=${PEERS_CACHE:-${HIVESNAP_PEERS_CACHE:-$HOME/.cache/hivesnap-peers}}
	ferretdb=$(ls -d "$cache"/ferretdb-*/ferretdb 2>/dev/null | head -1)
	[[ -x $ferretdb ]] || fail "no cached FerretDB binary under $cache: run scripts/peers.sh start ferretdb once"
	T=${HS_TOOLS:?}/hs_mongo_tool
	work=$(mktemp -d)
	fpid=
	trap private_ferretdb_cleanup EXIT
}

private_ferretdb_cleanup() {
	if declare -F private_ferretdb_on_exit >/dev/null; then private_ferretdb_on_exit || true; fi
	[[ -z $fpid ]] || stop9
	rm -rf "$work"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
	local p
	for _ in $(seq 50); do
		p=$((30000 + RANDOM % 20000))
		port_free $p && { echo $p; return; }
	done
	fail "no free port"
}

start_ferretdb() {
	mkdir -p "$work/fdb/data" "$work/fdb/state"
	"$ferretdb" "$@" --handler=sqlite --sqlite-url="file:$work/fdb/data/" --listen-addr="127.0.0.1:$port" \
		--state-dir="$work/fdb/state" --debug-addr=- --telemetry=disable --log-level=error \
		>>"$work/fdb/log" 2>&1 &
	fpid=$!
	# answering a command, not only an open port (hello needs no login)
	for _ in $(seq 100); do
		"$T" cmd "mongodb://127.0.0.1:$port/?connectTimeoutMS=1000&serverSelectionTimeoutMS=1000" admin '{"hello":1}' >/dev/null 2>&1 && return 0
		kill -0 "$fpid" 2>/dev/null || break
		sleep 0.1
	done
	fail "private FerretDB did not start on port $port: $(tail -5 "$work/fdb/log")"
}

stop9() {
	kill -9 "$fpid" 2>/dev/null || true
	wait "$fpid" 2>/dev/null || true
	fpid=
}
