#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets (tests/fuzz/) with clang and run them.
#
#   scripts/fuzz.sh [--build-only | --no-build] [seconds] [target...]
#
# Builds the clang tree (-DHIVESNAP_FUZZ=ON, ASan+UBSan+libFuzzer) into
# build/fuzz (HIVESNAP_FUZZ_BUILD overrides; cached: later runs only rebuild
# what changed), then runs each target (default: all; names without the
# fuzz_ prefix, e.g. "archive profile") for `seconds` (default
# $FUZZ_SECONDS, else 60) on a fresh copy of its seed corpus
# tests/fuzz/corpus/<target>/, with its dictionary tests/fuzz/dict/<target>.dict
# when there is one.  The checked-in corpus is never modified.
#
# Per target it reports executions, coverage (edges at start -> end), new
# corpus units and crashes with their artifact paths
# (build/fuzz/artifacts/<target>/); the full log is build/fuzz/logs/<target>.log
# (FUZZ_OUT=DIR puts artifacts/ and logs/ there instead).
# The exit code is non-zero when any target crashed, leaked, hit UB, timed
# out (an input running > 10 s) or ran out of memory, or the build failed.
# A missing clang or clang runtime (libclang-rt-14-dev) is installed with
# scripts/install-deps.sh; if that is not possible the script fails (it
# never skips).
#
# The machine may be shared: run long sessions as `nice -n 19 scripts/fuzz.sh 600`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${HIVESNAP_FUZZ_BUILD:-$here/build/fuzz}"
mode=run
case "${1:-}" in
--build-only) mode=build; shift ;;
--no-build) mode=nobuild; shift ;;
-h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
secs="${FUZZ_SECONDS:-60}"
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
	secs=$1
	shift
fi
((secs > 0)) || { echo "fuzz.sh: seconds must be > 0" >&2; exit 64; }

all=()
for f in "$here"/tests/fuzz/fuzz_*.c; do
	n=$(basename "$f" .c)
	all+=("${n#fuzz_}")
done
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
for t in "${targets[@]}"; do
	[[ -f "$here/tests/fuzz/fuzz_$t.c" ]] ||
		{ echo "fuzz.sh: no target '$t' (targets: ${all[*]})" >&2; exit 64; }
done

# clang and the runtimes -fsanitize=fuzzer,address links: clang only
# recommends them (libclang-rt-<N>-dev), so clang alone is not enough
missing_clang() {
	command -v clang >/dev/null 2>&1 || { echo "clang"; return 0; }
	local rt lib
	rt="$(clang -print-resource-dir)/lib/linux"
	for lib in fuzzer asan asan_static; do
		[[ -f $rt/libclang_rt.$lib-$(uname -m).a ]] ||
			{ echo "$rt/libclang_rt.$lib-$(uname -m).a (Debian package libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev)"; return 0; }
	done
	return 1
}

build_tree() {
	local m
	if m=$(missing_clang); then
		echo "fuzz.sh: missing $m; installing it with scripts/install-deps.sh" >&2
		"$here/scripts/install-deps.sh" ||
			{ echo "fuzz.sh: cannot install clang (scripts/install-deps.sh failed)" >&2; return 1; }
		if m=$(missing_clang); then
			echo "fuzz.sh: still missing after scripts/install-deps.sh: $m" >&2
			return 1
		fi
	fi
	mkdir -p "$build"
	# one build at a time in the tree (ctest may start several of us)
	exec 9>"$build/.build.lock"
	flock 9
	if [[ ! -f "$build/CMakeCache.txt" ]]; then
		echo "== fuzz: configuring the clang tree in $build" >&2
		CC=clang cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DHIVESNAP_FUZZ=ON -DHIVESNAP_SANITIZE=ON -DHIVESNAP_WERROR=OFF \
			>"$build/cmake.log" 2>&1 || { cat "$build/cmake.log" >&2; return 1; }
	fi
	local tt=()
	for t in "${targets[@]}"; do tt+=(--target "fuzz_$t"); done
	echo "== fuzz: building ${targets[*]}" >&2
	cmake --build "$build" -j 2 "${tt[@]}" >"$build/build.log" 2>&1 ||
		{ tail -n 60 "$build/build.log" >&2; echo "fuzz.sh: the fuzz build failed (log: $build/build.log)" >&2; return 1; }
	flock -u 9
}

if [[ $mode != nobuild ]]; then
	build_tree || exit 1
fi
[[ $mode == build ]] && exit 0

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# libmongoc would leave a /dev/shm/mongoc-<pid> counters file per run
export MONGOC_DISABLE_SHM=1
out="${FUZZ_OUT:-$build}"
mkdir -p "$out/logs"
failed=()
printf '%-12s %12s %8s %12s %6s %7s  %s\n' target execs exec/s "cov" new corpus crashes >&2
for t in "${targets[@]}"; do
	bin="$build/tests/fuzz/fuzz_$t"
	[[ -x "$bin" ]] || { echo "fuzz.sh: $bin is not built (run without --no-build)" >&2; failed+=("$t"); continue; }
	work=$(mktemp -d "${TMPDIR:-/tmp}/hs-fuzz-$t.XXXXXX")
	mkdir -p "$work/corpus" "$out/artifacts/$t"
	if [[ -d "$here/tests/fuzz/corpus/$t" ]]; then
		cp -R "$here/tests/fuzz/corpus/$t/." "$work/corpus/"
	fi
	before=$(find "$out/artifacts/$t" -type f | wc -l)
	opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$t/")
	[[ -f "$here/tests/fuzz/dict/$t.dict" ]] && opts+=(-dict="$here/tests/fuzz/dict/$t.dict")
	log="$out/logs/$t.log"
	set +e
	(cd "$work" && "$bin" "${opts[@]}" "$work/corpus") >"$log" 2>&1
	rc=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	newu=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
	cov0=$(grep -m1 -o 'INITED cov: [0-9]*' "$log" | grep -o '[0-9]*$' || true)
	cov1=$(grep -o '\bcov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)
	corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)
	after=$(find "$out/artifacts/$t" -type f | wc -l)
	crashes=$((after - before))
	printf '%-12s %12s %8s %12s %6s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov0:-?}->${cov1:-?}" \
		"${newu:-?}" "${corp:-?}" "$crashes" >&2
	if ((rc != 0 || crashes > 0)); then
		failed+=("$t")
		echo "fuzz.sh: target '$t' failed (exit $rc); log: $log" >&2
		grep -E '^==[0-9]+==ERROR|runtime error:|SUMMARY:|^artifact_prefix|Test unit written to' "$log" | head -n 10 >&2 || true
		find "$out/artifacts/$t" -type f -newer "$work" 2>/dev/null | sed 's/^/  artifact: /' >&2 || true
	fi
	rm -rf "$work"
done
if ((${#failed[@]})); then
	echo "fuzz.sh: FAILED: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s), ${secs} s each, no crash" >&2
