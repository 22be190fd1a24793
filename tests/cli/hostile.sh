#!/usr/bin/env bash
# Hostile archives (issue #12): every archive of tests/fixtures/hostile/EXPECTED,
# the decompression bombs made on the fly included, is refused with its exit
# code and one clear error line by verify, extract, restore (plan, and
# --execute with targets that would notice a connection), rollback (plan and
# --execute; no kubeconfig to reach), diff (against a good
# archive, both orders) and cat; and nothing is written: extract targets a
# fresh folder in an otherwise empty sandbox, which must stay empty, and the
# places the archives aim at (../, /etc/cron.d, a symlink's target) stay
# untouched.  inspect and ls read only the header and the index frame (SPEC:
# fast whatever the size): they refuse what those show and print the rest,
# which is pinned here so a change is noticed.
source "$(dirname "$0")/lib.sh"
: "${HS_FIXTURES:?}"

# libmongoc prints "Falling back to malloc for counters" when a dead process
# of the same pid left its /dev/shm/mongoc-PID file: not hivesnap's line
export MONGOC_DISABLE_SHM=1
hdir=$HS_FIXTURES/hostile
good=$HS_FIXTURES/good/minimal.tar.zst
gen=$tmp/gen
mkdir -p "$gen"
bash "$HS_FIXTURES/make-hostile.sh" --bombs "$gen" >/dev/null ||
	fail "make-hostile.sh --bombs failed"

# archives inspect and ls print (exit 0): their defect is in the data, which
# they do not read; verify refuses each (checked below)
declare -A index_blind
for n in symlink symlink-then-file hardlink char-device block-device fifo directory \
	duplicate-name entry-larger-than-manifest decompression-bomb bomb-after-end \
	garbage-zstd-after-tar missing-sha256sums sha256sums-missing-line \
	sha256sums-extra-line index-differs; do
	index_blind[$n]=1
done

