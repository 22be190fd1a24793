#!/usr/bin/python3
"""hs_validate_json.py SCHEMAS_DIR SCHEMA FILE: exit 0 when FILE (JSON)
validates against SCHEMAS_DIR/SCHEMA (draft 2020-12), 1 with each error on
stderr; the other *.schema.json of SCHEMAS_DIR resolve through "$ref" by
their $id.  Shared by tests/cli/lib.sh and the integration tests."""
import json, os, sys
import jsonschema

folder, name, path = sys.argv[1], sys.argv[2], sys.argv[3]
schemas = {}
for f in os.listdir(folder):
    if f.endswith(".schema.json"):
        with open(os.path.join(folder, f)) as fh:
            schemas[f] = json.load(fh)
schema = schemas[name]
jsonschema.Draft202012Validator.check_schema(schema)
try:  # jsonschema >= 4.18
    from referencing import Registry, Resource
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values() if "$id" in s)
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
except ImportError:  # Debian bookworm: 4.10
    store = {s["$id"]: s for s in schemas.values() if "$id" in s}
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
with open(path) as fh:
    doc = json.load(fh)
errors = list(validator.iter_errors(doc))
for e in errors:
    print("  %s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message), file=sys.stderr)
sys.exit(1 if errors else 0)
