/* textsafe.c - untrusted strings made safe for a text report (textsafe.h). */
#include "textsafe.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/*
 * The length of the valid UTF-8 sequence at s (at most n bytes) and its
 * code point in *cp; 0 when s does not start one (a stray continuation
 * byte, an overlong form, a surrogate, beyond U+10FFFF, cut short).
 */
static size_t hs_text_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		unsigned char k = s[i];

		if (k < (i == 1 ? lo : 0x80) || k > (i == 1 ? hi : 0xbf))
			return 0;
		*cp = (*cp << 6) | (k & 0x3f);
	}
	return len;
}

/* A code point above U+007F that a report shows as \uXXXX: C1, line/paragraph separators, bidi controls. */
static bool hs_text_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * The escape of the ASCII byte c, or NULL when c prints as is; short
 * forms go to buf (at least 8 bytes).
 */
static const char *hs_text_ascii(unsigned char c, unsigned flags, char *buf)
{
	if (c == '\\')
		return flags & HS_TEXT_JSON ? NULL : "\\\\";
	if (c == '"')
		return flags & HS_TEXT_QUOTE ? "\\\"" : NULL;
	if (c >= 0x20 && c < 0x7f)
		return NULL;
	if (flags & HS_TEXT_JSON) {
		snprintf(buf, 8, "\\u%04X", c); /* uppercase, as jansson writes its own */
		return buf;
	}
	if (c == '\n')
		return "\\n";
	if (c == '\t')
		return "\\t";
	if (c == '\r')
		return "\\r";
	snprintf(buf, 8, "\\x%02x", c);
	return buf;
}

/*
 * Walk s: append to b (when not NULL) the escaped form; return true when
 * nothing needed escaping.
 */
static bool hs_text_walk(hs_buf *b, const char *str, size_t len, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;
	bool clean = true;
	char tmp[16];

	while (i < len) {
		const char *esc = NULL;
		size_t step = 1;
		uint32_t cp;

		if (s[i] < 0x80) {
			esc = hs_text_ascii(s[i], flags, tmp);
		} else if ((step = hs_text_utf8(s + i, len - i, &cp)) == 0) {
			step = 1;
			snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
			esc = tmp;
		} else if (hs_text_hidden(cp)) {
			if (flags & HS_TEXT_JSON)
				snprintf(tmp, sizeof(tmp), "\\u%04" PRIX32, cp);
			else
				snprintf(tmp, sizeof(tmp), "\\u%04" PRIx32, cp);
			esc = tmp;
		}
		if (!esc) {
			run += step;
			i += step;
			continue;
		}
		clean = false;
		if (!b)
			return false;
		hs_buf_add(b, s + i - run, run);
		hs_buf_adds(b, esc);
		run = 0;
		i += step;
	}
	if (b)
		hs_buf_add(b, s + i - run, run);
	return clean;
}

void hs_text_escape(hs_buf *b, const char *s, size_t len, unsigned flags)
{
	hs_text_walk(b, s, len, flags);
}

bool hs_text_is_clean(const char *s, size_t len, unsigned flags)
{
	return hs_text_walk(NULL, s, len, flags);
}

/* Append the escaped text to b, padded with spaces to width (left-aligned with left). */
static void hs_text_padded(hs_buf *b, const char *s, size_t len, long width, bool left)
{
	size_t at = b->len, n;

	if (!left) {
		hs_buf_grow(b, 0);
		hs_text_escape(b, s, len, 0);
		n = b->len - at;
		if (width > 0 && (size_t)width > n) {
			size_t pad = (size_t)width - n;

			hs_buf_grow(b, pad);
			memmove(b->data + at + pad, b->data + at, n);
			memset(b->data + at, ' ', pad);
			b->len += pad;
			b->data[b->len] = '\0';
		}
		return;
	}
	hs_text_escape(b, s, len, 0);
	for (n = b->len - at; width > 0 && n < (size_t)width; n++)
		hs_buf_addc(b, ' ');
}

/* The decimal number at *p (a width or precision of a format), *p moved past it. */
static long hs_text_num(const char **p)
{
	long v = 0;

	for (; **p >= '0' && **p <= '9'; (*p)++)
		if (v < 100000)
			v = v * 10 + (**p - '0');
	return v;
}

/*
 * The formatting of one conversion other than %s/%c is left to the C
 * library: spec is rebuilt from the parsed directive (with '*' resolved),
 * so it is not a literal.  The compiler checked the caller's format.
 */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
