#!/usr/bin/env bash
# bench.sh - issue 11: hivesnap side by side with the tools operators use,
# on the same data, in the same run, alternating A B A B.
#
#   scripts/bench.sh [small|medium|large] [--runs R] [--only SECTIONS] [--results DIR]
#                    [--build DIR] [--no-seed] [--keep-peers] [--no-doc]
#                    [--baseline REV [--fail-above RATIO]]
#
# SECTIONS (comma list, default all): mongo (capture: snapshot --only mongo,
# mongodump --gzip, plain mongodump, the raw cursor drain hs_mongo_drain in
# natural and in _id order), mongorestore (restore into an empty namespace
# vs mongorestore with the same parallelism: one collection at a time;
# both with the same indexes and both without),
# redis (capture vs redis-dump-go; restore into an empty db vs redis-cli
# --pipe of redis-dump-go's output), diff (hivesnap diff of two archives vs
# zstd -dc of both), scale (the Redis capture at 1x, 2x, 4x the data: the
# seeded db copied into 1, 2, 4 dbs).
#
# It runs its OWN peers (scripts/peers.sh with HIVESNAP_PEERS_PORT_OFFSET=6000,
# HIVESNAP_PEERS_RUN=/tmp/hs-bench-peers; HIVESNAP_BENCH_PORT_OFFSET and
# HIVESNAP_BENCH_RUN change them, so that two benchmarks can run at once), seeds
# them (hs_seed --scale), and stops them at the end (--keep-peers: leave them
# up; --no-seed: they hold the scale's data already).  Each section writes a
# Markdown fragment into the results folder (default /tmp/hs-bench-results);
# unless --no-doc, docs/BENCHMARKS.md is then rewritten from the fragments
# there, keeping every section of it this script does not generate (the
# archive writer's, diff's).  Release build without sanitizers in --build (default build-bench).
#
# --baseline REV (a git revision) measures a second hivesnap, built from REV
# the same way (a detached git worktree in DIR-base/src, kept between runs,
# built in DIR-base/build), in the same run: every hivesnap measurement is
# made for both builds, one right after the other, the order flipping each
# run.  Each table gains a row "hivesnap at REV ..." under each of this
# build's rows, each section a line "this build / REV: X.XX (wall), Y.YY
# (CPU)", and the run ends with the worst of those ratios.  --fail-above
# RATIO (e.g. 1.05): exit 1 when any of them is above RATIO (default: report
# only).  The peers' rows and ratios are the same as without it.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/scripts/bench-lib.sh"
scale=medium runs=3 only=mongo,mongorestore,redis,diff,scale results=/tmp/hs-bench-results
build=$src/build-bench seed=1 keep=0 doc=1 base='' fail_above=''
usage() {
	echo "usage: $0 [small|medium|large] [--runs R] [--only SECTIONS] [--results DIR] [--build DIR] [--no-seed] [--keep-peers] [--no-doc] [--baseline REV [--fail-above RATIO]]" >&2
	exit 64
}
while [[ $# -gt 0 ]]; do
	case $1 in
	small | medium | large) scale=$1; shift ;;
	--runs) runs=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--no-seed) seed=0; shift ;;
	--keep-peers) keep=1; shift ;;
	--no-doc) doc=0; shift ;;
	--baseline) base=$2; shift 2 ;;
	--fail-above) fail_above=$2; shift 2 ;;
	*) usage ;;
	esac
