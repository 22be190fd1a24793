/*
 * redis_decode.c - the one reading of a record's value; see
 * redis_decode.h.  Collections are read element by element (a hash of a
 * million fields costs the memory of one); a stream's entries are handed
 * out as they are read, its groups (names, ids: small) kept until the
 * whole value is checked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_decode.h"

/* The longest stream id text taken (two 20-digit numbers and leading zeros to spare). */
#define HS_RDEC_ID_MAX 64

typedef struct hs_rdec_id {
	uint64_t ms, seq;
} hs_rdec_id;

struct hs_rdec {
	hs_buf a, b, name;
	hs_buf prev;                  /* hs_rdec_entry: the last record's key */
	hs_ritems fv;                 /* a stream entry's fields and values */
	hs_ritems gnames, glds;       /* a stream's group names and last-delivered ids */
	int64_t *gread;               /* and entries-read (-1: null) */
	size_t gcap;
};

hs_rdec *hs_rdec_new(void)
{
	hs_rdec *d = hs_xcalloc(1, sizeof(*d));

	hs_buf_init(&d->a);
	hs_buf_init(&d->b);
	hs_buf_init(&d->name);
	hs_buf_init(&d->prev);
	return d;
}

void hs_rdec_free(hs_rdec *d)
{
	if (!d)
		return;
	hs_buf_release(&d->a);
	hs_buf_release(&d->b);
	hs_buf_release(&d->name);
	hs_buf_release(&d->prev);
	hs_ritems_release(&d->fv);
	hs_ritems_release(&d->gnames);
	hs_ritems_release(&d->glds);
	free(d->gread);
	free(d);
}

uint64_t hs_rdec_crc64(uint64_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--) {
		crc ^= *b++;
		for (int i = 0; i < 8; i++)
			crc = crc & 1 ? (crc >> 1) ^ UINT64_C(0x95ac9329ac4bc9b5) : crc >> 1;
	}
	return crc;
}

bool hs_rdec_in_order(const hs_buf *prev, const hs_buf *key)
{
	return hs_keycmp(prev->data, prev->len, key->data, key->len) < 0;
}

bool hs_rdec_known_type(const char *type)
{
	return !strcmp(type, "string") || !strcmp(type, "hash") || !strcmp(type, "list") || !strcmp(type, "set") ||
	       !strcmp(type, "zset") || !strcmp(type, "stream");
}

/* ---------------------------------------------------------- collections */

/* Why a collection's value is refused when nothing more precise was named. */
static int hs_rdec_unfit(hs_rscan *s, char t)
{
	return hs_rscan_bad(s, t == 'h' ? "the value does not fit type 'hash' ([[field, value], ...], at least one)" :
			       t == 'z' ? "the value does not fit type 'zset' ([[member, score], ...], at least one)" :
			       t == 'l' ? "the value does not fit type 'list' ([element, ...], at least one)" :
			       t == 's' ? "the value does not fit type 'set' ([member, ...], at least one)" :
					  "the value does not fit type 'string' (a string or {\"$base64\": ...})");
}

/* hash, list, set or zset (t: its first letter, 'z' for zset): element by element. */
static int hs_rdec_coll(hs_rdec *d, hs_rscan *s, char t, const hs_rdec_sink *k)
{
	bool pairs = t == 'h' || t == 'z', first = true, want = k && k->elem;
	char score[64];
	uint64_t n = 0;
	int r;

	if (hs_rscan_open(s))
		return hs_rdec_unfit(s, t);
	while ((r = hs_rscan_next(s, &first)) > 0) {
		if (pairs && hs_rscan_open(s))
			return hs_rdec_unfit(s, t);
		if (hs_rscan_bytes(s, want ? &d->a : NULL))
			return hs_rdec_unfit(s, t);
		if (t == 'z' && (hs_rscan_comma(s) || hs_rscan_score(s, score, sizeof(score))))
			return hs_rdec_unfit(s, t);
		if (t == 'h' && (hs_rscan_comma(s) || hs_rscan_bytes(s, want ? &d->b : NULL)))
			return hs_rdec_unfit(s, t);
		if (pairs && hs_rscan_close(s))
			return hs_rdec_unfit(s, t);
		n++;
		if (want && k->elem(k->ctx, &d->a, t == 'h' ? &d->b : NULL, t == 'z' ? score : NULL))
			return HS_RDEC_STOPPED;
	}
	if (r < 0 || !n)
		return hs_rdec_unfit(s, t);
	return 0;
}

