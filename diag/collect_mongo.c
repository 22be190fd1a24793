/*
 * collect_mongo.c - the "mongo" diag collector: a serverStatus subset
 * (version, uptime, connections, opcounters, ... whatever the server
 * gives: FerretDB gives fewer fields, and what is there is recorded) into
 * diag/mongo/server.json, and per profile collection its document count,
 * sizes and indexes (collStats, else $collStats, else countDocuments; and
 * listIndexes) into diag/mongo/collections.json.
 *
 * Findings: MongoDB unreachable (critical; the collector fails).  A
 * profile collection that does not exist is a warning of the collector.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "diag.h"
#include "uri.h"
#include "sources/mongo/mongo_common.h"

typedef struct mg_run {
	const hs_diag_ctx *ctx;
	hs_diag_out *o;
	const char *uri;         /* SECRET: only for hs_mongo_err's scrubbing */
	mongoc_client_t *client;
	int64_t deadline_ms;
	bool cut;
} mg_run;

static bool mg_configured(const hs_profile *p)
{
	return p && p->mongo;
}

/*
 * When to stop starting work: a fifth of the budget before its end, and at
 * least 1 s before it (half the budget when it is 2 s or less), to leave
 * time to write what was collected before the runner kills the child.
 */
static int64_t mg_deadline(const hs_diag_ctx *ctx, int64_t now_ms, int64_t def_ms)
{
	int64_t budget = ctx->timeout_ms > 0 ? ctx->timeout_ms : def_ms;
	int64_t margin = budget / 5 > 1000 ? budget / 5 : budget > 2000 ? 1000 : budget / 2;

	return (ctx->started_ms > 0 ? ctx->started_ms : now_ms) + budget - margin;
}

/* A BSON document as JSON (relaxed Extended JSON); NULL when it cannot be. */
static json_t *mg_json(const bson_t *b)
{
	char *s = bson_as_relaxed_extended_json(b, NULL);
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;

	bson_free(s);
	return j;
}

/* Copy the keys of src named in keys (NULL-terminated) that exist into dst. */
static void mg_pick(json_t *dst, const json_t *src, const char *const *keys)
{
	for (size_t i = 0; keys[i]; i++) {
		json_t *v = json_object_get(src, keys[i]);

		if (v)
			json_object_set(dst, keys[i], v);
	}
}

/* A number of a JSON value (integer, real, or {"$numberLong": "..."}), -1 if none. */
static json_int_t mg_num(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (json_int_t)json_real_value(v);
	if (json_is_object(v) && json_is_string(json_object_get(v, "$numberLong")))
		return (json_int_t)strtoll(json_string_value(json_object_get(v, "$numberLong")), NULL, 10);
	return -1;
}

/* Run cmd (named what in errors) on db; the reply as JSON in *out, or -1 with e. */
static int mg_cmd(mg_run *run, const char *db, const char *what, const bson_t *cmd, json_t **out,
		  hs_error *e)
{
	bson_t reply;
	bson_error_t berr;
	int rc = -1;

	*out = NULL;
	if (!mongoc_client_command_simple(run->client, db, cmd, NULL, &reply, &berr)) {
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, run->uri, "%s failed", what);
		goto out;
	}
	*out = mg_json(&reply);
	if (!*out)
		hs_err(e, HS_EXIT_FAILURE, "cannot read the %s reply as JSON", what);
	else
		rc = 0;
out:
	bson_destroy(&reply);
	return rc;
}

/*
 * ping (the reachability check), buildInfo and serverStatus; what the
 * server does not answer is named under "unavailable".
 */
