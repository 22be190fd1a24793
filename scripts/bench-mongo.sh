#!/usr/bin/env bash
# MongoDB capture benchmark (issue 4 "Performance"): on a private FerretDB
# loaded with the seed (hs_seed --only mongo: neural_hive's three
# collections), in the same run:
#   hivesnap snapshot --only mongo   vs   mongodump --gzip --db neural_hive
# Wall time (median of --runs), peak RSS (GNU time), output size, and the
# ratios, as a Markdown table on stdout (paste into docs/BENCHMARKS.md).
#
#   scripts/bench-mongo.sh [--runs R] [--build DIR] [--port P] [--scale large|medium|small]
#
# Builds hivesnap and hs_seed without sanitizers in DIR (default
# build-bench-mongo).  FerretDB and mongodump come from PEERS_BIN or the
# peers cache (scripts/peers.sh build).  FerretDB (SQLite) is the slow side
# of both measurements: the ratios say more than the absolute times.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
runs=3 build=$src/build-bench-mongo port=27417 scale=medium
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
fdb=$(find_bin ferretdb) dump=$(find_bin mongodump)
bench_build "$build" hivesnap hs_seed
hs=$build/hivesnap seed=$build/tests/hs_seed

work=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-mongo-XXXXXX")
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/fdb/data" "$work/fdb/state"
"$fdb" --handler=sqlite --sqlite-url="file:$work/fdb/data/" --listen-addr="127.0.0.1:$port" \
	--state-dir="$work/fdb/state" --debug-addr=- --telemetry=disable --log-level=error >"$work/fdb.log" 2>&1 &
pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
uri=mongodb://127.0.0.1:$port/
echo "seeding ($scale) ..." >&2
"$seed" --scale "$scale" --only mongo --mongo "$uri" >/dev/null
cat >"$work/p.yaml" <<EOF
name: bench
mongo:
  uri: $uri
  parallel: 3
  databases:
    - name: neural_hive
EOF

# run NAME CMD...: wall seconds and peak RSS (KiB) of one run, appended to $work/NAME
run() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 3; }
	cat "$work/t" >>"$work/$name"
}
for i in $(seq "$runs"); do
	echo "run $i/$runs ..." >&2
	rm -rf "$work/a.tar.zst" "$work/dump"
	run hs "$hs" snapshot -p "$work/p.yaml" -o "$work/a.tar.zst" --only mongo --quiet
	run md "$dump" --uri "$uri" --db neural_hive --gzip --out "$work/dump" --quiet
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
hs_t=$(cut -d' ' -f1 "$work/hs" | median) md_t=$(cut -d' ' -f1 "$work/md" | median)
hs_m=$(cut -d' ' -f2 "$work/hs" | sort -n | tail -1) md_m=$(cut -d' ' -f2 "$work/md" | sort -n | tail -1)
hs_b=$(stat -c %s "$work/a.tar.zst") md_b=$(du -sb "$work/dump" | cut -f1)
docs=$("$seed" --scale "$scale" --plan --json --only mongo | jq '[.mongo[]] | add')
echo "| MongoDB capture, $scale seed ($docs documents, FerretDB 1.24 SQLite, $(nproc) cores) | wall s (median of $runs) | peak RSS MiB | output bytes |"
echo "|---|---|---|---|"
echo "| hivesnap snapshot --only mongo | $hs_t | $((hs_m / 1024)) | $hs_b |"
echo "| mongodump --gzip | $md_t | $((md_m / 1024)) | $md_b |"
echo "| ratio hivesnap / mongodump | $(awk -v a="$hs_t" -v b="$md_t" 'BEGIN {printf "%.2f", a / b}') | $(awk -v a="$hs_m" -v b="$md_m" 'BEGIN {printf "%.2f", a / b}') | $(awk -v a="$hs_b" -v b="$md_b" 'BEGIN {printf "%.2f", a / b}') |"
