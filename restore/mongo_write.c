/*
 * mongo_write.c - the MongoDB restore's document writer: the documents of
 * one .bson entry, read through the one .bson reading (mongo_bson.h),
 * sent in unordered bulk batches of HS_MONGO_BATCH_DOCS documents /
 * HS_MONGO_BATCH_BYTES, in the restore's mode (docs/mongo.md "Restore"):
 * insert (a duplicate _id is skipped), upsert (replace by _id; on FerretDB
 * delete and insert), or plain inserts into replace's temporary
 * collection.  What the server refuses is counted per document and named
 * by _id with its code and message.  See mongo_restore.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "sources/mongo/mongo_bson.h"
#include "mongo_restore.h"

/*
 * {_id: {$in: [...]}} over the documents of a batch: those at the given
 * positions, or all n when pos is NULL.
 */
static void hs_mongo_id_filter(const hs_buf *docs, const size_t *offs, const uint32_t *pos, size_t n,
			       bson_t *filter)
{
	bson_t in, arr;
	size_t i;

	bson_init(filter);
	BSON_APPEND_DOCUMENT_BEGIN(filter, "_id", &in);
	BSON_APPEND_ARRAY_BEGIN(&in, "$in", &arr);
	for (i = 0; i < n; i++) {
		size_t off = offs[pos ? pos[i] : i];
		bson_t d;
		bson_iter_t id;
		uint32_t len;
		char key[16];
		const char *k;

		memcpy(&len, docs->data + off, 4);
		len = BSON_UINT32_FROM_LE(len);
		if (bson_init_static(&d, (const uint8_t *)docs->data + off, len) && bson_iter_init_find(&id, &d, "_id")) {
			bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
			bson_append_iter(&arr, k, -1, &id);
		}
	}
	bson_append_array_end(&in, &arr);
	bson_append_document_end(filter, &in);
}

/* The _id of a document as relaxed Extended JSON (a new reference; null when it has none). */
static json_t *hs_mongo_id_json(const bson_t *doc)
{
	bson_iter_t id;
	bson_t tmp = BSON_INITIALIZER;
	json_t *root = NULL, *v = NULL;
	char *s;

	if (doc && bson_iter_init_find(&id, doc, "_id"))
		bson_append_iter(&tmp, "_id", 3, &id);
	s = bson_as_relaxed_extended_json(&tmp, NULL);
	if (s)
		root = json_loads(s, 0, NULL);
	if (root)
		v = json_incref(json_object_get(root, "_id"));
	json_decref(root);
	bson_free(s);
	bson_destroy(&tmp);
	return v ? v : json_null();
}

/*
 * A document that did not get in, for a reason other than its _id being
 * there: counted as failed, and the first HS_MONGO_REFUSED_MAX of each
 * collection are named by _id with the server's code and message (code
 * -1: refused before it was sent, msg the driver's) in the report and the
 * log.  doc may be NULL when the reply does not say which one it was.
 */
static void hs_mongo_refused(hs_mongo_rstate *st, hs_mongo_item *it, const bson_t *doc, int32_t code,
			     const char *msg)
{
	char text[HS_ERROR_MSG_MAX];
	json_t *id;
	char *ids;

	it->failed++;
	if (++it->n_refused > HS_MONGO_REFUSED_MAX)
		return;
	snprintf(text, sizeof(text), "%s", msg && msg[0] ? msg : "the server gave no message");
	hs_mongo_scrub(text, sizeof(text), st->uri);
	id = hs_mongo_id_json(doc);
	ids = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
	if (code >= 0)
		hs_warn("mongo", "%s.%s: document _id %s refused by the server: code %d: %s", it->dst_db,
			it->dst_coll, ids ? ids : "?", (int)code, text);
	else
		hs_warn("mongo", "%s.%s: document _id %s not sent: %s", it->dst_db, it->dst_coll,
			ids ? ids : "?", text);
	if (!it->error[0]) {
		hs_buf m = HS_BUF_INIT;

		if (code >= 0)
			hs_buf_addf(&m, "document _id %s refused by the server: code %d: %s", ids ? ids : "?",
				    (int)code, text);
		else
			hs_buf_addf(&m, "document _id %s not sent: %s", ids ? ids : "?", text);
		snprintf(it->error, sizeof(it->error), "%s", m.data);
		hs_buf_release(&m);
	}
	if (!it->refused)
		it->refused = json_array();
	json_array_append_new(it->refused, json_pack("{s:o, s:i, s:s}", "_id", id, "code", (int)code, "error", text));
	free(ids);
}

