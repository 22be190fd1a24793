/*
 * redis_scan.c - the JSON scanner of redis/db<N>.jsonl records; see
 * redis_scan.h.  A hand-written scanner over a window: the archive
 * reader's 64 KiB slices of the entry, or one line in memory.  Strings
 * are decoded straight into the caller's buffer (escapes, \u surrogate
 * pairs to UTF-8), or only checked when the caller does not want them, so
 * neither a record nor a value is ever held whole.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_common.h"
#include "redis_scan.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define HS_RSCAN_WINDOW 65536
#define SC_EOF (-1)
#define SC_ERR (-2)

struct hs_rscan {
	hs_reader *rd;          /* NULL: a line in memory */
	hs_error *e;
	char *win;              /* the window's memory (reader mode) */
	const char *buf;        /* the bytes being read: win, or the caller's line */
	size_t pos, len;
	bool eof, ioerr;
	size_t lineno;
	uint64_t base;          /* entry offset of buf[0] */
	const char *why;        /* why the current record is refused, or NULL */
	hs_buf name, b64;
};

static hs_rscan *hs_rscan_alloc(void)
{
	hs_rscan *s = hs_xcalloc(1, sizeof(*s));

	hs_buf_init(&s->name);
	hs_buf_init(&s->b64);
	return s;
}

hs_rscan *hs_rscan_new(hs_reader *rd, hs_error *e)
{
	hs_rscan *s = hs_rscan_alloc();

	s->rd = rd;
	s->e = e;
	s->win = hs_xmalloc(HS_RSCAN_WINDOW);
	s->buf = s->win;
	return s;
}

hs_rscan *hs_rscan_new_mem(void)
{
	hs_rscan *s = hs_rscan_alloc();

	s->eof = true;
	s->buf = "";
	return s;
}

void hs_rscan_set_mem(hs_rscan *s, const char *p, size_t n, size_t lineno)
{
	s->buf = p;
	s->pos = 0;
	s->len = n;
	s->base = 0;
	s->eof = true;
	s->ioerr = false;
	s->why = NULL;
	s->lineno = lineno ? lineno - 1 : 0;   /* hs_rscan_head counts the line */
}

void hs_rscan_free(hs_rscan *s)
{
	if (!s)
		return;
	free(s->win);
	hs_buf_release(&s->name);
	hs_buf_release(&s->b64);
	free(s);
}

void hs_rscan_rec_release(hs_rscan_rec *h)
{
	hs_buf_release(&h->key);
}

int hs_rscan_bad(hs_rscan *s, const char *why)
{
	if (!s->why)
		s->why = why;
	return -1;
}

const char *hs_rscan_why(const hs_rscan *s)
{
	return s->why ? s->why : "not valid JSON";
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
	n = hs_reader_read(s->rd, s->win, HS_RSCAN_WINDOW, s->e);
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
static inline int sc_ws(hs_rscan *s)
{
	int c;

	/* the usual case: no blank, the byte in the window */
	if (s->pos < s->len && (c = (unsigned char)s->buf[s->pos]) != ' ' && c != '\t' && c != '\r')
		return c;
	while ((c = sc_peek(s)) == ' ' || c == '\t' || c == '\r')
		s->pos++;
	return c;
}

/* The next byte is want (read), else -1 naming what ended the record early or else nothing. */
static int sc_expect(hs_rscan *s, int want)
{
	int c = sc_ws(s);

	if (c == want) {
		s->pos++;
		return 0;
	}
	if (c == SC_EOF || c == '\n')
		return hs_rscan_bad(s, "the record ends early");
	return -1;
}

static inline void sc_add(hs_buf *out, const void *p, size_t n)
{
	if (out && n)
		hs_buf_add(out, p, n);
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
			return hs_rscan_bad(s, "a \\u escape without 4 hex digits");
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
	sc_add(out, b, n);
}

#define SC_ONES UINT64_C(0x0101010101010101)
#define SC_HIGHS UINT64_C(0x8080808080808080)
/* A byte of w is zero (may also flag a byte above a zero one: the caller rechecks bytewise). */
#define SC_HASZERO(w) (((w) - SC_ONES) & ~(w) & SC_HIGHS)

/*
 * The length of the run of bytes from p (up to end) that need no look in a
 * JSON string: printable ASCII but '"' and '\\'.  Eight bytes at a time
 * while none of them is one of the others, then byte by byte.
 */
static inline size_t sc_plain(const char *p, const char *end)
{
	const char *q = p;

#ifdef __SSE2__
	/* 16 at a time: '"', '\\', and as signed bytes < 0x20 (a control byte, or one >= 0x80) */
	const __m128i quote = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);

	while (end - q >= 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)q);
		int m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, quote), _mm_cmpeq_epi8(w, bsl)),
						       _mm_cmplt_epi8(w, sp)));

		if (m)
			return (size_t)(q - p) + (size_t)__builtin_ctz((unsigned)m);
		q += 16;
	}