static int mg_server(mg_run *run, json_t **summary, hs_error *e)
{
	static const char *const ss_keys[] = {
		"host", "version", "process", "pid", "uptime", "uptimeMillis", "localTime", "connections",
		"opcounters", "opcountersRepl", "mem", "network", "asserts", "storageEngine", "repl",
		"globalLock", "catalogStats", NULL
	};
	static const char *const bi_keys[] = { "version", "gitVersion", "ferretdbVersion", "maxBsonObjectSize", NULL };
	bson_t *cmd = NULL;
	json_t *reply = NULL, *doc = json_object(), *unavail = json_array();
	hs_error ce;
	int rc = -1;

	cmd = BCON_NEW("ping", BCON_INT32(1));
	if (mg_cmd(run, "admin", "ping", cmd, &reply, e))
		goto out;
	json_decref(reply);
	bson_destroy(cmd);
	cmd = BCON_NEW("buildInfo", BCON_INT32(1));
	hs_error_init(&ce);
	if (mg_cmd(run, "admin", "buildInfo", cmd, &reply, &ce) == 0) {
		json_t *bi = json_object();

		mg_pick(bi, reply, bi_keys);
		json_object_set_new(doc, "buildInfo", bi);
		json_decref(reply);
	} else {
		json_array_append_new(unavail, json_pack("{s:s, s:s}", "command", "buildInfo", "error", ce.msg));
	}
	bson_destroy(cmd);
	cmd = BCON_NEW("serverStatus", BCON_INT32(1));
	hs_error_init(&ce);
	if (mg_cmd(run, "admin", "serverStatus", cmd, &reply, &ce) == 0) {
		json_t *ss = json_object();

		mg_pick(ss, reply, ss_keys);
		json_object_set_new(doc, "serverStatus", ss);
		json_decref(reply);
	} else {
		json_array_append_new(unavail, json_pack("{s:s, s:s}", "command", "serverStatus", "error", ce.msg));
	}
	json_object_set_new(doc, "unavailable", unavail);
	unavail = NULL;
	if (hs_diag_out_add_json(run->o, "diag/mongo/server.json", doc, e))
		goto out;
	*summary = json_pack("{s:O, s:O, s:O, s:O}", "version",
			     json_object_get(json_object_get(doc, "buildInfo"), "version") ?
			     json_object_get(json_object_get(doc, "buildInfo"), "version") : json_null(),
			     "uptime", json_object_get(json_object_get(doc, "serverStatus"), "uptime") ?
			     json_object_get(json_object_get(doc, "serverStatus"), "uptime") : json_null(),
			     "connections",
			     json_object_get(json_object_get(doc, "serverStatus"), "connections") ?
			     json_object_get(json_object_get(doc, "serverStatus"), "connections") : json_null(),
			     "opcounters",
			     json_object_get(json_object_get(doc, "serverStatus"), "opcounters") ?
			     json_object_get(json_object_get(doc, "serverStatus"), "opcounters") : json_null());
	rc = 0;
out:
	if (cmd)
		bson_destroy(cmd);
	json_decref(doc);
	json_decref(unavail);
	return rc;
}

/* The collection names of db, sorted as the server lists them. */
static int mg_list(mg_run *run, const char *db, json_t **names, hs_error *e)
{
	mongoc_database_t *d = mongoc_client_get_database(run->client, db);
	bson_error_t berr;
	char **v = mongoc_database_get_collection_names_with_opts(d, NULL, &berr);
	int rc = -1;

	*names = json_array();
	if (!v) {
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, run->uri, "cannot list the collections of '%s'", db);
		goto out;
	}
	for (size_t i = 0; v[i]; i++)
		json_array_append_new(*names, json_string(v[i]));
	bson_strfreev(v);
	rc = 0;
out:
	mongoc_database_destroy(d);
	return rc;
}

