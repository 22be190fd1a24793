#!/usr/bin/env bash
# MongoDB faults, on a PRIVATE FerretDB (the cached peer binary on a port of
# its own; the shared peer is never touched):
#  - an unreachable server: exit 3 within seconds, the error names the
#    redacted URI and never the password, no archive is left;
#  - with --allow-partial and another source (Redis) captured: exit 2, the
#    manifest says mongo failed; with only mongo configured: still exit 3;
#  - the server killed in the middle of a collection: exit 3 and no archive;
#    with --allow-partial and Redis: exit 2, mongo failed, no .bson entry of
#    the interrupted collection;
#  - wrong credentials (a FerretDB with SCRAM authentication): exit 3, the
#    error says authentication failed and never shows the password; with
#    --allow-partial and Redis: exit 2; the right password captures.
# Needs the env of `scripts/peers.sh env` (HIVESNAP_REDIS_URI) and the
# FerretDB binary that `scripts/peers.sh start` caches.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}" "${HS_TOOLS:?}"
: "${HIVESNAP_REDIS_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
. "$(dirname "${BASH_SOURCE[0]}")/private_ferretdb.bash"
private_ferretdb_init
profile() { # URI [with-redis]
	{
		echo "name: itfaults"
		echo "mongo:"
		echo "  uri: \"$1\""
		echo "  databases:"
		echo "    - name: hs_it_faults"
		if [[ ${2:-} == redis ]]; then
			echo "redis:"
			echo "  uri: \"$HIVESNAP_REDIS_URI\""
			echo "  dbs:"
			echo "    - db: 14"
			echo "      patterns: [\"hs_it_mongo_faults_none:*\"]"
		fi
	} >"$work/p.yaml"
	echo "$work/p.yaml"
}
no_archive() { # DIR
	local left
	left=$(ls -A "$1")
	[[ -z $left ]] || fail "files left in the output folder: $left"
}

# 1. Unreachable, with a password in the URI.
port=$(pick_port)
dead="mongodb://backup:Sup3rS3cret@127.0.0.1:$port/?authSource=admin"
mkdir "$work/o1"
set +e
start=$SECONDS
"$HIVESNAP" snapshot -p "$(profile "$dead")" --output-dir "$work/o1" --only mongo --quiet >"$work/o" 2>"$work/e"
rc=$?
set -e
[[ $rc == 3 ]] || fail "unreachable: exit $rc, want 3"
((SECONDS - start < 30)) || fail "unreachable: took $((SECONDS - start))s"
grep -q "backup:\*\*\*@127.0.0.1:$port" "$work/e" || { cat "$work/e" >&2; fail "the error does not name the redacted URI"; }
! grep -rq Sup3rS3cret "$work/e" "$work/o" || fail "the password appears in the output"
no_archive "$work/o1"
echo "ok: unreachable server: exit 3, redacted URI, no archive"

mkdir "$work/o2"
set +e
"$HIVESNAP" snapshot -p "$(profile "$dead")" --output-dir "$work/o2" --allow-partial --quiet >/dev/null 2>"$work/e"
rc=$?
set -e
[[ $rc == 3 ]] || fail "unreachable, only mongo, --allow-partial: exit $rc, want 3"
no_archive "$work/o2"
set +e
"$HIVESNAP" snapshot -p "$(profile "$dead" redis)" -o "$work/p2.tar.zst" --allow-partial --quiet >/dev/null 2>"$work/e"
rc=$?
set -e
[[ $rc == 2 ]] || { cat "$work/e" >&2; fail "unreachable + redis, --allow-partial: exit $rc, want 2"; }
m=$("$HIVESNAP" cat "$work/p2.tar.zst" manifest.json)
[[ $(jq -r .sources.mongo.status <<<"$m") == failed ]] || fail "mongo not marked failed"
[[ $(jq -r .sources.redis.status <<<"$m") == ok ]] || fail "redis not captured"
! grep -q Sup3rS3cret <(jq -c . <<<"$m") || fail "the password is in the manifest"
echo "ok: --allow-partial: exit 2 with mongo failed, exit 3 when mongo is the only source"

# 2. The server dies in the middle of a collection.
port=$(pick_port)
start_ferretdb
U="mongodb://127.0.0.1:$port/"
"$T" seed "$U" hs_it_faults big 20000
"$T" seed "$U" hs_it_faults small 10
kill_mid() { # OUTPUT-ARGS...: start a snapshot, kill the server while it reads
	# not --quiet: the "capture started" log line (info) is the signal
	"$HIVESNAP" snapshot "$@" >"$work/o" 2>"$work/e" &
	local spid=$! i
	for i in $(seq 400); do
		grep -q 'source=mongo msg="capture started"' "$work/e" 2>/dev/null && break
		sleep 0.025
	done
	grep -q 'source=mongo msg="capture started"' "$work/e" || fail "the snapshot never started capturing mongo"
	sleep 0.3
	stop9
	set +e
	wait $spid
	rc=$?
	set -e
}
mkdir "$work/o3"
kill_mid -p "$(profile "$U")" --output-dir "$work/o3" --only mongo
[[ $rc == 3 ]] || { cat "$work/e" >&2; fail "killed server: exit $rc, want 3"; }
no_archive "$work/o3"
echo "ok: server killed mid-collection: exit 3, nothing written"

