/*
 * cmd_list.c - `hivesnap list DIR [--json]`: the archives of a backup
 * folder, newest first, with label, kind, status, size and the status of
 * each source, read from each archive's index frame (fast; checksums are
 * not checked).  A *.tar.zst that is not a readable hivesnap archive is
 * listed as "unreadable" with the reason.
 *
 * --json prints an array, schemas/list.schema.json.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "commands.h"
#include "retention.h"
#include "textsafe.h"

const char hs_cmd_list_usage[] =
	"usage: hivesnap list DIR [--json]\n\n"
	"List the archives (*.tar.zst) of a backup folder, newest first: creation\n"
	"time (UTC), status, kind, size in bytes, label and the status of each\n"
	"source, from the manifest held at the end of each file.  Checksums are\n"
	"not checked here (use 'hivesnap verify').  A file that is not a readable\n"
	"hivesnap archive is listed as 'unreadable'.\n\n"
	"  --json   print a JSON array (schemas/list.schema.json)\n\n"
	"Exit: 0 ok (also for an empty folder), 3 cannot read the folder, 64 usage.\n";

/* "mongo=ok,redis=partial" into out. */
static void hs_list_sources(hs_buf *out, const json_t *sources)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)sources, key, v) {
		const char *st = json_string_value(v);

		hs_buf_addf(out, "%s%s=%s", out->len ? "," : "", key, st ? st : "?");
	}
	if (!out->len)
		hs_buf_adds(out, "-");
}

int hs_cmd_list(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	hs_backup *b = NULL;
	size_t n = 0, i;
	json_t *list = NULL;
	hs_buf srcs = HS_BUF_INIT;
	char what[128];
	int c, rc = -1;

	opterr = 0;
	if ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		snprintf(what, sizeof(what), "unknown option '%s'", argv[optind - 1]);
		return hs_cli_usage_error(e, "list", what);
	}
	if (argc - optind != 1)
		return hs_cli_usage_error(e, "list", "needs exactly one DIR");
	if (hs_backupdir_scan(argv[optind], &b, &n, e))
		goto out;

	list = json_array();
	for (i = 0; i < n; i++) {
		if (ctx->json) {
			json_array_append_new(
				list, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:I, s:o, s:o}", "name", b[i].name,
						"path", b[i].path,
						"created_at", b[i].created_at ? json_string(b[i].created_at) : json_null(),
						"kind", b[i].kind ? json_string(b[i].kind) : json_null(),
						"label", b[i].label ? json_string(b[i].label) : json_null(),
						"profile", b[i].profile ? json_string(b[i].profile) : json_null(),
						"status", b[i].status, "size", (json_int_t)b[i].size,
						"sources", b[i].sources ? json_incref(b[i].sources) : json_object(),
						"error", b[i].error ? json_string(b[i].error) : json_null()));
		} else {
			hs_buf_reset(&srcs);
			if (b[i].error)
				hs_buf_adds(&srcs, b[i].error);
			else
				hs_list_sources(&srcs, b[i].sources);
			hs_text_fprintf(ctx->out, "%-20s  %-10s  %-8s  %12" PRId64 "  %-12s  %s  %s\n",
				b[i].created_at ? b[i].created_at : "-", b[i].status, b[i].kind ? b[i].kind : "-",
				b[i].size, b[i].label ? b[i].label : "-", b[i].name, srcs.data);
		}
	}
	if (ctx->json && json_dumpf(list, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
		fputc('\n', ctx->out);
	rc = 0;
out:
	json_decref(list);
	hs_backups_free(b, n);
	hs_buf_release(&srcs);
	return rc;
}
