/*
 * linereader.c - lines and length-prefixed records out of a window (see
 * linereader.h).
 *
 * The window holds win[pos..len) unread; a refill first moves that
 * partial record to the window's start (only when something was taken
 * from it), then reads into the free tail.  A line that fills the whole
 * window without a '\n', or a record longer than the window, goes to the
 * side buffer; the side buffer is dropped at the next call once it has
 * grown past the window's size, so one big key does not keep its memory.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "linereader.h"

struct hs_linereader {
	hs_lr_read_fn fn;
	void *ctx;
	char *win;
	size_t cap;          /* the window's size */
	size_t pos, len;     /* win[pos..len) is unread */
	size_t scanned;      /* bytes after pos known to hold no '\n' */
	bool eof;            /* fn returned 0: never call it again */
	hs_buf side;         /* a line or record longer than the window */
};

/* See linereader.h. */
hs_linereader *hs_lr_new(hs_lr_read_fn fn, void *ctx, size_t window)
{
	hs_linereader *lr = hs_xcalloc(1, sizeof(*lr));

	lr->fn = fn;
	lr->ctx = ctx;
	lr->cap = window ? window : HS_LR_WINDOW;
	lr->win = hs_xmalloc(lr->cap);
	hs_buf_init(&lr->side);
	return lr;
}

/* See linereader.h. */
void hs_lr_free(hs_linereader *lr)
{
	if (!lr)
		return;
	free(lr->win);
	hs_buf_release(&lr->side);
	free(lr);
}

/* Move the unread bytes to the window's start. */
static void hs_lr_compact(hs_linereader *lr)
{
	if (!lr->pos)
		return;
	memmove(lr->win, lr->win + lr->pos, lr->len - lr->pos);
	lr->len -= lr->pos;
	lr->pos = 0;
}

/*
 * Fill the window's free tail (there is one), read after read, up to its
 * end or the data's (eof).  Whole windows: the merges read two sources in
 * turn, and each switch costs the caches.
 */
static int hs_lr_fill(hs_linereader *lr, hs_error *e)
{
	while (lr->len < lr->cap) {
		ssize_t n = lr->fn(lr->ctx, lr->win + lr->len, lr->cap - lr->len, e);

		if (n < 0)
			return -1;
		if (n == 0) {
			lr->eof = true;
			break;
		}
		lr->len += (size_t)n;
	}
	return 0;
}

/* Drop a side buffer that a big record grew past the window's size. */
static void hs_lr_shrink(hs_linereader *lr)
{
	if (lr->side.cap > lr->cap)
		hs_buf_release(&lr->side);
}

/*
 * The window is full (pos 0) and holds no '\n': gather the line in the
 * side buffer, a window's worth at a time, up to its '\n' or the end.
 */
static int hs_lr_long_line(hs_linereader *lr, const char **line, size_t *len, hs_error *e)
{
	const char *q;

	hs_buf_reset(&lr->side);
	hs_buf_add(&lr->side, lr->win, lr->len);
	lr->pos = lr->len = lr->scanned = 0;
	while (!lr->eof) {
		/* a fill may bring bytes and reach the end at once */
		if (hs_lr_fill(lr, e))
			return -1;
		q = memchr(lr->win, '\n', lr->len);
		if (q) {
			lr->pos = (size_t)(q - lr->win) + 1;
			hs_buf_add(&lr->side, lr->win, lr->pos);
			break;
		}
		hs_buf_add(&lr->side, lr->win, lr->len);
		lr->len = 0;
	}
	*line = lr->side.data;
	*len = lr->side.len;
	return 1;
}

/* See linereader.h. */
int hs_lr_line(hs_linereader *lr, const char **line, size_t *len, hs_error *e)
{
	hs_lr_shrink(lr);
	for (;;) {
		size_t avail = lr->len - lr->pos;
		const char *q = lr->scanned < avail
					? memchr(lr->win + lr->pos + lr->scanned, '\n', avail - lr->scanned)
					: NULL;

		if (q || (lr->eof && avail)) {
			*line = lr->win + lr->pos;
			*len = q ? (size_t)(q - *line) + 1 : avail;
			lr->pos += *len;
			lr->scanned = 0;
			return 1;
		}
		if (lr->eof)
			return 0;
		lr->scanned = avail;
		hs_lr_compact(lr);
		if (lr->len == lr->cap)
			return hs_lr_long_line(lr, line, len, e);
		if (hs_lr_fill(lr, e))
			return -1;
	}
}

/* See linereader.h. */
int hs_lr_peek(hs_linereader *lr, size_t n, const char **p, size_t *got, hs_error *e)
{
	if (n > lr->cap)
		return hs_err(e, HS_EXIT_FAILURE, "cannot look %zu bytes ahead: the window holds %zu", n,
			      lr->cap);
	hs_lr_shrink(lr);
	while (lr->len - lr->pos < n && !lr->eof) {
		if (lr->pos + n > lr->cap)
			hs_lr_compact(lr);
		if (hs_lr_fill(lr, e))
			return -1;
	}
	*p = lr->win + lr->pos;
	*got = lr->len - lr->pos < n ? lr->len - lr->pos : n;
	return 0;
}

/* See linereader.h. */
int hs_lr_take(hs_linereader *lr, size_t n, const char **p, size_t *got, hs_error *e)
{
	hs_buf *s = &lr->side;

	lr->scanned = 0;
	if (n <= lr->cap) {
		if (hs_lr_peek(lr, n, p, got, e))
			return -1;
		lr->pos += *got;
		return 0;
	}
	/* longer than the window: what the window holds, then straight into the side buffer */
	hs_buf_reset(s);
	hs_buf_add(s, lr->win + lr->pos, lr->len - lr->pos);
	lr->pos = lr->len = 0;
	while (s->len < n && !lr->eof) {
		size_t want = n - s->len < lr->cap ? n - s->len : lr->cap;
		ssize_t k;

		hs_buf_grow(s, want);
		k = lr->fn(lr->ctx, s->data + s->len, want, e);
		if (k < 0)
			return -1;
		if (k == 0)
			lr->eof = true;
		s->len += (size_t)k;
		s->data[s->len] = '\0';
	}
	*p = s->data;
	*got = s->len;
	return 0;
}

/* See linereader.h. */
ssize_t hs_lr_read_file(void *ctx, void *buf, size_t n, hs_error *e)
{
	FILE *f = ctx;
	size_t got = fread(buf, 1, n, f);

	if (!got && ferror(f))
		return hs_err(e, HS_EXIT_FAILURE, "read error");
	return (ssize_t)got;
}
