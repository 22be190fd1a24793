# kafka_lib.bash - shared by tests/integration/kafka_*.sh (sourced; not a test).
# Needs HIVESNAP, HS_TOOLS and the peers' env (HIVESNAP_KAFKA_BROKERS). Each test
# works on its own topics and groups (prefix $tag) and removes them on exit, so the
# shared broker is left as it was found.
set -euo pipefail
: "${HIVESNAP:?HIVESNAP must name the binary}"
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"
: "${HIVESNAP_KAFKA_BROKERS:?run with the peers env: eval \"\$(scripts/peers.sh env)\"}"
KT=$HS_TOOLS/hs_kafka_tool
B=$HIVESNAP_KAFKA_BROKERS
work=$(mktemp -d)
tag=hsk$$r$RANDOM
topics=()
groups=()
bg_pids=()

fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
ok() { echo "ok: $*"; }

kafka_cleanup() {
	local p t g
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	for g in "${groups[@]}"; do "$KT" delete-group "$g" >/dev/null 2>&1 || true; done
	for t in "${topics[@]}"; do "$KT" delete-topic "$t" >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap kafka_cleanup EXIT

# new_topic NAME PARTITIONS: create (retrying while a deleted namesake is still going away)
new_topic() {
	local i
	topics+=("$1")
	for i in $(seq 1 60); do
		"$KT" create "$1" "$2" 2>"$work/create.err" && return 0
		sleep 0.5
	done
	fail "cannot create topic '$1': $(cat "$work/create.err")"
}

# profile FILE GROUPS_YAML [TOPICS_YAML]: a profile with only the kafka section
profile() {
	cat >"$1" <<EOP
name: hsk
kafka:
  brokers: $B
  groups: $2
  topics: ${3:-[]}
  timeout_ms: 5000
  timestamp_budget_ms: 5000
EOP
}

# committed GROUP TOPIC PARTITION -> the live committed offset (-1: none)
committed() { "$KT" committed "$1" "$2" "$3"; }

# entry ARCHIVE NAME -> the entry's bytes
entry() { tar --zstd -xOf "$1" "$2"; }

# validate SCHEMA FILE: FILE validates against $HS_SCHEMAS/SCHEMA (JSON Schema 2020-12)
validate() {
	: "${HS_SCHEMAS:?HS_SCHEMAS must name the schemas folder}"
	/usr/bin/python3 - "$HS_SCHEMAS/$1" "$2" <<'PY' || fail "$2 does not validate against $1"
import json, sys
import jsonschema
with open(sys.argv[1]) as fh:
    schema = json.load(fh)
jsonschema.Draft202012Validator.check_schema(schema)
with open(sys.argv[2]) as fh:
    doc = json.load(fh)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
for e in errors:
    print("  %s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message), file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}
