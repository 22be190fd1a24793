#!/usr/bin/env bash
# fault_k8s.sh - the Kubernetes API server dying in the middle of a capture,
# a restore and a rollback. The shared kube-apiserver is never stopped:
# hivesnap talks to it through a private TCP relay (tests/tools/hs_cutproxy.py,
# TLS passes through untouched) that this test cuts (every connection closed,
# port closed: the server died), brings back on the same port, or turns into a
# black hole (connections stay open, nothing answers). The relay holds each
# client chunk a little so that the test, watching the API server directly
# with kubectl, can cut in the middle:
#  - capture (4 namespaces, ~20 list requests): exit 3 and nothing written;
#    with --allow-partial and redis (read only): exit 2, k8s "failed";
#  - black hole: exit 3 within the profile's k8s.timeout_ms, saying so;
#  - restore of 40 ConfigMaps (20 absent, 20 changed, --force), cut after
#    some are applied: exit 3; the report (--json, then text) says which were
#    created/replaced, which one failed, which were not applied, checked
#    against the API server; after the relay is back the same restore
#    finishes the job and a fresh snapshot diffs equal;
#  - rollback --with-configmaps (8 ConfigMaps then the Deployment), cut after
#    some ConfigMaps: exit 3 and the report says what was done and what not;
#    the same rollback again finishes.
set -euo pipefail
# shellcheck source=k8s_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/k8s_lib.bash"
NS=hsfault-$$-$RANDOM
NSX=("$NS-b" "$NS-c" "$NS-d")
proxy=$(dirname "${BASH_SOURCE[0]}")/../tools/hs_cutproxy.py
ppid_=
fault_cleanup() {
	[[ -n $ppid_ ]] && kill "$ppid_" 2>/dev/null || true
	for n in "${NSX[@]}"; do k8s_ns_remove "$n"; done
	k8s_cleanup
}
trap fault_cleanup EXIT

# --- the relay in front of the shared API server
server=$(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}')
hostport=${server#https://}
echo 60 >"$work/delay"
python3 "$proxy" "${hostport%:*}" "${hostport##*:}" "$work/delay" >"$work/proxy.port" 2>"$work/proxy.log" &
ppid_=$!
for _ in $(seq 100); do [[ -s $work/proxy.port ]] && break; sleep 0.1; done
pport=$(awk '/^PORT/ {print $2}' "$work/proxy.port")
[[ -n $pport ]] || fail "the relay did not start: $(cat "$work/proxy.log")"
kc config view --raw --minify | sed "s#$server#https://127.0.0.1:$pport#" >"$work/proxy.kubeconfig"
PKC=$work/proxy.kubeconfig
# relay SIGNAL EVENT: signal the relay and wait until it logged EVENT (done)
relay() {
	local n
	n=$(grep -c "^$2\$" "$work/proxy.log" || true)
	kill "-$1" "$ppid_"
	for _ in $(seq 200); do
		(($(grep -c "^$2\$" "$work/proxy.log" || true) > n)) && return 0
		sleep 0.02
	done
	fail "the relay did not $2"
}
cut() { relay USR1 cut; }
# delay MS: hold each client chunk MS milliseconds from now on
delay() { echo "$1" >"$work/delay"; }
back() { relay USR2 back; }
blackhole() { relay HUP blackhole; }
# client chunks the relay forwarded so far
chunks() { grep -c '^up ' "$work/proxy.log" || true; }
# hv RC ARGS...: hivesnap through the relay, exit code checked (run_rc)
hv() { run_rc "$1" env KUBECONFIG="$PKC" "$H" "${@:2}"; }
KUBECONFIG=$PKC kc get namespace default >/dev/null || fail "kubectl through the relay failed"
ok "relay on port $pport in front of $server"

# --- the data: $NS holds 40 labelled ConfigMaps and a Deployment "multi"
# whose revisions 1 and 2 (ReplicaSets, no controller runs) use cm-01..cm-08;
# three more namespaces make the capture take ~20 list requests
N=40
kc create namespace "$NS" >/dev/null
for n in "${NSX[@]}"; do
	kc create namespace "$n" >/dev/null
	kc -n "$n" create configmap side --from-literal=x=1 >/dev/null
done
for i in $(seq -w 1 $N); do
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%s, namespace: %s, labels: {hsfault: "yes"}}\ndata: {i: "%s", v: archived}\n' "$i" "$NS" "$i"
done >"$work/cms.yaml"
kc create -f "$work/cms.yaml" >/dev/null
envfrom=$(for i in $(seq -f %02g 1 8); do printf '{configMapRef: {name: cm-%s}}, ' "$i"; done)
envfrom="[${envfrom%, }]"
multi_template() { # IMAGE [EXTRA-LABEL]
	cat <<EOF
    metadata:
      labels: {app: multi${2:-}}
    spec:
      containers:
      - name: web
        image: $1
        envFrom: $envfrom
EOF
}
{
	cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: multi
  namespace: $NS
  annotations: {deployment.kubernetes.io/revision: "2", kubernetes.io/change-cause: "v2"}
spec:
  replicas: 1
  selector: {matchLabels: {app: multi}}
  template:
EOF
	multi_template nginx:2
} | kc apply -f - >/dev/null
uid=$(kc -n "$NS" get deployment multi -o jsonpath='{.metadata.uid}')
for rev in 1 2; do
	cat <<EOF
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: multi-h$rev
  namespace: $NS
  labels: {app: multi, pod-template-hash: "h$rev"}
  annotations: {deployment.kubernetes.io/revision: "$rev", kubernetes.io/change-cause: "v$rev"}
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: multi, uid: $uid, controller: true, blockOwnerDeletion: true}
spec:
  replicas: 0
  selector: {matchLabels: {app: multi, pod-template-hash: "h$rev"}}
  template:
