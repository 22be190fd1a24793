#!/usr/bin/env bash
# deploy/systemd: the service and timer pass `systemd-analyze verify` (with
# ExecStart pointed at the built binary; the man page lookup is ignored),
# and the snapshot flags in ExecStart are ones snapshot accepts.
source "$(dirname "$0")/lib.sh"
: "${HS_SRC:?HS_SRC must name the source tree}"
command -v systemd-analyze >/dev/null || fail "systemd-analyze not installed"
mkdir "$tmp/u"
sed "s#/usr/bin/hivesnap#$HIVESNAP#" "$HS_SRC/deploy/systemd/hivesnap.service" >"$tmp/u/hivesnap.service"
cp "$HS_SRC/deploy/systemd/hivesnap.timer" "$tmp/u/"
systemd-analyze verify "$tmp/u/hivesnap.service" "$tmp/u/hivesnap.timer" >"$tmp/verify" 2>&1 || true
if grep -v "man hivesnap(1)" "$tmp/verify" | grep -q .; then
	fail "systemd-analyze verify: $(cat "$tmp/verify")"
fi
echo "ok: service and timer verify"
grep -q '^OnCalendar=' "$tmp/u/hivesnap.timer" || fail "timer has no OnCalendar"
grep -q '^SuccessExitStatus=75$' "$tmp/u/hivesnap.service" || fail "exit 75 (locked) should not fail the unit"
# every --option of ExecStart is one snapshot knows (its --help lists it)
"$HIVESNAP" snapshot --help >"$tmp/help" 2>&1 || true
opts=$(sed -n '/^ExecStart=/,/^[A-Z]/p' "$tmp/u/hivesnap.service" | grep -oE -- '--[a-z-]+' | sort -u)
[[ -n $opts ]] || fail "no options found in ExecStart"
for o in $opts; do
	case $o in --keep-*) o=--keep- ;; esac
	grep -q -- "$o" "$tmp/help" || fail "ExecStart uses $o, which snapshot --help does not list"
done
echo "ok: ExecStart uses only options snapshot knows: $(echo $opts)"
echo PASS
