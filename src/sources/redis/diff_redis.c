/*
 * diff_redis.c - the key-level diff of two redis/db<N>.jsonl entries.
 *
 * Both files hold one record per key sorted by key bytes (docs/redis.md),
 * so one streaming merge finds the keys only in A (removed), only in B
 * (added) and in both with a different type, value or expiry (changed).
 * Only the current record of each side is held in memory.
 *
 * Every record is read by the one decoder of the format (restore/
 * redis_scan.h, redis_decode.h), which restore's verifying pass and apply
 * use too: diff refuses (65) exactly the records restore refuses, with the
 * same reason.  Most records of B are byte for byte the record of A they
 * are compared with, or that record with another expiry (a key with a TTL
 * is written with the capture's clock, so its line differs by a few ms from
 * one snapshot to the next); such a line reads as A's did, so it is not
 * decoded again: only its expiry's token is, by the decoder's own rule
 * (hs_rscan_expiry).  Two records of one key are equal when their lines
 * are; else type and expiry are compared, and the values by their text
 * and, when that differs, by what the decoder reads from them (a string
 * and its {"$base64"} form are the same bytes; 1.5 and 1.50 the same score).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "buf.h"
#include "diff.h"
#include "linereader.h"
#include "redis_common.h"
#include "redis_decode.h"
#include "redis_scan.h"

/*
 * One side of the merge: its reader, current line (in the reader's window,
 * valid until the side's next line) and that line's record head as the
 * decoder read it (its key is copied: it outlives the line as prev).
 */
typedef struct hs_rdiff_side {
	hs_linereader *lr;
	const char *which;  /* "A" or "B", for errors */
	const char *line;
	unsigned long lineno;
	bool have;          /* a current record (false at the end) */
	size_t len;         /* its line's length, with its '\n' */
	hs_rscan_rec h;     /* its head: key bytes, type, expiry, where the value starts */
	hs_buf prev;        /* the previous key's bytes, for the order check */
} hs_rdiff_side;

/* What the two sides share: the decoder and the canonical forms of two values. */
typedef struct hs_rdiff {
	const char *name;
	hs_rscan *sc;
	hs_rdec *dec;
	hs_buf ca, cb;
} hs_rdiff;

static int hs_rdiff_bad(const hs_rdiff *x, const hs_rdiff_side *s, const char *why, hs_error *e)
{
	return hs_err(e, HS_EXIT_DATA, "cannot diff '%s' of %s: line %lu: %s", x->name, s->which, s->lineno, why);
}

/* Copy a head (its key's bytes too). */
static void hs_rdiff_head_copy(hs_rscan_rec *dst, const hs_rscan_rec *src)
{
	hs_buf key = dst->key;

	*dst = *src;
	hs_buf_reset(&key);
	hs_buf_add(&key, src->key.data, src->key.len);
	dst->key = key;
}

/*
 * s's line is o's (the record it is compared with) but for the token of
 * the expiry: then it reads as o's line does with that expiry, and s's head
 * is o's with the expiry taken from the token (checked by the decoder's
 * rule).  False when the lines differ otherwise, or the token does not
 * pass: the line is then decoded.
 */
static bool hs_rdiff_like(hs_rdiff_side *s, const hs_rdiff_side *o)
{
	size_t at = (size_t)o->h.exp_at, ol = o->h.exp_len, tl = 0;
	const char *why;
	bool has;
	int64_t ms;

	if (!ol || s->len <= at || memcmp(s->line, o->line, at))
		return false;
	if (s->line[at] == 'n')
		tl = s->len - at >= 4 ? 4 : 0;
	else
		while (at + tl < s->len && s->line[at + tl] >= '0' && s->line[at + tl] <= '9')
			tl++;
	if (!tl || s->len - (at + tl) != o->len - (at + ol) ||
	    memcmp(s->line + at + tl, o->line + at + ol, s->len - (at + tl)) ||
	    hs_rscan_expiry(s->line + at, tl, &has, &ms, &why))
		return false;
	hs_rdiff_head_copy(&s->h, &o->h);
	s->h.has_exp = has;
	s->h.exp_ms = ms;
	s->h.exp_len = tl;
	s->h.value_at = o->h.value_at - ol + tl;
	return true;
}

