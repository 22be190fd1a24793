/*
 * mongo.c - the MongoDB source: capture collections into
 * mongo/<db>/<coll>.bson (concatenated BSON in _id order) and
 * mongo/<db>/<coll>.metadata.json (mongodump's shape), several collections
 * at once.  Restore lives in restore/mongo.c; docs/mongo.md has the design.
 *
 * Flow: one client from the pool says hello (server clock, cluster time),
 * lists the configured databases' collections and probes whether the
 * server serves snapshot reads (a find with readConcern "snapshot" that
 * answers with cursor.atClusterTime).  Then N worker threads, each with
 * its own client from the pool, take collections off a shared list and
 * stream each into its own archive entry (the writer spools open entries
 * and serialises commits).
 *
 * _id order comes from the server (find with sort {_id: 1}) or, with
 * mongo.sort client (auto on FerretDB, which sorts whole collections in
 * memory before its first batch), from a natural-order find whose
 * documents go through an external sorter (hs_rsort, keyed by
 * hs_mongo_id_key) on our side: the .bson bytes are the same.
 */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "extsort.h"
#include "log.h"
#include "sources/mongo/mongo_common.h"
#include "uri.h"

#define HS_MONGO_WRITE_CHUNK (1024 * 1024)
#define HS_MONGO_FIND_BATCH 1000
/* the client-side sorter's memory per worker; HIVESNAP_MONGO_SORT_MEM overrides it */
#define HS_MONGO_SORT_MEM (4u * 1024 * 1024)

/* One collection to capture. */
typedef struct hs_mongo_job {
	char *db;
	char *coll;
	char *type;             /* "collection", "view", ... as listCollections says */
	bson_t options;
	bson_t *filter;         /* the profile's filter or NULL */
	char uuid[33];
	bool has_uuid;
	/* results */
	uint64_t docs;
	uint64_t bytes;
	bool client_sorted;     /* _id order made by hivesnap, not by the server */
	int status;             /* 0 not run, 1 ok, -1 failed */
	char error[HS_ERROR_MSG_MAX];
} hs_mongo_job;

/* The state the worker threads share. */
typedef struct hs_mongo_run {
	hs_capture *c;
	const char *uri;
	mongoc_client_pool_t *pool;
	hs_mongo_job *jobs;
	size_t n_jobs;
	size_t next;
	bool stop;
	bool snapshot;
	bool client_sort;       /* mongo.sort resolved: sort on our side where possible */
	size_t sort_mem;        /* the sorter's memory per worker */
	bson_t read_concern;    /* empty when none is set */
	mongoc_read_prefs_t *read_prefs; /* the profile's read_preference, NULL: the URI's */
	pthread_mutex_t mu;
} hs_mongo_run;

static bool hs_mongo_configured(const hs_profile *p)
{
	return p && p->mongo;
}

static mongoc_read_mode_t hs_mongo_read_mode(enum hs_read_pref r)
{
	switch (r) {
	case HS_READ_PRIMARY_PREFERRED:
		return MONGOC_READ_PRIMARY_PREFERRED;
	case HS_READ_SECONDARY:
		return MONGOC_READ_SECONDARY;
	case HS_READ_SECONDARY_PREFERRED:
		return MONGOC_READ_SECONDARY_PREFERRED;
	case HS_READ_NEAREST:
		return MONGOC_READ_NEAREST;
	default:
		return MONGOC_READ_PRIMARY;
	}
}

static void hs_mongo_job_release(hs_mongo_job *j)
{
	free(j->db);
	free(j->coll);
	free(j->type);
	bson_destroy(&j->options);
	if (j->filter)
		bson_destroy(j->filter);
}

static int hs_mongo_job_cmp(const void *a, const void *b)
{
	const hs_mongo_job *x = a, *y = b;
	int r = strcmp(x->db, y->db);

	return r ? r : strcmp(x->coll, y->coll);
}

