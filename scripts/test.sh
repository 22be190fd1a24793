#!/usr/bin/env bash
# test.sh - the whole test suite, as CI runs it (.ci/run calls exactly this).
#
#   1. installs the Debian packages the build and tests need (scripts/install-deps.sh),
#      then checks that nothing the scripts use is missing (install-deps.sh --check:
#      a missing package, tool, clang runtime or Go stops the run before the build)
#   2. builds hivesnap and the tests with -Werror and ASan+UBSan into build/test
#   3. starts the real peers (scripts/peers.sh: Redis, FerretDB, Kafka, Prometheus,
#      Alertmanager, ...; built once into ~/.cache/hivesnap-peers) and seeds them
#      with the small Flow C data set
#   4. runs ctest --output-on-failure (unit, cli and integration labels)
#   5. stops the peers, whatever happened
#
# The output ends with ctest's own summary; the exit code is ctest's.
# Options: -L LABEL / -R REGEX are passed to ctest (e.g. scripts/test.sh -L unit);
# HIVESNAP_NO_PEERS=1 runs without starting peers (unit and cli tests only make sense then).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
build="${HIVESNAP_TEST_BUILD:-$here/build/test}"
jobs=$(nproc 2>/dev/null || echo 2)

scripts/install-deps.sh
if ! scripts/install-deps.sh --check; then
	echo "test.sh: the machine lacks what the build or the tests need (above); install it or add it to scripts/install-deps.sh" >&2
	exit 1
fi
[[ -x /usr/local/go/bin/go ]] && export PATH="/usr/local/go/bin:$PATH"

echo "== build (-Werror, ASan+UBSan) into $build"
mkdir -p "$build"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	-DHIVESNAP_WERROR=ON -DHIVESNAP_SANITIZE=ON >"$build/cmake.log" 2>&1 ||
	{ cat "$build/cmake.log"; exit 1; }
cmake --build "$build" -j "$jobs"

export HS_TOOLS="$build/tests"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

peers_log="$build/peers.log"
peers_started=0
stop_peers() {
	if ((peers_started)); then
		scripts/peers.sh stop >>"$peers_log" 2>&1 || echo "test.sh: stopping the peers failed, see $peers_log" >&2
	fi
}
trap stop_peers EXIT

if [[ -z "${HIVESNAP_NO_PEERS:-}" && -x scripts/peers.sh ]]; then
	echo "== peers (log: $peers_log)"
	: >"$peers_log"
	peers_started=1
	if ! scripts/peers.sh start 2>&1 | tee -a "$peers_log"; then
		echo "test.sh: the peers did not start; see $peers_log" >&2
		exit 1
	fi
	if ! scripts/peers.sh seed --scale small >>"$peers_log" 2>&1; then
		tail -n 20 "$peers_log" >&2
		echo "test.sh: seeding the peers failed; see $peers_log" >&2
		exit 1
	fi
	eval "$(scripts/peers.sh env)"
fi

echo "== ctest"
set +e
ctest --test-dir "$build" --output-on-failure --timeout 900 -j "$jobs" "$@"
rc=$?
set -e
stop_peers
peers_started=0
exit $rc
