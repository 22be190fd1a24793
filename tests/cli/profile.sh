#!/usr/bin/env bash
# `hivesnap profile show|init|check`: init output parses back, init -> -p
# round trip equals the built-in, show --json validates against the schema,
# secrets from env never shown, bad files -> 65 naming file and line, bad
# flags -> 64, init -o never overwrites.
set -euo pipefail
: "${HIVESNAP:?HIVESNAP must name the binary}"
: "${HS_FIXTURES:?}" "${HS_SCHEMAS:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run CODE cmd... : run, capture stdout/stderr into $tmp/out $tmp/err, check the code
run() {
	local want=$1 got=0; shift
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	[[ $got == "$want" ]] || { cat "$tmp/err" >&2; fail "'$*' exited $got, want $want"; }
	echo "ok: '$*' -> $want"
}

# The built-in profile's endpoints come from these; start from a clean slate.
unset HIVESNAP_MONGO_URI HIVESNAP_REDIS_URI HIVESNAP_KAFKA_BROKERS HIVESNAP_PROMETHEUS_URL \
	HIVESNAP_ALERTMANAGER_URL HIVESNAP_ETCD_URL KUBECONFIG HIVESNAP_K8S_CONTEXT

# --- init, check, round trip
run 0 "$HIVESNAP" profile init
cp "$tmp/out" "$tmp/init.yaml"
grep -q '^# ' "$tmp/init.yaml" || fail "init output has no comments"
grep -q 'HIVESNAP_MONGO_URI' "$tmp/init.yaml" || fail "init output does not document HIVESNAP_MONGO_URI"
run 0 "$HIVESNAP" profile check -p "$tmp/init.yaml"
[[ $(cat "$tmp/out") == "profile '$tmp/init.yaml' is valid" ]] || fail "check output: $(cat "$tmp/out")"
run 0 "$HIVESNAP" profile check
[[ $(cat "$tmp/out") == "profile '(built-in)' is valid" ]] || fail "check (built-in) output: $(cat "$tmp/out")"

run 0 "$HIVESNAP" profile show --json
cp "$tmp/out" "$tmp/builtin.json"
run 0 "$HIVESNAP" profile show --json -p "$tmp/init.yaml"
cmp -s "$tmp/out" "$tmp/builtin.json" || fail "init | -p does not give the built-in profile"
echo "ok: init -> -p FILE equals the built-in profile"

run 0 "$HIVESNAP" profile init -o "$tmp/written.yaml"
cmp -s "$tmp/written.yaml" "$tmp/init.yaml" || fail "init -o wrote something else than init prints"
echo original >"$tmp/keep.yaml"
run 3 "$HIVESNAP" profile init -o "$tmp/keep.yaml"
[[ $(cat "$tmp/keep.yaml") == original ]] || fail "init -o overwrote an existing file"
grep -q "refusing to overwrite '$tmp/keep.yaml'" "$tmp/err" || fail "init -o error: $(cat "$tmp/err")"

# show (YAML) is itself a valid profile that means the same thing
run 0 "$HIVESNAP" profile show -p "$HS_FIXTURES/profiles/full.yaml"
cp "$tmp/out" "$tmp/shown.yaml"
run 0 "$HIVESNAP" profile show --json -p "$HS_FIXTURES/profiles/full.yaml"
cp "$tmp/out" "$tmp/full.json"
run 0 "$HIVESNAP" profile show --json -p "$tmp/shown.yaml"
cmp -s "$tmp/out" "$tmp/full.json" || fail "profile show output does not load back to the same profile"
printf 'name: esc\nk8s:\n  context: "$${not-a-var}"\n  namespaces: [{name: "null"}]\n' >"$tmp/esc.yaml"
run 0 "$HIVESNAP" profile show -p "$tmp/esc.yaml"
cp "$tmp/out" "$tmp/esc-shown.yaml"
run 0 "$HIVESNAP" profile show --json -p "$tmp/esc-shown.yaml"
python3 - "$tmp/out" <<'EOF2' || fail "literal \${ or a \"null\" string did not survive show"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["k8s"]["context"] == "${not-a-var}", d["k8s"]["context"]
assert d["k8s"]["namespaces"][0]["name"] == "null"
EOF2
echo "ok: show output loads back to the same profile"

# --- env overrides reach the built-in profile
HIVESNAP_MONGO_URI=mongodb://10.1.2.3:27018 HIVESNAP_KAFKA_BROKERS=k9:9093 \
	run 0 "$HIVESNAP" profile show --json
python3 - "$tmp/out" <<'EOF' || fail "env overrides not applied"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["mongo"]["uri"] == "mongodb://10.1.2.3:27018", d["mongo"]["uri"]
assert d["kafka"]["brokers"] == "k9:9093"
assert d["name"] == "flowc"
EOF
echo "ok: HIVESNAP_* variables override the built-in endpoints"