#endif
	while (end - q >= 8) {
		uint64_t w, m;

		memcpy(&w, q, sizeof(w));
		m = SC_HASZERO(w ^ (SC_ONES * '"')) | SC_HASZERO(w ^ (SC_ONES * '\\'));
		m |= ((w - SC_ONES * 0x20) | w) & SC_HIGHS;   /* a control byte, or one >= 0x80 */
		if (m)
			break;
		q += 8;
	}
	while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80)
		q++;
	return (size_t)(q - p);
}

/* One escape after its backslash. */
static int sc_escape(hs_rscan *s, hs_buf *out)
{
	unsigned cp, lo;
	char ch;
	int c = sc_getc(s);

	switch (c) {
	case '"': case '\\': case '/': ch = (char)c; break;
	case 'b': ch = '\b'; break;
	case 'f': ch = '\f'; break;
	case 'n': ch = '\n'; break;
	case 'r': ch = '\r'; break;
	case 't': ch = '\t'; break;
	case 'u': ch = 0; break;
	default: return hs_rscan_bad(s, "an invalid escape in a string");
	}
	if (c != 'u') {
		sc_add(out, &ch, 1);
		return 0;
	}
	if (sc_hex4(s, &cp))
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return hs_rscan_bad(s, "a lone surrogate escape in a string");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (sc_getc(s) != '\\' || sc_getc(s) != 'u' || sc_hex4(s, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return hs_rscan_bad(s, "a lone surrogate escape in a string");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	sc_utf8(out, cp);
	return 0;
}

/* One UTF-8 character at pos (its first byte >= 0x80): checked, appended to out. */
static int sc_utf8_char(hs_rscan *s, hs_buf *out)
{
	unsigned char c = (unsigned char)s->buf[s->pos];
	char tmp[4];
	size_t need = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	size_t i;

	if (!need)
		return hs_rscan_bad(s, "a string is not valid UTF-8");
	if (s->len - s->pos >= need) {   /* the usual case: the character lies in the window */
		if (!hs_redis_utf8_valid(s->buf + s->pos, need))
			return hs_rscan_bad(s, "a string is not valid UTF-8");
		sc_add(out, s->buf + s->pos, need);
		s->pos += need;
		return 0;
	}
	for (i = 0; i < need; i++) {   /* cut by the window's end */
		int b = sc_getc(s);

		if (b < 0)
			return hs_rscan_bad(s, "a string is not valid UTF-8");
		tmp[i] = (char)b;
	}
	if (!hs_redis_utf8_valid(tmp, need))
		return hs_rscan_bad(s, "a string is not valid UTF-8");
	sc_add(out, tmp, need);
	return 0;
}

/* The rest of a JSON string after its opening quote, its bytes appended to out (NULL: checked only). */
static int sc_string_rest(hs_rscan *s, hs_buf *out)
{
	for (;;) {
		const char *p, *q, *end;
		int c, r;

		if ((r = sc_fill(s)) <= 0)
			return r < 0 ? -1 : hs_rscan_bad(s, "the record ends early");
		p = s->buf + s->pos;
		end = s->buf + s->len;
		q = p + sc_plain(p, end);
		sc_add(out, p, (size_t)(q - p));
		s->pos += (size_t)(q - p);
		if (q == end)
			continue;
		c = (unsigned char)*q;
		if (c == '"') {
			s->pos++;
			return 0;
		}
		if (c == '\\') {
			char ch = s->pos + 1 < s->len ? s->buf[s->pos + 1] : 0;

			/* the usual escapes, inline: \" \\ \/ \n (values holding JSON text are full of \") */
			if (ch == '"' || ch == '\\' || ch == '/' || ch == 'n') {
				ch = ch == 'n' ? '\n' : ch;
				sc_add(out, &ch, 1);
				s->pos += 2;
				continue;
			}
			s->pos++;
			if (sc_escape(s, out))
				return -1;
		} else if (c >= 0x80) {
			if (sc_utf8_char(s, out))
				return -1;
		} else {
			return hs_rscan_bad(s, c == '\n' ? "the record ends early" : "a raw control byte in a string");
		}
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
	k = sc_plain(p, end);
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

/* Read the digits at pos: how many (appended to out, within n, when out is not NULL). */
static size_t sc_digits(hs_rscan *s, char *out, size_t n, size_t *i, bool *room)
{
	size_t k = 0;
	int c;

	while ((c = sc_peek(s)) >= '0' && c <= '9') {
		if (out) {
			if (*i + 1 < n)
				out[(*i)++] = (char)c;
			else
				*room = false;
		}
		s->pos++;
		k++;
	}
	return k;
}

/*
 * A JSON number (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?)
 * at pos; its text into out (n bytes, NUL-terminated) when out is not
 * NULL, refused when it does not fit.
 */
static int sc_number(hs_rscan *s, char *out, size_t n)
{
	size_t i = 0, k;
	bool room = true;
	int c = sc_peek(s);

#define SC_PUT(ch) do { if (out) { if (i + 1 < n) out[i++] = (char)(ch); else room = false; } } while (0)
	if (c == '-') {
		SC_PUT(c);
		s->pos++;
		c = sc_peek(s);
	}
	if (c == '0') {
		SC_PUT(c);
		s->pos++;
		if ((c = sc_peek(s)) >= '0' && c <= '9')
			return hs_rscan_bad(s, "a number with a leading zero");
	} else if (!sc_digits(s, out, n, &i, &room)) {
		return -1;   /* not a number: the caller says what it wanted */
	}
	if (sc_peek(s) == '.') {
		SC_PUT('.');
		s->pos++;
		if (!sc_digits(s, out, n, &i, &room))
			return hs_rscan_bad(s, "a number without digits after its point");
	}
	if ((c = sc_peek(s)) == 'e' || c == 'E') {
		SC_PUT(c);
		s->pos++;
		if ((c = sc_peek(s)) == '+' || c == '-') {
			SC_PUT(c);
			s->pos++;
		}
		if (!(k = sc_digits(s, out, n, &i, &room)))
			return hs_rscan_bad(s, "a number without digits in its exponent");
	}
#undef SC_PUT
	if (out)
		out[i] = '\0';
	if (!room)
		return hs_rscan_bad(s, "a number too long");
	return 0;
}

/* The literal lit (true, false, null) at pos. */
static int sc_literal(hs_rscan *s, const char *lit)
{
	for (; *lit; lit++)
		if (sc_getc(s) != *lit)
			return hs_rscan_bad(s, "not valid JSON");
	return 0;
}

/* A scalar at pos: string, number or literal (its first byte c, not read). */
static int sc_scalar(hs_rscan *s, int c)
{
	if (c == '"') {
		s->pos++;
		return sc_string_rest(s, NULL);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return sc_number(s, NULL, 0);
	if (c == 't')
		return sc_literal(s, "true");
	if (c == 'f')
		return sc_literal(s, "false");
	if (c == 'n')
		return sc_literal(s, "null");
	if (c == SC_EOF || c == '\n')
		return hs_rscan_bad(s, "the record ends early");
	return -1;
}

/* An object member's name and colon at pos. */
static int sc_name_colon(hs_rscan *s)
{
	return sc_string(s, NULL) || sc_expect(s, ':') ? -1 : 0;
}

/*
 * Skip one value, checked as JSON: scalars by their grammar, arrays and
 * objects with a stack of the open ones (at most HS_RSCAN_DEPTH).
 */
static int sc_value(hs_rscan *s)
{
	char stack[HS_RSCAN_DEPTH];
	size_t depth = 0;
	int c;

	for (;;) {
		/* a value */
		c = sc_ws(s);
		if (c == '[' || c == '{') {
			if (depth == HS_RSCAN_DEPTH)
				return hs_rscan_bad(s, "a value nested too deep");
			s->pos++;
			stack[depth++] = c == '[' ? ']' : '}';
			if (sc_ws(s) == stack[depth - 1]) {
				s->pos++;
				depth--;
			} else if (c == '{') {
				if (sc_name_colon(s))
					return -1;
				continue;
			} else {
				continue;
			}
		} else if (sc_scalar(s, c)) {
			return -1;
		}
		/* after a value: a comma and the next one, or the end of arrays and objects */
		for (;;) {
			if (!depth)
				return 0;
			c = sc_ws(s);
			if (c == stack[depth - 1]) {
				s->pos++;
				depth--;
				continue;
			}
			if (c != ',')
				return c == SC_EOF || c == '\n' ? hs_rscan_bad(s, "the record ends early") : -1;
			s->pos++;
			if (stack[depth - 1] == '}' && sc_name_colon(s))
				return -1;
			break;
		}
	}
}

int hs_rscan_skip(hs_rscan *s)
{
	return sc_value(s);
}

int hs_rscan_string(hs_rscan *s, hs_buf *out)
{
	hs_buf_reset(out);
	return sc_string(s, out);
}

int hs_rscan_bytes(hs_rscan *s, hs_buf *out)
{
	const char *mname;
	size_t mlen;

	if (out)
		hs_buf_reset(out);
	if (sc_ws(s) == '"') {
		s->pos++;
		return sc_string_rest(s, out);
	}
	/* the caller names what the byte string was for when it is neither form */
	if (sc_expect(s, '{') || sc_member(s, &mname, &mlen) || mlen != 7 || memcmp(mname, "$base64", 7))
		return -1;
	hs_buf_reset(&s->b64);
	if (sc_expect(s, ':') || sc_string(s, &s->b64) || sc_expect(s, '}'))
		return -1;
	if (!out) {   /* checked: decoded into the scratch name buffer */
		hs_buf_reset(&s->name);
		out = &s->name;
	}
	if (hs_redis_b64_decode(out, s->b64.data, s->b64.len))
		return hs_rscan_bad(s, "invalid base64 in {\"$base64\": ...}");
	return 0;
}

int hs_rscan_score(hs_rscan *s, char *out, size_t n)
{
	char *end;
	double d;

	if (sc_ws(s) == '"') {
		hs_buf_reset(&s->name);
		if (sc_string(s, &s->name))
			return -1;
		if (s->name.len == 3 && !memcmp(s->name.data, "inf", 3))
			snprintf(out, n, "inf");
		else if (s->name.len == 4 && !memcmp(s->name.data, "-inf", 4))
			snprintf(out, n, "-inf");
		else
			return hs_rscan_bad(s, "a score that is neither a number nor \"inf\" or \"-inf\"");
		return 0;
	}
	if (sc_number(s, out, n))
		return hs_rscan_bad(s, "a score that is not a number");
	/* what Redis's string2d refuses: overflow to infinity, underflow to zero */
	errno = 0;
	d = strtod(out, &end);
	if (*end || (errno == ERANGE && (isinf(d) || d == 0)))
		return hs_rscan_bad(s, "a score out of the range of a double");
	return 0;
}

int hs_rscan_null(hs_rscan *s)
{
	if (sc_ws(s) != 'n')
		return 0;
	return sc_literal(s, "null") ? -1 : 1;
}

int hs_rscan_uint(hs_rscan *s, int64_t *v, bool *is_null)
{
	char num[24];
	const char *p;
	int c;

	*is_null = false;
	*v = -1;
	if ((c = hs_rscan_null(s)) != 0) {
		*is_null = c > 0;
		return c < 0 ? -1 : 0;
	}
	if (sc_ws(s) == '-')
		return hs_rscan_bad(s, "a count that is negative");
	if (sc_number(s, num, sizeof(num)))
		return hs_rscan_bad(s, "a count that is not an integer");
	if (strpbrk(num, ".eE"))
		return hs_rscan_bad(s, "a count that is not an integer");
	*v = 0;
	for (p = num; *p; p++) {
		if (*v > (INT64_MAX - (*p - '0')) / 10)
			return hs_rscan_bad(s, "a count too large");
		*v = *v * 10 + (*p - '0');
	}
	return 0;
}

int hs_rscan_open(hs_rscan *s)
{
	return sc_expect(s, '[');
}

int hs_rscan_open_object(hs_rscan *s)
{
	return sc_expect(s, '{');
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
		return c >= 0 && c != '\n' ? 1 : hs_rscan_bad(s, "the record ends early");
	}
	if (c != ',')
		return c == SC_EOF || c == '\n' ? hs_rscan_bad(s, "the record ends early") : -1;
	s->pos++;
	return 1;
}

int hs_rscan_member(hs_rscan *s, bool *first, hs_buf *name)
{
	int c = sc_ws(s);

	if (c == '}') {
		s->pos++;
		return 0;
	}
	if (!*first) {
		if (c != ',')
			return c == SC_EOF || c == '\n' ? hs_rscan_bad(s, "the record ends early") : -1;
		s->pos++;
	}
	*first = false;
	hs_buf_reset(name);
	return sc_string(s, name) || sc_expect(s, ':') ? -1 : 1;
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

int hs_rscan_expiry(const char *p, size_t n, bool *has, int64_t *ms, const char **why)
{
	int64_t v = 0;
	size_t i;

	*has = false;
	*ms = -1;
	if (n == 4 && !memcmp(p, "null", 4))
		return 0;
	if (n && p[0] == '-') {
		*why = "expire_at_ms is negative (a unix time in ms, or null)";
		return -1;
	}
	/* JSON's integers: no leading zero, no fraction or exponent */
	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		;
	if (!n || i != n || (p[0] == '0' && n > 1)) {
		*why = "expire_at_ms is not an integer (a unix time in ms, or null)";
		return -1;
	}
	for (i = 0; i < n; i++) {
		/* 18 digits cannot pass the bound (10^18 < 2^62): the division only past them */
		if (i >= 18 && v > (HS_REDIS_EXPIRE_MAX - (p[i] - '0')) / 10) {
			*why = "expire_at_ms is past " HS_REDIS_EXPIRE_MAX_S " (2^62 ms), the latest expiry restore can send in every --redis-ttl mode";
			return -1;
		}
		v = v * 10 + (p[i] - '0');
	}
	*has = true;
	*ms = v;
	return 0;
}

/* The expiry's token at pos: null or a number (its text into num), checked by hs_rscan_expiry. */
static int sc_expiry(hs_rscan *s, hs_rscan_rec *h)
{
	char num[32];
	const char *why = NULL;
	uint64_t at;
	int c = sc_ws(s);

	at = hs_rscan_offset(s);
	if (c == 'n') {
		if (sc_literal(s, "null"))
			return -1;
		snprintf(num, sizeof(num), "null");
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		if (sc_number(s, num, sizeof(num)))
			return hs_rscan_bad(s, "expire_at_ms is not an integer (a unix time in ms, or null)");
	} else {
		return hs_rscan_bad(s, "expire_at_ms is not an integer (a unix time in ms, or null)");
	}
	if (hs_rscan_expiry(num, strlen(num), &h->has_exp, &h->exp_ms, &why))
		return hs_rscan_bad(s, why);
	/* the token lies in one piece of the entry: its offsets are valid for a line in memory */
	h->exp_at = at;
	h->exp_len = (size_t)(hs_rscan_offset(s) - at);
	return 0;
}

int hs_rscan_head(hs_rscan *s, hs_rscan_rec *h)
{
	bool have_key = false;
	int c = sc_peek(s), m;

	if (c == SC_EOF)
		return 0;
	s->lineno++;
	s->why = NULL;
	h->type[0] = '\0';
	h->has_exp = false;
	h->exp_ms = -1;
	h->exp_at = h->value_at = 0;
	h->exp_len = 0;
	if (c == SC_ERR)
		return -1;
	if (sc_expect(s, '{'))
		return hs_rscan_bad(s, "not a JSON object");
	for (;;) {
		if (sc_member_colon(s, &m))
			return -1;
		if (m == SC_M_VALUE) {
			if (!have_key)
				return hs_rscan_bad(s, "no key before the value");
			if (!h->type[0])
				return hs_rscan_bad(s, "no type before the value");
			sc_ws(s);
			h->value_at = hs_rscan_offset(s);
			return 1;
		}
		if (m == SC_M_KEY) {
			if (hs_rscan_bytes(s, &h->key))
				return hs_rscan_bad(s, "the key is neither a string nor {\"$base64\": ...}");
			have_key = true;
		} else if (m == SC_M_TYPE) {
			hs_buf_reset(&s->b64);
			if (sc_string(s, &s->b64))
				return -1;
			if (!s->b64.len || s->b64.len >= sizeof(h->type) || memchr(s->b64.data, 0, s->b64.len))
				return hs_rscan_bad(s, "the type is empty or longer than 15 bytes");
			memcpy(h->type, s->b64.data, s->b64.len);
			h->type[s->b64.len] = '\0';
		} else if (m == SC_M_EXP) {
			/* a repeated member replaces the earlier one */
			if (sc_expiry(s, h))
				return -1;
		} else if (sc_value(s)) {
			return -1;
		}
		if (sc_expect(s, ','))
			return hs_rscan_bad(s, "the record ends before its value");
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
			return c == SC_EOF || c == '\n' ? hs_rscan_bad(s, "the record ends early") :
			       hs_rscan_bad(s, "the value does not end where its type says");
		s->pos++;
		if (sc_member_colon(s, &m))
			return -1;
		/* a record member again after the value: which one counts would be a guess */
		if (m != SC_M_OTHER)
			return hs_rscan_bad(s, "a record member repeated after the value");
		if (sc_value(s))
			return -1;
	}
	c = sc_ws(s);
	if (c == '\n') {
		s->pos++;
		return 0;
	}
	return c == SC_EOF ? 0 : c == SC_ERR ? -1 : hs_rscan_bad(s, "more after the record on its line");
}
