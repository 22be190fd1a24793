/*
 * cmd_cat.c - `hivesnap cat ARCHIVE ENTRY [--json]`.
 *
 * Streams one entry to stdout through a bounded buffer, byte for byte.
 * The reader checks the entry's checksum as its last byte is read when the
 * archive has an index frame; without one the checksums are only known at
 * the end, so cat then reads the archive through.  Either way a mismatch is
 * exit 4, after the bytes already written (a stream cannot be taken back).
 *
 * --json renders a .bson entry as canonical Extended JSON, one document per
 * line, reading one document at a time through the .bson reading restore
 * and diff use (src/sources/mongo/mongo_bson.h): bad BSON is exit 65, as there;
 * other entries are printed as they are.
 */
#include <bson/bson.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "buf.h"
#include "commands.h"
#include "linereader.h"
#include "sources/mongo/mongo_bson.h"

const char hs_cmd_cat_usage[] =
	"usage: hivesnap cat ARCHIVE ENTRY [--json]\n\n"
	"Write one entry of an archive to stdout, byte for byte.  Its checksum is\n"
	"checked as it is read; on a mismatch the exit code is 4 (the bytes\n"
	"already written cannot be taken back: do not trust them).  'hivesnap ls'\n"
	"lists the entries; manifest.json and SHA256SUMS can be read too.\n\n"
	"  --json   render a .bson entry (MongoDB documents) as canonical Extended\n"
	"           JSON, one document per line; other entries are printed as they\n"
	"           are\n\n"
	"Exit: 0 ok, 3 no such entry or cannot read the file or write stdout,\n"
	"4 not a hivesnap archive, corrupt entry or checksum mismatch, 64 usage,\n"
	"65 newer format version, or (--json) a .bson entry that is not valid BSON.\n";

#define HS_CAT_CHUNK (64 * 1024)

/* Write n bytes to out; a failed write is exit 3. */
static int hs_cat_write(FILE *out, const void *p, size_t n, hs_error *e)
{
	if (n && fwrite(p, 1, n, out) != n)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno ? errno : EIO, "cannot write to stdout");
	return 0;
}

/* Copy the current entry to out through a bounded buffer. */
static int hs_cat_copy(hs_reader *r, FILE *out, hs_error *e)
{
	char *buf = hs_xmalloc(HS_CAT_CHUNK);
	ssize_t n;
	int rc = -1;

	while ((n = hs_reader_read(r, buf, HS_CAT_CHUNK, e)) > 0)
		if (hs_cat_write(out, buf, (size_t)n, e))
			goto out;
	if (n == 0)
		rc = 0;
out:
	free(buf);
	return rc;
}

/*
 * Render the current .bson entry as canonical Extended JSON, one document
 * per line, read through the one .bson reading (mongo_bson.h): only one
 * document is held in memory at a time.  Bad BSON is exit 65, after the
 * documents before it were printed; a document that is good BSON but that
 * libbson cannot write as Extended JSON (a key or string that is not
 * UTF-8) is 65 too.
 */
static int hs_cat_bson(hs_reader *r, FILE *out, const char *name, hs_error *e)
{
	hs_linereader *lr = hs_lr_new(hs_bson_entry_read, r, 0);
	hs_bson_stream s;
	const uint8_t *doc;
	uint32_t len;
	int rc = -1, k;

	hs_bson_stream_init(&s, lr, name);
	while ((k = hs_bson_stream_next(&s, &doc, &len, e)) == 1) {
		bson_t b;
		char *json = NULL;
		size_t jlen = 0;

		if (bson_init_static(&b, doc, len))
			json = bson_as_canonical_extended_json(&b, &jlen);
		if (!json) {
			hs_err(e, HS_EXIT_DATA, "cannot render document %llu of '%s' (at byte %llu) as Extended JSON: a key or string is not UTF-8",
			       (unsigned long long)s.docno, name, (unsigned long long)(s.off - len));
			goto out;
		}
		k = hs_cat_write(out, json, jlen, e) || hs_cat_write(out, "\n", 1, e);
		bson_free(json);
		if (k)
			goto out;
	}
	if (k == 0)
		rc = 0;
out:
	hs_lr_free(lr);
	return rc;
}

