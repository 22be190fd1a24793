/*
 * cmd_verify.c - `hivesnap verify ARCHIVE... [--json]`.
 *
 * Reads every archive through once (the reader's checks: structure,
 * header, manifest, entry list, sizes, every checksum, the index frame),
 * offering each entry of a snapshot to its source's content check as it
 * goes by (hs_source_ops.entry_check: the entry read the way restore,
 * rollback, diff and cat read it), then checks what the reader does not
 * rely on but the format promises (the header's and manifest's fields, the
 * totals and per-source sums, the overall status), and prints one line per
 * archive.  The exit code is 0 when every archive is good, else the worst
 * one's code: 3 unreadable, 4 integrity, 65 bad content or newer format.
 *
 * --json prints an array, schemas/verify.schema.json.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "buf.h"
#include "commands.h"
#include "source.h"
#include "textsafe.h"

const char hs_cmd_verify_usage[] =
	"usage: hivesnap verify ARCHIVE... [--json]\n\n"
	"Read each archive through and check everything: the zstd stream, the tar\n"
	"structure, the header, the manifest and the entry list, each entry's size\n"
	"and SHA-256, that the index frame equals manifest.json, and that the\n"
	"manifest's totals, per-source counts and overall status agree with its\n"
	"entries and sources.  In a snapshot, each entry's content is checked as\n"
	"restore, rollback, diff and cat read it: every BSON document of a .bson\n"
	"entry and its .metadata.json, every record of a redis/db<N>.jsonl entry\n"
	"(value by type, expiry, key order), each Kafka group document, and each\n"
	"Kubernetes object against its entry's path (ConfigMaps, revisions).\n"
	"Prints 'ok ARCHIVE (N entries, B bytes)' or 'FAILED ARCHIVE: reason' per\n"
	"archive (N and B: the entries and their uncompressed bytes the manifest\n"
	"counts; the reason names the entry, and the document, byte or line).\n\n"
	"  --json   print a JSON array of {archive, ok, error, code, entries, bytes}\n"
	"           (schemas/verify.schema.json)\n\n"
	"Exit: 0 every archive is good, else the worst code among them: 3 cannot\n"
	"read a file, 4 not a hivesnap archive, corrupt, truncated or tampered\n"
	"with, 65 an entry's content is bad or newer format version; 64 usage.\n";

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
 * A bundle's sources are its diag collectors ("health", "deps", "redis",
 * ...): [a-z0-9_]+, at most 64 bytes.
 */
static bool hs_verify_collector_name(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return n > 0 && n <= 64;
}

/* One of the NULL-terminated words, or not. */
static bool hs_verify_in(const char *s, const char *const *words)
{
	for (; s && *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

/* A non-negative integer member, or -1. */
static json_int_t hs_verify_count(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

/* Add entry ent's size and items to sums[0..2] (entries, bytes, items). */
static void hs_verify_add(json_int_t *sums, const json_t *ent)
{
	sums[0]++;
	sums[1] += json_integer_value(json_object_get(ent, "size"));
	sums[2] += json_integer_value(json_object_get(ent, "items"));
}

/* Do o's entries, bytes and items equal sums? */
static bool hs_verify_sums(const json_t *o, const json_int_t *sums)
{
	return hs_verify_count(o, "entries") == sums[0] && hs_verify_count(o, "bytes") == sums[1] &&
	       hs_verify_count(o, "items") == sums[2];
}

/*
 * The format's promises beyond what the reader relies on (the reader has
 * checked entry names, sizes and checksums): header fields, manifest
 * fields, totals and per-source sums equal to the entries', and an overall
 * status that says ok exactly when no source failed or is partial.
 */
static int hs_verify_semantics(const char *path, const json_t *header, const json_t *manifest,
			       hs_error *e)
{
	static const char *const kinds[] = { "snapshot", "bundle", NULL };
	static const char *const overall[] = { "ok", "partial", "failed", NULL };
	static const char *const statuses[] = { "ok", "partial", "failed", "skipped", NULL };
	static const char *const names[] = { "mongo", "redis", "kafka", "k8s", "diag", NULL };
	const json_t *sources = json_object_get(manifest, "sources");
	const json_t *tool = json_object_get(header, "tool");
	const json_t *label = json_object_get(header, "label");
	const char *kind = json_string_value(json_object_get(header, "kind"));
	const char *status = json_string_value(json_object_get(manifest, "status"));
	const char *k;
	json_t *src, *ent;
	json_int_t totals[3] = { 0, 0, 0 };
	bool bad_source = false;
	size_t i;

	if (!hs_verify_in(kind, kinds) || !json_string_value(json_object_get(header, "created_at")) ||
	    !json_string_value(json_object_get(header, "profile")) ||
	    !json_string_value(json_object_get(header, "host")) ||
	    !(json_is_null(label) || json_is_string(label)) ||
	    !json_string_value(json_object_get(tool, "name")) ||
	    !json_string_value(json_object_get(tool, "version")))
		return hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': header lacks a field the format requires",
			      path);
	if (json_integer_value(json_object_get(manifest, "version")) != HS_FORMAT_VERSION ||
	    strcmp(json_string_value(json_object_get(manifest, "kind")) ?
			   json_string_value(json_object_get(manifest, "kind")) : "", kind) ||
	    !hs_verify_in(status, overall) || !json_is_object(sources) ||
	    !json_string_value(json_object_get(manifest, "created_at")) ||
	    !json_string_value(json_object_get(manifest, "completed_at")))
		return hs_err(e, HS_EXIT_INTEGRITY,
			      "cannot read '%s': manifest version, kind, status or times are wrong", path);

	json_array_foreach(json_object_get(manifest, "entries"), i, ent) {
		if (hs_verify_count(ent, "items") < 0)
			return hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': manifest entry %zu has no item count",
				      path, i);
		hs_verify_add(totals, ent);
	}
	if (!hs_verify_sums(json_object_get(manifest, "totals"), totals))
		return hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': manifest totals do not match its entries",
			      path);

	json_object_foreach((json_t *)sources, k, src) {
		json_int_t sums[3] = { 0, 0, 0 };
		const char *st = json_string_value(json_object_get(src, "status"));
		const json_t *err = json_object_get(src, "error");

		if (!(hs_verify_in(k, names) || (!strcmp(kind, "bundle") && hs_verify_collector_name(k))) ||
		    !hs_verify_in(st, statuses) ||
		    !(json_is_null(err) || json_is_string(err)))
			return hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': manifest source '%s' is malformed",
				      path, k);
		json_array_foreach(json_object_get(manifest, "entries"), i, ent) {
			const char *es = json_string_value(json_object_get(ent, "source"));

			if (es && !strcmp(es, k))
				hs_verify_add(sums, ent);
		}
		if (!hs_verify_sums(src, sums))
			return hs_err(e, HS_EXIT_INTEGRITY,
				      "cannot read '%s': manifest counts of source '%s' do not match its entries",
				      path, k);
		if (!strcmp(st, "failed") || !strcmp(st, "partial"))
			bad_source = true;
	}
	if (bad_source == !strcmp(status, "ok"))
		return hs_err(e, HS_EXIT_INTEGRITY,
			      "cannot read '%s': manifest status '%s' does not match its sources", path, status);
	return 0;
}

