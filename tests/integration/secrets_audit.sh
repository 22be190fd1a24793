#!/usr/bin/env bash
# secrets_audit.sh - no credential ever leaves hivesnap (SPEC: "Credentials
# in URIs, headers and tokens never appear in an archive, a log line or an
# error message").
#
# A profile with a distinctive secret in every place one can go: the Mongo
# and Redis URIs (a PRIVATE FerretDB with SCRAM and a PRIVATE redis-server
# with requirepass, so those passwords are really used), kafka.config SASL settings, user:password in the
# Prometheus and Alertmanager URLs, a bearer token in a kubeconfig (a real
# service-account token, and a made-up one the API server refuses).  Then
# snapshot, inspect, verify, ls, cat, list, diff, restore (plan, and
# --execute into the private redis), profile show/check and diag (when the
# build has it) run at --log-level debug with a metrics file, and every
# failure path is provoked too: each server unreachable (errors name the
# URI), wrong credentials.  Every stdout, stderr, metrics file and archive
# (raw, decompressed, and each entry) is searched for every secret: zero
# hits.  The shared peers are only read; nothing is written to them.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
ok() { echo "ok: $*"; }
: "${HIVESNAP:?}" "${HS_TOOLS:?}"
: "${HIVESNAP_MONGO_URI:?run with the peers env: eval \"\$(scripts/peers.sh env)\"}"
: "${HIVESNAP_KAFKA_BROKERS:?}" "${HIVESNAP_PROMETHEUS_URL:?}" "${HIVESNAP_ALERTMANAGER_URL:?}"
: "${KUBECONFIG:?}" "${HIVESNAP_K8S_BIN:?}"
H=$HIVESNAP
srv=redis-server rcli=redis-cli
if [[ -n ${PEERS_BIN:-} && -x $PEERS_BIN/redis-server ]]; then
	srv=$PEERS_BIN/redis-server rcli=$PEERS_BIN/redis-cli
fi
command -v "$srv" >/dev/null || fail "no redis-server (PEERS_BIN or PATH)"
kc() { "$HIVESNAP_K8S_BIN/kubectl" "$@"; }