start_ferretdb
kill_mid -p "$(profile "$U" redis)" -o "$work/p3.tar.zst" --allow-partial
[[ $rc == 2 ]] || { cat "$work/e" >&2; fail "killed server, --allow-partial: exit $rc, want 2"; }
"$HIVESNAP" verify "$work/p3.tar.zst" >/dev/null || fail "the partial archive does not verify"
m=$("$HIVESNAP" cat "$work/p3.tar.zst" manifest.json)
[[ $(jq -r .sources.mongo.status <<<"$m") == failed ]] || fail "mongo not marked failed: $(jq -c .sources.mongo <<<"$m")"
jq -e '.sources.mongo.details.collections[] | select(.collection=="big") | .status=="failed" and (.error|length>0)' \
	<<<"$m" >/dev/null || fail "collection big not marked failed: $(jq -c .sources.mongo.details <<<"$m")"
# (not `! ls | grep -q`: under pipefail a reader that dies or a SIGPIPE would pass the check)
ents=$("$HIVESNAP" ls "$work/p3.tar.zst") || fail "cannot list p3.tar.zst"
! grep -q 'mongo/hs_it_faults/big\.' <<<"$ents" || fail "the interrupted collection left an entry"
echo "ok: server killed mid-collection with --allow-partial: exit 2, mongo failed, no half collection"

# 3. Wrong credentials: a private FerretDB with authentication on (SCRAM,
# FerretDB's --test-enable-new-auth with a user set up at start).
rm -rf "$work/fdb"
port=$(pick_port)
start_ferretdb --test-enable-new-auth --setup-database=admin --setup-username=backup \
	--setup-password=R1ghtPassw0rd
wrong="mongodb://backup:Wr0ngS3cret@127.0.0.1:$port/?authSource=admin"
right="mongodb://backup:R1ghtPassw0rd@127.0.0.1:$port/?authSource=admin"
mkdir "$work/o4"
set +e
"$HIVESNAP" snapshot -p "$(profile "$wrong")" --output-dir "$work/o4" --only mongo --quiet >"$work/o" 2>"$work/e"
rc=$?
set -e
[[ $rc == 3 ]] || { cat "$work/e" >&2; fail "wrong credentials: exit $rc, want 3"; }
grep -qi "authentication failed" "$work/e" || { cat "$work/e" >&2; fail "the error does not say authentication failed"; }
grep -q "backup:\*\*\*@127.0.0.1:$port" "$work/e" || { cat "$work/e" >&2; fail "the error does not name the redacted URI"; }
! grep -q Wr0ngS3cret "$work/e" "$work/o" || fail "the wrong password appears in the output"
no_archive "$work/o4"
set +e
"$HIVESNAP" snapshot -p "$(profile "$wrong" redis)" -o "$work/p4.tar.zst" --allow-partial --quiet >/dev/null 2>"$work/e"
rc=$?
set -e
[[ $rc == 2 ]] || { cat "$work/e" >&2; fail "wrong credentials + redis, --allow-partial: exit $rc, want 2"; }
m=$("$HIVESNAP" cat "$work/p4.tar.zst" manifest.json)
[[ $(jq -r .sources.mongo.status <<<"$m") == failed ]] || fail "wrong credentials: mongo not marked failed"
jq -e '.sources.mongo.error | test("[Aa]uthentication failed")' <<<"$m" >/dev/null ||
	fail "wrong credentials: the manifest's error does not say why: $(jq -c .sources.mongo <<<"$m")"
zstd -qdc "$work/p4.tar.zst" >"$work/p4.tar" || fail "p4.tar.zst does not decompress"
! grep -aq Wr0ngS3cret "$work/p4.tar" || fail "the wrong password is in the archive"
"$T" seed "$right" hs_it_faults authed 5
"$HIVESNAP" snapshot -p "$(profile "$right")" -o "$work/p5.tar.zst" --only mongo --quiet >/dev/null 2>"$work/e" ||
	{ cat "$work/e" >&2; fail "the right password did not capture"; }
"$HIVESNAP" ls "$work/p5.tar.zst" | grep -q 'mongo/hs_it_faults/authed\.bson' || fail "authed collection not captured"
zstd -qdc "$work/p5.tar.zst" >"$work/p5.tar" || fail "p5.tar.zst does not decompress"
! grep -aq R1ghtPassw0rd "$work/p5.tar" || fail "the password is in the archive"
echo "ok: wrong credentials: exit 3 (2 with --allow-partial and Redis), no password anywhere; right ones capture"