/*
 * Offer the entry to its source's content check: the source whose name is
 * the entry's first path component, as restore, diff and cat choose the
 * reading of an entry by its name.  0, or -1 with e set.
 */
static int hs_verify_content(const char *path, hs_reader *rd, const hs_reader_entry *ent, hs_error *e)
{
	size_t i, n = strcspn(ent->name, "/");

	if (!ent->name[n])
		return 0;
	for (i = 0; hs_sources[i]; i++)
		if (strlen(hs_sources[i]->name) == n && !strncmp(ent->name, hs_sources[i]->name, n))
			return hs_sources[i]->entry_check ? hs_sources[i]->entry_check(path, rd, ent, e) : 0;
	return 0;
}

/*
 * Verify one archive in one pass of the reader and fill *entries and
 * *bytes from its manifest.  Each entry of a snapshot is offered to its
 * source's content check as it goes by; the first bad one is kept and the
 * rest of the archive is read through all the same, so that what the
 * container says comes first: the reader's error (also one a content
 * check met while reading), then the manifest's promises, then the bad
 * content (65).  Returns 0 or -1 with e set.
 */
static int hs_verify_one(const char *path, uint64_t *entries, uint64_t *bytes, hs_error *e)
{
	hs_reader *rd = NULL;
	hs_reader_entry ent;
	const json_t *manifest, *header, *totals;
	hs_error bad;
	json_int_t n, b;
	bool content;
	int k, ret = -1;

	*entries = *bytes = 0;
	hs_error_init(&bad);
	if (hs_reader_open(&rd, path, e))
		goto out;
	header = hs_reader_header(rd);
	/* a bundle's entries are diag's collectors' output, read by no restore */
	content = json_string_value(json_object_get(header, "kind")) &&
		  !strcmp(json_string_value(json_object_get(header, "kind")), "snapshot");
	while ((k = hs_reader_next(rd, &ent, e)) == 1) {
		if (!content || bad.code || !hs_verify_content(path, rd, &ent, &bad))
			continue;
		if (bad.code == HS_EXIT_INTEGRITY) {
			/* the check's read met the reader's error: the archive's */
			*e = bad;
			goto out;
		}
		if (!bad.code)
			hs_err(&bad, HS_EXIT_DATA, "cannot read '%s': its content check failed", ent.name);
	}
	if (k < 0)
		goto out;
	manifest = hs_reader_manifest(rd);
	if (hs_verify_semantics(path, header, manifest, e))
		goto out;
	if (bad.code) {
		*e = bad;
		goto out;
	}
	totals = json_object_get(manifest, "totals");
	n = json_integer_value(json_object_get(totals, "entries"));
	b = json_integer_value(json_object_get(totals, "bytes"));
	*entries = n > 0 ? (uint64_t)n : 0;
	*bytes = b > 0 ? (uint64_t)b : 0;
	ret = 0;
out:
	hs_reader_free(rd);
	return ret;
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
			hs_text_fprintf(ctx->out, "ok %s (%" PRIu64 " entries, %" PRIu64 " bytes)\n", path,
					entries, bytes);
		} else {
			/* the reader's message names the archive first: the line already does */
			size_t pl = strlen(path);
			const char *why = err.msg;

			if (why[0] == '\'' && !strncmp(why + 1, path, pl) && !strncmp(why + 1 + pl, "': ", 3))
				why += pl + 4;
			hs_text_fprintf(ctx->out, "FAILED %s: %s\n", path, why);
		}
	}
	if (ctx->json) {
		if (json_dumpf(list, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
			fputc('\n', ctx->out);
		json_decref(list);
	}
	return worst;
}
