#!/usr/bin/env python3
# make-seeds.py - regenerate the generated seeds of tests/fuzz/corpus/ (the
# manifest and sha256sums targets' inputs, and the archive and tar targets'
# copies of tests/fixtures).  The outputs are checked in; run this only to
# change them:  python3 tests/fuzz/corpus/make-seeds.py
import hashlib, json, os, subprocess

here = os.path.dirname(os.path.abspath(__file__))
fix = os.path.join(here, "..", "..", "fixtures")

# the same text as hs_fuzz_header_json in common/fuzz_common.c
HEADER = b"""{
  "created_at": "2026-11-18T11:06:40Z",
  "format": "hivesnap-archive",
  "host": "vm",
  "kind": "snapshot",
  "label": "fixture",
  "profile": "flowc",
  "tool": {
    "name": "hivesnap",
    "version": "0.1.0"
  },
  "version": 1
}
"""
PAYLOAD = [
    ("mongo/neural_hive/execution_tickets.bson",
     b"\x16\x00\x00\x00\x07_id\x00\x01" + b"\x00" * 12, "mongo"),
    ("redis/db0.jsonl", b'{"key":"a","type":"string","expire_at_ms":null,"value":"b"}\n', "redis"),
    ("kafka/offsets.csv", b"g,orders,0,42\n", "kafka"),
]

def put(target, name, data):
    d = os.path.join(here, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def manifest(header):
    ents = [("hivesnap.json", header, None)] + PAYLOAD
    doc = {"format": "hivesnap-manifest", "kind": "snapshot",
           "created_at": "2026-11-18T11:06:40.000Z", "completed_at": "2026-11-18T11:06:41.000Z",
           "entries": [{"items": 0, "name": n, "sha256": hashlib.sha256(d).hexdigest(),
                        "size": len(d), "source": s} for n, d, s in ents],
           "sources": {s: {"status": "ok", "error": None} for _, _, s in PAYLOAD}}
    return (json.dumps(doc, sort_keys=True, indent=2) + "\n").encode()

def sums(header, man):
    ents = [("hivesnap.json", header)] + [(n, d) for n, d, _ in PAYLOAD] + [("manifest.json", man)]
    return "".join("%s  %s\n" % (hashlib.sha256(d).hexdigest(), n) for n, d in ents).encode()

M = manifest(HEADER)
for mode in range(5):
    put("manifest", "mode%d-valid" % mode, bytes([mode]) + (HEADER if mode == 0 else M))
put("manifest", "mode0-version-2", b"\x00" + HEADER.replace(b'"version": 1', b'"version": 2'))
put("manifest", "mode1-entry-missing", b"\x01" + M.replace(b'"name": "kafka/offsets.csv"', b'"name": "kafka/x.csv"'))
S = sums(HEADER, M)
put("sha256sums", "valid-index", b"\x00" + S)
put("sha256sums", "valid-no-index", b"\x01" + S)
put("sha256sums", "line-missing", b"\x00" + b"\n".join(S.split(b"\n")[1:]))
put("sha256sums", "binary-mode", b"\x00" + S.replace(b"  ", b" *"))

for name in ["good/minimal", "good/no-index", "bad/truncated", "bad/pax-global-header",
             "bad/gnu-longname", "bad/name-not-utf8", "bad/missing-manifest",
             "bad/checksum-mismatch-no-index", "bad/symlink", "bad/header-version-2"]:
    src = os.path.join(fix, name + ".tar.zst")
    base = name.replace("/", "-")
    put("archive", base + ".tar.zst", open(src, "rb").read())
for name in ["good/minimal", "good/no-index", "bad/pax-global-header", "bad/gnu-longname", "bad/hardlink"]:
    raw = subprocess.run(["zstd", "-dcq", os.path.join(fix, name + ".tar.zst")],
                         capture_output=True).stdout
    put("tar", name.replace("/", "-") + ".tar", raw)
