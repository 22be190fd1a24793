#!/usr/bin/env bash
# run_test.sh SCRIPT - run one tests/cli or tests/integration script the way
# ctest does (tests/CMakeLists.txt), and fail it when any sanitizer report
# was written, whatever the script itself concluded.
#
# Why: a script pins exact exit codes, but not every run is checked that
# way ("|| true", 2>/dev/null, a run expected to fail with any code).  So
# AddressSanitizer, LeakSanitizer and UBSan write their reports to files in
# a private folder (log_path) with exit code 86 (no hivesnap exit code, and
# not 1, which is `diff`'s "differ"), and this wrapper fails the test when
# that folder is not empty afterwards, printing the reports.  Every
# ASan-built program the script runs (hivesnap, the tools of HS_TOOLS)
# inherits the options.  On a build without sanitizers the options are
# unused and the folder stays empty.
#
# ASAN_OPTIONS / UBSAN_OPTIONS from the environment are kept; only
# log_path and exitcode are forced.
set -uo pipefail
script=${1:?usage: run_test.sh SCRIPT [ARGS...]}
shift
reports=$(mktemp -d "${TMPDIR:-/tmp}/hs-sanitizer.XXXXXX") || exit 1
trap 'rm -rf "$reports"' EXIT

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}:exitcode=86:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}:exitcode=86:log_path=$reports/ubsan"
export HS_SANITIZER_REPORTS=$reports

bash "$script" "$@"
rc=$?
found=$(find "$reports" -type f | sort)
if [[ -n $found ]]; then
	for f in $found; do
		echo "--- sanitizer report $(basename "$f"):" >&2
		head -c 20000 "$f" >&2
	done
	echo "FAIL: $(wc -l <<<"$found") sanitizer report(s) written while running $(basename "$script") (exit $rc)" >&2
	exit 1
fi
exit $rc
