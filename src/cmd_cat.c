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
 * line, reading one document at a time; other entries are printed as they
 * are.
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
	"65 newer format version.\n";

#define HS_CAT_CHUNK (64 * 1024)
/* The largest BSON document MongoDB stores is 16 MiB; allow some margin. */
#define HS_CAT_BSON_MAX (16 * 1024 * 1024 + 16 * 1024)

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
 * Read exactly n bytes of the current entry into p.  Returns 1 when done,
 * 0 when the entry ended before the first byte (its end: checksum checked),
 * or -1; an entry that ends part way is corrupt.
 */
static int hs_cat_read_exact(hs_reader *r, void *p, size_t n, const char *name, uint64_t off,
			     hs_error *e)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = hs_reader_read(r, (char *)p + got, n - got, e);

		if (k < 0)
			return -1;
		if (k == 0) {
			if (got == 0)
				return 0;
			return hs_err(e, HS_EXIT_INTEGRITY,
				      "cannot read '%s': truncated BSON document at offset %llu", name,
				      (unsigned long long)off);
		}
		got += (size_t)k;
	}
	return 1;
}

/*
 * Render the current .bson entry as canonical Extended JSON, one document
 * per line.  Only one document is held in memory at a time.
 */
static int hs_cat_bson(hs_reader *r, FILE *out, const char *name, hs_error *e)
{
	uint8_t *doc = NULL;
	size_t cap = 0;
	uint64_t off = 0;
	int rc = -1, k;

	for (;;) {
		uint8_t lenb[4];
		uint32_t len;
		bson_t b;
		char *json;
		size_t jlen;

		k = hs_cat_read_exact(r, lenb, 4, name, off, e);
		if (k < 0)
			goto out;
		if (k == 0)
			break;
		len = (uint32_t)lenb[0] | (uint32_t)lenb[1] << 8 | (uint32_t)lenb[2] << 16 |
		      (uint32_t)lenb[3] << 24;
		if (len < 5 || len > HS_CAT_BSON_MAX) {
			hs_err(e, HS_EXIT_INTEGRITY,
			       "cannot read '%s': corrupt BSON document at offset %llu (length %u)", name,
			       (unsigned long long)off, len);
			goto out;
		}
		if (cap < len) {
			doc = hs_xrealloc(doc, len);
			cap = len;
		}
		memcpy(doc, lenb, 4);
		k = hs_cat_read_exact(r, doc + 4, len - 4, name, off, e);
		if (k < 0)
			goto out;
		if (k == 0) {
			hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': truncated BSON document at offset %llu",
			       name, (unsigned long long)off);
			goto out;
		}
		json = NULL;
		if (bson_init_static(&b, doc, len))
			json = bson_as_canonical_extended_json(&b, &jlen);
		if (!json) {
			hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': corrupt BSON document at offset %llu",
			       name, (unsigned long long)off);
			goto out;
		}
		k = hs_cat_write(out, json, jlen, e) || hs_cat_write(out, "\n", 1, e);
		bson_free(json);
		if (k)
			goto out;
		off += len;
	}
	rc = 0;
out:
	free(doc);
	return rc;
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
		if (ctx->json && hs_cat_is_bson(name))
			k = hs_cat_bson(r, ctx->out, name, e);
		else
			k = hs_cat_copy(r, ctx->out, e);
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
