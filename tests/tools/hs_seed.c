/*
 * hs_seed.c - load the deterministic Flow C data set into the test peers.
 *
 *   hs_seed --scale small|medium|large [--mongo URI] [--redis URI]
 *           [--kafka BROKERS] [--only mongo,redis,kafka] [--json] [--plan]
 *
 * Drops and recreates what it seeds, and nothing else:
 *   MongoDB  neural_hive.execution_tickets, validation_audit, workflow_results
 *            (ObjectIds, dates, nested documents, arrays, Decimal128, binary,
 *            int64, doubles) and their indexes (unique, compound, descending)
 *   Redis    db 0: decision:processed:* and ticket:processed:* strings with
 *            TTLs, pheromone:* hashes and sorted sets, telemetry:buffer:*
 *            lists, the stream flow_c:events with consumer group
 *            orchestrator-dynamic; db 1: a few config:flow_c:* strings
 *   Kafka    topics plans.consensus and execution.tickets (several partitions,
 *            keyed JSON messages with fixed timestamps) and the groups
 *            orchestrator-consumers and worker-consumers with committed
 *            offsets and no live members
 *
 * The data comes from a fixed-seed PRNG and fixed dates only: the same scale
 * gives the same bytes.  One exception: FerretDB 1.x rejects Decimal128, so
 * when a probe insert of one fails the decimals are stored as strings (and
 * the counts say so).  Bulk writes (mongoc bulk operations, Redis pipelining)
 * keep the large scale (~1M documents, ~1M keys) to minutes.
 *
 * Prints the counts at the end (--json: one JSON object on stdout).  --plan
 * prints the counts the scale would produce without connecting to anything,
 * so tests can compare what the servers hold with what was seeded.
 * Exit 0 on success, 3 when a server refused or could not be reached, 64 on
 * bad flags.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <mongoc/mongoc.h>

#include "error.h"

#define SEED_DB "neural_hive"
#define SEED_BATCH 1000
#define SEED_EPOCH_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define SEED_TTL_BASE 604800                 /* one week: never expires in a test */
#define SEED_STREAM "flow_c:events"
#define SEED_STREAM_GROUP "orchestrator-dynamic"

/* How much of everything one scale makes. */
typedef struct seed_plan {
	const char *scale;
	long tickets, audits, results;           /* MongoDB documents */
	long decisions, processed, pher_hashes;  /* Redis db 0 keys */
	long pher_zsets, tele_lists, tele_items; /* tele_items per list */
	long stream_entries, db1_keys;
	int plans_parts, tickets_parts;          /* Kafka partitions */
	long plans_per_part, tickets_per_part;   /* Kafka messages per partition */
} seed_plan;

static const seed_plan seed_plans[] = {
	{"small", 2000, 1000, 1000, 1000, 1000, 100, 20, 20, 50, 200, 5, 3, 6, 100, 200},
	{"medium", 50000, 25000, 25000, 50000, 45000, 3000, 500, 500, 20, 2000, 5, 3, 6, 1000, 2000},
	{"large", 500000, 250000, 250000, 500000, 450000, 40000, 5000, 5000, 20, 20000, 5, 3, 6, 10000, 20000},
};

/* splitmix64: small, fast, and the same everywhere. */
typedef struct seed_rng {
	uint64_t s;
} seed_rng;

