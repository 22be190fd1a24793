/*
 * diff_mongo.c - the document-level diff of two mongo/<db>/<coll>.bson entries.
 *
 * Both files hold the collection's documents in the server's _id order
 * (find with sort {_id: 1}, docs/mongo.md), so one streaming merge finds
 * the documents only in A (removed), only in B (added) and in both with
 * different bytes (changed, with the top-level fields that differ).
 * Only the current document of each side is held in memory.  Documents
 * are taken through the one .bson reading restore and cat use
 * (src/sources/mongo/mongo_bson.h): framed and checked whole by a lean walk (not
 * bson_validate(), whose visitors were 40% of diff's time), so bad BSON
 * is HS_EXIT_DATA naming the document and its byte.
 *
 * The collection's .metadata.json (options, indexes) is compared field by
 * field with hs_diff_json_walk (diff_k8s.c), indexes matched by name.
 *
 * The merge needs the server's order of _id values: BSON comparison order
 * (type class first: MinKey, null, numbers, strings, objects, arrays,
 * binary, ObjectId, bool, date, timestamp, regex, MaxKey; numbers by value,
 * strings by bytes as without a collation, objects field by field).
 * Types this file does not order in detail (decimal128, regex, code ...)
 * fall back to their bytes; a file out of that order is refused as bad
 * data rather than misreported.
 */
#include <bson/bson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diff.h"
#include "linereader.h"
#include "mongo_bson.h"

/*
 * One side of the merge: its reader, current document (in the reader's
 * window, valid until the side's next document) with its _id found once,
 * and the previous document's _id for the order check, copied (the window
 * moves on) into a one-field document {_id} whose buffer is reused.
 */
typedef struct hs_mdiff_side {
	hs_bson_stream bs;   /* over the side's line reader */
	unsigned long docno;
	const uint8_t *doc;  /* current document (valid when have) */
	uint32_t len;
	bson_iter_t id;      /* its _id */
	bool have;           /* a current document (false at the end) */
	uint8_t *prev;       /* {_id} of the previous document (valid when docno > 1) */
	uint32_t prevcap;
	bson_iter_t previd;
} hs_mdiff_side;

/* The canonical type class of a BSON type, as the server orders them. */
static int hs_mdiff_class(bson_type_t t)
{
	switch (t) {
	case BSON_TYPE_MINKEY: return 1;
	case BSON_TYPE_NULL: case BSON_TYPE_UNDEFINED: return 2;
	case BSON_TYPE_INT32: case BSON_TYPE_INT64: case BSON_TYPE_DOUBLE: case BSON_TYPE_DECIMAL128: return 3;
	case BSON_TYPE_UTF8: case BSON_TYPE_SYMBOL: return 4;
	case BSON_TYPE_DOCUMENT: return 5;
	case BSON_TYPE_ARRAY: return 6;
	case BSON_TYPE_BINARY: return 7;
	case BSON_TYPE_OID: return 8;
	case BSON_TYPE_BOOL: return 9;
	case BSON_TYPE_DATE_TIME: return 10;
	case BSON_TYPE_TIMESTAMP: return 11;
	case BSON_TYPE_REGEX: return 12;
	case BSON_TYPE_MAXKEY: return 14;
	default: return 13;
	}
}

/* Compare two byte ranges: memcmp, shorter first on a tie. */
static int hs_mdiff_bytes(const void *x, size_t nx, const void *y, size_t ny)
{
	int c = (nx < ny ? nx : ny) ? memcmp(x, y, nx < ny ? nx : ny) : 0;

	if (c)
		return c < 0 ? -1 : 1;
	return nx < ny ? -1 : nx > ny;
}

static int hs_mdiff_doc_cmp(const bson_iter_t *x, const bson_iter_t *y);