# --- schema
python3 - "$HS_SCHEMAS/profile.schema.json" "$tmp/builtin.json" "$tmp/full.json" <<'EOF' ||
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for path in sys.argv[2:]:
    v.validate(json.load(open(path)))
# the schema is not vacuous: an unknown key and a bad enum are rejected
bad = json.load(open(sys.argv[2]))
bad["mongo"]["read_preference"] = "fastest"
assert not v.is_valid(bad)
bad = json.load(open(sys.argv[2]))
bad["extra"] = 1
assert not v.is_valid(bad)
EOF
	fail "show --json does not validate against schemas/profile.schema.json"
echo "ok: show --json validates against the schema"

# --- secrets from the environment are never shown
secret='Zx9-s3cr3t-Qw'
export HS_TEST_MONGO_PASSWORD=$secret HS_TEST_REDIS_PASSWORD=$secret HS_TEST_KAFKA_PASSWORD=$secret \
	HS_TEST_PROM_TOKEN=$secret
for args in "show" "show --json" "check"; do
	# shellcheck disable=SC2086
	run 0 "$HIVESNAP" profile $args -p "$HS_FIXTURES/profiles/full.yaml"
	if grep -q -- "$secret" "$tmp/out" "$tmp/err"; then
		fail "profile $args shows a secret"
	fi
done
run 0 "$HIVESNAP" profile show --json -p "$HS_FIXTURES/profiles/full.yaml"
python3 - "$tmp/out" <<'EOF' || fail "secrets not redacted as ***"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["mongo"]["uri"] == "mongodb://backup:***@h1:27017,h2:27017/admin?replicaSet=rs0", d["mongo"]["uri"]
assert d["redis"]["uri"] == "redis://:***@127.0.0.1:6379/0", d["redis"]["uri"]
assert d["kafka"]["config"]["sasl.password"] == "***"
assert d["kafka"]["config"]["sasl.username"] == "orchestrator"
assert d["diag"]["prometheus"]["url"] == "https://prom.example/?token=***"
EOF
HIVESNAP_MONGO_URI="mongodb://admin:$secret@db:27017" run 0 "$HIVESNAP" profile show
grep -q -- "$secret" "$tmp/out" "$tmp/err" && fail "built-in profile show leaks HIVESNAP_MONGO_URI's password"
grep -q 'mongodb://admin:\*\*\*@db:27017' "$tmp/out" || fail "redacted URI missing from show"
unset HS_TEST_MONGO_PASSWORD HS_TEST_REDIS_PASSWORD HS_TEST_KAFKA_PASSWORD HS_TEST_PROM_TOKEN
echo "ok: secrets from the environment are never shown"

# --- bad profiles: 65, one line naming the file, line and key
run 65 "$HIVESNAP" profile check -p "$HS_FIXTURES/profiles/bad-type.yaml"
[[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "error is not one line: $(cat "$tmp/err")"
grep -qF "profile '$HS_FIXTURES/profiles/bad-type.yaml' line 6: key 'redis.dbs[1].db': expected an integer 0-15" \
	"$tmp/err" || fail "bad-type error: $(cat "$tmp/err")"
run 65 "$HIVESNAP" profile check -p "$HS_FIXTURES/profiles/bad-unknown-key.yaml"
grep -qF "line 4: key 'kafka.group': unknown key" "$tmp/err" || fail "unknown-key error: $(cat "$tmp/err")"
run 65 "$HIVESNAP" profile show -p "$HS_FIXTURES/profiles/bad-syntax.yaml"
grep -qF "line 5: invalid YAML" "$tmp/err" || fail "syntax error: $(cat "$tmp/err")"
[[ ! -s "$tmp/out" ]] || fail "a bad profile printed something on stdout"
run 65 "$HIVESNAP" profile check -p "$tmp/does-not-exist.yaml"
grep -qF "cannot read profile '$tmp/does-not-exist.yaml': No such file or directory" "$tmp/err" ||
	fail "missing file error: $(cat "$tmp/err")"
printf 'name: x\nredis:\n  uri: redis://${HS_TEST_UNSET_VAR}/0\n' >"$tmp/unset.yaml"
unset HS_TEST_UNSET_VAR
run 65 "$HIVESNAP" profile check -p "$tmp/unset.yaml"
grep -qF "line 3: key 'redis.uri': environment variable 'HS_TEST_UNSET_VAR' is not set" "$tmp/err" ||
	fail "unset variable error: $(cat "$tmp/err")"

# --- usage errors: 64
run 64 "$HIVESNAP" profile
run 64 "$HIVESNAP" profile frobnicate
run 64 "$HIVESNAP" profile show --bogus
run 64 "$HIVESNAP" profile check extra
run 64 "$HIVESNAP" profile check --json
run 64 "$HIVESNAP" profile init --bogus
run 64 "$HIVESNAP" profile init -o
run 64 "$HIVESNAP" profile show -p
run 0 "$HIVESNAP" profile --help
grep -q 'profile init' "$tmp/out" || fail "profile --help"
echo "all profile CLI tests passed"
