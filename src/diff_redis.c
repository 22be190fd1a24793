/*
 * diff_redis.c - the key-level diff of two redis/db<N>.jsonl entries.
 *
 * Both files hold one record per key sorted by key bytes (docs/redis.md),
 * so one streaming merge finds the keys only in A (removed), only in B
 * (added) and in both with a different type, value or expiry (changed).
 * Only the current record of each side is held in memory.
 *
 * Most records are equal, so a record is parsed only when it must be: the
 * key of a line that starts {"key":"<no backslash>" is read off the line,
 * two byte-equal lines are equal records, two lines equal but for an
 * expire_at_ms within the tolerance are too (a key with a TTL is written
 * with the capture's clock, so its line differs by a few ms from one
 * snapshot to the next), and only changed records (and keys with escapes)
 * go through jansson (1M records: 7.0 s -> 1.2 s; the large seed's
 * Redis, 1M keys most with a TTL: 6.7 s -> see docs/BENCHMARKS.md).
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "buf.h"
#include "diff.h"
#include "linereader.h"

/*
 * One side of the merge: its reader, current record and the key's bytes.
 * The line lies in the reader's window (valid until the side's next
 * line); the key is copied, since it outlives the line as the previous
 * key.
 */
typedef struct hs_rdiff_side {
	hs_linereader *lr;
	const char *line;
	unsigned long lineno;
	bool have;          /* a current record (false at the end) */
	size_t len;         /* its line's length, with its '\n' */
	size_t keyend;      /* the offset after the key read off the line, else 0 */
	json_t *rec;        /* the line parsed, or NULL until needed */
	hs_buf key;         /* its key's bytes */
	hs_buf prev;        /* the previous key's bytes, for the order check */
} hs_rdiff_side;

/*
 * The bytes of a key: a JSON string's bytes (NULs included) or the
 * decoded {"$base64": ...}.  Returns 0, or -1 when it is neither.
 */