/* Compare two BSON values in the server's order (see the top comment). */
static int hs_mdiff_value_cmp(const bson_iter_t *x, const bson_iter_t *y)
{
	bson_type_t tx = bson_iter_type(x), ty = bson_iter_type(y);
	int cx = hs_mdiff_class(tx), cy = hs_mdiff_class(ty);
	uint32_t lx, ly;
	const uint8_t *px, *py;
	bson_iter_t sx, sy;

	if (cx != cy)
		return cx < cy ? -1 : 1;
	switch (cx) {
	case 3:
		if (tx != BSON_TYPE_DECIMAL128 && ty != BSON_TYPE_DECIMAL128) {
			if (tx != BSON_TYPE_DOUBLE && ty != BSON_TYPE_DOUBLE) {
				int64_t a = bson_iter_as_int64(x), b = bson_iter_as_int64(y);

				return a < b ? -1 : a > b;
			} else {
				long double a = tx == BSON_TYPE_DOUBLE ? bson_iter_double(x)
								       : (long double)bson_iter_as_int64(x);
				long double b = ty == BSON_TYPE_DOUBLE ? bson_iter_double(y)
								       : (long double)bson_iter_as_int64(y);

				if (a != a || b != b) /* NaN sorts before every number */
					return (b != b) - (a != a);
				return a < b ? -1 : a > b;
			}
		}
		break;
	case 4: {
		const char *a = tx == BSON_TYPE_UTF8 ? bson_iter_utf8(x, &lx) : bson_iter_symbol(x, &lx);
		const char *b = ty == BSON_TYPE_UTF8 ? bson_iter_utf8(y, &ly) : bson_iter_symbol(y, &ly);

		return hs_mdiff_bytes(a, lx, b, ly);
	}
	case 5:
	case 6:
		if (bson_iter_recurse(x, &sx) && bson_iter_recurse(y, &sy))
			return hs_mdiff_doc_cmp(&sx, &sy);
		break;
	case 7: {
		bson_subtype_t stx, sty;

		bson_iter_binary(x, &stx, &lx, &px);
		bson_iter_binary(y, &sty, &ly, &py);
		if (lx != ly)
			return lx < ly ? -1 : 1;
		if (stx != sty)
			return stx < sty ? -1 : 1;
		return hs_mdiff_bytes(px, lx, py, ly);
	}
	case 8:
		return hs_mdiff_bytes(bson_iter_oid(x)->bytes, 12, bson_iter_oid(y)->bytes, 12);
	case 9:
		return (int)bson_iter_bool(x) - (int)bson_iter_bool(y);
	case 10: {
		int64_t a = bson_iter_date_time(x), b = bson_iter_date_time(y);

		return a < b ? -1 : a > b;
	}
	case 11: {
		uint32_t ta, ia, tb, ib;

		bson_iter_timestamp(x, &ta, &ia);
		bson_iter_timestamp(y, &tb, &ib);
		if (ta != tb)
			return ta < tb ? -1 : 1;
		return ia < ib ? -1 : ia > ib;
	}
	case 1:
	case 2:
	case 14:
		return 0;
	default:
		break;
	}
	/* fallback: the raw value bytes (same type class, order not modelled) */
	px = x->raw + x->d1;
	py = y->raw + y->d1;
	lx = x->next_off - x->d1;
	ly = y->next_off - y->d1;
	return hs_mdiff_bytes(px, lx, py, ly);
}

/* Compare two documents field by field: type class, then name, then value. */
static int hs_mdiff_doc_cmp(const bson_iter_t *x, const bson_iter_t *y)
{
	bson_iter_t a = *x, b = *y;

	for (;;) {
		bool ma = bson_iter_next(&a), mb = bson_iter_next(&b);
		int c;

		if (!ma || !mb)
			return (int)ma - (int)mb;
		c = hs_mdiff_class(bson_iter_type(&a)) - hs_mdiff_class(bson_iter_type(&b));
		if (c)
			return c < 0 ? -1 : 1;
		c = strcmp(bson_iter_key(&a), bson_iter_key(&b));
		if (c)
			return c < 0 ? -1 : 1;
		c = hs_mdiff_value_cmp(&a, &b);
		if (c)
			return c;
	}
}

/* Find _id in a document (length-checked by the reader); false when absent. */
static bool hs_mdiff_id(const uint8_t *doc, uint32_t len, bson_iter_t *it)
{
	return bson_iter_init_from_data(it, doc, len) && bson_iter_find(it, "_id");
}

/*
 * Keep the current document's _id as {_id: value} in s->prev (the element's
 * bytes, already walked by bson_iter_find) and point s->previd at it.
 */