/* Whether the profile's database section selects collection name. */
static bool hs_mongo_db_selects(const hs_profile_mongo_db *d, const char *name)
{
	size_t i;
	bool in = d->all_collections;

	for (i = 0; !in && i < d->collections.n; i++)
		if (!strcmp(d->collections.v[i], name))
			in = true;
	for (i = 0; in && i < d->exclude.n; i++)
		if (!fnmatch(d->exclude.v[i], name, 0))
			in = false;
	return in;
}

/* The profile's filter for a collection, parsed; NULL when there is none. */
static int hs_mongo_filter(const hs_profile_mongo_db *d, const char *coll, bson_t **out, hs_error *e)
{
	bson_error_t berr;
	size_t i;

	*out = NULL;
	for (i = 0; i < d->filters.n; i++) {
		if (strcmp(d->filters.v[i].key, coll))
			continue;
		*out = bson_new_from_json((const uint8_t *)d->filters.v[i].value, -1, &berr);
		if (!*out)
			return hs_err(e, HS_EXIT_DATA, "mongo filter of '%s.%s' is not valid Extended JSON: %s",
				      d->name, coll, berr.message);
		return 0;
	}
	return 0;
}

/*
 * List the collections of one configured database into jobs (appended).
 * System collections are left out; explicitly named collections that do
 * not exist become warnings.
 */
static int hs_mongo_list_db(hs_mongo_run *run, mongoc_client_t *client, const hs_profile_mongo_db *d,
			    hs_mongo_job **jobs, size_t *n, size_t *cap, json_t *warnings, hs_error *e)
{
	mongoc_database_t *db = mongoc_client_get_database(client, d->name);
	mongoc_cursor_t *cur = mongoc_database_find_collections_with_opts(db, NULL);
	const bson_t *doc;
	bson_error_t berr;
	bool *seen = hs_xcalloc(d->collections.n + 1, sizeof(bool));
	size_t i;
	int rc = -1;

	while (mongoc_cursor_next(cur, &doc)) {
		bson_iter_t it, sub;
		const char *name = NULL, *type = "collection";
		hs_mongo_job *j;

		if (bson_iter_init_find(&it, doc, "name") && BSON_ITER_HOLDS_UTF8(&it))
			name = bson_iter_utf8(&it, NULL);
		/* system collections, and the leftovers of an interrupted restore */
		if (!name || !strncmp(name, "system.", 7) || !strncmp(name, "hivesnap_restore_", 17))
			continue;
		for (i = 0; i < d->collections.n; i++)
			if (!strcmp(d->collections.v[i], name))
				seen[i] = true;
		if (!hs_mongo_db_selects(d, name))
			continue;
		if (bson_iter_init_find(&it, doc, "type") && BSON_ITER_HOLDS_UTF8(&it))
			type = bson_iter_utf8(&it, NULL);
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*jobs = hs_xrealloc(*jobs, *cap * sizeof(**jobs));
		}
		j = &(*jobs)[(*n)++];
		memset(j, 0, sizeof(*j));
		j->db = hs_xstrdup(d->name);
		j->coll = hs_xstrdup(name);
		j->type = hs_xstrdup(type);
		bson_init(&j->options);
		if (bson_iter_init_find(&it, doc, "options") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
			const uint8_t *data;
			uint32_t len;
			bson_t tmp;

			bson_iter_document(&it, &len, &data);
			if (bson_init_static(&tmp, data, len))
				bson_concat(&j->options, &tmp);
		}
		if (bson_iter_init_find(&it, doc, "info") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
		    bson_iter_recurse(&it, &sub) && bson_iter_find(&sub, "uuid"))
			j->has_uuid = hs_mongo_uuid_hex(&sub, j->uuid);
		if (hs_mongo_filter(d, name, &j->filter, e))
			goto out;
	}
	if (mongoc_cursor_error(cur, &berr)) {
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, run->uri, "cannot list the collections of mongo database '%s'",
			     d->name);
		goto out;
	}
	for (i = 0; !d->all_collections && i < d->collections.n; i++) {
		if (!seen[i]) {
			char msg[HS_ERROR_MSG_MAX];

			snprintf(msg, sizeof(msg), "collection '%s.%s' does not exist", d->name,
				 d->collections.v[i]);
			hs_warn("mongo", "%s", msg);
			json_array_append_new(warnings, json_string(msg));
		}
	}
	rc = 0;