/* The type and value bytes of a document's _id; false when it has none. */
static bool hs_mongo_id_bytes(const hs_buf *docs, size_t off, uint8_t *type, const uint8_t **p, uint32_t *n)
{
	bson_t d;
	bson_iter_t id;
	uint32_t len;

	memcpy(&len, docs->data + off, 4);
	len = BSON_UINT32_FROM_LE(len);
	if (!bson_init_static(&d, (const uint8_t *)docs->data + off, len) || !bson_iter_init_find(&id, &d, "_id"))
		return false;
	*type = (uint8_t)bson_iter_type(&id);
	*p = (const uint8_t *)docs->data + off + id.d1;
	*n = id.next_off - id.d1;
	return true;
}

/*
 * Of the documents at the given batch positions that failed with a
 * duplicate key, count those whose _id exists in the target as skipped
 * and the others (a conflict on another unique index) as refused, by _id
 * with the server's message (msg, the first of those errors).  The
 * servers' messages cannot tell the two apart (FerretDB says only "E11000
 * duplicate key error collection: db.c"), the target can: the _ids it
 * returns are matched to the batch's by type and bytes.
 */
static int hs_mongo_sort_dups(hs_mongo_rstate *st, mongoc_collection_t *coll, hs_mongo_item *it,
			      const hs_buf *docs, const size_t *offs, const uint32_t *pos, size_t n,
			      const char *msg, hs_error *e)
{
	bson_t filter;
	bson_t *opts = BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}");
	mongoc_cursor_t *cur;
	const bson_t *doc;
	bson_error_t berr;
	hs_buf seen = HS_BUF_INIT;   /* the _ids found: [u32 length][type, value bytes]... */
	int64_t found = 0;
	size_t i, unmatched = 0;
	bool *hit = NULL;
	int rc = 0;

	hs_mongo_id_filter(docs, offs, pos, n, &filter);
	cur = mongoc_collection_find_with_opts(coll, &filter, opts, NULL);
	while (mongoc_cursor_next(cur, &doc)) {
		bson_iter_t id;

		found++;
		if (bson_iter_init_find(&id, doc, "_id")) {
			uint32_t k = 1 + id.next_off - id.d1;

			hs_buf_add(&seen, &k, 4);
			hs_buf_add(&seen, bson_get_data(doc) + id.type, 1);
			hs_buf_add(&seen, bson_get_data(doc) + id.d1, k - 1);
		}
	}
	if (mongoc_cursor_error(cur, &berr))
		rc = hs_mongo_err(e, HS_EXIT_FAILURE, &berr, st->uri, "cannot read '%s.%s' on '%s'", it->dst_db,
				  it->dst_coll, st->red);
	if (found > (int64_t)n)
		found = (int64_t)n;
	it->skipped += found;
	if (rc || (int64_t)n == found)
		goto out;
	/* some hit another unique index: which ones (only then, as this is n * found) */
	hit = hs_xcalloc(n, sizeof(*hit));
	for (i = 0; i < n; i++) {
		const uint8_t *p;
		uint8_t t;
		uint32_t k;
		size_t o = 0;

		if (!hs_mongo_id_bytes(docs, offs[pos[i]], &t, &p, &k))
			continue;
		while (o < seen.len && !hit[i]) {
			uint32_t sk;

			memcpy(&sk, seen.data + o, 4);
			hit[i] = sk == k + 1 && (uint8_t)seen.data[o + 4] == t && !memcmp(seen.data + o + 5, p, k);
			o += 4 + sk;
		}
		unmatched += !hit[i];
	}
	if (unmatched == (size_t)((int64_t)n - found)) {
		for (i = 0; i < n; i++) {
			bson_t d;
			uint32_t len;

			if (hit[i])
				continue;
			memcpy(&len, docs->data + offs[pos[i]], 4);
			len = BSON_UINT32_FROM_LE(len);
			if (bson_init_static(&d, (const uint8_t *)docs->data + offs[pos[i]], len))
				hs_mongo_refused(st, it, &d, 11000, msg);
		}
	} else {
		/* an _id stored with another type than ours (1 and 1.0): count, name none */
		if (!it->error[0])
		{
			snprintf(it->error, sizeof(it->error), "duplicate key on a unique index other than _id: %s",
				 msg && msg[0] ? msg : "the server gave no message");
			hs_mongo_scrub(it->error, sizeof(it->error), st->uri);
		}
		it->failed += (int64_t)n - found;
	}
out:
	free(hit);
	hs_buf_release(&seen);
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);
	bson_destroy(&filter);
	return rc;
}

/* Whether a bulk reply lists at least one write error. */
static bool hs_mongo_has_write_errors(const bson_t *reply)
{
	bson_iter_t it, sub;

	return bson_iter_init_find(&it, reply, "writeErrors") && BSON_ITER_HOLDS_ARRAY(&it) &&
	       bson_iter_recurse(&it, &sub) && bson_iter_next(&sub);
}

