/*
 * redis_scan.c - the streaming record reader of restore/redis.c; see
 * redis_scan.h.  A hand-written JSON scanner over a 64 KiB window of the
 * entry: strings are decoded straight into the caller's buffer (escapes,
 * \u surrogate pairs to UTF-8), so neither a record nor a value is ever
 * held whole unless the caller asks (hs_rscan_raw).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_common.h"
#include "redis_scan.h"

#define HS_RSCAN_WINDOW 65536
#define SC_EOF (-1)
#define SC_ERR (-2)

struct hs_rscan {
	hs_reader *rd;
	hs_error *e;
	char *buf;
	size_t pos, len;
	bool eof, ioerr;
	size_t lineno;
	uint64_t base;          /* entry offset of buf[0] */
	hs_buf name, b64;
};

hs_rscan *hs_rscan_new(hs_reader *rd, hs_error *e)
{
	hs_rscan *s = hs_xcalloc(1, sizeof(*s));

	s->rd = rd;
	s->e = e;
	s->buf = hs_xmalloc(HS_RSCAN_WINDOW);
	hs_buf_init(&s->name);
	hs_buf_init(&s->b64);
	return s;
}

void hs_rscan_free(hs_rscan *s)
{
	if (!s)
		return;
	free(s->buf);
	hs_buf_release(&s->name);
	hs_buf_release(&s->b64);
	free(s);
}

void hs_rscan_rec_release(hs_rscan_rec *h)
{
	hs_buf_release(&h->key);
}

bool hs_rscan_ioerr(const hs_rscan *s)
{
	return s->ioerr;
}

size_t hs_rscan_lineno(const hs_rscan *s)
{
	return s->lineno;
}

uint64_t hs_rscan_offset(const hs_rscan *s)
{
	return s->base + s->pos;
}

/* Make a byte available at pos: 1, 0 at the end of the entry, -1 on a read error. */
static int sc_fill(hs_rscan *s)
{
	ssize_t n;

	if (s->pos < s->len)
		return 1;
	if (s->eof || s->ioerr)
		return s->ioerr ? -1 : 0;
	s->base += s->len;
	s->pos = s->len = 0;
	n = hs_reader_read(s->rd, s->buf, HS_RSCAN_WINDOW, s->e);
	if (n < 0) {
		s->ioerr = true;
		return -1;
	}
	if (n == 0) {
		s->eof = true;
		return 0;
	}
	s->len = (size_t)n;
	return 1;
}

static inline int sc_peek(hs_rscan *s)
{
	int r = s->pos < s->len ? 1 : sc_fill(s);

	return r > 0 ? (unsigned char)s->buf[s->pos] : r == 0 ? SC_EOF : SC_ERR;
}

static inline int sc_getc(hs_rscan *s)
{
	int c = sc_peek(s);

	if (c >= 0)
		s->pos++;
	return c;
}

/* Skip blanks (not newlines: they end records); the next byte, not read. */
static int sc_ws(hs_rscan *s)
{
	int c;

	while ((c = sc_peek(s)) == ' ' || c == '\t' || c == '\r')
		s->pos++;
	return c;
}

static int sc_expect(hs_rscan *s, int want)
{
	return sc_ws(s) == want ? (s->pos++, 0) : -1;
}