out:
	free(seen);
	mongoc_cursor_destroy(cur);
	mongoc_database_destroy(db);
	return rc;
}

/* The listIndexes output of a collection as a BSON array document. */
static int hs_mongo_indexes(hs_mongo_run *run, mongoc_collection_t *coll, const hs_mongo_job *j,
			    bson_t *out, hs_error *e)
{
	mongoc_cursor_t *cur = mongoc_collection_find_indexes_with_opts(coll, NULL);
	const bson_t *doc;
	bson_error_t berr;
	uint32_t i = 0;
	int rc = 0;

	bson_init(out);
	while (mongoc_cursor_next(cur, &doc)) {
		char key[16];
		const char *k;

		bson_uint32_to_string(i++, &k, key, sizeof(key));
		BSON_APPEND_DOCUMENT(out, k, doc);
	}
	if (mongoc_cursor_error(cur, &berr))
		rc = hs_mongo_err(e, HS_EXIT_FAILURE, &berr, run->uri, "cannot list the indexes of '%s.%s'",
				  j->db, j->coll);
	mongoc_cursor_destroy(cur);
	if (rc)
		bson_destroy(out);
	return rc;
}

/* What of a collection's documents the progress was told already. */
typedef struct hs_mongo_told {
	uint64_t docs;
	uint64_t bytes;
} hs_mongo_told;

/*
 * Tell the progress the documents read since the last call.  A collection
 * read again (server sort after a client-sort attempt) counts from zero
 * again: only what goes beyond the first attempt is added.
 */
static void hs_mongo_tell(hs_mongo_run *run, const hs_mongo_job *j, hs_mongo_told *told)
{
	uint64_t d = j->docs > told->docs ? j->docs - told->docs : 0;
	uint64_t b = j->bytes > told->bytes ? j->bytes - told->bytes : 0;

	if (!d && !b)
		return;
	hs_progress_add(run->c->progress, d, b);
	told->docs += d;
	told->bytes += b;
}

/* The find options both paths share; with_sort adds sort {_id: 1}. */
static void hs_mongo_find_opts(const hs_mongo_run *run, bool with_sort, bson_t *opts)
{
	bson_t sort;

	bson_init(opts);
	if (with_sort) {
		BSON_APPEND_DOCUMENT_BEGIN(opts, "sort", &sort);
		BSON_APPEND_INT32(&sort, "_id", 1);
		bson_append_document_end(opts, &sort);
	}
	BSON_APPEND_INT32(opts, "batchSize", HS_MONGO_FIND_BATCH);
	if (!bson_empty(&run->read_concern))
		BSON_APPEND_DOCUMENT(opts, "readConcern", &run->read_concern);
}

/* Write chunk to the entry when it holds a write's worth (or always, when final). */
static int hs_mongo_flush(hs_entry *en, hs_buf *chunk, bool final, hs_error *e)
{
	if (!chunk->len || (!final && chunk->len < HS_MONGO_WRITE_CHUNK))
		return 0;
	if (hs_entry_write(en, chunk->data, chunk->len, e))
		return -1;
	hs_buf_reset(chunk);
	return 0;
}

/* Read the documents sorted by the server (find with sort {_id: 1}) into en. */
static int hs_mongo_read_server(hs_mongo_run *run, mongoc_collection_t *coll, hs_mongo_job *j,
				hs_entry *en, hs_mongo_told *told, hs_error *e)
{
	mongoc_cursor_t *cur = NULL;
	hs_buf chunk = HS_BUF_INIT;
	bson_t opts, empty = BSON_INITIALIZER;
	const bson_t *doc;
	bson_error_t berr;
	int rc = -1;

	hs_mongo_find_opts(run, true, &opts);
	cur = mongoc_collection_find_with_opts(coll, j->filter ? j->filter : &empty, &opts, run->read_prefs);
	while (mongoc_cursor_next(cur, &doc)) {
		hs_buf_add(&chunk, bson_get_data(doc), doc->len);
		j->docs++;
		j->bytes += doc->len;
		if (chunk.len >= HS_MONGO_WRITE_CHUNK) {
			if (hs_mongo_flush(en, &chunk, true, e))
				goto out;
			hs_mongo_tell(run, j, told);
		}
	}
	if (mongoc_cursor_error(cur, &berr)) {
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, run->uri, "cannot read collection '%s.%s' after %llu documents",
			     j->db, j->coll, (unsigned long long)j->docs);
		goto out;
	}
	if (hs_mongo_flush(en, &chunk, true, e))
		goto out;
	hs_mongo_tell(run, j, told);
	rc = 0;
