/*
 * hs_mkbsontypes.c - write the BSON types fixture (tests/fixtures/bson/):
 * a snapshot archive laid out as `hivesnap snapshot --only mongo` writes
 * one, through the real archive writer, whose one collection holds the
 * documents of hs_bsontypes.h - the BSON the test server cannot store.
 *
 *   hs_mkbsontypes [--zero] OUT.tar.zst
 *
 * Collection hs_bsontypes.types: mongo/hs_bsontypes/types.metadata.json
 * (made by capture's own hs_mongo_metadata_json, the _id index only) and
 * mongo/hs_bsontypes/types.bson (the documents in _id order, committed
 * after the metadata entry as capture does), the source record with the
 * details capture writes (collections with their counts, a server_clock
 * watermark).  --zero writes document 1 with 0.0 where it holds -0.0
 * (tests/fixtures/bson/types-zero.tar.zst: the diff test's B side).
 *
 * Deterministic but for what the writer stamps from the machine: the
 * header's host and the manifest's completed_at (and so SHA256SUMS' lines
 * for those two).  tests/cli/bson_types.sh regenerates both archives and
 * compares every other byte.  Exit 0, or 3 with a one-line error.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "archive.h"
#include "sources/mongo/mongo_common.h"

#include "hs_bsontypes.h"

#define HS_BT_CREATED 1767225600 /* 2026-01-01T00:00:00Z */
#define HS_BT_DB "hs_bsontypes"
#define HS_BT_COLL "types"

/* Stream the documents into the open entry; count documents and bytes. */
static int hs_bt_write_docs(hs_entry *en, bool negzero, uint64_t *docs, uint64_t *bytes, hs_error *e)
{
	int i;

	for (i = 1; i <= HS_BT_NDOCS; i++) {
		bson_t b = BSON_INITIALIZER;
		int r;

		hs_bt_build(i, negzero, &b);
		r = hs_entry_write(en, bson_get_data(&b), b.len, e);
		*bytes += b.len;
		bson_destroy(&b);
		if (r)
			return -1;
		(*docs)++;
	}
	return 0;
}

/* The source record's details, as hs_mongo_capture fills them. */
static json_t *hs_bt_details(uint64_t docs, uint64_t bytes)
{
	return json_pack("{s:s, s:s, s:b, s:s, s:s, s:{s:s, s:i}, s:[{s:s, s:s, s:s, s:I, s:I, s:s, s:s}],"
			 " s:[], s:I, s:I}",
			 "sort", "auto", "read_concern", "local", "snapshot", 0, "read_preference", "primary",
			 "snapshot_note", "written by tests/tools/hs_mkbsontypes, not read from a server",
			 "server", "version", "fixture", "max_wire_version", 21, "collections", "db", HS_BT_DB,
			 "collection", HS_BT_COLL, "type", "collection", "documents", (json_int_t)docs, "bytes",
			 (json_int_t)bytes, "status", "ok", "sort", "server", "warnings", "documents",
			 (json_int_t)docs, "bytes", (json_int_t)bytes);
}

static int hs_bt_archive(const char *out, bool negzero, hs_error *e)
{
	hs_archive_opts ao;
	hs_archive_writer *w = NULL;
	hs_entry *en = NULL;
	bson_t indexes = BSON_INITIALIZER, idx, key;
	json_t *wm = NULL, *details = NULL;
	char *meta = NULL;
	uint64_t docs = 0, bytes = 0;
	int rc = -1;

	memset(&ao, 0, sizeof(ao));
	ao.kind = "snapshot";
	ao.profile = "bsontypes";
	ao.label = "bsontypes";
	ao.created_at = HS_BT_CREATED;
	ao.zstd_level = 19;
	ao.zstd_threads = 1;
	bson_append_document_begin(&indexes, "0", 1, &idx);
	BSON_APPEND_INT32(&idx, "v", 2);
	bson_append_document_begin(&idx, "key", 3, &key);
	BSON_APPEND_INT32(&key, "_id", 1);
	bson_append_document_end(&idx, &key);
	BSON_APPEND_UTF8(&idx, "name", "_id_");
	bson_append_document_end(&indexes, &idx);
	meta = hs_mongo_metadata_json(NULL, &indexes, NULL, HS_BT_COLL, "collection", e);
	if (!meta || hs_aw_open(&w, out, &ao, e))
		goto out;
	if (hs_entry_begin(w, "mongo/" HS_BT_DB "/" HS_BT_COLL ".bson", "mongo", &en, e) ||
	    hs_bt_write_docs(en, negzero, &docs, &bytes, e) ||
	    hs_aw_add(w, "mongo/" HS_BT_DB "/" HS_BT_COLL ".metadata.json", "mongo", meta, strlen(meta), 0, e))
		goto out;
	rc = hs_entry_commit(en, docs, e);
	en = NULL;
	if (rc)
		goto out;
	rc = -1;
	wm = json_pack("{s:s, s:I}", "kind", "server_clock", "server_time_ms",
		       (json_int_t)HS_BT_CREATED * 1000);
	details = hs_bt_details(docs, bytes);
	if (!wm || !details) {
		hs_err(e, HS_EXIT_FAILURE, "cannot build the source record");
		goto out;
	}
	if (hs_aw_source(w, "mongo", HS_STATUS_OK, NULL, (int64_t)HS_BT_CREATED * 1000,
			 (int64_t)HS_BT_CREATED * 1000, wm, details, e) ||
	    hs_aw_finish(w, e))
		goto out;
	rc = 0;
out:
	hs_entry_abort(en);
	hs_aw_free(w);
	json_decref(wm);
	json_decref(details);
	bson_free(meta);
	bson_destroy(&indexes);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "zero", no_argument, NULL, 'z' }, { NULL, 0, NULL, 0 } };
	hs_error e;
	bool negzero = true;
	int c;

	hs_error_init(&e);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'z') {
			fprintf(stderr, "hs_mkbsontypes: usage: hs_mkbsontypes [--zero] OUT.tar.zst\n");
			return HS_EXIT_FAILURE;
		}
		negzero = false;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "hs_mkbsontypes: usage: hs_mkbsontypes [--zero] OUT.tar.zst\n");
		return HS_EXIT_FAILURE;
	}
	if (hs_bt_archive(argv[optind], negzero, &e)) {
		fprintf(stderr, "hs_mkbsontypes: %s\n", e.msg);
		return HS_EXIT_FAILURE;
	}
	return 0;
}
