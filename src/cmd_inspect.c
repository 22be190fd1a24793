/*
 * cmd_inspect.c - `hivesnap inspect ARCHIVE [--json]`.
 *
 * Prints what an archive holds without decompressing it: the header, the
 * overall status, one line per source (status, entries, items, bytes,
 * duration, a watermark summary, the error text) and the totals, all from
 * the index frame at the end of the file (hs_archive_manifest falls back to
 * reading the archive through when there is none).  inspect does not check
 * checksums; `hivesnap verify` does.
 *
 * --json prints one object, schemas/inspect.schema.json.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive.h"
#include "buf.h"
#include "commands.h"
#include "textsafe.h"

const char hs_cmd_inspect_usage[] =
	"usage: hivesnap inspect ARCHIVE [--json]\n\n"
	"Show what an archive holds: its header (kind, creation time, profile,\n"
	"label, host, tool), the overall status, one line per source (status,\n"
	"entries, items, bytes, duration, watermark, error) and the totals.\n"
	"The manifest is read from the index frame at the end of the file, so\n"
	"this is fast whatever the archive's size; checksums are not checked\n"
	"(use 'hivesnap verify').\n\n"
	"  --json   print one JSON object (schemas/inspect.schema.json):\n"
	"           archive, file_size, index_frame, header, status, created_at,\n"
	"           completed_at, sources, totals\n\n"
	"Exit: 0 ok, 3 cannot read the file, 4 not a hivesnap archive or corrupt,\n"
	"64 usage, 65 archive of a newer format version.\n";

/* Width of the watermark column before it is cut with "...". */
#define HS_INSPECT_WM_MAX 60

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.mmm]Z" into unix milliseconds.  Returns 0, or
 * -1 when s is not such a time.
 */
static int hs_inspect_parse_time(const char *s, int64_t *ms)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0, frac = 0, digits = 0;
	const char *p;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*p - '0');
		for (; digits < 3; digits++)
			frac *= 10;
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*ms = (int64_t)timegm(&tm) * 1000 + frac;
	return 0;
}

/* "12.3s", "4m05s", "2h03m" or "-" when a time is missing. */
static void hs_inspect_duration(const json_t *src, char *out, size_t n)
{
	int64_t a, b, d;

	if (hs_inspect_parse_time(json_string_value(json_object_get(src, "started_at")), &a) ||
	    hs_inspect_parse_time(json_string_value(json_object_get(src, "ended_at")), &b) || b < a) {
		snprintf(out, n, "-");
		return;
	}
	d = b - a;
	if (d < 60000)
		snprintf(out, n, "%" PRId64 ".%01" PRId64 "s", d / 1000, (d % 1000) / 100);
	else if (d < 3600000)
		snprintf(out, n, "%" PRId64 "m%02" PRId64 "s", d / 60000, (d / 1000) % 60);
	else
		snprintf(out, n, "%" PRId64 "h%02" PRId64 "m", d / 3600000, (d / 60000) % 60);
}

/*
 * A one-line summary of a watermark object: "key=value" for its scalar
 * members (strings unquoted), "key={N}" for nested objects and arrays, cut
 * at HS_INSPECT_WM_MAX characters.  "-" when there is none.
 */
static void hs_inspect_watermark(const json_t *wm, hs_buf *out)
{
	const char *k;
	json_t *v;

	if (!json_is_object(wm) || json_object_size(wm) == 0) {
		hs_buf_adds(out, "-");
		return;
	}
	json_object_foreach((json_t *)wm, k, v) {
		if (out->len)
			hs_buf_addc(out, ' ');
		if (json_is_string(v)) {
			hs_buf_addf(out, "%s=%s", k, json_string_value(v));
		} else if (json_is_integer(v)) {
			hs_buf_addf(out, "%s=%" JSON_INTEGER_FORMAT, k, json_integer_value(v));
		} else if (json_is_real(v)) {
			hs_buf_addf(out, "%s=%g", k, json_real_value(v));
		} else if (json_is_boolean(v)) {
			hs_buf_addf(out, "%s=%s", k, json_is_true(v) ? "true" : "false");
		} else if (json_is_object(v)) {
			hs_buf_addf(out, "%s={%zu}", k, json_object_size(v));
		} else if (json_is_array(v)) {
			hs_buf_addf(out, "%s=[%zu]", k, json_array_size(v));
		} else {
			hs_buf_addf(out, "%s=null", k);
		}
	}
	if (out->len > HS_INSPECT_WM_MAX) {
		out->len = HS_INSPECT_WM_MAX - 3;
		out->data[out->len] = '\0';
		hs_buf_adds(out, "...");
	}
}