static void hs_mdiff_keep_id(hs_mdiff_side *s)
{
	uint32_t elen = s->id.next_off - s->id.type, n = 4 + elen + 1;

	if (n > s->prevcap) {
		free(s->prev);
		s->prevcap = n < 256 ? 256 : n;
		s->prev = hs_xmalloc(s->prevcap);
	}
	s->prev[0] = (uint8_t)n;
	s->prev[1] = (uint8_t)(n >> 8);
	s->prev[2] = (uint8_t)(n >> 16);
	s->prev[3] = (uint8_t)(n >> 24);
	memcpy(s->prev + 4, s->id.raw + s->id.type, elen);
	s->prev[n - 1] = 0;
	(void)(bson_iter_init_from_data(&s->previd, s->prev, n) && bson_iter_next(&s->previd));
}

/*
 * Take the next document of a side in s->doc (s->have false at the end),
 * through the one .bson reading (mongo_bson.h: framed and checked whole;
 * bad BSON is HS_EXIT_DATA naming the document and its byte).
 */
static int hs_mdiff_next(hs_mdiff_side *s, const char *name, const char *which, hs_error *e)
{
	int k;

	if (s->have)
		hs_mdiff_keep_id(s);
	s->have = false;
	s->len = 0;
	k = hs_bson_stream_next(&s->bs, &s->doc, &s->len, e);
	if (k < 0)
		return e->code == HS_EXIT_DATA ? hs_err_prefix(e, "cannot diff %s", which)
					       : hs_err_prefix(e, "cannot diff '%s'", name);
	if (k == 0)
		return 0;
	s->docno = s->bs.docno;
	if (!hs_mdiff_id(s->doc, s->len, &s->id))
		return hs_err(e, HS_EXIT_DATA, "cannot diff '%s' of %s: document %lu has no _id", name, which,
			      s->docno);
	if (s->docno > 1 && hs_mdiff_value_cmp(&s->previd, &s->id) >= 0)
		return hs_err(e, HS_EXIT_DATA, "cannot diff '%s' of %s: document %lu is not sorted by _id",
			      name, which, s->docno);
	s->have = true;
	return 0;
}

/* The _id of a document as relaxed Extended JSON (a new reference). */
static json_t *hs_mdiff_key(const uint8_t *doc, uint32_t len)
{
	bson_iter_t it;
	bson_t tmp = BSON_INITIALIZER;
	json_t *root, *id = NULL;
	char *s;

	if (hs_mdiff_id(doc, len, &it))
		bson_append_iter(&tmp, "_id", 3, &it);
	s = bson_as_relaxed_extended_json(&tmp, NULL);
	root = s ? json_loads(s, 0, NULL) : NULL;
	if (root)
		id = json_incref(json_object_get(root, "_id"));
	json_decref(root);
	bson_free(s);
	bson_destroy(&tmp);
	return id ? id : json_null();
}

/* The raw bytes of the current element's value. */
static const uint8_t *hs_mdiff_raw(const bson_iter_t *it, uint32_t *len)
{
	*len = it->next_off - it->d1;
	return it->raw + it->d1;
}

/* Top-level fields that differ (added, removed or another value or type). */
static json_t *hs_mdiff_fields(const uint8_t *a, uint32_t la, const uint8_t *b, uint32_t lb)
{
	json_t *f = json_array();
	bson_iter_t ia, ib;
	const uint8_t *ra, *rb;
	uint32_t na, nb;

	if (bson_iter_init_from_data(&ia, a, la))
		while (bson_iter_next(&ia)) {
			if (!bson_iter_init_from_data(&ib, b, lb) || !bson_iter_find(&ib, bson_iter_key(&ia))) {
				json_array_append_new(f, json_string(bson_iter_key(&ia)));
				continue;
			}
			ra = hs_mdiff_raw(&ia, &na);
			rb = hs_mdiff_raw(&ib, &nb);
			if (bson_iter_type(&ia) != bson_iter_type(&ib) || na != nb || memcmp(ra, rb, na))
				json_array_append_new(f, json_string(bson_iter_key(&ia)));
		}
	if (bson_iter_init_from_data(&ib, b, lb))
		while (bson_iter_next(&ib))
			if (!bson_iter_init_from_data(&ia, a, la) || !bson_iter_find(&ia, bson_iter_key(&ib)))
				json_array_append_new(f, json_string(bson_iter_key(&ib)));
	return f;
}

