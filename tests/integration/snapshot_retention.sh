#!/usr/bin/env bash
# `snapshot --output-dir DIR --keep-…` against the real Redis peer: after a
# successful snapshot the folder is pruned with restic's rules (the new
# archive counts, the partial one never does), the JSON report names what
# was pruned, and `list` shows what is left.  Reads db 12, keys hs-sched:*.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${HIVESNAP:?}" "${HS_SCHEMAS:?}" "${HS_TOOLS:?}"
: "${HIVESNAP_REDIS_URI:?not set: run scripts/peers.sh start, then eval \"\$(scripts/peers.sh env)\"}"
hostport=${HIVESNAP_REDIS_URI#redis://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
rcli=redis-cli
[[ -n ${PEERS_BIN:-} && -x $PEERS_BIN/redis-cli ]] && rcli=$PEERS_BIN/redis-cli
cli() { "$rcli" -h "$host" -p "$port" -n 12 "$@"; }
[[ $(cli ping) == PONG ]] || fail "redis at $hostport does not answer"
. "$(dirname "${BASH_SOURCE[0]}")/validate_json.bash"
work=$(mktemp -d)
stuck=
trap 'cli del hs-sched:a >/dev/null || true; [[ -z $stuck ]] || chattr -i "$stuck"; rm -rf "$work"' EXIT
cli set hs-sched:a 1 >/dev/null
printf 'name: itkeep\nredis:\n  uri: redis://%s/12\n  dbs:\n    - db: 12\n      patterns: ["hs-sched:*"]\n' "$hostport" >"$work/p.yaml"
d=$work/backups
mkdir "$d"
T0=1767225600 # 2026-01-01T00:00:00Z
for i in 0 1 2; do
	"$HS_TOOLS/hs_mkarchive" "$d/itkeep-2026010${i}T000000Z.tar.zst" --profile itkeep --created-at $((T0 + i * 86400)) redis/db12.jsonl=x
done
"$HS_TOOLS/hs_mkarchive" "$d/itkeep-partial.tar.zst" --profile itkeep --created-at $((T0 + 3 * 86400)) \
	--source-status mongo=failed:down redis/db12.jsonl=x

rc=0
"$HIVESNAP" snapshot -p "$work/p.yaml" --only redis --output-dir "$d" --keep-last 2 --json >"$work/out.json" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || { cat "$work/err" >&2; fail "snapshot --keep-last 2 exited $rc"; }
/usr/bin/python3 - "$work/out.json" <<'PY' || fail "snapshot --json pruned list: $(cat "$work/out.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert sorted(r["pruned"]) == ["itkeep-20260100T000000Z.tar.zst", "itkeep-20260101T000000Z.tar.zst",
                               "itkeep-partial.tar.zst"], r["pruned"]
PY
grep -q 'removed itkeep-partial.tar.zst' "$work/err" || fail "snapshot did not log what it pruned: $(cat "$work/err")"
"$HIVESNAP" list --json "$d" >"$work/list.json"
/usr/bin/python3 - "$work/list.json" "$work/out.json" <<'PY' || fail "list after retention: $(cat "$work/list.json")"
import json, os, sys
l = json.load(open(sys.argv[1]))
new = os.path.basename(json.load(open(sys.argv[2]))["archive"])
assert [x["name"] for x in l] == [new, "itkeep-20260102T000000Z.tar.zst"], l
assert l[0]["sources"] == {"redis": "ok"} and l[0]["profile"] == "itkeep", l[0]
PY
echo "ok: snapshot --keep-last 2 keeps the new archive and the newest old one, prunes the rest and the partial one"
validate_json snapshot.schema.json "$work/out.json"

# pruning fails (an old archive made immutable: unlink gets EPERM, even as
# root): the new archive stays, exit 3 with one line saying so, and the
# --json report names the archive with that exit code
stuck=$d/itkeep-20260102T000000Z.tar.zst
chattr +i "$stuck" || { stuck=; fail "cannot make an archive immutable (chattr +i: needs ext4/xfs under TMPDIR and CAP_LINUX_IMMUTABLE)"; }
rc=0
sleep 1.1   # archive names carry the second: not the first run's name again
"$HIVESNAP" snapshot -p "$work/p.yaml" --only redis --output-dir "$d" --keep-last 1 --json >"$work/out.json" 2>"$work/err" || rc=$?
[[ $rc == 3 ]] || fail "snapshot with a failing prune exited $rc, want 3: $(cat "$work/err")"
[[ $(tail -1 "$work/err") == "hivesnap: archive '"*"' written, but pruning failed: cannot remove archive '$stuck': Operation not permitted" ]] ||
	fail "error line: $(tail -1 "$work/err")"
validate_json snapshot.schema.json "$work/out.json"
new=$(jq -r .archive "$work/out.json")
[[ $(jq -r .exit_code "$work/out.json") == 3 && -f $new ]] || fail "report: $(cat "$work/out.json")"
"$HIVESNAP" verify "$new" >/dev/null || fail "the archive written before the failed prune does not verify"
chattr -i "$stuck"
stuck=
echo "ok: a failed prune: exit 3, the archive kept and verified, the --json report says exit 3"

rc=0
"$HIVESNAP" snapshot -q -p "$work/p.yaml" --only redis -o "$work/x.tar.zst" --keep-daily 1 2>"$work/err" || rc=$?
[[ $rc == 64 ]] || fail "--keep-daily with -o exited $rc, want 64"
grep -q 'need --output-dir' "$work/err" || fail "usage error: $(cat "$work/err")"
[[ ! -e $work/x.tar.zst ]] || fail "a refused run wrote an archive"
echo "PASS"
