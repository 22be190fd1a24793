/*
 * redis_scan.h - a streaming reader of redis/db<N>.jsonl records (restore).
 *
 * The entry is read through the archive reader in 64 KiB slices and handed
 * out one record part at a time: hs_rscan_head() parses up to the value
 * (key, type, expiry), then the caller reads the value with the element
 * calls (an array element by element: a hash of a million fields needs the
 * memory of one field), or skips it, or takes its JSON text whole
 * (hs_rscan_raw, for streams and module dumps), and ends the record with
 * hs_rscan_end().  No JSON tree is built, so a record costs no allocation
 * beyond the caller's buffers.  Records are those written by
 * hs_redis_record_begin(): members key, type, expire_at_ms, value (value
 * last; unknown members before and after it are skipped, a repeated member
 * before it replaces the earlier one as in jansson, and key, type,
 * expire_at_ms or value again after it is an error); expire_at_ms is null or
 * an integer 0..INT64_MAX; byte strings are JSON strings or {"$base64":"..."}.
 *
 * Errors: the calls return -1; hs_rscan_ioerr() tells a read error of the
 * archive (e set by the reader) from malformed JSON (e not set: the caller
 * names the line, hs_rscan_lineno()).
 *
 * Ownership: hs_rscan_new() returns a scanner of rd (which stays the
 * caller's) freed by hs_rscan_free() (NULL is a no-op).
 */
#ifndef HS_REDIS_SCAN_H
#define HS_REDIS_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "archive.h"
#include "buf.h"
#include "error.h"

typedef struct hs_rscan hs_rscan;

/* The head of one record: key bytes, type, expiry (has_exp false: null). */
typedef struct hs_rscan_rec {
	hs_buf key;
	char type[16];
	bool has_exp;
	int64_t exp_ms;
} hs_rscan_rec;

hs_rscan *hs_rscan_new(hs_reader *rd, hs_error *e);
void hs_rscan_free(hs_rscan *s);

/* Parse the next record up to its value: 1 record, 0 end of entry, -1 error. */
int hs_rscan_head(hs_rscan *s, hs_rscan_rec *h);
/* After the value: the rest of the record and its newline; 0 or -1. */
int hs_rscan_end(hs_rscan *s);

/* A byte string (JSON string or {"$base64":...}) into out (reset first). */
int hs_rscan_bytes(hs_rscan *s, hs_buf *out);
/* A zset score: its text as Redis takes it (a JSON number, or inf, -inf). */
int hs_rscan_score(hs_rscan *s, char *out, size_t n);
/* Expect '['. */
int hs_rscan_open(hs_rscan *s);
/*
 * Before each element of an array: 1 when one follows (its comma read),
 * 0 at the closing ']' (read), -1 on error.  *first starts true.
 */
int hs_rscan_next(hs_rscan *s, bool *first);
/* Expect ','. */
int hs_rscan_comma(hs_rscan *s);
/* Expect ']'. */
int hs_rscan_close(hs_rscan *s);
/* Skip one value. */
int hs_rscan_skip(hs_rscan *s);
/* One value's JSON text into out (reset first). */
int hs_rscan_raw(hs_rscan *s, hs_buf *out);

bool hs_rscan_ioerr(const hs_rscan *s);
/* The line of the current (or last) record, from 1. */
size_t hs_rscan_lineno(const hs_rscan *s);
/* Bytes of the entry read so far. */
uint64_t hs_rscan_offset(const hs_rscan *s);

void hs_rscan_rec_release(hs_rscan_rec *h);

#endif
