/*
 * mongo_scan.c - what MongoDB restore reads in restore's verifying pass
 * (src/restore_scan.c), before anything is written anywhere: every
 * selected collection's documents are checked whole through the one .bson
 * reading (src/sources/mongo/mongo_bson.h) and its metadata is parsed, so that bad
 * data is exit 65 before the first write, not after thousands of
 * documents.  Nothing here connects to the target, and nothing is kept:
 * apply() reads the entries again as it writes them.  `verify` checks
 * every collection's entries the same way (hs_mongo_entry_check).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sources/mongo/mongo_bson.h"
#include "sources/mongo/mongo_common.h"

#define HS_MONGO_META_MAX (16u * 1024 * 1024)

int hs_mongo_meta_entry(hs_reader *rd, const char *name, bson_t *options, bson_t *indexes, char *type,
			size_t type_size, hs_error *e)
{
	hs_buf text = HS_BUF_INIT;
	char buf[65536];
	ssize_t n;
	int rc = -1;

	while ((n = hs_reader_read(rd, buf, sizeof(buf), e)) > 0) {
		hs_buf_add(&text, buf, (size_t)n);
		if (text.len > HS_MONGO_META_MAX) {
			hs_err(e, HS_EXIT_DATA, "entry '%s' is larger than 16 MiB", name);
			goto out;
		}
	}
	if (n < 0)
		goto out;
	hs_buf_addc(&text, 0);
	if (hs_mongo_metadata_parse(text.data, text.len - 1, options, indexes, type, type_size, e)) {
		hs_err_prefix(e, "entry '%s'", name);
		goto out;
	}
	rc = 0;
out:
	hs_buf_release(&text);
	return rc;
}

/*
 * Check one entry of a collection (kind 0: its .bson, 1: its
 * .metadata.json) as restore reads it: every document whole, the metadata
 * parsed.  The reader's error, or 65 naming the entry.
 */
static int hs_mongo_scan_entry(hs_reader *rd, const char *name, int kind, hs_error *e)
{
	bson_t options, indexes;
	char type[64];

	if (kind == 0)
		return hs_bson_entry_check(rd, name, NULL, e);
	if (hs_mongo_meta_entry(rd, name, &options, &indexes, type, sizeof(type), e))
		return -1;
	bson_destroy(&options);
	bson_destroy(&indexes);
	return 0;
}

/*
 * The verifying pass offers every entry: the .bson and .metadata.json
 * entries of the collections --include/--exclude select are checked.
 */
int hs_mongo_restore_scan(hs_restore *r, hs_reader *rd, const hs_reader_entry *ent, hs_error *e)
{
	const hs_restore_opts *o = r->opts;
	char *db = NULL, *coll = NULL;
	hs_buf ns = HS_BUF_INIT;
	int kind, rc = 0;

	if (!hs_mongo_entry_split(ent->name, &db, &coll, &kind))
		return 0;
	hs_buf_addf(&ns, "%s.%s", db, coll);
	if (hs_mongo_ns_selected(ns.data, o ? o->include : NULL, o ? o->exclude : NULL))
		rc = hs_mongo_scan_entry(rd, ent->name, kind, e);
	hs_buf_release(&ns);
	free(db);
	free(coll);
	return rc;
}

/* `verify`: every collection's entries, as the verifying pass checks a selected one. */
int hs_mongo_entry_check(const char *archive, hs_reader *rd, const hs_reader_entry *ent, hs_error *e)
{
	char *db = NULL, *coll = NULL;
	int kind;

	(void)archive;
	if (!hs_mongo_entry_split(ent->name, &db, &coll, &kind))
		return 0;
	free(db);
	free(coll);
	return hs_mongo_scan_entry(rd, ent->name, kind, e);
}
