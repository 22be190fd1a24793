/*
 * hs_mongo_tool - what the MongoDB integration tests need besides hivesnap
 * (there is no mongosh here):
 *
 *   hs_mongo_tool seed URI DB COLL N     insert N varied documents in shuffled _id order
 *   hs_mongo_tool cmd URI DB JSON        run a command (Extended JSON), print the reply
 *   hs_mongo_tool count URI DB COLL      print the number of documents
 *   hs_mongo_tool drop URI DB            drop a database
 *   hs_mongo_tool ids-server URI DB COLL print the _ids as the server sorts them
 *   hs_mongo_tool ids FILE               print the _ids of a .bson file, in file order
 *   hs_mongo_tool docs FILE              print the documents of a .bson file, one per line
 *
 * Output is canonical Extended JSON.  Exit 0 on success, 1 on any error.
 */
#include <bson/bson.h>
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: hs_mongo_tool seed|cmd|count|drop|ids-server|ids|docs ARGS...\n");
	return 1;
}

static mongoc_client_t *client_new(const char *uri)
{
	mongoc_client_t *c = mongoc_client_new(uri);

	if (c)
		mongoc_client_set_error_api(c, MONGOC_ERROR_API_VERSION_2);
	return c;
}

/* Document i of the seed: mixed _id types, every common BSON type, a unique-able k. */
static bson_t *seed_doc(uint32_t i)
{
	bson_t *d = bson_new();
	uint8_t raw[12] = { 0x65, 0x00, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0, 0, 0, 0 };
	char s[32];

	switch (i % 3) {
	case 0:
		BSON_APPEND_INT32(d, "_id", (int32_t)i);
		break;
	case 1:
		snprintf(s, sizeof(s), "t-%06u", i);
		BSON_APPEND_UTF8(d, "_id", s);
		break;
	default: {
		bson_oid_t oid;

		raw[8] = (uint8_t)(i >> 24);
		raw[9] = (uint8_t)(i >> 16);
		raw[10] = (uint8_t)(i >> 8);
		raw[11] = (uint8_t)i;
		bson_oid_init_from_data(&oid, raw);
		BSON_APPEND_OID(d, "_id", &oid);
	}
	}
	BSON_APPEND_INT32(d, "k", (int32_t)i);
	BSON_APPEND_INT64(d, "n", (int64_t)i * 1000003);
	BSON_APPEND_DOUBLE(d, "f", i / 7.0);
	BSON_APPEND_UTF8(d, "s", i % 2 ? "ticket \xc3\xa9t\xc3\xa9 \xe2\x9c\x93" : "plain");
	BSON_APPEND_BOOL(d, "b", i % 2);
	BSON_APPEND_NULL(d, "z");
	BSON_APPEND_DATE_TIME(d, "at", 1700000000000LL + i);
	BSON_APPEND_BINARY(d, "bin", BSON_SUBTYPE_BINARY, raw, 12);
	{
		bson_t sub, arr;

		BSON_APPEND_DOCUMENT_BEGIN(d, "sub", &sub);
		BSON_APPEND_UTF8(&sub, "status", i % 5 ? "done" : "pending");
		BSON_APPEND_INT32(&sub, "attempt", (int32_t)(i % 4));
		bson_append_document_end(d, &sub);
		BSON_APPEND_ARRAY_BEGIN(d, "tags", &arr);
		BSON_APPEND_UTF8(&arr, "0", "a");
		BSON_APPEND_INT32(&arr, "1", (int32_t)i);
		bson_append_array_end(d, &arr);
	}
	return d;
}

