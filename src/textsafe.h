/*
 * textsafe.h - render an untrusted string for a text report.
 *
 * Names in an archive (Kafka groups, Redis keys, Mongo collections, k8s
 * objects, error texts) are input: one holding "\nlevel=error msg=..."
 * printed raw forges a line of the report or the log, and one holding
 * "\x1b]..." drives the terminal.  Every text report therefore prints such
 * strings through these functions.  The mapping:
 *
 *   '\n' '\t' '\r'                  \n \t \r
 *   other C0 controls, DEL          \xNN
 *   C1 controls U+0080..U+009F      \u0085 (lowercase hex)
 *   U+2028, U+2029, bidi controls   \u202e (U+200E/F, U+202A..E, U+2066..9)
 *   a byte that is not valid UTF-8  \xNN (each such byte)
 *   '\\'                            \\ (so that the mapping is one to one)
 *   anything else                   as is (valid UTF-8 text stays readable)
 *
 * Escape at print time only, never in stored data (JSON, the archive):
 * escaping twice doubles the backslashes.  JSON output needs none of this
 * (jansson escapes control characters; see HS_TEXT_JSON for its text shown
 * in a text report).
 */
#ifndef HS_TEXTSAFE_H
#define HS_TEXTSAFE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

enum hs_text_flags {
	HS_TEXT_QUOTE = 1,      /* also '"' as \" (a quoted value: logfmt) */
	HS_TEXT_JSON = 2        /* s is JSON text: '\\' kept, escapes \u00NN (uppercase, as jansson's) */
};

/* Append len bytes of s to b, escaped as above.  flags: enum hs_text_flags. */
void hs_text_escape(hs_buf *b, const char *s, size_t len, unsigned flags);

/* True when s (len bytes) prints as is: hs_text_escape() would not change it. */
bool hs_text_is_clean(const char *s, size_t len, unsigned flags);

/*
 * hs_buf_addf() and fprintf() with every %s and %c argument escaped (the
 * format itself is trusted: its own '\n' stay line ends).  A precision
 * (%.*s) bounds the bytes read from the argument; a width pads the escaped
 * text.  hs_text_fprintf() returns the bytes written, or -1.
 */
void hs_text_vaddf(hs_buf *b, const char *fmt, va_list ap) HS_PRINTF(2, 0);
void hs_text_addf(hs_buf *b, const char *fmt, ...) HS_PRINTF(2, 3);
int hs_text_fprintf(FILE *f, const char *fmt, ...) HS_PRINTF(2, 3);

#endif
