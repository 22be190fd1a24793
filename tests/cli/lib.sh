# lib.sh - helpers shared by the CLI tests (sourced, not a test itself).
#
#   source "$(dirname "$0")/lib.sh"      sets up $tmp (removed on exit)
#   expect_exit CODE cmd...              run cmd, stdout -> $tmp/out, stderr -> $tmp/err;
#                                        fail unless it exits CODE
#   expect_stderr_match REGEX            the last command's stderr matches REGEX (grep -E)
#   expect_stdout_match REGEX            the last command's stdout matches REGEX (grep -E)
#   validate_json SCHEMA FILE            FILE validates against schemas/SCHEMA; other
#                                        schemas of HS_SCHEMAS resolve through "$ref"
#   fail MSG                             print FAIL: MSG and stop the test
#
# Every helper fails loudly; nothing is ever skipped.
set -euo pipefail
: "${HIVESNAP:?HIVESNAP must name the binary}"
: "${HS_SCHEMAS:?HS_SCHEMAS must name the schemas folder}"

fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_exit() {
	local want=$1 got=0
	shift
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	if [[ $got != "$want" ]]; then
		echo "--- stdout:" >&2; head -c 2000 "$tmp/out" >&2 || true
		echo "--- stderr:" >&2; head -c 2000 "$tmp/err" >&2 || true
		fail "'$*' exited $got, want $want"
	fi
	echo "ok: '$*' -> $want"
}

expect_stderr_match() {
	grep -qE -- "$1" "$tmp/err" || fail "stderr does not match /$1/: $(head -c 500 "$tmp/err")"
	echo "ok: stderr matches /$1/"
}

expect_stdout_match() {
	grep -qE -- "$1" "$tmp/out" || fail "stdout does not match /$1/: $(head -c 500 "$tmp/out")"
	echo "ok: stdout matches /$1/"
}

validate_json() {
	local schema=$1 file=$2
	/usr/bin/python3 - "$HS_SCHEMAS" "$schema" "$file" <<'PY' || fail "$file does not validate against $schema"
import json, os, sys
import jsonschema

folder, name, path = sys.argv[1], sys.argv[2], sys.argv[3]
schemas = {}
for f in os.listdir(folder):
    if f.endswith(".schema.json"):
        with open(os.path.join(folder, f)) as fh:
            schemas[f] = json.load(fh)
schema = schemas[name]
jsonschema.Draft202012Validator.check_schema(schema)
try:  # jsonschema >= 4.18
    from referencing import Registry, Resource
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values())
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
except ImportError:  # Debian bookworm: 4.10
    store = {s["$id"]: s for s in schemas.values()}
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
with open(path) as fh:
    doc = json.load(fh)
errors = list(validator.iter_errors(doc))
for e in errors:
    print("  %s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message), file=sys.stderr)
sys.exit(1 if errors else 0)
PY
	echo "ok: $(basename "$file") validates against $schema"
}
