#!/usr/bin/env bash
# Archives written by the archive library are plain tar.zst: zstd -t accepts
# them, GNU tar lists them (index frame and all), `zstd -dc | tar -x`
# extracts them and `sha256sum -c SHA256SUMS` passes in the extraction
# folder.  Uses hs_mkarchive, which writes through src/archive_write.c.
set -euo pipefail
: "${HS_TOOLS:?HS_TOOLS must name the test tools folder}"
mk=$HS_TOOLS/hs_mkarchive
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

head -c 3000000 /dev/urandom >blob.bin
seq 1 200000 >counts.txt
long="k8s/flow-c/$(printf 'x%.0s' {1..180})/deploy.json"
"$mk" a.tar.zst --created-at 1795000000 --label interop \
	"mongo/neural_hive/blob.bson=@blob.bin" "redis/db0.jsonl=@counts.txt" \
	"empty.txt=" "$long={}" "kafka/offsets.csv=group,topic,partition,offset"
"$mk" noidx.tar.zst --no-index --created-at 1795000000 "one=1"

[[ $(stat -c %a a.tar.zst) == 600 ]] || fail "archive mode is $(stat -c %a a.tar.zst), want 600"
echo "ok: mode 0600"
zstd -qt a.tar.zst || fail "zstd -t rejects the archive"
zstd -qt noidx.tar.zst || fail "zstd -t rejects the archive without index"
echo "ok: zstd -t"

tar --zstd -tf a.tar.zst >list.txt || fail "tar --zstd -tf failed"
[[ $(head -1 list.txt) == hivesnap.json ]] || fail "first entry is $(head -1 list.txt)"
[[ $(tail -1 list.txt) == SHA256SUMS ]] || fail "last entry is $(tail -1 list.txt)"
[[ $(tail -2 list.txt | head -1) == manifest.json ]] || fail "manifest.json is not second to last"
grep -qxF "$long" list.txt || fail "the 200-byte name is not listed in full"
[[ $(wc -l <list.txt) == 8 ]] || fail "tar lists $(wc -l <list.txt) entries, want 8"
tar --zstd -tf noidx.tar.zst >/dev/null || fail "tar cannot list the archive without index"
echo "ok: tar --zstd -tf lists hivesnap.json first, manifest.json and SHA256SUMS last"

mkdir out
zstd -dcq a.tar.zst | (cd out && tar -x) || fail "zstd -dc | tar -x failed"
(cd out && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c SHA256SUMS failed"
cmp -s blob.bin out/mongo/neural_hive/blob.bson || fail "extracted blob differs"
cmp -s counts.txt out/redis/db0.jsonl || fail "extracted text differs"
[[ -f out/empty.txt && ! -s out/empty.txt ]] || fail "empty entry not extracted empty"
python3 - out/manifest.json out/hivesnap.json <<'PY' || fail "manifest/header shape"
import json, sys
m = json.load(open(sys.argv[1])); h = json.load(open(sys.argv[2]))
assert h["format"] == "hivesnap-archive" and h["version"] == 1 and h["label"] == "interop", h
assert h["created_at"] == "2026-11-18T11:06:40Z", h
assert m["format"] == "hivesnap-manifest" and m["status"] == "ok", m
assert [e["name"] for e in m["entries"]][0] == "hivesnap.json"
assert m["totals"]["entries"] == len(m["entries"]) == 6
assert m["sources"]["mongo"]["entries"] == 1 and m["sources"]["mongo"]["bytes"] == 3000000
PY
# the index frame is an exact copy of manifest.json
python3 - a.tar.zst out/manifest.json <<'PY' || fail "index frame is not the manifest"
import struct, sys
raw = open(sys.argv[1], "rb").read(); man = open(sys.argv[2], "rb").read()
assert raw[-4:] == b"HSNX"
n = struct.unpack("<I", raw[-8:-4])[0]
assert raw[-8 - n:-8] == man
assert struct.unpack("<II", raw[-16 - n:-8 - n]) == (0x184D2A5E, n + 8)
PY
echo "ok: extracted, sha256sum -c passes, index frame equals manifest.json"

if command -v bsdtar >/dev/null; then
	bsdtar -tf a.tar.zst >/dev/null || fail "libarchive cannot list the archive"
	echo "ok: bsdtar lists the archive"
fi

got=0
"$mk" a.tar.zst "x=y" 2>err.txt || got=$?
[[ $got == 3 ]] || fail "writing over an existing archive exited $got, want 3"
grep -q "exists" err.txt || fail "no 'exists' in: $(cat err.txt)"
zstd -qt a.tar.zst || fail "existing archive was damaged"
[[ -z $(ls -a | grep -F '.tmp-' || true) ]] || fail "a temporary file was left behind"
echo "ok: an existing archive is never replaced, no temp file left"