EOF
	multi_template "nginx:$rev" ", pod-template-hash: h$rev"
done | kc apply -f - >/dev/null

profile() { # FILE TIMEOUT_MS [redis]
	{
		printf 'name: k8sfault\nk8s:\n  timeout_ms: %s\n  namespaces:\n' "$2"
		printf '    - name: %s\n      configmaps: {label_selector: "hsfault=yes"}\n      deployments: ["*"]\n      pods: true\n      events: true\n' "$NS"
		for n in "${NSX[@]}"; do
			printf '    - name: %s\n      configmaps: [side]\n      deployments: ["*"]\n      pods: true\n      events: true\n' "$n"
		done
		if [[ ${3:-} == redis ]]; then
			printf 'redis:\n  uri: "%s"\n  dbs:\n    - db: 14\n      patterns: ["hsfault_none:*"]\n' "$HIVESNAP_REDIS_URI"
		fi
	} >"$1"
}
P=$work/p.yaml
profile "$P" 4000
A=$work/a.tar.zst
hv 0 snapshot -p "$P" --only k8s -o "$A" -q
"$H" ls "$A" >"$work/a.ls"
expect_eq "ConfigMaps in the archive" "$(grep -c "k8s/$NS/configmaps/cm-[0-9]*\.json$" "$work/a.ls")" $N
grep -q "k8s/$NS/deployments/multi/revisions/1.json$" "$work/a.ls" || fail "the archive lacks revision 1 of multi"

# ======================================================================
# 1. capture: the server dies after some of the ~20 list requests
# snap_cut NAME MIN_CHUNKS ARGS...: snapshot in the background, cut once the
# relay forwarded MIN_CHUNKS more client chunks; the snapshot must still be
# running then (the cut lands inside); leaves its exit code in $rc
snap_cut() {
	local name=$1 min=$2 base spid
	shift 2
	base=$(chunks)
	env KUBECONFIG="$PKC" "$H" snapshot "$@" --log-level info >"$work/$name.out" 2>"$work/$name.err" &
	spid=$!
	for _ in $(seq 1500); do
		(($(chunks) - base >= min)) && break
		sleep 0.02
	done
	(($(chunks) - base >= min)) || fail "$name: the capture never got going: $(cat "$work/$name.err")"
	kill -0 "$spid" 2>/dev/null || fail "$name: the capture finished before the cut (delay too short?)"
	! grep -q 'captured [0-9]* object' "$work/$name.err" || fail "$name: k8s capture already done at the cut"
	cut
	set +e
	wait "$spid"
	rc=$?
	set -e
	ok "$name: cut after $(($(chunks) - base)) client chunks"
	back
}
mkdir "$work/o1"
snap_cut c1 8 -p "$P" --only k8s --output-dir "$work/o1"
[[ $rc == 3 ]] || fail "capture with the server cut: exit $rc, want 3: $(tail -3 "$work/c1.err")"
[[ -z $(ls -A "$work/o1") ]] || fail "files left in the output folder: $(ls -A "$work/o1")"
grep -q "k8s" "$work/c1.err" || fail "the error does not name k8s: $(cat "$work/c1.err")"
grep -q "API server 'https://127.0.0.1:$pport'" "$work/c1.err" || fail "the error does not name the API server: $(tail -2 "$work/c1.err")"
ok "cut mid-capture: exit 3, nothing written: $(tail -1 "$work/c1.err")"

