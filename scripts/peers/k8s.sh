#!/usr/bin/env bash
# k8s.sh build|start|stop|status|env - the Kubernetes peer: a real kube-apiserver
# v1.34.4 on https://127.0.0.1:26443 (RBAC on, client-certificate auth) backed by
# etcd v3.6.14 on 127.0.0.1:24379 (peer 24380), plus kwok v0.8.0 playing the
# kubelet of fake Nodes (annotation kwok.x-k8s.io/node=fake) on 127.0.0.1:26250,
# so that pods/log through the apiserver serves known lines. No controller-manager
# and no scheduler run: tests create ReplicaSets and set spec.nodeName themselves.
#
# build   go build the four binaries into PEERS_CACHE/k8s-v1.34.4/bin, each only
#         when missing (wrapper modules in scripts/peers/k8s/{etcd,kubernetes,kwok}
#         pin every dependency in go.sum); a kwok build failure is a warning only.
# start   build if needed; CA, certificates and service-account keys (openssl) and
#         a kubeconfig in PEERS_RUN/k8s; a fresh etcd data folder; apiserver up
#         until /readyz answers; kwok (if built) with its Logs/ClusterLogs CRDs.
# stop    everything down, checks that no port is left open.
# status  one line; exit 0 only when etcd and the apiserver (and kwok, if built) run.
# env     export KUBECONFIG, HIVESNAP_K8S_BIN (kubectl), HIVESNAP_K8S_RUN.
#
# Ports move with HIVESNAP_PEERS_PORT_OFFSET. See docs/peers-k8s.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# lib.sh (shared helpers) when present; this script also works on its own.
if [[ -f $here/lib.sh ]]; then
	# shellcheck source=lib.sh
	. "$here/lib.sh"
fi
PEERS_CACHE=${PEERS_CACHE:-${HIVESNAP_PEERS_CACHE:-$HOME/.cache/hivesnap-peers}}
PEERS_RUN=${PEERS_RUN:-${HIVESNAP_PEERS_RUN:-/tmp/hivesnap-peers}}
PEERS_PORT_OFFSET=${PEERS_PORT_OFFSET:-${HIVESNAP_PEERS_PORT_OFFSET:-0}}
declare -F log >/dev/null || log() {
	local n=$1
	shift
	echo "peers: $n: $*" >&2
}
declare -F port_open >/dev/null || port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

name=k8s
k8s_version=v1.34.4
etcd_version=v3.6.14
kwok_version=v0.8.0
cache=$PEERS_CACHE/$name-$k8s_version
bin=$cache/bin
run=$PEERS_RUN/$name
etcd_port=$((24379 + PEERS_PORT_OFFSET))
etcd_peer_port=$((24380 + PEERS_PORT_OFFSET))
api_port=$((26443 + PEERS_PORT_OFFSET))
kwok_port=$((26250 + PEERS_PORT_OFFSET))
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34"

# die MESSAGE [LOG]: one line naming the peer (and its log), exit 1.
k8s_die() {
	if [[ -n ${2:-} ]]; then
		echo "peers: $name: $1 (log: $2)" >&2
	else
		echo "peers: $name: $1" >&2
	fi
	exit 1
}

k8s_go_env() {
	[[ -x /usr/local/go/bin/go ]] && PATH=/usr/local/go/bin:$PATH
	export PATH CGO_ENABLED=0 GOFLAGS="-mod=readonly -p=2"
	command -v go >/dev/null
}

# build_one BIN MODULE_DIR PACKAGE [LDFLAGS]: go build BIN into $bin unless it is
# there; the build log is $cache/BIN.build.log. Returns go build's status.
build_one() {
	local b=$1 mod=$2 pkg=$3 ld=${4:-} t0 blog rc=0
	[[ -x $bin/$b ]] && return 0
	mkdir -p "$bin"
	blog=$cache/$b.build.log
	log "$name" "building $b ($pkg) into $bin (several minutes on a cold cache)"
	t0=$SECONDS
	(cd "$here/k8s/$mod" && go build -o "$bin/.$b.tmp" -ldflags "$ld" "$pkg") >"$blog" 2>&1 || rc=$?
	if ((rc != 0)); then
		rm -f "$bin/.$b.tmp"
		log "$name" "building $b failed (exit $rc, log: $blog)"
		return 1
	fi
	mv "$bin/.$b.tmp" "$bin/$b"
	log "$name" "built $b in $((SECONDS - t0))s"
}

