#!/usr/bin/env bash
# `hivesnap prune DIR --keep-…`: restic's rules on a folder of archives with
# fabricated timestamps; partial archives never keep a slot; unreadable
# files are left alone; --dry-run removes nothing; --json
# (schemas/prune.schema.json); the folder lock is honoured (75).
source "$(dirname "$0")/lib.sh"
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"
d=$tmp/backups
mkdir -p "$d"
mk() { # NAME UNIXTIME [extra hs_mkarchive args]
	local name=$1 t=$2
	shift 2
	"$HS_TOOLS/hs_mkarchive" "$d/$name.tar.zst" --created-at "$t" "$@" mongo/db/c.bson=x
}
T0=1767225600 # 2026-01-01T00:00:00Z
mk a-jan01 $T0
mk b-jan02-early $((T0 + 86400 + 3600))
mk c-jan02-late $((T0 + 86400 + 7200))
mk d-jan03 $((T0 + 2 * 86400))
mk e-jan04-partial $((T0 + 3 * 86400)) --source-status redis=failed:down
echo junk >"$d/zz-broken.tar.zst"

expect_exit 0 "$HIVESNAP" prune "$d" --keep-daily 2 --dry-run
expect_stdout_match '^keep +d-jan03.tar.zst +kept by daily 2026-01-03$'
expect_stdout_match '^keep +c-jan02-late.tar.zst +kept by daily 2026-01-02$'
expect_stdout_match '^would remove +b-jan02-early.tar.zst +no rule keeps it$'
expect_stdout_match '^would remove +a-jan01.tar.zst +no rule keeps it$'
expect_stdout_match '^would remove +e-jan04-partial.tar.zst +partial archive: never kept by a rule$'
expect_stdout_match '^keep +zz-broken.tar.zst +not a readable hivesnap archive: left alone$'
expect_stdout_match '^would remove 3 archives \([0-9]+ bytes\), kept 3$'
[[ $(ls "$d" | wc -l) -eq 6 ]] || fail "--dry-run removed files: $(ls "$d")"
echo "ok: --dry-run says what it keeps and why, removes nothing"

expect_exit 0 "$HIVESNAP" prune "$d" --keep-daily=2 --json
validate_json prune.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" <<'PY' || fail "prune --json content"
import json, sys
r = json.load(open(sys.argv[1]))
acts = {a["name"]: a["action"] for a in r["archives"]}
assert acts == {"e-jan04-partial.tar.zst": "remove", "d-jan03.tar.zst": "keep", "c-jan02-late.tar.zst": "keep",
                "b-jan02-early.tar.zst": "remove", "a-jan01.tar.zst": "remove", "zz-broken.tar.zst": "keep"}, acts
assert r["removed"] == 3 and r["kept"] == 3 and r["removed_bytes"] > 0 and r["dry_run"] is False, r
names = [a["name"] for a in r["archives"] if a["status"] != "unreadable"]
assert names == ["e-jan04-partial.tar.zst", "d-jan03.tar.zst", "c-jan02-late.tar.zst", "b-jan02-early.tar.zst", "a-jan01.tar.zst"], names
PY
[[ $(ls "$d" | sort | tr '\n' ' ') == "c-jan02-late.tar.zst d-jan03.tar.zst zz-broken.tar.zst " ]] ||
	fail "after prune the folder holds: $(ls "$d")"
echo "ok: prune removes what no rule keeps, including the partial archive, and leaves the broken file"

expect_exit 0 "$HIVESNAP" prune "$d" --keep-last 1
expect_stdout_match '^keep +d-jan03.tar.zst +kept by last$'
expect_stdout_match '^removed 1 archives'
[[ ! -e $d/c-jan02-late.tar.zst ]] || fail "--keep-last 1 kept c-jan02-late"

expect_exit 64 "$HIVESNAP" prune "$d"
expect_stderr_match 'at least one --keep'
expect_exit 64 "$HIVESNAP" prune "$d" --keep-daily x
expect_stderr_match "--keep-daily takes a number"
expect_exit 64 "$HIVESNAP" prune --keep-last 1
expect_exit 3 "$HIVESNAP" prune "$tmp/missing" --keep-last 1

( exec 9>>"$d/.hivesnap.lock"; flock -n 9 || exit 1; touch "$tmp/held"; exec sleep 120 ) &
holder=$!
trap 'kill -9 $holder 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [[ -e $tmp/held ]] && break; sleep 0.05; done
[[ -e $tmp/held ]] || fail "the test could not take the lock"
expect_exit 75 "$HIVESNAP" prune "$d" --keep-last 1
expect_stderr_match 'is locked by hivesnap pid'
kill -9 "$holder"
echo "PASS"