/*
 * Send one batch of documents (concatenated BSON in docs) to coll in the
 * item's mode.  Counts go into the item; a failed document is counted, a
 * batch the server refuses as a whole is an error.
 */
static int hs_mongo_flush(hs_mongo_rstate *st, mongoc_collection_t *coll, hs_mongo_item *it,
			  const hs_buf *docs, bool insert_only, hs_error *e)
{
	bson_t *opts = BCON_NEW("ordered", BCON_BOOL(false));
	/* what was captured goes back as it is: no client-side key checks ("", "a.b", "$x"), as mongorestore */
	bson_t *iopts = BCON_NEW("validate", BCON_BOOL(false));
	bson_t *uopts = BCON_NEW("upsert", BCON_BOOL(true), "validate", BCON_BOOL(false));
	mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(coll, opts);
	bson_t reply = BSON_INITIALIZER;
	bson_error_t berr;
	bson_iter_t ri, wi;
	size_t off = 0, ndocs = 0, ndups = 0;
	size_t *offs = NULL;
	uint32_t *dups = NULL;
	uint32_t ret;
	int rc = -1;
	bool upsert = !insert_only && !strcmp(st->mode, "upsert") && !st->ferretdb;
	bool upsert_by_delete = !insert_only && !strcmp(st->mode, "upsert") && st->ferretdb;
	bool skip_dups = !insert_only && !strcmp(st->mode, "insert");
	bool queued;
	char dupmsg[HS_ERROR_MSG_MAX] = "";
	int64_t deleted = 0;

	offs = hs_xcalloc(docs->len / 5 + 1, sizeof(*offs));
	dups = hs_xcalloc(docs->len / 5 + 1, sizeof(*dups));

	while (off < docs->len) {
		bson_t doc;
		uint32_t len;

		memcpy(&len, docs->data + off, 4);
		len = BSON_UINT32_FROM_LE(len);
		if (!bson_init_static(&doc, (const uint8_t *)docs->data + off, len)) {
			hs_err(e, HS_EXIT_DATA, "malformed document in the archive for '%s.%s'", it->src_db, it->src_coll);
			goto out;
		}
		if (upsert) {
			bson_t sel = BSON_INITIALIZER;
			bson_iter_t id;

			if (bson_iter_init_find(&id, &doc, "_id"))
				bson_append_iter(&sel, "_id", 3, &id);
			queued = mongoc_bulk_operation_replace_one_with_opts(bulk, &sel, &doc, uopts, &berr);
			bson_destroy(&sel);
		} else {
			queued = mongoc_bulk_operation_insert_with_opts(bulk, &doc, iopts, &berr);
		}
		/* the bulk's write errors index its operations: offs holds the queued ones */
		if (queued)
			offs[ndocs++] = off;
		else
			hs_mongo_refused(st, it, &doc, -1, berr.message);
		off += len;
	}
	if (!ndocs) {
		rc = 0;   /* none queued: an empty bulk is an error to the driver */
		goto out;
	}
	if (upsert_by_delete) {
		/*
		 * FerretDB 1.24 runs an upsert as a scan (tens per second on
		 * SQLite): there, delete the batch's _ids and insert the
		 * batch.  Not atomic per document, unlike a real upsert.
		 */
		bson_t filter, dreply;

		hs_mongo_id_filter(docs, offs, NULL, ndocs, &filter);
		if (!mongoc_collection_delete_many(coll, &filter, NULL, &dreply, &berr)) {
			bson_destroy(&filter);
			bson_destroy(&dreply);
			hs_mongo_err(e, HS_EXIT_FAILURE, &berr, st->uri, "cannot write to '%s.%s' on '%s'", it->dst_db,
				     it->dst_coll, st->red);
			goto out;
		}
		if (bson_iter_init_find(&ri, &dreply, "deletedCount"))
			deleted = bson_iter_as_int64(&ri);
		bson_destroy(&filter);
		bson_destroy(&dreply);
	}
	bson_destroy(&reply);
	ret = mongoc_bulk_operation_execute(bulk, &reply, &berr);
	if (bson_iter_init_find(&ri, &reply, "nInserted")) {
		int64_t nin = bson_iter_as_int64(&ri);

		if (upsert_by_delete) {
			if (deleted > nin)
				deleted = nin;
			it->replaced += deleted;
			nin -= deleted;
		}
		it->inserted += nin;
	}
	if (bson_iter_init_find(&ri, &reply, "nUpserted"))
		it->inserted += bson_iter_as_int64(&ri);
	if (bson_iter_init_find(&ri, &reply, "nMatched"))
		it->replaced += bson_iter_as_int64(&ri);
	if (bson_iter_init_find(&ri, &reply, "writeErrors") && BSON_ITER_HOLDS_ARRAY(&ri) &&
	    bson_iter_recurse(&ri, &wi)) {
		while (bson_iter_next(&wi)) {
			const uint8_t *data;
			uint32_t dlen;
			bson_t we;
			bson_iter_t ci;
			int32_t code = 0;
			int64_t idx = -1;

			if (!BSON_ITER_HOLDS_DOCUMENT(&wi))
				continue;
			bson_iter_document(&wi, &dlen, &data);
			if (!bson_init_static(&we, data, dlen))
				continue;
			if (bson_iter_init_find(&ci, &we, "code"))
				code = (int32_t)bson_iter_as_int64(&ci);
			if (bson_iter_init_find(&ci, &we, "index"))
				idx = bson_iter_as_int64(&ci);
			if (code == 11000 && skip_dups && idx >= 0 && (size_t)idx < ndocs) {
				dups[ndups++] = (uint32_t)idx;
				if (!dupmsg[0] && bson_iter_init_find(&ci, &we, "errmsg") && BSON_ITER_HOLDS_UTF8(&ci))
					snprintf(dupmsg, sizeof(dupmsg), "%s", bson_iter_utf8(&ci, NULL));
			} else {
				const char *msg = bson_iter_init_find(&ci, &we, "errmsg") && BSON_ITER_HOLDS_UTF8(&ci)
						  ? bson_iter_utf8(&ci, NULL) : NULL;
				bson_t doc;
				uint32_t len = 0;
				bool have = idx >= 0 && (size_t)idx < ndocs;

				if (have) {
					memcpy(&len, docs->data + offs[idx], 4);
					len = BSON_UINT32_FROM_LE(len);
				}
				have = have && bson_init_static(&doc, (const uint8_t *)docs->data + offs[idx], len);
				hs_mongo_refused(st, it, have ? &doc : NULL, code, msg);
			}
		}
	}
	if (!ret && !hs_mongo_has_write_errors(&reply)) {
		/* the batch as a whole failed (network, write concern, server error) */
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, st->uri, "cannot write to '%s.%s' on '%s'", it->dst_db,
			     it->dst_coll, st->red);
		goto out;
	}
	if (ndups && hs_mongo_sort_dups(st, coll, it, docs, offs, dups, ndups, dupmsg, e))
		goto out;
	rc = 0;
