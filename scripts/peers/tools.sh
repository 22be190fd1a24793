#!/usr/bin/env bash
# tools.sh build|start|stop|status|env - the client tools users compare hivesnap
# with, built from the Go module proxy with CGO_ENABLED=0 inside the wrapper
# modules under scripts/peers/tools/: mongodump, mongorestore and bsondump (MongoDB
# Database Tools; the 100.x tags resolve only as pseudo-versions, the pinned
# one is in tools/mongo-tools/go.mod) and redis-dump-go. No process: `start`
# links them into PEERS_BIN. See lib.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=tools
# pinned versions, as in the wrapper modules' go.mod files
mongo_tools_version=v0.0.0-20250715155915-887641268977
redis_dump_version=v0.8.2
# rev: bumped when the set of tools built changes, so a cached build without one is redone
# (2: bsondump, which tests/cli/bson_types_bsondump.sh runs on the BSON types fixture)
rev=2
version=mt-${mongo_tools_version##*-}-rdg-$redis_dump_version-r$rev
dest=$PEERS_CACHE/$name-$version
tools=(mongodump mongorestore bsondump redis-dump-go)

build_fn() {
	go_env || { echo "go not found (install Go, see docs/peers.md)"; return 1; }
	cd "$PEERS_SRC/tools/mongo-tools"
	go build -o "$1/mongodump" github.com/mongodb/mongo-tools/mongodump/main
	go build -o "$1/mongorestore" github.com/mongodb/mongo-tools/mongorestore/main
	go build -o "$1/bsondump" github.com/mongodb/mongo-tools/bsondump/main
	cd "$PEERS_SRC/tools/redis-dump-go"
	go build -o "$1/redis-dump-go" github.com/yannh/redis-dump-go
	"$1/mongodump" --version
}

case ${1:-} in
build)
	cached_build "$name" "$version" build_fn
	;;
start)
	cached_build "$name" "$version" build_fn
	mkdir -p "$PEERS_BIN"
	for t in "${tools[@]}"; do
		ln -sf "$dest/$t" "$PEERS_BIN/$t"
	done
	;;
stop) ;;
status)
	for t in "${tools[@]}"; do
		if [[ ! -x $PEERS_BIN/$t ]]; then
			echo "$name: not installed in $PEERS_BIN"
			exit 1
		fi
	done
	echo "$name: installed in $PEERS_BIN (${tools[*]})"
	;;
env) ;;
*)
	echo "usage: $0 build|start|stop|status|env" >&2
	exit 2
	;;
esac
