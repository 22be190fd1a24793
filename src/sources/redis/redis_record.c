/*
 * redis_record.c - the byte-exact JSON encoding of redis/db<N>.jsonl
 * records (format in docs/redis.md, schema schemas/redis-record.schema.json).
 *
 * Records are written by hand into a hs_buf rather than through a jansson
 * tree: a key of a million fields would cost a few hundred bytes per field
 * as jansson objects, and the output order must be exact anyway.  They are
 * read back with jansson (JSON_ALLOW_NUL) by the restore.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_common.h"

/* Validate UTF-8 as RFC 3629: no overlong forms, no surrogates, <= U+10FFFF. */
bool hs_redis_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t need;
		unsigned cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

static const char hs_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void hs_redis_b64_encode(hs_buf *out, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i;

	hs_buf_grow(out, (n + 2) / 3 * 4);
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		hs_buf_addc(out, hs_b64[v >> 18]);
		hs_buf_addc(out, hs_b64[(v >> 12) & 63]);
		hs_buf_addc(out, hs_b64[(v >> 6) & 63]);
		hs_buf_addc(out, hs_b64[v & 63]);
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		hs_buf_addc(out, hs_b64[v >> 18]);
		hs_buf_addc(out, hs_b64[(v >> 12) & 63]);
		hs_buf_adds(out, "==");
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		hs_buf_addc(out, hs_b64[v >> 18]);
		hs_buf_addc(out, hs_b64[(v >> 12) & 63]);
		hs_buf_addc(out, hs_b64[(v >> 6) & 63]);
		hs_buf_addc(out, '=');
	}
}

static int hs_b64_val(int c)
{
	const char *q;

	if (!c)
		return -1;
	q = strchr(hs_b64, c);
	return q ? (int)(q - hs_b64) : -1;
}

/* Strict decoding: length a multiple of 4, padding only at the end. */
int hs_redis_b64_decode(hs_buf *out, const char *p, size_t n)
{
	size_t i;

	if (n % 4)
		return -1;
	for (i = 0; i < n; i += 4) {
		int a = hs_b64_val((unsigned char)p[i]), b = hs_b64_val((unsigned char)p[i + 1]);
		int c, d;
		bool last = i + 4 == n;

		if (a < 0 || b < 0)
			return -1;
		if (last && p[i + 2] == '=' && p[i + 3] == '=') {
			hs_buf_addc(out, (char)(a << 2 | b >> 4));
			break;
		}
		c = hs_b64_val((unsigned char)p[i + 2]);
		if (c < 0)
			return -1;
		if (last && p[i + 3] == '=') {
			hs_buf_addc(out, (char)(a << 2 | b >> 4));
			hs_buf_addc(out, (char)((b & 15) << 4 | c >> 2));
			break;
		}
		d = hs_b64_val((unsigned char)p[i + 3]);
		if (d < 0)
			return -1;
		hs_buf_addc(out, (char)(a << 2 | b >> 4));
		hs_buf_addc(out, (char)((b & 15) << 4 | c >> 2));
		hs_buf_addc(out, (char)((c & 3) << 6 | d));
	}
	return 0;
}

/* Append a JSON string of valid UTF-8 bytes, escaping what JSON requires. */
static void hs_redis_json_str(hs_buf *out, const char *p, size_t n)
{
	size_t i, run = 0;

	hs_buf_grow(out, n + 2);
	hs_buf_addc(out, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		hs_buf_add(out, p + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': hs_buf_adds(out, "\\\""); break;
		case '\\': hs_buf_adds(out, "\\\\"); break;
		case '\n': hs_buf_adds(out, "\\n"); break;
		case '\r': hs_buf_adds(out, "\\r"); break;
		case '\t': hs_buf_adds(out, "\\t"); break;
		default: hs_buf_addf(out, "\\u%04x", c); break;
		}
	}
	hs_buf_add(out, p + run, n - run);
	hs_buf_addc(out, '"');
}

void hs_redis_json_bytes(hs_buf *out, const char *p, size_t n)
{
	if (hs_redis_utf8_valid(p, n)) {
		hs_redis_json_str(out, p, n);
		return;
	}
	hs_buf_adds(out, "{\"$base64\":\"");
	hs_redis_b64_encode(out, p, n);
	hs_buf_adds(out, "\"}");
}

void hs_redis_score_format(double d, char *buf, size_t n)
{
	int prec;

	if (isinf(d)) {
		snprintf(buf, n, "%s", d > 0 ? "inf" : "-inf");
		return;
	}
	/* the shortest of %.15g..%.17g that reads back to the same double */
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, n, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, n, "%.17g", d);
}

int hs_redis_json_score(hs_buf *out, const char *text, size_t n)
{
	char tmp[64], *end;
	double d;

	if (!n || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, text, n);
	tmp[n] = '\0';
	d = strtod(tmp, &end);
	if (*end || isnan(d))
		return -1;
	if (isinf(d)) {
		hs_buf_adds(out, d > 0 ? "\"inf\"" : "\"-inf\"");
		return 0;
	}
	hs_redis_score_format(d, tmp, sizeof(tmp));
	hs_buf_adds(out, tmp);
	return 0;
}

