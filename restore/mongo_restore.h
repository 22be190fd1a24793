/*
 * mongo_restore.h - what the two halves of the MongoDB restore share: the
 * plan and apply (restore/mongo.c) and the document writer
 * (restore/mongo_write.c: batches into the target in the restore's mode,
 * and the accounting of what the server refused).  Internal to restore/;
 * the source's hooks are in src/sources/mongo/mongo_common.h.
 */
#ifndef HS_MONGO_RESTORE_H
#define HS_MONGO_RESTORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "archive.h"
#include "error.h"
#include "sources/mongo/mongo_common.h"
#include "progress.h"

/* documents the server refused: this many per collection are named in the report and the log */
#define HS_MONGO_REFUSED_MAX 10

/* One collection of the archive and what happens to it. */
typedef struct hs_mongo_item {
	char *src_db, *src_coll;
	char *dst_db, *dst_coll;
	char *type;
	bool selected;
	int64_t docs_archive;
	int64_t docs_live;
	bool exists;
	/* apply */
	bool have_meta, data_done, finished, failed_hard;
	bson_t options, indexes;
	int64_t inserted, replaced, skipped, failed;
	int64_t data_ms, index_ms;  /* time spent loading documents, building indexes */
	json_t *index_errors;
	json_t *refused;            /* [{_id, code, error}] of the first documents the server refused */
	int64_t n_refused;
	char error[HS_ERROR_MSG_MAX];
} hs_mongo_item;

typedef struct hs_mongo_rstate {
	const char *uri;        /* borrowed: --to-mongo or the profile's */
	char *red;
	const char *mode;
	bool ferretdb;          /* FerretDB: no renameCollection dropTarget, slow upserts */
	bool rename_atomic;     /* renameCollection with dropTarget works */
	mongoc_client_pool_t *pool;
	hs_mongo_item *items;
	size_t n_items;
} hs_mongo_rstate;

/*
 * Stream the documents of rd's current entry (named entry) into
 * it->dst_db.coll_name in batches, in st->mode (replace: plain inserts,
 * into the temporary collection).  Documents go as they are, unvalidated
 * by the driver, as mongorestore sends them.  Per document the server
 * refuses, it->failed counts one and the first HS_MONGO_REFUSED_MAX are
 * named by _id with the server's code and message in it->refused, the log
 * and (the first) it->error.  Returns -1 with e on bad data (HS_EXIT_DATA),
 * a read error, or a batch the server refused as a whole (HS_EXIT_FAILURE).
 */
int hs_mongo_load(hs_mongo_rstate *st, mongoc_client_t *client, hs_reader *rd, hs_mongo_item *it,
		  const char *entry, const char *coll_name, hs_progress *pg, hs_error *e);

#endif
