/*
 * Unit tests of the MongoDB helpers without a server: the metadata.json
 * text (byte for byte what mongodump 100.x writes), its parser, index specs,
 * entry names, namespace selection and --map-ns, secret scrubbing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sources/mongo/mongo_common.h"

/* Two listIndexes documents as the server returns them. */
static bson_t *indexes_fixture(void)
{
	return BCON_NEW("0", "{", "v", BCON_INT32(2), "key", "{", "_id", BCON_INT32(1), "}", "name",
			BCON_UTF8("_id_"), "}", "1", "{", "v", BCON_INT32(2), "key", "{", "name", BCON_INT32(1),
			"}", "name", BCON_UTF8("name_1"), "}");
}

/* The exact text mongodump (mongo-tools 100.x) wrote for that collection on FerretDB. */
static void test_metadata_like_mongodump(void **state)
{
	static const char want[] =
		"{\"indexes\":[{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"_id\":{\"$numberInt\":\"1\"}},"
		"\"name\":\"_id_\"},{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"name\":{\"$numberInt\":\"1\"}},"
		"\"name\":\"name_1\"}],\"uuid\":\"b2e805f3b80b4503bfd9274a0578db0b\",\"collectionName\":\"c1\","
		"\"type\":\"collection\"}";
	bson_t *idx = indexes_fixture();
	bson_t opts = BSON_INITIALIZER;
	hs_error e;
	char *got;

	(void)state;
	hs_error_init(&e);
	got = hs_mongo_metadata_json(&opts, idx, "b2e805f3b80b4503bfd9274a0578db0b", "c1", "collection", &e);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	bson_destroy(idx);
	bson_destroy(&opts);
}

/* Options come first, in canonical form; uuid and type are left out when unknown. */
static void test_metadata_options_and_absent_fields(void **state)
{
	bson_t *opts = BCON_NEW("capped", BCON_BOOL(true), "size", BCON_INT64(4096), "note", BCON_UTF8("é\"/"));
	hs_error e;
	char *got;

	(void)state;
	hs_error_init(&e);
	got = hs_mongo_metadata_json(opts, NULL, NULL, "x", NULL, &e);
	assert_non_null(got);
	assert_string_equal(got, "{\"options\":{\"capped\":true,\"size\":{\"$numberLong\":\"4096\"},"
				 "\"note\":\"é\\\"/\"},\"indexes\":[],\"collectionName\":\"x\"}");
	free(got);
	bson_destroy(opts);
}

/* What we write parses back into the same options, indexes and type. */
static void test_metadata_round_trip(void **state)
{
	bson_t *idx = indexes_fixture();
	bson_t *opts = BCON_NEW("validationLevel", BCON_UTF8("moderate"));
	bson_t po, pi;
	char type[32];
	hs_error e;
	char *text;

	(void)state;
	hs_error_init(&e);
	text = hs_mongo_metadata_json(opts, idx, NULL, "c", "view", &e);
	assert_non_null(text);
	assert_int_equal(hs_mongo_metadata_parse(text, strlen(text), &po, &pi, type, sizeof(type), &e), 0);
	assert_true(bson_equal(&po, opts));
	assert_true(bson_equal(&pi, idx));
	assert_string_equal(type, "view");
	bson_destroy(&po);
	bson_destroy(&pi);
	free(text);
	bson_destroy(idx);
	bson_destroy(opts);
}

