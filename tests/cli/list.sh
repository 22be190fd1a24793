#!/usr/bin/env bash
# `hivesnap list DIR`: archives of a backup folder newest first with label,
# kind, status, size and per-source status; unreadable files listed, not
# fatal; dot files (being written) skipped; --json (schemas/list.schema.json).
source "$(dirname "$0")/lib.sh"
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"
d=$tmp/backups
mkdir -p "$d"
mk=$HS_TOOLS/hs_mkarchive
"$mk" "$d/flowc-nightly-20260101T000000Z.tar.zst" --label nightly --created-at 1767225600 mongo/db/c.bson=x
"$mk" "$d/flowc-20260103T000000Z.tar.zst" --kind bundle --created-at 1767398400 k8s/a=y
"$mk" "$d/flowc-20260102T000000Z.tar.zst" --created-at 1767312000 \
	--source-status redis=failed:boom --source-status mongo=ok mongo/db/c.bson=x
echo junk >"$d/broken.tar.zst"
cp "$d/flowc-20260103T000000Z.tar.zst" "$d/.flowc-being-written.tar.zst"
echo hi >"$d/notes.txt"

expect_exit 0 "$HIVESNAP" list "$d"
[[ $(wc -l <"$tmp/out") -eq 4 ]] || fail "list shows $(wc -l <"$tmp/out") lines, want 4: $(cat "$tmp/out")"
grep -v broken "$tmp/out" | awk '{print $1}' | tr '\n' ' ' | grep -qx '2026-01-03T00:00:00Z 2026-01-02T00:00:00Z 2026-01-01T00:00:00Z ' ||
	fail "list is not newest first: $(cat "$tmp/out")"
grep -qE '^2026-01-02T00:00:00Z +partial +snapshot +[0-9]+ +- +flowc-20260102T000000Z.tar.zst +mongo=ok,redis=failed$' "$tmp/out" ||
	fail "partial archive line: $(cat "$tmp/out")"
grep -qE '^2026-01-01T00:00:00Z +ok +snapshot +[0-9]+ +nightly +flowc-nightly-' "$tmp/out" || fail "label line: $(cat "$tmp/out")"
grep -qE '^2026-01-03T00:00:00Z +ok +bundle ' "$tmp/out" || fail "kind bundle not shown: $(cat "$tmp/out")"
grep -qE '^- +unreadable .*broken.tar.zst .*not a hivesnap archive' "$tmp/out" || fail "broken file line: $(cat "$tmp/out")"
! grep -q being-written "$tmp/out" || fail "list shows a dot file"
echo "ok: list shows archives newest first with status, kind, label, sources; unreadable listed; dot files skipped"

expect_exit 0 "$HIVESNAP" list --json "$d"
validate_json list.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" "$d" <<'PY' || fail "list --json content"
import json, os, sys
d = json.load(open(sys.argv[1]))
ok = [x for x in d if x["status"] != "unreadable"]
assert [x["created_at"] for x in ok] == ["2026-01-03T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"], d
p = ok[1]
assert p["status"] == "partial" and p["sources"] == {"mongo": "ok", "redis": "failed"}, p
assert p["size"] == os.path.getsize(os.path.join(sys.argv[2], p["name"])), p
assert ok[2]["label"] == "nightly" and ok[0]["kind"] == "bundle", ok
b = [x for x in d if x["status"] == "unreadable"]
assert len(b) == 1 and b[0]["name"] == "broken.tar.zst" and "not a hivesnap archive" in b[0]["error"], b
PY
echo "ok: list --json"

mkdir "$tmp/empty"
expect_exit 0 "$HIVESNAP" list "$tmp/empty"
[[ ! -s $tmp/out ]] || fail "list of an empty folder printed: $(cat "$tmp/out")"
expect_exit 3 "$HIVESNAP" list "$tmp/missing"
expect_stderr_match "cannot read folder '.*missing'"
expect_exit 64 "$HIVESNAP" list
expect_exit 64 "$HIVESNAP" list --bogus "$d"
echo "PASS"