static uint64_t seed_next(seed_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static long seed_range(seed_rng *r, long n)
{
	return (long)(seed_next(r) % (uint64_t)n);
}

static double seed_unit(seed_rng *r)
{
	return (double)(seed_next(r) >> 11) / 9007199254740992.0;
}

static void seed_bytes(seed_rng *r, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(seed_next(r) >> 56);
}

/* A UUID-shaped correlation id from the PRNG (version 4 layout). */
static void seed_uuid(seed_rng *r, char out[37])
{
	uint8_t b[16];

	seed_bytes(r, b, sizeof b);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* A deterministic ObjectId: its time part follows the document's date. */
static void seed_oid(seed_rng *r, int64_t ms, bson_oid_t *oid)
{
	uint8_t b[12];
	uint32_t t = (uint32_t)(ms / 1000);

	b[0] = (uint8_t)(t >> 24);
	b[1] = (uint8_t)(t >> 16);
	b[2] = (uint8_t)(t >> 8);
	b[3] = (uint8_t)t;
	seed_bytes(r, b + 4, 8);
	bson_oid_init_from_data(oid, b);
}

static const char *const ticket_status[] = {"PENDING", "RUNNING", "COMPLETED", "FAILED",
					    "CANCELLED", "RETRYING", "COMPLETED", "COMPLETED"};
static const char *const task_types[] = {"BUILD", "DEPLOY", "TEST", "VALIDATE", "EXECUTE", "ANALYZE"};
static const char *const agent_types[] = {"worker", "scout", "guard", "analyst"};
static const char *const services[] = {"orchestrator-dynamic", "service-registry", "worker-agent",
				       "consensus-engine", "gateway"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Append a string (BSON_APPEND_UTF8 evaluates its value twice). */
static void seed_utf8(bson_t *doc, const char *key, const char *val)
{
	bson_append_utf8(doc, key, -1, val, -1);
}

/* ---- MongoDB ------------------------------------------------------------ */

typedef struct seed_mongo {
	mongoc_client_t *client;
	mongoc_database_t *db;
	bool decimal;      /* the server stores Decimal128 */
} seed_mongo;

/* Append a money amount: Decimal128 when the server takes it, else a string. */
static void seed_money(seed_mongo *m, bson_t *doc, const char *key, seed_rng *r, long max_cents)
{
	char s[32];
	bson_decimal128_t d;

	snprintf(s, sizeof s, "%ld.%02ld", seed_range(r, max_cents) / 100, seed_range(r, 100));
	if (m->decimal && bson_decimal128_from_string(s, &d))
		BSON_APPEND_DECIMAL128(doc, key, &d);
	else
		seed_utf8(doc, key, s);
}

/* One execution ticket, number i. */
static void seed_ticket(seed_mongo *m, seed_rng *r, long i, bson_t *doc)
{
	char buf[64], uuid[37];
	bson_oid_t oid;
	bson_t sub, arr, step;
	int64_t created = SEED_EPOCH_MS + (int64_t)i * 1500 + seed_range(r, 1000);
	const char *status = ticket_status[seed_range(r, (long)NELEM(ticket_status))];
	uint8_t hash[32];
	long nsteps = 1 + seed_range(r, 4);

	seed_oid(r, created, &oid);
	BSON_APPEND_OID(doc, "_id", &oid);
	snprintf(buf, sizeof buf, "tkt-%08ld", i);
	seed_utf8(doc, "ticket_id", buf);
	snprintf(buf, sizeof buf, "plan-%06ld", i / 8);
	seed_utf8(doc, "plan_id", buf);
	seed_uuid(r, uuid);
	seed_utf8(doc, "correlation_id", uuid);
	seed_utf8(doc, "status", status);
	seed_utf8(doc, "task_type", task_types[seed_range(r, (long)NELEM(task_types))]);
	BSON_APPEND_INT32(doc, "priority", (int32_t)seed_range(r, 10));
	BSON_APPEND_DATE_TIME(doc, "created_at", created);
	BSON_APPEND_DATE_TIME(doc, "updated_at", created + seed_range(r, 600000));
	BSON_APPEND_DOCUMENT_BEGIN(doc, "sla", &sub);
	BSON_APPEND_DATE_TIME(&sub, "deadline", created + 3600000);
	BSON_APPEND_INT64(&sub, "timeout_ms", INT64_C(3600000));
	BSON_APPEND_BOOL(&sub, "breached", seed_range(r, 50) == 0);
	bson_append_document_end(doc, &sub);
	BSON_APPEND_INT32(doc, "retries", (int32_t)seed_range(r, 4));
	seed_money(m, doc, "estimated_cost", r, 100000);
	seed_bytes(r, hash, sizeof hash);
	BSON_APPEND_BINARY(doc, "payload_sha256", BSON_SUBTYPE_BINARY, hash, sizeof hash);
	BSON_APPEND_INT64(doc, "payload_bytes", (int64_t)(seed_next(r) % UINT64_C(5000000000)));
	BSON_APPEND_DOUBLE(doc, "risk_score", seed_unit(r));
	BSON_APPEND_ARRAY_BEGIN(doc, "tags", &arr);
	seed_utf8(&arr, "0", "flow-c");
	seed_utf8(&arr, "1", seed_range(r, 2) ? "batch" : "interactive");
	bson_append_array_end(doc, &arr);
	if (strcmp(status, "PENDING") == 0) {
		BSON_APPEND_NULL(doc, "assigned_worker");
	} else {
		BSON_APPEND_DOCUMENT_BEGIN(doc, "assigned_worker", &sub);
		snprintf(buf, sizeof buf, "worker-%03ld", seed_range(r, 64));
		seed_utf8(&sub, "agent_id", buf);
		seed_utf8(&sub, "agent_type", "worker");
		snprintf(buf, sizeof buf, "10.42.%ld.%ld:50051", seed_range(r, 8), seed_range(r, 250));
		seed_utf8(&sub, "endpoint", buf);
		bson_append_document_end(doc, &sub);
	}
	BSON_APPEND_ARRAY_BEGIN(doc, "steps", &arr);
	for (long s = 0; s < nsteps; s++) {
		char k[24];

		snprintf(k, sizeof k, "%ld", s);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, k, &step);
		snprintf(buf, sizeof buf, "step-%ld", s + 1);
		seed_utf8(&step, "name", buf);
		seed_utf8(&step, "status", s + 1 < nsteps ? "COMPLETED" : status);
		BSON_APPEND_DOUBLE(&step, "duration_ms", seed_unit(r) * 5000.0);
		bson_append_document_end(&arr, &step);
	}
	bson_append_array_end(doc, &arr);
}

/* One validation audit record, number i. */
static void seed_audit(seed_mongo *m, seed_rng *r, long i, bson_t *doc)
{
	static const char *const results[] = {"VALID", "VALID", "VALID", "INVALID", "WARNING"};
	static const char *const rules[] = {"schema", "budget", "sla", "dependency", "security"};
	char buf[64];
	bson_oid_t oid;
	bson_t arr, v;
	int64_t ts = SEED_EPOCH_MS + (int64_t)i * 3000 + seed_range(r, 2000);
	const char *res = results[seed_range(r, (long)NELEM(results))];
	uint8_t sum[16];
	long nv = strcmp(res, "VALID") == 0 ? 0 : 1 + seed_range(r, 3);

	seed_oid(r, ts, &oid);
	BSON_APPEND_OID(doc, "_id", &oid);
	snprintf(buf, sizeof buf, "aud-%08ld", i);
	seed_utf8(doc, "audit_id", buf);
	snprintf(buf, sizeof buf, "plan-%06ld", i / 4);
	seed_utf8(doc, "plan_id", buf);
	snprintf(buf, sizeof buf, "tkt-%08ld", i * 2);
	seed_utf8(doc, "ticket_id", buf);
	seed_utf8(doc, "validator", seed_range(r, 2) ? "policy-engine" : "schema-validator");
	seed_utf8(doc, "result", res);
	BSON_APPEND_ARRAY_BEGIN(doc, "violations", &arr);
	for (long k = 0; k < nv; k++) {
		char key[24];

		snprintf(key, sizeof key, "%ld", k);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, key, &v);
		seed_utf8(&v, "rule", rules[seed_range(r, (long)NELEM(rules))]);
		seed_utf8(&v, "severity", seed_range(r, 3) ? "medium" : "high");
		seed_utf8(&v, "message", "constraint not satisfied");
		bson_append_document_end(&arr, &v);
	}
	bson_append_array_end(doc, &arr);
	BSON_APPEND_DATE_TIME(doc, "timestamp", ts);
	BSON_APPEND_DOUBLE(doc, "latency_ms", seed_unit(r) * 250.0);
	seed_money(m, doc, "confidence", r, 100);
	seed_bytes(r, sum, sizeof sum);
	BSON_APPEND_BINARY(doc, "checksum", BSON_SUBTYPE_BINARY, sum, sizeof sum);
}

/* One workflow result, number i. */
static void seed_result(seed_mongo *m, seed_rng *r, long i, bson_t *doc)
{
	char buf[64], uuid[37];
	bson_oid_t oid;
	bson_t arr, sub;
	int64_t started = SEED_EPOCH_MS + (int64_t)i * 12000 + seed_range(r, 5000);
	int64_t dur = 1000 + seed_range(r, 600000);
	long ntk = 1 + seed_range(r, 8), nfail = seed_range(r, 3) == 0 ? seed_range(r, ntk + 1) : 0;
	uint8_t blob[64];
	size_t bloblen = (size_t)(8 + seed_range(r, 56));

	seed_oid(r, started, &oid);
	BSON_APPEND_OID(doc, "_id", &oid);
	snprintf(buf, sizeof buf, "wf-%08ld", i);
	seed_utf8(doc, "workflow_id", buf);
	snprintf(buf, sizeof buf, "plan-%06ld", i);
	seed_utf8(doc, "plan_id", buf);
	seed_uuid(r, uuid);
	seed_utf8(doc, "correlation_id", uuid);
	seed_utf8(doc, "status", nfail ? "FAILED" : "COMPLETED");
	BSON_APPEND_DATE_TIME(doc, "started_at", started);
	BSON_APPEND_DATE_TIME(doc, "completed_at", started + dur);
	BSON_APPEND_DOUBLE(doc, "duration_seconds", (double)dur / 1000.0);
	BSON_APPEND_ARRAY_BEGIN(doc, "tickets", &arr);
	for (long k = 0; k < ntk; k++) {
		char key[24];

		snprintf(key, sizeof key, "%ld", k);
		snprintf(buf, sizeof buf, "tkt-%08ld", i * 8 + k);
		seed_utf8(&arr, key, buf);
	}
	bson_append_array_end(doc, &arr);
	BSON_APPEND_DOCUMENT_BEGIN(doc, "metrics", &sub);
	BSON_APPEND_INT32(&sub, "tickets_total", (int32_t)ntk);
	BSON_APPEND_INT32(&sub, "tickets_failed", (int32_t)nfail);
	BSON_APPEND_INT64(&sub, "bytes_processed", (int64_t)(seed_next(r) % (UINT64_C(1) << 40)));
	bson_append_document_end(doc, &sub);
	seed_money(m, doc, "total_cost", r, 1000000);
	seed_bytes(r, blob, bloblen);
	BSON_APPEND_BINARY(doc, "result_digest", BSON_SUBTYPE_BINARY, blob, (uint32_t)bloblen);
}

typedef void (*seed_doc_fn)(seed_mongo *m, seed_rng *r, long i, bson_t *doc);

/* Drop a collection; "ns not found" is fine. */
static int seed_mongo_drop(seed_mongo *m, const char *coll, hs_error *e)
{
	mongoc_collection_t *c = mongoc_database_get_collection(m->db, coll);
	bson_error_t err;
	int rc = 0;

	if (!mongoc_collection_drop(c, &err) && err.code != 26 && !strstr(err.message, "ns not found"))
		rc = hs_err(e, HS_EXIT_FAILURE, "cannot drop '%s.%s': %s", SEED_DB, coll, err.message);
	mongoc_collection_destroy(c);
	return rc;
}

/* Insert n documents made by fn in unordered bulk batches. */
static int seed_mongo_fill(seed_mongo *m, const char *coll, long n, uint64_t seed, seed_doc_fn fn,
			   hs_error *e)
{
	mongoc_collection_t *c = mongoc_database_get_collection(m->db, coll);
	mongoc_bulk_operation_t *bulk = NULL;
	bson_t *opts = BCON_NEW("ordered", BCON_BOOL(false));
	seed_rng r = {seed};
	bson_error_t err;
	bson_t reply;
	int rc = -1;

	for (long i = 0; i < n;) {
		bulk = mongoc_collection_create_bulk_operation_with_opts(c, opts);
		for (long k = 0; k < SEED_BATCH && i < n; k++, i++) {
			bson_t doc = BSON_INITIALIZER;

			fn(m, &r, i, &doc);
			mongoc_bulk_operation_insert(bulk, &doc);
			bson_destroy(&doc);
		}
		if (!mongoc_bulk_operation_execute(bulk, &reply, &err)) {
			bson_destroy(&reply);
			hs_err(e, HS_EXIT_FAILURE, "cannot insert into '%s.%s': %s", SEED_DB, coll, err.message);
			goto out;
		}
		bson_destroy(&reply);
		mongoc_bulk_operation_destroy(bulk);
		bulk = NULL;
	}
	rc = 0;
out:
	mongoc_bulk_operation_destroy(bulk);
	bson_destroy(opts);
	mongoc_collection_destroy(c);
	return rc;
}

/* Create indexes from a JSON array of {key, name[, unique]} (createIndexes command). */
static int seed_mongo_indexes(seed_mongo *m, const char *coll, const char *json, hs_error *e)
{
	bson_t *idx = NULL, *cmd = NULL;
	bson_error_t err;
	int rc = -1;

	idx = bson_new_from_json((const uint8_t *)json, -1, &err);
	if (!idx) {
		hs_err(e, HS_EXIT_FAILURE, "bad index spec for '%s': %s", coll, err.message);
		goto out;
	}
	cmd = BCON_NEW("createIndexes", BCON_UTF8(coll));
	bson_append_array(cmd, "indexes", -1, idx);
	if (!mongoc_database_write_command_with_opts(m->db, cmd, NULL, NULL, &err)) {
		hs_err(e, HS_EXIT_FAILURE, "cannot create indexes on '%s.%s': %s", SEED_DB, coll, err.message);
		goto out;
	}
	rc = 0;
out:
	bson_destroy(idx);
	bson_destroy(cmd);
	return rc;
}

/* Does the server store a Decimal128?  (FerretDB 1.x does not.) */
static bool seed_mongo_probe_decimal(seed_mongo *m)
{
	mongoc_collection_t *c = mongoc_database_get_collection(m->db, "hs_seed_probe");
	bson_decimal128_t d;
	bson_t doc = BSON_INITIALIZER;
	bson_error_t err;
	bool ok;

	bson_decimal128_from_string("1.25", &d);
	BSON_APPEND_INT32(&doc, "_id", 1);
	BSON_APPEND_DECIMAL128(&doc, "d", &d);
	ok = mongoc_collection_insert_one(c, &doc, NULL, NULL, &err);
	mongoc_collection_drop(c, &err);
	bson_destroy(&doc);
	mongoc_collection_destroy(c);
	return ok;
}

static int seed_mongo_all(const char *uri, const seed_plan *p, json_t *counts, hs_error *e)
{
	seed_mongo m = {0};
	bson_error_t err;
	mongoc_uri_t *u = NULL;
	json_t *mc = json_object();
	int rc = -1;
	static const struct {
		const char *coll;
		seed_doc_fn fn;
		uint64_t seed;
		const char *indexes;
	} colls[] = {
		{"execution_tickets", seed_ticket, 0x7469636b65747331,
		 "[{\"key\":{\"ticket_id\":1},\"name\":\"ticket_id_1\",\"unique\":true},"
		 "{\"key\":{\"plan_id\":1,\"status\":1},\"name\":\"plan_id_1_status_1\"},"
		 "{\"key\":{\"correlation_id\":1},\"name\":\"correlation_id_1\"},"
		 "{\"key\":{\"created_at\":-1},\"name\":\"created_at_-1\"}]"},
		{"validation_audit", seed_audit, 0x6175646974733031,
		 "[{\"key\":{\"audit_id\":1},\"name\":\"audit_id_1\",\"unique\":true},"
		 "{\"key\":{\"plan_id\":1,\"timestamp\":-1},\"name\":\"plan_id_1_timestamp_-1\"}]"},
		{"workflow_results", seed_result, 0x726573756c747331,
		 "[{\"key\":{\"workflow_id\":1},\"name\":\"workflow_id_1\",\"unique\":true},"
		 "{\"key\":{\"completed_at\":-1},\"name\":\"completed_at_-1\"},"
		 "{\"key\":{\"plan_id\":1,\"status\":1},\"name\":\"plan_id_1_status_1\"}]"},
	};

	u = mongoc_uri_new_with_error(uri, &err);
	if (!u) {
		hs_err(e, HS_EXIT_USAGE, "bad --mongo uri: %s", err.message);
		goto out;
	}
	m.client = mongoc_client_new_from_uri(u);
	if (!m.client) {
		hs_err(e, HS_EXIT_FAILURE, "cannot create a mongodb client");
		goto out;
	}
	mongoc_client_set_appname(m.client, "hs_seed");
	m.db = mongoc_client_get_database(m.client, SEED_DB);
	{
		bson_t *ping = BCON_NEW("ping", BCON_INT32(1));
		bool ok = mongoc_client_command_simple(m.client, "admin", ping, NULL, NULL, &err);

		bson_destroy(ping);
		if (!ok) {
			hs_err(e, HS_EXIT_FAILURE, "cannot reach mongodb: %s", err.message);
			goto out;
		}
	}
	m.decimal = seed_mongo_probe_decimal(&m);
	for (size_t i = 0; i < NELEM(colls); i++) {
		long n = i == 0 ? p->tickets : i == 1 ? p->audits : p->results;

		if (seed_mongo_drop(&m, colls[i].coll, e) < 0 ||
		    seed_mongo_fill(&m, colls[i].coll, n, colls[i].seed, colls[i].fn, e) < 0 ||
		    seed_mongo_indexes(&m, colls[i].coll, colls[i].indexes, e) < 0)
			goto out;
		json_object_set_new(mc, colls[i].coll, json_integer(n));
	}
	json_object_set_new(mc, "decimal128", json_boolean(m.decimal));
	rc = 0;
out:
	json_object_set_new(counts, "mongo", mc);
	mongoc_database_destroy(m.db);
	mongoc_client_destroy(m.client);
	mongoc_uri_destroy(u);
	return rc;
}

/* ---- Redis -------------------------------------------------------------- */

typedef struct seed_redis {
	redisContext *c;
	long pending;   /* commands appended, replies not yet read */
} seed_redis;

/* Read all pending replies; any error reply fails. */
static int seed_redis_drain(seed_redis *rd, hs_error *e)
{
	int rc = 0;

	while (rd->pending > 0) {
		redisReply *rep = NULL;

		if (redisGetReply(rd->c, (void **)&rep) != REDIS_OK || !rep)
			return hs_err(e, HS_EXIT_FAILURE, "redis connection failed: %s", rd->c->errstr);
		rd->pending--;
		if (rep->type == REDIS_REPLY_ERROR && rc == 0)
			rc = hs_err(e, HS_EXIT_FAILURE, "redis refused a command: %s", rep->str);
		freeReplyObject(rep);
	}
	return rc;
}

/* Count an appended command; read the replies every SEED_BATCH commands. */
static int seed_redis_sent(seed_redis *rd, hs_error *e)
{
	if (++rd->pending >= SEED_BATCH)
		return seed_redis_drain(rd, e);
	return 0;
}

/* Delete every key matching pattern in the selected db (SCAN + UNLINK). */
static int seed_redis_unlink(seed_redis *rd, const char *pattern, hs_error *e)
{
	char cursor[32] = "0";

	do {
		redisReply *rep = redisCommand(rd->c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);

		if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
			if (rep)
				freeReplyObject(rep);
			return hs_err(e, HS_EXIT_FAILURE, "redis SCAN '%s' failed", pattern);
		}
		snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
		for (size_t i = 0; i < rep->element[1]->elements; i++) {
			redisReply *k = rep->element[1]->element[i];

			redisAppendCommand(rd->c, "UNLINK %b", k->str, (size_t)k->len);
			if (seed_redis_sent(rd, e) < 0) {
				freeReplyObject(rep);
				return -1;
			}
		}
		freeReplyObject(rep);
		/* the next SCAN's reply must not be taken for an UNLINK's */
		if (seed_redis_drain(rd, e) < 0)
			return -1;
	} while (strcmp(cursor, "0") != 0);
	return seed_redis_drain(rd, e);
}