out:
	mongoc_cursor_destroy(cur);
	bson_destroy(&opts);
	bson_destroy(&empty);
	hs_buf_release(&chunk);
	return rc;
}

/*
 * Read the documents in natural order into an external sorter keyed by
 * the encoded _id, then write them in that order into en: byte for byte
 * what the server sort gives.  Returns 0, -1 with e set, or 1 when an _id
 * cannot be ordered here (nothing written to en; the caller reads the
 * collection again sorted by the server).  Two equal keys are an error.
 */
static int hs_mongo_read_client(hs_mongo_run *run, mongoc_collection_t *coll, hs_mongo_job *j,
				hs_entry *en, hs_mongo_told *told, hs_error *e)
{
	hs_rsort *s = hs_rsort_new(run->sort_mem, true);
	mongoc_cursor_t *cur = NULL;
	hs_buf key = HS_BUF_INIT, chunk = HS_BUF_INIT;
	bson_t opts, empty = BSON_INITIALIZER;
	const bson_t *doc;
	bson_error_t berr;
	const char *k, *rec;
	size_t kl, rl;
	int rc = -1, r;

	hs_mongo_find_opts(run, false, &opts);
	cur = mongoc_collection_find_with_opts(coll, j->filter ? j->filter : &empty, &opts, run->read_prefs);
	while (mongoc_cursor_next(cur, &doc)) {
		bson_iter_t it;

		hs_buf_reset(&key);
		if (!bson_iter_init_find(&it, doc, "_id") || hs_mongo_id_key(&it, &key)) {
			hs_info("mongo", "'%s.%s': an _id %s cannot be ordered by hivesnap: reading the collection again sorted by the server",
				j->db, j->coll, bson_iter_init_find(&it, doc, "_id") ? "of this type" : "missing");
			rc = 1;
			goto out;
		}
		if (hs_rsort_add(s, key.data, key.len, bson_get_data(doc), doc->len, e))
			goto out;
		j->docs++;
		j->bytes += doc->len;
		if (j->bytes - told->bytes >= HS_MONGO_WRITE_CHUNK)
			hs_mongo_tell(run, j, told);
	}
	if (mongoc_cursor_error(cur, &berr)) {
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, run->uri, "cannot read collection '%s.%s' after %llu documents",
			     j->db, j->coll, (unsigned long long)j->docs);
		goto out;
	}
	hs_mongo_tell(run, j, told);
	hs_debug("mongo", "'%s.%s': %llu documents read in natural order, %zu sorted runs on disk", j->db,
		 j->coll, (unsigned long long)j->docs, hs_rsort_runs(s));
	while ((r = hs_rsort_next(s, &k, &kl, &rec, &rl, e)) == 1) {
		hs_buf_add(&chunk, rec, rl);
		if (hs_mongo_flush(en, &chunk, false, e))
			goto out;
	}
	if (r < 0)
		goto out;
	if (hs_rsort_dups(s)) {
		hs_err(e, HS_EXIT_FAILURE, "cannot order collection '%s.%s': %llu documents have the _id of another",
		       j->db, j->coll, (unsigned long long)hs_rsort_dups(s));
		goto out;
	}
	if (hs_mongo_flush(en, &chunk, true, e))
		goto out;
	rc = 0;
out:
	mongoc_cursor_destroy(cur);
	hs_rsort_free(s);
	bson_destroy(&opts);
	bson_destroy(&empty);
	hs_buf_release(&key);
	hs_buf_release(&chunk);
	return rc;
}

