/*
 * mongo_common.h - what the MongoDB capture (snapshot/mongo.c) and restore
 * (restore/mongo.c) share: connecting without leaking the URI's secrets,
 * the mongodump-compatible metadata document, namespace selection and
 * mapping.  The pure functions (no server) are unit-tested in
 * tests/unit/test_mongo_common.c.
 *
 * Ownership: strings returned as char * are the caller's (free()); bson_t
 * out-parameters are initialised by the callee on success and destroyed by
 * the caller; on failure they are left uninitialised.
 */
#ifndef HS_MONGO_COMMON_H
#define HS_MONGO_COMMON_H

#include <bson/bson.h>
#include <mongoc/mongoc.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "source.h"

/* The documents' batch size (bytes) for inserts and for buffering entry writes. */
#define HS_MONGO_BATCH_BYTES (4u * 1024 * 1024)
#define HS_MONGO_BATCH_DOCS 1000

/*
 * Remove this process's /dev/shm/mongoc-<pid> name, which libmongoc's
 * automatic init creates before main(): a SIGKILLed run then leaves no file
 * behind to make a later run with the same pid warn.  Call first in main().
 */
void hs_mongo_shm_forget(void);

/* mongoc_init() once per process (thread-safe). */
void hs_mongo_global_init(void);

/* socketTimeoutMS unless the URI sets one: one read or write may wait this long */
#define HS_MONGO_SOCKET_TIMEOUT_MS 3600000

/*
 * Parse uri and create a client pool of at most max_size clients, with the
 * app name "hivesnap", error API v2 and, unless the URI says otherwise, a
 * 5 s server selection and connect timeout (so an unreachable server fails
 * fast) and a socket timeout of HS_MONGO_SOCKET_TIMEOUT_MS.  No
 * connection is made yet.  Errors name the redacted URI only.  *pool is
 * the caller's (mongoc_client_pool_destroy); *uri_out too
 * (mongoc_uri_destroy), and may be NULL when not wanted.
 */
int hs_mongo_pool_new(const char *uri, int max_size, mongoc_client_pool_t **pool,
		      mongoc_uri_t **uri_out, hs_error *e);

/*
 * Remove every secret of uri (the userinfo password, query parameter
 * values) from msg in place, replacing each with "***".  Driver messages
 * pass through this before they reach an hs_error.
 */
void hs_mongo_scrub(char *msg, size_t size, const char *uri);

/*
 * Fill e from a driver error: "<prefix>: <driver message>", secrets of
 * uri scrubbed.  code is the hs_exit code.  Returns -1.
 */
int hs_mongo_err(hs_error *e, int code, const bson_error_t *berr, const char *uri,
		 const char *fmt, ...) HS_PRINTF(5, 6);

/*
 * The UUID of a listCollections info.uuid (binary subtype 4) as 32
 * lowercase hex digits, as mongodump writes it.  Returns false when the
 * iterator does not hold a 16-byte UUID.
 */
bool hs_mongo_uuid_hex(const bson_iter_t *it, char out[33]);

/*
 * The <coll>.metadata.json text exactly as mongodump writes it: a compact
 * canonical Extended JSON object {"options"?, "indexes", "uuid"?,
 * "collectionName", "type"?} ("options" left out when empty, "uuid" and
 * "type" when NULL; no final newline).  options may be NULL; indexes is a
 * BSON array document ("0", "1", ...) of listIndexes specs, may be NULL
 * (written as []).  Returns a new string or NULL (e filled) when a value
 * cannot be represented as JSON.
 */
char *hs_mongo_metadata_json(const bson_t *options, const bson_t *indexes, const char *uuid,
			     const char *name, const char *type, hs_error *e);

/*
 * Parse a metadata.json text (as above, or mongodump's) into its parts:
 * *options and *indexes are initialised (empty when absent), type is
 * copied ("collection" when absent).  HS_EXIT_DATA when it is not valid
 * (not Extended JSON, or not an object: libbson would take an array).
 */
int hs_mongo_metadata_parse(const char *text, size_t len, bson_t *options, bson_t *indexes,
			    char *type, size_t type_size, hs_error *e);