static int seed_redis_select(seed_redis *rd, int db, hs_error *e)
{
	redisReply *rep = redisCommand(rd->c, "SELECT %d", db);
	int rc = 0;

	if (!rep || rep->type == REDIS_REPLY_ERROR)
		rc = hs_err(e, HS_EXIT_FAILURE, "redis SELECT %d failed", db);
	if (rep)
		freeReplyObject(rep);
	return rc;
}

/* Parse redis://[:password@]host[:port][/db]; only host, port and db are used. */
static int seed_redis_parse(const char *uri, char *host, size_t hostlen, int *port, int *db, hs_error *e)
{
	const char *p = uri, *at, *slash, *colon;
	size_t n;

	*port = 6379;
	*db = 0;
	if (strncmp(p, "redis://", 8) != 0)
		return hs_err(e, HS_EXIT_USAGE, "bad --redis uri: must start with redis://");
	p += 8;
	at = strchr(p, '@');
	if (at)
		p = at + 1;
	slash = strchr(p, '/');
	colon = strchr(p, ':');
	if (colon && slash && colon > slash)
		colon = NULL;
	n = colon ? (size_t)(colon - p) : slash ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n >= hostlen)
		return hs_err(e, HS_EXIT_USAGE, "bad --redis uri: no host");
	memcpy(host, p, n);
	host[n] = '\0';
	if (colon)
		*port = atoi(colon + 1);
	if (slash && slash[1])
		*db = atoi(slash + 1);
	if (*port <= 0 || *port > 65535)
		return hs_err(e, HS_EXIT_USAGE, "bad --redis uri: bad port");
	return 0;
}

