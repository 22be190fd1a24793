/*
 * redis_common.h - what the Redis capture (snapshot/redis.c) and restore
 * (restore/redis.c) share: redis:// URI parsing and connecting (hiredis
 * 0.14, no TLS), the byte-exact JSON encoding of redis/db<N>.jsonl records
 * (docs/redis.md), and an external sorter that keeps memory bounded for
 * any keyspace by spilling sorted runs to temporary files.
 *
 * The encoders and the sorter do no network I/O: unit tests call them
 * directly (tests/unit/test_redis_*.c).
 */
#ifndef HS_REDIS_COMMON_H
#define HS_REDIS_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "extsort.h"
#include "source.h"

/* ------------------------------------------------------------------ URI */

/*
 * A parsed redis:// URI.  Every string belongs to the struct;
 * hs_redis_uri_release() frees them (and is a no-op on a zeroed struct).
 * password is SECRET: never log it.
 */
typedef struct hs_redis_uri {
	char *host;
	int port;          /* default 6379 */
	char *user;        /* NULL: none (AUTH with the password alone) */
	char *password;    /* NULL: no AUTH */
	int db;            /* 0 when not given */
	bool has_db;       /* a /N path was given */
} hs_redis_uri;

/*
 * Parse redis://[user[:password]@]host[:port][/db].  User and password are
 * percent-decoded.  rediss:// fails with HS_EXIT_FAILURE "TLS not supported
 * by this build"; anything else malformed fails with code badcode (the
 * caller knows whether the URI came from a profile or a flag).  Errors
 * show the redacted URI only.
 */
int hs_redis_uri_parse(const char *uri, int badcode, hs_redis_uri *out, hs_error *e);
void hs_redis_uri_release(hs_redis_uri *u);

struct redisContext;
struct redisReply;

/*
 * Connect, AUTH and SELECT db.  *out is a new context the caller frees
 * with redisFree(); NULL on failure (HS_EXIT_FAILURE naming the redacted
 * URI).  what is the redacted URI for messages.
 */
int hs_redis_connect(const hs_redis_uri *u, const char *what, int db,
		     struct redisContext **out, hs_error *e);

/* SELECT db on an open connection. */
int hs_redis_select(struct redisContext *c, int db, hs_error *e);

/* Run one command (argv form) and return its reply, or NULL with e set
 * (connection error or an error reply, HS_EXIT_FAILURE). */
struct redisReply *hs_redis_cmd(struct redisContext *c, hs_error *e, int argc,
				const char **argv, const size_t *lens);

/* Read one pipelined reply; NULL with e set on a connection error. */
struct redisReply *hs_redis_get_reply(struct redisContext *c, hs_error *e);

/* ------------------------------------------------------------ encoding */

/*
 * The latest expire_at_ms a record may hold: 2^62 ms (146 million years).
 * Redis takes any absolute expiry (PEXPIREAT, SET PXAT > 0) but refuses a
 * relative one (PEXPIRE, SET PX) whose sum with its clock passes LLONG_MAX
 * ("invalid expire time"); restore --redis-ttl relative sends expire_at_ms
 * minus the capture start (>= 0), so with this bound the sum fits while the
 * target's clock is below 2^62 ms.  The capture writes a later expiry as
 * this one; the record reader (src/sources/redis/redis_scan.c) refuses a later one.
 */
#define HS_REDIS_EXPIRE_MAX INT64_C(4611686018427387904)
#define HS_REDIS_EXPIRE_MAX_S "4611686018427387904"

/* True when the n bytes at p are valid UTF-8 (no overlongs, no surrogates). */
bool hs_redis_utf8_valid(const char *p, size_t n);

/* Append standard base64 (with padding) of n bytes. */
void hs_redis_b64_encode(hs_buf *out, const void *p, size_t n);
/* Decode base64 into out; -1 on malformed input. */
int hs_redis_b64_decode(hs_buf *out, const char *p, size_t n);

/*
 * Append the JSON form of a byte string: a JSON string when the bytes are
 * valid UTF-8 (NUL and control bytes escaped), else {"$base64":"..."}.
 */
void hs_redis_json_bytes(hs_buf *out, const char *p, size_t n);

/*
 * Append a zset score given as Redis prints it ("1.5", "inf", "-inf"):
 * a JSON number printed with %.17g so it reads back to the same double,
 * or the strings "inf" / "-inf".  -1 when text is not a number.
 */
int hs_redis_json_score(hs_buf *out, const char *text, size_t n);

/*
 * Decode a JSON byte string (string or {"$base64"}) written by
 * hs_redis_json_bytes into out (reset first).  -1 when v is neither.
 */
int hs_redis_bytes_from_json(const json_t *v, hs_buf *out);

/* Decode a score (number or "inf"/"-inf") into *d.  -1 when invalid. */
int hs_redis_score_from_json(const json_t *v, double *d);