/* A string member of o, or dflt when it is missing or not a string. */
static const char *hs_inspect_str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* An integer member of o as unsigned (0 when missing or negative). */
static uint64_t hs_inspect_u64(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* The human-readable report. */
static void hs_inspect_text(FILE *f, const char *path, off_t size, bool index,
			    const json_t *header, const json_t *manifest)
{
	const json_t *tool = json_object_get(header, "tool");
	const json_t *sources = json_object_get(manifest, "sources");
	const json_t *totals = json_object_get(manifest, "totals");
	const char *k;
	json_t *src;

	hs_text_fprintf(f, "archive    %s\n", path);
	hs_text_fprintf(f, "size       %jd bytes (index frame: %s)\n", (intmax_t)size, index ? "yes" : "no");
	hs_text_fprintf(f, "kind       %s\n", hs_inspect_str(header, "kind", "-"));
	hs_text_fprintf(f, "created    %s\n", hs_inspect_str(header, "created_at", "-"));
	hs_text_fprintf(f, "completed  %s\n", hs_inspect_str(manifest, "completed_at", "-"));
	hs_text_fprintf(f, "profile    %s\n", hs_inspect_str(header, "profile", "-"));
	hs_text_fprintf(f, "label      %s\n", hs_inspect_str(header, "label", "-"));
	hs_text_fprintf(f, "host       %s\n", hs_inspect_str(header, "host", "-"));
	hs_text_fprintf(f, "tool       %s %s\n", hs_inspect_str(tool, "name", "-"),
		hs_inspect_str(tool, "version", "-"));
	hs_text_fprintf(f, "status     %s\n", hs_inspect_str(manifest, "status", "-"));

	fputc('\n', f);
	if (!json_is_object(sources) || json_object_size(sources) == 0) {
		fputs("no sources recorded\n", f);
	} else {
		hs_text_fprintf(f, "%-8s %-8s %8s %10s %12s %9s  %s\n", "SOURCE", "STATUS", "ENTRIES",
			"ITEMS", "BYTES", "DURATION", "WATERMARK");
		json_object_foreach((json_t *)sources, k, src) {
			hs_buf wm = HS_BUF_INIT;
			char dur[32];
			const char *err = json_string_value(json_object_get(src, "error"));

			hs_inspect_duration(src, dur, sizeof(dur));
			hs_inspect_watermark(json_object_get(src, "watermark"), &wm);
			hs_text_fprintf(f, "%-8s %-8s %8" PRIu64 " %10" PRIu64 " %12" PRIu64 " %9s  %s\n", k,
				hs_inspect_str(src, "status", "-"), hs_inspect_u64(src, "entries"),
				hs_inspect_u64(src, "items"), hs_inspect_u64(src, "bytes"), dur, wm.data);
			if (err)
				hs_text_fprintf(f, "         error: %s\n", err);
			hs_buf_release(&wm);
		}
	}
	hs_text_fprintf(f, "\ntotal      %" PRIu64 " entries, %" PRIu64 " items, %" PRIu64 " bytes\n",
		hs_inspect_u64(totals, "entries"), hs_inspect_u64(totals, "items"),
		hs_inspect_u64(totals, "bytes"));
}

/*
 * A JSON string for a path or message, which may not be UTF-8: when it is
 * not, bytes >= 0x80 are shown as '?' (the --json shape must stay whole).
 */
static json_t *hs_inspect_jstr(const char *s)
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
 * The --json object.  Members are copied from the header and manifest so
 * that the shape stays the documented one even if either grows fields.
 */
static json_t *hs_inspect_json(const char *path, off_t size, bool index, const json_t *header,
			       const json_t *manifest)
{
	json_t *o = json_object();
	static const char *const copy[] = { "status", "created_at", "completed_at", "sources", "totals" };
	size_t i;

	json_object_set_new(o, "archive", hs_inspect_jstr(path));
	json_object_set_new(o, "file_size", json_integer((json_int_t)size));
	json_object_set_new(o, "index_frame", json_boolean(index));
	json_object_set(o, "header", (json_t *)header);
	for (i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
		json_t *v = json_object_get(manifest, copy[i]);

		json_object_set(o, copy[i], v ? v : json_null());
	}
	return o;
}

int hs_cmd_inspect(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	hs_reader *r = NULL;
	json_t *manifest = NULL, *header = NULL, *doc = NULL;
	const char *path;
	struct stat st;
	char what[128];
	bool index;
	int c, rc = -1;

	opterr = 0;
	if ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		snprintf(what, sizeof(what), "unknown option '%s'", argv[optind - 1]);
		return hs_cli_usage_error(e, "inspect", what);
	}
	if (argc - optind != 1)
		return hs_cli_usage_error(e, "inspect", "needs exactly one ARCHIVE");
	path = argv[optind];

	if (stat(path, &st) != 0)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot read '%s'", path);
	/* Opening a reader reads the index frame (if any) and checks the header. */
	if (hs_reader_open(&r, path, e))
		goto out;
	index = hs_reader_index(r) != NULL;
	hs_reader_free(r);
	r = NULL;
	if (hs_archive_manifest(path, &manifest, &header, e))
		goto out;

	if (ctx->json) {
		doc = hs_inspect_json(path, st.st_size, index, header, manifest);
		if (json_dumpf(doc, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
			fputc('\n', ctx->out);
	} else {
		hs_inspect_text(ctx->out, path, st.st_size, index, header, manifest);
	}
	rc = 0;
out:
	hs_reader_free(r);
	json_decref(doc);
	json_decref(manifest);
	json_decref(header);
	return rc;
}
