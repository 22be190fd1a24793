# validate_json.bash - validate_json SCHEMA FILE for the integration tests
# (sourced, after the test defined fail()): FILE validates against
# schemas/SCHEMA, as in tests/cli/lib.sh (tests/tools/hs_validate_json.py).
validate_json() {
	/usr/bin/python3 "${HS_SRC:?}/tests/tools/hs_validate_json.py" "${HS_SCHEMAS:?}" "$1" "$2" ||
		fail "$2 does not validate against $1: $(head -c 1500 "$2")"
}
