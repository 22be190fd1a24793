/*
 * redis_decode.h - THE reading of a redis/db<N>.jsonl record's value: one
 * decoder that restore's verifying pass (restore/redis_plan.c), its apply
 * (restore/redis.c) and diff (src/sources/redis/diff_redis.c) all call, so that a record
 * one of them takes the others take too, and one they refuse all refuse,
 * with the same reason.  docs/redis.md "Records" is the format;
 * docs/hardening.md "Content-level checks" lists what is checked.
 *
 * After hs_rscan_head() (redis_scan.h: key, type, expiry, the expiry
 * bounded by HS_REDIS_EXPIRE_MAX), hs_rdec_value() reads the value by its
 * type and the rest of the record, and checks everything a Redis server
 * would refuse when the value is written, so that a record that passes
 * cannot fail at the server half-way through a restore:
 *
 *   string  a byte string;
 *   hash    [[field, value], ...], at least one pair;
 *   list    [element, ...], set [member, ...], at least one;
 *   zset    [[member, score], ...], at least one, each score a JSON number
 *           Redis reads as a double (not out of range) or "inf"/"-inf";
 *   stream  {"last_id", "entries", "groups"[, "entries_added",
 *           "max_deleted_id"]}, no other member and none twice; ids
 *           "ms-seq" (two unsigned 64-bit decimals); entries [id, [f, v,
 *           ...]] with ids above 0-0 in increasing order and pairs of
 *           fields; last_id not below the last entry nor below
 *           max_deleted_id; entries_added not below the number of
 *           entries; groups {"name", "last_delivered_id", "entries_read"}
 *           with distinct names and entries_read null or >= 0 (XADD, XSETID
 *           and XGROUP CREATE refuse all of these);
 *   other   (module types) {"$dump": base64} whose payload has DUMP's
 *           trailer (RDB version and a CRC-64 that matches).
 *
 * What the caller wants of the value comes through a sink; with none the
 * value is only checked.  Streams are checked whole before their groups
 * and last id are handed out (entries as they are read: XADD comes first).
 */
#ifndef HS_REDIS_DECODE_H
#define HS_REDIS_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "redis_common.h"
#include "redis_scan.h"

/* A stream's last id and counters, handed out after its entries. */
typedef struct hs_rdec_xmeta {
	const char *last_id;          /* NULL: none (null) */
	int64_t entries_added;        /* -1: not recorded */
	const char *max_deleted_id;   /* NULL: not recorded */
	uint64_t entries;             /* entries in the record */
} hs_rdec_xmeta;

/*
 * What a caller does with a value.  Every callback is optional and returns
 * 0, or non-zero to stop (hs_rdec_value then returns HS_RDEC_STOPPED; the
 * callback keeps its own error).  Buffers are valid during the call.
 */
typedef struct hs_rdec_sink {
	void *ctx;
	/*
	 * string: a, the value; list, set: a, one element; hash: a, a field,
	 * and b, its value; zset: a, a member, and score, its text as Redis
	 * takes it.  Elements come in the record's order.
	 */
	int (*elem)(void *ctx, const hs_buf *a, const hs_buf *b, const char *score);
	/* One stream entry: its id and its fields and values (fv, in pairs). */
	int (*xentry)(void *ctx, const char *id, const hs_ritems *fv);
	/* After the entries: the last id and counters. */
	int (*xmeta)(void *ctx, const hs_rdec_xmeta *m);
	/* After xmeta, each group: entries_read -1 for null. */
	int (*xgroup)(void *ctx, const hs_buf *name, const char *last_delivered_id, int64_t entries_read);
	/* A module type's DUMP payload. */
	int (*dump)(void *ctx, const hs_buf *payload);
} hs_rdec_sink;

#define HS_RDEC_STOPPED (-2)

/* The decoder's buffers, kept from record to record. */
typedef struct hs_rdec hs_rdec;

hs_rdec *hs_rdec_new(void);
void hs_rdec_free(hs_rdec *d);

/*
 * Read and check the value of the record whose head h was just read from
 * s, then the rest of the record (hs_rscan_end), handing the value to k
 * (NULL: checked only).  0 done; -1 a read error (hs_rscan_ioerr) or a
 * malformed record (hs_rscan_why names the reason); HS_RDEC_STOPPED when a
 * callback returned non-zero.
 */
int hs_rdec_value(hs_rdec *d, hs_rscan *s, const hs_rscan_rec *h, const hs_rdec_sink *k);

/*
 * A caller's look at one record of hs_rdec_entry: h is the record's head,
 * its value already read and checked.  0 to go on, or -1 with e set (then
 * hs_rdec_entry returns -1 with e as it is).
 */
typedef int (*hs_rdec_rec_fn)(void *ctx, const hs_rscan_rec *h, hs_error *e);

/*
 * Read every record of rd's current entry, a redis/db<N>.jsonl called
 * name (for messages), as restore's verifying pass reads it before
 * anything is written, and as `verify` checks it: each record's head
 * (hs_rscan_head) and value (hs_rdec_value, checked only) whole, the
 * records in key order, each key once (hs_rdec_in_order).  After each
 * good record rec (NULL: none) is called with h, the head's buffer (the
 * caller's, kept from call to call).  Returns 0 at the end of the entry;
 * -1 with e set: the reader's error as it is, HS_EXIT_DATA "<name> line
 * <N>: <reason>" for a malformed record, or rec's.
 */
int hs_rdec_entry(hs_rdec *d, hs_reader *rd, const char *name, hs_rscan_rec *h, hs_rdec_rec_fn rec, void *ctx,
		  hs_error *e);

/*
 * True when key comes strictly after prev (hs_keycmp: memcmp order,
 * shorter first): records are sorted by key bytes, each key once.
 */
bool hs_rdec_in_order(const hs_buf *prev, const hs_buf *key);

/* True for the types hs_rdec_value reads as collections or strings ("string" ... "stream"). */
bool hs_rdec_known_type(const char *type);

/* Redis's CRC-64 (Jones, reflected, as crc64() in its src/crc64.c) of n bytes, from crc. */
uint64_t hs_rdec_crc64(uint64_t crc, const void *p, size_t n);

#endif
