# lib.sh - helpers shared by the CLI tests (sourced, not a test itself).
#
#   source "$(dirname "$0")/lib.sh"      sets up $tmp (removed on exit)
#   expect_exit CODE cmd...              run cmd, stdout -> $tmp/out, stderr -> $tmp/err;
#                                        fail unless it exits CODE
#   expect_stderr_match REGEX            the last command's stderr matches REGEX (grep -E)
#   expect_stdout_match REGEX            the last command's stdout matches REGEX (grep -E)
#   validate_json SCHEMA FILE            FILE validates against schemas/SCHEMA; other
#                                        schemas of HS_SCHEMAS resolve through "$ref"
#   fail MSG                             print FAIL: MSG and stop the test
#
# Every helper fails loudly; nothing is ever skipped.
set -euo pipefail
: "${HIVESNAP:?HIVESNAP must name the binary}"
: "${HS_SCHEMAS:?HS_SCHEMAS must name the schemas folder}"

fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_exit() {
	local want=$1 got=0
	shift
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	if [[ $got != "$want" ]]; then
		echo "--- stdout:" >&2; head -c 2000 "$tmp/out" >&2 || true
		echo "--- stderr:" >&2; head -c 2000 "$tmp/err" >&2 || true
		fail "'$*' exited $got, want $want"
	fi
	echo "ok: '$*' -> $want"
}

expect_stderr_match() {
	grep -qE -- "$1" "$tmp/err" || fail "stderr does not match /$1/: $(head -c 500 "$tmp/err")"
	echo "ok: stderr matches /$1/"
}

expect_stdout_match() {
	grep -qE -- "$1" "$tmp/out" || fail "stdout does not match /$1/: $(head -c 500 "$tmp/out")"
	echo "ok: stdout matches /$1/"
}

validate_json() {
	local schema=$1 file=$2
	/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../tools/hs_validate_json.py" "$HS_SCHEMAS" "$schema" "$file" ||
		fail "$file does not validate against $schema"
	echo "ok: $(basename "$file") validates against $schema"
}

# ---------------------------------------------------------------- archives
#
# mk_archive OUT NAME=@FILE|NAME=TEXT...   an archive made by the test tool
# mk_sample                                 $tmp/in/* (inputs) and $tmp/good.tar.zst:
#                                           a header, two MongoDB entries (one .bson
#                                           of 3 documents), a Redis entry, a text entry
# mk_bad                                    from good.tar.zst, in $tmp/bad/: random.tar.zst,
#                                           plain.tar.zst (a tar.zst, not hivesnap),
#                                           flipped.tar.zst (one byte of an entry changed,
#                                           index frame kept), flipped-noindex.tar.zst,
#                                           zflip.tar.zst (one compressed byte changed),
#                                           truncated.tar.zst, v2.tar.zst (header version 2),
#                                           noindex.tar.zst (good, without the index frame)
mk_archive() {
	local out=$1
	shift
	"$HS_TOOLS/hs_mkarchive" "$out" "$@" >"$tmp/mk.log" 2>&1 ||
		{ cat "$tmp/mk.log" >&2; fail "hs_mkarchive $out failed"; }
	[[ -s $out ]] || fail "hs_mkarchive wrote no $out"
}

# Three BSON documents {_id: i, name: "doc-i"} (i = 1..3), concatenated.
mk_bson() {
	/usr/bin/python3 - "$1" <<'PY'
import struct, sys
out = b""
for i in (1, 2, 3):
    s = ("doc-%d" % i).encode()
    el = b"\x10_id\x00" + struct.pack("<i", i) + b"\x02name\x00" + struct.pack("<i", len(s) + 1) + s + b"\x00"
    out += struct.pack("<i", 4 + len(el) + 1) + el + b"\x00"
open(sys.argv[1], "wb").write(out)
PY
}

mk_sample() {
	mkdir -p "$tmp/in"
	mk_bson "$tmp/in/coll.bson"
	printf '{"options":{},"indexes":[],"collectionName":"coll"}\n' >"$tmp/in/coll.metadata.json"
	printf '{"key":"a","type":"string","expire_at_ms":null,"value":"x"}\n' >"$tmp/in/db0.jsonl"
	head -c 200000 /dev/urandom | base64 >"$tmp/in/big.log"
	echo "MARKER-0123456789-MARKER" >>"$tmp/in/big.log"
	mk_archive "$tmp/good.tar.zst" \
		"mongo/neural_hive/coll.bson=@$tmp/in/coll.bson" \
		"mongo/neural_hive/coll.metadata.json=@$tmp/in/coll.metadata.json" \
		"redis/db0.jsonl=@$tmp/in/db0.jsonl" \
		"k8s/ns/logs/pod/c.log=@$tmp/in/big.log"
}