/*
 * Capture one collection: stream its documents in _id order into
 * mongo/<db>/<coll>.bson, then add the metadata entry, then commit the
 * documents.  A failure aborts the open entry: nothing of a failed
 * collection reaches the archive.  With client sort, a collection with a
 * collation (the server's _id order follows it) or an _id we cannot order
 * is read sorted by the server instead.
 */
static int hs_mongo_capture_one(hs_mongo_run *run, mongoc_client_t *client, hs_mongo_job *j, hs_error *e)
{
	mongoc_collection_t *coll = mongoc_client_get_collection(client, j->db, j->coll);
	hs_entry *en = NULL;
	hs_buf name = HS_BUF_INIT;
	bson_t indexes = BSON_INITIALIZER;
	bool is_view = !strcmp(j->type, "view");
	hs_mongo_told told = { 0, 0 };
	char *meta = NULL;
	bson_iter_t it;
	int rc = -1, r = 1;

	if (!is_view) {
		bson_destroy(&indexes);
		if (hs_mongo_indexes(run, coll, j, &indexes, e)) {
			bson_init(&indexes);
			goto out;
		}
	}
	meta = hs_mongo_metadata_json(&j->options, &indexes, j->has_uuid ? j->uuid : NULL, j->coll,
				      j->type, e);
	if (!meta)
		goto out;
	hs_buf_addf(&name, "mongo/%s/%s.metadata.json", j->db, j->coll);
	if (is_view) {
		/* a view has no documents of its own: metadata only, as mongodump */
		rc = hs_aw_add(run->c->aw, name.data, "mongo", meta, strlen(meta), 0, e);
		goto out;
	}
	hs_buf_reset(&name);
	hs_buf_addf(&name, "mongo/%s/%s.bson", j->db, j->coll);
	if (hs_entry_begin(run->c->aw, name.data, "mongo", &en, e))
		goto out;

	if (run->client_sort && bson_iter_init_find(&it, &j->options, "collation"))
		hs_info("mongo", "'%s.%s' has a collation: sorted by the server", j->db, j->coll);
	else if (run->client_sort && (r = hs_mongo_read_client(run, coll, j, en, &told, e)) < 0)
		goto out;
	j->client_sorted = r == 0;
	if (r) {
		j->docs = j->bytes = 0;
		if (hs_mongo_read_server(run, coll, j, en, &told, e))
			goto out;
	}
	hs_buf_reset(&name);
	hs_buf_addf(&name, "mongo/%s/%s.metadata.json", j->db, j->coll);
	if (hs_aw_add(run->c->aw, name.data, "mongo", meta, strlen(meta), 0, e))
		goto out;
	rc = hs_entry_commit(en, j->docs, e);
	en = NULL;
out:
	hs_entry_abort(en);
	mongoc_collection_destroy(coll);
	bson_destroy(&indexes);
	bson_free(meta);
	hs_buf_release(&name);
	return rc;
}

/* Worker thread: take collections off the list until none is left. */
static void *hs_mongo_worker(void *arg)
{
	hs_mongo_run *run = arg;
	mongoc_client_t *client = mongoc_client_pool_pop(run->pool);

	for (;;) {
		hs_mongo_job *j;
		hs_error e;

		pthread_mutex_lock(&run->mu);
		if (run->stop || run->next == run->n_jobs) {
			pthread_mutex_unlock(&run->mu);
			break;
		}
		j = &run->jobs[run->next++];
		hs_progress_note(run->c->progress, j->coll);
		pthread_mutex_unlock(&run->mu);

		hs_error_init(&e);
		hs_debug("mongo", "capturing %s.%s", j->db, j->coll);
		if (hs_mongo_capture_one(run, client, j, &e)) {
			pthread_mutex_lock(&run->mu);
			j->status = -1;
			snprintf(j->error, sizeof(j->error), "%s", e.msg);
			if (!run->c->opts || !run->c->opts->allow_partial)
				run->stop = true;
			pthread_mutex_unlock(&run->mu);
			hs_warn("mongo", "%s", e.msg);
		} else {
			j->status = 1;
		}
	}
	mongoc_client_pool_push(run->pool, client);
	return NULL;
}

