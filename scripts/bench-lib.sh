# bench-lib.sh - what the benchmark scripts share (sourced, not run):
# finding the peers' binaries, a Release build without sanitizers, timing
# one command with GNU time, medians and ratios, and the machine's load.
#
#   bench_find_bin NAME            path of redis-server, mongodump, ... (PEERS_BIN,
#                                  the peers cache, PATH) or exit 3
#   bench_build DIR TARGET...      configure DIR (Release, no sanitizers) and build
#   bench_build_from SRC DIR TARGET...   the same from the source tree SRC (a baseline)
#   bench_measure NAME CMD...      run CMD (stdout to /dev/null), append
#                                  "wall cpu rss_kib server_cpu" to $BENCH_WORK/NAME.t;
#                                  server_cpu is the CPU seconds the process
#                                  BENCH_SERVER_PID (the peer server) used meanwhile,
#                                  "-" when unset; a failing CMD stops the script
#                                  (exit 3) with its stderr
#   bench_median NAME COL          median of column COL (1 wall, 2 cpu, 3 rss, 4 server cpu) of NAME
#   bench_max NAME COL             largest value of column COL
#   bench_ratio A B                A / B with two decimals
#   bench_load                     "1-minute loadavg" now; bench_measure also
#                                  appends it to $BENCH_WORK/load
#
# Two hivesnap builds in one run (bench.sh --baseline): BENCH_HS is this
# build's binary, BENCH_HS_BASE the baseline's (empty: none).  A measurement
# NAME of this build has its twin NAME_base, made right beside it.
#   bench_order NAME               set BENCH_ORDER to the variants' suffixes
#                                  ("" this build, "_base" the baseline) in the
#                                  order of NAME's next run: the order flips each
#                                  run (A B, B A, ...), so that neither build is
#                                  always the one that goes first; just ("")
#                                  without a baseline
#   bench_hs V                     the binary of variant V
#   bench_pair NAME CMD...         for each variant V in bench_order's order,
#                                  bench_measure NAME$V CMD, with "{hs}" in CMD's
#                                  words replaced by V's binary and "{v}" by V
#                                  (to keep the outputs apart: -o "$w/a{v}.tar.zst")
# Needs BENCH_WORK (a scratch folder) set by the caller.

[[ -x /usr/bin/time ]] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 3; }

bench_find_bin() {
	local c cache=${HIVESNAP_PEERS_CACHE:-$HOME/.cache/hivesnap-peers}
	for c in ${PEERS_BIN:+$PEERS_BIN/$1} "$cache"/*/"$1" "$cache"/*/bin/"$1" "$(command -v "$1" || true)"; do
		[[ -n $c && -x $c ]] && { echo "$c"; return; }
	done
	echo "bench: no $1 (run scripts/peers.sh build, or set PEERS_BIN)" >&2
	exit 3
}

bench_build_from() {
	local src=$1 dir=$2
	shift 2
	cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
		-DHIVESNAP_SANITIZE=OFF -DHIVESNAP_WERROR=OFF >/dev/null
	ninja -C "$dir" -j2 "$@" >/dev/null
}

bench_build() {
	bench_build_from "$(dirname "${BASH_SOURCE[0]}")/.." "$@"
}

bench_load() {
	cut -d' ' -f1 /proc/loadavg
}

# CPU seconds (user + system) process $1 has used so far; a gone process stops the script
bench_proc_cpu() {
	[[ -r /proc/$1/stat ]] || { echo "bench: the server process $1 is gone (restarted?)" >&2; exit 3; }
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

bench_measure() {
	local name=$1 s0=-
	shift
	bench_load >>"$BENCH_WORK/load"
	if [[ -n ${BENCH_SERVER_PID:-} ]]; then
		s0=$(bench_proc_cpu "$BENCH_SERVER_PID") || exit 3
	fi
	/usr/bin/time -f '%e %U %S %M' -o "$BENCH_WORK/time.out" "$@" >/dev/null 2>"$BENCH_WORK/err" || {
		echo "bench: $name failed: $*" >&2
		tail -5 "$BENCH_WORK/err" >&2
		exit 3
	}
	local s1=-
	if [[ $s0 != - ]]; then
		s1=$(bench_proc_cpu "$BENCH_SERVER_PID") || exit 3
	fi
	awk -v s0="$s0" -v s1="$s1" \
		'{ printf "%s %.2f %s %s\n", $1, $2 + $3, $4, (s0 == "-" ? "-" : sprintf("%.2f", s1 - s0)) }' \
		"$BENCH_WORK/time.out" >>"$BENCH_WORK/$name.t"
	bench_load >>"$BENCH_WORK/load"
}

bench_median() {
	cut -d' ' -f"$2" "$BENCH_WORK/$1.t" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

bench_max() {
	cut -d' ' -f"$2" "$BENCH_WORK/$1.t" | sort -n | tail -1
}

bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

BENCH_HS=${BENCH_HS:-} BENCH_HS_BASE=${BENCH_HS_BASE:-}

bench_order() {
	local done=0
	BENCH_ORDER=("")
	[[ -n $BENCH_HS_BASE ]] || return 0
	# runs made so far: after an even count A B, after an odd one B A
	[[ -f $BENCH_WORK/$1.t ]] && done=$(wc -l <"$BENCH_WORK/$1.t")
	if ((done % 2)); then
		BENCH_ORDER=(_base "")
	else
		BENCH_ORDER=("" _base)
	fi
}

bench_hs() {
	case $1 in
	"") echo "$BENCH_HS" ;;
	_base) echo "$BENCH_HS_BASE" ;;
	*) echo "bench: no hivesnap variant '$1'" >&2; exit 3 ;;
	esac
}

bench_pair() {
	local name=$1 v a bin args
	shift
	bench_order "$name"
	for v in "${BENCH_ORDER[@]}"; do
		bin=$(bench_hs "$v") args=()
		for a in "$@"; do
			a=${a//"{hs}"/"$bin"}
			args+=("${a//"{v}"/"$v"}")
		done
		bench_measure "$name$v" "${args[@]}"
	done
}