/* count, size, storageSize, indexes of one collection; errors go into the entry. */
static json_t *mg_coll(mg_run *run, const char *db, const char *coll)
{
	static const char *const st_keys[] = { "count", "size", "storageSize", "totalIndexSize", "nindexes",
					       "avgObjSize", "capped", "indexSizes", NULL };
	json_t *out = json_pack("{s:s, s:s}", "database", db, "collection", coll), *reply = NULL;
	json_t *errors = json_array(), *idx = json_array();
	mongoc_collection_t *c = mongoc_client_get_collection(run->client, db, coll);
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_t *cmd = BCON_NEW("collStats", BCON_UTF8(coll));
	bson_error_t berr;
	hs_error ce;

	hs_error_init(&ce);
	if (mg_cmd(run, db, "collStats", cmd, &reply, &ce) == 0) {
		mg_pick(out, reply, st_keys);
		json_object_set_new(out, "source", json_string("collStats"));
		json_decref(reply);
		reply = NULL;
	} else {
		bson_t *pipe = BCON_NEW("pipeline", "[", "{", "$collStats", "{", "storageStats", "{", "}",
					"count", "{", "}", "}", "}", "]");

		json_array_append_new(errors, json_pack("{s:s, s:s}", "command", "collStats", "error", ce.msg));
		cur = mongoc_collection_aggregate(c, MONGOC_QUERY_NONE, pipe, NULL, NULL);
		if (mongoc_cursor_next(cur, &doc)) {
			json_t *j = mg_json(doc);

			mg_pick(out, json_object_get(j, "storageStats"), st_keys);
			if (!json_object_get(out, "count") && json_object_get(j, "count"))
				json_object_set(out, "count", json_object_get(j, "count"));
			json_object_set_new(out, "source", json_string("$collStats"));
			json_decref(j);
		}
		if (mongoc_cursor_error(cur, &berr)) {
			hs_mongo_err(&ce, HS_EXIT_FAILURE, &berr, run->uri, "$collStats");
			json_array_append_new(errors, json_pack("{s:s, s:s}", "command", "$collStats", "error",
								ce.msg));
		}
		mongoc_cursor_destroy(cur);
		cur = NULL;
		bson_destroy(pipe);
	}
	if (!json_object_get(out, "count")) {
		bson_t filter = BSON_INITIALIZER;
		int64_t n = mongoc_collection_count_documents(c, &filter, NULL, NULL, NULL, &berr);

		if (n >= 0) {
			json_object_set_new(out, "count", json_integer(n));
		} else {
			hs_mongo_err(&ce, HS_EXIT_FAILURE, &berr, run->uri, "countDocuments");
			json_array_append_new(errors, json_pack("{s:s, s:s}", "command", "countDocuments",
								"error", ce.msg));
		}
		bson_destroy(&filter);
	}
	cur = mongoc_collection_find_indexes_with_opts(c, NULL);
	while (mongoc_cursor_next(cur, &doc)) {
		json_t *j = mg_json(doc);

		if (j)
			json_array_append_new(idx, json_pack("{s:O, s:O, s:b}", "name",
							     json_object_get(j, "name") ? json_object_get(j, "name")
											: json_null(),
							     "key", json_object_get(j, "key") ? json_object_get(j, "key")
											      : json_null(),
							     "unique", json_is_true(json_object_get(j, "unique"))));
		json_decref(j);
	}
	if (mongoc_cursor_error(cur, &berr)) {
		hs_mongo_err(&ce, HS_EXIT_FAILURE, &berr, run->uri, "listIndexes");
		json_array_append_new(errors, json_pack("{s:s, s:s}", "command", "listIndexes", "error", ce.msg));
	}
	mongoc_cursor_destroy(cur);
	json_object_set_new(out, "indexes", idx);
	json_object_set_new(out, "errors", errors);
	bson_destroy(cmd);
	mongoc_collection_destroy(c);
	return out;
}

