#!/usr/bin/env bash
# rollback.sh - rollback's checks that need no server: usage errors (64), a
# bad archive refused (4) before any kubeconfig is read, an archive without
# the Deployment's revisions (3). Runs with a kubeconfig that would fail if
# it were ever used (an exec user), so nothing reaches a cluster.
set -euo pipefail
: "${HIVESNAP:?}" "${HS_FIXTURES:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/kc" <<'KC'
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {exec: {command: never-run}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
KC
export KUBECONFIG=$work/kc

# expect CODE GREP ARGS...: exit code and a stderr line
expect() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$HIVESNAP" "$@" >"$work/out" 2>"$work/err" || rc=$?
	[[ $rc == "$want" ]] || fail "hivesnap $*: exit $rc, want $want: $(cat "$work/err")"
	grep -q -- "$pat" "$work/err" || fail "hivesnap $*: stderr lacks '$pat': $(cat "$work/err")"
	[[ ! -s $work/out ]] || fail "hivesnap $*: printed a plan: $(cat "$work/out")"
	ok "$* -> $want"
}

good=$HS_FIXTURES/good/minimal.tar.zst
expect 64 "needs --deployment NS/NAME" rollback "$good"
expect 64 "takes NS/NAME, not 'web'" rollback "$good" --deployment web
expect 64 "takes NS/NAME, not 'a/b/c'" rollback "$good" --deployment a/b/c
expect 64 "positive number, not 'two'" rollback "$good" --deployment ns/web --revision two
expect 64 "takes one ARCHIVE" rollback --deployment ns/web
expect 4 "" rollback "$HS_FIXTURES/bad/dotdot.tar.zst" --deployment ns/web --execute
expect 3 "holds no revision of deployment 'ns/web'" rollback "$good" --deployment ns/web
