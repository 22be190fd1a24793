/*
 * redis_big.c - records of big keys built on disk, so that the capture's
 * memory stays bounded however many elements one key holds (redis_common.h,
 * "big keys").
 *
 * A collection whose elements read so far pass the threshold moves them
 * out of memory: a hash's or set's members into an external sorter of
 * their own (extsort.c, dedup: HSCAN/SSCAN may repeat), a list's or
 * zset's elements, JSON-encoded in read order, into an element file.  When
 * the key is read whole its record line (the same bytes the in-memory path
 * gives) is written to the db's record spool and the key sorter gets a
 * 17-byte reference instead of the record: a NUL byte (no record line
 * starts with one) and the record's offset and length, big-endian.  The
 * db's output loop copies referenced records from the spool in 1 MiB
 * slices.  Both files are unlinked temporary files (tmpfile(3), as the
 * sorter's runs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "sources/redis/redis_common.h"

#define HS_RBIG_SLICE ((size_t)1 << 20)
#define HS_RBIG_SORT_MEM ((size_t)2 << 20)
#define HS_RBIG_REF_LEN 17

struct hs_rbig {
	FILE *spool;        /* finished records, appended */
	uint64_t spool_len;
	/* the key being built */
	bool active;
	bool sorted;        /* hash, set: members through sort */
	bool pairs;         /* hash, zset */
	bool zset;
	hs_rsort *sort;
	FILE *elems;        /* list, zset: JSON elements, comma-separated */
	uint64_t nelems;
	hs_buf tmp;
};

hs_rbig *hs_rbig_new(void)
{
	return hs_xcalloc(1, sizeof(hs_rbig));
}

/* Forget the key being built (its temporary data goes). */
void hs_rbig_abort(hs_rbig *b)
{
	if (!b)
		return;
	hs_rsort_free(b->sort);
	b->sort = NULL;
	if (b->elems)
		fclose(b->elems);
	b->elems = NULL;
	b->nelems = 0;
	b->active = false;
}

void hs_rbig_free(hs_rbig *b)
{
	if (!b)
		return;
	hs_rbig_abort(b);
	if (b->spool)
		fclose(b->spool);
	hs_buf_release(&b->tmp);
	free(b);
}

bool hs_rbig_active(const hs_rbig *b)
{
	return b && b->active;
}

/* fwrite n bytes or fail naming what was being written. */
static int hs_rbig_write(FILE *f, const void *p, size_t n, const char *what, hs_error *e)
{
	if (n && fwrite(p, 1, n, f) != n)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno ? errno : EIO,
				    "cannot write a big key's %s to a temporary file", what);
	return 0;
}

int hs_rbig_begin(hs_rbig *b, const char *type, hs_error *e)
{
	hs_rbig_abort(b);
	b->sorted = !strcmp(type, "hash") || !strcmp(type, "set");
	b->pairs = !strcmp(type, "hash") || !strcmp(type, "zset");
	b->zset = !strcmp(type, "zset");
	if (b->sorted) {
		b->sort = hs_rsort_new(HS_RBIG_SORT_MEM, true);
	} else if (!(b->elems = tmpfile())) {
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create a temporary file for a big key");
	}
	b->active = true;
	return 0;
}

int hs_rbig_add(hs_rbig *b, hs_ritems *it, hs_error *e)
{
	size_t stride = b->pairs ? 2 : 1, i;
	int rc = -1;

	if (it->n % stride)
		return hs_err(e, HS_EXIT_FAILURE, "redis: a reply with an odd number of pair items");
	for (i = 0; i < it->n; i += stride) {
		if (b->sorted) {
			if (hs_rsort_add(b->sort, hs_ritems_at(it, i), it->len[i],
					 b->pairs ? hs_ritems_at(it, i + 1) : "", b->pairs ? it->len[i + 1] : 0, e))
				goto out;
			continue;
		}
		/* list, zset: the element's JSON now, in read order */
		hs_buf_reset(&b->tmp);
		if (b->nelems++)
			hs_buf_addc(&b->tmp, ',');
		if (b->pairs)
			hs_buf_addc(&b->tmp, '[');
		hs_redis_json_bytes(&b->tmp, hs_ritems_at(it, i), it->len[i]);
		if (b->pairs) {
			hs_buf_addc(&b->tmp, ',');
			if (hs_redis_json_score(&b->tmp, hs_ritems_at(it, i + 1), it->len[i + 1])) {
				hs_err(e, HS_EXIT_FAILURE, "redis key of type zset: a score is not a number");
				goto out;
			}
			hs_buf_addc(&b->tmp, ']');
		}
		if (hs_rbig_write(b->elems, b->tmp.data, b->tmp.len, "elements", e))
			goto out;
	}
	rc = 0;
out:
	hs_ritems_reset(it);
	return rc;
}

