#!/usr/bin/env bash
# `hivesnap inspect`: text and --json (schemas/inspect.schema.json) from the
# index frame and without it; exit codes for every kind of bad archive.
source "$(dirname "$0")/lib.sh"
mk_sample
mk_bad
good=$tmp/good.tar.zst

expect_exit 0 "$HIVESNAP" inspect "$good"
expect_stdout_match '^kind +snapshot$'
expect_stdout_match '^status +ok$'
expect_stdout_match '^size +[0-9]+ bytes \(index frame: yes\)$'
expect_stdout_match '^total +5 entries, '

expect_exit 0 "$HIVESNAP" inspect "$good" --json
cp "$tmp/out" "$tmp/inspect.json"
validate_json inspect.schema.json "$tmp/inspect.json"
/usr/bin/python3 - "$tmp/inspect.json" "$good" <<'PY' || fail "inspect --json content"
import json, os, sys
d = json.load(open(sys.argv[1]))
assert d["archive"] == sys.argv[2], d["archive"]
assert d["file_size"] == os.path.getsize(sys.argv[2]), d["file_size"]
assert d["index_frame"] is True
assert d["header"]["format"] == "hivesnap-archive" and d["header"]["version"] == 1
assert d["totals"]["entries"] == 5, d["totals"]
assert d["status"] == "ok"
PY
echo "ok: inspect --json holds the header, totals, file size and index_frame"

# Without the index frame: same answer, read the slow way.
expect_exit 0 "$HIVESNAP" inspect --json "$tmp/noindex.tar.zst"
validate_json inspect.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" "$tmp/inspect.json" <<'PY' || fail "inspect without index frame differs"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a["index_frame"] is False
for k in ("header", "sources", "totals", "status", "created_at", "completed_at"):
    assert a[k] == b[k], k
PY
echo "ok: inspect without the index frame gives the same report"

for f in random plain truncated; do
	expect_exit 4 "$HIVESNAP" inspect "$tmp/bad/$f.tar.zst"
	[[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "error is not one line: $(cat "$tmp/err")"
done
expect_exit 65 "$HIVESNAP" inspect "$tmp/bad/v2.tar.zst"
expect_stderr_match 'version'
expect_exit 3 "$HIVESNAP" inspect "$tmp/no-such-file.tar.zst"
expect_stderr_match "no-such-file.tar.zst"
expect_exit 64 "$HIVESNAP" inspect
expect_exit 64 "$HIVESNAP" inspect "$good" "$good"
expect_exit 64 "$HIVESNAP" inspect --bogus "$good"
expect_stderr_match "unknown option '--bogus'"
expect_exit 0 "$HIVESNAP" inspect --help
expect_stdout_match '^usage: hivesnap inspect ARCHIVE'
if [[ -w /dev/full ]]; then
	got=0
	"$HIVESNAP" inspect "$good" >/dev/full 2>/dev/null || got=$?
	[[ $got == 3 ]] || fail "inspect to /dev/full exited $got, want 3"
	echo "ok: inspect to a full disk -> 3"
fi

# a failed source: overall partial, the source's error text shown
mk_archive "$tmp/partial.tar.zst" --label pre-maint --source-status 'redis=failed:cannot connect to redis at localhost:6379' \
	"mongo/db/c.bson=@$tmp/in/coll.bson" 'kafka/offsets.csv=group,topic,partition,offset'
expect_exit 0 "$HIVESNAP" inspect "$tmp/partial.tar.zst"
expect_stdout_match '^status +partial$'
expect_stdout_match '^label +pre-maint$'
expect_stdout_match '^redis +failed +0 +0 +0 '
expect_stdout_match '^ +error: cannot connect to redis at localhost:6379$'
expect_stdout_match '^mongo +ok +1 +0 +[0-9]+ '
expect_exit 0 "$HIVESNAP" inspect --json "$tmp/partial.tar.zst"
validate_json inspect.schema.json "$tmp/out"
/usr/bin/python3 - "$tmp/out" <<'PY' || fail "inspect --json of a partial archive"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "partial" and d["header"]["label"] == "pre-maint", d
r = d["sources"]["redis"]
assert r["status"] == "failed" and r["error"] == "cannot connect to redis at localhost:6379", r
assert d["sources"]["mongo"]["status"] == "ok" and d["sources"]["mongo"]["entries"] == 1
PY
echo "ok: inspect shows a partial archive and the failed source's error"

# durations and watermark summaries come from the manifest's source records
remanifest "$good" "$tmp/wm.tar.zst" '
m["sources"]["mongo"].update(started_at="2026-11-29T05:20:00.000Z", ended_at="2026-11-29T05:21:10.456Z",
                             watermark={"cluster_time": "7312345678901234567", "ops": {"a": 1, "b": 2}})
m["sources"]["redis"].update(started_at="2026-11-29T05:20:00Z", ended_at="2026-11-29T05:20:02.5Z",
                             watermark={"offset": 42, "x" * 80: True})'
expect_exit 0 "$HIVESNAP" verify "$tmp/wm.tar.zst"
expect_exit 0 "$HIVESNAP" inspect "$tmp/wm.tar.zst"
expect_stdout_match '^mongo +ok +.* 1m10s  cluster_time=7312345678901234567 ops=\{2\}$'
expect_stdout_match '^redis +ok +.* 2\.5s  offset=42 x+\.\.\.$'
expect_exit 0 "$HIVESNAP" inspect --json "$tmp/wm.tar.zst"
validate_json inspect.schema.json "$tmp/out"
