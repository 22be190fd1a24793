/*
 * log.h - logfmt logging on stderr.
 *
 *     level=info source=mongo msg="captured 3 collections" docs=1200
 *
 * The level and quietness are process-wide settings made once by the runner
 * before a command starts.  Messages never contain credentials: pass
 * redacted URIs.  Library code logs; it never prints to stdout.
 */
#ifndef HS_LOG_H
#define HS_LOG_H

#include "error.h"

enum hs_log_level { HS_LOG_DEBUG = 0, HS_LOG_INFO, HS_LOG_WARN, HS_LOG_ERROR, HS_LOG_OFF };

/* Messages below level are dropped.  Default: HS_LOG_INFO. */
void hs_log_set_level(enum hs_log_level level);
enum hs_log_level hs_log_get_level(void);

/*
 * Log one line.  source may be NULL (no source= field).  fmt formats the
 * msg value, which is quoted and escaped.  Extra key=value fields can be
 * appended with hs_logkv().
 */
void hs_log(enum hs_log_level level, const char *source, const char *fmt, ...) HS_PRINTF(3, 4);

/*
 * Log one line with extra fields: kv is a NULL-terminated list of
 * alternating key and value strings.  Values are quoted when needed.
 */
void hs_logkv(enum hs_log_level level, const char *source, const char *msg, const char *const *kv);

#define hs_debug(src, ...) hs_log(HS_LOG_DEBUG, src, __VA_ARGS__)
#define hs_info(src, ...) hs_log(HS_LOG_INFO, src, __VA_ARGS__)
#define hs_warn(src, ...) hs_log(HS_LOG_WARN, src, __VA_ARGS__)
#define hs_error_log(src, ...) hs_log(HS_LOG_ERROR, src, __VA_ARGS__)

#endif