static void test_metadata_parse_rejects_garbage(void **state)
{
	bson_t po, pi;
	char type[32];
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_mongo_metadata_parse("{\"indexes\":[", 12, &po, &pi, type, sizeof(type), &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	/* an array is no metadata document (libbson alone would take it; diff would not) */
	hs_error_init(&e);
	assert_int_equal(hs_mongo_metadata_parse(" [1]", 4, &po, &pi, type, sizeof(type), &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	/* mongodump's own shape without type: a collection */
	hs_error_init(&e);
	assert_int_equal(hs_mongo_metadata_parse("{\"indexes\":[],\"collectionName\":\"a\"}", 35, &po, &pi, type,
						 sizeof(type), &e),
			 0);
	assert_string_equal(type, "collection");
	assert_true(bson_empty(&po));
	bson_destroy(&po);
	bson_destroy(&pi);
}

/* createIndexes gets the spec without v and ns, everything else kept. */
static void test_index_spec_strips_v_ns(void **state)
{
	bson_t *listed = BCON_NEW("v", BCON_INT32(2), "key", "{", "a", BCON_INT32(-1), "}", "name", BCON_UTF8("a_-1"),
				  "ns", BCON_UTF8("db.c"), "unique", BCON_BOOL(true));
	bson_t *want = BCON_NEW("key", "{", "a", BCON_INT32(-1), "}", "name", BCON_UTF8("a_-1"), "unique",
				BCON_BOOL(true));
	bson_t spec;

	(void)state;
	hs_mongo_index_spec(listed, &spec);
	assert_true(bson_equal(&spec, want));
	bson_destroy(&spec);
	bson_destroy(listed);
	bson_destroy(want);
}

static void test_uuid_hex(void **state)
{
	static const uint8_t raw[16] = { 0xb2, 0xe8, 0x05, 0xf3, 0xb8, 0x0b, 0x45, 0x03,
					 0xbf, 0xd9, 0x27, 0x4a, 0x05, 0x78, 0xdb, 0x0b };
	bson_t *d = BCON_NEW("u", BCON_BIN(BSON_SUBTYPE_UUID, raw, 16), "s", BCON_UTF8("x"),
			     "b", BCON_BIN(BSON_SUBTYPE_BINARY, raw, 16));
	bson_iter_t it;
	char hex[33];

	(void)state;
	assert_true(bson_iter_init_find(&it, d, "u"));
	assert_true(hs_mongo_uuid_hex(&it, hex));
	assert_string_equal(hex, "b2e805f3b80b4503bfd9274a0578db0b");
	assert_true(bson_iter_init_find(&it, d, "s"));
	assert_false(hs_mongo_uuid_hex(&it, hex));
	assert_true(bson_iter_init_find(&it, d, "b"));
	assert_false(hs_mongo_uuid_hex(&it, hex));
	bson_destroy(d);
}

static void test_entry_split(void **state)
{
	char *db = NULL, *coll = NULL;
	int kind = -1;

	(void)state;
	assert_true(hs_mongo_entry_split("mongo/neural_hive/execution_tickets.bson", &db, &coll, &kind));
	assert_string_equal(db, "neural_hive");
	assert_string_equal(coll, "execution_tickets");
	assert_int_equal(kind, 0);
	free(db);
	free(coll);
	assert_true(hs_mongo_entry_split("mongo/d/a.b.metadata.json", &db, &coll, &kind));
	assert_string_equal(coll, "a.b");
	assert_int_equal(kind, 1);
	free(db);
	free(coll);
	assert_false(hs_mongo_entry_split("redis/db0.jsonl", &db, &coll, &kind));
	assert_false(hs_mongo_entry_split("mongo/d/e/f.bson", &db, &coll, &kind));
	assert_false(hs_mongo_entry_split("mongo//f.bson", &db, &coll, &kind));
	assert_false(hs_mongo_entry_split("mongo/d/.bson", &db, &coll, &kind));
	assert_false(hs_mongo_entry_split("mongo/d/f.json", &db, &coll, &kind));
}

static void test_ns_selected(void **state)
{
	const char *inc[] = { "neural_hive.*", NULL };
	const char *exc[] = { "*.validation_audit", NULL };

	(void)state;
	assert_true(hs_mongo_ns_selected("a.b", NULL, NULL));
	assert_true(hs_mongo_ns_selected("neural_hive.execution_tickets", inc, exc));
	assert_false(hs_mongo_ns_selected("neural_hive.validation_audit", inc, exc));
	assert_false(hs_mongo_ns_selected("other.x", inc, NULL));
	assert_false(hs_mongo_ns_selected("other.validation_audit", NULL, exc));
}

static void check_map(const char *ns, const char *const *rules, const char *want)
{
	hs_error e;
	char *got = NULL;

	hs_error_init(&e);
	assert_int_equal(hs_mongo_ns_map(ns, rules, &got, &e), 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_ns_map(void **state)
{
	const char *r1[] = { "neural_hive.*=verify.*", NULL };
	const char *r2[] = { "a.x=b.y", "a.*=c.*_copy", NULL };
	const char *r3[] = { "*.tickets=archive.*", NULL };
	const char *r4[] = { "a.*=fixed.one", NULL };

	(void)state;
	check_map("neural_hive.execution_tickets", r1, "verify.execution_tickets");
	check_map("neural_hiveX.t", r1, "neural_hiveX.t");
	check_map("a.x", r2, "b.y");
	check_map("a.z", r2, "c.z_copy");
	check_map("q.tickets", r3, "archive.q");
	check_map("a.b", r4, "fixed.one");
	check_map("z.z", NULL, "z.z");
}

/* The namespaces restore refuses without --allow-system. */
static void test_ns_system(void **state)
{
	(void)state;
	assert_true(hs_mongo_ns_system("admin", "system.users"));
	assert_true(hs_mongo_ns_system("admin", "anything"));
	assert_true(hs_mongo_ns_system("local", "oplog.rs"));
	assert_true(hs_mongo_ns_system("config", "chunks"));
	assert_true(hs_mongo_ns_system("neural_hive", "system.js"));
	assert_true(hs_mongo_ns_system("neural_hive", "system.views"));
	assert_false(hs_mongo_ns_system("neural_hive", "tickets"));
	assert_false(hs_mongo_ns_system("admins", "x"));
	assert_false(hs_mongo_ns_system("configs", "x"));
	assert_false(hs_mongo_ns_system("neural_hive", "systems.x"));
	assert_false(hs_mongo_ns_system("neural_hive", "my.system.x"));
}

static void test_ns_map_bad_rules(void **state)
{
	const char *bad[][2] = { { "nodst", NULL }, { "=x.y", NULL }, { "a.b=", NULL }, { "a.b=c.*", NULL },
				 { "a.**=c.*", NULL }, { "a.*=nodot", NULL } };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hs_error e;
		char *out = NULL;

		hs_error_init(&e);
		assert_int_equal(hs_mongo_ns_rules_check(bad[i], &e), -1);
		assert_int_equal(e.code, HS_EXIT_USAGE);
		assert_non_null(strstr(e.msg, bad[i][0]));
		assert_int_equal(hs_mongo_ns_map("a.b", bad[i], &out, &e), -1);
		assert_null(out);
	}
}

/* No password or query value of the URI survives in a driver message. */
static void test_scrub(void **state)
{
	char msg[256];

	(void)state;
	snprintf(msg, sizeof(msg), "auth failed for admin with s3cr3t! at h:1 (s3cr3t!)");
	hs_mongo_scrub(msg, sizeof(msg), "mongodb://admin:s3cr3t!@h:1/db");
	assert_string_equal(msg, "auth failed for admin with *** at h:1 (***)");

	snprintf(msg, sizeof(msg), "bad p@ss:w and p%%40ss");
	hs_mongo_scrub(msg, sizeof(msg), "mongodb://u:p%40ss@h/db");
	assert_null(strstr(msg, "p@ss"));
	assert_null(strstr(msg, "p%40ss"));

	snprintf(msg, sizeof(msg), "Unknown option 'authMechanismProperties=AWS_SESSION_TOKEN:tok123'");
	hs_mongo_scrub(msg, sizeof(msg), "mongodb://h/?authMechanismProperties=AWS_SESSION_TOKEN:tok123&x=1");
	assert_null(strstr(msg, "tok123"));

	snprintf(msg, sizeof(msg), "nothing secret here");
	hs_mongo_scrub(msg, sizeof(msg), "mongodb://127.0.0.1:27017");
	assert_string_equal(msg, "nothing secret here");
}

/* A bad URI is a failure naming the redacted URI, never the password. */
static void test_pool_bad_uri(void **state)
{
	mongoc_client_pool_t *pool = NULL;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_mongo_pool_new("mongo://u:hunter22@h", 2, &pool, NULL, &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_null(strstr(e.msg, "hunter22"));
	assert_non_null(strstr(e.msg, "u:***@h"));
	hs_error_init(&e);
	assert_int_equal(hs_mongo_pool_new("mongodb://u:hunter22@h:99999999/?authMechanismProperties=A:hunter22", 2, &pool, NULL, &e), -1);
	assert_null(strstr(e.msg, "hunter22"));
	hs_error_init(&e);
	assert_int_equal(hs_mongo_pool_new("mongodb://127.0.0.1:1/?appname=t", 2, &pool, NULL, &e), 0);
	mongoc_client_pool_destroy(pool);
}

/*
 * Timeouts: unless the URI sets them, 5 s to select and connect, and an
 * hour for one socket read (not the driver's 5 minutes); the URI's win.
 */
static void test_pool_timeouts(void **state)
{
	mongoc_client_pool_t *pool = NULL;
	mongoc_uri_t *u = NULL;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_mongo_pool_new("mongodb://127.0.0.1:1/", 2, &pool, &u, &e), 0);
	assert_int_equal(mongoc_uri_get_option_as_int32(u, MONGOC_URI_SOCKETTIMEOUTMS, -1), HS_MONGO_SOCKET_TIMEOUT_MS);
	assert_int_equal(mongoc_uri_get_option_as_int32(u, MONGOC_URI_CONNECTTIMEOUTMS, -1), 5000);
	assert_int_equal(mongoc_uri_get_option_as_int32(u, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, -1), 5000);
	mongoc_client_pool_destroy(pool);
	mongoc_uri_destroy(u);
	pool = NULL;
	u = NULL;
	assert_int_equal(hs_mongo_pool_new("mongodb://127.0.0.1:1/?socketTimeoutMS=1234&connectTimeoutMS=99", 2,
					   &pool, &u, &e), 0);
	assert_int_equal(mongoc_uri_get_option_as_int32(u, MONGOC_URI_SOCKETTIMEOUTMS, -1), 1234);
	assert_int_equal(mongoc_uri_get_option_as_int32(u, MONGOC_URI_CONNECTTIMEOUTMS, -1), 99);
	mongoc_client_pool_destroy(pool);
	mongoc_uri_destroy(u);
}

/* One hs_mongo_err message for a driver error of domain/code/message on uri. */
static void auth_err(hs_error *e, uint32_t domain, uint32_t code, const char *message, const char *uri)
{
	bson_error_t berr;

	memset(&berr, 0, sizeof(berr));
	berr.domain = domain;
	berr.code = code;
	snprintf(berr.message, sizeof(berr.message), "%s", message);
	hs_error_init(e);
	assert_int_equal(hs_mongo_err(e, HS_EXIT_FAILURE, &berr, uri, "cannot connect to mongo 'x'"), -1);
	assert_int_equal(e->code, HS_EXIT_FAILURE);
}

/*
 * A refused login names the user and auth database, never the password,
 * and keeps the server's reason when it says more than "Authentication
 * failed."; other errors pass as they were.
 */
static void test_auth_error_message(void **state)
{
	hs_error e;

	(void)state;
	auth_err(&e, MONGOC_ERROR_CLIENT, MONGOC_ERROR_CLIENT_AUTHENTICATE, "Authentication failed.",
		 "mongodb://backup:p%40ss-Zq9x@h:1/?authSource=admin");
	assert_string_equal(e.msg, "cannot connect to mongo 'x': authentication failed for user 'backup' "
				   "(auth database 'admin'): the server refused the user name or password");

	/* the auth database defaults to the URI's database, the mechanism is named when given */
	auth_err(&e, MONGOC_ERROR_CLIENT, MONGOC_ERROR_CLIENT_AUTHENTICATE,
		 "Unsupported authentication mechanism \"PLAIN\".\nSee https://docs/ for more details.",
		 "mongodb://u%40corp:hunter22@h/neural_hive?authMechanism=PLAIN");
	/* (the reason went through hs_mongo_scrub, which hides every query value of the URI) */
	assert_string_equal(e.msg, "cannot connect to mongo 'x': authentication failed for user 'u@corp' "
				   "(auth database 'neural_hive', mechanism PLAIN): Unsupported authentication "
				   "mechanism \"***\"");

	/* a user name holding the password does not bring it back */
	auth_err(&e, MONGOC_ERROR_CLIENT, MONGOC_ERROR_CLIENT_AUTHENTICATE, "Authentication failed.",
		 "mongodb://hunter22:hunter22@h/");
	assert_null(strstr(e.msg, "hunter22"));
	assert_non_null(strstr(e.msg, "authentication failed for user '***'"));

	/* a command refused for want of a login, on a URI without a user: a hint */
	auth_err(&e, MONGOC_ERROR_SERVER, 13, "Command listCollections requires authentication", "mongodb://h:1/");
	assert_string_equal(e.msg, "cannot connect to mongo 'x': Command listCollections requires "
				   "authentication; the uri has no user:password@");
	auth_err(&e, MONGOC_ERROR_SERVER, 13, "Command listCollections requires authentication",
		 "mongodb://u:hunter22@h:1/");
	assert_string_equal(e.msg, "cannot connect to mongo 'x': Command listCollections requires authentication");

	/* anything else is left as the driver said it */
	auth_err(&e, MONGOC_ERROR_SERVER_SELECTION, MONGOC_ERROR_SERVER_SELECTION_FAILURE,
		 "No suitable servers found: connection refused", "mongodb://u:hunter22@h:1/");
	assert_string_equal(e.msg, "cannot connect to mongo 'x': No suitable servers found: connection refused");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metadata_like_mongodump),
		cmocka_unit_test(test_metadata_options_and_absent_fields),
		cmocka_unit_test(test_metadata_round_trip),
		cmocka_unit_test(test_metadata_parse_rejects_garbage),
		cmocka_unit_test(test_index_spec_strips_v_ns),
		cmocka_unit_test(test_uuid_hex),
		cmocka_unit_test(test_entry_split),
		cmocka_unit_test(test_ns_selected),
		cmocka_unit_test(test_ns_map),
		cmocka_unit_test(test_ns_map_bad_rules),
		cmocka_unit_test(test_ns_system),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_pool_bad_uri),
		cmocka_unit_test(test_pool_timeouts),
		cmocka_unit_test(test_auth_error_message),
	};
	int rc;

	hs_mongo_global_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mongoc_cleanup();
	return rc;
}
