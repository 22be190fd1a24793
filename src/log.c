#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "textsafe.h"

static enum hs_log_level hs_log_level = HS_LOG_INFO;
static pthread_mutex_t hs_log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const hs_level_names[] = { "debug", "info", "warn", "error" };

void hs_log_set_level(enum hs_log_level level)
{
	hs_log_level = level;
}

enum hs_log_level hs_log_get_level(void)
{
	return hs_log_level;
}

/* Append a logfmt value: bare when it is a simple token (printable ASCII), quoted otherwise. */
static void hs_log_value(hs_buf *b, const char *v)
{
	const char *p;
	int bare = *v != '\0';

	for (p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) {
			bare = 0;
			break;
		}
	}
	if (bare) {
		hs_buf_adds(b, v);
		return;
	}
	/* controls, DEL, C1, invalid UTF-8: escaped (textsafe.h), so no value forges a line */
	hs_buf_addc(b, '"');
	hs_text_escape(b, v, strlen(v), HS_TEXT_QUOTE);
	hs_buf_addc(b, '"');
}

static void hs_log_emit(enum hs_log_level level, const char *source, const char *msg,
			const char *const *kv)
{
	hs_buf b = HS_BUF_INIT;

	if (level < hs_log_level || level >= HS_LOG_OFF)
		return;
	hs_buf_adds(&b, "level=");
	hs_buf_adds(&b, hs_level_names[level]);
	if (source) {
		hs_buf_adds(&b, " source=");
		hs_log_value(&b, source);
	}
	hs_buf_adds(&b, " msg=");
	{
		/* msg is always quoted, as logfmt readers expect for prose */
		hs_buf tmp = HS_BUF_INIT;
		hs_log_value(&tmp, msg);
		if (tmp.len && tmp.data[0] == '"') {
			hs_buf_add(&b, tmp.data, tmp.len);
		} else {
			hs_buf_addc(&b, '"');
			hs_buf_add(&b, tmp.data, tmp.len);
			hs_buf_addc(&b, '"');
		}
		hs_buf_release(&tmp);
	}
	for (; kv && kv[0] && kv[1]; kv += 2) {
		hs_buf_addc(&b, ' ');
		hs_buf_adds(&b, kv[0]);
		hs_buf_addc(&b, '=');
		hs_log_value(&b, kv[1]);
	}
	hs_buf_addc(&b, '\n');
	pthread_mutex_lock(&hs_log_lock);
	fwrite(b.data, 1, b.len, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&hs_log_lock);
	hs_buf_release(&b);
}

void hs_log(enum hs_log_level level, const char *source, const char *fmt, ...)
{
	hs_buf msg = HS_BUF_INIT;
	va_list ap;

	if (level < hs_log_level)
		return;
	va_start(ap, fmt);
	hs_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	hs_log_emit(level, source, msg.data, NULL);
	hs_buf_release(&msg);
}

void hs_logkv(enum hs_log_level level, const char *source, const char *msg, const char *const *kv)
{
	hs_log_emit(level, source, msg, kv);
}
