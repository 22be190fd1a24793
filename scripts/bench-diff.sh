#!/usr/bin/env bash
# bench-diff.sh - `hivesnap diff A B` against `zstd -dc` of both archives
# (issue 8's bound: diff at most 2x the time to decompress both).
#
#   scripts/bench-diff.sh [--keys N] [--docs N] [--runs N] [--build DIR]
#                         [--hivesnap BIN] [--work DIR]
#
# Generates a pair of archives (no peers needed): redis/db0.jsonl with N
# keys (default 500000, random 48-hex-digit values, some with expiries) and
# mongo/flowc/sessions.bson with N documents (default 300000, int64 _id, a
# random 64-hex field), written with tests/tools/hs_mkarchive.  B removes
# 0.1% of the keys and changes 1%; adds 199 documents, removes 0.2% and
# changes 0.5%.  Then runs `zstd -dc A; zstd -dc B` and `hivesnap diff A B`
# alternately, --runs times each (default 3), and prints the median wall,
# median CPU (user + sys), largest max RSS, the CPU and wall ratios, and
# the 1-minute load average around the runs.  The archives are kept in
# --work (default /tmp/hs-bench-diff) and reused when the sizes match.
# Release build without sanitizers in --build (default build-bench).
# Exit 0, or 3 when something could not run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
keys=500000 docs=300000 runs=3 build=$here/../build-bench hs= work=/tmp/hs-bench-diff
while (($#)); do
	case $1 in
	--keys) keys=$2; shift 2 ;;
	--docs) docs=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--hivesnap) hs=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	*) echo "usage: bench-diff.sh [--keys N] [--docs N] [--runs N] [--build DIR] [--hivesnap BIN] [--work DIR]" >&2; exit 64 ;;
	esac
done
command -v zstd >/dev/null || { echo "bench-diff: needs the zstd CLI" >&2; exit 3; }
command -v python3 >/dev/null || { echo "bench-diff: needs python3 (to generate the data)" >&2; exit 3; }
BENCH_WORK=$work/t
# shellcheck source=scripts/bench-lib.sh
source "$here/bench-lib.sh"

mk=$build/tests/hs_mkarchive
if [[ -z $hs ]]; then
	bench_build "$build" hivesnap hs_mkarchive
	hs=$build/hivesnap
elif [[ ! -x $mk ]]; then
	bench_build "$build" hs_mkarchive
fi
mkdir -p "$work"
rm -rf "$BENCH_WORK"
mkdir -p "$BENCH_WORK"

# the pair, generated once per size
tag=k$keys-d$docs
if [[ ! -f $work/A-$tag.tar.zst || ! -f $work/B-$tag.tar.zst ]]; then
	echo "bench-diff: generating $keys keys and $docs documents" >&2
	python3 - "$work" "$keys" "$docs" <<'EOF'
import os, random, struct, sys

work, keys, docs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(8)

def rhex(n):
	return rnd.getrandbits(n * 4).to_bytes(n // 2, "big").hex()

def redis(path, side):
	with open(path, "w") as f:
		for i in range(keys):
			# keys sorted by bytes: fixed width
			k = "session:%09d" % i
			# both sides draw the same numbers: only the changes differ
			v, alt = rhex(48), rhex(48)
			if side == "B" and i % 1000 == 7:
				continue                        # removed
			if side == "B" and i % 100 == 3:
				v = alt                         # changed
			exp = "null" if i % 3 else str(1795932170425 + i)
			f.write('{"key":"%s","type":"string","expire_at_ms":%s,"value":"%s"}\n' % (k, exp, v))

def bson_doc(i, tok):
	def s(name, val):
		b = val.encode()
		return b"\x02" + name + b"\x00" + struct.pack("<i", len(b) + 1) + b + b"\x00"
	body = (b"\x12_id\x00" + struct.pack("<q", i) + s(b"user", "user-%d" % (i % 5000)) +
		b"\x12started_at\x00" + struct.pack("<q", 1795000000000 + i * 7) +
		s(b"token", tok) + b"\x10n\x00" + struct.pack("<i", i % 97))
	return struct.pack("<i", len(body) + 5) + body + b"\x00"

def mongo(path, side):
	with open(path, "wb") as f:
		for i in range(docs + (200 if side == "B" else 0)):
			tok, alt = rhex(64), rhex(64)
			if side == "B" and i % 500 == 11:
				continue                        # removed
			if side == "B" and i % 200 == 5:
				tok = alt                       # changed
			f.write(bson_doc(i, tok))

for side in "AB":
	rnd.seed(8)
	redis(os.path.join(work, side + ".jsonl"), side)
	rnd.seed(9)
	mongo(os.path.join(work, side + ".bson"), side)
EOF
	for s in A B; do
		"$mk" "$work/$s-$tag.tar.zst.new" --created-at 1795000000 \
			"redis/db0.jsonl=@$work/$s.jsonl" "mongo/flowc/sessions.bson=@$work/$s.bson" \
			"mongo/flowc/sessions.metadata.json={\"options\":{},\"indexes\":[{\"name\":\"_id_\",\"key\":{\"_id\":1}}]}"
		mv "$work/$s-$tag.tar.zst.new" "$work/$s-$tag.tar.zst"
		rm -f "$work/$s.jsonl" "$work/$s.bson"
	done
fi
A=$work/A-$tag.tar.zst B=$work/B-$tag.tar.zst
"$hs" diff "$A" "$B" >"$BENCH_WORK/report.txt" && { echo "bench-diff: A and B compare equal" >&2; exit 3; } || [[ $? -eq 1 ]] || { echo "bench-diff: diff failed" >&2; exit 3; }

echo "bench-diff: $runs runs each, alternating" >&2
for ((i = 0; i < runs; i++)); do
	bench_measure zstd sh -c "zstd -qdc '$A' >/dev/null && zstd -qdc '$B' >/dev/null"
	bench_measure diff sh -c "'$hs' diff '$A' '$B'; [ \$? -eq 1 ]"
done

cz=$(bench_median zstd 2) cd=$(bench_median diff 2) wz=$(bench_median zstd 1) wd=$(bench_median diff 1)
echo "pair: $keys keys + $docs documents, $(stat -c %s "$A") and $(stat -c %s "$B") bytes"
cat "$BENCH_WORK/report.txt"
printf '| run | wall (median) | CPU user+sys (median) | max RSS |\n|---|---|---|---|\n'
printf '| `zstd -dc A; zstd -dc B` | %s s | %s s | %s KiB |\n' "$wz" "$cz" "$(bench_max zstd 3)"
printf '| `hivesnap diff A B` | %s s | %s s | %s KiB |\n' "$wd" "$cd" "$(bench_max diff 3)"
echo "diff / zstd -dc: CPU $(bench_ratio "$cd" "$cz"), wall $(bench_ratio "$wd" "$wz")"
echo "all runs (wall cpu rss_kib server_cpu): zstd $(paste -sd, "$BENCH_WORK/zstd.t"); diff $(paste -sd, "$BENCH_WORK/diff.t")"
echo "load average (1 min) before and after each run: $(sort -n "$BENCH_WORK/load" | paste -sd' ')"