/* The keys one scale puts in Redis. */
static json_t *seed_redis_counts(const seed_plan *p)
{
	json_t *c = json_object();

	json_object_set_new(c, "db0_keys", json_integer(p->decisions + p->processed + p->pher_hashes +
							p->pher_zsets + p->tele_lists + 1));
	json_object_set_new(c, "decision:processed", json_integer(p->decisions));
	json_object_set_new(c, "ticket:processed", json_integer(p->processed));
	json_object_set_new(c, "pheromone", json_integer(p->pher_hashes + p->pher_zsets));
	json_object_set_new(c, "telemetry:buffer", json_integer(p->tele_lists));
	json_object_set_new(c, "stream_entries", json_integer(p->stream_entries));
	json_object_set_new(c, "db1_keys", json_integer(p->db1_keys));
	return c;
}

static int seed_redis_all(const char *uri, const seed_plan *p, json_t *counts, hs_error *e)
{
	static const char *const patterns[] = {"decision:processed:*", "ticket:processed:*", "pheromone:*",
					       "telemetry:buffer:*", SEED_STREAM};
	seed_redis rd = {0};
	seed_rng r = {0x7265646973303031};
	char host[256], key[96], val[512], uuid[37];
	struct timeval tv = {10, 0};
	int port, db, rc = -1;

	if (seed_redis_parse(uri, host, sizeof host, &port, &db, e) < 0)
		goto out;
	rd.c = redisConnectWithTimeout(host, port, tv);
	if (!rd.c || rd.c->err) {
		hs_err(e, HS_EXIT_FAILURE, "cannot reach redis at '%s:%d': %s", host, port,
		       rd.c ? rd.c->errstr : "out of memory");
		goto out;
	}
	redisSetTimeout(rd.c, tv);
	if (seed_redis_select(&rd, 0, e) < 0)
		goto out;
	for (size_t i = 0; i < NELEM(patterns); i++)
		if (seed_redis_unlink(&rd, patterns[i], e) < 0)
			goto out;

	for (long i = 0; i < p->decisions; i++) {
		seed_uuid(&r, uuid);
		snprintf(key, sizeof key, "decision:processed:plan-%06ld:%ld", i / 2, i % 2);
		snprintf(val, sizeof val,
			 "{\"decision\":\"%s\",\"correlation_id\":\"%s\",\"confidence\":%.3f,\"processed_at\":%" PRId64 "}",
			 seed_range(&r, 5) ? "APPROVE" : "REJECT", uuid, seed_unit(&r),
			 (SEED_EPOCH_MS + (int64_t)i * 2000) / 1000);
		redisAppendCommand(rd.c, "SET %s %s EX %d", key, val, SEED_TTL_BASE + (int)seed_range(&r, 86400));
		if (seed_redis_sent(&rd, e) < 0)
			goto out;
	}
	for (long i = 0; i < p->processed; i++) {
		snprintf(key, sizeof key, "ticket:processed:tkt-%08ld", i);
		redisAppendCommand(rd.c, "SET %s %s EX %d", key, ticket_status[seed_range(&r, (long)NELEM(ticket_status))],
				   SEED_TTL_BASE + (int)seed_range(&r, 86400));
		if (seed_redis_sent(&rd, e) < 0)
			goto out;
	}
	for (long i = 0; i < p->pher_hashes; i++) {
		char s[32], d[32], t[32];

		snprintf(key, sizeof key, "pheromone:%s:%s:%ld", agent_types[i % (long)NELEM(agent_types)],
			 task_types[(i / (long)NELEM(agent_types)) % (long)NELEM(task_types)], i);
		snprintf(s, sizeof s, "%.4f", seed_unit(&r));
		snprintf(d, sizeof d, "%ld", 1 + seed_range(&r, 500));
		snprintf(t, sizeof t, "%" PRId64, (SEED_EPOCH_MS + (int64_t)i * 700) / 1000);
		redisAppendCommand(rd.c, "HSET %s strength %s deposits %s last_update %s decay 0.05", key, s, d, t);
		if (seed_redis_sent(&rd, e) < 0)
			goto out;
	}
	for (long i = 0; i < p->pher_zsets; i++) {
		snprintf(key, sizeof key, "pheromone:trail:%s:%ld", task_types[i % (long)NELEM(task_types)], i);
		for (long k = 0; k < 10; k++) {
			char member[32], score[32];

			snprintf(member, sizeof member, "worker-%03ld", seed_range(&r, 64));
			snprintf(score, sizeof score, "%.4f", seed_unit(&r) * 100.0);
			redisAppendCommand(rd.c, "ZADD %s %s %s", key, score, member);
			if (seed_redis_sent(&rd, e) < 0)
				goto out;
		}
	}
	for (long i = 0; i < p->tele_lists; i++) {
		snprintf(key, sizeof key, "telemetry:buffer:%s:%ld", services[i % (long)NELEM(services)], i);
		for (long k = 0; k < p->tele_items; k++) {
			snprintf(val, sizeof val, "{\"seq\":%ld,\"latency_ms\":%.2f,\"ts\":%" PRId64 "}", k,
				 seed_unit(&r) * 300.0, (SEED_EPOCH_MS + (int64_t)(i * p->tele_items + k) * 100) / 1000);
			redisAppendCommand(rd.c, "RPUSH %s %s", key, val);
			if (seed_redis_sent(&rd, e) < 0)
				goto out;
		}
	}
	for (long i = 0; i < p->stream_entries; i++) {
		char id[48];

		snprintf(id, sizeof id, "%" PRId64 "-0", SEED_EPOCH_MS + (int64_t)i * 10);
		snprintf(key, sizeof key, "tkt-%08ld", i);
		redisAppendCommand(rd.c, "XADD %s %s event %s ticket_id %s stage %ld", SEED_STREAM, id,
				   seed_range(&r, 3) ? "ticket.completed" : "ticket.created", key, seed_range(&r, 6));
		if (seed_redis_sent(&rd, e) < 0)
			goto out;
	}
	redisAppendCommand(rd.c, "XGROUP CREATE %s %s %" PRId64 "-0", SEED_STREAM, SEED_STREAM_GROUP,
			   SEED_EPOCH_MS + (int64_t)(p->stream_entries / 2) * 10);
	if (seed_redis_sent(&rd, e) < 0 || seed_redis_drain(&rd, e) < 0)
		goto out;
	if (seed_redis_select(&rd, 1, e) < 0 || seed_redis_unlink(&rd, "config:flow_c:*", e) < 0)
		goto out;
	for (long i = 0; i < p->db1_keys; i++) {
		snprintf(key, sizeof key, "config:flow_c:%s", services[i % (long)NELEM(services)]);
		snprintf(val, sizeof val, "{\"replicas\":%ld,\"sla_seconds\":%ld}", 1 + seed_range(&r, 5),
			 60 + seed_range(&r, 600));
		redisAppendCommand(rd.c, "SET %s %s", key, val);
		if (seed_redis_sent(&rd, e) < 0)
			goto out;
	}
	if (seed_redis_drain(&rd, e) < 0)
		goto out;
	rc = 0;
out:
	json_object_set_new(counts, "redis", seed_redis_counts(p));
	if (rd.c)
		redisFree(rd.c);
	return rc;
}