profile "$work/pr.yaml" 4000 redis
mkdir "$work/o2"
snap_cut c2 8 -p "$work/pr.yaml" --allow-partial -o "$work/o2/p.tar.zst"
[[ $rc == 2 ]] || fail "capture cut with --allow-partial: exit $rc, want 2: $(tail -3 "$work/c2.err")"
expect_eq "files in the output folder" "$(ls -A "$work/o2")" p.tar.zst
m=$("$H" cat "$work/o2/p.tar.zst" manifest.json)
expect_eq "k8s status" "$(jq -r .sources.k8s.status <<<"$m")" failed
expect_eq "redis status" "$(jq -r .sources.redis.status <<<"$m")" ok
jq -e '.sources.k8s.error | test("API server")' <<<"$m" >/dev/null || fail "no k8s error in the manifest: $(jq -c .sources.k8s <<<"$m")"
"$H" verify "$work/o2/p.tar.zst" >/dev/null || fail "the partial archive does not verify"
# what k8s wrote before the cut stays (whole objects, listed and summed) but
# nothing restores from a failed source
"$H" ls "$work/o2/p.tar.zst" >"$work/p.ls"
ok "k8s entries kept from before the cut: $(grep -c ' k8s/' "$work/p.ls" || true)"
run_rc 3 "$H" restore "$work/o2/p.tar.zst" -p "$P" --only k8s
grep -q "holds no usable k8s data (failed)" "$work/err" || fail "restore of the failed k8s part: $(cat "$work/err")"
ok "--allow-partial: exit 2, k8s failed ($(jq -r .sources.k8s.error <<<"$m")), redis ok, archive verifies"

# ======================================================================
# 2. black hole: the connection stays open, nothing answers
profile "$work/pf.yaml" 1500
blackhole
t0=$(date +%s%N)
hv 3 snapshot -p "$work/pf.yaml" --only k8s --output-dir "$work/o1" -q
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 6000)) || fail "a silent API server took ${ms} ms with timeout_ms 1500"
grep -qi "timeout\|timed out" "$work/err" || fail "the error does not say timeout: $(cat "$work/err")"
[[ -z $(ls -A "$work/o1") ]] || fail "files left after the black hole: $(ls -A "$work/o1")"
ok "black hole during capture: exit 3 in ${ms} ms: $(tail -1 "$work/err")"
cut
back