/*
 * An index spec as createIndexes takes it: the listIndexes document
 * without "v" and "ns" (FerretDB and some servers reject them).
 */
void hs_mongo_index_spec(const bson_t *listed, bson_t *out);

/*
 * Split the entry name "mongo/<db>/<coll>.bson" or ".metadata.json" into
 * db, coll and kind (0 = bson, 1 = metadata).  Returns false for any other
 * name.  db and coll are new strings the caller frees.
 */
bool hs_mongo_entry_split(const char *name, char **db, char **coll, int *kind);

/*
 * Whether the namespace "db.coll" passes --include / --exclude
 * (fnmatch globs over the namespace; NULL-terminated lists, may be NULL).
 * No include list means everything is included; excludes win.
 */
bool hs_mongo_ns_selected(const char *ns, const char *const *include, const char *const *exclude);

/*
 * Map the namespace ns through the --map-ns rules "SRC=DST" (the first
 * that matches wins).  SRC may hold one '*' matching any run of
 * characters; a '*' in DST is replaced by what it matched.  Writes the
 * target namespace (a new string) to *out: ns itself when no rule
 * matches.  A rule without '=' or with an empty side, or a '*' in DST
 * without one in SRC, is HS_EXIT_USAGE.
 */
int hs_mongo_ns_map(const char *ns, const char *const *rules, char **out, hs_error *e);

/* Check every --map-ns rule's syntax (HS_EXIT_USAGE naming the rule). */
int hs_mongo_ns_rules_check(const char *const *rules, hs_error *e);

/* Split "db.coll" at the first '.' into new strings; false when malformed. */
bool hs_mongo_ns_split(const char *ns, char **db, char **coll);

/*
 * Whether db.coll is a system namespace, which restore refuses to read
 * from or write to without --allow-system: the databases admin, local
 * and config (users, roles, the oplog, sharding state), and collections
 * named system.* in any database (capture skips those).
 */
bool hs_mongo_ns_system(const char *db, const char *coll);

/*
 * Append to key an order-preserving byte encoding of the _id value at id
 * (src/sources/mongo/mongo_idkey.c): memcmp order of two keys, the shorter first on
 * a common prefix, is MongoDB's comparison order of the values (no
 * collation).  One byte per type bracket (MinKey < null < numbers <
 * strings and symbols < BinData < ObjectId < bool < Date < Timestamp <
 * MaxKey), then: int32, int64 and double as one comparable double (-0 as
 * 0, NaN below every number), strings' bytes with 0x00 escaped, BinData by
 * length, subtype, bytes.  Returns 0, or 1 (key may hold a partial
 * encoding: discard it) for a value this cannot order: an int64 a double
 * does not hold exactly, decimal128, objects, arrays, regex, code,
 * undefined, dbpointer.
 */
int hs_mongo_id_key(const bson_iter_t *id, hs_buf *key);

/* Restore hooks (restore/mongo.c, restore/mongo_scan.c), called through hs_source_mongo. */
int hs_mongo_restore_scan(hs_restore *r, hs_reader *rd, const hs_reader_entry *ent, hs_error *e);
int hs_mongo_restore_plan(hs_restore *r, hs_error *e);
int hs_mongo_restore_apply(hs_restore *r, hs_error *e);
void hs_mongo_restore_release(hs_restore *r);
/* verify's content check (source.h entry_check; restore/mongo_scan.c). */
int hs_mongo_entry_check(const char *archive, hs_reader *rd, const hs_reader_entry *ent, hs_error *e);

/*
 * Read rd's current entry, a <coll>.metadata.json (named name), whole (at
 * most 16 MiB) and parse it as hs_mongo_metadata_parse() does.  Errors:
 * the reader's, or HS_EXIT_DATA naming the entry.  restore's verifying
 * pass and its apply both read metadata through this (restore/mongo_scan.c).
 */
int hs_mongo_meta_entry(hs_reader *rd, const char *name, bson_t *options, bson_t *indexes, char *type,
			size_t type_size, hs_error *e);

/* The source's ops table (snapshot/mongo.c). */
extern const hs_source_ops hs_source_mongo;

#endif