/* ---- Kafka -------------------------------------------------------------- */

/* The message count and committed offset of one partition. */
static long seed_kafka_committed(long per_part, int part, bool tickets)
{
	long lag = tickets ? 3L * part : 5L * (part + 1);

	return per_part > lag ? per_part - lag : 0;
}

static rd_kafka_t *seed_kafka_new(const char *brokers, rd_kafka_type_t type, const char *group, hs_error *e)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "client.id", "hs_seed", err, sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK ||
	    (type == RD_KAFKA_PRODUCER &&
	     (rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof err) != RD_KAFKA_CONF_OK ||
	      rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err) != RD_KAFKA_CONF_OK)) ||
	    (group && (rd_kafka_conf_set(conf, "group.id", group, err, sizeof err) != RD_KAFKA_CONF_OK ||
		       rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err) != RD_KAFKA_CONF_OK))) {
		rd_kafka_conf_destroy(conf);
		hs_err(e, HS_EXIT_USAGE, "bad kafka setting: %s", err);
		return NULL;
	}
	rk = rd_kafka_new(type, conf, err, sizeof err);
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		hs_err(e, HS_EXIT_FAILURE, "cannot create a kafka client: %s", err);
	}
	return rk;
}

/* Run one admin request and wait for its result event. */
static rd_kafka_event_t *seed_kafka_admin_wait(rd_kafka_queue_t *q, hs_error *e)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);

	if (!ev) {
		hs_err(e, HS_EXIT_FAILURE, "kafka admin request timed out");
		return NULL;
	}
	if (rd_kafka_event_error(ev)) {
		hs_err(e, HS_EXIT_FAILURE, "kafka admin request failed: %s", rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		return NULL;
	}
	return ev;
}