/*
 * After bad data in an entry: read the rest of it, and without an index
 * the rest of the archive, so that a damaged archive is reported as such
 * (exit 4) rather than as the bad data its damage produced.  e is replaced
 * only by such an error.
 */
static void hs_cat_integrity_first(hs_reader *r, bool index, hs_error *e)
{
	char buf[HS_CAT_CHUNK];
	hs_reader_entry ent;
	hs_error ie;
	ssize_t n;
	int k = 0;

	hs_error_init(&ie);
	while ((n = hs_reader_read(r, buf, sizeof(buf), &ie)) > 0)
		;
	if (n == 0 && !index)
		while ((k = hs_reader_next(r, &ent, &ie)) == 1)
			;
	if (n < 0 || k < 0)
		*e = ie;
}

/* Is name listed in the manifest (index) or one of the two trailing entries? */
static bool hs_cat_in_index(const json_t *index, const char *name)
{
	const json_t *ent;
	size_t i;

	if (!strcmp(name, "manifest.json") || !strcmp(name, "SHA256SUMS"))
		return true;
	json_array_foreach(json_object_get(index, "entries"), i, ent) {
		const char *n = json_string_value(json_object_get(ent, "name"));

		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

/* Read the rest of the archive so that every check the reader makes is made. */
static int hs_cat_drain(hs_reader *r, hs_error *e)
{
	hs_reader_entry ent;
	int k;

	while ((k = hs_reader_next(r, &ent, e)) == 1)
		;
	return k;
}

static bool hs_cat_is_bson(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && !strcmp(name + n - 5, ".bson");
}

int hs_cmd_cat(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	hs_reader *r = NULL;
	hs_reader_entry ent;
	const json_t *index;
	const char *path, *name;
	char what[128];
	bool found = false;
	int c, k, rc = -1;

	opterr = 0;
	if ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		snprintf(what, sizeof(what), "unknown option '%s'", argv[optind - 1]);
		return hs_cli_usage_error(e, "cat", what);
	}
	if (argc - optind != 2)
		return hs_cli_usage_error(e, "cat", "needs ARCHIVE and ENTRY");
	path = argv[optind];
	name = argv[optind + 1];

	if (hs_reader_open(&r, path, e))
		goto out;
	index = hs_reader_index(r);
	if (index && !hs_cat_in_index(index, name)) {
		hs_err(e, HS_EXIT_FAILURE, "no entry '%s' in '%s'", name, path);
		goto out;
	}

	if (!strcmp(name, "hivesnap.json")) {
		size_t len = 0;
		const void *p = hs_reader_header_bytes(r, &len);

		if (!p) {
			hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': no header bytes", path);
			goto out;
		}
		if (hs_cat_write(ctx->out, p, len, e))
			goto out;
		found = true;
		if (!index && hs_cat_drain(r, e))
			goto out;
		rc = 0;
		goto out;
	}

	while ((k = hs_reader_next(r, &ent, e)) == 1) {
		if (strcmp(ent.name, name) != 0)
			continue;
		found = true;
		if (ctx->json && hs_cat_is_bson(name)) {
			k = hs_cat_bson(r, ctx->out, name, e);
			if (k && e->code == HS_EXIT_DATA)
				hs_cat_integrity_first(r, index != NULL, e);
		} else {
			k = hs_cat_copy(r, ctx->out, e);
		}
		if (k)
			goto out;
		/*
		 * With an index the entry's checksum has been checked: done, but
		 * for manifest.json and SHA256SUMS, the last entries, after which
		 * only the end-of-archive checks are left: make them.
		 */
		if (index && strcmp(name, "manifest.json") && strcmp(name, "SHA256SUMS")) {
			rc = 0;
			goto out;
		}
	}
	if (k < 0)
		goto out;
	if (!found) {
		hs_err(e, HS_EXIT_FAILURE, "no entry '%s' in '%s'", name, path);
		goto out;
	}
	rc = 0;
out:
	hs_reader_free(r);
	return rc;
}
