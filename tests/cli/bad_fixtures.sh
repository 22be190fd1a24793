#!/usr/bin/env bash
# The read-side commands against the checked-in archive fixtures: every
# tests/fixtures/bad/*.tar.zst is refused by verify (4; 65 for a newer
# header version) and by extract, which writes nothing; both good fixtures
# verify, inspect, ls and extract cleanly.
source "$(dirname "$0")/lib.sh"
: "${HS_FIXTURES:?}"

shopt -s nullglob
bad=("$HS_FIXTURES"/bad/*.tar.zst)
[[ ${#bad[@]} -ge 20 ]] || fail "expected the bad archive fixtures in $HS_FIXTURES/bad, found ${#bad[@]}"
for f in "${bad[@]}"; do
	name=$(basename "$f" .tar.zst)
	want=4
	[[ $name == header-version-2 ]] && want=65
	expect_exit $want "$HIVESNAP" verify "$f"
	expect_stdout_match "^FAILED $f: ."
	expect_exit $want "$HIVESNAP" extract "$f" "$tmp/x-$name"
	[[ ! -e $tmp/x-$name ]] || fail "extract of $name created its folder"
	[[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "extract of $name: error is not one line: $(cat "$tmp/err")"
done
echo "ok: ${#bad[@]} bad fixtures refused by verify and extract, nothing written"

expect_exit 65 "$HIVESNAP" verify --json "${bad[@]}"
validate_json verify.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" "${#bad[@]}" <<'PY' || fail "verify --json of the bad fixtures"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == int(sys.argv[2]) and not any(x["ok"] for x in d), d
PY

for f in "$HS_FIXTURES"/good/minimal.tar.zst "$HS_FIXTURES"/good/no-index.tar.zst; do
	name=$(basename "$f" .tar.zst)
	expect_exit 0 "$HIVESNAP" verify "$f"
	expect_exit 0 "$HIVESNAP" inspect --json "$f"
	validate_json inspect.schema.json "$tmp/out"
	expect_exit 0 "$HIVESNAP" ls --json "$f"
	validate_json ls.schema.json "$tmp/out"
	expect_exit 0 "$HIVESNAP" extract "$f" "$tmp/g-$name"
	(cd "$tmp/g-$name" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c fails after extracting $name"
	validate_json header.schema.json "$tmp/g-$name/hivesnap.json"
	validate_json manifest.schema.json "$tmp/g-$name/manifest.json"
	expect_exit 0 "$HIVESNAP" cat "$f" redis/db0.jsonl
	cmp -s "$tmp/out" "$tmp/g-$name/redis/db0.jsonl" || fail "cat and extract of $name disagree"
done
echo "ok: the good fixtures verify, inspect, list and extract cleanly"
