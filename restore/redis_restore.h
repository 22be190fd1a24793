/*
 * redis_restore.h - what the two halves of the Redis restore share: the
 * plan (restore/redis_plan.c: scanned from the entries by the verifying
 * pass, then checked against the target) and the apply (restore/redis.c).
 * Internal to restore/; the source's hooks are in src/sources/redis/redis_common.h.
 */
#ifndef HS_REDIS_RESTORE_H
#define HS_REDIS_RESTORE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "sources/redis/redis_common.h"
#include "source.h"

struct redisContext;
typedef struct hs_rplan hs_rplan;

enum hs_rrest_ttl { HS_TTL_ABSOLUTE, HS_TTL_RELATIVE, HS_TTL_NONE };

/* Kept from scan to plan to apply (r->state); hs_redis_restore_release() frees it. */
typedef struct hs_rrest {
	hs_redis_uri u;
	char *shown;                /* redacted target URI */
	bool explicit_db;           /* --to-redis names a db: map the one archive db there */
	bool replace;
	enum hs_rrest_ttl ttl;
	int64_t captured_ms;        /* capture start (relative TTLs) or -1 */
	hs_rplan *scan;             /* what the scan kept of the entries (redis_plan.c) */
} hs_rrest;

/* Parse the options and the target URI into a new state (no connection). */
int hs_rrest_setup(hs_restore *r, hs_rrest **out, hs_error *e);
/* --include/--exclude on a key name. */
bool hs_rrest_selected(const hs_restore_opts *o, const char *key, size_t klen);
/* "redis/db<N>.jsonl" -> N, else -1. */
int hs_rrest_entry_db(const char *name);
/* One plan or result step {"target","action","detail"}. */
json_t *hs_rrest_step(const hs_rrest *st, int db, const char *action, const char *fmt, ...) HS_PRINTF(4, 5);
/*
 * Add the live keys of the selected db that the capture's patterns for db
 * src match (manifest details, else the profile's, else "*") to live.
 */
int hs_rrest_live_keys(struct redisContext *c, const hs_restore *r, int src, hs_rsort *live, hs_error *e);
/* Free what the scan kept; NULL is a no-op (redis_plan.c). */
void hs_rplan_free(hs_rplan *p);

#endif