/* Count a change and, with details and room left, append its item. */
static void hs_mdiff_item(json_t *out, const hs_diff_opts *opts, const char *change,
			  const uint8_t *doc, uint32_t len, json_t *fields)
{
	json_t *items = json_object_get(out, "items"), *it;

	json_object_set_new(out, change, json_integer(json_integer_value(json_object_get(out, change)) + 1));
	if (!opts->details || json_array_size(items) >= opts->limit) {
		json_decref(fields);
		return;
	}
	it = json_pack("{s:o, s:s}", "key", hs_mdiff_key(doc, len), "change", change);
	if (fields)
		json_object_set_new(it, "fields", fields);
	json_array_append_new(items, it);
}

/* See diff.h. */
int hs_diff_mongo_lr(hs_linereader *a, hs_linereader *b, const char *name, const hs_diff_opts *opts,
		     json_t *out, hs_error *e)
{
	hs_mdiff_side sa = { .docno = 0 }, sb = { .docno = 0 };
	int rc = -1;

	hs_bson_stream_init(&sa.bs, a, name);
	hs_bson_stream_init(&sb.bs, b, name);

	json_object_set_new(out, "added", json_integer(0));
	json_object_set_new(out, "removed", json_integer(0));
	json_object_set_new(out, "changed", json_integer(0));
	json_object_set_new(out, "items", json_array());

	if (hs_mdiff_next(&sa, name, "A", e) || hs_mdiff_next(&sb, name, "B", e))
		goto out;
	while (sa.have || sb.have) {
		int c = !sa.have ? 1 : !sb.have ? -1 : hs_mdiff_value_cmp(&sa.id, &sb.id);

		if (c < 0) {
			hs_mdiff_item(out, opts, "removed", sa.doc, sa.len, NULL);
			if (hs_mdiff_next(&sa, name, "A", e))
				goto out;
		} else if (c > 0) {
			hs_mdiff_item(out, opts, "added", sb.doc, sb.len, NULL);
			if (hs_mdiff_next(&sb, name, "B", e))
				goto out;
		} else {
			if (sa.len != sb.len || memcmp(sa.doc, sb.doc, sa.len))
				hs_mdiff_item(out, opts, "changed", sb.doc, sb.len,
					      hs_mdiff_fields(sa.doc, sa.len, sb.doc, sb.len));
			if (hs_mdiff_next(&sa, name, "A", e) || hs_mdiff_next(&sb, name, "B", e))
				goto out;
		}
	}
	rc = 0;
out:
	free(sa.prev);
	free(sb.prev);
	return rc;
}

/* See diff.h. */
int hs_diff_mongo(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts, json_t *out,
		  hs_error *e)
{
	hs_linereader *la = hs_lr_new(hs_lr_read_file, a, 0), *lb = hs_lr_new(hs_lr_read_file, b, 0);
	int rc = hs_diff_mongo_lr(la, lb, name, opts, out, e);

	hs_lr_free(la);
	hs_lr_free(lb);
	return rc;
}

/* See diff.h. */
int hs_diff_mongo_metadata(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts, json_t *out,
			   hs_error *e)
{
	json_t *da = NULL, *db = NULL;
	json_error_t jerr;
	int rc = -1;

	json_object_set_new(out, "added", json_integer(0));
	json_object_set_new(out, "removed", json_integer(0));
	json_object_set_new(out, "changed", json_integer(0));
	json_object_set_new(out, "items", json_array());
	da = json_loadf(a, 0, &jerr);
	db = json_loadf(b, 0, &jerr);
	if (!json_is_object(da) || !json_is_object(db)) {
		hs_err(e, HS_EXIT_DATA, "cannot diff '%s' of %s: not collection metadata", name,
		       json_is_object(da) ? "B" : "A");
		goto out;
	}
	hs_diff_json_walk(json_object_get(da, "options"), json_object_get(db, "options"), "options", opts,
			  out);
	hs_diff_json_walk(json_object_get(da, "indexes"), json_object_get(db, "indexes"), "indexes", opts,
			  out);
	rc = 0;
out:
	json_decref(da);
	json_decref(db);
	return rc;
}