# kwok's CRDs and its node-initialize Stage, copied from its module at build time.
copy_kwok_assets() {
	local dir
	[[ -f $cache/kwok/node-initialize.yaml ]] && return 0
	dir=$(cd "$here/k8s/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok) || return 1
	mkdir -p "$cache/kwok"
	cp "$dir/kustomize/crd/bases/kwok.x-k8s.io_logs.yaml" \
		"$dir/kustomize/crd/bases/kwok.x-k8s.io_clusterlogs.yaml" \
		"$dir/kustomize/stage/node/fast/node-initialize.yaml" "$cache/kwok/"
	chmod u+w "$cache/kwok/"*
}

do_build() {
	local b missing=0
	for b in etcd kube-apiserver kubectl; do
		[[ -x $bin/$b ]] || missing=1
	done
	# kwok is optional: after a failed build ($cache/kwok.failed) it is not
	# retried at every start; delete that file to try again.
	[[ -f $cache/kwok.failed ]] || have_kwok || missing=1
	((missing)) || return 0
	k8s_go_env || k8s_die "go not found (Go >= 1.26 at /usr/local/go/bin or on PATH)"
	build_one etcd etcd go.etcd.io/etcd/server/v3 || k8s_die "building etcd $etcd_version failed" "$cache/etcd.build.log"
	build_one kube-apiserver kubernetes k8s.io/kubernetes/cmd/kube-apiserver "$ldflags" ||
		k8s_die "building kube-apiserver $k8s_version failed" "$cache/kube-apiserver.build.log"
	build_one kubectl kubernetes k8s.io/kubernetes/cmd/kubectl "$ldflags" ||
		k8s_die "building kubectl $k8s_version failed" "$cache/kubectl.build.log"
	if [[ -f $cache/kwok.failed ]]; then
		:
	elif build_one kwok kwok sigs.k8s.io/kwok/cmd/kwok "-s -w" && copy_kwok_assets; then
		:
	else
		date -u +%FT%TZ >"$cache/kwok.failed"
		log "$name" "continuing without kwok (pod logs will answer with an error); see $cache/kwok.build.log, delete $cache/kwok.failed to retry"
	fi
	printf 'kube-apiserver %s\nkubectl %s\netcd %s\nkwok %s\n' "$k8s_version" "$k8s_version" \
		"$etcd_version" "$kwok_version" >"$cache/VERSIONS"
}

have_kwok() {
	[[ -x $bin/kwok && -f $cache/kwok/node-initialize.yaml ]]
}

# ------------------------------------------------------------------ processes

pidf() { echo "$run/$1.pid"; }

proc_pid() {
	local f pid
	f=$(pidf "$1")
	[[ -f $f ]] || return 1
	pid=$(<"$f")
	[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

# spawn PROC CMD...: run CMD in its own session, output to $run/PROC.log.
spawn() {
	local p=$1
	shift
	echo "--- $(date -u +%FT%TZ) start: $*" >>"$run/$p.log"
	setsid "$@" >>"$run/$p.log" 2>&1 </dev/null &
	echo $! >"$(pidf "$p")"
}

# halt PROC: TERM its process group, KILL after 15 s.
halt() {
	local p=$1 pid i
	if pid=$(proc_pid "$p"); then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 150; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "$name" "$p did not stop within 15s, killing pid $pid"
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
			sleep 0.2
		fi
	fi
	rm -f "$(pidf "$p")"
}

# wait_for PROC SECONDS CHECK...: until CHECK succeeds; die if PROC exits first.
wait_for() {
	local p=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 4; i++)); do
		"$@" && return 0
		proc_pid "$p" >/dev/null || k8s_die "$p exited during start" "$run/$p.log"
		sleep 0.25
	done
	k8s_die "$p not ready within ${secs}s" "$run/$p.log"
}

api_ready() {
	curl -fsS -o /dev/null --max-time 3 --cacert "$run/pki/ca.crt" --cert "$run/pki/admin.crt" \
		--key "$run/pki/admin.key" "https://127.0.0.1:$api_port/readyz" 2>/dev/null
}

etcd_healthy() {
	curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health" 2>/dev/null | grep -q '"health":"true"'
}

# ------------------------------------------------------------------ pki

# sign NAME SUBJECT EXTENSIONS: key + certificate signed by the CA, 10 years.
sign() {
	local n=$1 subj=$2 ext=$3 d=$run/pki
	openssl genrsa -out "$d/$n.key" 2048 2>/dev/null
	openssl req -new -key "$d/$n.key" -subj "$subj" -out "$d/$n.csr"
	printf '%s\n' "$ext" >"$d/$n.ext"
	openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 3650 -sha256 -extfile "$d/$n.ext" -out "$d/$n.crt" 2>/dev/null
	rm -f "$d/$n.csr" "$d/$n.ext"
}

# CA, apiserver serving cert (IP SAN 127.0.0.1), admin client (O=system:masters),
# apiserver -> kubelet client cert, kwok's kubelet serving cert, SA key pair.
make_pki() {
	local d=$run/pki
	[[ -f $d/.done ]] && return 0
	rm -rf "$d"
	mkdir -p "$d"
	chmod 700 "$d"
	openssl genrsa -out "$d/ca.key" 2048 2>/dev/null
	openssl req -x509 -new -key "$d/ca.key" -subj "/CN=hivesnap-test-ca" -days 3650 -sha256 \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$d/ca.crt"
	sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
	sign admin "/O=system:masters/CN=hivesnap-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
	sign kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
	sign kubelet "/CN=kwok-kubelet" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
	openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
	openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
	chmod 600 "$d"/*.key
	touch "$d/.done"
}

# kubeconfig (certificates embedded) and kubeconfig-files (paths): same admin user.
write_kubeconfigs() {
	local d=$run/pki server=https://127.0.0.1:$api_port
	umask 077
	cat >"$run/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: hivesnap-peer
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$d/ca.crt")
users:
- name: hivesnap-admin
  user:
    client-certificate-data: $(base64 -w0 "$d/admin.crt")
    client-key-data: $(base64 -w0 "$d/admin.key")
contexts:
- name: hivesnap-peer
  context:
    cluster: hivesnap-peer
    user: hivesnap-admin
current-context: hivesnap-peer
EOF
	cat >"$run/kubeconfig-files" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: hivesnap-peer
  cluster:
    server: $server
    certificate-authority: $d/ca.crt
users:
- name: hivesnap-admin
  user:
    client-certificate: $d/admin.crt
    client-key: $d/admin.key
contexts:
- name: hivesnap-peer
  context:
    cluster: hivesnap-peer
    user: hivesnap-admin
current-context: hivesnap-peer
EOF
	umask 022
}

# ------------------------------------------------------------------ start/stop

start_kwok() {
	local kc=$bin/kubectl
	"$kc" --kubeconfig "$run/kubeconfig" apply -f "$cache/kwok/kwok.x-k8s.io_logs.yaml" \
		-f "$cache/kwok/kwok.x-k8s.io_clusterlogs.yaml" >>"$run/kwok.log" 2>&1 ||
		k8s_die "applying kwok's Logs/ClusterLogs CRDs failed" "$run/kwok.log"
	"$kc" --kubeconfig "$run/kubeconfig" wait --for condition=established --timeout=60s \
		crd/logs.kwok.x-k8s.io crd/clusterlogs.kwok.x-k8s.io >>"$run/kwok.log" 2>&1 ||
		k8s_die "kwok's CRDs not established within 60s" "$run/kwok.log"
	# No KwokConfiguration document: with one, kwok v0.8.0 skips its defaults
	# ("playStageParallelism must be greater than 0"); flags carry the options.
	cp "$cache/kwok/node-initialize.yaml" "$run/kwok.yaml"
	# Only the node-initialize stage: kwok makes the fake Node Ready with
	# InternalIP 127.0.0.1 and its kubelet port, and leaves pod status alone
	# (no pod stages), so the status the tests set stays as set.
	spawn kwok "$bin/kwok" --kubeconfig="$run/kubeconfig" --config="$run/kwok.yaml" \
		--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
		--node-ip=127.0.0.1 --node-port="$kwok_port" --server-address="127.0.0.1:$kwok_port" \
		--tls-cert-file="$run/pki/kubelet.crt" --tls-private-key-file="$run/pki/kubelet.key" \
		--enable-crds=Logs,ClusterLogs --node-lease-duration-seconds=0
	wait_for kwok 60 port_open "$kwok_port"
}

do_start() {
	local p
	do_build
	mkdir -p "$run"
	if proc_pid kube-apiserver >/dev/null && proc_pid etcd >/dev/null &&
		{ ! have_kwok || proc_pid kwok >/dev/null; }; then
		log "$name" "already running on https://127.0.0.1:$api_port"
		return 0
	fi
	do_stop_quiet
	for p in "$etcd_port" "$etcd_peer_port" "$api_port" "$kwok_port"; do
		port_open "$p" && k8s_die "port $p is already in use by another process"
	done
	command -v openssl >/dev/null || k8s_die "openssl not found"
	# a start that fails half way leaves nothing running
	trap do_stop_quiet EXIT
	make_pki >>"$run/pki.log" 2>&1 || k8s_die "making certificates with openssl failed" "$run/pki.log"
	write_kubeconfigs
	# A fresh cluster each start: tests apply tests/fixtures/k8s/flowc.sh.
	rm -rf "$run/etcd-data" "$run/fixture-logs"
	mkdir -p "$run/etcd-data"
	chmod 700 "$run/etcd-data"
	spawn etcd "$bin/etcd" --name=hivesnap-k8s --data-dir="$run/etcd-data" \
		--listen-client-urls="http://127.0.0.1:$etcd_port" \
		--advertise-client-urls="http://127.0.0.1:$etcd_port" \
		--listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
		--initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
		--initial-cluster="hivesnap-k8s=http://127.0.0.1:$etcd_peer_port" \
		--log-level=warn --quota-backend-bytes=1073741824
	wait_for etcd 60 etcd_healthy
	local d=$run/pki
	spawn kube-apiserver "$bin/kube-apiserver" \
		--etcd-servers="http://127.0.0.1:$etcd_port" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
		--cert-dir="$run/apiserver-certs" \
		--tls-cert-file="$d/apiserver.crt" --tls-private-key-file="$d/apiserver.key" \
		--client-ca-file="$d/ca.crt" --authorization-mode=RBAC \
		--service-account-issuer="https://127.0.0.1:$api_port" \
		--service-account-key-file="$d/sa.pub" --service-account-signing-key-file="$d/sa.key" \
		--service-cluster-ip-range=10.0.0.0/24 --disable-admission-plugins=ServiceAccount \
		--kubelet-client-certificate="$d/kubelet-client.crt" --kubelet-client-key="$d/kubelet-client.key" \
		--kubelet-preferred-address-types=InternalIP \
		--event-ttl=24h --allow-privileged=true --profiling=false --v=1
	wait_for kube-apiserver 180 api_ready
	if have_kwok; then
		start_kwok
		trap - EXIT
		log "$name" "up: apiserver https://127.0.0.1:$api_port, etcd 127.0.0.1:$etcd_port, kwok kubelet 127.0.0.1:$kwok_port"
	else
		trap - EXIT
		log "$name" "up: apiserver https://127.0.0.1:$api_port, etcd 127.0.0.1:$etcd_port (no kwok: pod logs unavailable)"
	fi
}

do_stop_quiet() {
	halt kwok
	halt kube-apiserver
	halt etcd
}

do_stop() {
	local p i left=()
	do_stop_quiet
	for p in "$kwok_port" "$api_port" "$etcd_port" "$etcd_peer_port"; do
		for ((i = 0; i < 50; i++)); do
			port_open "$p" || continue 2
			sleep 0.1
		done
		left+=("$p")
	done
	((${#left[@]} == 0)) || k8s_die "port ${left[*]} still open after stop"
}

do_status() {
	local p pid rc=0 parts=() procs=(etcd kube-apiserver)
	have_kwok && procs+=(kwok)
	for p in "${procs[@]}"; do
		if pid=$(proc_pid "$p"); then
			parts+=("$p pid $pid")
		else
			rc=1
		fi
	done
	if ((rc == 0)); then
		echo "$name: running (${parts[*]}; apiserver https://127.0.0.1:$api_port, etcd $etcd_port, kwok $kwok_port)"
	elif ((${#parts[@]})); then
		echo "$name: partly running (${parts[*]})"
	else
		echo "$name: stopped"
	fi
	return $rc
}

case ${1:-} in
build) do_build ;;
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
env)
	echo "export KUBECONFIG=$run/kubeconfig"
	echo "export HIVESNAP_K8S_BIN=$bin"
	echo "export HIVESNAP_K8S_RUN=$run"
	;;
*)
	echo "usage: $0 build|start|stop|status|env" >&2
	exit 2
	;;
esac
