#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char hs_buf_empty[1];

static void hs_oom(void)
{
	fputs("hivesnap: out of memory\n", stderr);
	abort();
}

void *hs_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		hs_oom();
	return p;
}

void *hs_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		hs_oom();
	return p;
}

void *hs_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		hs_oom();
	return q;
}

char *hs_xstrdup(const char *s)
{
	return hs_xstrndup(s, strlen(s));
}

char *hs_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = hs_xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void hs_buf_init(hs_buf *b)
{
	b->data = hs_buf_empty;
	b->len = 0;
	b->cap = 0;
}

void hs_buf_release(hs_buf *b)
{
	if (b->cap)
		free(b->data);
	hs_buf_init(b);
}

void hs_buf_grow(hs_buf *b, size_t n)
{
	size_t want;

	if (!b->data)
		hs_buf_init(b);
	if (b->len + n + 1 <= b->cap)
		return;
	want = b->cap ? b->cap : 64;
	while (want < b->len + n + 1)
		want *= 2;
	if (!b->cap) {
		char *p = hs_xmalloc(want);

		memcpy(p, b->data, b->len);
		p[b->len] = '\0';
		b->data = p;
	} else {
		b->data = hs_xrealloc(b->data, want);
	}
	b->cap = want;
}

void hs_buf_add(hs_buf *b, const void *data, size_t len)
{
	hs_buf_grow(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void hs_buf_adds(hs_buf *b, const char *s)
{
	hs_buf_add(b, s, strlen(s));
}

void hs_buf_addc(hs_buf *b, char c)
{
	hs_buf_add(b, &c, 1);
}

void hs_buf_vaddf(hs_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	hs_buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		hs_buf_grow(b, (size_t)n);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void hs_buf_addf(hs_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hs_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void hs_buf_reset(hs_buf *b)
{
	if (!b->data)
		hs_buf_init(b);
	b->len = 0;
	if (b->cap)
		b->data[0] = '\0';
}

char *hs_buf_detach(hs_buf *b, size_t *len)
{
	char *p;

	if (!b->cap)
		hs_buf_grow(b, 0);
	p = b->data;
	if (len)
		*len = b->len;
	hs_buf_init(b);
	return p;
}