# ======================================================================
# 3. restore: 40 ConfigMaps (odd ones deleted: create, even ones changed:
# replace, --force), the server dies after some are applied
spoil() {
	local i odd=()
	for i in $(seq -w 1 $N); do
		if ((10#$i % 2)); then odd+=("cm-$i"); fi
	done
	kc -n "$NS" delete configmap --ignore-not-found "${odd[@]}" >/dev/null
	for i in $(seq -w 2 2 $N); do
		printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%s, namespace: %s, labels: {hsfault: "yes"}}\ndata: {i: "%s", v: spoilt}\n' "$i" "$NS" "$i"
	done | kc apply -f - >/dev/null 2>&1
}
# "name v" of every live labelled ConfigMap, straight from the API server
live_all() { kc -n "$NS" get configmaps -l hsfault=yes -o json | jq -r '.items[] | "\(.metadata.name) \(.data.v)"' | sort; }
n_archived() { kc -n "$NS" get configmaps -l hsfault=yes -o json | jq '[.items[] | select(.data.v == "archived")] | length'; }
# restore_cut NAME MIN ARGS...: restore in the background, cut once MIN
# ConfigMaps hold the archived data (watched directly); leaves $rc, and in
# $ms how long the restore took from the cut on. CUT=blackhole: silence
# the relay instead of cutting it
restore_cut() {
	local name=$1 min=$2 rpid have
	shift 2
	env KUBECONFIG="$PKC" "$H" restore "$A" -p "$P" --only k8s --execute --force "$@" >"$work/$name.out" 2>"$work/$name.err" &
	rpid=$!
	for _ in $(seq 600); do
		have=$(n_archived)
		((have >= min)) && break
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$rpid" 2>/dev/null || fail "$name: the restore ended before the cut: $(tail -3 "$work/$name.err")"
	((have >= min)) || fail "$name: the restore never got going: $(tail -3 "$work/$name.err")"
	local t0
	t0=$(date +%s%N)
	${CUT:-cut}
	set +e
	wait "$rpid"
	rc=$?
	set -e
	ms=$((($(date +%s%N) - t0) / 1000000))
	cut
	back
}
# check_report FILE: "target action" lines of the restore's k8s result
# against the live ConfigMaps: created/replaced ones hold the archived data,
# not-applied ones what the spoiling left (odd absent, even "spoilt"), the
# failed one either when it says its request was sent, else what the
# spoiling left; lines are "target action [sent]"; sets ND, NN
check_report() {
	local target action sent name v i want nd=0 nf=0 nn=0
	live_all >"$work/live"
	while read -r target action sent; do
		name=${target##*/}
		i=${name#cm-}
		v=$(awk -v n="$name" '$1 == n {print $2}' "$work/live")
		v=${v:--}
		if ((10#$i % 2)); then want=-; else want=spoilt; fi
		case $action in
		created | replaced)
			[[ $v == archived ]] || fail "$target reported $action, but the server holds v=$v"
			nd=$((nd + 1)) ;;
		not-applied)
			[[ $v == "$want" ]] || fail "$target reported not applied, but the server holds v=$v (want $want)"
			nn=$((nn + 1)) ;;
		failed)
			if [[ $sent == sent ]]; then
				[[ $v == "$want" || $v == archived ]] || fail "$target failed, and the server holds v=$v"
			else
				[[ $v == "$want" ]] || fail "$target failed before its request was sent, but the server holds v=$v"
			fi
			FK=${sent:-refused before sending}
			nf=$((nf + 1)) ;;
		*) fail "$target: unexpected action '$action'" ;;
		esac
	done <"$1"
	((nf == 1)) || fail "$nf failed steps, want 1"
	((nd >= 1 && nn >= 1)) || fail "the cut did not land inside: $nd done, $nn not applied"
	ND=$nd NN=$nn
}

delay 200
spoil
expect_eq "archived ConfigMaps after spoiling" "$(n_archived)" 0
restore_cut r1 5 --json
[[ $rc == 3 ]] || fail "restore with the server cut: exit $rc, want 3: $(tail -3 "$work/r1.err")"
R=$work/r1.out
validate_json restore.schema.json "$R"
jq -e '.exit_code == 3 and .sources[0].source == "k8s" and .sources[0].status == "failed"' "$R" >/dev/null ||
	fail "report: $(jq -c '{exit_code, s: .sources[0] | {source, status}}' "$R")"
expect_eq "steps in the report" "$(jq '.sources[0].result | length' "$R")" $N
# the failed step: sent (it may have been applied) or refused before sending
sent_jq='if .action == "failed" and (.detail | test("the request was sent, so the change may have been applied")) then " sent" else "" end'
jq -r ".sources[0].result[] | \"\\(.target) \\(.action)\\($sent_jq)\"" "$R" >"$work/r1.steps"
grep -q "^$NS/configmap/cm-" "$work/r1.steps" || fail "targets: $(head -3 "$work/r1.steps")"
check_report "$work/r1.steps"
nd1=$ND nn1=$NN
jq -r '.sources[0].result[] | select(.action == "failed") | .detail' "$R" >"$work/r1.failed"
grep -Eq "API server 'https://127.0.0.1:$pport': (.*the request was sent, so the change may have been applied|Couldn't connect to server \(the API server is down or unreachable\))$" "$work/r1.failed" ||
	fail "failed step detail: $(cat "$work/r1.failed")"
grep -q "k8s: restore stopped" "$work/r1.err" || fail "stderr: $(cat "$work/r1.err")"
ok "cut mid-restore (--json): exit 3; $nd1 done, 1 failed ($FK), $nn1 not applied"

# again, cut again, in text form (from where the first one stopped)
restore_cut r2 $((nd1 + 3))
[[ $rc == 3 ]] || fail "second cut restore: exit $rc, want 3: $(tail -3 "$work/r2.err")"
# text_steps FILE: "target action [sent]" of the text report's stopped: section
text_steps() {
	sed -n '/^stopped:$/,$p' "$1" | awk '$1 == "k8s" {print $2, $3 ($3 == "failed" && /the request was sent, so the change may have been applied/ ? " sent" : "")}'
}
text_steps "$work/r2.out" >"$work/r2.steps"
[[ -s $work/r2.steps ]] || fail "no 'stopped:' section: $(cat "$work/r2.out")"
check_report "$work/r2.steps"
nd2=$ND nn2=$NN
grep -q "^applied: nothing; failed: k8s; not applied: nothing$" "$work/r2.out" || fail "summary: $(tail -2 "$work/r2.out")"
grep -Eq "^  k8s +$NS/configmap/cm-[0-9]+ +failed +cannot (create|update) configmaps .*API server 'https://127.0.0.1:$pport'" "$work/r2.out" ||
	fail "failed line: $(grep failed "$work/r2.out")"
ok "cut mid-restore (text): exit 3; $nd2 done, 1 failed ($FK), $nn2 not applied"

# a black hole in the middle: every call times out within k8s.timeout_ms (4000)
CUT=blackhole restore_cut r3 $((nd1 + nd2 + 3))
[[ $rc == 3 ]] || fail "restore into a black hole: exit $rc, want 3: $(tail -3 "$work/r3.err")"
((ms < 8000)) || fail "restore into a black hole took ${ms} ms after the silence, timeout_ms 4000"
grep -Eq "^  k8s +$NS/configmap/cm-[0-9]+ +failed +.*Timeout was reached \(no answer within the request timeout, k8s.timeout_ms\); the request was sent, so the change may have been applied" "$work/r3.out" ||
	fail "black hole failed line: $(grep -A2 '^stopped:' "$work/r3.out")"
text_steps "$work/r3.out" >"$work/r3.steps"
check_report "$work/r3.steps"
ok "black hole mid-restore: exit 3 ${ms} ms after the silence; $ND done, 1 failed (timeout), $NN not applied"

# the server down before the restore starts: refused in the plan, nothing changed
live_all >"$work/before"
cut
hv 3 restore "$A" -p "$P" --only k8s --execute --force
back
grep -q "k8s: preflight: .*API server 'https://127.0.0.1:$pport': Couldn't connect to server (the API server is down or unreachable)" "$work/err" ||
	fail "restore with the server down: $(cat "$work/err")"
live_all >"$work/after"
cmp -s "$work/before" "$work/after" || fail "the refused restore changed ConfigMaps"
ok "server down before the restore: exit 3 in the preflight, nothing changed"

# the server is back: the same restore finishes the job
delay 0
hv 0 restore "$A" -p "$P" --only k8s --execute --force
live_all >"$work/live"
expect_eq "ConfigMaps holding the archived data" "$(grep -c ' archived$' "$work/live")" $N
hv 0 snapshot -p "$P" --only k8s -o "$work/b.tar.zst" -q
run_rc 0 "$H" diff "$A" "$work/b.tar.zst" --only k8s
grep -q "hold the same data" "$work/out" || fail "diff: $(head -20 "$work/out")"
hv 0 restore "$A" -p "$P" --only k8s --json
validate_json restore.schema.json "$work/out"
expect_eq "plan after the restore" "$(jq -r '[.sources[0].plan[] | select(.target | contains("/cm-")) | .action] | unique | join(",")' "$work/out")" unchanged
ok "the same restore again: all $N ConfigMaps as archived, no ConfigMap difference"

# ======================================================================
# 4. rollback --with-configmaps: 8 ConfigMaps (GET + PUT each), then the
# Deployment; the server dies after some ConfigMaps
rb_spoil() {
	kc -n "$NS" patch deployment multi --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1"}]' >/dev/null
	for i in $(seq -f %02g 1 8); do
		printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%s, namespace: %s, labels: {hsfault: "yes"}}\ndata: {i: "%s", v: spoilt}\n' "$i" "$NS" "$i"
	done | kc apply -f - >/dev/null 2>&1
}
rb_image() { kc -n "$NS" get deployment multi -o jsonpath='{.spec.template.spec.containers[0].image}'; }
delay 400
rb_spoil
expect_eq "image before the rollback" "$(rb_image)" nginx:1
for mode in json text; do
	args=()
	[[ $mode == json ]] && args=(--json)
	env KUBECONFIG="$PKC" "$H" rollback -p "$P" "$A" --deployment "$NS/multi" --revision 2 --with-configmaps \
		--execute "${args[@]}" >"$work/rb.out" 2>"$work/rb.err" &
	rpid=$!
	base=$(n_archived)
	for _ in $(seq 600); do
		(($(n_archived) - base >= 2)) && break
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$rpid" 2>/dev/null || fail "rollback ($mode) ended before the cut: $(tail -3 "$work/rb.err")"
	cut
	set +e
	wait "$rpid"
	rc=$?
	set -e
	back
	[[ $rc == 3 ]] || fail "rollback ($mode) with the server cut: exit $rc, want 3: $(tail -3 "$work/rb.err")"
	expect_eq "image after the cut rollback ($mode)" "$(rb_image)" nginx:1
	if [[ $mode == json ]]; then
		jq -r ".result[] | \"\\(.target) \\(.action)\\($sent_jq)\"" "$work/rb.out" >"$work/rb.steps"
		jq -e '.exit_code == 3' "$work/rb.out" >/dev/null || fail "rollback report: $(jq -c '{exit_code}' "$work/rb.out")"
		validate_json rollback.schema.json "$work/rb.out"
	else
		text_steps "$work/rb.out" >"$work/rb.steps"
	fi
	live_all >"$work/live"
	nd=0 nf=0 nn=0
	while read -r target action sent; do
		name=${target##*/}
		v=$(awk -v n="$name" '$1 == n {print $2}' "$work/live")
		case $target:$action in
		*/configmap/*:restored) [[ $v == archived ]] || fail "$target reported restored, holds v=$v"; nd=$((nd + 1)) ;;
		*/configmap/*:not-applied) [[ $v == spoilt ]] || fail "$target reported not applied, holds v=$v"; nn=$((nn + 1)) ;;
		*/configmap/*:failed)
			[[ $v == spoilt || ($v == archived && $sent == sent) ]] || fail "$target failed (${sent:-not sent}), holds v=$v"
			nf=$((nf + 1)) ;;
		*/deployment/multi:not-applied) nn=$((nn + 1)) ;;
		*) fail "rollback ($mode) report: unexpected '$target $action'" ;;
		esac
	done <"$work/rb.steps"
	((nd >= 1 && nf == 1 && nn >= 2 && nd + nf + nn == 9)) ||
		fail "rollback ($mode) report: $nd restored, $nf failed, $nn not applied: $(cat "$work/rb.steps")"
	grep -q "rollback '$NS/multi'" "$work/rb.err" || fail "rollback error: $(cat "$work/rb.err")"
	ok "cut mid-rollback ($mode): exit 3; $nd ConfigMaps restored, 1 failed, $nn not applied (Deployment included)"
	rb_spoil
done
delay 0
hv 0 rollback -p "$P" "$A" --deployment "$NS/multi" --revision 2 --with-configmaps --execute
expect_eq "image after the rollback" "$(rb_image)" nginx:2
expect_eq "cm-01..08 after the rollback" "$(live_all | head -8 | awk '{print $2}' | sort -u)" archived
ok "the same rollback again finishes"
echo PASS
