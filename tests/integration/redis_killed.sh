#!/usr/bin/env bash
# A Redis server killed in the middle of a capture: without --allow-partial
# the snapshot fails with exit 3 and leaves no archive; with it, exit 2 and
# the manifest says redis is "partial", why, and which db is incomplete.
# Runs its OWN redis-server on a private port (never the shared peer).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}"
. "$(dirname "${BASH_SOURCE[0]}")/private_redis.bash"
private_redis_init 26391

start() {
	private_redis_start --appendonly no
	awk 'BEGIN { for (i = 0; i < 200000; i++) { k = "hs:k:" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n", length(k), k } }' |
		cli --pipe >/dev/null
}
# Start a snapshot, kill -9 the server once the capture is under way.
run_killed() { # extra flags...
	start
	set +e
	"$HIVESNAP" snapshot -p "$work/p.yaml" --only redis -o "$work/a.tar.zst" "$@" >"$work/out" 2>"$work/err" &
	local snap=$!
	for _ in $(seq 100); do grep -q 'capture started' "$work/err" && break; sleep 0.1; done
	sleep 0.5
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	pid=
	wait "$snap"
	rc=$?
	set -e
}
cat >"$work/p.yaml" <<EOF
name: redis-killed
redis:
  uri: redis://127.0.0.1:$port/0
  dbs:
    - db: 0
      patterns: ["hs:*"]
  scan_count: 10
  batch: 5
EOF

run_killed
[[ $rc == 3 ]] || fail "killed server: exit $rc, want 3 ($(cat "$work/err"))"
[[ ! -e $work/a.tar.zst ]] || fail "an archive was left behind"
ls "$work" | grep -q 'a.tar.zst' && fail "a temporary archive was left behind"
grep -q 'redis' "$work/err" || fail "the error does not name redis: $(cat "$work/err")"
echo "ok: exit 3, no archive: $(tail -1 "$work/err")"

run_killed --allow-partial
[[ $rc == 2 ]] || fail "killed server with --allow-partial: exit $rc, want 2 ($(cat "$work/err"))"
m=$(tar --zstd -xOf "$work/a.tar.zst" manifest.json)
[[ $(jq -r .sources.redis.status <<<"$m") == partial ]] || fail "manifest: $(jq -c .sources.redis <<<"$m")"
[[ $(jq -r .sources.redis.error <<<"$m") == *"connection"* ]] || fail "manifest error: $(jq -r .sources.redis.error <<<"$m")"
[[ $(jq -r '.sources.redis.details.dbs["0"].complete' <<<"$m") == false ]] || fail "db 0 not marked incomplete"
n=$(tar --zstd -xOf "$work/a.tar.zst" redis/db0.jsonl | wc -l)
((n < 200000)) || fail "all keys captured: the kill came too late to test anything"
"$HIVESNAP" verify "$work/a.tar.zst" >/dev/null ||
	fail "the partial archive does not verify"
echo "ok: exit 2 with --allow-partial, manifest says partial ($n keys kept)"

# the server stays down: the next capture cannot connect; its one-line error
# names the server once (it used to say "server 'U': cannot connect to redis 'U'")
rc=0
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis -o "$work/down.tar.zst" >/dev/null 2>"$work/err" || rc=$?
[[ $rc == 3 ]] || fail "capture of a stopped server: exit $rc, want 3 ($(cat "$work/err"))"
last=$(tail -1 "$work/err")
[[ $last == "hivesnap: "*"cannot connect to redis 'redis://127.0.0.1:$port/0'"* ]] ||
	fail "the error does not say it cannot connect: $last"
[[ $(grep -o "127.0.0.1:$port" <<<"$last" | wc -l) == 1 ]] || fail "the error names the server more than once: $last"
[[ ! -e $work/down.tar.zst ]] || fail "an archive was written for a stopped server"
echo "ok: a stopped server: exit 3, $last"
echo PASS
