#!/usr/bin/env bash
# `hivesnap verify ARCHIVE...`: ok/FAILED line per archive, exit the worst
# code, --json (schemas/verify.schema.json); every kind of bad archive.
source "$(dirname "$0")/lib.sh"
mk_sample
mk_bad
good=$tmp/good.tar.zst

expect_exit 0 "$HIVESNAP" verify "$good"
[[ $(cat "$tmp/out") =~ ^ok\ $good\ \(5\ entries,\ [0-9]+\ bytes\)$ ]] || fail "verify line: $(cat "$tmp/out")"
expect_exit 0 "$HIVESNAP" verify "$good" "$tmp/noindex.tar.zst"
[[ $(grep -c '^ok ' "$tmp/out") -eq 2 ]] || fail "verify of two good archives: $(cat "$tmp/out")"

for f in random plain flipped flipped-noindex zflip truncated; do
	expect_exit 4 "$HIVESNAP" verify "$tmp/bad/$f.tar.zst"
	expect_stdout_match "^FAILED $tmp/bad/$f\.tar\.zst: ."
done
expect_exit 65 "$HIVESNAP" verify "$tmp/bad/v2.tar.zst"
expect_exit 3 "$HIVESNAP" verify "$tmp/missing.tar.zst"
expect_stdout_match "^FAILED $tmp/missing\.tar\.zst: "

# the worst code wins, and every archive is reported
expect_exit 4 "$HIVESNAP" verify "$good" "$tmp/bad/flipped.tar.zst" "$tmp/missing.tar.zst"
[[ $(wc -l <"$tmp/out") -eq 3 ]] || fail "verify did not report each archive: $(cat "$tmp/out")"
expect_exit 65 "$HIVESNAP" verify "$tmp/bad/v2.tar.zst" "$tmp/bad/flipped.tar.zst" "$good"

expect_exit 65 "$HIVESNAP" verify --json "$good" "$tmp/bad/truncated.tar.zst" "$tmp/bad/v2.tar.zst" "$tmp/missing.tar.zst"
validate_json verify.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" <<'PY' || fail "verify --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert [x["code"] for x in d] == [0, 4, 65, 3], d
assert d[0]["ok"] and d[0]["entries"] == 5 and d[0]["bytes"] > 0 and d[0]["error"] is None
assert not d[1]["ok"] and d[1]["error"]
PY
echo "ok: verify --json reports each archive with its own code"

# what the format promises beyond checksums: totals, per-source sums, status
remanifest "$good" "$tmp/same.tar.zst" 'pass'
expect_exit 0 "$HIVESNAP" verify "$tmp/same.tar.zst"
remanifest "$good" "$tmp/totals.tar.zst" 'm["totals"]["bytes"] += 1'
expect_exit 4 "$HIVESNAP" verify "$tmp/totals.tar.zst"
expect_stdout_match 'totals do not match'
remanifest "$good" "$tmp/srcsum.tar.zst" 'm["sources"]["mongo"]["items"] += 7'
expect_exit 4 "$HIVESNAP" verify "$tmp/srcsum.tar.zst"
expect_stdout_match "source 'mongo'"
remanifest "$good" "$tmp/status.tar.zst" 'm["sources"]["redis"]["status"] = "failed"'
expect_exit 4 "$HIVESNAP" verify "$tmp/status.tar.zst"
expect_stdout_match "status 'ok' does not match"
remanifest "$good" "$tmp/partial.tar.zst" 'm["sources"]["redis"]["status"] = "failed"; m["status"] = "partial"'
expect_exit 0 "$HIVESNAP" verify "$tmp/partial.tar.zst"
remanifest "$good" "$tmp/kind.tar.zst" 'm["kind"] = "bundle"'
expect_exit 4 "$HIVESNAP" verify "$tmp/kind.tar.zst"
remanifest "$good" "$tmp/srcname.tar.zst" 'm["sources"]["etcd"] = m["sources"].pop("redis")'
expect_exit 4 "$HIVESNAP" verify "$tmp/srcname.tar.zst"
echo "ok: verify checks the manifest's totals, per-source sums, status and fields"

# a file name that is not UTF-8 still gives one whole object per archive
cp "$good" "$tmp/"$'\xff'".tar.zst"
expect_exit 3 "$HIVESNAP" verify --json "$tmp/"$'\xff'".tar.zst" "$tmp/"$'\xfe'".tar.zst"
validate_json verify.schema.json "$tmp/out"
[[ $(/usr/bin/python3 -c 'import json,sys; print([x["code"] for x in json.load(open(sys.argv[1]))])' "$tmp/out") == "[0, 3]" ]] ||
	fail "verify --json with non-UTF-8 names: $(cat "$tmp/out")"
expect_exit 0 "$HIVESNAP" inspect --json "$tmp/"$'\xff'".tar.zst"
validate_json inspect.schema.json "$tmp/out"

expect_exit 64 "$HIVESNAP" verify
expect_exit 64 "$HIVESNAP" verify --deep "$good"
expect_exit 0 "$HIVESNAP" verify --help
expect_stdout_match '^usage: hivesnap verify ARCHIVE'
if [[ -w /dev/full ]]; then
	got=0
	"$HIVESNAP" verify "$good" >/dev/full 2>/dev/null || got=$?
	[[ $got == 3 ]] || fail "verify to /dev/full exited $got, want 3"
	echo "ok: verify to a full disk -> 3"
fi