/* Format a double as the shortest %.15g-%.17g that reads back exactly; inf, -inf. */
void hs_redis_score_format(double d, char *buf, size_t n);

/*
 * A list of byte strings in one arena (items of a hash, set, list, zset).
 * HS_RITEMS_INIT is empty; hs_ritems_release() frees.
 */
typedef struct hs_ritems {
	hs_buf data;
	size_t *off;
	size_t *len;
	size_t n, cap;
} hs_ritems;

#define HS_RITEMS_INIT { HS_BUF_INIT, NULL, NULL, 0, 0 }

void hs_ritems_add(hs_ritems *it, const char *p, size_t n);
void hs_ritems_reset(hs_ritems *it);
void hs_ritems_release(hs_ritems *it);
static inline const char *hs_ritems_at(const hs_ritems *it, size_t i)
{
	return it->data.data + it->off[i];
}

/*
 * Append the "value" JSON of a collection read into items:
 *   hash: items are field,value pairs -> [[f,v],...] sorted by field bytes,
 *         duplicate fields (HSCAN may repeat) dropped;
 *   set:  members -> [m,...] sorted by bytes, duplicates dropped;
 *   list: elements -> [e,...] in list order;
 *   zset: member,score pairs in ZRANGE order -> [[m,score],...].
 * type is "hash", "set", "list" or "zset".  -1 on a bad score.
 */
int hs_redis_json_items(hs_buf *out, const char *type, hs_ritems *items);

/*
 * Begin a record line: {"key":K,"type":T,"expire_at_ms":N|null,"value":
 * the caller appends the value JSON and then "}\n".  expire_at_ms < 0
 * means no expiry (null).
 */
void hs_redis_record_begin(hs_buf *out, const char *key, size_t klen, const char *type,
			   int64_t expire_at_ms);

/* -------------------------------------------------------------- sorter */
/* hs_rsort: extsort.h (the Redis capture and restore and the MongoDB client sort share it) */

/* ------------------------------------------------------------ big keys */
/*
 * Records of big keys built on disk (redis_big.c), for the capture: past a
 * threshold of bytes read, a collection's elements leave memory (a hash's
 * or set's members into an external sorter of their own, a list's or
 * zset's JSON elements into a file), and the finished record line (byte
 * for byte what hs_redis_json_items would give) is appended to a spool of
 * the db.  The key sorter then holds a short reference instead of the
 * record; hs_rbig_is_ref() recognises it, hs_rbig_copy() writes the record
 * it names into the entry in slices.
 *
 * Ownership: hs_rbig_new() returns a builder freed by hs_rbig_free()
 * (NULL is a no-op), which closes and so removes its temporary files.
 */
typedef struct hs_rbig hs_rbig;
struct hs_entry;
hs_rbig *hs_rbig_new(void);
void hs_rbig_free(hs_rbig *b);
/* Start building one key of type ("hash", "set", "list", "zset"). */
int hs_rbig_begin(hs_rbig *b, const char *type, hs_error *e);
/* True between hs_rbig_begin() and hs_rbig_finish()/hs_rbig_abort(). */
bool hs_rbig_active(const hs_rbig *b);
/* Move the items read so far (as hs_redis_json_items takes them) out of memory; items is reset. */
int hs_rbig_add(hs_rbig *b, hs_ritems *items, hs_error *e);
/* Forget the key being built (it vanished or changed type: read again). */
void hs_rbig_abort(hs_rbig *b);
/*
 * Write the key's record line to the spool; ref gets the reference to add
 * to the key sorter in place of the record, rec_len the record's length.
 */
int hs_rbig_finish(hs_rbig *b, const char *key, size_t klen, const char *type, int64_t expire_at_ms,
		   hs_buf *ref, uint64_t *rec_len, hs_error *e);
bool hs_rbig_is_ref(const char *rec, size_t rlen);
/* Write the record ref names to en (ref: a pair's record for which hs_rbig_is_ref()). */
int hs_rbig_copy(hs_rbig *b, const char *ref, struct hs_entry *en, hs_error *e);

/* Keys are ordered as the sorter orders them: hs_keycmp (extsort.h). */

/* ------------------------------------------------------------- restore */

/* restore/redis.c: the source's restore hooks (see source.h). */
int hs_redis_restore_plan(hs_restore *r, hs_error *e);
int hs_redis_restore_apply(hs_restore *r, hs_error *e);
/* restore/redis_plan.c: the plan, from the entries the verifying pass reads. */
int hs_redis_restore_scan(hs_restore *r, hs_reader *rd, const hs_reader_entry *ent, hs_error *e);
/* verify's content check (source.h entry_check; restore/redis_plan.c). */
int hs_redis_entry_check(const char *archive, hs_reader *rd, const hs_reader_entry *ent, hs_error *e);
void hs_redis_restore_release(hs_restore *r);

#endif
