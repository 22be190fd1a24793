#!/usr/bin/env bash
# The exported kafka/offsets.csv is what Kafka's own tool reads:
# kafka-consumer-groups --reset-offsets --from-file offsets.csv --dry-run accepts it for
# several groups and plans exactly the archived offsets.
set -euo pipefail
. "$(dirname "$0")/kafka_lib.bash"
: "${PEERS_BIN:?run with the peers env: eval \"\$(scripts/peers.sh env)\"}"

t=$tag.consensus
g1=$tag-cli-a
g2=$tag-cli-b
groups+=("$g1" "$g2")
new_topic "$t" 2
"$KT" produce "$t" 0 20
"$KT" produce "$t" 1 20
"$KT" commit "$g1" "$t" 0 12
"$KT" commit "$g1" "$t" 1 7
"$KT" commit "$g2" "$t" 0 19
profile "$work/p.yaml" "[\"$tag-cli-*\"]"
"$HIVESNAP" snapshot -p "$work/p.yaml" -o "$work/a.tar.zst" >/dev/null 2>"$work/snap.err" ||
	fail "snapshot: $(cat "$work/snap.err")"
entry "$work/a.tar.zst" kafka/offsets.csv >"$work/offsets.csv"
"$KT" commit "$g1" "$t" 0 15

"$PEERS_BIN/kafka-consumer-groups" --bootstrap-server "$B" --reset-offsets --from-file "$work/offsets.csv" \
	--group "$g1" --group "$g2" --dry-run >"$work/out" 2>"$work/err" ||
	fail "kafka-consumer-groups rejected offsets.csv: $(cat "$work/err" "$work/out")"
for want in "$g1 $t 0 12" "$g1 $t 1 7" "$g2 $t 0 19"; do
	read -r g tt p o <<<"$want"
	grep -qE "^$g +$tt +$p +$o *\$" "$work/out" || fail "kafka-consumer-groups did not plan '$want': $(cat "$work/out")"
done
[[ $(committed "$g1" "$t" 0) == 15 ]] || fail "--dry-run changed the offsets"
ok "kafka-consumer-groups --reset-offsets --from-file accepts kafka/offsets.csv (3 offsets, 2 groups)"