/* Decode s's line whole (sink k, NULL: checked only) into its head h; HS_EXIT_DATA when it is refused. */
static int hs_rdiff_decode(hs_rdiff *x, const hs_rdiff_side *s, hs_rscan_rec *h, const hs_rdec_sink *k,
			   hs_error *e)
{
	int n;

	hs_rscan_set_mem(x->sc, s->line, s->len, s->lineno);
	if ((n = hs_rscan_head(x->sc, h)) != 1 || hs_rdec_value(x->dec, x->sc, h, k))
		return hs_rdiff_bad(x, s, hs_rscan_why(x->sc), e);
	return 0;
}

/*
 * Read the next record of a side (s->have false at the end): its head, as
 * the decoder reads it, or as the line o (the other side's current one)
 * was read when the two lines are alike.
 */
static int hs_rdiff_next(hs_rdiff *x, hs_rdiff_side *s, const hs_rdiff_side *o, hs_error *e)
{
	size_t n;
	hs_buf t;
	int got;

	/* the key becomes the previous key: swap the buffers, no copy */
	t = s->prev;
	s->prev = s->h.key;
	s->h.key = t;
	got = hs_lr_line(s->lr, &s->line, &n, e);
	s->have = got == 1;
	if (got < 0)
		return hs_err_prefix(e, "cannot diff '%s'", x->name);
	if (!got)
		return 0;
	s->len = n;
	s->lineno++;
	if (o && o->have && o->len == n && !memcmp(o->line, s->line, n))
		hs_rdiff_head_copy(&s->h, &o->h);
	else if (!(o && o->have && hs_rdiff_like(s, o)) && hs_rdiff_decode(x, s, &s->h, NULL, e))
		return -1;
	if (s->lineno > 1 && !hs_rdec_in_order(&s->prev, &s->h.key))
		return hs_err(e, HS_EXIT_DATA, "cannot diff '%s' of %s: line %lu is not sorted by key",
			      x->name, s->which, s->lineno);
	return 0;
}

/* ------------------------------------------------- comparing two values */

/* Append one item to a canonical form: a tag, the length, the bytes. */
static void hs_rdiff_canon_add(hs_buf *c, char tag, const void *p, size_t n)
{
	uint64_t len = n;

	hs_buf_addc(c, tag);
	hs_buf_add(c, &len, sizeof(len));
	if (n)
		hs_buf_add(c, p, n);
}

static int hs_rdiff_c_elem(void *ctx, const hs_buf *a, const hs_buf *b, const char *score)
{
	hs_buf *c = ctx;

	hs_rdiff_canon_add(c, 'a', a->data, a->len);
	if (b)
		hs_rdiff_canon_add(c, 'b', b->data, b->len);
	if (score) {
		double d = strtod(score, NULL);

		if (d == 0)   /* -0 and 0: one score */
			d = 0;
		hs_rdiff_canon_add(c, 's', &d, sizeof(d));
	}
	return 0;
}

static int hs_rdiff_c_xentry(void *ctx, const char *id, const hs_ritems *fv)
{
	hs_buf *c = ctx;

	hs_rdiff_canon_add(c, 'E', id, strlen(id));
	for (size_t i = 0; i < fv->n; i++)
		hs_rdiff_canon_add(c, 'f', hs_ritems_at(fv, i), fv->len[i]);
	return 0;
}

static int hs_rdiff_c_xmeta(void *ctx, const hs_rdec_xmeta *m)
{
	hs_buf *c = ctx;

	hs_rdiff_canon_add(c, 'L', m->last_id ? m->last_id : "", m->last_id ? strlen(m->last_id) : 0);
	hs_rdiff_canon_add(c, 'N', &m->entries_added, sizeof(m->entries_added));
	hs_rdiff_canon_add(c, 'X', m->max_deleted_id ? m->max_deleted_id : "",
			   m->max_deleted_id ? strlen(m->max_deleted_id) : 0);
	return 0;
}

