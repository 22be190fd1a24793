#!/usr/bin/env bash
# hivesnap diag, the framework (no peers): a profile whose endpoints are
# closed ports makes every collector fail, and the bundle is still written
# (exit 2), verifies, lists with tar, holds checks/findings valid against
# their schemas and a summary with the findings first; usage errors exit 64,
# a bad profile 65, an existing -o file 3 (untouched), a locked folder 75;
# redaction removes a planted token unless --no-redact.
source "$(dirname "$0")/lib.sh"
: "${HS_FIXTURES:?HS_FIXTURES must name the fixtures folder}"

# a port nothing listens on
closed=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
p=$tmp/p.yaml
cat >"$p" <<EOF
name: diagtest
redis:
  uri: redis://:s3cret-planted@127.0.0.1:$closed/0
mongo:
  uri: mongodb://backup:s3cret-planted@127.0.0.1:$closed/?appname=PLANTED-TOKEN-4711&serverSelectionTimeoutMS=1500
  databases: [{name: neural_hive}]
diag:
  health:
    - {name: svc, url: "http://probe:pw-planted-1@127.0.0.1:$closed/health?token=tok-planted-2", timeout_ms: 1000}
  dependencies:
    - {name: etcd, kind: etcd, url: "http://root:pw-planted-3@127.0.0.1:$closed", timeout_ms: 1000}
  redact: ["PLANTED-TOKEN-[0-9]+"]
EOF

# ------------------------------------------------------------ help, usage
expect_exit 0 "$HIVESNAP" --help
expect_stdout_match '^  diag +collect'
expect_exit 0 "$HIVESNAP" diag --help
expect_stdout_match '--no-redact'
expect_stdout_match '--timeout DURATION'
for args in "--bogus" "--only nosuch" "--skip redis,nosuch" "--since soon" "--timeout 0" \
	"-o $tmp/a.tar.zst --output-dir $tmp" "--label a/b" "extra"; do
	# shellcheck disable=SC2086
	expect_exit 64 "$HIVESNAP" diag -p "$p" $args
	expect_stderr_match '^hivesnap: diag: '
