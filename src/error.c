#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void hs_error_init(hs_error *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

int hs_err(hs_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* dst = a + ": " + b, truncated to the message size. */
static void hs_join(char *dst, const char *a, const char *b)
{
	size_t n = 0, i;
	const char *parts[3] = { a, ": ", b };

	for (i = 0; i < 3; i++) {
		size_t len = strlen(parts[i]);

		if (len > HS_ERROR_MSG_MAX - 1 - n)
			len = HS_ERROR_MSG_MAX - 1 - n;
		memmove(dst + n, parts[i], len);
		n += len;
	}
	dst[n] = '\0';
}

int hs_err_prefix(hs_error *e, const char *fmt, ...)
{
	char prefix[HS_ERROR_MSG_MAX];
	char old[HS_ERROR_MSG_MAX];
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	hs_join(e->msg, prefix, old);
	if (!e->code)
		e->code = HS_EXIT_FAILURE;
	return -1;
}

int hs_err_errno(hs_error *e, int code, int errnum, const char *fmt, ...)
{
	char what[HS_ERROR_MSG_MAX];
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	e->code = code;
	hs_join(e->msg, what, strerror(errnum));
	return -1;
}
