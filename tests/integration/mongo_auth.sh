#!/usr/bin/env bash
# MongoDB with authentication, on a PRIVATE FerretDB (the cached peer binary,
# SQLite backend, --test-enable-new-auth: SCRAM-SHA-1/256 with users kept by
# FerretDB itself; its own port, state and data under a mktemp -d, killed and
# removed on exit; the shared peer runs without auth and is never touched).
# A setup user made at start creates the user 'backup' (createUser through
# hs_mongo_tool); every password is a distinctive string, the right one holds
# an '@' written %40 in the URIs.
#  - right credentials: snapshot captures the documents; restore --execute
#    into another namespace writes them all; diff --live finds no change;
#  - wrong password: snapshot exits 3 with one "hivesnap:" line naming the
#    source and the redacted URI and saying authentication failed for the
#    user; nothing left in the output folder (no archive, no temporary file,
#    no lock), nor at an -o path;
#  - wrong password, --allow-partial and the shared Redis (read only): exit 2,
#    the archive verifies, mongo failed with the reason, redis captured;
#  - restore (plan and --execute, replace mode over the namespace restored
#    above) and diff --live with the wrong password: exit 3, the target
#    unchanged, no temporary archive left in TMPDIR;
#  - an unknown user, and a URI without credentials: exit 3, clear reasons.
# No password, right or wrong, as written or percent-decoded, appears in any
# stdout, stderr (all at --log-level debug), metrics file or archive
# (decompressed) of any of these runs.
# Needs the env of `scripts/peers.sh env` (HIVESNAP_REDIS_URI) and the
# FerretDB binary that `scripts/peers.sh start` caches.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}" "${HS_TOOLS:?}"
: "${HIVESNAP_REDIS_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
. "$(dirname "${BASH_SOURCE[0]}")/private_ferretdb.bash"
private_ferretdb_init