static int hs_rdiff_c_xgroup(void *ctx, const hs_buf *name, const char *ld, int64_t entries_read)
{
	hs_buf *c = ctx;

	hs_rdiff_canon_add(c, 'G', name->data, name->len);
	hs_rdiff_canon_add(c, 'l', ld, strlen(ld));
	hs_rdiff_canon_add(c, 'r', &entries_read, sizeof(entries_read));
	return 0;
}

static int hs_rdiff_c_dump(void *ctx, const hs_buf *payload)
{
	hs_rdiff_canon_add(ctx, 'D', payload->data, payload->len);
	return 0;
}

/* The canonical form of s's value (what the decoder reads from it) into c. */
static int hs_rdiff_canon(hs_rdiff *x, const hs_rdiff_side *s, hs_buf *c, hs_error *e)
{
	hs_rscan_rec h = HS_RSCAN_REC_INIT;
	hs_rdec_sink k = { c, hs_rdiff_c_elem, hs_rdiff_c_xentry, hs_rdiff_c_xmeta, hs_rdiff_c_xgroup,
			   hs_rdiff_c_dump };
	int rc;

	hs_buf_reset(c);
	rc = hs_rdiff_decode(x, s, &h, &k, e);
	hs_rscan_rec_release(&h);
	return rc;
}

/* Which of type, value, expire_at_ms differ between two records of one key (lines not equal); NULL when none. */
static int hs_rdiff_fields(hs_rdiff *x, const hs_rdiff_side *a, const hs_rdiff_side *b, long long tol,
			   json_t **out, hs_error *e)
{
	size_t va = a->len - (size_t)a->h.value_at, vb = b->len - (size_t)b->h.value_at;
	bool type, value, exp;

	*out = NULL;
	type = strcmp(a->h.type, b->h.type) != 0;
	if (a->h.has_exp != b->h.has_exp) {
		exp = true;
	} else {
		long long d = a->h.exp_ms - b->h.exp_ms;

		exp = a->h.has_exp && (d > tol || -d > tol);
	}
	value = va != vb || memcmp(a->line + a->h.value_at, b->line + b->h.value_at, va);
	if (value && !type) {   /* another text may be the same value */
		if (hs_rdiff_canon(x, a, &x->ca, e) || hs_rdiff_canon(x, b, &x->cb, e))
			return -1;
		value = x->ca.len != x->cb.len || memcmp(x->ca.data, x->cb.data, x->ca.len);
	}
	if (type || value || exp) {
		*out = json_array();
		if (type)
			json_array_append_new(*out, json_string("type"));
		if (value)
			json_array_append_new(*out, json_string("value"));
		if (exp)
			json_array_append_new(*out, json_string("expire_at_ms"));
	}
	return 0;
}

/* A key as the archive writes it: a JSON string when it is UTF-8, else {"$base64": ...}. */
static json_t *hs_rdiff_key_json(const hs_buf *key)
{
	hs_buf b = HS_BUF_INIT;
	json_t *j;

	if (hs_redis_utf8_valid(key->data, key->len))
		return json_stringn(key->data, key->len);
	hs_redis_b64_encode(&b, key->data, key->len);
	j = json_pack("{s:s%}", "$base64", b.data, b.len);
	hs_buf_release(&b);
	return j;
}

/* Append an item to out's "items" when details are wanted and room is left. */
static void hs_rdiff_item(json_t *out, const hs_diff_opts *opts, const hs_rdiff_side *s,
			  const char *change, json_t *fields)
{
	json_t *items = json_object_get(out, "items");
	json_t *it;

	if (!opts->details || json_array_size(items) >= opts->limit) {
		json_decref(fields);
		return;
	}
	it = json_pack("{s:o, s:s}", "key", hs_rdiff_key_json(&s->h.key), "change", change);
	if (fields)
		json_object_set_new(it, "fields", fields);
	json_array_append_new(items, it);
}

