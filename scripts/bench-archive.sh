#!/usr/bin/env bash
# Archive writer benchmark (issue 2 "Performance"): the same ~1 GiB of mixed
# entries through hivesnap's archive writer (tests/tools/hs_mkarchive) and
# through `tar -c | zstd -T0` at the same level (then `sync FILE`, since the
# writer fsyncs its archive too).  Median wall time of 3 runs
# each, output size and ratio, peak RSS (GNU time: apt-get install time).
#
#   scripts/bench-archive.sh [--size-mib N] [--level L] [--runs R] [--build DIR]
#
# Builds hs_mkarchive without sanitizers in DIR (default build-bench) unless
# it is there already.  The data set (kept in a temporary folder, removed at
# the end) is: JSON lines with varied numbers (60%), random bytes (10%), and
# 2000 small JSON documents (the rest), like collections, binary blobs and
# Kubernetes objects.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
size=1024 level=3 runs=3 build=$src/build-bench
while [[ $# -gt 0 ]]; do
	case $1 in
	--size-mib) size=$2; shift 2 ;;
	--level) level=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	*) echo "usage: $0 [--size-mib N] [--level L] [--runs R] [--build DIR]" >&2; exit 64 ;;
	esac
done
[[ -x /usr/bin/time ]] || { echo "bench-archive: needs GNU time (apt-get install time)" >&2; exit 3; }
mk=$build/tests/hs_mkarchive
if [[ ! -x $mk ]]; then
	cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHIVESNAP_SANITIZE=OFF >/dev/null
	ninja -C "$build" -j2 hs_mkarchive >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
data=$work/data
mkdir -p "$data/mongo/neural_hive" "$data/k8s/flow-c/configmaps" "$data/redis"
echo "generating ${size} MiB of test data in $data ..." >&2
json_mib=$((size * 60 / 100 / 4)) rand_mib=$((size / 10)) small=2000
small_kib=$(((size - 4 * json_mib - rand_mib) * 1024 / small))
for i in 1 2 3 4; do
	awk -v seed=$i 'BEGIN { srand(seed); for (;;) printf "{\"_id\":\"%08x%08x\",\"ticket\":%d,\"status\":\"%s\",\"score\":%.6f,\"plan\":\"plans.consensus/%d\"}\n", rand()*4294967295, NR++, int(rand()*1e9), (rand() < 0.5 ? "COMPLETED" : "PENDING"), rand(), int(rand()*64) }' |
		head -c $((json_mib * 1024 * 1024)) >"$data/mongo/neural_hive/coll$i.bson" || true
done
head -c $((rand_mib * 1024 * 1024)) /dev/urandom >"$data/redis/db0.jsonl"
awk -v n=$small -v kib=$small_kib -v dir="$data/k8s/flow-c/configmaps" 'BEGIN {
	srand(7)
	for (f = 0; f < n; f++) {
		file = sprintf("%s/cm%04d.json", dir, f); s = 0
		while (s < kib * 1024) { line = sprintf("  \"key%d\": \"value-%d-%x\",\n", s, f, int(rand()*1e9)); printf "%s", line > file; s += length(line) }
		close(file)
	}
}'
total=$(du -sb "$data" | cut -f1)
args=()
while IFS= read -r f; do args+=("${f#"$data"/}=@$f"); done < <(cd "$data" && find . -type f | sed 's|^\./||' | sort | sed "s|^|$data/|")

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
run() { # run NAME cmd... -> appends "wall rss cpu" to $work/NAME.times
	local name=$1; shift
	sync
	/usr/bin/time -f "%e %M %U %S" -o "$work/t" "$@" >/dev/null 2>&1 || { echo "bench-archive: $name failed" >&2; exit 3; }
	awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$work/t" >>"$work/$name.times"
}
for r in $(seq 1 "$runs"); do
	rm -f "$work/hs.tar.zst" "$work/plain.tar.zst"
	run hivesnap "$mk" "$work/hs.tar.zst" --level "$level" --created-at 1795000000 "${args[@]}"
	run plain bash -c "tar -C '$data' -cf - . | zstd -q -$level -T0 -o '$work/plain.tar.zst' && sync '$work/plain.tar.zst'"
done
hs_t=$(cut -d' ' -f1 "$work/hivesnap.times" | median)
pl_t=$(cut -d' ' -f1 "$work/plain.times" | median)
hs_cpu=$(cut -d' ' -f3 "$work/hivesnap.times" | median)
pl_cpu=$(cut -d' ' -f3 "$work/plain.times" | median)
hs_rss=$(cut -d' ' -f2 "$work/hivesnap.times" | sort -n | tail -1)
pl_rss=$(cut -d' ' -f2 "$work/plain.times" | sort -n | tail -1)
hs_sz=$(stat -c %s "$work/hs.tar.zst")
pl_sz=$(stat -c %s "$work/plain.tar.zst")
cat <<REPORT
input            $((total / 1048576)) MiB, $((${#args[@]})) files, zstd level $level, $(nproc) cores, median of $runs
hivesnap writer  ${hs_t}s wall, ${hs_cpu}s CPU  $((hs_sz / 1048576)) MiB (ratio $(awk -v a="$total" -v b="$hs_sz" 'BEGIN{printf "%.2f", a/b}'))  peak RSS $((hs_rss / 1024)) MiB
tar | zstd -T0   ${pl_t}s wall, ${pl_cpu}s CPU  $((pl_sz / 1048576)) MiB (ratio $(awk -v a="$total" -v b="$pl_sz" 'BEGIN{printf "%.2f", a/b}'))  peak RSS $((pl_rss / 1024)) MiB (largest of tar, zstd)
speed            hivesnap at $(awk -v a="$pl_t" -v b="$hs_t" 'BEGIN{printf "%.2f", a/b}')x the plain pipeline by wall time, $(awk -v a="$pl_cpu" -v b="$hs_cpu" 'BEGIN{printf "%.2f", a/b}')x by CPU time (goal >= 0.9x, peak RSS < 64 MiB)
REPORT
