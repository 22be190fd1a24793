#!/usr/bin/env bash
# ferretdb.sh build|start|stop|status|env - the MongoDB wire-protocol peer:
# FerretDB v1.24.2 with the SQLite backend on 127.0.0.1:27117, built from the
# Go module proxy. The wrapper module scripts/peers/ferretdb pins the version
# and its dependencies (go.sum); the build copies FerretDB's module source out
# of the module cache, writes the build/version/version.txt that the module
# zip lacks (without it the binary panics at start, whether built by
# `go install` or from a dependent module) and builds cmd/ferretdb. See lib.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=ferretdb
version=v1.24.2
port=$(peer_port 27117)
bin=$PEERS_CACHE/$name-$version/ferretdb

build_fn() {
	go_env || { echo "go not found (install Go, see docs/peers.md)"; return 1; }
	local moddir
	cd "$PEERS_SRC/ferretdb"
	go mod download github.com/FerretDB/FerretDB
	moddir=$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)
	cp -r "$moddir" "$1/src"
	chmod -R u+w "$1/src"
	echo "$version" >"$1/src/build/version/version.txt"
	cd "$1/src"
	go build -o "$1/ferretdb" ./cmd/ferretdb
	rm -rf "$1/src"
	"$1/ferretdb" --version
}

case ${1:-} in
build)
	cached_build "$name" "$version" build_fn
	;;
start)
	cached_build "$name" "$version" build_fn
	dir=$(peer_dir "$name")
	if peer_running "$name"; then
		log "$name" "already running on port $port"
		exit 0
	fi
	require_free_port "$name" "$port"
	mkdir -p "$dir/data" "$dir/state"
	start_daemon "$name" "$bin" --handler=sqlite --sqlite-url="file:$dir/data/" \
		--listen-addr="127.0.0.1:$port" --state-dir="$dir/state" \
		--debug-addr=- --telemetry=disable --log-level=warn
	wait_port "$name" "$port" 120
	log "$name" "up on 127.0.0.1:$port"
	;;
stop)
	stop_daemon "$name"
	;;
status)
	status_line "$name" "$port"
	;;
env)
	echo "export HIVESNAP_MONGO_URI=mongodb://127.0.0.1:$port/"
	;;
*)
	echo "usage: $0 build|start|stop|status|env" >&2
	exit 2
	;;
esac
