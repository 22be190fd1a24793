#!/usr/bin/env bash
# Redis benchmark (issue 5 "Performance"): on a private redis-server loaded
# with the large seed (~1M keys: hs_seed --scale large --only redis), in the
# same run:
#   capture  hivesnap snapshot --only redis   vs  redis-dump-go -db 0 -ttl (RESP out)
#   restore  hivesnap restore --execute       vs  redis-cli --pipe < redis-dump-go output
# Wall time (median of --runs), peak RSS (GNU time), and the ratios, as a
# Markdown table on stdout (paste into docs/BENCHMARKS.md).
#
#   scripts/bench-redis.sh [--runs R] [--build DIR] [--port P] [--scale large|medium|small]
#
# Builds hivesnap and hs_seed without sanitizers in DIR (default
# build-bench-redis).  redis-server, redis-cli and redis-dump-go come from
# PEERS_BIN, or the peers cache (scripts/peers.sh build), or PATH.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
runs=3 build=$src/build-bench-redis port=16393 scale=large
while [[ $# -gt 0 ]]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--port) port=$2; shift 2 ;;
	--scale) scale=$2; shift 2 ;;
	*) echo "usage: $0 [--runs R] [--build DIR] [--port P] [--scale large|medium|small]" >&2; exit 64 ;;
	esac
done
. "$src/scripts/bench-lib.sh"   # bench_find_bin, bench_measure, bench_median, ...
find_bin() { bench_find_bin "$1"; }
srv=$(find_bin redis-server) rcli=$(find_bin redis-cli) rdg=$(find_bin redis-dump-go)
bench_build "$build" hivesnap hs_seed
hs=$build/hivesnap seed=$build/tests/hs_seed

work=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-redis-XXXXXX")
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$srv" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pid=$!
for _ in $(seq 50); do "$rcli" -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
uri=redis://127.0.0.1:$port/0
echo "seeding ($scale) ..." >&2
"$seed" --scale "$scale" --only redis --redis "$uri" >/dev/null
keys=$("$rcli" -p "$port" dbsize)
cat >"$work/p.yaml" <<EOF
name: bench
redis:
  uri: $uri
  dbs:
    - db: 0
      patterns: ["*"]
EOF

# measure NAME CMD...: wall seconds and peak RSS (KiB) of one run, appended to $work/NAME
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 3; }
	cat "$work/t" >>"$work/$name"
}
median() { sort -n -k1 "$work/$1" | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }

for r in $(seq "$runs"); do
	echo "run $r/$runs: capture" >&2
	rm -f "$work/a.tar.zst" "$work/dump.resp"
	measure hs_cap "$hs" snapshot -q -p "$work/p.yaml" --only redis -o "$work/a.tar.zst"
	measure rdg_cap sh -c "'$rdg' -s -host 127.0.0.1 -port $port -db 0 -ttl -output resp >'$work/dump.resp'"
	echo "run $r/$runs: restore" >&2
	"$rcli" -p "$port" -n 0 flushdb >/dev/null
	measure hs_res "$hs" restore "$work/a.tar.zst" -p "$work/p.yaml" --only redis --execute
	[[ $("$rcli" -p "$port" dbsize) == "$keys" ]] || { echo "bench-redis: hivesnap restored $("$rcli" -p "$port" dbsize) of $keys keys" >&2; exit 3; }
	"$rcli" -p "$port" -n 0 flushdb >/dev/null
	measure rdg_res sh -c "'$rcli' -p $port --pipe <'$work/dump.resp'"
	rdg_keys=$("$rcli" -p "$port" dbsize)   # redis-dump-go skips types it does not know (streams)
done

read -r hc hcm <<<"$(median hs_cap)"
read -r rc rcm <<<"$(median rdg_cap)"
read -r hr hrm <<<"$(median hs_res)"
read -r rr rrm <<<"$(median rdg_res)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }'; }
cat <<EOF
$keys keys (hs_seed --scale $scale), median of $runs runs, $(nproc) cores, $(date -u +%Y-%m-%d):

| step | hivesnap | RSS | redis-dump-go / redis-cli --pipe | RSS | speed-up |
|---|---|---|---|---|---|
| capture | ${hc} s | $((hcm / 1024)) MiB | ${rc} s (redis-dump-go, 10 workers) | $((rcm / 1024)) MiB | $(ratio "$hc" "$rc")x |
| restore | ${hr} s | $((hrm / 1024)) MiB | ${rr} s (redis-cli --pipe) | $((rrm / 1024)) MiB | $(ratio "$hr" "$rr")x |

archive $(stat -c %s "$work/a.tar.zst") bytes; redis-dump-go RESP $(stat -c %s "$work/dump.resp") bytes;
hivesnap restored all $keys keys, redis-cli --pipe of redis-dump-go's output $rdg_keys
EOF