/* The patterns to count changes by (hs_diff_redis_by_pattern). */
typedef struct hs_rdiff_pats {
	char *const *v;
	size_t n;
} hs_rdiff_pats;

/*
 * Redis's glob match (stringmatchlen in util.c) on bytes: * ? [...] with
 * ranges and ^, \ escapes.  Patterns are NUL-terminated, keys are not.
 */
static bool hs_rdiff_glob(const char *p, const char *s, size_t n)
{
	while (*p) {
		switch (*p) {
		case '*':
			while (p[1] == '*')
				p++;
			if (!p[1])
				return true;
			for (;;) {
				if (hs_rdiff_glob(p + 1, s, n))
					return true;
				if (!n)
					return false;
				s++;
				n--;
			}
		case '?':
			if (!n)
				return false;
			s++;
			n--;
			break;
		case '[': {
			bool neg, match = false;

			if (!n)
				return false;
			p++;
			neg = *p == '^';
			if (neg)
				p++;
			while (*p && *p != ']') {
				if (*p == '\\' && p[1]) {
					p++;
					match |= *p == *s;
				} else if (p[1] == '-' && p[2] && p[2] != ']') {
					unsigned char lo = (unsigned char)p[0], hi = (unsigned char)p[2], c = (unsigned char)*s;

					if (lo > hi) {
						unsigned char t = lo;

						lo = hi;
						hi = t;
					}
					match |= c >= lo && c <= hi;
					p += 2;
				} else {
					match |= *p == *s;
				}
				p++;
			}
			if (match == neg)
				return false;
			if (!*p)
				p--; /* an unclosed class ends the pattern */
			s++;
			n--;
			break;
		}
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (!n || *p != *s)
				return false;
			s++;
			n--;
			break;
		}
		p++;
	}
	return n == 0;
}

/*
 * Bump a counter of out, and of the first profile pattern the key matches
 * (or "(other)") in counts: pattern -> {"added","removed","changed"}.
 */
static void hs_rdiff_count(json_t *out, const char *what, const hs_rdiff_pats *pp, json_t *counts,
			   const hs_buf *key)
{
	const char *pat = "(other)";
	json_t *c;
	size_t i;

	json_object_set_new(out, what, json_integer(json_integer_value(json_object_get(out, what)) + 1));
	if (!pp)
		return;
	for (i = 0; i < pp->n; i++)
		if (hs_rdiff_glob(pp->v[i], key->data ? key->data : "", key->len)) {
			pat = pp->v[i];
			break;
		}
	c = json_object_get(counts, pat);
	if (!c) {
		c = json_pack("{s:s, s:i, s:i, s:i}", "pattern", pat, "added", 0, "removed", 0, "changed", 0);
		json_object_set_new(counts, pat, c);
	}
	json_object_set_new(c, what, json_integer(json_integer_value(json_object_get(c, what)) + 1));
}

/* counts (pattern -> record) as out's "patterns" array, in profile order, "(other)" last. */
static void hs_rdiff_patterns(json_t *out, const hs_rdiff_pats *pp, const json_t *counts)
{
	json_t *arr = json_array(), *c;
	size_t i;

	for (i = 0; i < pp->n; i++)
		if ((c = json_object_get(counts, pp->v[i])))
			json_array_append(arr, c);
	if ((c = json_object_get(counts, "(other)")))
		json_array_append(arr, c);
	json_object_set_new(out, "patterns", arr);
}

