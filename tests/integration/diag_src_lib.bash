# diag_src_lib.bash - shared by tests/integration/diag_src*.sh (sourced; not a
# test): running `hivesnap diag` and reading its bundle.  Each test keeps its
# files in $work and removes them on exit (its own trap calls diag_cleanup).
set -euo pipefail
: "${HIVESNAP:?HIVESNAP must name the binary}"
work=$(mktemp -d)

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

diag_cleanup() { rm -rf "$work"; }

# diag_rc WANT ARCHIVE ARGS...: run `hivesnap diag ARGS -o ARCHIVE`, stdout in
# $work/out, stderr in $work/err, and check the exit code; the bundle is then
# extracted into $work/b (fresh each time).
diag_rc() {
	local want=$1 out=$2 rc=0
	shift 2
	rm -f "$out"
	"$HIVESNAP" diag "$@" -o "$out" >"$work/out" 2>"$work/err" || rc=$?
	[[ $rc == "$want" ]] || fail "diag $* exited $rc, want $want; stdout: $(head -c 3000 "$work/out"); stderr: $(head -c 3000 "$work/err")"
	[[ -s $out ]] || fail "diag $* wrote no bundle '$out'"
	"$HIVESNAP" verify "$out" >/dev/null 2>"$work/verify.err" || fail "bundle '$out' does not verify: $(cat "$work/verify.err")"
	rm -rf "$work/b"
	mkdir -p "$work/b"
	tar --zstd -xf "$out" -C "$work/b" || fail "cannot extract '$out'"
	validate findings.schema.json "$work/b/diag/findings.json"
	validate checks.schema.json "$work/b/diag/checks.json"
}

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
for e in errors[:10]:
    print("  %s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message[:300]), file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

# has_entry NAME: the last extracted bundle has entry NAME
has_entry() { [[ -f $work/b/$1 ]] || fail "bundle has no entry '$1' (has: $(cd "$work/b" && find . -type f | sort | head -50 | tr '\n' ' '))"; }
no_entry() { [[ ! -e $work/b/$1 ]] || fail "bundle has entry '$1' and should not"; }

# findings: every finding of the last bundle, one JSON object a line, whatever
# the shape of diag/findings.json (array, or object holding the array)
findings() {
	has_entry diag/findings.json
	jq -c '[.. | objects | select(has("severity") and has("title"))] | .[]' "$work/b/diag/findings.json"
}

# finding SEVERITY REGEX [RUNBOOK]: exactly one finding with SEVERITY whose
# title matches REGEX (and whose runbook_section is RUNBOOK); prints it
finding() {
	local n
	n=$(findings | jq -c --arg s "$1" --arg t "$2" --arg r "${3:-}" \
		'select(.severity == $s and (.title | test($t)) and ($r == "" or .runbook_section == $r))' | tee "$work/finding" | wc -l)
	[[ $n == 1 ]] || fail "want one $1 finding matching /$2/${3:+ with runbook '$3'}, got $n; all: $(findings)"
	ok "$1 finding: $(jq -r .title "$work/finding")${3:+ ($3)}"
}

# no_finding REGEX: no finding's title matches REGEX
no_finding() {
	local n
	n=$(findings | jq -c --arg t "$1" 'select(.title | test($t))' | wc -l)
	[[ $n == 0 ]] || fail "want no finding matching /$1/, got: $(findings | jq -c --arg t "$1" 'select(.title | test($t))')"
}

# check_status NAME STATUS: diag/checks.json says collector NAME has STATUS
check_status() {
	local got
	has_entry diag/checks.json
	got=$(jq -r --arg n "$1" '[.. | objects | select(.name? == $n and has("status"))][0].status' "$work/b/diag/checks.json")
	[[ $got == "$2" ]] || fail "collector '$1' status '$got', want '$2'"
	ok "collector $1 is $2"
}

# nowhere TEXT WHAT: TEXT is in no bundle entry, nor in diag's stdout/stderr
nowhere() {
	if grep -rlaF -- "$1" "$work/b" "$work/out" "$work/err" >"$work/where" 2>/dev/null; then
		fail "$2 found in: $(tr '\n' ' ' <"$work/where")"
	fi
	ok "$2 appears nowhere in the bundle or the output"
}

# free_port BASE: the first port from BASE on that nobody answers on
free_port() {
	local p
	for p in $(seq "$1" $(($1 + 99))); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	fail "no free port from $1"
}

# closed_port: port 1 (privileged, never served here), checked to refuse
# connections: a port that is merely free now may be taken by another test's
# listener (one that accepts and never answers) before diag connects
closed_port() {
	if (exec 3<>/dev/tcp/127.0.0.1/1) 2>/dev/null; then fail "something listens on 127.0.0.1:1"; fi
	echo 1
}
