/*
 * fuzz_redis_scan.c - libFuzzer target: the one reader of redis/db<N>.jsonl
 * records (src/sources/redis/redis_scan.c, src/sources/redis/redis_decode.c), which restore's
 * verifying pass, its apply and diff share.
 *
 * The input is the content of a redis/db0.jsonl entry of a real v1 archive
 * (assembled in memory by hs_fuzz_build_archive, read from a memfd by the
 * archive reader), unchanged except for two things decided by a hash of
 * the input, so the fuzzer still learns the JSONL grammar byte for byte:
 *  - 1 input in 4 gets blanks in front of line 1 so that the scanner's
 *    64 KiB window ends at a chosen offset of the input: records, strings,
 *    escapes and \u pairs cut in two by a refill (not more often: skipping
 *    64 KiB of blanks costs 4 times what the rest of an input does);
 *  - 1 input in 8 gets a wrong checksum for the entry in the manifest, so
 *    the reader fails on the read that reaches the entry's end: the
 *    hs_rscan_ioerr() path, in the middle of a record when padded.
 * The reader is driven as restore drives it: hs_rscan_head per record,
 * then hs_rdec_value with no sink (the plan, or a filtered or expired key)
 * or with one that records the decoded elements (apply); on a failure the
 * restore's error (hs_rscan_ioerr, hs_rscan_lineno, hs_rscan_why).  Here a
 * key whose length is 3 mod 4 is "skipped".
 *
 * Properties (a broken one aborts, so the fuzzer reports it as a crash):
 *  - a read error of the archive is reported as one (e set, ioerr) and
 *    a malformed record is not (e unset, no ioerr);
 *  - each of the first records, read again from its line in memory (as
 *    diff reads it: hs_rscan_set_mem), gets the same verdict, the same
 *    reason when refused and the same key, type, expiry and value;
 *  - a record the reader accepts whole and jansson also parses (the line
 *    with JSON_ALLOW_NUL) decodes to the same key, type, expiry and, for
 *    strings and collections, value through both: each element's bytes
 *    (hs_redis_bytes_from_json), each score (hs_redis_score_from_json).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "digest.h"
#include "error.h"
#include "fuzz_common.h"
#include "sources/redis/redis_common.h"
#include "sources/redis/redis_decode.h"
#include "sources/redis/redis_scan.h"

#define HS_FZ_WINDOW 65536      /* HS_RSCAN_WINDOW in src/sources/redis/redis_scan.c */
#define HS_FZ_CHECK_RECORDS 64  /* records compared with jansson, per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void hs_fz_fail(const char *what, size_t lineno)
{
	fprintf(stderr, "fuzz_redis_scan: line %zu: %s\n", lineno, what);
	abort();
}

/* Append one decoded item to a trace: a tag, the length, the bytes. */
static void hs_fz_item(hs_buf *t, char tag, const void *p, size_t n)
{
	uint64_t len = n;

	hs_buf_addc(t, tag);
	hs_buf_add(t, &len, sizeof(len));
	if (n)
		hs_buf_add(t, p, n);
}

static void hs_fz_score(hs_buf *t, double d)
{
	/* == and not the bits: jansson reads -0 as the integer 0 */
	if (d == 0)
		d = 0;
	hs_fz_item(t, 'S', &d, sizeof(d));
}

/* The head items of a trace: key, type, expiry. */
static void hs_fz_head_trace(hs_buf *t, const void *key, size_t klen, const char *type, bool has_exp,
			     int64_t exp_ms)
{
	hs_buf_reset(t);
	hs_fz_item(t, 'K', key, klen);
	hs_fz_item(t, 'T', type, strlen(type));
	if (has_exp)
		hs_fz_item(t, 'E', &exp_ms, sizeof(exp_ms));
	else
		hs_fz_item(t, 'N', NULL, 0);
}

/*
 * A record line decoded with jansson as diff and the snapshot's readers
 * decode it: the head into head, the value into val (for the collection
 * types and strings) or *other (any other type).  -1 when jansson (or the
 * decoding) refuses it: no comparison then.
 */
