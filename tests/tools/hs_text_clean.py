#!/usr/bin/env python3
"""hs_text_clean.py [--json] FILE... - check what hivesnap printed (issue #26 item 5).

Fails (exit 1, listing what it found) when a line of any FILE starts with the
forged text `level=error msg="forged` (leading blanks allowed), or a text
FILE holds a raw control character (C0 but the line end, DEL, C1) or is not
valid UTF-8.  With --json the first FILE is JSON output (jansson's: control
characters escaped, C1 left as is, which JSON allows): it must parse and
forge no line; the others are checked as text.
"""
import json
import re
import sys

FORGED = re.compile(rb"\s*level=error msg=\"forged")
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def main(argv):
    as_json = argv[:1] == ["--json"]
    paths = argv[1:] if as_json else argv
    bad = []
    for i, path in enumerate(paths):
        data = open(path, "rb").read()
        for n, line in enumerate(data.split(b"\n"), 1):
            if FORGED.match(line):
                bad.append("%s line %d is forged: %r" % (path, n, line))
        if as_json and i == 0:
            try:
                json.loads(data)
            except ValueError as e:
                bad.append("%s: not JSON: %s" % (path, e))
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            bad.append("%s: not UTF-8: %s" % (path, e))
            text = data.decode("utf-8", "replace")
        for m in CONTROL.finditer(text):
            at = m.start()
            bad.append("%s: raw U+%04X at %d: %r" % (path, ord(m.group()), at, text[max(0, at - 30):at + 30]))
    for b in bad[:20]:
        print("  " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