out:
	free(offs);
	free(dups);
	mongoc_bulk_operation_destroy(bulk);
	bson_destroy(&reply);
	bson_destroy(opts);
	bson_destroy(iopts);
	bson_destroy(uopts);
	return rc;
}

/*
 * Stream the documents of the current entry into the target (or the
 * temporary collection of a replace) in batches, read through the one
 * .bson reading (mongo_bson.h; the verifying pass checked them already).
 */
int hs_mongo_load(hs_mongo_rstate *st, mongoc_client_t *client, hs_reader *rd, hs_mongo_item *it,
		  const char *entry, const char *coll_name, hs_progress *pg, hs_error *e)
{
	mongoc_collection_t *coll = mongoc_client_get_collection(client, it->dst_db, coll_name);
	hs_linereader *lr = hs_lr_new(hs_bson_entry_read, rd, 0);
	hs_bson_stream bs;
	hs_buf batch = HS_BUF_INIT;
	const uint8_t *doc;
	uint32_t len;
	size_t ndocs = 0;
	int rc = -1, k;
	bool insert_only = !strcmp(st->mode, "replace");

	hs_bson_stream_init(&bs, lr, entry);
	while ((k = hs_bson_stream_next(&bs, &doc, &len, e)) == 1) {
		hs_buf_add(&batch, doc, len);
		ndocs++;
		if (ndocs >= HS_MONGO_BATCH_DOCS || batch.len >= HS_MONGO_BATCH_BYTES) {
			if (hs_mongo_flush(st, coll, it, &batch, insert_only, e))
				goto out;
			hs_progress_add(pg, ndocs, batch.len);
			hs_buf_reset(&batch);
			ndocs = 0;
		}
	}
	if (k < 0)
		goto out;
	if (batch.len) {
		if (hs_mongo_flush(st, coll, it, &batch, insert_only, e))
			goto out;
		hs_progress_add(pg, ndocs, batch.len);
	}
	rc = 0;
out:
	mongoc_collection_destroy(coll);
	hs_lr_free(lr);
	hs_buf_release(&batch);
	return rc;
}