/* A BSON timestamp as {"t": seconds, "i": increment}. */
static json_t *hs_mongo_ts_json(const bson_iter_t *it)
{
	uint32_t t, i;

	bson_iter_timestamp(it, &t, &i);
	return json_pack("{s:I, s:I}", "t", (json_int_t)t, "i", (json_int_t)i);
}

/*
 * Ask the server who it is: hello (clock, cluster/operation time) and
 * buildInfo (version; FerretDB says so).  Fills the watermark base and the
 * server details.
 */
static int hs_mongo_hello(hs_mongo_run *run, mongoc_client_t *client, const char *red, json_t *wm,
			  json_t *server, hs_error *e)
{
	bson_t *cmd = BCON_NEW("hello", BCON_INT32(1));
	bson_t reply, binfo;
	bson_error_t berr;
	bson_iter_t it, sub;
	int rc = -1;

	if (!mongoc_client_command_simple(client, "admin", cmd, NULL, &reply, &berr)) {
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, run->uri, "cannot connect to mongo '%s'", red);
		bson_destroy(&reply);
		goto out;
	}
	if (bson_iter_init_find(&it, &reply, "localTime") && BSON_ITER_HOLDS_DATE_TIME(&it))
		json_object_set_new(wm, "server_time_ms", json_integer(bson_iter_date_time(&it)));
	if (bson_iter_init_find(&it, &reply, "maxWireVersion") && BSON_ITER_HOLDS_INT32(&it))
		json_object_set_new(server, "max_wire_version", json_integer(bson_iter_int32(&it)));
	if (bson_iter_init_find(&it, &reply, "setName") && BSON_ITER_HOLDS_UTF8(&it))
		json_object_set_new(server, "replica_set", json_string(bson_iter_utf8(&it, NULL)));
	if (bson_iter_init_find(&it, &reply, "operationTime") && BSON_ITER_HOLDS_TIMESTAMP(&it))
		json_object_set_new(wm, "operation_time", hs_mongo_ts_json(&it));
	if (bson_iter_init_find(&it, &reply, "$clusterTime") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
	    bson_iter_recurse(&it, &sub) && bson_iter_find(&sub, "clusterTime") &&
	    BSON_ITER_HOLDS_TIMESTAMP(&sub))
		json_object_set_new(wm, "cluster_time", hs_mongo_ts_json(&sub));
	bson_destroy(&reply);

	bson_destroy(cmd);
	cmd = BCON_NEW("buildInfo", BCON_INT32(1));
	if (mongoc_client_command_simple(client, "admin", cmd, NULL, &binfo, &berr)) {
		if (bson_iter_init_find(&it, &binfo, "version") && BSON_ITER_HOLDS_UTF8(&it))
			json_object_set_new(server, "version", json_string(bson_iter_utf8(&it, NULL)));
		if (bson_iter_init_find(&it, &binfo, "ferretdbVersion") && BSON_ITER_HOLDS_UTF8(&it))
			json_object_set_new(server, "ferretdb_version", json_string(bson_iter_utf8(&it, NULL)));
	}
	bson_destroy(&binfo);
	rc = 0;
out:
	bson_destroy(cmd);
	return rc;
}

/*
 * Probe snapshot reads on the first collection: a find with readConcern
 * "snapshot" that answers with cursor.atClusterTime.  When it does, every
 * collection is read at that cluster time.  Otherwise the reads use the
 * server's default ("local") and note says why.
 */