static int sc_hex4(hs_rscan *s, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int c = sc_getc(s);

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Append code point cp as UTF-8. */
static void sc_utf8(hs_buf *out, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	hs_buf_add(out, b, n);
}

#define SC_ONES UINT64_C(0x0101010101010101)
#define SC_HIGHS UINT64_C(0x8080808080808080)
/* A byte of w is zero (may also flag a byte above a zero one: the caller rechecks bytewise). */
#define SC_HASZERO(w) (((w) - SC_ONES) & ~(w) & SC_HIGHS)

/*
 * The length of the run of bytes from p (up to end) that need no look in a
 * JSON string: not '"', not '\\' and, with ctl, no control byte (a string's
 * bytes); without ctl, no newline (a value skipped).  Eight bytes at a time
 * while none of them is one of those, then byte by byte.
 */
static inline size_t sc_plain(const char *p, const char *end, bool ctl)
{
	const char *q = p;

	while (end - q >= 8) {
		uint64_t w, m;

		memcpy(&w, q, sizeof(w));
		m = SC_HASZERO(w ^ (SC_ONES * '"')) | SC_HASZERO(w ^ (SC_ONES * '\\'));
		m |= ctl ? (w - SC_ONES * 0x20) & ~w & SC_HIGHS : SC_HASZERO(w ^ (SC_ONES * '\n'));
		if (m)
			break;
		q += 8;
	}
	if (ctl) {
		while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
			q++;
	} else {
		while (q < end && *q != '"' && *q != '\\' && *q != '\n')
			q++;
	}
	return (size_t)(q - p);
}

/* One escape after its backslash. */
static int sc_escape(hs_rscan *s, hs_buf *out)
{
	unsigned cp, lo;
	int c = sc_getc(s);

	switch (c) {
	case '"': case '\\': case '/': hs_buf_addc(out, (char)c); return 0;
	case 'b': hs_buf_addc(out, '\b'); return 0;
	case 'f': hs_buf_addc(out, '\f'); return 0;
	case 'n': hs_buf_addc(out, '\n'); return 0;
	case 'r': hs_buf_addc(out, '\r'); return 0;
	case 't': hs_buf_addc(out, '\t'); return 0;
	case 'u': break;
	default: return -1;
	}
	if (sc_hex4(s, &cp))
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return -1;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (sc_getc(s) != '\\' || sc_getc(s) != 'u' || sc_hex4(s, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	sc_utf8(out, cp);
	return 0;
}

/* The rest of a JSON string after its opening quote, its bytes appended to out. */
static int sc_string_rest(hs_rscan *s, hs_buf *out)
{
	for (;;) {
		const char *p, *q, *end;
		int c;

		if (sc_fill(s) <= 0)
			return -1;
		p = s->buf + s->pos;
		end = s->buf + s->len;
		q = p + sc_plain(p, end, true);
		hs_buf_add(out, p, (size_t)(q - p));
		s->pos += (size_t)(q - p);
		if (q == end)
			continue;
		c = (unsigned char)*q;
		s->pos++;
		if (c == '"')
			return 0;
		if (c != '\\' || sc_escape(s, out))
			return -1;
	}
}

/* A JSON string's bytes appended to out (blanks before it skipped). */
static int sc_string(hs_rscan *s, hs_buf *out)
{
	return sc_expect(s, '"') ? -1 : sc_string_rest(s, out);
}

/*
 * A record's member name: *name and *n point at its bytes in the window
 * when it lies there whole and plain (the usual case: no copy), else at
 * its decoded copy in s->name.  Valid until the next read.
 */
static int sc_member(hs_rscan *s, const char **name, size_t *n)
{
	const char *p, *end;
	size_t k;

	if (sc_expect(s, '"'))
		return -1;
	p = s->buf + s->pos;
	end = s->buf + s->len;
	k = sc_plain(p, end, true);
	if (p + k < end && p[k] == '"') {
		*name = p;
		*n = k;
		s->pos += k + 1;
		return 0;
	}
	hs_buf_reset(&s->name);
	if (sc_string_rest(s, &s->name))
		return -1;
	*name = s->name.data;
	*n = s->name.len;
	return 0;
}

/* A number's text (or a literal: null, true, false) into out, NUL-terminated. */
static int sc_token(hs_rscan *s, char *out, size_t n)
{
	size_t i = 0;
	int c = sc_ws(s);

	while ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' ||
	       (c >= 'a' && c <= 'z')) {
		if (i + 1 >= n)
			return -1;
		out[i++] = (char)c;
		s->pos++;
		c = sc_peek(s);
	}
	out[i] = '\0';
	return i ? 0 : -1;
}

int hs_rscan_bytes(hs_rscan *s, hs_buf *out)
{
	hs_buf_reset(out);
	if (sc_ws(s) == '"')
		return sc_string(s, out);
	hs_buf_reset(&s->name);
	hs_buf_reset(&s->b64);
	if (sc_expect(s, '{') || sc_string(s, &s->name) || sc_expect(s, ':') || sc_string(s, &s->b64) ||
	    sc_expect(s, '}'))
		return -1;
	if (s->name.len != 7 || memcmp(s->name.data, "$base64", 7))
		return -1;
	return hs_redis_b64_decode(out, s->b64.data, s->b64.len);
}

int hs_rscan_score(hs_rscan *s, char *out, size_t n)
{
	char *end;

	if (sc_ws(s) == '"') {
		hs_buf_reset(&s->name);
		if (sc_string(s, &s->name))
			return -1;
		if (s->name.len == 3 && !memcmp(s->name.data, "inf", 3))
			snprintf(out, n, "inf");
		else if (s->name.len == 4 && !memcmp(s->name.data, "-inf", 4))
			snprintf(out, n, "-inf");
		else
			return -1;
		return 0;
	}
	if (sc_token(s, out, n))
		return -1;
	strtod(out, &end);
	return *end || strpbrk(out, "iInN") ? -1 : 0;
}

int hs_rscan_open(hs_rscan *s)
{
	return sc_expect(s, '[');
}

int hs_rscan_comma(hs_rscan *s)
{
	return sc_expect(s, ',');
}

int hs_rscan_close(hs_rscan *s)
{
	return sc_expect(s, ']');
}

int hs_rscan_next(hs_rscan *s, bool *first)
{
	int c = sc_ws(s);

	if (c == ']') {
		s->pos++;
		return 0;
	}
	if (*first) {
		*first = false;
		return c >= 0 && c != '\n' ? 1 : -1;
	}
	if (c != ',')
		return -1;
	s->pos++;
	return 1;
}

/*
 * Skip one value, appending its text to out when out is not NULL.  Strings
 * are scanned for their closing quote only; the structure is checked just
 * enough to find the value's end (brackets balance, no newline).
 */
static int sc_value(hs_rscan *s, hs_buf *out)
{
	size_t depth = 0;
	int c = sc_ws(s);

	if (c < 0 || c == '\n' || c == ',' || c == ']' || c == '}')
		return -1;
	for (;;) {
		c = sc_peek(s);
		if (c < 0 || c == '\n')
			return -1;
		if (c == '"') {
			s->pos++;
			if (out)
				hs_buf_addc(out, '"');
			for (;;) {
				const char *p, *q, *end;

				if (sc_fill(s) <= 0)
					return -1;
				p = s->buf + s->pos;
				end = s->buf + s->len;
				q = p + sc_plain(p, end, false);
				if (out)
					hs_buf_add(out, p, (size_t)(q - p));
				s->pos += (size_t)(q - p);
				if (q == end)
					continue;
				if (*q == '\n')
					return -1;
				s->pos++;
				if (out)
					hs_buf_addc(out, *q);
				if (*q == '"')
					break;
				if ((c = sc_getc(s)) < 0 || c == '\n')   /* the escaped byte */
					return -1;
				if (out)
					hs_buf_addc(out, (char)c);
			}
			if (!depth)
				return 0;
			continue;
		}
		if (c == '[' || c == '{') {
			depth++;
		} else if (c == ']' || c == '}') {
			if (!depth)
				return 0;
			if (--depth == 0) {
				s->pos++;
				if (out)
					hs_buf_addc(out, (char)c);
				return 0;
			}
		} else if (c == ',' && !depth) {
			return 0;
		}
		s->pos++;
		if (out)
			hs_buf_addc(out, (char)c);
	}
}

int hs_rscan_skip(hs_rscan *s)
{
	return sc_value(s, NULL);
}

int hs_rscan_raw(hs_rscan *s, hs_buf *out)
{
	hs_buf_reset(out);
	return sc_value(s, out);
}

/* The member name just read (mname, mlen) is the literal lit. */
#define IS(lit) (mlen == sizeof(lit) - 1 && !memcmp(mname, lit, sizeof(lit) - 1))

enum { SC_M_OTHER, SC_M_KEY, SC_M_TYPE, SC_M_EXP, SC_M_VALUE };

/*
 * Read a member's name and its colon: which record member it is.  The
 * name is matched before the colon is read, as reading on may refill the
 * window the name lies in.
 */
static int sc_member_colon(hs_rscan *s, int *which)
{
	const char *mname;
	size_t mlen;

	if (sc_member(s, &mname, &mlen))
		return -1;
	*which = IS("key") ? SC_M_KEY : IS("type") ? SC_M_TYPE : IS("expire_at_ms") ? SC_M_EXP :
		 IS("value") ? SC_M_VALUE : SC_M_OTHER;
	return sc_expect(s, ':');
}

/* A non-negative decimal integer of at most 19 digits that fits int64_t; -1 otherwise. */
static int sc_int64(const char *num, int64_t *out)
{
	int64_t v = 0;

	if (!*num)
		return -1;
	for (; *num; num++) {
		if (*num < '0' || *num > '9' || v > (INT64_MAX - (*num - '0')) / 10)
			return -1;
		v = v * 10 + (*num - '0');
	}
	*out = v;
	return 0;
}

int hs_rscan_head(hs_rscan *s, hs_rscan_rec *h)
{
	bool have_key = false;
	char num[32];
	int c = sc_peek(s), m;

	if (c == SC_EOF)
		return 0;
	s->lineno++;
	h->type[0] = '\0';
	h->has_exp = false;
	h->exp_ms = -1;
	if (sc_expect(s, '{'))
		return -1;
	for (;;) {
		if (sc_member_colon(s, &m))
			return -1;
		if (m == SC_M_VALUE)
			return have_key && h->type[0] ? 1 : -1;
		if (m == SC_M_KEY) {
			if (hs_rscan_bytes(s, &h->key))
				return -1;
			have_key = true;
		} else if (m == SC_M_TYPE) {
			hs_buf_reset(&s->b64);
			if (sc_string(s, &s->b64) || s->b64.len >= sizeof(h->type) || memchr(s->b64.data, 0, s->b64.len))
				return -1;
			memcpy(h->type, s->b64.data, s->b64.len);
			h->type[s->b64.len] = '\0';
		} else if (m == SC_M_EXP) {
			if (sc_token(s, num, sizeof(num)))
				return -1;
			/* a repeated member replaces the earlier one, as in jansson (diff) */
			h->has_exp = false;
			h->exp_ms = -1;
			if (strcmp(num, "null")) {
				/* unix ms >= 0 (schemas/redis-record.schema.json): the restore subtracts from it */
				/* and JSON: no leading zero (jansson, so diff, refuses 0123) */
				if (num[0] < '0' || num[0] > '9' || strpbrk(num, ".eE") || (num[0] == '0' && num[1]))
					return -1;
				if (sc_int64(num, &h->exp_ms))
					return -1;
				h->has_exp = true;
			}
		} else if (sc_value(s, NULL)) {
			return -1;
		}
		if (sc_expect(s, ','))
			return -1;
	}
}

int hs_rscan_end(hs_rscan *s)
{
	int c, m;

	for (;;) {
		c = sc_ws(s);
		if (c == '}') {
			s->pos++;
			break;
		}
		if (c != ',')
			return -1;
		s->pos++;
		if (sc_member_colon(s, &m))
			return -1;
		/*
		 * A record member again after the value: jansson (diff) would take
		 * this one and the restore has used the first: refuse the record.
		 */
		if (m != SC_M_OTHER || sc_value(s, NULL))
			return -1;
	}
	c = sc_ws(s);
	if (c == '\n') {
		s->pos++;
		return 0;
	}
	return c == SC_EOF ? 0 : -1;
}