work=$(mktemp -d)
out=$work/out      # everything hivesnap writes ends up under here
mkdir -p "$out/backups"
rpid= fpid=
cleanup() {
	[[ -n $rpid ]] && kill -9 "$rpid" 2>/dev/null || true
	[[ -n $fpid ]] && kill -9 "$fpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

tag=$RANDOM$RANDOM
S_MONGO=S3cr3t-mongo-$tag
S_REDIS=S3cr3t-redis-$tag
S_KAFKA=S3cr3t-kafka-$tag
S_PROM=S3cr3t-prom-$tag
S_AM=S3cr3t-am-$tag
S_TOKEN=S3cr3t-token-$tag
printf '%s\n' "$S_MONGO" "$S_REDIS" "$S_KAFKA" "$S_PROM" "$S_AM" "$S_TOKEN" >"$work/secrets"

# a private redis that requires the password
rport=$(free_port)
"$srv" --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --requirepass "$S_REDIS" \
	--dir "$work" --daemonize no >"$work/redis.log" 2>&1 &
rpid=$!
rcli_() { REDISCLI_AUTH=$S_REDIS "$rcli" -p "$rport" "$@"; }
for _ in $(seq 100); do [[ $(rcli_ ping 2>/dev/null) == PONG ]] && break; sleep 0.1; done
[[ $(rcli_ ping 2>/dev/null) == PONG ]] || fail "private redis did not start"
for i in $(seq 50); do rcli_ set "audit:k$i" "v$i" >/dev/null; done
rcli_ hset audit:h f v >/dev/null

# a private FerretDB with SCRAM authentication (the peer has none), user backup
cache=${PEERS_CACHE:-${HIVESNAP_PEERS_CACHE:-$HOME/.cache/hivesnap-peers}}
ferretdb=$(ls -d "$cache"/ferretdb-*/ferretdb 2>/dev/null | head -1)
[[ -x $ferretdb ]] || fail "no cached FerretDB binary under $cache: run scripts/peers.sh start ferretdb once"
mport=$(free_port)
mkdir -p "$work/fdb/data" "$work/fdb/state"
"$ferretdb" --test-enable-new-auth --setup-database=admin --setup-username=backup --setup-password="$S_MONGO" \
	--handler=sqlite --sqlite-url="file:$work/fdb/data/" --listen-addr="127.0.0.1:$mport" \
	--state-dir="$work/fdb/state" --debug-addr=- --telemetry=disable --log-level=error >"$work/fdb.log" 2>&1 &
fpid=$!
mongo_uri="mongodb://backup:$S_MONGO@127.0.0.1:$mport/?authSource=admin"
for _ in $(seq 100); do
	"$HS_TOOLS/hs_mongo_tool" seed "$mongo_uri" audit docs 20 >/dev/null 2>&1 && break
	sleep 0.2
done
[[ $("$HS_TOOLS/hs_mongo_tool" count "$mongo_uri" audit docs) == 20 ]] || fail "private FerretDB: $(tail -3 "$work/fdb.log")"

# kubeconfigs: a real service-account token (read-only account of the peer's
# fixture; a TokenRequest stores nothing), and a made-up one
server=$(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}')
ca=$(kc config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
S_JWT=$(kc -n neural-hive-orchestration create token hivesnap-reader --duration=10m 2>/dev/null || true)
[[ -n $S_JWT ]] && echo "$S_JWT" >>"$work/secrets"
token_kubeconfig() { # FILE TOKEN SERVER
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$3", certificate-authority-data: "$ca"}}]
users: [{name: tok, user: {token: "$2"}}]
contexts: [{name: t, context: {cluster: c, user: tok}}]
current-context: t
EOF
}
token_kubeconfig "$work/bad.kubeconfig" "$S_TOKEN" "$server"
token_kubeconfig "$work/dead.kubeconfig" "$S_TOKEN" "https://127.0.0.1:$(free_port)"
[[ -n $S_JWT ]] && token_kubeconfig "$work/jwt.kubeconfig" "$S_JWT" "$server"

# with_auth URL USER PASS: http://host -> http://user:pass@host
with_auth() { sed -E "s#^(https?|mongodb|redis)://#\\1://$2:$3@#" <<<"$1"; }
prom_url=$(with_auth "$HIVESNAP_PROMETHEUS_URL" prom "$S_PROM")
am_url=$(with_auth "$HIVESNAP_ALERTMANAGER_URL" am "$S_AM")
profile() { # FILE MONGO-URI REDIS-URI BROKERS PROM-URL
	cat >"$1" <<EOF
name: audit
mongo:
  uri: "$2"
  databases:
    - name: audit
      collections: [docs]
redis:
  uri: "$3"
  dbs:
    - db: 0
      patterns: ["audit:*"]
kafka:
  brokers: "$4"
  config:
    sasl.username: hivesnap
    sasl.password: "$S_KAFKA"
    ssl.key.password: "$S_KAFKA"
  groups: ["*"]
  timeout_ms: 4000
  timestamp_budget_ms: 2000
k8s:
  timeout_ms: 5000
  namespaces:
    - name: neural-hive-orchestration
      configmaps: [orchestrator-config]
      deployments: ["*"]
      pods: true
      events: true
diag:
  prometheus:
    url: "$5"
    queries:
      - {name: up, query: up}
  alertmanager:
    url: "$am_url"
EOF
}
good=$work/good.yaml dead=$work/dead.yaml
profile "$good" "$mongo_uri" "redis://:$S_REDIS@127.0.0.1:$rport/0" "$HIVESNAP_KAFKA_BROKERS" "$prom_url"
dport=$(free_port)
profile "$dead" "mongodb://backup:$S_MONGO@127.0.0.1:$dport/?serverSelectionTimeoutMS=1500&connectTimeoutMS=1500" \
	"redis://:$S_REDIS@127.0.0.1:$dport/0" "127.0.0.1:$dport" "http://prom:$S_PROM@127.0.0.1:$dport"
wrongpw=$work/wrongpw.yaml
profile "$wrongpw" "${mongo_uri/backup:/backup:W}" "redis://:W$S_REDIS@127.0.0.1:$rport/0" "$HIVESNAP_KAFKA_BROKERS" "$prom_url"

n=0
# run WANT-RC|any NAME CMD...: run with debug logs; keep stdout and stderr under $out
run() {
	local want=$1 name=$2 rc=0
	shift 2
	n=$((n + 1))
	"$@" >"$out/$n-$name.stdout" 2>"$out/$n-$name.stderr" || rc=$?
	if [[ $want != any && $rc != "$want" ]]; then
		fail "$name: '$*' exited $rc, want $want: $(head -c 1500 "$out/$n-$name.stderr")"
	fi
	echo "ran: $name -> $rc"
}

A=$out/backups/a.tar.zst B=$out/backups/b.tar.zst
# 1. the happy paths (k8s through the peer's own client-certificate kubeconfig)
run 0 snapshot "$H" snapshot --log-level debug -p "$good" -o "$A" --metrics-file "$out/metrics.prom" --label audit
run 0 snapshot-json "$H" snapshot --log-level debug -p "$good" -o "$B" --json
validate_json snapshot.schema.json "$out/$n-snapshot-json.stdout"
run 0 inspect "$H" inspect --log-level debug "$A"
run 0 inspect-json "$H" inspect "$A" --json
run 0 verify "$H" verify --log-level debug "$A" "$B"
run 0 ls "$H" ls "$A"
run 0 cat-manifest "$H" cat "$A" manifest.json
run 0 cat-header "$H" cat "$A" hivesnap.json
run 0 cat-server "$H" cat "$A" redis/server.json
run 0 list "$H" list "$out/backups" --json
run any diff "$H" diff --log-level debug "$A" "$B" --details
run any diff-live "$H" diff --log-level debug "$A" --live -p "$good" --only redis,mongo --json
run 0 profile-show "$H" profile show -p "$good"
run any profile-check "$H" profile check -p "$good"
run 0 restore-plan "$H" restore --log-level debug "$A" -p "$good" --only redis,mongo
run 0 restore-plan-json "$H" restore "$A" -p "$good" --only redis,mongo --json
validate_json restore.schema.json "$out/$n-restore-plan-json.stdout"
rcli_ flushall >/dev/null
run 0 restore-execute "$H" restore --log-level debug "$A" -p "$good" --only redis --execute
[[ $(rcli_ dbsize) == 51 ]] || fail "restore --execute into the private redis: dbsize $(rcli_ dbsize)"
run 0 restore-execute-to "$H" restore --log-level debug "$A" --only redis --execute \
	--to-redis "redis://:$S_REDIS@127.0.0.1:$rport/0" --redis-mode replace --json
ok "happy paths ran ($n commands)"

# 2. kubeconfigs with a token: a real read-only one, a refused one, a dead server
if [[ -n $S_JWT ]]; then
	run any k8s-jwt env KUBECONFIG="$work/jwt.kubeconfig" "$H" snapshot --log-level debug -p "$good" --only k8s \
		-o "$out/backups/jwt.tar.zst"
fi
run 3 k8s-bad-token env KUBECONFIG="$work/bad.kubeconfig" "$H" snapshot --log-level debug -p "$good" --only k8s \
	-o "$out/backups/x.tar.zst"
grep -q "401" "$out/$n-k8s-bad-token.stderr" || fail "bad token: no 401 error: $(cat "$out/$n-k8s-bad-token.stderr")"
run 3 k8s-dead env KUBECONFIG="$work/dead.kubeconfig" "$H" snapshot --log-level debug -p "$good" --only k8s \
	-o "$out/backups/x.tar.zst"
run any k8s-restore-dead env KUBECONFIG="$work/dead.kubeconfig" "$H" restore --log-level debug "$A" -p "$good" \
	--only k8s --execute

# 3. every server unreachable: the errors name the (redacted) URIs
for s in mongo redis kafka; do
	run 3 "dead-$s" "$H" snapshot --log-level debug -p "$dead" --only "$s" -o "$out/backups/x.tar.zst"
done
grep -q "127.0.0.1:$dport" "$out/$((n - 2))-dead-mongo.stderr" || fail "the mongo error does not name the server"
run 2 dead-partial "$H" snapshot --log-level debug -p "$dead" -o "$out/backups/partial.tar.zst" --allow-partial \
	--only mongo,redis,kafka,k8s
sed -i "s#^  uri: \"redis://.*#  uri: \"redis://:$S_REDIS@127.0.0.1:$rport/0\"#" "$dead"
run 2 dead-partial-redis-ok "$H" snapshot -p "$dead" -o "$out/backups/partial2.tar.zst" --allow-partial \
	--only mongo,redis --json
run 0 inspect-partial "$H" inspect "$out/backups/partial2.tar.zst"
run 3 wrong-mongo-password "$H" snapshot --log-level debug -p "$wrongpw" --only mongo -o "$out/backups/x.tar.zst"
run any restore-dead-mongo "$H" restore --log-level debug "$A" -p "$dead" --only mongo --execute
run any restore-dead-kafka "$H" restore --log-level debug "$A" --only kafka --to-kafka "127.0.0.1:$dport" -p "$dead" --execute
run any diff-live-dead "$H" diff --log-level debug "$A" --live -p "$dead" --only mongo,redis
run 3 wrong-redis-password "$H" snapshot --log-level debug -p "$wrongpw" --only redis -o "$out/backups/x.tar.zst"
run 3 restore-wrong-redis-password "$H" restore "$A" --only redis --execute \
	--to-redis "redis://:W$S_REDIS@127.0.0.1:$rport/0"
run 64 usage-with-uri "$H" restore "$A" --to-redis "redis://:$S_REDIS@127.0.0.1:$rport/0" --bogus-flag
run any bad-uri "$H" restore "$A" --only redis --to-redis "redis://:$S_REDIS@[bad"
ok "failure paths ran"

# 4. diag, when this build has it
if "$H" diag --help >/dev/null 2>&1 || "$H" --help 2>&1 | grep -q '^ *diag'; then
	run any diag "$H" diag --log-level debug -p "$good" -o "$out/backups/diag.tar.zst" --since 5m
	run any diag-dead "$H" diag --log-level debug -p "$dead" -o "$out/backups/diag-dead.tar.zst" --since 5m
	ok "diag ran"
else
	echo "note: this build has no 'diag' command; not audited"
fi

# 5. search everything for every secret
ls "$out"/backups/*.tar.zst >/dev/null || fail "no archive was written"
for f in "$out"/backups/*.tar.zst; do
	zstd -dcq "$f" >"$f.tar" 2>/dev/null || fail "$f does not decompress"
	mkdir "$f.x" && tar -xf "$f.tar" -C "$f.x" || fail "$f does not untar"
done
hits=$(grep -rlaF -f "$work/secrets" "$out" || true)
if [[ -n $hits ]]; then
	for h in $hits; do
		echo "--- $h:" >&2
		grep -aoF -f "$work/secrets" "$h" | sort | uniq -c >&2
		grep -aF -f "$work/secrets" "$h" | head -3 | cut -c1-300 >&2
	done
	fail "a secret appears in $(wc -l <<<"$hits") file(s)"
fi
# the search itself works: the secrets are where they should be
grep -qF "$S_REDIS" "$good" || fail "self-check: the profile does not hold the redis password"
files=$(find "$out" -type f | wc -l)
((files > 50)) || fail "only $files files searched"
ok "$files files ($(du -sh "$out" | cut -f1)) searched for $(wc -l <"$work/secrets") secrets: no hit"
echo PASS
