# shellcheck shell=bash
# lib.sh - helpers shared by the peer scripts (scripts/peers/<name>.sh).
#
# Source it from a peer script:  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Sourcing sets (and exports) these variables:
#   PEERS_CACHE   built peers, one folder per pinned version: PEERS_CACHE/<name>-<version>/
#                 (default ${HIVESNAP_PEERS_CACHE:-$HOME/.cache/hivesnap-peers})
#   PEERS_RUN     run state: PEERS_RUN/<name>/ holds the peer's pid file, log, config, data
#                 (default ${HIVESNAP_PEERS_RUN:-/tmp/hivesnap-peers})
#   PEERS_BIN     PEERS_RUN/bin: client tools (mongodump, redis-cli, kafka-consumer-groups, ...)
#   PEERS_SRC     the folder holding lib.sh (scripts/peers)
#   PEERS_PORT_OFFSET  ${HIVESNAP_PEERS_PORT_OFFSET:-0}, added to every port
#
# Functions (names are stable: other peer scripts, e.g. k8s.sh, use them):
#   peer_port BASE                 print BASE + PEERS_PORT_OFFSET
#   peer_dir NAME                  print (and create) PEERS_RUN/NAME
#   peer_log NAME                  print the peer's log file path, PEERS_RUN/NAME/NAME.log
#   log NAME MESSAGE...            "peers: NAME: MESSAGE" on stderr
#   die NAME LOGFILE MESSAGE...    "peers: NAME: MESSAGE (log: LOGFILE)" on stderr, exit 1
#   port_open PORT                 true if something accepts TCP on 127.0.0.1:PORT
#   require_free_port NAME PORT    die if PORT is already taken (by anything)
#   wait_port NAME PORT TIMEOUT    wait until PORT accepts; die on timeout or if the
#                                  peer's process (pid file) exited meanwhile
#   wait_http NAME URL TIMEOUT     same, until URL answers 2xx (curl)
#   pid_file NAME                  print PEERS_RUN/NAME/NAME.pid
#   peer_pid NAME                  print the pid if the pid file names a live process
#   peer_running NAME              true if peer_pid finds a live process
#   start_daemon NAME CMD...       run CMD in its own session, output to peer_log, pid file
#   stop_daemon NAME [TIMEOUT]     TERM the peer's process group, KILL after TIMEOUT (10s),
#                                  remove the pid file
#   cached_build NAME VERSION FN   if PEERS_CACHE/NAME-VERSION/.built is missing, run FN
#                                  DEST with DEST the (fresh) cache folder, logging
#                                  "building NAME VERSION" and how long it took; on failure
#                                  die with the build log (PEERS_CACHE/NAME-VERSION.build.log)
#   status_line NAME PORT...       print "NAME: running (pid P, port ...)" or "NAME: stopped";
#                                  returns 0 when running
#   go_env                         put Go on PATH and set the Go build settings

PEERS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS_CACHE=${PEERS_CACHE:-${HIVESNAP_PEERS_CACHE:-$HOME/.cache/hivesnap-peers}}
PEERS_RUN=${PEERS_RUN:-${HIVESNAP_PEERS_RUN:-/tmp/hivesnap-peers}}
PEERS_BIN=$PEERS_RUN/bin
PEERS_PORT_OFFSET=${HIVESNAP_PEERS_PORT_OFFSET:-0}
export PEERS_SRC PEERS_CACHE PEERS_RUN PEERS_BIN PEERS_PORT_OFFSET

peer_port() {
	echo $(($1 + PEERS_PORT_OFFSET))
}

peer_dir() {
	mkdir -p "$PEERS_RUN/$1"
	echo "$PEERS_RUN/$1"
}

peer_log() {
	echo "$PEERS_RUN/$1/$1.log"
}

log() {
	local name=$1
	shift
	echo "peers: $name: $*" >&2
}

die() {
	local name=$1 logfile=$2
	shift 2
	echo "peers: $name: $* (log: $logfile)" >&2
	exit 1
}

port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

require_free_port() {
	if port_open "$2"; then
		die "$1" "$(peer_log "$1")" "port $2 is already in use by another process"
	fi
}

pid_file() {
	echo "$PEERS_RUN/$1/$1.pid"
}

peer_pid() {
	local f pid
	f=$(pid_file "$1")
	[[ -f $f ]] || return 1
	pid=$(<"$f")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

peer_running() {
	peer_pid "$1" >/dev/null
}

wait_port() {
	local name=$1 port=$2 timeout=${HIVESNAP_PEERS_TIMEOUT:-$3} i
	for ((i = 0; i < timeout * 5; i++)); do
		port_open "$port" && return 0
		peer_running "$name" || die "$name" "$(peer_log "$name")" "exited before answering on port $port"
		sleep 0.2
	done
	die "$name" "$(peer_log "$name")" "not up on port $port within ${timeout}s"
}

wait_http() {
	local name=$1 url=$2 timeout=${HIVESNAP_PEERS_TIMEOUT:-$3} i
	for ((i = 0; i < timeout * 5; i++)); do
		curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
		peer_running "$name" || die "$name" "$(peer_log "$name")" "exited before answering $url"
		sleep 0.2
	done
	die "$name" "$(peer_log "$name")" "$url did not answer within ${timeout}s"
}

start_daemon() {
	local name=$1 logfile
	shift
	peer_dir "$name" >/dev/null
	logfile=$(peer_log "$name")
	{ echo "--- $(date -u +%FT%TZ) start: $*"; } >>"$logfile"
	setsid "$@" >>"$logfile" 2>&1 </dev/null &
	echo $! >"$(pid_file "$name")"
}

stop_daemon() {
	local name=$1 timeout=${2:-10} pid i
	if pid=$(peer_pid "$name"); then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < timeout * 10; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "$name" "did not stop within ${timeout}s, killing pid $pid"
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
			sleep 0.2
		fi
	fi
	rm -f "$(pid_file "$name")"
}

cached_build() {
	local name=$1 version=$2 fn=$3 dest start rc buildlog
	dest=$PEERS_CACHE/$name-$version
	[[ -f $dest/.built ]] && return 0
	buildlog=$PEERS_CACHE/$name-$version.build.log
	mkdir -p "$PEERS_CACHE"
	rm -rf "$dest"
	mkdir -p "$dest"
	log "$name" "building $name $version into $dest"
	start=$SECONDS
	rc=0
	# run in the background and wait: in a `|| rc=$?` list bash would ignore set -e
	# inside the function and a failing step would not fail the build
	("$fn" "$dest") >"$buildlog" 2>&1 &
	wait $! || rc=$?
	if ((rc != 0)); then
		rm -rf "$dest"
		die "$name" "$buildlog" "building $name $version failed (exit $rc)"
	fi
	date -u +%FT%TZ >"$dest/.built"
	log "$name" "built $name $version in $((SECONDS - start))s"
}

status_line() {
	local name=$1 pid
	shift
	if pid=$(peer_pid "$name"); then
		echo "$name: running (pid $pid, port $*)"
		return 0
	fi
	echo "$name: stopped"
	return 1
}

go_env() {
	[[ -x /usr/local/go/bin/go ]] && PATH=/usr/local/go/bin:$PATH
	export PATH CGO_ENABLED=0 GOFLAGS=-mod=readonly
	command -v go >/dev/null || return 1
}