/* Copy what the element file holds to the spool. */
static int hs_rbig_copy_elems(hs_rbig *b, uint64_t *len, hs_error *e)
{
	char *buf = NULL;
	size_t n;
	int rc = -1;

	if (fflush(b->elems) || fseeko(b->elems, 0, SEEK_SET))
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot read back a big key's elements");
	buf = hs_xmalloc(HS_RBIG_SLICE);
	while ((n = fread(buf, 1, HS_RBIG_SLICE, b->elems)) > 0) {
		if (hs_rbig_write(b->spool, buf, n, "record", e))
			goto out;
		*len += n;
	}
	if (ferror(b->elems)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno ? errno : EIO, "cannot read back a big key's elements");
		goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Stream the sorted members to the spool as JSON, in slices. */
static int hs_rbig_copy_sorted(hs_rbig *b, uint64_t *len, hs_error *e)
{
	const char *k, *v;
	size_t kl, vl;
	bool first = true;
	int n;

	hs_buf_reset(&b->tmp);
	while ((n = hs_rsort_next(b->sort, &k, &kl, &v, &vl, e)) > 0) {
		if (!first)
			hs_buf_addc(&b->tmp, ',');
		first = false;
		if (b->pairs)
			hs_buf_addc(&b->tmp, '[');
		hs_redis_json_bytes(&b->tmp, k, kl);
		if (b->pairs) {
			hs_buf_addc(&b->tmp, ',');
			hs_redis_json_bytes(&b->tmp, v, vl);
			hs_buf_addc(&b->tmp, ']');
		}
		if (b->tmp.len >= HS_RBIG_SLICE) {
			if (hs_rbig_write(b->spool, b->tmp.data, b->tmp.len, "record", e))
				return -1;
			*len += b->tmp.len;
			hs_buf_reset(&b->tmp);
		}
	}
	if (n < 0)
		return -1;
	if (hs_rbig_write(b->spool, b->tmp.data, b->tmp.len, "record", e))
		return -1;
	*len += b->tmp.len;
	hs_buf_reset(&b->tmp);
	return 0;
}

int hs_rbig_finish(hs_rbig *b, const char *key, size_t klen, const char *type, int64_t expire_at_ms,
		   hs_buf *ref, uint64_t *rec_len, hs_error *e)
{
	uint64_t off = b->spool_len, len = 0;
	unsigned char r[HS_RBIG_REF_LEN];
	int i, rc = -1;

	if (!b->spool && !(b->spool = tmpfile())) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create a temporary file for big keys");
		goto out;
	}
	if (fseeko(b->spool, (off_t)off, SEEK_SET)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot seek in the big keys' temporary file");
		goto out;
	}
	hs_buf_reset(&b->tmp);
	hs_redis_record_begin(&b->tmp, key, klen, type, expire_at_ms);
	hs_buf_addc(&b->tmp, '[');
	if (hs_rbig_write(b->spool, b->tmp.data, b->tmp.len, "record", e))
		goto out;
	len += b->tmp.len;
	if (b->sorted ? hs_rbig_copy_sorted(b, &len, e) : hs_rbig_copy_elems(b, &len, e))
		goto out;
	if (hs_rbig_write(b->spool, "]}\n", 3, "record", e))
		goto out;
	len += 3;
	if (fflush(b->spool)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write a big key's record to a temporary file");
		goto out;
	}
	b->spool_len += len;
	r[0] = 0;
	for (i = 0; i < 8; i++) {
		r[1 + i] = (unsigned char)(off >> (56 - 8 * i));
		r[9 + i] = (unsigned char)(len >> (56 - 8 * i));
	}
	hs_buf_reset(ref);
	hs_buf_add(ref, r, sizeof(r));
	*rec_len = len;
	rc = 0;
out:
	hs_rbig_abort(b);
	return rc;
}

bool hs_rbig_is_ref(const char *rec, size_t rlen)
{
	return rlen == HS_RBIG_REF_LEN && rec[0] == '\0';
}

int hs_rbig_copy(hs_rbig *b, const char *ref, hs_entry *en, hs_error *e)
{
	const unsigned char *r = (const unsigned char *)ref;
	uint64_t off = 0, len = 0;
	char *buf = NULL;
	int i, rc = -1;

	for (i = 0; i < 8; i++) {
		off = off << 8 | r[1 + i];
		len = len << 8 | r[9 + i];
	}
	if (!b->spool || off + len > b->spool_len || fseeko(b->spool, (off_t)off, SEEK_SET))
		return hs_err(e, HS_EXIT_FAILURE, "cannot read back a big key's record");
	buf = hs_xmalloc(HS_RBIG_SLICE);
	while (len) {
		size_t want = len < HS_RBIG_SLICE ? (size_t)len : HS_RBIG_SLICE;

		if (fread(buf, 1, want, b->spool) != want) {
			hs_err_errno(e, HS_EXIT_FAILURE, errno ? errno : EIO, "cannot read back a big key's record");
			goto out;
		}
		if (hs_entry_write(en, buf, want, e))
			goto out;
		len -= want;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}