done
expect_exit 64 "$HIVESNAP" diag -p "$p" --only nosuch
expect_stderr_match "unknown collector 'nosuch' \(known: [a-z0-9_,]*redis"
# --help names every collector of the table
known=$(sed -n "s/.*(known: \([a-z0-9_,]*\)).*/\1/p" "$tmp/err")
"$HIVESNAP" diag --help >"$tmp/help"
[[ $known == *redis* ]] || fail "no collector list in: $(cat "$tmp/err")"
for c in ${known//,/ }; do
	grep -A1 '^Collectors:' "$tmp/help" | grep -qw "$c" || fail "diag --help does not name collector $c"
done
# --only a collector the profile does not configure
expect_exit 64 "$HIVESNAP" diag -p "$p" --only kafka --output-dir "$tmp"
expect_stderr_match "collector 'kafka' is not configured in profile 'diagtest'"
[[ -z $(ls "$tmp" | grep tar.zst || true) ]] || fail "a usage error wrote a file"

# ------------------------------------------------------------ bad profile, nothing configured
expect_exit 65 "$HIVESNAP" diag -p "$HS_FIXTURES/profiles/bad-type.yaml" --output-dir "$tmp"
mkdir "$tmp/empty"
expect_exit 3 "$HIVESNAP" diag -p "$HS_FIXTURES/profiles/minimal.yaml" --output-dir "$tmp/empty"
expect_stderr_match 'nothing written: no diag collector is configured'
[[ -z $(ls -A "$tmp/empty") ]] || fail "exit 3 left files: $(ls -A "$tmp/empty")"

# ------------------------------------------------------------ every collector fails: exit 2, bundle written
out=$tmp/o1
mkdir "$out"
expect_exit 2 "$HIVESNAP" diag -p "$p" --output-dir "$out" --since 30m
cp "$tmp/out" "$tmp/summary.txt"
cp "$tmp/err" "$tmp/stderr.txt"
bundle=$(ls "$out"/diagtest-diag-*.tar.zst)
[[ $(ls -A "$out") == "$(basename "$bundle")" ]] || fail "the output folder holds more than the bundle: $(ls -A "$out")"
[[ $(basename "$bundle") =~ ^diagtest-diag-[0-9]{8}T[0-9]{6}Z\.tar\.zst$ ]] || fail "bundle name $(basename "$bundle")"
[[ $(stat -c %a "$bundle") == 600 ]] || fail "bundle mode $(stat -c %a "$bundle"), want 600"
expect_exit 0 "$HIVESNAP" verify "$bundle"
tar --zstd -tf "$bundle" >"$tmp/list" || fail "tar --zstd -tf cannot list the bundle"
for e in hivesnap.json diag/checks.json diag/findings.json diag/summary.md diag/redaction.json manifest.json SHA256SUMS; do
	grep -qx "$e" "$tmp/list" || fail "the bundle lacks $e: $(cat "$tmp/list")"
done
[[ $(head -1 "$tmp/list") == hivesnap.json ]] || fail "hivesnap.json is not first"
echo "ok: bundle written, verified and listed by tar"

expect_exit 0 "$HIVESNAP" cat "$bundle" hivesnap.json
grep -q '"kind": "bundle"' "$tmp/out" || fail "header kind is not bundle: $(cat "$tmp/out")"
grep -q '"label": "diag"' "$tmp/out" || fail "header label is not diag: $(cat "$tmp/out")"
expect_exit 0 "$HIVESNAP" cat "$bundle" manifest.json
cp "$tmp/out" "$tmp/manifest.json"
validate_json manifest.schema.json "$tmp/manifest.json"
/usr/bin/python3 - "$tmp/manifest.json" <<'PY' || fail "manifest sources are wrong"
import json, sys
m = json.load(open(sys.argv[1]))
s = m["sources"]
assert s["redis"]["status"] == "failed" and "refused" in s["redis"]["error"].lower(), s["redis"]
assert s["mongo"]["status"] == "failed" and s["mongo"]["error"], s["mongo"]
assert s["kafka"]["status"] == "skipped" and s["k8s"]["status"] == "skipped", s
assert s["redis"]["details"]["diag_status"] == "failed", s["redis"]
assert m["status"] == "partial", m["status"]  # redis and mongo failed, health and deps ran
PY
echo "ok: the manifest records each collector (failed, skipped)"

expect_exit 0 "$HIVESNAP" cat "$bundle" diag/checks.json
cp "$tmp/out" "$tmp/checks.json"
validate_json checks.schema.json "$tmp/checks.json"
expect_exit 0 "$HIVESNAP" cat "$bundle" diag/findings.json
cp "$tmp/out" "$tmp/findings.json"
validate_json findings.schema.json "$tmp/findings.json"
/usr/bin/python3 - "$tmp/checks.json" "$tmp/findings.json" <<'PY' || fail "checks or findings are wrong"
import json, sys
checks = json.load(open(sys.argv[1]))
findings = json.load(open(sys.argv[2]))
by = {c["name"]: c for c in checks}
assert by["redis"]["status"] == "failed" and by["mongo"]["status"] == "failed", checks
assert by["kafka"]["status"] == "skipped" and by["kafka"]["error"] == "not configured in the profile", by["kafka"]
assert by["redis"]["timeout_ms"] == 20000 and by["redis"]["duration_ms"] >= 0, by["redis"]
# sorted critical -> warning -> info
rank = {"critical": 0, "warning": 1, "info": 2}
assert [rank[f["severity"]] for f in findings] == sorted(rank[f["severity"]] for f in findings), findings
# the collectors' own findings, and the core's for each failed collector
assert any(f["collector"] == "redis" and f["severity"] == "critical" for f in findings), findings
core = [f for f in findings if f["title"].startswith("collector '")]
assert sorted(f["collector"] for f in core) == ["mongo", "redis"], core
assert all(f["runbook_section"] and f["evidence"]["status"] == "failed" for f in core), core
PY
echo "ok: checks and findings are valid and right"

# summary.md: printed, the same as the entry, findings before collectors
expect_exit 0 "$HIVESNAP" cat "$bundle" diag/summary.md
cmp -s "$tmp/out" "$tmp/summary.txt" || fail "the printed summary differs from diag/summary.md"
f=$(grep -n '^## Findings' "$tmp/summary.txt" | cut -d: -f1)
c=$(grep -n '^## Collectors' "$tmp/summary.txt" | cut -d: -f1)
[[ -n $f && -n $c && $f -lt $c ]] || fail "summary does not list findings first: $(cat "$tmp/summary.txt")"
grep -qE '^1\. \*\*CRITICAL\*\* \[health\] svc .*\(runbook: "Check Service Health"\)' "$tmp/summary.txt" &&
	grep -qE '^[0-9]\. \*\*CRITICAL\*\* \[redis\] .*unreachable \(runbook: "Check Dependencies"\)' "$tmp/summary.txt" ||
	fail "summary's first finding is not a critical one with its runbook section: $(cat "$tmp/summary.txt")"
grep -qE '^\| redis — .* \| failed \| [0-9.]+ s \| cannot connect' "$tmp/summary.txt" || fail "summary lacks the redis row"
grep -qE '^\| kafka — .* \| skipped \| - \| not configured' "$tmp/summary.txt" || fail "summary lacks the kafka row"
grep -q "hivesnap ls $(basename "$bundle")" "$tmp/summary.txt" || fail "summary does not say how to open the bundle"
grep -q '^- when: .*(logs and events of the last 30m)$' "$tmp/summary.txt" || fail "summary does not give --since"
echo "ok: summary.md printed, findings first"

# redaction: the profile's rule removed the planted token everywhere; no password anywhere
mkdir "$tmp/x"
zstd -q -dc "$bundle" | tar -x -C "$tmp/x"
! grep -rq 'PLANTED-TOKEN-4711' "$tmp/x" "$tmp/summary.txt" "$tmp/stderr.txt" || fail "the planted token is in the bundle"
for secret in s3cret-planted pw-planted-1 tok-planted-2 pw-planted-3; do
	! grep -rq "$secret" "$tmp/x" "$tmp/summary.txt" "$tmp/stderr.txt" || fail "secret $secret is in the bundle or output"
done
grep -q '"name": "health"' "$tmp/x/diag/checks.json" && grep -q '"name": "deps"' "$tmp/x/diag/checks.json" ||
	fail "health and deps did not run"
/usr/bin/python3 - "$tmp/x/diag/redaction.json" <<'PY' || fail "redaction.json is wrong: $(cat "$tmp/x/diag/redaction.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["enabled"] is True, r
assert r["rules"]["profile:0"] >= 1 and r["total"] >= r["rules"]["profile:0"], r
PY
echo "ok: redacted by default (profile rule counted, never the value)"

# --json: the report, valid against its schema
out2=$tmp/o2
mkdir "$out2"
expect_exit 2 "$HIVESNAP" diag -p "$p" -o "$out2/b.tar.zst" --json --quiet
cp "$tmp/out" "$tmp/report.json"
validate_json diag.schema.json "$tmp/report.json"
/usr/bin/python3 - "$tmp/report.json" "$out2/b.tar.zst" <<'PY' || fail "--json report is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["archive"] == sys.argv[2] and r["status"] == "partial" and r["exit_code"] == 2, r
st = {c["name"]: c["status"] for c in r["checks"]}
assert st["redis"] == "failed" and st["mongo"] == "failed" and st["kafka"] == "skipped", st
PY
! grep -q 'PLANTED-TOKEN-4711' "$tmp/report.json" || fail "--json shows the planted token"
[[ ! -s $tmp/err ]] || ! grep -q 'level=info' "$tmp/err" || fail "--quiet still logs info: $(cat "$tmp/err")"
echo "ok: --json"

# --no-redact: the token stays (and the report says redaction was off)
out3=$tmp/o3
mkdir "$out3"
expect_exit 2 "$HIVESNAP" diag -p "$p" --output-dir "$out3" --no-redact --only mongo
expect_stderr_match 'level=warn .*--no-redact'
mkdir "$tmp/y"
zstd -q -dc "$out3"/*.tar.zst | tar -x -C "$tmp/y"
grep -rq 'PLANTED-TOKEN-4711' "$tmp/y" || fail "--no-redact removed the token"
grep -q '"enabled": false' "$tmp/y/diag/redaction.json" || fail "redaction.json does not say it was off"
grep -q 'OFF (--no-redact)' "$tmp/y/diag/summary.md" || fail "summary does not say redaction was off"
/usr/bin/python3 - "$tmp/y/diag/checks.json" <<'PY' || fail "--only did not skip the others"
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))}
assert c["mongo"]["status"] == "failed", c["mongo"]
assert c["redis"]["status"] == "skipped" and c["redis"]["error"] == "not in --only", c["redis"]
PY
echo "ok: --no-redact keeps it; --only runs one collector"

# ------------------------------------------------------------ -o to an existing file: 3, untouched
echo "precious" >"$tmp/exists.tar.zst"
before=$(ls -A "$tmp" | sort)
expect_exit 3 "$HIVESNAP" diag -p "$p" -o "$tmp/exists.tar.zst"
expect_stderr_match "exists"
[[ $(cat "$tmp/exists.tar.zst") == precious ]] || fail "-o overwrote an existing file"
[[ $(ls -A "$tmp" | sort) == "$before" ]] || fail "exit 3 left files: $(diff <(echo "$before") <(ls -A "$tmp" | sort))"
echo "ok: -o to an existing file changes nothing"

# ------------------------------------------------------------ locked folder: 75
locked=$tmp/locked
mkdir "$locked"
printf 'pid 4242\nstarted 2026-11-29T06:00:00Z\n' >"$locked/.hivesnap.lock"
( exec 9>>"$locked/.hivesnap.lock"; flock -n 9 || exit 1; touch "$tmp/held"; exec sleep 60 ) &
holder=$!
trap 'kill -9 $holder 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [[ -e $tmp/held ]] && break; sleep 0.05; done
[[ -e $tmp/held ]] || fail "the test could not take the lock"
expect_exit 75 "$HIVESNAP" diag -p "$p" --output-dir "$locked"
expect_stderr_match "is locked by hivesnap pid 4242"
[[ $(ls -A "$locked") == .hivesnap.lock ]] || fail "the locked run left files: $(ls -A "$locked")"
kill -9 "$holder"
wait "$holder" 2>/dev/null || true
echo "ok: a locked folder exits 75 and writes nothing"
echo "PASS"