/* -------------------------------------------------------------- streams */

static int hs_rdec_idcmp(const hs_rdec_id *x, const hs_rdec_id *y)
{
	return x->ms != y->ms ? (x->ms < y->ms ? -1 : 1) : x->seq != y->seq ? (x->seq < y->seq ? -1 : 1) : 0;
}

/* One unsigned 64-bit decimal (leading zeros allowed, as Redis takes them) of n bytes at p. */
static int hs_rdec_u64(const char *p, size_t n, uint64_t *v)
{
	*v = 0;
	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned dg = (unsigned)(p[i] - '0');

		if (dg > 9 || *v > (UINT64_MAX - dg) / 10)
			return -1;
		*v = *v * 10 + dg;
	}
	return 0;
}

/* A stream id "ms-seq" (a JSON string) into *id and, canonical, into text. */
static int hs_rdec_id_read(hs_rdec *d, hs_rscan *s, hs_rdec_id *id, char *text)
{
	const char *dash;

	if (hs_rscan_string(s, &d->name))
		return hs_rscan_bad(s, "a stream id that is not a string \"ms-seq\"");
	dash = memchr(d->name.data, '-', d->name.len);
	if (d->name.len > HS_RDEC_ID_MAX || !dash ||
	    hs_rdec_u64(d->name.data, (size_t)(dash - d->name.data), &id->ms) ||
	    hs_rdec_u64(dash + 1, d->name.len - (size_t)(dash + 1 - d->name.data), &id->seq))
		return hs_rscan_bad(s, "a stream id that is not \"ms-seq\" (two unsigned 64-bit numbers)");
	snprintf(text, HS_RDEC_ID_MAX, "%" PRIu64 "-%" PRIu64, id->ms, id->seq);
	return 0;
}

/* "entries": [[id, [f, v, ...]], ...], each handed out as it is read. */
static int hs_rdec_entries(hs_rdec *d, hs_rscan *s, const hs_rdec_sink *k, uint64_t *n, hs_rdec_id *last)
{
	static const char unfit[] = "a stream entry that is not [id, [field, value, ...]]";
	bool first = true, want = k && k->xentry;
	char id[HS_RDEC_ID_MAX];
	int r;

	if (hs_rscan_open(s))
		return hs_rscan_bad(s, "the stream's entries are not an array");
	while ((r = hs_rscan_next(s, &first)) > 0) {
		hs_rdec_id cur;
		bool ffirst = true;
		size_t nf = 0;
		int rf;

		if (hs_rscan_open(s) || hs_rdec_id_read(d, s, &cur, id) || hs_rscan_comma(s) || hs_rscan_open(s))
			return hs_rscan_bad(s, unfit);
		if (hs_rdec_idcmp(&cur, last) <= 0)
			return hs_rscan_bad(s, *n ? "stream entry ids not in increasing order" :
						    "a stream entry id of 0-0 (XADD takes ids above it)");
		*last = cur;
		hs_ritems_reset(&d->fv);
		while ((rf = hs_rscan_next(s, &ffirst)) > 0) {
			if (hs_rscan_bytes(s, want ? &d->a : NULL))
				return hs_rscan_bad(s, unfit);
			if (want)
				hs_ritems_add(&d->fv, d->a.data, d->a.len);
			nf++;
		}
		if (rf < 0 || hs_rscan_close(s))
			return hs_rscan_bad(s, unfit);
		if (!nf || nf % 2)
			return hs_rscan_bad(s, "a stream entry without pairs of fields and values");
		(*n)++;
		if (want && k->xentry(k->ctx, id, &d->fv))
			return HS_RDEC_STOPPED;
	}
	return r < 0 ? hs_rscan_bad(s, unfit) : 0;
}

