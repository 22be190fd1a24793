#!/usr/bin/env bash
# The command runner: exit codes for usage errors, --help everywhere, the
# exit-code table in --help, --json of version, and a failed stdout write.
set -euo pipefail
: "${HIVESNAP:?HIVESNAP must name the binary}"
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # expect CODE cmd...
	local want=$1 got=0; shift
	"$@" >/dev/null 2>&1 || got=$?
	[[ $got == "$want" ]] || fail "'$*' exited $got, want $want"
	echo "ok: '$*' -> $want"
}

expect 64 "$HIVESNAP"
expect 64 "$HIVESNAP" no-such-command
expect 64 "$HIVESNAP" version extra-argument
expect 64 "$HIVESNAP" version --log-level loud
expect 0 "$HIVESNAP" --help
expect 0 "$HIVESNAP" version --help
expect 0 "$HIVESNAP" help version

help=$("$HIVESNAP" --help)
for code in 0 1 2 3 4 5 64 65 75; do
	grep -qE "^ +$code  " <<<"$help" || fail "--help does not document exit code $code"
done
echo "ok: --help documents every exit code"

err=$("$HIVESNAP" no-such-command 2>&1 >/dev/null || true)
[[ $(wc -l <<<"$err") -eq 1 && $err == *"unknown command 'no-such-command'"* ]] ||
	fail "unknown command error is not one line naming the command: $err"
echo "ok: one-line error naming the command"

v=$("$HIVESNAP" version --json)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["name"]=="hivesnap" and d["archive_format_version"]==1 and "libmongoc" in d["libraries"], d' "$v" ||
	fail "version --json shape"
echo "ok: version --json"

if [[ -w /dev/full ]]; then
	got=0
	"$HIVESNAP" version >/dev/full 2>/dev/null || got=$?
	[[ $got == 3 ]] || fail "writing to a full disk exited $got, want 3"
	echo "ok: a failed stdout write is exit 3"
fi