# a TCP listener standing in for Redis, MongoDB and Kafka: it logs every
# connection to $tmp/connections and closes it at once
listener_pid=
cleanup() {
	[[ -n $listener_pid ]] && kill "$listener_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
/usr/bin/python3 - "$tmp/port" "$tmp/connections" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connection\n")
    c.close()
PY
listener_pid=$!
for _ in $(seq 100); do [[ -s $tmp/port ]] && break; sleep 0.05; done
[[ -s $tmp/port ]] || fail "the listener did not start"
port=$(cat "$tmp/port")
targets=(--to-redis "redis://127.0.0.1:$port/0" --to-mongo "mongodb://127.0.0.1:$port"
	--to-kafka "127.0.0.1:$port")
export HIVESNAP_REDIS_URI="redis://127.0.0.1:$port/0" HIVESNAP_MONGO_URI="mongodb://127.0.0.1:$port"
export HIVESNAP_KAFKA_BROKERS="127.0.0.1:$port" KUBECONFIG=$tmp/no-kubeconfig

# the listener notices a restore that does connect
expect_exit 3 "$HIVESNAP" restore "$good" --only redis --execute "${targets[@]}"
[[ -s $tmp/connections ]] || fail "the listener saw no connection from a restore of a good archive"
rm -f "$tmp/connections"

# the last command's error: exactly one line, "hivesnap: '<archive>': <reason>"
# on stderr (verify: "FAILED <archive>: <reason>" on stdout, the archive named once)
one_line() { # archive regex
	local n q file=$tmp/err prefix=hivesnap
	q=$(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$1")
	if [[ $cmd == "$HIVESNAP rollback "* ]]; then
		prefix="hivesnap: rollback 'ns/dep'"
	elif [[ $cmd == "$HIVESNAP verify "* ]]; then
		[[ ! -s $tmp/err ]] || fail "$cmd: unexpected stderr: $(head -c 600 "$tmp/err")"
		file=$tmp/out prefix="FAILED $q"
	fi
	n=$(wc -l <"$file")
	[[ $n -eq 1 ]] || fail "$cmd: $n lines of error, want 1: $(head -c 600 "$file")"
	if [[ $cmd == "$HIVESNAP verify "* ]]; then
		grep -qE -- "^$prefix: .*$2" "$file" && ! grep -qF -- "'$1'" "$file" ||
			fail "$cmd: error does not match /$2/ or repeats the archive: $(cat "$file")"
		return
	fi
	grep -qE -- "^$prefix: '$q': .*$2" "$file" || fail "$cmd: error does not match /$2/: $(cat "$file")"
}
# the sandbox holds only what it held, the aimed-at places nothing
untouched() {
	local extra
	extra=$(cd "$sandbox" && find . -mindepth 1 ! -path ./cwd)
	[[ -z $extra ]] || fail "$cmd wrote into the sandbox: $extra"
	[[ -z $(ls -A "$sandbox/cwd") ]] || fail "$cmd wrote into its working folder: $(ls -A "$sandbox/cwd")"
	for p in "$tmp/outside" "$tmp/evil" /evil /etc/cron.d/evil /outside /dev/sda-hs; do
		[[ ! -e $p && ! -L $p ]] || fail "$cmd created $p"
	done
	[[ ! -s $tmp/connections ]] || fail "$cmd connected to a restore target"
}
run() { # code regex archive cmd...
	local code=$1 re=$2 a=$3
	shift 3
	cmd="$*"
	( cd "$sandbox/cwd" && expect_exit "$code" "$@" ) || exit 1
	# expect_exit ran in a subshell: its $tmp/out and $tmp/err are the shared files
	one_line "$a" "$re"
	untouched
}

n=0
declare -A listed
while read -r name code re; do
	[[ -z $name || $name == \#* ]] && continue
	listed[$name]=1
	if [[ -e $hdir/$name.tar.zst ]]; then
		a=$hdir/$name.tar.zst
	elif [[ -e $gen/$name.tar.zst ]]; then
		a=$gen/$name.tar.zst
	else
		fail "EXPECTED lists $name, which is neither in $hdir nor made by make-hostile.sh --bombs"
	fi
	sandbox=$tmp/sandbox/$name
	mkdir -p "$sandbox/cwd"
	t0=$SECONDS

	run "$code" "$re" "$a" "$HIVESNAP" verify "$a"
	run "$code" "$re" "$a" "$HIVESNAP" extract "$a" "$sandbox/cwd/out"
	run "$code" "$re" "$a" "$HIVESNAP" extract "$a" out
	run "$code" "$re" "$a" "$HIVESNAP" restore "$a"
	run "$code" "$re" "$a" "$HIVESNAP" restore "$a" --execute "${targets[@]}"
	run "$code" "$re" "$a" "$HIVESNAP" rollback "$a" --deployment ns/dep
	run "$code" "$re" "$a" "$HIVESNAP" rollback "$a" --deployment ns/dep --with-configmaps --execute
	run "$code" "$re" "$a" "$HIVESNAP" diff "$a" "$good"
	run "$code" "$re" "$a" "$HIVESNAP" diff "$good" "$a"
	run "$code" "$re" "$a" "$HIVESNAP" cat "$a" SHA256SUMS
	if [[ -n ${index_blind[$name]:-} ]]; then
		( cd "$sandbox/cwd" && expect_exit 0 "$HIVESNAP" inspect "$a" ) || exit 1
		( cd "$sandbox/cwd" && expect_exit 0 "$HIVESNAP" ls "$a" ) || exit 1
		cmd="inspect/ls $name"
		untouched
	else
		run "$code" "$re" "$a" "$HIVESNAP" inspect "$a"
		run "$code" "$re" "$a" "$HIVESNAP" ls "$a"
	fi
	# the bombs: refused after at most ~1 GiB, never after 10
	echo "ok: $name refused by every command ($((SECONDS - t0)) s)"
	n=$((n + 1))
done <"$hdir/EXPECTED"
[[ $n -ge 23 ]] || fail "only $n hostile archives in EXPECTED"
for f in "$hdir"/*.tar.zst "$gen"/*.tar.zst; do
	[[ -n ${listed[$(basename "$f" .tar.zst)]:-} ]] || fail "$f is not listed in EXPECTED"
done
echo "ok: $n hostile archives refused, nothing written, no target contacted"

# the bomb limits are settings: a lower total stops the bomb at its tar header,
# a higher ratio lets the zeros after the end run on until the total stops them
sandbox=$tmp/sandbox/limits
mkdir -p "$sandbox/cwd"
export HIVESNAP_MAX_BYTES=2G
run 4 "entry 'k8s/ns/logs/pod/c\.log': 10737418240 bytes, more than the 2147483648 allowed \(HIVESNAP_MAX_BYTES" \
	"$gen/decompression-bomb.tar.zst" "$HIVESNAP" verify "$gen/decompression-bomb.tar.zst"
HIVESNAP_MAX_EXPANSION=1000000 run 4 "refusing to decompress more than 2147483648 bytes .*HIVESNAP_MAX_BYTES" \
	"$gen/bomb-after-end.tar.zst" "$HIVESNAP" verify "$gen/bomb-after-end.tar.zst"
# ... and apply to good archives too: the limit is what refuses, nothing else
export HIVESNAP_MAX_BYTES=1K
run 4 "refusing to decompress more than 1024 bytes" "$good" "$HIVESNAP" verify "$good"
export HIVESNAP_MAX_BYTES=1M
( cd "$sandbox/cwd" && expect_exit 0 "$HIVESNAP" verify "$good" ) || exit 1
HIVESNAP_MAX_EXPANSION=0 HIVESNAP_MAX_BYTES=0 expect_exit 0 "$HIVESNAP" verify "$good"
export HIVESNAP_MAX_BYTES=10X
( cd "$sandbox/cwd" && expect_exit 64 "$HIVESNAP" extract "$good" out ) || exit 1
grep -qE "^hivesnap: HIVESNAP_MAX_BYTES='10X': not a size" "$tmp/err" || fail "bad HIVESNAP_MAX_BYTES: $(cat "$tmp/err")"
cmd="extract with a bad HIVESNAP_MAX_BYTES"
untouched
unset HIVESNAP_MAX_BYTES
HIVESNAP_MAX_EXPANSION=-1 expect_exit 64 "$HIVESNAP" verify "$good"
echo "ok: HIVESNAP_MAX_BYTES and HIVESNAP_MAX_EXPANSION are honoured and checked"