/*
 * Delete the topics (missing is fine), then create them.  The groups are not
 * deleted: the broker drops the offsets of deleted topics, and the commit
 * after producing sets every partition's offset (deleting groups on a just
 * started broker waits for the group coordinator to exist).
 */
static int seed_kafka_reset(rd_kafka_t *rk, const seed_plan *p, hs_error *e)
{
	const char *topics[2] = {"plans.consensus", "execution.tickets"};
	int parts[2] = {p->plans_parts, p->tickets_parts};
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev = NULL;
	int rc = -1;

	{
		rd_kafka_DeleteTopic_t *dt[2] = {rd_kafka_DeleteTopic_new(topics[0]), rd_kafka_DeleteTopic_new(topics[1])};

		rd_kafka_DeleteTopics(rk, dt, 2, NULL, q);
		rd_kafka_DeleteTopic_destroy_array(dt, 2);
		if (!(ev = seed_kafka_admin_wait(q, e)))
			goto out;
		rd_kafka_event_destroy(ev);
	}
	/* a just-deleted topic can take a moment to go: retry creating it */
	for (int attempt = 0;; attempt++) {
		rd_kafka_NewTopic_t *nt[2];
		const rd_kafka_CreateTopics_result_t *res;
		const rd_kafka_topic_result_t **tr;
		size_t n;
		bool again = false;
		char err[256];

		for (int i = 0; i < 2; i++) {
			nt[i] = rd_kafka_NewTopic_new(topics[i], parts[i], 1, err, sizeof err);
			rd_kafka_NewTopic_set_config(nt[i], "retention.ms", "-1");
		}
		rd_kafka_CreateTopics(rk, nt, 2, NULL, q);
		rd_kafka_NewTopic_destroy_array(nt, 2);
		if (!(ev = seed_kafka_admin_wait(q, e)))
			goto out;
		res = rd_kafka_event_CreateTopics_result(ev);
		tr = rd_kafka_CreateTopics_result_topics(res, &n);
		for (size_t i = 0; i < n; i++) {
			rd_kafka_resp_err_t te = rd_kafka_topic_result_error(tr[i]);

			if (te == RD_KAFKA_RESP_ERR_NO_ERROR)
				continue;
			if ((te == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS || te == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) &&
			    attempt < 60) {
				again = true;
				continue;
			}
			hs_err(e, HS_EXIT_FAILURE, "cannot create kafka topic '%s': %s", rd_kafka_topic_result_name(tr[i]),
			       rd_kafka_topic_result_error_string(tr[i]) ? rd_kafka_topic_result_error_string(tr[i])
									 : rd_kafka_err2str(te));
			goto out;
		}
		rd_kafka_event_destroy(ev);
		ev = NULL;
		if (!again)
			break;
		{
			struct timespec ts = {0, 500000000};

			nanosleep(&ts, NULL);
		}
	}
	rc = 0;
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return rc;
}