void hs_text_vaddf(hs_buf *b, const char *fmt, va_list ap)
{
	const char *p = fmt;

	hs_buf_grow(b, 0);
	while (*p) {
		char spec[64], len[3] = "";
		size_t sl = 1, fl;
		long width = -1, prec = -1;
		bool left = false;
		char conv;
		const char *pct = strchr(p, '%');

		if (!pct) {
			hs_buf_adds(b, p);
			break;
		}
		hs_buf_add(b, p, (size_t)(pct - p));
		p = pct + 1;
		spec[0] = '%';
		/* flags */
		fl = strspn(p, "-+ #0'");
		if (fl > 8)
			fl = 8;
		memcpy(spec + sl, p, fl);
		left = memchr(p, '-', fl) != NULL;
		sl += fl;
		p += fl;
		/* width */
		if (*p == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = true;
				spec[sl++] = '-';
				width = -width;
			}
			p++;
		} else if (*p >= '0' && *p <= '9') {
			width = hs_text_num(&p);
		}
		/* precision */
		if (*p == '.') {
			p++;
			if (*p == '*') {
				prec = va_arg(ap, int);
				p++;
			} else {
				prec = hs_text_num(&p);
			}
		}
		if (width >= 0)
			sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl, "%ld", width);
		if (prec >= 0)
			sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl, ".%ld", prec);
		/* length */
		if ((p[0] == 'h' && p[1] == 'h') || (p[0] == 'l' && p[1] == 'l')) {
			len[0] = p[0];
			len[1] = p[1];
			p += 2;
		} else if (*p && strchr("hljztL", *p)) {
			len[0] = *p++;
		}
		conv = *p;
		if (!conv)
			break;
		p++;
		memcpy(spec + sl, len, strlen(len));
		sl += strlen(len);
		spec[sl++] = conv;
		spec[sl] = '\0';

		switch (conv) {
		case '%':
			hs_buf_addc(b, '%');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			hs_text_padded(b, s, prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s), width, left);
			break;
		}
		case 'c': {
			char ch = (char)va_arg(ap, int);

			hs_text_padded(b, &ch, 1, width, left);
			break;
		}
		case 'd':
		case 'i':
			if (!strcmp(len, "l"))
				hs_buf_addf(b, spec, va_arg(ap, long));
			else if (!strcmp(len, "ll"))
				hs_buf_addf(b, spec, va_arg(ap, long long));
			else if (!strcmp(len, "j"))
				hs_buf_addf(b, spec, va_arg(ap, intmax_t));
			else if (!strcmp(len, "z"))
				hs_buf_addf(b, spec, va_arg(ap, ssize_t));
			else if (!strcmp(len, "t"))
				hs_buf_addf(b, spec, va_arg(ap, ptrdiff_t));
			else
				hs_buf_addf(b, spec, va_arg(ap, int));
			break;
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			if (!strcmp(len, "l"))
				hs_buf_addf(b, spec, va_arg(ap, unsigned long));
			else if (!strcmp(len, "ll"))
				hs_buf_addf(b, spec, va_arg(ap, unsigned long long));
			else if (!strcmp(len, "j"))
				hs_buf_addf(b, spec, va_arg(ap, uintmax_t));
			else if (!strcmp(len, "z"))
				hs_buf_addf(b, spec, va_arg(ap, size_t));
			else if (!strcmp(len, "t"))
				hs_buf_addf(b, spec, (size_t)va_arg(ap, ptrdiff_t));
			else
				hs_buf_addf(b, spec, va_arg(ap, unsigned int));
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
		case 'a':
		case 'A':
			if (!strcmp(len, "L"))
				hs_buf_addf(b, spec, va_arg(ap, long double));
			else
				hs_buf_addf(b, spec, va_arg(ap, double));
			break;
		case 'p':
			hs_buf_addf(b, spec, va_arg(ap, void *));
			break;
		case 'n':
			(void)va_arg(ap, void *); /* never written through */
			break;
		default:
			hs_buf_add(b, pct, (size_t)(p - pct));
			break;
		}
	}
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

void hs_text_addf(hs_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hs_text_vaddf(b, fmt, ap);
	va_end(ap);
}

int hs_text_fprintf(FILE *f, const char *fmt, ...)
{
	hs_buf b = HS_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	hs_text_vaddf(&b, fmt, ap);
	va_end(ap);
	rc = fwrite(b.data, 1, b.len, f) == b.len ? (int)b.len : -1;
	hs_buf_release(&b);
	return rc;
}
