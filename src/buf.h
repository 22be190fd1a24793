/*
 * buf.h - a growable byte buffer (after git's strbuf).
 *
 * A hs_buf always holds a NUL after its len bytes, so buf.data can be used as
 * a C string when it holds text.  HS_BUF_INIT is a valid empty buffer; the
 * owner calls hs_buf_release() once.  Allocation failure aborts the process
 * (the only place hivesnap does so: there is no sensible recovery).
 */
#ifndef HS_BUF_H
#define HS_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

typedef struct hs_buf {
	char *data;
	size_t len;
	size_t cap;
} hs_buf;

#define HS_BUF_INIT { NULL, 0, 0 }

void hs_buf_init(hs_buf *b);
void hs_buf_release(hs_buf *b);
/* Make room for at least n more bytes. */
void hs_buf_grow(hs_buf *b, size_t n);
void hs_buf_add(hs_buf *b, const void *data, size_t len);
void hs_buf_adds(hs_buf *b, const char *s);
void hs_buf_addc(hs_buf *b, char c);
void hs_buf_addf(hs_buf *b, const char *fmt, ...) HS_PRINTF(2, 3);
void hs_buf_vaddf(hs_buf *b, const char *fmt, va_list ap) HS_PRINTF(2, 0);
void hs_buf_reset(hs_buf *b);
/* Hand the data to the caller (who frees it); b becomes empty. */
char *hs_buf_detach(hs_buf *b, size_t *len);

/* Allocation helpers that abort on out-of-memory. */
void *hs_xmalloc(size_t n);
void *hs_xcalloc(size_t n, size_t size);
void *hs_xrealloc(void *p, size_t n);
char *hs_xstrdup(const char *s);
char *hs_xstrndup(const char *s, size_t n);

#endif