# The secrets, each as the server sees it and as the URIs write it.
r=$RANDOM$RANDOM
SETUP_PW="S3tupPw-$r"
RIGHT_PW="p@ss-R1ght-$r"
RIGHT_ENC="p%40ss-R1ght-$r"
WRONG_PW="x@Wr0ng:pw-$r"
WRONG_ENC="x%40Wr0ng%3Apw-$r"
GHOST_PW="Gh0stPw-$r"
secrets=("$SETUP_PW" "$RIGHT_PW" "$RIGHT_ENC" "$WRONG_PW" "$WRONG_ENC" "$GHOST_PW" "R1ght-$r" "Wr0ng")
# no_secret FILE...: fail when any secret is in any of the files (archives decompressed)
no_secret() {
	local f s
	for f in "$@"; do
		[[ -e $f ]] || continue
		for s in "${secrets[@]}"; do
			if [[ $f == *.tar.zst ]]; then
				# decompressed to a file first: grep -q on a pipe may SIGPIPE zstd, and pipefail hide a hit
				zstd -dqf "$f" -o "$work/scan/tar" || fail "cannot decompress $f"
				! grep -aqF -- "$s" "$work/scan/tar" || fail "secret '$s' in the archive $f"
			else
				! grep -aqF -- "$s" "$f" || fail "secret '$s' in $f: $(grep -aF -- "$s" "$f" | head -3)"
			fi
		done
	done
}
# every file a run wrote: its stdout, stderr, metrics and output folder
no_secret_anywhere() {
	local files
	mapfile -t files < <(find "$work" -type f ! -path "$work/fdb/*" ! -path "$work/scan/*" ! -name '*.yaml' \
		! -name 'tool.*')
	((${#files[@]} > 0)) || fail "no output files to search"
	no_secret "${files[@]}"
}

port=$(pick_port)
mkdir -p "$work/scan"
start_ferretdb --test-enable-new-auth --setup-database=admin --setup-username=root --setup-password="$SETUP_PW"

host=127.0.0.1:$port
ROOT="mongodb://root:$SETUP_PW@$host/?authSource=admin"
RIGHT="mongodb://backup:$RIGHT_ENC@$host/?authSource=admin"
WRONG="mongodb://backup:$WRONG_ENC@$host/?authSource=admin"
GHOST="mongodb://nobody-$r:$GHOST_PW@$host/?authSource=admin"
NOAUTH="mongodb://$host/"
# FerretDB's new auth checks logins only (no roles): an empty role list
"$T" cmd "$ROOT" admin "{\"createUser\":\"backup\",\"pwd\":\"$RIGHT_PW\",\"roles\":[]}" >"$work/tool.out" 2>&1 ||
	{ cat "$work/tool.out" >&2; fail "createUser failed"; }
# the server really checks: no login, a wrong one are refused
! "$T" count "$NOAUTH" admin x >"$work/tool.out" 2>&1 || fail "the private FerretDB accepts a client without a login"
! "$T" count "$WRONG" admin x >"$work/tool.out" 2>&1 || fail "the private FerretDB accepts a wrong password"
"$T" seed "$RIGHT" hs_auth_src docs 300 >"$work/tool.out" 2>&1 || { cat "$work/tool.out" >&2; fail "seed as backup failed"; }
"$T" seed "$RIGHT" hs_auth_src more 7 >"$work/tool.out" 2>&1 || { cat "$work/tool.out" >&2; fail "seed as backup failed"; }
echo "ok: private FerretDB with SCRAM auth on $host, user backup created"

profile() { # NAME URI [redis]
	local f=$work/$1.yaml
	{
		echo "name: itauth"
		echo "mongo:"
		echo "  uri: \"$2\""
		echo "  databases:"
		echo "    - name: hs_auth_src"
		if [[ ${3:-} == redis ]]; then
			echo "redis:"
			echo "  uri: \"$HIVESNAP_REDIS_URI\""
			echo "  dbs:"
			echo "    - db: 1"
			echo "      patterns: [\"config:flow_c:*\"]"
		fi
	} >"$f"
	echo "$f"
}
count() { "$T" count "$RIGHT" "$1" "$2" 2>"$work/tool.out"; }
# run NAME COMMAND ARGS...: hivesnap COMMAND --log-level debug ARGS, stdout/stderr to NAME.out/.err; sets rc
run() {
	local name=$1 cmd=$2
	shift 2
	set +e
	"$HIVESNAP" "$cmd" --log-level debug "$@" >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	set -e
}
# one_error NAME PATTERN...: exactly one "hivesnap:" line on stderr, matching every PATTERN (grep -E)
one_error() {
	local name=$1 line p
	shift
	[[ $(grep -c '^hivesnap:' "$work/$name.err") == 1 ]] ||
		{ cat "$work/$name.err" >&2; fail "$name: want exactly one 'hivesnap:' error line"; }
	line=$(grep '^hivesnap:' "$work/$name.err")
	for p in "$@"; do
		grep -qE -- "$p" <<<"$line" || fail "$name: the error line lacks /$p/: $line"
	done
}
empty_dir() { # DIR
	local left
	left=$(ls -A "$1")
	[[ -z $left ]] || fail "files left in $1: $left"
}
redacted="backup:\*\*\*@$host/\?authSource=admin"

# 1. The right credentials.
mkdir "$work/o1" "$work/m1"
run snap1 snapshot -p "$(profile right "$RIGHT")" --output-dir "$work/o1" --only mongo --json \
	--metrics-file "$work/m1/metrics.prom"
[[ $rc == 0 ]] || { cat "$work/snap1.err" >&2; fail "right credentials: snapshot exit $rc, want 0"; }
A=$(ls "$work"/o1/*.tar.zst)
m=$("$HIVESNAP" cat "$A" manifest.json)
[[ $(jq -r .sources.mongo.status <<<"$m") == ok ]] || fail "right credentials: $(jq -c .sources.mongo <<<"$m")"
jq -e '[.sources.mongo.details.collections[] | {collection, documents}] ==
	[{"collection":"docs","documents":300},{"collection":"more","documents":7}]' <<<"$m" >/dev/null ||
	fail "right credentials: not every document captured: $(jq -c .sources.mongo.details.collections <<<"$m")"
[[ $("$T" docs <("$HIVESNAP" cat "$A" mongo/hs_auth_src/docs.bson) | wc -l) == 300 ]] ||
	fail "right credentials: docs.bson does not hold 300 documents"
grep -q '^hivesnap_last_run_exit_code' "$work/m1/metrics.prom" || fail "no metrics written"
echo "ok: right credentials (password with %40): snapshot captures 300 + 7 documents"

run rest1 restore "$A" -p "$(profile right "$RIGHT")" --only mongo --to-mongo "$RIGHT" \
	--map-ns 'hs_auth_src.*=hs_auth_dst.*' --execute --json
[[ $rc == 0 ]] || { cat "$work/rest1.err" >&2; fail "right credentials: restore exit $rc, want 0"; }
jq -e '[.sources[0].result[] | select(.target=="mongo:hs_auth_dst.docs") | .inserted] == [300]' \
	"$work/rest1.out" >/dev/null || fail "restore: $(jq -c .sources[0].result "$work/rest1.out")"
[[ $(count hs_auth_dst docs) == 300 && $(count hs_auth_dst more) == 7 ]] ||
	fail "restore: hs_auth_dst holds $(count hs_auth_dst docs) + $(count hs_auth_dst more) documents, want 300 + 7"
echo "ok: right credentials: restore --execute into hs_auth_dst.* wrote 300 + 7 documents"

mkdir "$work/tmp1"
set +e
TMPDIR=$work/tmp1 "$HIVESNAP" diff --log-level debug "$A" --live -p "$(profile right "$RIGHT")" --only mongo \
	>"$work/diff1.out" 2>"$work/diff1.err"
rc=$?
set -e
[[ $rc == 0 ]] || { cat "$work/diff1.out" "$work/diff1.err" >&2; fail "right credentials: diff --live exit $rc, want 0"; }
empty_dir "$work/tmp1"
echo "ok: right credentials: diff --live finds no change"
no_secret_anywhere

# 2. A wrong password (with escaped characters).
mkdir "$work/o2" "$work/m2"
start=$SECONDS
run snap2 snapshot -p "$(profile wrong "$WRONG")" --output-dir "$work/o2" --only mongo \
	--metrics-file "$work/m2/metrics.prom"
[[ $rc == 3 ]] || { cat "$work/snap2.err" >&2; fail "wrong password: snapshot exit $rc, want 3"; }
((SECONDS - start < 30)) || fail "wrong password: took $((SECONDS - start))s"
one_error snap2 '^hivesnap: nothing written: mongo: ' "'mongodb://$redacted'" \
	"authentication failed for user 'backup' \(auth database 'admin'\): the server refused the user name or password"
empty_dir "$work/o2"
run snap2b snapshot -p "$(profile wrong "$WRONG")" -o "$work/o2/final.tar.zst" --only mongo --quiet
[[ $rc == 3 ]] || { cat "$work/snap2b.err" >&2; fail "wrong password, -o: exit $rc, want 3"; }
one_error snap2b "authentication failed for user 'backup'"
empty_dir "$work/o2"
no_secret_anywhere
echo "ok: wrong password: exit 3, one clear line, nothing in the output folder, no password anywhere"

# 3. Wrong password, --allow-partial, Redis captured.
run snap3 snapshot -p "$(profile wrongr "$WRONG" redis)" -o "$work/p3.tar.zst" --allow-partial --json
[[ $rc == 2 ]] || { cat "$work/snap3.err" >&2; fail "wrong password + redis, --allow-partial: exit $rc, want 2"; }
"$HIVESNAP" verify "$work/p3.tar.zst" >/dev/null || fail "the partial archive does not verify"
m=$("$HIVESNAP" cat "$work/p3.tar.zst" manifest.json)
[[ $(jq -r .sources.mongo.status <<<"$m") == failed ]] || fail "--allow-partial: mongo not failed: $(jq -c .sources.mongo <<<"$m")"
jq -e '.sources.mongo.error | test("authentication failed for user .backup.")' <<<"$m" >/dev/null ||
	fail "--allow-partial: the manifest does not say why mongo failed: $(jq -c .sources.mongo <<<"$m")"
[[ $(jq -r .sources.redis.status <<<"$m") == ok ]] || fail "--allow-partial: redis not captured: $(jq -c .sources.redis <<<"$m")"
"$HIVESNAP" ls "$work/p3.tar.zst" | grep -q ' redis/db1\.jsonl$' ||
	fail "--allow-partial: no redis/db1.jsonl entry: $("$HIVESNAP" ls "$work/p3.tar.zst")"
db1=$("$HIVESNAP" cat "$work/p3.tar.zst" redis/db1.jsonl) || fail "--allow-partial: cannot read redis/db1.jsonl"
grep -q 'config:flow_c:' <<<"$db1" || fail "--allow-partial: redis keys missing"
ents=$("$HIVESNAP" ls "$work/p3.tar.zst") || fail "--allow-partial: cannot list the archive"
! grep -q ' mongo/' <<<"$ents" || fail "--allow-partial: mongo entries in the archive"
no_secret_anywhere
echo "ok: wrong password with --allow-partial: exit 2, mongo failed with the reason, redis captured"

# 4. Restore and diff --live with the wrong password change nothing.
"$T" cmd "$RIGHT" hs_auth_dst '{"insert":"docs","documents":[{"_id":"hs-marker"}]}' >"$work/tool.out" 2>&1 ||
	{ cat "$work/tool.out" >&2; fail "marker insert failed"; }
colls_before=$("$T" cmd "$RIGHT" hs_auth_dst '{"listCollections":1,"nameOnly":true}' 2>/dev/null |
	jq -c '[.cursor.firstBatch[].name] | sort')
run rest2 restore "$A" -p "$(profile wrong "$WRONG")" --only mongo --map-ns 'hs_auth_src.*=hs_auth_dst.*' \
	--mongo-mode replace
[[ $rc == 3 ]] || { cat "$work/rest2.err" >&2; fail "wrong password: restore plan exit $rc, want 3"; }
one_error rest2 "'mongodb://$redacted'" "authentication failed for user 'backup'"
run rest3 restore "$A" -p "$(profile wrong "$WRONG")" --only mongo --map-ns 'hs_auth_src.*=hs_auth_dst.*' \
	--mongo-mode replace --execute --json
[[ $rc == 3 ]] || { cat "$work/rest3.err" >&2; fail "wrong password: restore --execute exit $rc, want 3"; }
one_error rest3 "'mongodb://$redacted'" "authentication failed for user 'backup'"
run rest4 restore "$A" -p "$(profile right "$RIGHT")" --to-mongo "$WRONG" --only mongo \
	--map-ns 'hs_auth_src.*=hs_auth_dst.*' --mongo-mode replace --execute
[[ $rc == 3 ]] || { cat "$work/rest4.err" >&2; fail "wrong password in --to-mongo: restore exit $rc, want 3"; }
one_error rest4 "authentication failed for user 'backup'"
[[ $(count hs_auth_dst docs) == 301 ]] || fail "a refused restore changed hs_auth_dst.docs: $(count hs_auth_dst docs) documents"
[[ $("$T" cmd "$RIGHT" hs_auth_dst '{"listCollections":1,"nameOnly":true}' 2>/dev/null |
	jq -c '[.cursor.firstBatch[].name] | sort') == "$colls_before" ]] || fail "a refused restore changed the collections of hs_auth_dst"
echo "ok: restore (plan, --execute, --to-mongo) with the wrong password: exit 3, nothing changed"

mkdir "$work/tmp2"
set +e
TMPDIR=$work/tmp2 "$HIVESNAP" diff --log-level debug "$A" --live -p "$(profile wrong "$WRONG")" --only mongo \
	>"$work/diff2.out" 2>"$work/diff2.err"
rc=$?
set -e
[[ $rc == 3 ]] || { cat "$work/diff2.out" "$work/diff2.err" >&2; fail "wrong password: diff --live exit $rc, want 3"; }
one_error diff2 "'mongodb://$redacted'" "authentication failed for user 'backup'"
empty_dir "$work/tmp2"
no_secret_anywhere
echo "ok: diff --live with the wrong password: exit 3, no temporary archive left"

# 5. An unknown user; no credentials at all.
mkdir "$work/o5"
run snap5 snapshot -p "$(profile ghost "$GHOST")" --output-dir "$work/o5" --only mongo --quiet
[[ $rc == 3 ]] || { cat "$work/snap5.err" >&2; fail "unknown user: exit $rc, want 3"; }
one_error snap5 "'mongodb://nobody-$r:\*\*\*@$host/\?authSource=admin'" "authentication failed for user 'nobody-$r'"
run snap6 snapshot -p "$(profile noauth "$NOAUTH")" --output-dir "$work/o5" --only mongo --quiet
[[ $rc == 3 ]] || { cat "$work/snap6.err" >&2; fail "no credentials: exit $rc, want 3"; }
one_error snap6 "requires authentication; the uri has no user:password@"
empty_dir "$work/o5"
no_secret_anywhere
echo "ok: unknown user and no credentials: exit 3 with the reason, nothing written, no password anywhere"
