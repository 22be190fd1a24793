/*
 * redis_scan.h - the JSON scanner under the one reader of redis/db<N>.jsonl
 * records (src/sources/redis/redis_decode.h): restore's verifying pass, its apply and
 * diff all read records through it.
 *
 * It reads an entry through the archive reader in 64 KiB slices
 * (hs_rscan_new), or one line held in memory (hs_rscan_new_mem +
 * hs_rscan_set_mem: diff), and hands out one record part at a time:
 * hs_rscan_head() parses up to the value (key, type, expiry), the value is
 * read with the element calls (an array element by element: a hash of a
 * million fields needs the memory of one field), and hs_rscan_end() ends the
 * record.  No JSON tree is built.  Records are those written by
 * hs_redis_record_begin(): members key, type, expire_at_ms, value (value
 * last; unknown members before and after it are skipped, a repeated member
 * before it replaces the earlier one, and key, type, expire_at_ms or value
 * again after it is an error); expire_at_ms is null or an integer
 * 0..HS_REDIS_EXPIRE_MAX; byte strings are JSON strings or {"$base64":"..."}.
 *
 * Everything is checked as JSON (RFC 8259) is, skipped values too: strings
 * are UTF-8 with valid escapes and no raw control byte, numbers and literals
 * follow the grammar, nesting is at most HS_RSCAN_DEPTH deep, and no newline
 * occurs inside a record.
 *
 * Errors: the calls return -1; hs_rscan_ioerr() tells a read error of the
 * archive (e set by the reader) from a malformed record (e not set: the
 * caller names the line, hs_rscan_lineno(), and the reason, hs_rscan_why()).
 *
 * Ownership: hs_rscan_new() returns a scanner of rd (which stays the
 * caller's), hs_rscan_new_mem() one of the caller's memory; both are freed
 * by hs_rscan_free() (NULL is a no-op).
 */
#ifndef HS_REDIS_SCAN_H
#define HS_REDIS_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "archive.h"
#include "buf.h"
#include "error.h"

/* Nesting levels a skipped value may have. */
#define HS_RSCAN_DEPTH 128

typedef struct hs_rscan hs_rscan;

/*
 * The head of one record: key bytes, type, expiry (has_exp false: null).
 * exp_at, exp_len: where the expiry's token is (entry offsets; 0, 0 when
 * the record has none); value_at: where the value starts.
 */
typedef struct hs_rscan_rec {
	hs_buf key;
	char type[16];
	bool has_exp;
	int64_t exp_ms;
	uint64_t exp_at, value_at;
	size_t exp_len;
} hs_rscan_rec;

#define HS_RSCAN_REC_INIT { HS_BUF_INIT, "", false, -1, 0, 0, 0 }

hs_rscan *hs_rscan_new(hs_reader *rd, hs_error *e);
hs_rscan *hs_rscan_new_mem(void);
/* Read the n bytes at p (borrowed until the next call) as line lineno. */
void hs_rscan_set_mem(hs_rscan *s, const char *p, size_t n, size_t lineno);
void hs_rscan_free(hs_rscan *s);

/* Parse the next record up to its value: 1 record, 0 end of entry, -1 error. */
int hs_rscan_head(hs_rscan *s, hs_rscan_rec *h);
/* After the value: the rest of the record and its newline; 0 or -1. */
int hs_rscan_end(hs_rscan *s);

/*
 * The text of an expire_at_ms (n bytes at p) as the head reads it: null
 * (*has false) or an integer 0..HS_REDIS_EXPIRE_MAX.  -1 with *why set
 * otherwise.
 */
int hs_rscan_expiry(const char *p, size_t n, bool *has, int64_t *ms, const char **why);

/* A byte string (JSON string or {"$base64":...}) into out (reset first); out NULL: checked only. */
int hs_rscan_bytes(hs_rscan *s, hs_buf *out);
/* A JSON string's bytes into out (reset first). */
int hs_rscan_string(hs_rscan *s, hs_buf *out);
/*
 * A zset score: its text as Redis takes it (a JSON number, or inf, -inf),
 * refused where Redis's string2d refuses it (out of a double's range).
 */
int hs_rscan_score(hs_rscan *s, char *out, size_t n);
/* null (*is_null true) or an integer 0..INT64_MAX. */
int hs_rscan_uint(hs_rscan *s, int64_t *v, bool *is_null);
/* 1 and the literal read when null follows, else 0 (nothing read). */
int hs_rscan_null(hs_rscan *s);
/* Expect '['. */
int hs_rscan_open(hs_rscan *s);
/*
 * Before each element of an array: 1 when one follows (its comma read),
 * 0 at the closing ']' (read), -1 on error.  *first starts true.
 */
int hs_rscan_next(hs_rscan *s, bool *first);
/* Expect '{'. */
int hs_rscan_open_object(hs_rscan *s);
/*
 * Before each member of an object: 1 with its name in name and its colon
 * read, 0 at the closing '}' (read), -1 on error.  *first starts true.
 */
int hs_rscan_member(hs_rscan *s, bool *first, hs_buf *name);
/* Expect ','. */
int hs_rscan_comma(hs_rscan *s);
/* Expect ']'. */
int hs_rscan_close(hs_rscan *s);
/* Skip one value (checked as JSON). */
int hs_rscan_skip(hs_rscan *s);

/* Name why the record is refused, unless a reason is already set; returns -1. */
int hs_rscan_bad(hs_rscan *s, const char *why);
/* The reason the current record was refused ("not valid JSON" when none was named). */
const char *hs_rscan_why(const hs_rscan *s);
bool hs_rscan_ioerr(const hs_rscan *s);
/* The line of the current (or last) record, from 1. */
size_t hs_rscan_lineno(const hs_rscan *s);
/* Bytes of the entry read so far. */
uint64_t hs_rscan_offset(const hs_rscan *s);

void hs_rscan_rec_release(hs_rscan_rec *h);

#endif
