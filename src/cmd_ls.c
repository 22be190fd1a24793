/*
 * cmd_ls.c - `hivesnap ls ARCHIVE [GLOB] [--json]`.
 *
 * Lists the entries the manifest describes (every entry but manifest.json
 * and SHA256SUMS, which describe the others), in archive order, with size,
 * sha256, source and item count.  The manifest comes from the index frame,
 * so this is fast; checksums are not checked (use `hivesnap verify`).
 * GLOB is a shell pattern matched with fnmatch(3) without FNM_PATHNAME, so
 * `mongo/` + `*` also matches `mongo/db/coll.bson`.
 *
 * --json prints an array, schemas/ls.schema.json.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "archive.h"
#include "commands.h"
#include "textsafe.h"

const char hs_cmd_ls_usage[] =
	"usage: hivesnap ls ARCHIVE [GLOB] [--json]\n\n"
	"List the entries of an archive in archive order: size in bytes, SHA-256,\n"
	"source and item count (documents, keys, ...), from the manifest held at\n"
	"the end of the file.  manifest.json and SHA256SUMS, which describe the\n"
	"other entries, are not listed.  Checksums are not checked here (use\n"
	"'hivesnap verify').\n\n"
	"  GLOB     only entries whose name matches this shell pattern; '*' also\n"
	"           matches '/', so 'mongo/*' lists every MongoDB entry\n"
	"  --json   print a JSON array of {name, size, sha256, source, items}\n"
	"           (schemas/ls.schema.json)\n\n"
	"Exit: 0 ok (also when nothing matches), 3 cannot read the file, 4 not a\n"
	"hivesnap archive or corrupt, 64 usage, 65 newer format version.\n";

int hs_cmd_ls(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	json_t *manifest = NULL, *header = NULL, *list = NULL, *entries, *ent;
	const char *path, *glob = NULL;
	char what[128];
	size_t i;
	int c, rc = -1;

	opterr = 0;
	if ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		snprintf(what, sizeof(what), "unknown option '%s'", argv[optind - 1]);
		return hs_cli_usage_error(e, "ls", what);
	}
	if (argc - optind < 1 || argc - optind > 2)
		return hs_cli_usage_error(e, "ls", "needs ARCHIVE and at most one GLOB");
	path = argv[optind];
	if (argc - optind == 2)
		glob = argv[optind + 1];

	if (hs_archive_manifest(path, &manifest, &header, e))
		goto out;
	entries = json_object_get(manifest, "entries");
	if (!json_is_array(entries)) {
		hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': manifest has no entry list", path);
		goto out;
	}

	list = json_array();
	json_array_foreach(entries, i, ent) {
		const char *name = json_string_value(json_object_get(ent, "name"));
		const char *sha = json_string_value(json_object_get(ent, "sha256"));
		const char *src = json_string_value(json_object_get(ent, "source"));
		json_int_t size = json_integer_value(json_object_get(ent, "size"));
		json_int_t items = json_integer_value(json_object_get(ent, "items"));

		if (!name || !sha) {
			hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': manifest entry %zu has no name or sha256",
			       path, i);
			goto out;
		}
		if (glob && fnmatch(glob, name, 0) != 0)
			continue;
		if (ctx->json) {
			json_array_append_new(list, json_pack("{s:s, s:I, s:s, s:o, s:I}", "name", name,
							      "size", size, "sha256", sha, "source",
							      src ? json_string(src) : json_null(),
							      "items", items));
		} else {
			hs_text_fprintf(ctx->out,
					"%12" JSON_INTEGER_FORMAT "  %s  %-6s %10" JSON_INTEGER_FORMAT "  %s\n",
					size, sha, src ? src : "-", items, name);
		}
	}
	if (ctx->json && json_dumpf(list, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
		fputc('\n', ctx->out);
	rc = 0;
out:
	json_decref(list);
	json_decref(manifest);
	json_decref(header);
	return rc;
}
