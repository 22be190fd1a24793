/*
 * hs_mongo_drain - the lower bound of a MongoDB capture (issue 11): read
 * every document of the given collections through mongoc and write
 * nothing, so its time is what the server and the driver alone cost.
 *
 *   hs_mongo_drain [--sort-id] [--parallel N] [--batch B] URI DB [COLL...]
 *
 * Without COLL, every collection of DB (system.* excluded).  --sort-id asks
 * for _id order as hivesnap does (the server may then sort), else natural
 * order as mongodump reads.  --parallel N drains up to N collections at
 * once, one thread and one pooled client each (default 1).  --batch sets
 * the cursor batchSize (default 1000, hivesnap's).  Prints one line: the
 * documents and BSON bytes read.  Exit 0 on success, 1 on any error.
 */
#include <bson/bson.h>
#include <mongoc/mongoc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shared work list and totals (under lock). */
typedef struct drain {
	mongoc_client_pool_t *pool;
	const char *db;
	char **colls;
	size_t ncolls, next;
	bool sort_id;
	int batch;
	uint64_t docs, bytes;
	int failed;
	pthread_mutex_t lock;
} drain;

/* Read one collection to its end; 0, or -1 with a message on stderr. */
static int drain_coll(drain *d, mongoc_client_t *c, const char *name, uint64_t *docs, uint64_t *bytes)
{
	mongoc_collection_t *coll = mongoc_client_get_collection(c, d->db, name);
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	int ret = -1;

	if (d->sort_id) {
		BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
		BSON_APPEND_INT32(&sort, "_id", 1);
		bson_append_document_end(&opts, &sort);
	}
	BSON_APPEND_INT32(&opts, "batchSize", d->batch);
	cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
	while (mongoc_cursor_next(cur, &doc)) {
		(*docs)++;
		*bytes += doc->len;
	}
	if (mongoc_cursor_error(cur, &err)) {
		fprintf(stderr, "hs_mongo_drain: %s.%s: %s\n", d->db, name, err.message);
		goto out;
	}
	ret = 0;
out:
	mongoc_cursor_destroy(cur);
	mongoc_collection_destroy(coll);
	bson_destroy(&filter);
	bson_destroy(&opts);
	return ret;
}

/* Worker: take collections off the list until it is empty. */
static void *drain_worker(void *arg)
{
	drain *d = arg;
	mongoc_client_t *c = mongoc_client_pool_pop(d->pool);

	for (;;) {
		const char *name = NULL;
		uint64_t docs = 0, bytes = 0;
		int rc;

		pthread_mutex_lock(&d->lock);
		if (d->next < d->ncolls && !d->failed)
			name = d->colls[d->next++];
		pthread_mutex_unlock(&d->lock);
		if (!name)
			break;
		rc = drain_coll(d, c, name, &docs, &bytes);
		pthread_mutex_lock(&d->lock);
		d->docs += docs;
		d->bytes += bytes;
		if (rc)
			d->failed = 1;
		pthread_mutex_unlock(&d->lock);
	}
	mongoc_client_pool_push(d->pool, c);
	return NULL;
}

int main(int argc, char **argv)
{
	drain d = { .batch = 1000 };
	mongoc_uri_t *uri = NULL;
	mongoc_client_t *c = NULL;
	pthread_t *th = NULL;
	bson_error_t err;
	char **listed = NULL;
	int i = 1, par = 1, ret = 1, started = 0;

	mongoc_init();
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--sort-id"))
			d.sort_id = true;
		else if (!strcmp(argv[i], "--parallel") && i + 1 < argc)
			par = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			d.batch = atoi(argv[++i]);
		else
			break;
	}
	if (argc - i < 2 || par < 1 || d.batch < 1) {
		fprintf(stderr, "usage: hs_mongo_drain [--sort-id] [--parallel N] [--batch B] URI DB [COLL...]\n");
		goto out;
	}
	if (!(uri = mongoc_uri_new_with_error(argv[i], &err))) {
		fprintf(stderr, "hs_mongo_drain: bad URI: %s\n", err.message);
		goto out;
	}
	d.db = argv[i + 1];
	d.pool = mongoc_client_pool_new(uri);
	mongoc_client_pool_set_error_api(d.pool, MONGOC_ERROR_API_VERSION_2);
	if (argc - i > 2) {
		d.colls = argv + i + 2;
		d.ncolls = (size_t)(argc - i - 2);
	} else {
		mongoc_database_t *db;
		size_t k, n = 0;

		c = mongoc_client_pool_pop(d.pool);
		db = mongoc_client_get_database(c, d.db);
		listed = mongoc_database_get_collection_names_with_opts(db, NULL, &err);
		mongoc_database_destroy(db);
		mongoc_client_pool_push(d.pool, c);
		c = NULL;
		if (!listed) {
			fprintf(stderr, "hs_mongo_drain: listing %s: %s\n", d.db, err.message);
			goto out;
		}
		for (k = 0; listed[k]; k++)
			if (strncmp(listed[k], "system.", 7))
				listed[n++] = listed[k];
			else
				bson_free(listed[k]);
		listed[n] = NULL;
		d.colls = listed;
		d.ncolls = n;
	}
	pthread_mutex_init(&d.lock, NULL);
	th = calloc((size_t)par, sizeof(*th));
	if (!th)
		goto out;
	for (started = 0; started < par; started++)
		if (pthread_create(&th[started], NULL, drain_worker, &d))
			break;
	for (int k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&d.lock);
	if (!started || d.failed)
		goto out;
	printf("%llu documents, %llu bytes, %zu collections\n", (unsigned long long)d.docs,
	       (unsigned long long)d.bytes, d.ncolls);
	ret = 0;
out:
	free(th);
	bson_strfreev(listed);
	if (d.pool)
		mongoc_client_pool_destroy(d.pool);
	mongoc_uri_destroy(uri);
	mongoc_cleanup();
	return ret;
}
