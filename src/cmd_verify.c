/*
 * cmd_verify.c - `hivesnap verify ARCHIVE... [--json]`.
 *
 * Reads every archive through (hs_archive_verify: structure, header,
 * manifest, entry list, sizes, every checksum, the index frame) and prints
 * one line per archive.  The exit code is 0 when every archive is good,
 * else the worst one's code: 3 unreadable, 4 integrity, 65 newer format.
 *
 * --json prints an array, schemas/verify.schema.json.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "archive.h"
#include "buf.h"
#include "commands.h"

const char hs_cmd_verify_usage[] =
	"usage: hivesnap verify ARCHIVE... [--json]\n\n"
	"Read each archive through and check everything: the zstd stream, the tar\n"
	"structure, the header, the manifest and the entry list, each entry's size\n"
	"and SHA-256, and that the index frame equals manifest.json.  Prints\n"
	"'ok ARCHIVE (N entries, B bytes)' or 'FAILED ARCHIVE: reason' per archive\n"
	"(N and B: the entries and their uncompressed bytes the manifest counts).\n\n"
	"  --json   print a JSON array of {archive, ok, error, code, entries, bytes}\n"
	"           (schemas/verify.schema.json)\n\n"
	"Exit: 0 every archive is good, else the worst code among them: 3 cannot\n"
	"read a file, 4 not a hivesnap archive, corrupt, truncated or tampered\n"
	"with, 65 newer format version; 64 usage.\n";

/*
 * A JSON string for a path or message, which may not be UTF-8: when it is
 * not, bytes >= 0x80 are shown as '?' (the --json shape must stay whole).
 */
static json_t *hs_verify_jstr(const char *s)
{
	json_t *j = json_string(s);
	char *copy, *p;

	if (j)
		return j;
	copy = hs_xstrdup(s);
	for (p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/*
 * Verify one archive and fill *entries and *bytes from its manifest.
 * Returns 0 or -1 with e set.
 */
static int hs_verify_one(const char *path, uint64_t *entries, uint64_t *bytes, hs_error *e)
{
	json_t *manifest = NULL, *header = NULL, *totals;
	json_int_t n, b;

	*entries = *bytes = 0;
	if (hs_archive_verify(path, e))
		return -1;
	if (hs_archive_manifest(path, &manifest, &header, e))
		return -1;
	totals = json_object_get(manifest, "totals");
	n = json_integer_value(json_object_get(totals, "entries"));
	b = json_integer_value(json_object_get(totals, "bytes"));
	*entries = n > 0 ? (uint64_t)n : 0;
	*bytes = b > 0 ? (uint64_t)b : 0;
	json_decref(manifest);
	json_decref(header);
	return 0;
}

int hs_cmd_verify(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	json_t *list = NULL;
	char what[128];
	int c, i, worst = 0;

	opterr = 0;
	if ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		snprintf(what, sizeof(what), "unknown option '%s'", argv[optind - 1]);
		return hs_cli_usage_error(e, "verify", what);
	}
	if (argc - optind < 1)
		return hs_cli_usage_error(e, "verify", "needs at least one ARCHIVE");

	if (ctx->json)
		list = json_array();
	for (i = optind; i < argc; i++) {
		const char *path = argv[i];
		uint64_t entries, bytes;
		hs_error err;
		int code = 0;

		hs_error_init(&err);
		if (hs_verify_one(path, &entries, &bytes, &err)) {
			code = err.code ? err.code : HS_EXIT_FAILURE;
			if (code > worst)
				worst = code;
		}
		if (ctx->json) {
			json_array_append_new(list, json_pack("{s:o, s:b, s:o, s:i, s:I, s:I}",
				"archive", hs_verify_jstr(path), "ok", code == 0,
				"error", code ? hs_verify_jstr(err.msg) : json_null(), "code", code,
				"entries", (json_int_t)entries, "bytes", (json_int_t)bytes));
		} else if (code == 0) {
			fprintf(ctx->out, "ok %s (%" PRIu64 " entries, %" PRIu64 " bytes)\n", path, entries,
				bytes);
		} else {
			fprintf(ctx->out, "FAILED %s: %s\n", path, err.msg);
		}
	}
	if (ctx->json) {
		if (json_dumpf(list, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
			fputc('\n', ctx->out);
		json_decref(list);
	}
	return worst;
}