static void hs_mongo_probe_snapshot(hs_mongo_run *run, mongoc_client_t *client, json_t *wm,
				    char *note, size_t note_size)
{
	hs_mongo_job *j = NULL;
	bson_t *cmd;
	bson_t reply;
	bson_error_t berr;
	bson_iter_t it;
	size_t i;

	for (i = 0; i < run->n_jobs && !j; i++)
		if (!strcmp(run->jobs[i].type, "collection"))
			j = &run->jobs[i];
	if (!j) {
		snprintf(note, note_size, "no collection to read");
		return;
	}
	cmd = BCON_NEW("find", BCON_UTF8(j->coll), "limit", BCON_INT32(1), "batchSize", BCON_INT32(1),
		       "readConcern", "{", "level", BCON_UTF8("snapshot"), "}");
	if (!mongoc_client_read_command_with_opts(client, j->db, cmd, NULL, NULL, &reply, &berr)) {
		snprintf(note, note_size, "server refused readConcern snapshot: %.400s", berr.message);
		hs_mongo_scrub(note, note_size, run->uri);
	} else if (bson_iter_init(&it, &reply) && bson_iter_find_descendant(&it, "cursor.atClusterTime", &it) &&
		   BSON_ITER_HOLDS_TIMESTAMP(&it)) {
		uint32_t t, inc;

		bson_iter_timestamp(&it, &t, &inc);
		bson_init(&run->read_concern);
		BSON_APPEND_UTF8(&run->read_concern, "level", "snapshot");
		BSON_APPEND_TIMESTAMP(&run->read_concern, "atClusterTime", t, inc);
		run->snapshot = true;
		json_object_set_new(wm, "at_cluster_time", hs_mongo_ts_json(&it));
	} else {
		snprintf(note, note_size, "server accepted readConcern snapshot but reported no atClusterTime");
	}
	bson_destroy(&reply);
	bson_destroy(cmd);
}

/*
 * The sorter's memory: HIVESNAP_MONGO_SORT_MEM (bytes, at least 1024;
 * tests use it to make small collections spill runs) or HS_MONGO_SORT_MEM.
 */
static size_t hs_mongo_sort_mem(void)
{
	const char *v = getenv("HIVESNAP_MONGO_SORT_MEM");
	unsigned long long n;
	char *end;

	if (!v || !*v)
		return HS_MONGO_SORT_MEM;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < 1024)
		return HS_MONGO_SORT_MEM;
	return (size_t)n;
}