static int hs_rdiff_key_bytes(const json_t *key, hs_buf *out)
{
	const char *b64;
	size_t n;
	int len;

	hs_buf_reset(out);
	if (json_is_string(key)) {
		hs_buf_add(out, json_string_value(key), json_string_length(key));
		return 0;
	}
	b64 = json_string_value(json_object_get(key, "$base64"));
	if (!b64)
		return -1;
	n = strlen(b64);
	if (n % 4 || n > (size_t)INT32_MAX)
		return -1;
	hs_buf_grow(out, n / 4 * 3 + 1);
	len = EVP_DecodeBlock((unsigned char *)out->data, (const unsigned char *)b64, (int)n);
	if (len < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes */
	if (n >= 1 && b64[n - 1] == '=')
		len--;
	if (n >= 2 && b64[n - 2] == '=')
		len--;
	out->len = (size_t)len;
	out->data[out->len] = '\0';
	return 0;
}

/* Compare two byte strings as memcmp order, shorter first on a tie. */
static int hs_rdiff_cmp(const hs_buf *x, const hs_buf *y)
{
	size_t n = x->len < y->len ? x->len : y->len;
	int c = n ? memcmp(x->data, y->data, n) : 0;

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Parse the current line into s->rec unless done; HS_EXIT_DATA when it is no record. */
static int hs_rdiff_parse(hs_rdiff_side *s, const char *name, const char *which, hs_error *e)
{
	json_error_t jerr;

	if (s->rec)
		return 0;
	/* NUL bytes are written as \u0000 (the restore reads them the same way) */
	s->rec = json_loadb(s->line, s->len, JSON_ALLOW_NUL, &jerr);
	if (!json_is_object(s->rec) || !json_object_get(s->rec, "key"))
		return hs_err(e, HS_EXIT_DATA, "cannot diff '%s' of %s: line %lu is not a Redis record",
			      name, which, s->lineno);
	return 0;
}

/* Read the next record of a side (s->have false at the end) and its key. */
static int hs_rdiff_next(hs_rdiff_side *s, const char *name, const char *which, hs_error *e)
{
	static const char head[] = "{\"key\":\"";
	const char *q;
	size_t n;
	hs_buf t;
	int got;

	json_decref(s->rec);
	s->rec = NULL;
	/* the key becomes the previous key: swap the buffers, no copy */
	t = s->prev;
	s->prev = s->key;
	s->key = t;
	got = hs_lr_line(s->lr, &s->line, &n, e);
	s->have = got == 1;
	s->keyend = 0;
	if (got < 0)
		return hs_err_prefix(e, "cannot diff '%s'", name);
	if (!got)
		return 0;
	s->len = n;
	s->lineno++;
	q = n > sizeof(head) - 1 && !memcmp(s->line, head, sizeof(head) - 1)
		    ? memchr(s->line + sizeof(head) - 1, '"', n - (sizeof(head) - 1))
		    : NULL;
	if (q && !memchr(s->line + sizeof(head) - 1, '\\', (size_t)(q - s->line) - (sizeof(head) - 1))) {
		s->keyend = (size_t)(q - s->line) + 1;
		hs_buf_reset(&s->key);
		hs_buf_add(&s->key, s->line + sizeof(head) - 1, (size_t)(q - s->line) - (sizeof(head) - 1));
	} else if (hs_rdiff_parse(s, name, which, e)) {
		return -1;
	} else if (hs_rdiff_key_bytes(json_object_get(s->rec, "key"), &s->key)) {
		return hs_err(e, HS_EXIT_DATA, "cannot diff '%s' of %s: line %lu is not a Redis record",
			      name, which, s->lineno);
	}
	if (s->lineno > 1 && hs_rdiff_cmp(&s->prev, &s->key) >= 0)
		return hs_err(e, HS_EXIT_DATA, "cannot diff '%s' of %s: line %lu is not sorted by key",
			      name, which, s->lineno);
	return 0;
}

/*
 * Where ,"expire_at_ms": is in a record line, or NULL.  The writer puts the
 * members in the order key, type, expire_at_ms, value
 * (snapshot/redis_record.c), so after a key read off the line (keyend) it
 * is found by position: ,"type":"<type>" then the tag.  Otherwise (a key
 * with escapes, another shape) the first occurrence is searched: ,"
 * cannot occur inside the key or type string (a quote in a JSON string is
 * escaped), so it is the member, the same place either way.
 */
static const char *hs_rdiff_expiry_tag(const char *line, size_t n, size_t keyend)
{
	static const char ty[] = ",\"type\":\"", tag[] = ",\"expire_at_ms\":";
	const char *p = line + keyend, *end = line + n, *q;

	if (keyend && (size_t)(end - p) > sizeof(ty) - 1 && !memcmp(p, ty, sizeof(ty) - 1)) {
		p += sizeof(ty) - 1;
		q = memchr(p, '"', (size_t)(end - p) < 32 ? (size_t)(end - p) : 32);
		if (q && !memchr(p, '\\', (size_t)(q - p)) && (size_t)(end - q - 1) >= sizeof(tag) - 1 &&
		    !memcmp(q + 1, tag, sizeof(tag) - 1))
			return q + 1;
	}
	return memmem(line, n, tag, sizeof(tag) - 1);
}

/*
 * Where a record line's expiry is: the offset of the value after
 * ,"expire_at_ms": and the offset of the ,"value": that follows it, with
 * the expiry (-1 for null); see hs_rdiff_expiry_tag.  False when the line
 * is not in that shape.
 */
static bool hs_rdiff_expiry(const char *line, size_t n, size_t keyend, size_t *at, size_t *value,
			    long long *exp)
{
	static const char tag[] = ",\"expire_at_ms\":", val[] = ",\"value\":";
	const char *p = hs_rdiff_expiry_tag(line, n, keyend), *q, *end = line + n;
	long long v = 0;

	if (!p)
		return false;
	q = p + sizeof(tag) - 1;
	*at = (size_t)(q - line);
	if (end - q >= 4 && !memcmp(q, "null", 4)) {
		v = -1;
		q += 4;
	} else {
		const char *d = q;

		while (q < end && *q >= '0' && *q <= '9' && q - d < 18)
			v = v * 10 + (*q++ - '0');
		/* no digits, too many, or a leading zero (no JSON: the parse refuses it) */
		if (q == d || (q < end && *q >= '0' && *q <= '9') || (*d == '0' && q - d > 1))
			return false;
	}
	if ((size_t)(end - q) < sizeof(val) - 1 || memcmp(q, val, sizeof(val) - 1))
		return false;
	*value = (size_t)(q - line);
	*exp = v;
	return true;
}

/*
 * True when two different lines are the same record but for an expiry
 * within tol ms: the parts before and after the expiry are byte-equal and
 * both expiries are numbers.  False means "parse them".
 */
static bool hs_rdiff_same_but_expiry(const hs_rdiff_side *a, const hs_rdiff_side *b, long long tol)
{
	size_t aa, av, ba, bv;
	long long ea, eb, d;

	if (!hs_rdiff_expiry(a->line, a->len, a->keyend, &aa, &av, &ea) ||
	    !hs_rdiff_expiry(b->line, b->len, b->keyend, &ba, &bv, &eb))
		return false;
	if (ea < 0 || eb < 0 || aa != ba || a->len - av != b->len - bv)
		return false;
	d = ea - eb;
	if (d > tol || -d > tol)
		return false;
	return !memcmp(a->line, b->line, aa) && !memcmp(a->line + av, b->line + bv, a->len - av);
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
	/* a key read off the line had no escapes: its bytes are the UTF-8 text */
	it = json_pack("{s:o, s:s}", "key",
		       s->rec ? json_incref(json_object_get(s->rec, "key")) : json_stringn(s->key.data, s->key.len),
		       "change", change);
	if (fields)
		json_object_set_new(it, "fields", fields);
	json_array_append_new(items, it);
}

/* Which of type, value, expire_at_ms differ; NULL when none. */
static json_t *hs_rdiff_fields(const json_t *x, const json_t *y, long long tol)
{
	static const char *const keys[] = { "type", "value", "expire_at_ms" };
	json_t *f = NULL;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const json_t *vx = json_object_get(x, keys[i]), *vy = json_object_get(y, keys[i]);

		if (i == 2 && json_is_integer(vx) && json_is_integer(vy)) {
			long long d = (long long)json_integer_value(vx) - (long long)json_integer_value(vy);

			if (d <= tol && -d <= tol)
				continue;
		}
		if ((vx == NULL) != (vy == NULL) || (vx && !json_equal(vx, vy))) {
			if (!f)
				f = json_array();
			json_array_append_new(f, json_string(keys[i]));
		}
	}
	return f;
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
	hs_rdiff_side sa = { .lr = a }, sb = { .lr = b };
	json_t *counts = json_object();
	int rc = -1;

	hs_buf_init(&sa.key);
	hs_buf_init(&sa.prev);
	hs_buf_init(&sb.key);
	hs_buf_init(&sb.prev);
	json_object_set_new(out, "added", json_integer(0));
	json_object_set_new(out, "removed", json_integer(0));
	json_object_set_new(out, "changed", json_integer(0));
	json_object_set_new(out, "items", json_array());

	if (hs_rdiff_next(&sa, name, "A", e) || hs_rdiff_next(&sb, name, "B", e))
		goto out;
	while (sa.have || sb.have) {
		int c = !sa.have ? 1 : !sb.have ? -1 : hs_rdiff_cmp(&sa.key, &sb.key);

		if (c < 0) {
			hs_rdiff_count(out, "removed", pp, counts, &sa.key);
			hs_rdiff_item(out, opts, &sa, "removed", NULL);
			if (hs_rdiff_next(&sa, name, "A", e))
				goto out;
		} else if (c > 0) {
			hs_rdiff_count(out, "added", pp, counts, &sb.key);
			hs_rdiff_item(out, opts, &sb, "added", NULL);
			if (hs_rdiff_next(&sb, name, "B", e))
				goto out;
		} else {
			json_t *fields = NULL;

			if ((sa.len != sb.len || memcmp(sa.line, sb.line, sa.len)) &&
			    !hs_rdiff_same_but_expiry(&sa, &sb, opts->ttl_tolerance_ms)) {
				if (hs_rdiff_parse(&sa, name, "A", e) || hs_rdiff_parse(&sb, name, "B", e))
					goto out;
				fields = hs_rdiff_fields(sa.rec, sb.rec, opts->ttl_tolerance_ms);
			}
			if (fields) {
				hs_rdiff_count(out, "changed", pp, counts, &sb.key);
				hs_rdiff_item(out, opts, &sb, "changed", fields);
			}
			if (hs_rdiff_next(&sa, name, "A", e) || hs_rdiff_next(&sb, name, "B", e))
				goto out;
		}
	}
	if (pp)
		hs_rdiff_patterns(out, pp, counts);
	rc = 0;
out:
	json_decref(counts);
	json_decref(sa.rec);
	json_decref(sb.rec);
	hs_buf_release(&sa.key);
	hs_buf_release(&sa.prev);
	hs_buf_release(&sb.key);
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
