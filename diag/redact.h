/*
 * redact.h - redaction of bundle text (diag): credentials in URIs,
 * Authorization headers, bearer tokens, JWTs, password=/token=/secret=
 * pairs, PEM private key blocks, plus the profile's own regexes
 * (diag.redact: POSIX extended, case-insensitive).  Each match becomes
 * "***" (a URI keeps its scheme, user and host: "mongodb://app:***@db").
 *
 * Text is redacted line by line as it streams; a line longer than
 * HS_REDACT_LINE_MAX is cut into pieces of at most that size (just after a
 * blank or punctuation in a piece's last 4 KiB when there is one, so a
 * value is rarely split), each redacted on its own.  A PEM private key block is replaced whole, however many lines.
 * The redactor counts matches per rule (the bundle's redaction report);
 * it never keeps or reports the values.
 */
#ifndef HS_REDACT_H
#define HS_REDACT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "error.h"
#include "profile.h"

#define HS_REDACT_LINE_MAX 65536

typedef struct hs_redactor hs_redactor;

/*
 * The built-in rules plus extra (the profile's regexes; may be NULL).
 * A regex that does not compile is HS_EXIT_DATA naming it.
 */
int hs_redactor_new(hs_redactor **out, const hs_strlist *extra, hs_error *e);
void hs_redactor_free(hs_redactor *r);

/* Where redacted bytes go; returns 0 or -1 with e filled. */
typedef int (*hs_redact_sink)(void *arg, const void *data, size_t len, hs_error *e);

/*
 * Redact everything read from in (to EOF) into sink.  State (an open PEM
 * block) does not carry over between calls: each call is one document.
 * Errors: reading in (HS_EXIT_FAILURE), or the sink's.
 */
int hs_redact_stream(hs_redactor *r, FILE *in, hs_redact_sink sink, void *arg, hs_error *e);

/* Redact len bytes of in, appending the result to out (one document). */
void hs_redact_buf(hs_redactor *r, const char *in, size_t len, hs_buf *out);

/*
 * The report: {"rules": {"<rule name>": count, ...}, "total": n} with every
 * rule, zero counts included; profile rules are named "profile:<n>" (their
 * index), never by the regex text.  New reference.
 */
json_t *hs_redactor_report(const hs_redactor *r);

#endif