static int hs_fz_jansson(const char *line, size_t len, hs_buf *head, hs_buf *val, json_t **other)
{
	json_error_t jerr;
	json_t *rec = json_loadb(line, len, JSON_ALLOW_NUL, &jerr), *v, *x;
	const json_t *exp;
	const char *type;
	hs_buf tmp = HS_BUF_INIT;
	bool zset, hash;
	size_t i;
	double d;
	int ret = -1;

	*other = NULL;
	hs_buf_reset(val);
	if (!json_is_object(rec) || !(type = json_string_value(json_object_get(rec, "type"))) ||
	    json_string_length(json_object_get(rec, "type")) != strlen(type) || strlen(type) >= 16 ||
	    hs_redis_bytes_from_json(json_object_get(rec, "key"), &tmp) || !(v = json_object_get(rec, "value")))
		goto out;
	exp = json_object_get(rec, "expire_at_ms");
	if (exp && !json_is_null(exp) && !json_is_integer(exp))
		goto out;
	hs_fz_head_trace(head, tmp.data, tmp.len, type, json_is_integer(exp),
			 json_is_integer(exp) ? (int64_t)json_integer_value(exp) : -1);
	zset = !strcmp(type, "zset");
	hash = !strcmp(type, "hash");
	if (!strcmp(type, "string")) {
		if (hs_redis_bytes_from_json(v, &tmp))
			goto out;
		hs_fz_item(val, 'V', tmp.data, tmp.len);
	} else if (zset || hash || !strcmp(type, "list") || !strcmp(type, "set")) {
		if (!json_is_array(v))
			goto out;
		json_array_foreach(v, i, x) {
			if (!zset && !hash) {
				if (hs_redis_bytes_from_json(x, &tmp))
					goto out;
				hs_fz_item(val, 'V', tmp.data, tmp.len);
				continue;
			}
			if (json_array_size(x) != 2 || hs_redis_bytes_from_json(json_array_get(x, 0), &tmp))
				goto out;
			if (zset) {
				if (hs_redis_score_from_json(json_array_get(x, 1), &d))
					goto out;
				hs_fz_score(val, d);
				hs_fz_item(val, 'V', tmp.data, tmp.len);
			} else {
				hs_fz_item(val, 'V', tmp.data, tmp.len);
				if (hs_redis_bytes_from_json(json_array_get(x, 1), &tmp))
					goto out;
				hs_fz_item(val, 'V', tmp.data, tmp.len);
			}
		}
	} else {
		*other = json_incref(v);
	}
	ret = 0;
out:
	json_decref(rec);
	hs_buf_release(&tmp);
	return ret;
}

/* The decoder's elements into a trace, in jansson's order (a zset's score before its member). */
static int hs_fz_elem(void *ctx, const hs_buf *a, const hs_buf *b, const char *score)
{
	hs_buf *t = ctx;

	if (score)
		hs_fz_score(t, strtod(score, NULL));
	hs_fz_item(t, 'V', a->data, a->len);
	if (b)
		hs_fz_item(t, 'V', b->data, b->len);
	return 0;
}

static int hs_fz_xentry(void *ctx, const char *id, const hs_ritems *fv)
{
	hs_fz_item(ctx, 'X', id, strlen(id));
	for (size_t i = 0; i < fv->n; i++)
		hs_fz_item(ctx, 'F', hs_ritems_at(fv, i), fv->len[i]);
	return 0;
}

/*
 * The value of a record whose head is read, through the one decoder
 * (src/sources/redis/redis_decode.h) as restore's plan, apply and diff read it; the
 * decoded elements go to val, and *other is set (to true) for the types
 * jansson's reading is not compared for (streams, module dumps).  0, or
 * 1 when the record is refused (or the read failed).
 */
