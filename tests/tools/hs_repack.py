#!/usr/bin/python3
"""hs_repack.py IN OUT [--manifest PYTHON] [NAME=@FILE | NAME=-]...

Write OUT: the archive IN with entries replaced or added (NAME=@FILE: the
file's bytes; an added entry goes before manifest.json) or removed
(NAME=-), then re-made consistent the way an attacker would: every
entry's size and sha256 in manifest.json (its "items" kept, 0 for a new
one; totals and per-source counts recomputed), SHA256SUMS, and the index frame, so that only a
check of the content can catch what was changed.  --manifest runs PYTHON
with the parsed manifest as `m` (e.g. to add a collection to
sources.mongo.details.collections) before it is written.  The tar members
are pax, mode 0600, the mtime of IN's header entry.  Needs the zstd CLI.
"""
import hashlib, io, json, struct, subprocess, sys, tarfile

def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    src, out, rest = argv[1], argv[2], argv[3:]
    code, changes = None, []
    while rest:
        a = rest.pop(0)
        if a == "--manifest":
            code = rest.pop(0)
        elif "=" in a:
            name, val = a.split("=", 1)
            changes.append((name, None if val == "-" else open(val[1:], "rb").read() if val.startswith("@") else val.encode()))
        else:
            sys.exit("hs_repack: bad argument %r" % a)
    tar = subprocess.run(["zstd", "-dcq", src], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        members = t.getmembers()
        entries = [(m.name, t.extractfile(m).read()) for m in members]
        mtime = members[0].mtime
    m = json.loads(dict(entries)["manifest.json"])
    payload = [(n, d) for n, d in entries if n not in ("manifest.json", "SHA256SUMS")]
    for name, data in changes:
        i = next((k for k, (n, _) in enumerate(payload) if n == name), None)
        if data is None:
            if i is None:
                sys.exit("hs_repack: no entry %r to remove" % name)
            del payload[i]
        elif i is None:
            payload.append((name, data))
        else:
            payload[i] = (name, data)
    old = {e["name"]: e for e in m["entries"]}
    m["entries"] = [{"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest(),
                     "source": old[n]["source"] if n in old else (n.split("/")[0] if "/" in n else None),
                     "items": old[n]["items"] if n in old else 0} for n, d in payload]
    def sums(ents):
        return {"entries": len(ents), "bytes": sum(e["size"] for e in ents), "items": sum(e["items"] for e in ents)}
    m["totals"] = sums(m["entries"])
    for k, sv in m.get("sources", {}).items():
        if isinstance(sv, dict):
            sv.update(sums([e for e in m["entries"] if e["source"] == k]))
    if code:
        exec(code, {"m": m, "json": json})
    mb = (json.dumps(m, indent=2, sort_keys=True) + "\n").encode()
    items = payload + [("manifest.json", mb)]
    sums = "".join("%s  %s\n" % (hashlib.sha256(d).hexdigest(), n) for n, d in items).encode()
    items.append(("SHA256SUMS", sums))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for n, d in items:
            ti = tarfile.TarInfo(n)
            ti.size, ti.mode, ti.mtime = len(d), 0o600, mtime
            t.addfile(ti, io.BytesIO(d))
    z = subprocess.run(["zstd", "-q", "-c", "-3"], input=buf.getvalue(), check=True, capture_output=True).stdout
    frame = struct.pack("<II", 0x184D2A5E, len(mb) + 8) + mb + struct.pack("<I", len(mb)) + b"HSNX"
    with open(out, "wb") as f:
        f.write(z + frame)

main(sys.argv)