/* "groups": [{"name", "last_delivered_id", "entries_read"}, ...], kept in d. */
static int hs_rdec_groups(hs_rdec *d, hs_rscan *s)
{
	static const char unfit[] = "a stream group that is not {\"name\", \"last_delivered_id\", \"entries_read\"}";
	bool first = true;
	int r;

	if (hs_rscan_open(s))
		return hs_rscan_bad(s, "the stream's groups are not an array");
	while ((r = hs_rscan_next(s, &first)) > 0) {
		bool mfirst = true, is_null, seen_n = false, seen_l = false, seen_r = false;
		char id[HS_RDEC_ID_MAX];
		hs_rdec_id ld;
		int64_t er = -1;
		int m;

		if (hs_rscan_open_object(s))
			return hs_rscan_bad(s, unfit);
		while ((m = hs_rscan_member(s, &mfirst, &d->b)) > 0) {
			if (!strcmp(d->b.data, "name") && d->b.len == 4 && !seen_n) {
				if (hs_rscan_bytes(s, &d->a))
					return hs_rscan_bad(s, unfit);
				hs_ritems_add(&d->gnames, d->a.data, d->a.len);
				seen_n = true;
			} else if (!strcmp(d->b.data, "last_delivered_id") && d->b.len == 17 && !seen_l) {
				if (hs_rdec_id_read(d, s, &ld, id))
					return -1;
				hs_ritems_add(&d->glds, id, strlen(id) + 1);   /* with its NUL: handed out as a C string */
				seen_l = true;
			} else if (!strcmp(d->b.data, "entries_read") && d->b.len == 12 && !seen_r) {
				if (hs_rscan_uint(s, &er, &is_null))
					return hs_rscan_bad(s, unfit);
				if (is_null)
					er = -1;
				seen_r = true;
			} else {
				return hs_rscan_bad(s, "a stream group with a member unknown or twice");
			}
		}
		if (m < 0 || !seen_n || !seen_l || !seen_r)
			return hs_rscan_bad(s, unfit);
		if (d->gnames.n > d->gcap) {
			d->gcap = d->gnames.n * 2;
			d->gread = hs_xrealloc(d->gread, d->gcap * sizeof(*d->gread));
		}
		d->gread[d->gnames.n - 1] = er;
	}
	return r < 0 ? hs_rscan_bad(s, unfit) : 0;
}

/* A group name: its bytes in d->gnames. */
typedef struct hs_rdec_gname {
	const char *p;
	size_t n;
} hs_rdec_gname;

static int hs_rdec_gname_cmp(const void *x, const void *y)
{
	const hs_rdec_gname *a = x, *b = y;

	return hs_keycmp(a->p, a->n, b->p, b->n);
}

/* True when two groups have one name (XGROUP CREATE refuses the second: BUSYGROUP). */
static bool hs_rdec_groups_repeat(const hs_rdec *d)
{
	hs_rdec_gname *v;
	bool rep = false;
	size_t i;

	if (d->gnames.n < 2)
		return false;
	v = hs_xmalloc(d->gnames.n * sizeof(*v));
	for (i = 0; i < d->gnames.n; i++) {
		v[i].p = hs_ritems_at(&d->gnames, i);
		v[i].n = d->gnames.len[i];
	}
	qsort(v, d->gnames.n, sizeof(*v), hs_rdec_gname_cmp);
	for (i = 1; i < d->gnames.n && !rep; i++)
		rep = !hs_rdec_gname_cmp(&v[i - 1], &v[i]);
	free(v);
	return rep;
}

enum { HS_RDEC_X_LAST = 1, HS_RDEC_X_ADDED = 2, HS_RDEC_X_MAXDEL = 4, HS_RDEC_X_ENTRIES = 8, HS_RDEC_X_GROUPS = 16 };