static int hs_mongo_capture(hs_capture *c, hs_error *e)
{
	const hs_profile_mongo *pm = c->profile->mongo;
	mongoc_uri_t *muri = NULL;
	hs_mongo_run run;
	mongoc_client_t *client = NULL;
	pthread_t *threads = NULL;
	json_t *wm = json_object(), *details = json_object(), *server = json_object();
	json_t *warnings = json_array(), *colls = json_array();
	char *red = hs_uri_redact_dup(pm->uri);
	char note[HS_ERROR_MSG_MAX] = "";
	size_t cap = 0, i, nthreads, nfailed = 0, first_failed = 0;
	int parallel = c->opts && c->opts->parallel > 0 ? c->opts->parallel : pm->parallel;
	uint64_t docs = 0, bytes = 0;
	int rc = -1;

	memset(&run, 0, sizeof(run));
	run.c = c;
	run.uri = pm->uri;
	bson_init(&run.read_concern);
	pthread_mutex_init(&run.mu, NULL);
	if (parallel < 1)
		parallel = 2;
	if (hs_mongo_pool_new(pm->uri, parallel + 1, &run.pool, &muri, e))
		goto out;
	/* a readPreference in the URI wins over the profile's default */
	if (!mongoc_uri_has_option(muri, MONGOC_URI_READPREFERENCE))
		run.read_prefs = mongoc_read_prefs_new(hs_mongo_read_mode(pm->read_preference));
	client = mongoc_client_pool_pop(run.pool);
	if (hs_mongo_hello(&run, client, red, wm, server, e))
		goto out;
	/* auto: FerretDB sorts a whole collection in memory before its first batch; MongoDB reads its _id index */
	run.client_sort = pm->sort == HS_MONGO_SORT_CLIENT ||
			  (pm->sort == HS_MONGO_SORT_AUTO && json_object_get(server, "ferretdb_version"));
	run.sort_mem = hs_mongo_sort_mem();
	json_object_set_new(details, "sort", json_string(hs_mongo_sort_name(pm->sort)));
	for (i = 0; i < pm->n_databases; i++)
		if (hs_mongo_list_db(&run, client, &pm->databases[i], &run.jobs, &run.n_jobs, &cap, warnings, e))
			goto out;
	if (run.n_jobs)
		qsort(run.jobs, run.n_jobs, sizeof(*run.jobs), hs_mongo_job_cmp);
	hs_mongo_probe_snapshot(&run, client, wm, note, sizeof(note));
	if (run.snapshot) {
		json_object_set_new(wm, "kind", json_string("at_cluster_time"));
	} else if (json_object_get(wm, "operation_time")) {
		json_object_set_new(wm, "kind", json_string("operation_time"));
	} else if (json_object_get(wm, "cluster_time")) {
		json_object_set_new(wm, "kind", json_string("cluster_time"));
	} else {
		json_object_set_new(wm, "kind", json_string("server_clock"));
	}
	json_object_set_new(details, "read_concern", json_string(run.snapshot ? "snapshot" : "local"));
	json_object_set_new(details, "snapshot", json_boolean(run.snapshot));
	json_object_set_new(details, "read_preference",
			    json_string(run.read_prefs ? hs_read_pref_name(pm->read_preference) : "from the uri"));
	if (!run.snapshot) {
		json_object_set_new(details, "snapshot_note", json_string(note));
		hs_info("mongo", "no snapshot reads (%s): collections are read one by one at read concern local",
			note);
	}
	mongoc_client_pool_push(run.pool, client);
	client = NULL;

	nthreads = (size_t)parallel < run.n_jobs ? (size_t)parallel : run.n_jobs;
	threads = hs_xcalloc(nthreads + 1, sizeof(*threads));
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&threads[i], NULL, hs_mongo_worker, &run))
			break;
	nthreads = i;
	if (!nthreads && run.n_jobs)
		hs_mongo_worker(&run);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);

	for (i = 0; i < run.n_jobs; i++) {
		hs_mongo_job *j = &run.jobs[i];
		json_t *jc = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "db", j->db, "collection", j->coll,
				       "type", j->type, "documents", (json_int_t)j->docs, "bytes",
				       (json_int_t)j->bytes, "status",
				       j->status > 0 ? "ok" : j->status < 0 ? "failed" : "not_run");

		if (j->status < 0) {
			json_object_set_new(jc, "error", json_string(j->error));
			if (!nfailed++)
				first_failed = i;
		}
		if (j->filter)
			json_object_set_new(jc, "filtered", json_true());
		if (j->status > 0 && strcmp(j->type, "view"))
			json_object_set_new(jc, "sort", json_string(j->client_sorted ? "client" : "server"));
		json_array_append_new(colls, jc);
		docs += j->docs;
		bytes += j->bytes;
	}
	json_object_set_new(details, "server", server);
	server = NULL;
	json_object_set_new(details, "collections", colls);
	colls = NULL;
	json_object_set_new(details, "warnings", warnings);
	warnings = NULL;
	json_object_set_new(details, "documents", json_integer((json_int_t)docs));
	json_object_set_new(details, "bytes", json_integer((json_int_t)bytes));
	c->watermark = wm;
	c->details = details;
	wm = details = NULL;
	if (nfailed) {
		hs_err(e, HS_EXIT_FAILURE, "%s%s", run.jobs[first_failed].error,
		       nfailed > 1 ? " (and more collections failed)" : "");
		goto out;
	}
	rc = 0;
out:
	if (client)
		mongoc_client_pool_push(run.pool, client);
	mongoc_client_pool_destroy(run.pool);
	mongoc_uri_destroy(muri);
	mongoc_read_prefs_destroy(run.read_prefs);
	for (i = 0; i < run.n_jobs; i++)
		hs_mongo_job_release(&run.jobs[i]);
	free(run.jobs);
	free(threads);
	bson_destroy(&run.read_concern);
	pthread_mutex_destroy(&run.mu);
	json_decref(wm);
	json_decref(details);
	json_decref(server);
	json_decref(warnings);
	json_decref(colls);
	free(red);
	return rc;
}

const hs_source_ops hs_source_mongo = {
	.name = "mongo",
	.configured = hs_mongo_configured,
	.capture = hs_mongo_capture,
	.restore_plan = hs_mongo_restore_plan,
	.restore_apply = hs_mongo_restore_apply,
	.restore_scan = hs_mongo_restore_scan,
	.restore_release = hs_mongo_restore_release,
	.entry_check = hs_mongo_entry_check,
};
