#!/usr/bin/env bash
# compare-outputs.sh - run the read-only commands of two hivesnap builds on the same
# archives and say whether every output (stdout, the exit code, and stderr with the
# timestamps taken out) is byte-identical: the check of a change that must not change
# behaviour (issue #18's "--json outputs are byte-identical on the test archives").
#
#   scripts/compare-outputs.sh OLD_HIVESNAP NEW_HIVESNAP ARCHIVE...
#
# For each archive: inspect, ls, verify, list of its folder, each with and without
# --json; cat of every entry (raw, and --json); diff and diff --json of each archive
# against the next one given and against itself; profile show (--json) of the built-in
# profile.  Prints one line per differing command and, at the end,
# "compare-outputs: N commands, all identical" (exit 0) or "... D differ" (exit 1).
set -uo pipefail

[ $# -ge 3 ] || { sed -n 2,14p "$0" >&2; exit 64; }
old=$1 new=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 bad=0

# run NAME ARGS...: both builds, same args; compare stdout, exit code, stderr sans times
run() {
	local name=$1 b
	shift
	n=$((n + 1))
	for b in old new; do
		local bin=$old
		[ "$b" = new ] && bin=$new
		"$bin" "$@" >"$work/$b.out" 2>"$work/$b.err" </dev/null
		echo "exit $?" >>"$work/$b.out"
		sed -E 's/time=[^ ]+//; s/[0-9]+(\.[0-9]+)? ?(ms|s)\b/T/g' "$work/$b.err" >"$work/$b.errs"
	done
	if ! cmp -s "$work/old.out" "$work/new.out" || ! cmp -s "$work/old.errs" "$work/new.errs"; then
		bad=$((bad + 1))
		echo "DIFFERS: $name"
		diff <(cat "$work/old.out" "$work/old.errs") <(cat "$work/new.out" "$work/new.errs") | head -10
	fi
}

run "profile show" profile show
run "profile show --json" profile show --json
prev=
for a in "$@"; do
	for c in inspect ls verify; do
		run "$c $a" "$c" "$a"
		run "$c --json $a" "$c" --json "$a"
	done
	run "list $(dirname "$a")" list "$(dirname "$a")"
	run "list --json $(dirname "$a")" list --json "$(dirname "$a")"
	while IFS= read -r ent; do
		run "cat $a $ent" cat "$a" "$ent"
		run "cat --json $a $ent" cat "$a" "$ent" --json
	done < <("$new" ls --json "$a" | python3 -c 'import json,sys; [print(e["name"]) for e in json.load(sys.stdin)]')
	run "diff $a $a" diff "$a" "$a"
	if [ -n "$prev" ]; then
		run "diff $prev $a" diff "$prev" "$a"
		run "diff --json $prev $a" diff --json "$prev" "$a"
	fi
	prev=$a
done
if [ "$bad" -eq 0 ]; then
	echo "compare-outputs: $n commands, all identical"
	exit 0
fi
echo "compare-outputs: $n commands, $bad differ"
exit 1
