#!/usr/bin/env bash
# valgrind.sh - the CLI test suite (tests/cli/*.sh) with every hivesnap run
# under valgrind memcheck: no invalid access, no uninitialised read, no leak.
#
#   scripts/valgrind.sh [BUILD-DIR] [TEST-NAME-REGEX]
#
# Builds a Debug binary WITHOUT sanitizers (valgrind and ASan do not mix)
# into BUILD-DIR (default build/valgrind), then runs each CLI test script
# with HIVESNAP pointing at a wrapper that runs the binary under
#   valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
#            --error-exitcode=99
# so an error turns the exit code the test pins into 99 and fails it; every
# report also goes to a log file per process, and the script fails when any
# log holds one, even where a test did not check the exit code.  "Possibly
# lost" and "still reachable" blocks are not errors (library threads and
# caches: librdkafka, mongoc, OpenSSL).  Prints one line per test and a
# summary; exit 0 only when every test passed with no valgrind report.
# docs/hardening.md records the last run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build/valgrind}
filter=${2:-.}
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

echo "== build (Debug, no sanitizers) into $build"
mkdir -p "$build"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHIVESNAP_WERROR=ON \
	-DHIVESNAP_SANITIZE=OFF >"$build/cmake.log" 2>&1 || { cat "$build/cmake.log"; exit 1; }
cmake --build "$build" -j 2 >/dev/null

logs=$(mktemp -d "${TMPDIR:-/tmp}/hs-valgrind.XXXXXX")
trap 'rm -rf "$logs"' EXIT
wrapper=$logs/hivesnap
# MONGOC_DISABLE_SHM: mongoc's counters in shared memory do not work under
# valgrind, and its warning about that would break one-line error checks.
cat >"$wrapper" <<EOW
#!/bin/sh
MONGOC_DISABLE_SHM=1 exec valgrind -q --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect \\
	--show-leak-kinds=definite,indirect --track-origins=yes --error-exitcode=99 \\
	--log-file="$logs/vg.%p.log" "$build/hivesnap" "\$@"
EOW
chmod +x "$wrapper"

export HIVESNAP=$wrapper HS_FIXTURES=$here/tests/fixtures HS_SCHEMAS=$here/schemas HS_SRC=$here \
	HS_BUILD=$build HS_TOOLS=$build/tests
pass=0 failed=()
for t in "$here"/tests/cli/*.sh; do
	name=$(basename "$t" .sh)
	[[ $name == lib ]] && continue
	[[ $name =~ $filter ]] || continue
	rm -f "$logs"/vg.*.log
	start=$SECONDS
	rc=0
	bash "$t" >"$logs/$name.out" 2>&1 || rc=$?
	reports=$(find "$logs" -name 'vg.*.log' -size +0 | sort)
	if [[ $rc == 0 && -z $reports ]]; then
		pass=$((pass + 1))
		echo "ok   cli/$name ($((SECONDS - start)) s)"
	else
		failed+=("$name")
		echo "FAIL cli/$name: exit $rc, $(wc -w <<<"$reports") valgrind report(s) ($((SECONDS - start)) s)"
		tail -n 5 "$logs/$name.out" | sed 's/^/     /'
		for r in $reports; do
			sed 's/^/     /' "$r" | head -n 60
		done
	fi
done
echo "== valgrind: $pass passed, ${#failed[@]} failed${failed:+: ${failed[*]}}"
((${#failed[@]} == 0))