/* The merge of hs_diff_redis, counting per pattern when pp is not NULL. */
static int hs_rdiff_run(hs_linereader *a, hs_linereader *b, const char *name, const hs_diff_opts *opts,
			const hs_rdiff_pats *pp, json_t *out, hs_error *e)
{
	hs_rdiff_side sa = { .lr = a, .which = "A" }, sb = { .lr = b, .which = "B" };
	hs_rdiff x = { name, hs_rscan_new_mem(), hs_rdec_new(), HS_BUF_INIT, HS_BUF_INIT };
	json_t *counts = json_object();
	int rc = -1;

	hs_buf_init(&sa.h.key);
	hs_buf_init(&sa.prev);
	hs_buf_init(&sb.h.key);
	hs_buf_init(&sb.prev);
	json_object_set_new(out, "added", json_integer(0));
	json_object_set_new(out, "removed", json_integer(0));
	json_object_set_new(out, "changed", json_integer(0));
	json_object_set_new(out, "items", json_array());

	/* B's line is compared with A's current one: A reads first */
	if (hs_rdiff_next(&x, &sa, NULL, e) || hs_rdiff_next(&x, &sb, &sa, e))
		goto out;
	while (sa.have || sb.have) {
		int c = !sa.have ? 1 : !sb.have ? -1 : hs_keycmp(sa.h.key.data, sa.h.key.len, sb.h.key.data,
								       sb.h.key.len);

		if (c < 0) {
			hs_rdiff_count(out, "removed", pp, counts, &sa.h.key);
			hs_rdiff_item(out, opts, &sa, "removed", NULL);
			if (hs_rdiff_next(&x, &sa, NULL, e))
				goto out;
		} else if (c > 0) {
			hs_rdiff_count(out, "added", pp, counts, &sb.h.key);
			hs_rdiff_item(out, opts, &sb, "added", NULL);
			if (hs_rdiff_next(&x, &sb, &sa, e))
				goto out;
		} else {
			json_t *fields = NULL;

			if ((sa.len != sb.len || memcmp(sa.line, sb.line, sa.len)) &&
			    hs_rdiff_fields(&x, &sa, &sb, opts->ttl_tolerance_ms, &fields, e))
				goto out;
			if (fields) {
				hs_rdiff_count(out, "changed", pp, counts, &sb.h.key);
				hs_rdiff_item(out, opts, &sb, "changed", fields);
			}
			if (hs_rdiff_next(&x, &sa, NULL, e) || hs_rdiff_next(&x, &sb, &sa, e))
				goto out;
		}
	}
	if (pp)
		hs_rdiff_patterns(out, pp, counts);
	rc = 0;
out:
	json_decref(counts);
	hs_rscan_free(x.sc);
	hs_rdec_free(x.dec);
	hs_buf_release(&x.ca);
	hs_buf_release(&x.cb);
	hs_rscan_rec_release(&sa.h);
	hs_buf_release(&sa.prev);
	hs_rscan_rec_release(&sb.h);
	hs_buf_release(&sb.prev);
	return rc;
}

/* The FILE entry points: the same merge over a reader of each stream. */
static int hs_rdiff_files(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts,
			  const hs_rdiff_pats *pp, json_t *out, hs_error *e)
{
	hs_linereader *la = hs_lr_new(hs_lr_read_file, a, 0), *lb = hs_lr_new(hs_lr_read_file, b, 0);
	int rc = hs_rdiff_run(la, lb, name, opts, pp, out, e);

	hs_lr_free(la);
	hs_lr_free(lb);
	return rc;
}

/* See diff.h. */
int hs_diff_redis(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts, json_t *out,
		  hs_error *e)
{
	return hs_rdiff_files(a, b, name, opts, NULL, out, e);
}

/* See diff.h. */
int hs_diff_redis_by_pattern(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts,
			     char *const *patterns, size_t n_patterns, json_t *out, hs_error *e)
{
	hs_rdiff_pats pp = { patterns, n_patterns };

	return hs_rdiff_files(a, b, name, opts, &pp, out, e);
}

/* See diff.h. */
int hs_diff_redis_lr(hs_linereader *a, hs_linereader *b, const char *name, const hs_diff_opts *opts,
		     char *const *patterns, size_t n_patterns, json_t *out, hs_error *e)
{
	hs_rdiff_pats pp = { patterns, n_patterns };

	return hs_rdiff_run(a, b, name, opts, &pp, out, e);
}