# The index frame of an archive: its last 8 + 8 + len bytes.
index_frame_size() {
	/usr/bin/python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[-4:] == b"HSNX", "no index frame"
n = struct.unpack("<I", d[-8:-4])[0]
print(8 + n + 8)
PY
}

# rewrite IN OUT PYEXPR KEEPINDEX: decompress IN, apply a bytes -> bytes python
# expression on `d`, recompress to OUT, append IN's index frame if KEEPINDEX=1.
rewrite() {
	local in=$1 out=$2 expr=$3 keep=$4
	zstd -q -dc "$in" >"$tmp/rw.tar"
	/usr/bin/python3 - "$tmp/rw.tar" "$expr" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
n = eval(sys.argv[2])
assert n != d and len(n) == len(d), "rewrite changed nothing"
open(sys.argv[1], "wb").write(n)
PY
	zstd -q -f "$tmp/rw.tar" -o "$out"
	if [[ $keep == 1 ]]; then
		tail -c "$(index_frame_size "$in")" "$in" >>"$out"
	fi
	rm -f "$tmp/rw.tar"
}

mk_bad() {
	local good=$tmp/good.tar.zst size
	mkdir -p "$tmp/bad" "$tmp/plain"
	head -c 10000 /dev/urandom >"$tmp/bad/random.tar.zst"
	echo hello >"$tmp/plain/hello.txt"
	tar --zstd -cf "$tmp/bad/plain.tar.zst" -C "$tmp/plain" hello.txt
	rewrite "$good" "$tmp/bad/flipped.tar.zst" 'd.replace(b"MARKER-0123456789", b"MARKER-0123456780")' 1
	rewrite "$good" "$tmp/bad/flipped-noindex.tar.zst" 'd.replace(b"MARKER-0123456789", b"MARKER-0123456780")' 0
	rewrite "$good" "$tmp/bad/v2.tar.zst" 're.sub(rb"(\"version\"\s*:\s*)1", rb"\g<1>2", d, count=1)' 0
	size=$(stat -c %s "$good")
	head -c $((size / 2)) "$good" >"$tmp/bad/truncated.tar.zst"
	# a byte in the middle of the compressed stream (before the index frame)
	cp "$good" "$tmp/bad/zflip.tar.zst"
	/usr/bin/python3 - "$tmp/bad/zflip.tar.zst" "$(index_frame_size "$good")" <<'PY'
import sys
p, idx = sys.argv[1], int(sys.argv[2])
d = bytearray(open(p, "rb").read())
i = (len(d) - idx) // 2
d[i] ^= 0x55
open(p, "wb").write(bytes(d))
PY
	head -c $((size - $(index_frame_size "$good"))) "$good" >"$tmp/noindex.tar.zst"
}

# remanifest IN OUT PYCODE: rebuild IN with its manifest changed by PYCODE
# (python statements on the dict `m`), keeping everything else consistent:
# SHA256SUMS and the index frame are recomputed, so only the change is wrong.
remanifest() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import hashlib, io, json, struct, subprocess, sys, tarfile
src, dst, code = sys.argv[1:4]
raw = subprocess.run(["zstd", "-dcq", src], check=True, capture_output=True).stdout
tin = tarfile.open(fileobj=io.BytesIO(raw))
members = [(ti, tin.extractfile(ti).read()) for ti in tin.getmembers()]
m = json.loads(dict((ti.name, d) for ti, d in members)["manifest.json"])
exec(code)
mbytes = (json.dumps(m, indent=2, sort_keys=True) + "\n").encode()
out, sums = io.BytesIO(), b""
with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
    for ti, d in members:
        if ti.name == "manifest.json":
            d = mbytes
        if ti.name == "SHA256SUMS":
            d = sums
        else:
            sums += ("%s  %s\n" % (hashlib.sha256(d).hexdigest(), ti.name)).encode()
        ti.size = len(d)
        t.addfile(ti, io.BytesIO(d))
z = subprocess.run(["zstd", "-q", "-c"], input=out.getvalue(), check=True, capture_output=True).stdout
payload = mbytes + struct.pack("<I", len(mbytes)) + b"HSNX"
open(dst, "wb").write(z + struct.pack("<II", 0x184D2A5E, len(payload)) + payload)
PY
}
