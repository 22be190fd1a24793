#!/usr/bin/env bash
# install-deps.sh - install every Debian package hivesnap's build, tests,
# demo and peers need.  Idempotent, non-interactive, and silent when all is
# already present.  Run as root (or with sudo available).
#
# Not from Debian: Go (>= 1.22, for the FerretDB/mongo-tools/Kubernetes peers)
# and a JDK 17 + Maven (for the Kafka peer) are expected on the machine; when
# they are missing, Debian's JDK and Maven are installed, and a missing or too
# old Go is reported (Debian bookworm's golang is 1.19, too old for the peers).
set -euo pipefail

packages=(
	build-essential cmake ninja-build pkg-config git ca-certificates curl openssl
	libmongoc-dev libbson-dev libhiredis-dev librdkafka-dev libzstd-dev zstd
	libcurl4-openssl-dev libyaml-dev libjansson-dev libssl-dev libcmocka-dev
	redis-server redis-tools prometheus prometheus-alertmanager
	python3 python3-jsonschema python3-yaml jq time file procps e2fsprogs systemd man-db dpkg-dev
	# clang only recommends its sanitizer and libFuzzer runtimes, and
	# --no-install-recommends leaves them out: the fuzz targets do not link
	clang libclang-rt-14-dev
	valgrind debootstrap
)
command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || packages+=(maven)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo="sudo"
	echo "install-deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >/dev/null
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian prometheus and alertmanager packages start system services; the
# tests run their own instances on their own ports, so these are not needed.
for svc in prometheus prometheus-alertmanager prometheus-node-exporter redis-server; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
		systemctl stop "$svc" >/dev/null 2>&1 || true
	fi
done

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
	echo "install-deps: warning: no Go toolchain found; the MongoDB, mongo-tools and Kubernetes peers need Go >= 1.22" >&2
fi
exit 0