/* The collections of one profile database: named ones, or all but the excluded. */
static int mg_db(mg_run *run, const hs_profile_mongo_db *d, json_t *colls, hs_error *e)
{
	json_t *live = NULL, *v;
	size_t i, j;
	int rc = -1;

	if (mg_list(run, d->name, &live, e))
		goto out;
	if (d->all_collections) {
		json_array_foreach(live, i, v) {
			const char *n = json_string_value(v);
			bool skip = !strncmp(n, "system.", 7);

			for (j = 0; j < d->exclude.n && !skip; j++)
				skip = !fnmatch(d->exclude.v[j], n, 0);
			if (skip)
				continue;
			if (hs_now_ms() >= run->deadline_ms) {
				run->cut = true;
				break;
			}
			json_array_append_new(colls, mg_coll(run, d->name, n));
		}
	} else {
		for (i = 0; i < d->collections.n; i++) {
			bool found = false;

			json_array_foreach(live, j, v)
				if (!strcmp(json_string_value(v), d->collections.v[i]))
					found = true;
			if (!found) {
				if (hs_diag_out_warn(run->o, e, "collection '%s.%s' does not exist", d->name,
						     d->collections.v[i]))
					goto out;
				json_array_append_new(colls, json_pack("{s:s, s:s, s:b}", "database", d->name,
								       "collection", d->collections.v[i], "exists",
								       0));
				continue;
			}
			if (hs_now_ms() >= run->deadline_ms) {
				run->cut = true;
				break;
			}
			json_array_append_new(colls, mg_coll(run, d->name, d->collections.v[i]));
		}
	}
	rc = 0;
out:
	json_decref(live);
	return rc;
}

/* The collector (see the top of this file). */
static int mg_collect(const hs_diag_ctx *ctx, hs_diag_out *o, hs_error *e)
{
	const hs_profile_mongo *pm = ctx->profile->mongo;
	mongoc_client_pool_t *pool = NULL;
	mg_run run;
	char *shown = hs_uri_redact_dup(pm->uri);
	json_t *server = NULL, *colls = json_array(), *res, *doc = NULL;
	int64_t t0 = hs_now_ms();
	int rc = -1;

	memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	run.o = o;
	run.uri = pm->uri;
	run.deadline_ms = mg_deadline(ctx, t0, 20000);
	if (hs_mongo_pool_new(pm->uri, 1, &pool, NULL, e))
		goto out;
	run.client = mongoc_client_pool_pop(pool);
	if (mg_server(&run, &server, e)) {
		hs_error fe;

		hs_err_prefix(e, "mongo '%s'", shown);
		hs_error_init(&fe);
		hs_diag_out_finding(o, HS_SEV_CRITICAL,
				    strstr(e->msg, "uthentication") ? "MongoDB authentication failed"
									   : "MongoDB unreachable",
				    json_pack("{s:s, s:s}", "uri", shown, "error", e->msg), "Check Dependencies",
				    &fe);
		goto out;
	}
	for (size_t i = 0; i < pm->n_databases; i++)
		if (mg_db(&run, &pm->databases[i], colls, e))
			goto out;
	doc = json_pack("{s:O, s:b}", "collections", colls, "complete", !run.cut);
	if (hs_diag_out_add_json(o, "diag/mongo/collections.json", doc, e))
		goto out;
	if (run.cut && hs_diag_out_warn(o, e, "time budget nearly spent: not every collection was read"))
		goto out;
	rc = 0;
out:
	res = json_pack("{s:s, s:o, s:b, s:I}", "uri", shown, "server", server ? server : json_null(),
			"complete", !run.cut, "elapsed_ms",
			(json_int_t)(hs_now_ms() - t0));
	{
		json_t *sum = json_array(), *c;
		size_t i;
		hs_error re;

		json_array_foreach(colls, i, c)
			json_array_append_new(sum, json_pack("{s:O, s:O, s:I, s:I, s:I}", "database",
							     json_object_get(c, "database"), "collection",
							     json_object_get(c, "collection"), "count",
							     mg_num(json_object_get(c, "count")), "size",
							     mg_num(json_object_get(c, "size")), "indexes",
							     (json_int_t)json_array_size(json_object_get(c, "indexes"))));
		json_object_set_new(res, "collections", sum);
		hs_error_init(&re);
		hs_diag_out_set_result(o, res, &re);
	}
	json_decref(doc);
	json_decref(colls);
	if (run.client)
		mongoc_client_pool_push(pool, run.client);
	mongoc_client_pool_destroy(pool);
	free(shown);
	return rc;
}

const hs_diag_collector hs_diag_collector_mongo = {
	.name = "mongo",
	.title = "MongoDB: server status, collections' counts, sizes and indexes",
	.configured = mg_configured,
	.run = mg_collect,
	.timeout_ms = 20000,
};