static int hs_fz_value(hs_rdec *dec, hs_rscan *sc, const hs_rscan_rec *h, hs_buf *val, bool *other)
{
	hs_rdec_sink k = { val, hs_fz_elem, hs_fz_xentry, NULL, NULL, NULL };

	hs_buf_reset(val);
	*other = !strcmp(h->type, "stream") || !hs_rdec_known_type(h->type);
	return hs_rdec_value(dec, sc, h, &k) ? 1 : 0;
}

/* FNV-1a: picks the padding and the read-error mode of an input. */
static uint64_t hs_fz_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	while (n--) {
		h ^= *p++;
		h *= 1099511628211ull;
	}
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_fuzz_entry ents[1 + 3];
	hs_fuzz_parts parts = { 0 };
	hs_buf entry = HS_BUF_INIT, arc = HS_BUF_INIT, head = HS_BUF_INIT, val = HS_BUF_INIT;
	hs_buf jhead = HS_BUF_INIT, jval = HS_BUF_INIT;
	hs_rscan_rec h = HS_RSCAN_REC_INIT, mh = HS_RSCAN_REC_INIT;
	hs_buf mhead = HS_BUF_INIT, mval = HS_BUF_INIT;
	hs_reader *rd = NULL;
	hs_rscan *sc = NULL, *msc = NULL;
	hs_rdec *dec = NULL;
	hs_reader_entry ent;
	hs_error e;
	char *bad = NULL, path[64];
	size_t loff = 0;   /* input offset of the next record's line */
	bool lines_left = true;
	uint64_t hash = hs_fz_hash(data, size);
	size_t pad = 0, i, lineno, compared = 0;
	bool ioerr_mode = ((hash >> 40) & 7) == 0;
	int fd = -1, n;

	if (!(hash & 3))   /* the window's end (offset HS_FZ_WINDOW) lands at input offset (hash >> 2) % (size + 1) */
		pad = HS_FZ_WINDOW - (size_t)((hash >> 2) % (size + 1));
	hs_buf_grow(&entry, pad + size);
	memset(entry.data, ' ', pad);
	entry.len = pad;
	hs_buf_add(&entry, data, size);

	hs_fuzz_entries(ents, hs_fuzz_header_json, strlen(hs_fuzz_header_json));
	for (i = 1; i < 1 + hs_fuzz_n_payload; i++) {
		if (!strcmp(ents[i].name, "redis/db0.jsonl")) {
			ents[i].data = entry.data ? entry.data : "";
			ents[i].len = entry.len;
			if (ioerr_mode)
				bad = hs_fuzz_manifest(ents, 1 + hs_fuzz_n_payload, i, &parts.manifest_len);
		}
	}
	parts.entries = ents;
	parts.n_entries = 1 + hs_fuzz_n_payload;
	parts.manifest = bad;
	hs_fuzz_build_archive(&parts, &arc);
	if ((fd = hs_fuzz_memfd(arc.data, arc.len, path, sizeof(path))) < 0)
		goto out;
	hs_error_init(&e);
	if (hs_reader_open(&rd, path, &e))
		hs_fz_fail("the assembled archive does not open", 0);
	while ((n = hs_reader_next(rd, &ent, &e)) == 1 && strcmp(ent.name, "redis/db0.jsonl"))
		;
	if (n != 1)
		hs_fz_fail("the assembled archive has no redis/db0.jsonl", 0);

	sc = hs_rscan_new(rd, &e);
	msc = hs_rscan_new_mem();
	dec = hs_rdec_new();
	for (;;) {
		json_t *jother = NULL;
		uint64_t at0 = hs_rscan_offset(sc);
		const uint8_t *nl = NULL;
		size_t len = 0;
		bool skip, other = false, line = false;
		int mn;

		n = hs_rscan_head(sc, &h);
		lineno = hs_rscan_lineno(sc);
		if (n > 0 && hs_rscan_offset(sc) <= at0)
			hs_fz_fail("a record head read no byte", lineno);
		if (n > 0) {
			hs_fz_head_trace(&head, h.key.data, h.key.len, h.type, h.has_exp, h.exp_ms);
			skip = h.key.len % 4 == 3;
			if (skip) {
				hs_buf_reset(&val);
				if (hs_rdec_value(dec, sc, &h, NULL))
					n = -1;
			} else if (hs_fz_value(dec, sc, &h, &val, &other)) {
				n = -1;
			}
		}
		if (n == 0)
			break;
		if (lineno <= HS_FZ_CHECK_RECORDS && lines_left) {
			nl = size ? memchr(data + loff, '\n', size - loff) : NULL;
			len = nl ? (size_t)(nl - (data + loff)) : size - loff;
			line = true;
		}
		/* the same line read in memory, as diff reads it: the same verdict, reason and reading */
		if (line && !hs_rscan_ioerr(sc)) {
			hs_rscan_set_mem(msc, size ? (const char *)data + loff : "", len + (nl != NULL), lineno);
			mn = hs_rscan_head(msc, &mh);
			if (mn > 0)
				mn = hs_fz_value(dec, msc, &mh, &mval, &other) ? -1 : 1;
			if ((mn > 0) != (n > 0))
				hs_fz_fail("the line read in memory and the entry read as a stream differ in verdict", lineno);
			if (n < 0 && strcmp(hs_rscan_why(msc), hs_rscan_why(sc)))
				hs_fz_fail("the line read in memory and as a stream are refused for different reasons", lineno);
			if (n > 0) {
				hs_fz_head_trace(&mhead, mh.key.data, mh.key.len, mh.type, mh.has_exp, mh.exp_ms);
				if (mhead.len != head.len || memcmp(mhead.data, head.data, head.len) ||
				    (!skip && (mval.len != val.len || memcmp(mval.data, val.data, val.len))))
					hs_fz_fail("the line read in memory and as a stream read differently", lineno);
			}
		}
		if (n < 0)
			break;
		/* line `lineno` of the input is this record: compare it with jansson's reading */
		if (line) {
			if (!hs_fz_jansson(size ? (const char *)data + loff : "", len, &jhead, &jval, &jother)) {
				compared++;
				if (head.len != jhead.len || memcmp(head.data, jhead.data, head.len))
					hs_fz_fail("the scanner and jansson read a different key, type or expiry", lineno);
				if (!skip && other != !!jother)
					hs_fz_fail("the scanner and jansson see a different kind of value", lineno);
				if (!skip && !other && (val.len != jval.len || memcmp(val.data, jval.data, val.len)))
					hs_fz_fail("the scanner and jansson decode a different value", lineno);
			}
			json_decref(jother);
			loff += len + 1;
			lines_left = nl != NULL;
		}
	}
	lineno = hs_rscan_lineno(sc);
	if (n == 0 && ioerr_mode)
		hs_fz_fail("the scanner reached the end of an entry whose checksum is wrong", lineno);
	if (n < 0 && hs_rscan_ioerr(sc) != (e.code != 0))
		hs_fz_fail(hs_rscan_ioerr(sc) ? "a read error without an error message" :
						"malformed JSON with an error message set", lineno);
	if (n < 0 && !hs_rscan_ioerr(sc))
		hs_err(&e, HS_EXIT_DATA, "redis/db0.jsonl line %zu: %s", lineno, hs_rscan_why(sc));
	if (getenv("HS_FUZZ_VERBOSE"))   /* what happened to one input, when reproducing */
		fprintf(stderr, "fuzz_redis_scan: pad %zu, bad checksum %d, records %zu, compared %zu: %s\n",
			pad, ioerr_mode, lineno - (n < 0), compared, n == 0 ? "end" : e.msg);
out:
	hs_rscan_free(sc);
	hs_rscan_free(msc);
	hs_rdec_free(dec);
	hs_rscan_rec_release(&mh);
	hs_buf_release(&mhead);
	hs_buf_release(&mval);
	hs_reader_free(rd);
	if (fd >= 0)
		close(fd);
	hs_rscan_rec_release(&h);
	hs_buf_release(&entry);
	hs_buf_release(&arc);
	hs_buf_release(&head);
	hs_buf_release(&val);
	hs_buf_release(&jhead);
	hs_buf_release(&jval);
	free(bad);
	return 0;
}