/* A stream's value: its members in any order, checked against each other, then handed out. */
static int hs_rdec_stream(hs_rdec *d, hs_rscan *s, const hs_rdec_sink *k)
{
	char last_id[HS_RDEC_ID_MAX], maxdel[HS_RDEC_ID_MAX];
	hs_rdec_id lid = { 0, 0 }, mdel = { 0, 0 }, top = { 0, 0 };
	hs_rdec_xmeta m = { NULL, -1, NULL, 0 };
	unsigned seen = 0, bit;
	bool first = true, is_null;
	int r, rc;

	hs_ritems_reset(&d->gnames);
	hs_ritems_reset(&d->glds);
	if (hs_rscan_open_object(s))
		return hs_rscan_bad(s, "the value does not fit type 'stream' ({\"last_id\", \"entries\", \"groups\", ...})");
	while ((r = hs_rscan_member(s, &first, &d->name)) > 0) {
		const char *nm = d->name.len == strlen(d->name.data) ? d->name.data : "";

		bit = !strcmp(nm, "last_id") ? HS_RDEC_X_LAST : !strcmp(nm, "entries_added") ? HS_RDEC_X_ADDED :
		      !strcmp(nm, "max_deleted_id") ? HS_RDEC_X_MAXDEL : !strcmp(nm, "entries") ? HS_RDEC_X_ENTRIES :
		      !strcmp(nm, "groups") ? HS_RDEC_X_GROUPS : 0;
		if (!bit || (seen & bit))
			return hs_rscan_bad(s, "a stream value with a member unknown or twice");
		seen |= bit;
		if (bit == HS_RDEC_X_LAST) {
			if ((rc = hs_rscan_null(s)) < 0)
				return -1;
			if (!rc) {
				if (hs_rdec_id_read(d, s, &lid, last_id))
					return -1;
				m.last_id = last_id;
			}
		} else if (bit == HS_RDEC_X_ADDED) {
			if (hs_rscan_uint(s, &m.entries_added, &is_null) || is_null)
				return hs_rscan_bad(s, "a stream's entries_added that is not an integer >= 0");
		} else if (bit == HS_RDEC_X_MAXDEL) {
			if (hs_rdec_id_read(d, s, &mdel, maxdel))
				return -1;
			m.max_deleted_id = maxdel;
		} else if (bit == HS_RDEC_X_ENTRIES) {
			if ((rc = hs_rdec_entries(d, s, k, &m.entries, &top)))
				return rc;
		} else if ((rc = hs_rdec_groups(d, s))) {
			return rc;
		}
	}
	if (r < 0)
		return hs_rscan_bad(s, "the value does not fit type 'stream' ({\"last_id\", \"entries\", \"groups\", ...})");
	if ((seen & (HS_RDEC_X_LAST | HS_RDEC_X_ENTRIES | HS_RDEC_X_GROUPS)) !=
	    (HS_RDEC_X_LAST | HS_RDEC_X_ENTRIES | HS_RDEC_X_GROUPS))
		return hs_rscan_bad(s, "a stream value without last_id, entries or groups");
	/* what XSETID refuses (it is sent with a last id only) */
	if (m.last_id && m.entries && hs_rdec_idcmp(&lid, &top) < 0)
		return hs_rscan_bad(s, "a stream's last_id below its last entry's id");
	if (m.last_id && m.max_deleted_id && hs_rdec_idcmp(&lid, &mdel) < 0)
		return hs_rscan_bad(s, "a stream's last_id below its max_deleted_id");
	if (m.last_id && m.entries_added >= 0 && (uint64_t)m.entries_added < m.entries)
		return hs_rscan_bad(s, "a stream's entries_added below its number of entries");
	if (hs_rdec_groups_repeat(d))
		return hs_rscan_bad(s, "two stream groups with one name");
	if (k && k->xmeta && k->xmeta(k->ctx, &m))
		return HS_RDEC_STOPPED;
	for (size_t i = 0; k && k->xgroup && i < d->gnames.n; i++) {
		hs_buf_reset(&d->a);
		hs_buf_add(&d->a, hs_ritems_at(&d->gnames, i), d->gnames.len[i]);
		if (k->xgroup(k->ctx, &d->a, hs_ritems_at(&d->glds, i), d->gread[i]))
			return HS_RDEC_STOPPED;
	}
	return 0;
}

/* ---------------------------------------------------------- module dumps */