int hs_redis_bytes_from_json(const json_t *v, hs_buf *out)
{
	hs_buf_reset(out);
	if (json_is_string(v)) {
		hs_buf_add(out, json_string_value(v), json_string_length(v));
		return 0;
	}
	if (json_is_object(v) && json_object_size(v) == 1) {
		const json_t *b = json_object_get(v, "$base64");

		if (json_is_string(b))
			return hs_redis_b64_decode(out, json_string_value(b), json_string_length(b));
	}
	return -1;
}

int hs_redis_score_from_json(const json_t *v, double *d)
{
	if (json_is_number(v)) {
		*d = json_number_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		if (!strcmp(json_string_value(v), "inf")) {
			*d = INFINITY;
			return 0;
		}
		if (!strcmp(json_string_value(v), "-inf")) {
			*d = -INFINITY;
			return 0;
		}
	}
	return -1;
}

void hs_ritems_add(hs_ritems *it, const char *p, size_t n)
{
	if (it->n == it->cap) {
		it->cap = it->cap ? it->cap * 2 : 64;
		it->off = hs_xrealloc(it->off, it->cap * sizeof(*it->off));
		it->len = hs_xrealloc(it->len, it->cap * sizeof(*it->len));
	}
	it->off[it->n] = it->data.len;
	it->len[it->n] = n;
	it->n++;
	hs_buf_add(&it->data, p, n);
}

void hs_ritems_reset(hs_ritems *it)
{
	hs_buf_reset(&it->data);
	it->n = 0;
}

void hs_ritems_release(hs_ritems *it)
{
	hs_buf_release(&it->data);
	free(it->off);
	free(it->len);
	it->off = it->len = NULL;
	it->n = it->cap = 0;
}

/* qsort context: the items being sorted (qsort has no user pointer in C11). */
static _Thread_local const hs_ritems *hs_sort_items;
static _Thread_local size_t hs_sort_stride;

static int hs_ritems_cmp(const void *x, const void *y)
{
	size_t i = *(const size_t *)x * hs_sort_stride, j = *(const size_t *)y * hs_sort_stride;
	const hs_ritems *it = hs_sort_items;
	int c = hs_keycmp(hs_ritems_at(it, i), it->len[i], hs_ritems_at(it, j), it->len[j]);

	if (c)
		return c;
	/* equal: keep the first read first (qsort is not stable) */
	return i < j ? -1 : i > j;
}

/*
 * Sorted order of groups of stride items (1: set members, 2: hash pairs)
 * by their first item; a new array of group indices the caller frees.
 */
static size_t *hs_ritems_order(const hs_ritems *it, size_t stride, size_t *ngroups)
{
	size_t n = it->n / stride, i;
	size_t *ord = hs_xmalloc((n ? n : 1) * sizeof(*ord));

	for (i = 0; i < n; i++)
		ord[i] = i;
	hs_sort_items = it;
	hs_sort_stride = stride;
	if (n > 1)
		qsort(ord, n, sizeof(*ord), hs_ritems_cmp);
	hs_sort_items = NULL;
	*ngroups = n;
	return ord;
}

int hs_redis_json_items(hs_buf *out, const char *type, hs_ritems *it)
{
	bool pairs = !strcmp(type, "hash") || !strcmp(type, "zset");
	bool sorted = !strcmp(type, "hash") || !strcmp(type, "set");
	size_t stride = pairs ? 2 : 1;
	size_t *ord = NULL, n, i, prev = (size_t)-1;
	int rc = -1;

	if (it->n % stride)
		return -1;
	if (sorted) {
		ord = hs_ritems_order(it, stride, &n);
	} else {
		n = it->n / stride;
	}
	hs_buf_addc(out, '[');
	for (i = 0; i < n; i++) {
		size_t g = ord ? ord[i] : i;
		size_t a = g * stride;

		if (sorted && prev != (size_t)-1 &&
		    !hs_keycmp(hs_ritems_at(it, a), it->len[a], hs_ritems_at(it, prev), it->len[prev]))
			continue;       /* a repeat from HSCAN/SSCAN */
		if (prev != (size_t)-1)
			hs_buf_addc(out, ',');
		prev = a;
		if (pairs)
			hs_buf_addc(out, '[');
		hs_redis_json_bytes(out, hs_ritems_at(it, a), it->len[a]);
		if (pairs) {
			hs_buf_addc(out, ',');
			if (!strcmp(type, "zset")) {
				if (hs_redis_json_score(out, hs_ritems_at(it, a + 1), it->len[a + 1]))
					goto out;
			} else {
				hs_redis_json_bytes(out, hs_ritems_at(it, a + 1), it->len[a + 1]);
			}
			hs_buf_addc(out, ']');
		}
	}
	hs_buf_addc(out, ']');
	rc = 0;
out:
	free(ord);
	return rc;
}

void hs_redis_record_begin(hs_buf *out, const char *key, size_t klen, const char *type,
			   int64_t expire_at_ms)
{
	hs_buf_adds(out, "{\"key\":");
	hs_redis_json_bytes(out, key, klen);
	hs_buf_adds(out, ",\"type\":");
	hs_redis_json_bytes(out, type, strlen(type));
	if (expire_at_ms >= 0)
		hs_buf_addf(out, ",\"expire_at_ms\":%lld", (long long)expire_at_ms);
	else
		hs_buf_adds(out, ",\"expire_at_ms\":null");
	hs_buf_adds(out, ",\"value\":");
}