done
if [[ -n $fail_above ]]; then
	[[ -n $base ]] || { echo "bench: --fail-above needs --baseline" >&2; exit 64; }
	[[ $fail_above =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "bench: --fail-above $fail_above: not a ratio (e.g. 1.05)" >&2; exit 64; }
fi
if [[ -n $base ]]; then
	base_commit=$(git -C "$src" rev-parse --verify -q "$base^{commit}") ||
		{ echo "bench: --baseline $base: not a commit in $src" >&2; exit 64; }
	# the label: REV as given, with its short hash when REV is a name (main, HEAD~3)
	base_label=$base
	[[ $base_commit == "$base"* ]] || base_label="$base ($(git -C "$src" rev-parse --short "$base_commit"))"
fi
want() { [[ ,$only, == *,$1,* ]]; }

export HIVESNAP_PEERS_PORT_OFFSET=${HIVESNAP_BENCH_PORT_OFFSET:-6000}
export HIVESNAP_PEERS_RUN=${HIVESNAP_BENCH_RUN:-/tmp/hs-bench-peers} HS_TOOLS=$build/tests
bench_build "$build" hivesnap hs_seed hs_mongo_drain hs_mongo_tool
hs=$build/hivesnap
BENCH_HS=$hs BENCH_HS_BASE=
if [[ -n $base ]]; then
	# a worktree of its own, kept with its build so that the next run with
	# the same or a near REV only rebuilds what changed
	base_tree=$build-base/src
	if [[ -e $base_tree/.git ]]; then
		git -C "$base_tree" checkout -q -f --detach "$base_commit"
	else
		git -C "$src" worktree add -q -f --detach "$base_tree" "$base_commit"
	fi
	echo "bench: building the baseline $base_label in $build-base" >&2
	bench_build_from "$base_tree" "$build-base/build" hivesnap
	BENCH_HS_BASE=$build-base/build/hivesnap
fi
mkdir -p "$results"
BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-XXXXXX")
w=$BENCH_WORK
cleanup() {
	((keep)) || "$src/scripts/peers.sh" stop redis ferretdb tools >/dev/null 2>&1 || true
	rm -rf "$w"
}
trap cleanup EXIT
"$src/scripts/peers.sh" start redis ferretdb tools
eval "$("$src/scripts/peers.sh" env redis ferretdb tools)"
# seed only what the chosen sections read (the large seed's MongoDB part takes a quarter of an hour)
seed_peers=()
{ want redis || want diff || want scale; } && seed_peers+=(redis)
{ want mongo || want mongorestore; } && seed_peers+=(ferretdb)
((seed)) && ((${#seed_peers[@]})) && "$src/scripts/peers.sh" seed --scale "$scale" "${seed_peers[@]}" >/dev/null
muri=$HIVESNAP_MONGO_URI ruri=$HIVESNAP_REDIS_URI
rport=${ruri##*:} rport=${rport%%/*}
rcli=$(bench_find_bin redis-cli) rdg=$(bench_find_bin redis-dump-go)
mdump=$(bench_find_bin mongodump) mrest=$(bench_find_bin mongorestore)
drain=$build/tests/hs_mongo_drain mtool=$build/tests/hs_mongo_tool
docs=$("$build/tests/hs_seed" --scale "$scale" --plan --json --only mongo | jq '[.mongo[]] | add')
keys=$("$rcli" -p "$rport" -n 0 dbsize)
mpar=3
profile() { # FILE REDIS-DBS...
	local f=$1 d
	shift
	{
		printf 'name: bench\nmongo:\n  uri: %s\n  parallel: %s\n  databases:\n    - name: neural_hive\n' "$muri" "$mpar"
		printf 'redis:\n  uri: %s\n  dbs:\n' "${ruri%/*}/0"
		for d in "$@"; do printf '    - db: %s\n      patterns: ["*"]\n' "$d"; done
	} >"$f"
}
profile "$w/p.yaml" 0
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
# row LABEL NAME BYTES BASE: one table row from NAME's runs, ratio of wall to BASE's
row() {
	local t c m
	t=$(bench_median "$2" 1) c=$(bench_median "$2" 2) m=$(bench_max "$2" 3)
	echo "| $1 | $t s | $c s | $(mib "$m") MiB | $3 | ${4:+$(bench_ratio "$t" "$(bench_median "$4" 1)")} |"
}
# hs_rows LABEL NAME BYTES PEER [BASE-BYTES [BASE-PEER]]: row() for this
# build's NAME and, with a baseline, the baseline's NAME_base below it (its
# label "hivesnap at REV ...", its last column against BASE-PEER, default
# PEER); the pair's ratios wait in $w/pairs.now for pair_note
hs_rows() {
	row "$1" "$2" "$3" "$4"
	[[ -n $base ]] || return 0
	row "$(base_row_label "$1")" "$2_base" "${5:--}" "${6:-$4}"
	pair_ratios "$1" "$2"
}
base_row_label() {
	case $1 in
	hivesnap\ *) echo "hivesnap at $base_label ${1#hivesnap }" ;;
	*) echo "$1, hivesnap at $base_label" ;;
	esac
}
# pair_ratios LABEL NAME [wall]: this build over the baseline, wall and CPU (CPU "-" with "wall")
pair_ratios() {
	local c=-
	[[ ${3:-} == wall ]] || c=$(bench_ratio "$(bench_median "$2" 2)" "$(bench_median "$2_base" 2)")
	printf '%s\t%s\t%s\n' "$(bench_ratio "$(bench_median "$2" 1)" "$(bench_median "$2_base" 1)")" "$c" "$1" >>"$w/pairs.now"
}
# pair_note SECTION: the section's line of ratios against the baseline; they
# also go to $w/pairs (section, row, wall, CPU) for the summary at the end
pair_note() {
	local wr cr label line='' sep=''
	[[ -s $w/pairs.now ]] || return 0
	while IFS=$'\t' read -r wr cr label; do
		line+="$sep$label $wr (wall), $cr (CPU)" sep="; "
		printf '%s\t%s\t%s\t%s\n' "$1" "$label" "$wr" "$cr" >>"$w/pairs"
	done <"$w/pairs.now"
	: >"$w/pairs.now"
	echo "this build / $base_label: $line."
	echo
}
head_row='| tool | wall (median) | CPU user+sys (median) | peak RSS (max) | output bytes | wall / peer |
|---|---|---|---|---|---|'
load_note() {
	echo "Load average (1 min) sampled before and after each run: min $(sort -n "$w/load" | head -1), median $(sort -n "$w/load" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'), max $(sort -n "$w/load" | tail -1) on $(nproc) cores (other engineers' builds and tests share the machine)."
	: >"$w/load"
}

if want mongo; then
	echo "bench: mongo capture ($docs documents), $runs runs" >&2
	for i in $(seq "$runs"); do
		rm -rf "$w/m.tar.zst" "$w/m_base.tar.zst" "$w/dgz" "$w/dplain"
		bench_pair hs_m '{hs}' snapshot -q -p "$w/p.yaml" --only mongo -o "$w/m{v}.tar.zst"
		bench_measure md_gz "$mdump" --uri "$muri" --db neural_hive --gzip --out "$w/dgz" --quiet
		bench_measure md_plain "$mdump" --uri "$muri" --db neural_hive --out "$w/dplain" --quiet
		bench_measure drain_nat "$drain" --parallel "$mpar" "$muri" neural_hive
		bench_measure drain_id "$drain" --sort-id --parallel "$mpar" "$muri" neural_hive
	done
	cp "$w/m.tar.zst" "$results/m.tar.zst"
	rm -rf "$results/dplain" && cp -r "$w/dplain" "$results/dplain"
	{
		echo "neural_hive, $scale seed: $docs documents in 3 collections, FerretDB 1.24 (SQLite backend); hivesnap and the drain read $mpar collections at once (mongodump's default is 4), $runs runs each, alternating."
		echo
		echo "$head_row"
		hs_rows "hivesnap snapshot --only mongo" hs_m "$(stat -c %s "$w/m.tar.zst")" md_gz "$(stat -c %s "$w/m_base.tar.zst" 2>/dev/null)"
		row "mongodump --gzip" md_gz "$(du -sb "$w/dgz" | cut -f1)" md_gz
		row "mongodump (plain)" md_plain "$(du -sb "$w/dplain" | cut -f1)" md_gz
		row "hs_mongo_drain, natural order (lower bound)" drain_nat 0 md_gz
		row "hs_mongo_drain, _id order (hivesnap's query)" drain_id 0 md_gz
		echo
		pair_note mongo
		echo "hivesnap / drain in _id order: $(bench_ratio "$(bench_median hs_m 1)" "$(bench_median drain_id 1)") by wall time; drain in _id order / natural order: $(bench_ratio "$(bench_median drain_id 1)" "$(bench_median drain_nat 1)")."
		load_note
	} >"$results/mongo.md"
fi

if want mongorestore; then
	echo "bench: mongo restore, $runs runs" >&2
	[[ -f $results/m.tar.zst && -d $results/dplain ]] || { echo "bench: mongorestore needs the mongo section's outputs in $results" >&2; exit 3; }
	# FerretDB 1.24 refuses mongorestore's index specs (it adds "ns" itself,
	# even to hivesnap's metadata, which has none): mongorestore loads the
	# documents (--noIndexRestore), then mr_indexes builds the same secondary
	# indexes the way hivesnap does (one createIndexes each, without v and ns).
	# Compared: both with indexes (hivesnap's whole restore against
	# mongorestore + mr_indexes) and both without (hivesnap's documents phase,
	# summed from its log, against mongorestore --noIndexRestore).
	mr_indexes() { # MTOOL URI DIR DB
		local f c ix
		for f in "$3"/*.metadata.json; do
			[[ -f $f ]] || return 1
			c=$(basename "$f" .metadata.json)
			set -o pipefail
			jq -c '.indexes[] | select(.name != "_id_") | del(.v, .ns)' "$f" | while read -r ix; do
				"$1" cmd "$2" "$4" "{\"createIndexes\":\"$c\",\"indexes\":[$ix]}" >/dev/null || exit 1
			done || return 1
		done
	}
	export BENCH_SERVER_PID   # FerretDB's CPU during each restore
	n=
	BENCH_SERVER_PID=$(cat "$HIVESNAP_PEERS_RUN/ferretdb/ferretdb.pid")
	for i in $(seq "$runs"); do
		bench_order hs_mr
		for v in "${BENCH_ORDER[@]}"; do   # this build and the baseline, each on the same archive
			"$mtool" drop "$muri" bench_restore >/dev/null
			bench_measure "hs_mr$v" "$(bench_hs "$v")" restore "$results/m.tar.zst" -p "$w/p.yaml" --only mongo --map-ns 'neural_hive.*=bench_restore.*' --execute
			sed -n 's/.*(documents \([0-9.]*\) s, indexes.*/\1/p' "$w/err" | awk '{ s += $1 } END { printf "%.2f - -\n", s }' >>"$w/hs_mr_docs$v.t"
			c=$("$mtool" count "$muri" bench_restore execution_tickets)
			n=${n:-$c}
			[[ $c == "$n" ]] || { echo "bench: restores differ ($n execution_tickets, $c by hivesnap$v)" >&2; exit 3; }
		done
		"$mtool" drop "$muri" bench_restore >/dev/null
		bench_measure mr "$mrest" --uri "$muri" --dir "$results/dplain" --nsFrom 'neural_hive.*' --nsTo 'bench_restore.*' \
			--numParallelCollections 1 --numInsertionWorkersPerCollection 1 --noIndexRestore --quiet
		bench_measure mr_ix bash -c "$(declare -f mr_indexes); mr_indexes \"\$@\"" mr_indexes "$mtool" "$muri" "$results/dplain/neural_hive" bench_restore
		paste -d' ' <(tail -1 "$w/mr.t") <(tail -1 "$w/mr_ix.t") |
			awk '{ printf "%.2f %.2f %s %.2f\n", $1 + $5, $2 + $6, ($3 > $7 ? $3 : $7), $4 + $8 }' >>"$w/mr_all.t"
		[[ $n == $("$mtool" count "$muri" bench_restore execution_tickets) ]] || { echo "bench: restores differ ($n execution_tickets)" >&2; exit 3; }
	done
	BENCH_SERVER_PID=
	"$mtool" drop "$muri" bench_restore >/dev/null
	{
		echo "Restore of the $scale seed's neural_hive ($docs documents) into the empty namespace bench_restore.*, one collection at a time on both sides: hivesnap (insert mode, its secondary indexes built after each collection's documents, one createIndexes each) vs mongorestore of plain mongodump's folder with --numParallelCollections 1 --numInsertionWorkersPerCollection 1 --noIndexRestore, followed by the same secondary indexes built the same way with hs_mongo_tool (FerretDB 1.24 refuses mongorestore's own index specs: it adds \"ns\", \"Index option ns is unknown\"). With indexes: hivesnap's whole restore (verify, plan, documents, indexes) against mongorestore + indexes. Without: hivesnap's documents phase (the sum of the \"documents N s\" its log reports per collection; wall only) against mongorestore --noIndexRestore. $runs runs each, alternating."
		echo
		echo "$head_row"
		hs_rows "hivesnap restore --only mongo --execute (with indexes)" hs_mr - mr_all
		row "mongorestore --noIndexRestore + the same indexes" mr_all - mr_all
		for v in "" ${base:+_base}; do
			l="hivesnap documents phase (from its log)"
			[[ -z $v ]] || l=$(base_row_label "$l")
			echo "| $l | $(bench_median "hs_mr_docs$v" 1) s | - | - | - | $(bench_ratio "$(bench_median "hs_mr_docs$v" 1)" "$(bench_median mr 1)") |"
		done
		[[ -z $base ]] || pair_ratios "hivesnap documents phase (from its log)" hs_mr_docs wall
		row "mongorestore --noIndexRestore" mr - mr
		row "the same indexes alone (hs_mongo_tool)" mr_ix - mr_ix
		echo
		pair_note mongorestore
		echo "FerretDB's CPU (medians): $(bench_median hs_mr 4) s during hivesnap's restore, $(bench_median mr 4) s during mongorestore --noIndexRestore and $(bench_median mr_ix 4) s during the indexes; the clients' own CPU is in the table."
		load_note
	} >"$results/mongorestore.md"
fi

if want redis; then
	echo "bench: redis capture and restore ($keys keys), $runs runs" >&2
	for i in $(seq "$runs"); do
		rm -f "$w/r.tar.zst" "$w/r_base.tar.zst" "$w/d.resp"
		bench_pair hs_rc '{hs}' snapshot -q -p "$w/p.yaml" --only redis -o "$w/r{v}.tar.zst"
		bench_measure rdg_c sh -c "'$rdg' -s -host 127.0.0.1 -port $rport -db 0 -ttl -output resp >'$w/d.resp'"
	done
	# redis-dump-go starts with SELECT 0: restore into db 9 instead
	sed -i '5s/^0\r$/9\r/' "$w/d.resp"
	# the restores also record the Redis server's CPU (BENCH_SERVER_PID) and
	# hivesnap's phases from its debug log: the verifying pass (the archive
	# verified and the records scanned, no connection), the apply, the plan
	# (connect, DBSIZE, EXISTS unless the db is empty, the key spool read back)
	export BENCH_SERVER_PID
	BENCH_SERVER_PID=$(cat "$HIVESNAP_PEERS_RUN/redis/redis.pid")
	phase() { sed -n "s/.*msg=\"$1 in \([0-9.]*\) s\"/\1/p" "$w/err"; }
	hk=
	for i in $(seq "$runs"); do
		bench_order hs_rr
		for v in "${BENCH_ORDER[@]}"; do   # this build and the baseline, each on this build's archive
			"$rcli" -p "$rport" -n 9 flushdb >/dev/null
			bench_measure "hs_rr$v" "$(bench_hs "$v")" restore "$w/r.tar.zst" -p "$w/p.yaml" --only redis --to-redis "${ruri%/*}/9" --execute --log-level debug
			echo "$(phase 'archive verified') $(phase applied) $(phase planned)" >>"$w/hs_rr_phases$v.t"
			c=$("$rcli" -p "$rport" -n 9 dbsize)
			hk=${hk:-$c}
			[[ $c == "$hk" ]] || { echo "bench: restores differ ($hk keys, $c by hivesnap$v)" >&2; exit 3; }
		done
		"$rcli" -p "$rport" -n 9 flushdb >/dev/null
		bench_measure rdg_r sh -c "'$rcli' -p $rport --pipe <'$w/d.resp'"
		rk=$("$rcli" -p "$rport" -n 9 dbsize)
	done
	BENCH_SERVER_PID=
	"$rcli" -p "$rport" -n 9 flushdb >/dev/null
	cp "$w/r.tar.zst" "$results/r.tar.zst"
	{
		echo "Redis 7.0 db 0 of the $scale seed: $keys keys (strings with TTLs, hashes, sorted sets, lists, a stream); $runs runs each, alternating. Restores go into the empty db 9 (redis-dump-go's SELECT rewritten)."
		echo
		echo "$head_row"
		hs_rows "hivesnap snapshot --only redis" hs_rc "$(stat -c %s "$w/r.tar.zst")" rdg_c "$(stat -c %s "$w/r_base.tar.zst" 2>/dev/null)"
		row "redis-dump-go -ttl (RESP)" rdg_c "$(stat -c %s "$w/d.resp")" rdg_c
		hs_rows "hivesnap restore --only redis --execute (verify + plan + apply)" hs_rr - rdg_r
		row "redis-cli --pipe of redis-dump-go's output" rdg_r - rdg_r
		echo
		pair_note redis
		echo "Keys restored: hivesnap $hk of $keys, redis-cli --pipe $rk (redis-dump-go skips streams)."
		echo
		echo "Where the restores' time goes (medians): the Redis server used $(bench_median hs_rr 4) s of CPU for hivesnap's commands and $(bench_median rdg_r 4) s for redis-cli --pipe's. hivesnap's verifying pass (the archive verified whole and its records scanned, before any connection) took $(bench_median hs_rr_phases 1) s, its plan (connect, DBSIZE, the key spool read back) $(bench_median hs_rr_phases 3) s, its apply $(bench_median hs_rr_phases 2) s: apply / --pipe $(bench_ratio "$(bench_median hs_rr_phases 2)" "$(bench_median rdg_r 1)") by wall time."
		load_note
	} >"$results/redis.md"
fi

if want diff; then
	[[ -f $results/r.tar.zst ]] || { echo "bench: diff needs the redis section's archive in $results" >&2; exit 3; }
	echo "bench: diff, $runs runs" >&2
	# the second archive: the same db with 1% of the keys changed
	{ "$rcli" -p "$rport" -n 0 --scan || true; } | head -n $((keys / 100)) |
		awk '{ printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$7\r\nchanged\r\n", length($0), $0 }' | "$rcli" -p "$rport" -n 0 --pipe >/dev/null
	"$hs" snapshot -q -p "$w/p.yaml" --only redis -o "$w/r2.tar.zst"
	for i in $(seq "$runs"); do
		bench_pair hs_diff sh -c "'{hs}' diff '$results/r.tar.zst' '$w/r2.tar.zst'; [ \$? -eq 1 ]"
		bench_measure zstd_diff sh -c "zstd -qdc '$results/r.tar.zst' >/dev/null && zstd -qdc '$w/r2.tar.zst' >/dev/null"
	done
	[[ -f $results/m.tar.zst ]] && for i in $(seq "$runs"); do
		bench_pair hs_diff_m '{hs}' diff "$results/m.tar.zst" "$results/m.tar.zst"
		bench_measure zstd_diff_m sh -c "zstd -qdc '$results/m.tar.zst' >/dev/null && zstd -qdc '$results/m.tar.zst' >/dev/null"
	done
	{
		echo "hivesnap diff (verifies both archives, then compares record by record) against \`zstd -dc\` of both archives to /dev/null (the lower bound: decompression alone); $runs runs each, alternating."
		echo
		echo "$head_row"
		hs_rows "hivesnap diff, redis ($keys keys, 1% changed)" hs_diff - zstd_diff
		row "zstd -dc of both" zstd_diff - zstd_diff
		if [[ -f $w/hs_diff_m.t ]]; then
			hs_rows "hivesnap diff, mongo (the mongo section's archive against itself)" hs_diff_m - zstd_diff_m
			row "zstd -dc of both" zstd_diff_m - zstd_diff_m
		fi
		echo
		pair_note diff
		load_note
	} >"$results/diff.md"
fi

if want scale; then
	echo "bench: scale, $runs runs" >&2
	[[ -f $results/r.tar.zst ]] || "$hs" snapshot -q -p "$w/p.yaml" --only redis -o "$results/r.tar.zst"
	for d in 10 11 12 13; do
		"$rcli" -p "$rport" -n "$d" flushdb >/dev/null
		"$hs" restore "$results/r.tar.zst" -q -p "$w/p.yaml" --only redis --to-redis "${ruri%/*}/$d" --execute >/dev/null
	done
	profile "$w/p1.yaml" 10
	profile "$w/p2.yaml" 10 11
	profile "$w/p4.yaml" 10 11 12 13
	for i in $(seq "$runs"); do
		for x in 1 2 4; do
			rm -f "$w/s.tar.zst" "$w/s_base.tar.zst"
			bench_pair "scale$x" '{hs}' snapshot -q -p "$w/p$x.yaml" --only redis -o "$w/s{v}.tar.zst"
			stat -c %s "$w/s.tar.zst" >"$w/scale$x.bytes"
			[[ -z $base ]] || stat -c %s "$w/s_base.tar.zst" >"$w/scale${x}_base.bytes"
		done
	done
	for d in 10 11 12 13; do "$rcli" -p "$rport" -n "$d" flushdb >/dev/null; done
	{
		echo "hivesnap snapshot --only redis of the $scale seed's db 0 copied into 1, 2 and 4 dbs ($keys, $((2 * keys)), $((4 * keys)) keys); $runs runs each. The last column is the time relative to 1x (linear: 2.00 and 4.00; goal: 4x data in at most 4.4x the time)."
		echo
		echo "| data | wall (median) | CPU user+sys (median) | peak RSS (max) | output bytes | wall / 1x |"
		echo "|---|---|---|---|---|---|"
		for x in 1 2 4; do hs_rows "${x}x ($((x * keys)) keys)" "scale$x" "$(cat "$w/scale$x.bytes")" scale1 "$(cat "$w/scale${x}_base.bytes" 2>/dev/null)" scale1_base; done
		echo
		pair_note scale
		load_note
	} >"$results/scale.md"
fi

# against the baseline: the worst ratios of the run, and --fail-above's verdict
status=0 summary=
if [[ -n $base && -s $w/pairs ]]; then
	worst() { # COLUMN: "RATIO (section/row)" of the largest ratio in COLUMN (3 wall, 4 CPU)
		awk -F'\t' -v c="$1" '$c != "-" && (n++ == 0 || $c + 0 > m + 0) { m = $c; at = $1 "/" $2 }
			END { if (n) printf "%s (%s)", m, at; else printf "-" }' "$w/pairs"
	}
	summary="worst wall ratio $(worst 3), worst CPU ratio $(worst 4)"
	echo "bench: vs $base_label: $summary" >&2
	if [[ -n $fail_above ]]; then
		above=$(awk -F'\t' -v f="$fail_above" '($3 != "-" && $3 + 0 > f + 0) || ($4 != "-" && $4 + 0 > f + 0) {
			printf "bench: vs %s: above %s: %s/%s, %s (wall), %s (CPU)\n", base, f, $1, $2, $3, $4 }' base="$base_label" "$w/pairs")
		if [[ -n $above ]]; then
			echo "$above" >&2
			status=1
		fi
	fi
fi

((doc)) || exit "$status"
# docs/BENCHMARKS.md: the kept sections, then the generated ones
md=$src/docs/BENCHMARKS.md
gen='^## (Run|Reading|MongoDB capture|MongoDB restore|Redis capture and restore|diff against zstd|Scale)'
{
	echo "# Benchmarks"
	echo
	[[ -f $md ]] && awk -v gen="$gen" '/^## / { keep = ($0 !~ gen) } keep' "$md"
	echo "## Run"
	echo
	echo "Generated by \`scripts/bench.sh $scale --runs $runs${base:+ --baseline $base}\` on $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)), $(. /etc/os-release && echo "$PRETTY_NAME"), hivesnap $("$hs" version 2>/dev/null | head -1 | awk '{ print $2 }') (Release, no sanitizers; $("$hs" version 2>/dev/null | awk 'NR > 1 { printf "%s%s %s", sep, $1, $2; sep = ", " }')), $("$rcli" -v), redis-dump-go v0.8.2, mongodump/mongorestore (mongo-tools pinned in scripts/peers/tools, $("$mdump" --version 2>/dev/null | awk '/Go version/ { print $3 }')), FerretDB $(ls -d "${HIVESNAP_PEERS_CACHE:-$HOME/.cache/hivesnap-peers}"/ferretdb-* 2>/dev/null | head -1 | sed 's/.*ferretdb-//'), zstd CLI $(zstd -V | grep -o 'v[0-9.]*' | head -1). Wall and CPU are medians, peak RSS the largest of the runs (GNU time, whole process tree). The machine is shared with other engineers' builds and tests: see each section's load line."
	echo
	if [[ -n $base ]]; then
		echo "Baseline: hivesnap at $base_label (commit $base_commit), built the same way and measured beside this build in every section (the order of the two flipping each run); this build over the baseline: $summary."
		echo
	fi
	for s in mongo:"MongoDB capture" mongorestore:"MongoDB restore" redis:"Redis capture and restore" diff:"diff against zstd -dc" scale:"Scale (Redis capture)"; do
		f=$results/${s%%:*}.md
		[[ -f $f ]] || continue
		echo "## ${s#*:}"
		echo
		cat "$f"
		echo
	done
	[[ -f $results/reading.md ]] && cat "$results/reading.md"
} >"$w/BENCHMARKS.md"
mv "$w/BENCHMARKS.md" "$md"
echo "bench: wrote $md" >&2
exit "$status"