/* Produce the messages, partition by partition, with fixed timestamps. */
static int seed_kafka_produce(rd_kafka_t *rk, const char *topic, int parts, long per_part, uint64_t seed,
			      hs_error *e)
{
	seed_rng r = {seed};
	char key[64], val[512], uuid[37];

	for (int pt = 0; pt < parts; pt++) {
		for (long i = 0; i < per_part; i++) {
			long n = i * parts + pt;
			int64_t ts = SEED_EPOCH_MS + (int64_t)n * 250;
			rd_kafka_resp_err_t err;

			seed_uuid(&r, uuid);
			if (strcmp(topic, "plans.consensus") == 0) {
				snprintf(key, sizeof key, "plan-%06ld", n);
				snprintf(val, sizeof val,
					 "{\"plan_id\":\"%s\",\"correlation_id\":\"%s\",\"decision\":\"%s\",\"votes\":%ld,\"confidence\":%.3f}",
					 key, uuid, seed_range(&r, 6) ? "APPROVED" : "REJECTED", 3 + seed_range(&r, 5),
					 seed_unit(&r));
			} else {
				snprintf(key, sizeof key, "tkt-%08ld", n);
				snprintf(val, sizeof val,
					 "{\"ticket_id\":\"%s\",\"plan_id\":\"plan-%06ld\",\"correlation_id\":\"%s\",\"task_type\":\"%s\",\"priority\":%ld}",
					 key, n / 8, uuid, task_types[seed_range(&r, (long)NELEM(task_types))],
					 seed_range(&r, 10));
			}
			for (;;) {
				err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(pt),
							RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(val, strlen(val)),
							RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(ts),
							RD_KAFKA_V_END);
				if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
					break;
				rd_kafka_poll(rk, 100);
			}
			if (err)
				return hs_err(e, HS_EXIT_FAILURE, "cannot produce to '%s': %s", topic, rd_kafka_err2str(err));
			rd_kafka_poll(rk, 0);
		}
	}
	return 0;
}

static int seed_kafka_delivery_failed;

static void seed_kafka_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err)
		seed_kafka_delivery_failed++;
}

/* Commit offsets for a group with no members (a "simple" consumer's commit). */
static int seed_kafka_commit(const char *brokers, const char *group, const char *topic, int parts, long per_part,
			     bool tickets, hs_error *e)
{
	rd_kafka_t *rk = seed_kafka_new(brokers, RD_KAFKA_CONSUMER, group, e);
	rd_kafka_topic_partition_list_t *l = NULL;
	rd_kafka_resp_err_t err;
	int rc = -1;

	if (!rk)
		return -1;
	l = rd_kafka_topic_partition_list_new(parts);
	for (int pt = 0; pt < parts; pt++)
		rd_kafka_topic_partition_list_add(l, topic, pt)->offset = seed_kafka_committed(per_part, pt, tickets);
	for (int attempt = 0; attempt < 30; attempt++) {
		err = rd_kafka_commit(rk, l, 0);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
			break;
		{
			struct timespec ts = {0, 500000000};

			nanosleep(&ts, NULL);
		}
	}
	if (err) {
		hs_err(e, HS_EXIT_FAILURE, "cannot commit offsets of group '%s': %s", group, rd_kafka_err2str(err));
		goto out;
	}
	for (int i = 0; i < l->cnt; i++)
		if (l->elems[i].err) {
			hs_err(e, HS_EXIT_FAILURE, "cannot commit offsets of group '%s': %s", group,
			       rd_kafka_err2str(l->elems[i].err));
			goto out;
		}
	rc = 0;
out:
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return rc;
}

static json_t *seed_kafka_topic_json(int parts, long per_part, const char *group, bool tickets)
{
	json_t *t = json_object(), *committed = json_array();
	long total = 0;

	for (int pt = 0; pt < parts; pt++) {
		json_array_append_new(committed, json_integer(seed_kafka_committed(per_part, pt, tickets)));
		total += seed_kafka_committed(per_part, pt, tickets);
	}
	json_object_set_new(t, "partitions", json_integer(parts));
	json_object_set_new(t, "messages", json_integer((json_int_t)parts * per_part));
	json_object_set_new(t, "group", json_string(group));
	json_object_set_new(t, "committed", committed);
	json_object_set_new(t, "committed_total", json_integer(total));
	return t;
}

static int seed_kafka_all(const char *brokers, const seed_plan *p, json_t *counts, hs_error *e)
{
	rd_kafka_t *rk = NULL;
	json_t *kc = json_object();
	int rc = -1;

	rk = seed_kafka_new(brokers, RD_KAFKA_PRODUCER, NULL, e);
	if (!rk)
		goto out;
	if (seed_kafka_reset(rk, p, e) < 0)
		goto out;
	rd_kafka_destroy(rk);
	rk = NULL;
	{
		/* a producer with a delivery report callback for the messages */
		rd_kafka_conf_t *conf = rd_kafka_conf_new();
		char err[512];

		rd_kafka_conf_set_dr_msg_cb(conf, seed_kafka_dr);
		if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err) != RD_KAFKA_CONF_OK ||
		    rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof err) != RD_KAFKA_CONF_OK ||
		    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK ||
		    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err) != RD_KAFKA_CONF_OK ||
		    !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err))) {
			rd_kafka_conf_destroy(conf);
			hs_err(e, HS_EXIT_FAILURE, "cannot create a kafka producer: %s", err);
			goto out;
		}
	}
	seed_kafka_delivery_failed = 0;
	if (seed_kafka_produce(rk, "plans.consensus", p->plans_parts, p->plans_per_part, 0x706c616e73303031, e) < 0 ||
	    seed_kafka_produce(rk, "execution.tickets", p->tickets_parts, p->tickets_per_part, 0x7469636b30303031,
			       e) < 0)
		goto out;
	if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		hs_err(e, HS_EXIT_FAILURE, "kafka did not take all messages within 60s");
		goto out;
	}
	if (seed_kafka_delivery_failed) {
		hs_err(e, HS_EXIT_FAILURE, "kafka refused %d messages", seed_kafka_delivery_failed);
		goto out;
	}
	if (seed_kafka_commit(brokers, "orchestrator-consumers", "plans.consensus", p->plans_parts, p->plans_per_part,
			      false, e) < 0 ||
	    seed_kafka_commit(brokers, "worker-consumers", "execution.tickets", p->tickets_parts, p->tickets_per_part,
			      true, e) < 0)
		goto out;
	rc = 0;
