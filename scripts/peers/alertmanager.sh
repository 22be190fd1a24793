#!/usr/bin/env bash
# alertmanager.sh build|start|stop|status|env - Alertmanager (Debian package
# prometheus-alertmanager) on 127.0.0.1:19095, cluster listener off, one
# null receiver; the prometheus peer sends its FlowC* alerts here. See lib.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=alertmanager
port=$(peer_port 19095)

version() {
	command -v prometheus-alertmanager >/dev/null || { echo none; return; }
	prometheus-alertmanager --version 2>&1 | sed -n '1s/^alertmanager, version \([^ ]*\).*/\1/p'
}

build_fn() {
	command -v prometheus-alertmanager >/dev/null ||
		{ echo "prometheus-alertmanager not found (apt-get install prometheus-alertmanager)"; return 1; }
	ln -sf "$(command -v prometheus-alertmanager)" "$1/alertmanager"
}

case ${1:-} in
build)
	cached_build "$name" "$(version)" build_fn
	;;
start)
	cached_build "$name" "$(version)" build_fn
	dir=$(peer_dir "$name")
	if peer_running "$name"; then
		log "$name" "already running on port $port"
		exit 0
	fi
	require_free_port "$name" "$port"
	cat >"$dir/alertmanager.yml" <<'EOC'
# written by scripts/peers/alertmanager.sh
route:
  receiver: "null"
  group_by: [alertname]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: "null"
EOC
	start_daemon "$name" "$PEERS_CACHE/$name-$(version)/alertmanager" --config.file="$dir/alertmanager.yml" \
		--storage.path="$dir/data" --web.listen-address="127.0.0.1:$port" --cluster.listen-address=
	wait_http "$name" "http://127.0.0.1:$port/-/ready" 30
	log "$name" "up on 127.0.0.1:$port"
	;;
stop)
	stop_daemon "$name"
	;;
status)
	status_line "$name" "$port"
	;;
env)
	echo "export HIVESNAP_ALERTMANAGER_URL=http://127.0.0.1:$port"
	;;
*)
	echo "usage: $0 build|start|stop|status|env" >&2
	exit 2
	;;
esac