/* {"$dump": base64 of a DUMP payload}: RESTORE refuses one without its trailer or with a wrong CRC. */
static int hs_rdec_dump(hs_rdec *d, hs_rscan *s, const hs_rdec_sink *k)
{
	static const char unfit[] = "the value of a module type is not {\"$dump\": base64}";
	bool first = true;
	uint64_t crc, want = 0;
	const unsigned char *t;

	if (hs_rscan_open_object(s) || hs_rscan_member(s, &first, &d->name) != 1 || d->name.len != 5 ||
	    memcmp(d->name.data, "$dump", 5) || hs_rscan_string(s, &d->b) ||
	    hs_rscan_member(s, &first, &d->name) != 0)
		return hs_rscan_bad(s, unfit);
	hs_buf_reset(&d->a);
	if (hs_redis_b64_decode(&d->a, d->b.data, d->b.len))
		return hs_rscan_bad(s, "invalid base64 in {\"$dump\": ...}");
	/* DUMP's trailer: 2 bytes of RDB version, then the CRC-64 of all before it, little-endian */
	if (d->a.len < 10)
		return hs_rscan_bad(s, "a DUMP payload shorter than its 10-byte trailer");
	t = (const unsigned char *)d->a.data + d->a.len - 8;
	for (int i = 7; i >= 0; i--)
		want = want << 8 | t[i];
	crc = hs_rdec_crc64(0, d->a.data, d->a.len - 8);
	if (crc != want)
		return hs_rscan_bad(s, "a DUMP payload whose CRC-64 does not match");
	if (k && k->dump && k->dump(k->ctx, &d->a))
		return HS_RDEC_STOPPED;
	return 0;
}

/* ---------------------------------------------------------------- value */

int hs_rdec_value(hs_rdec *d, hs_rscan *s, const hs_rscan_rec *h, const hs_rdec_sink *k)
{
	const char *t = h->type;
	int rc;

	if (!strcmp(t, "string")) {
		bool want = k && k->elem;

		if (hs_rscan_bytes(s, want ? &d->a : NULL))
			rc = hs_rdec_unfit(s, 'S');
		else
			rc = want && k->elem(k->ctx, &d->a, NULL, NULL) ? HS_RDEC_STOPPED : 0;
	} else if (!strcmp(t, "hash") || !strcmp(t, "list") || !strcmp(t, "set") || !strcmp(t, "zset")) {
		rc = hs_rdec_coll(d, s, t[0], k);
	} else if (!strcmp(t, "stream")) {
		rc = hs_rdec_stream(d, s, k);
	} else {
		rc = hs_rdec_dump(d, s, k);
	}
	if (rc)
		return rc;
	return hs_rscan_end(s);
}

/* ---------------------------------------------------------------- entry */

int hs_rdec_entry(hs_rdec *d, hs_reader *rd, const char *name, hs_rscan_rec *h, hs_rdec_rec_fn rec, void *ctx,
		  hs_error *e)
{
	hs_rscan *sc = hs_rscan_new(rd, e);
	uint64_t records = 0;
	int n, ret = -1;

	hs_buf_reset(&d->prev);
	for (;;) {
		if ((n = hs_rscan_head(sc, h)) == 0)
			break;
		if (n < 0 || hs_rdec_value(d, sc, h, NULL))
			goto bad;
		/* restore's merge with the live keys (replace) and diff rely on the order */
		if (records && !hs_rdec_in_order(&d->prev, &h->key)) {
			hs_rscan_bad(sc, "not sorted by key (records come in key byte order, each key once)");
			goto bad;
		}
		hs_buf_reset(&d->prev);
		hs_buf_add(&d->prev, h->key.data, h->key.len);
		records++;
		if (rec && rec(ctx, h, e))
			goto out;
	}
	ret = 0;
	goto out;
bad:
	if (!hs_rscan_ioerr(sc))
		hs_err(e, HS_EXIT_DATA, "%s line %zu: %s", name, hs_rscan_lineno(sc), hs_rscan_why(sc));
out:
	hs_rscan_free(sc);
	return ret;
}