out:
	json_object_set_new(kc, "plans.consensus",
			    seed_kafka_topic_json(p->plans_parts, p->plans_per_part, "orchestrator-consumers", false));
	json_object_set_new(kc, "execution.tickets",
			    seed_kafka_topic_json(p->tickets_parts, p->tickets_per_part, "worker-consumers", true));
	json_object_set_new(counts, "kafka", kc);
	if (rk)
		rd_kafka_destroy(rk);
	return rc;
}

/* Keep the driver's warnings (e.g. FerretDB has no endSessions) off the output. */
static void seed_mongoc_log(mongoc_log_level_t level, const char *domain, const char *message, void *data)
{
	(void)data;
	if (level <= MONGOC_LOG_LEVEL_ERROR)
		fprintf(stderr, "hs_seed: mongoc %s: %s\n", domain, message);
}

/* ---- main --------------------------------------------------------------- */

static void seed_usage(FILE *f)
{
	fputs("usage: hs_seed --scale small|medium|large [--mongo URI] [--redis URI] [--kafka BROKERS]\n"
	      "               [--only mongo,redis,kafka] [--json] [--plan]\n",
	      f);
}

/* Print the counts: JSON on stdout, or one line per number on stderr-free stdout. */
static void seed_print(json_t *counts, bool as_json)
{
	const char *k1, *k2;
	json_t *v1, *v2;

	if (as_json) {
		char *s = json_dumps(counts, JSON_SORT_KEYS | JSON_COMPACT);

		if (s) {
			puts(s);
			free(s);
		}
		return;
	}
	json_object_foreach(counts, k1, v1) {
		if (!json_is_object(v1))
			continue;
		json_object_foreach(v1, k2, v2) {
			if (json_is_integer(v2))
				printf("%s %s %" JSON_INTEGER_FORMAT "\n", k1, k2, json_integer_value(v2));
			else if (json_is_object(v2))
				printf("%s %s %" JSON_INTEGER_FORMAT " messages, %" JSON_INTEGER_FORMAT " committed\n", k1,
				       k2, json_integer_value(json_object_get(v2, "messages")),
				       json_integer_value(json_object_get(v2, "committed_total")));
			else if (json_is_boolean(v2))
				printf("%s %s %s\n", k1, k2, json_is_true(v2) ? "yes" : "no");
		}
	}
}

int main(int argc, char **argv)
{
	const char *scale = NULL, *mongo = "mongodb://127.0.0.1:27117/", *redis = "redis://127.0.0.1:16379/0";
	const char *kafka = "127.0.0.1:19092", *only = "mongo,redis,kafka";
	const seed_plan *plan = NULL;
	bool as_json = false, plan_only = false;
	json_t *counts = NULL;
	hs_error e;
	int rc = HS_EXIT_FAILURE;

	hs_error_init(&e);
	for (int i = 1; i < argc; i++) {
		const char **dst = NULL;

		if (strcmp(argv[i], "--scale") == 0)
			dst = &scale;
		else if (strcmp(argv[i], "--mongo") == 0)
			dst = &mongo;
		else if (strcmp(argv[i], "--redis") == 0)
			dst = &redis;
		else if (strcmp(argv[i], "--kafka") == 0)
			dst = &kafka;
		else if (strcmp(argv[i], "--only") == 0)
			dst = &only;
		else if (strcmp(argv[i], "--json") == 0)
			as_json = true;
		else if (strcmp(argv[i], "--plan") == 0)
			plan_only = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			seed_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "hs_seed: unknown argument '%s'\n", argv[i]);
			seed_usage(stderr);
			return HS_EXIT_USAGE;
		}
		if (dst) {
			if (++i >= argc) {
				fprintf(stderr, "hs_seed: '%s' needs a value\n", argv[i - 1]);
				return HS_EXIT_USAGE;
			}
			*dst = argv[i];
		}
	}
	for (size_t i = 0; scale && i < NELEM(seed_plans); i++)
		if (strcmp(scale, seed_plans[i].scale) == 0)
			plan = &seed_plans[i];
	if (!plan) {
		fprintf(stderr, "hs_seed: --scale must be small, medium or large\n");
		return HS_EXIT_USAGE;
	}
	for (const char *p = only; *p;) {
		size_t n = strcspn(p, ",");

		if (!((n == 5 && strncmp(p, "mongo", 5) == 0) || (n == 5 && strncmp(p, "redis", 5) == 0) ||
		      (n == 5 && strncmp(p, "kafka", 5) == 0))) {
			fprintf(stderr, "hs_seed: --only takes mongo, redis and kafka, not '%.*s'\n", (int)n, p);
			return HS_EXIT_USAGE;
		}
		p += n + (p[n] == ',');
	}

	counts = json_object();
	json_object_set_new(counts, "scale", json_string(plan->scale));
	mongoc_init();
	mongoc_log_set_handler(seed_mongoc_log, NULL);
	if (strstr(only, "mongo")) {
		if (plan_only) {
			json_t *mc = json_object();

			json_object_set_new(mc, "execution_tickets", json_integer(plan->tickets));
			json_object_set_new(mc, "validation_audit", json_integer(plan->audits));
			json_object_set_new(mc, "workflow_results", json_integer(plan->results));
			json_object_set_new(counts, "mongo", mc);
		} else if (seed_mongo_all(mongo, plan, counts, &e) < 0) {
			goto out;
		}
	}
	if (strstr(only, "redis")) {
		if (plan_only)
			json_object_set_new(counts, "redis", seed_redis_counts(plan));
		else if (seed_redis_all(redis, plan, counts, &e) < 0)
			goto out;
	}
	if (strstr(only, "kafka")) {
		if (plan_only) {
			json_t *kc = json_object();

			json_object_set_new(kc, "plans.consensus",
					    seed_kafka_topic_json(plan->plans_parts, plan->plans_per_part,
								  "orchestrator-consumers", false));
			json_object_set_new(kc, "execution.tickets",
					    seed_kafka_topic_json(plan->tickets_parts, plan->tickets_per_part,
								  "worker-consumers", true));
			json_object_set_new(counts, "kafka", kc);
		} else if (seed_kafka_all(kafka, plan, counts, &e) < 0) {
			goto out;
		}
	}
	seed_print(counts, as_json);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "hs_seed: %s\n", e.msg);
	json_decref(counts);
	mongoc_cleanup();
	return rc ? (e.code ? e.code : HS_EXIT_FAILURE) : 0;
}