static int cmd_seed(const char *uri, const char *db, const char *coll, uint32_t n)
{
	mongoc_client_t *c = client_new(uri);
	mongoc_collection_t *col;
	uint32_t *order, i, done = 0;
	uint64_t x = 88172645463325252ULL;
	bson_error_t err;
	int rc = 0;

	if (!c)
		return 1;
	col = mongoc_client_get_collection(c, db, coll);
	order = malloc((n + 1) * sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n; i > 1; i--) {
		uint32_t j, t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (uint32_t)(x % i);
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	while (done < n && !rc) {
		bson_t *docs[500];
		size_t m = 0, k;

		while (m < 500 && done < n)
			docs[m++] = seed_doc(order[done++]);
		if (!mongoc_collection_insert_many(col, (const bson_t **)docs, m, NULL, NULL, &err)) {
			fprintf(stderr, "hs_mongo_tool seed: %s\n", err.message);
			rc = 1;
		}
		for (k = 0; k < m; k++)
			bson_destroy(docs[k]);
	}
	if (!n) {
		bson_t *cmd = BCON_NEW("create", BCON_UTF8(coll));
		bson_t reply;

		if (!mongoc_client_command_simple(c, db, cmd, NULL, &reply, &err) && err.code != 48) {
			fprintf(stderr, "hs_mongo_tool seed: %s\n", err.message);
			rc = 1;
		}
		bson_destroy(&reply);
		bson_destroy(cmd);
	}
	free(order);
	mongoc_collection_destroy(col);
	mongoc_client_destroy(c);
	return rc;
}

static int cmd_cmd(const char *uri, const char *db, const char *json)
{
	mongoc_client_t *c = client_new(uri);
	bson_error_t err;
	bson_t *cmd, reply;
	char *s;
	int rc = 0;

	if (!c)
		return 1;
	cmd = bson_new_from_json((const uint8_t *)json, -1, &err);
	if (!cmd) {
		fprintf(stderr, "hs_mongo_tool cmd: %s\n", err.message);
		mongoc_client_destroy(c);
		return 1;
	}
	if (!mongoc_client_command_simple(c, db, cmd, NULL, &reply, &err)) {
		fprintf(stderr, "hs_mongo_tool cmd: %s\n", err.message);
		rc = 1;
	}
	s = bson_as_canonical_extended_json(&reply, NULL);
	printf("%s\n", s);
	bson_free(s);
	bson_destroy(&reply);
	bson_destroy(cmd);
	mongoc_client_destroy(c);
	return rc;
}

static int cmd_count(const char *uri, const char *db, const char *coll)
{
	mongoc_client_t *c = client_new(uri);
	mongoc_collection_t *col;
	bson_t filter = BSON_INITIALIZER;
	bson_error_t err;
	int64_t n;

	if (!c)
		return 1;
	col = mongoc_client_get_collection(c, db, coll);
	n = mongoc_collection_count_documents(col, &filter, NULL, NULL, NULL, &err);
	if (n < 0)
		fprintf(stderr, "hs_mongo_tool count: %s\n", err.message);
	else
		printf("%lld\n", (long long)n);
	mongoc_collection_destroy(col);
	mongoc_client_destroy(c);
	return n < 0;
}

static int cmd_drop(const char *uri, const char *db)
{
	mongoc_client_t *c = client_new(uri);
	mongoc_database_t *d;
	bson_error_t err;
	int rc = 0;

	if (!c)
		return 1;
	d = mongoc_client_get_database(c, db);
	if (!mongoc_database_drop(d, &err) && err.code != 26) {
		fprintf(stderr, "hs_mongo_tool drop: %s\n", err.message);
		rc = 1;
	}
	mongoc_database_destroy(d);
	mongoc_client_destroy(c);
	return rc;
}

/* Print the _id of doc as canonical Extended JSON (or the whole document). */
static void print_doc(const bson_t *doc, bool id_only)
{
	char *s;

	if (id_only) {
		bson_iter_t it;
		bson_t one = BSON_INITIALIZER;

		if (bson_iter_init_find(&it, doc, "_id"))
			bson_append_iter(&one, "_id", 3, &it);
		s = bson_as_canonical_extended_json(&one, NULL);
		bson_destroy(&one);
	} else {
		s = bson_as_canonical_extended_json(doc, NULL);
	}
	printf("%s\n", s);
	bson_free(s);
}

static int cmd_ids_server(const char *uri, const char *db, const char *coll)
{
	mongoc_client_t *c = client_new(uri);
	mongoc_collection_t *col;
	mongoc_cursor_t *cur;
	bson_t filter = BSON_INITIALIZER;
	bson_t *opts = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
	const bson_t *doc;
	bson_error_t err;
	int rc = 0;

	if (!c)
		return 1;
	col = mongoc_client_get_collection(c, db, coll);
	cur = mongoc_collection_find_with_opts(col, &filter, opts, NULL);
	while (mongoc_cursor_next(cur, &doc))
		print_doc(doc, true);
	if (mongoc_cursor_error(cur, &err)) {
		fprintf(stderr, "hs_mongo_tool ids-server: %s\n", err.message);
		rc = 1;
	}
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);
	mongoc_collection_destroy(col);
	mongoc_client_destroy(c);
	return rc;
}

static int cmd_file(const char *path, bool id_only)
{
	bson_error_t err;
	bson_reader_t *r = bson_reader_new_from_file(path, &err);
	const bson_t *doc;
	bool eof = false;

	if (!r) {
		fprintf(stderr, "hs_mongo_tool: %s: %s\n", path, err.message);
		return 1;
	}
	while ((doc = bson_reader_read(r, &eof)))
		print_doc(doc, id_only);
	bson_reader_destroy(r);
	if (!eof) {
		fprintf(stderr, "hs_mongo_tool: %s: malformed BSON\n", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 3)
		return usage();
	mongoc_init();
	mongoc_log_set_handler(NULL, NULL); /* FerretDB has no endSessions: quiet */
	if (!strcmp(argv[1], "seed") && argc == 6)
		rc = cmd_seed(argv[2], argv[3], argv[4], (uint32_t)strtoul(argv[5], NULL, 10));
	else if (!strcmp(argv[1], "cmd") && argc == 5)
		rc = cmd_cmd(argv[2], argv[3], argv[4]);
	else if (!strcmp(argv[1], "count") && argc == 5)
		rc = cmd_count(argv[2], argv[3], argv[4]);
	else if (!strcmp(argv[1], "drop") && argc == 4)
		rc = cmd_drop(argv[2], argv[3]);
	else if (!strcmp(argv[1], "ids-server") && argc == 5)
		rc = cmd_ids_server(argv[2], argv[3], argv[4]);
	else if (!strcmp(argv[1], "ids") && argc == 3)
		rc = cmd_file(argv[2], true);
	else if (!strcmp(argv[1], "docs") && argc == 3)
		rc = cmd_file(argv[2], false);
	else
		rc = usage();
	mongoc_cleanup();
	return rc;
}
