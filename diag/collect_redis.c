/*
 * collect_redis.c - the "redis" diag collector: INFO (raw into
 * diag/redis/info.txt, a parsed subset into the result), per profile
 * pattern and db the number of keys (SCAN MATCH, stopped when the time
 * budget is nearly spent: then the count is "at least"), idempotency keys
 * without a TTL (count and up to 20 key names, never values), the sizes of
 * `telemetry:buffer:*` keys by type, all into diag/redis/keys.json.
 *
 * Findings: memory used / maxmemory at or over
 * thresholds.redis_memory_ratio_max (warning; critical halfway from there
 * to 1), idempotency keys without TTL (warning), Redis unreachable
 * (critical; the collector fails).  The URI's password is never written:
 * only hs_uri_redact's form of it.
 */
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "diag.h"
#include "uri.h"
#include "sources/redis/redis_common.h"

#define RD_SAMPLE_MAX 20        /* key names of idempotency keys without TTL */
#define RD_TELEMETRY_MAX 1000   /* telemetry buffers listed one by one */
#define RD_TELEMETRY_PATTERN "telemetry:buffer:*"

typedef struct rd_run {
	const hs_diag_ctx *ctx;
	hs_diag_out *o;
	redisContext *c;
	const hs_profile_redis *pr;
	int64_t deadline_ms;     /* stop scanning at this unix ms */
	bool cut;                /* a scan stopped at the deadline */
	int64_t no_ttl_total;
	json_t *no_ttl_sample;   /* array of {"db", "key"} */
} rd_run;

static bool rd_configured(const hs_profile *p)
{
	return p && p->redis;
}

/*
 * When to stop starting work: a fifth of the budget before its end, and at
 * least 1 s before it (half the budget when it is 2 s or less), to leave
 * time to write what was collected before the runner kills the child.
 */
static int64_t rd_deadline(const hs_diag_ctx *ctx, int64_t now_ms, int64_t def_ms)
{
	int64_t budget = ctx->timeout_ms > 0 ? ctx->timeout_ms : def_ms;
	int64_t margin = budget / 5 > 1000 ? budget / 5 : budget > 2000 ? 1000 : budget / 2;

	return (ctx->started_ms > 0 ? ctx->started_ms : now_ms) + budget - margin;
}

/* The profile's diag thresholds, or the defaults when it has no diag section. */
static const hs_profile_thresholds *rd_thresholds(const hs_profile *p)
{
	static const hs_profile_thresholds def = { 1000, 0.95, 0.9, 3, 1000 };

	return p->diag ? &p->diag->thresholds : &def;
}

/* A key name as JSON: a string when it is UTF-8, else {"$base64": ...}. */
static json_t *rd_key_json(const char *p, size_t n)
{
	hs_buf b = HS_BUF_INIT;
	json_t *v;

	if (hs_redis_utf8_valid(p, n))
		return json_stringn(p, n);
	hs_redis_b64_encode(&b, p, n);
	v = json_pack("{s:s%}", "$base64", b.data ? b.data : "", b.len);
	hs_buf_release(&b);
	return v;
}

/* True when pattern names idempotency keys ("idempot" or ":processed:" in it). */
static bool rd_is_idempotency(const char *pattern)
{
	return strstr(pattern, "idempot") || strstr(pattern, ":processed:") ||
	       !strncmp(pattern, "processed:", 10);
}

/*
 * The value of "field:" in INFO text as a new string, or NULL.  Lines are
 * "field:value\r\n".
 */
static char *rd_info_field(const char *info, const char *field)
{
	size_t fl = strlen(field);
	const char *p = info;

	while (p && *p) {
		if (!strncmp(p, field, fl) && p[fl] == ':') {
			const char *v = p + fl + 1;

			return hs_xstrndup(v, strcspn(v, "\r\n"));
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/*
 * Connect, AUTH when the URI has a password, with connect and I/O timeouts
 * of at most 5 s and never past the deadline: a server that accepts and
 * never answers fails the collector in time to say so.  run->c is set as
 * soon as the connection is open (NULL when it could not be opened).
 * Messages name the redacted URI (what) only.
 */
static int rd_connect(rd_run *run, const hs_redis_uri *u, const char *what, hs_error *e)
{
	int64_t left = run->deadline_ms - hs_now_ms();
	int64_t ms = left < 500 ? 500 : left > 5000 ? 5000 : left;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	redisReply *r = NULL;
	int rc = -1;

	run->c = redisConnectWithTimeout(u->host, u->port, tv);
	if (!run->c || run->c->err) {
		hs_err(e, HS_EXIT_FAILURE, "cannot connect to redis '%s': %s", what,
		       run->c ? run->c->errstr : "out of memory");
		if (run->c)
			redisFree(run->c);
		run->c = NULL;
		goto out;
	}
	redisSetTimeout(run->c, tv);
	if (u->password) {
		const char *argv[3];
		int argc = 0;

		argv[argc++] = "AUTH";
		if (u->user)
			argv[argc++] = u->user;
		argv[argc++] = u->password;
		r = redisCommandArgv(run->c, argc, argv, NULL);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			/* the reply text names no secret ("WRONGPASS invalid username-password pair") */
			hs_err(e, HS_EXIT_FAILURE, "cannot authenticate to redis '%s': %.*s", what,
			       r ? (int)r->len : (int)strlen(run->c->errstr), r ? r->str : run->c->errstr);
			goto out;
		}
	}
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	return rc;
}

/* The INFO subset for the result: numbers as integers, the rest as strings. */
static json_t *rd_info_subset(const char *info)
{
	static const char *const num[] = {
		"uptime_in_seconds", "connected_clients", "blocked_clients", "maxclients",
		"used_memory", "used_memory_rss", "used_memory_peak", "maxmemory",
		"mem_fragmentation_ratio", "rdb_changes_since_last_save", "rdb_last_save_time",
		"aof_enabled", "loading", "evicted_keys", "expired_keys", "rejected_connections",
		NULL
	};
	static const char *const str[] = {
		"redis_version", "redis_mode", "role", "maxmemory_policy", "used_memory_human",
		"maxmemory_human", "rdb_last_bgsave_status", "aof_last_bgrewrite_status",
		"aof_last_write_status", NULL
	};
	json_t *o = json_object(), *ks = json_object();
	const char *p;

	for (size_t i = 0; num[i]; i++) {
		char *v = rd_info_field(info, num[i]);

		if (v) {
			char *end;
			double d = strtod(v, &end);

			if (end != v && !*end)
				json_object_set_new(o, num[i], strchr(v, '.') ? json_real(d)
								: json_integer((json_int_t)strtoll(v, NULL, 10)));
			else
				json_object_set_new(o, num[i], json_string(v));
		}
		free(v);
	}
	for (size_t i = 0; str[i]; i++) {
		char *v = rd_info_field(info, str[i]);

		if (v)
			json_object_set_new(o, str[i], json_string(v));
		free(v);
	}
	/* keyspace: "db0:keys=1,expires=0,avg_ttl=0" */
	for (p = info; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		long long keys = 0, expires = 0;
		int db = -1;
		char name[16];

		if (strncmp(p, "db", 2) || sscanf(p, "db%d:keys=%lld,expires=%lld", &db, &keys, &expires) != 3)
			continue;
		snprintf(name, sizeof(name), "db%d", db);
		json_object_set_new(ks, name, json_pack("{s:I, s:I}", "keys", (json_int_t)keys, "expires",
							(json_int_t)expires));
	}
	json_object_set_new(o, "keyspace", ks);
	return o;
}

/*
 * Run INFO, write it raw and return the parsed subset in *subset.  The
 * memory finding is made here.
 */
static int rd_info(rd_run *run, json_t **subset, hs_error *e)
{
	const char *argv[1] = { "INFO" };
	redisReply *r = hs_redis_cmd(run->c, e, 1, argv, NULL);
	const hs_profile_thresholds *th = rd_thresholds(run->ctx->profile);
	json_t *sub;
	json_int_t used, max;
	int rc = -1;

	if (!r)
		return hs_err_prefix(e, "cannot read redis INFO");
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		hs_err(e, HS_EXIT_FAILURE, "cannot read redis INFO: unexpected reply type %d", r->type);
		goto out;
	}
	if (hs_diag_out_add(run->o, "diag/redis/info.txt", r->str, r->len, e))
		goto out;
	sub = rd_info_subset(r->str);
	*subset = sub;
	used = json_integer_value(json_object_get(sub, "used_memory"));
	max = json_integer_value(json_object_get(sub, "maxmemory"));
	if (max > 0) {
		double ratio = (double)used / (double)max, limit = th->redis_memory_ratio_max;

		json_object_set_new(sub, "memory_ratio", json_real(ratio));
		if (ratio >= limit) {
			bool crit = ratio >= limit + (1.0 - limit) / 2;
			hs_buf t = HS_BUF_INIT;

			hs_buf_addf(&t, "Redis memory at %.0f%% of maxmemory (threshold %.0f%%)", ratio * 100,
				    limit * 100);
			rc = hs_diag_out_finding(run->o, crit ? HS_SEV_CRITICAL : HS_SEV_WARNING, t.data,
						 json_pack("{s:I, s:I, s:f, s:f}", "used_memory", used, "maxmemory",
							   max, "ratio", ratio, "threshold", limit),
						 "High Memory Usage", e);
			hs_buf_release(&t);
			if (rc)
				goto out;
		}
	} else {
		json_object_set_new(sub, "memory_ratio", json_null());
	}
	rc = 0;
out:
	freeReplyObject(r);
	return rc;
}

/* What the scan of one pattern reports to its caller per batch of keys. */
typedef int (*rd_keys_fn)(rd_run *run, int db, redisReply *keys, void *arg, hs_error *e);

/*
 * SCAN MATCH pattern on the selected db until done or the deadline; fn (may
 * be NULL) sees each batch.  *count gets the keys seen, *complete whether
 * the scan ended.
 */
static int rd_scan(rd_run *run, int db, const char *pattern, rd_keys_fn fn, void *arg, int64_t *count,
		   bool *complete, hs_error *e)
{
	char cursor[32] = "0", cnt[16];
	int rc = -1;

	snprintf(cnt, sizeof(cnt), "%d", run->pr->scan_count > 0 ? run->pr->scan_count : 1000);
	*count = 0;
	*complete = false;
	do {
		const char *argv[6] = { "SCAN", cursor, "MATCH", pattern, "COUNT", cnt };
		redisReply *r;

		if (hs_now_ms() >= run->deadline_ms) {
			run->cut = true;
			return 0;
		}
		r = hs_redis_cmd(run->c, e, 6, argv, NULL);
		if (!r)
			return hs_err_prefix(e, "cannot scan redis db %d for '%s'", db, pattern);
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return hs_err(e, HS_EXIT_FAILURE, "cannot scan redis db %d for '%s': unexpected reply",
				      db, pattern);
		}
		snprintf(cursor, sizeof(cursor), "%.*s", (int)r->element[0]->len, r->element[0]->str);
		*count += (int64_t)r->element[1]->elements;
		if (fn && r->element[1]->elements && fn(run, db, r->element[1], arg, e)) {
			freeReplyObject(r);
			goto out;
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0"));
	*complete = true;
	rc = 0;
out:
	return rc;
}

/* Per batch of idempotency keys: pipelined TTL, keys with -1 counted and sampled. */
static int rd_ttl_batch(rd_run *run, int db, redisReply *keys, void *arg, hs_error *e)
{
	int64_t *no_ttl = arg;
	size_t i, sent = 0;
	int rc = 0;

	for (i = 0; i < keys->elements; i++) {
		const char *argv[2] = { "TTL", keys->element[i]->str };
		size_t lens[2] = { 3, keys->element[i]->len };

		if (redisAppendCommandArgv(run->c, 2, argv, lens) != REDIS_OK)
			return hs_err(e, HS_EXIT_FAILURE, "redis connection lost: %s", run->c->errstr);
		sent++;
	}
	for (i = 0; i < sent; i++) {
		redisReply *r = hs_redis_get_reply(run->c, e);

		if (!r) {
			rc = -1;
			break;
		}
		if (r->type == REDIS_REPLY_INTEGER && r->integer == -1) {
			(*no_ttl)++;
			run->no_ttl_total++;
			if (json_array_size(run->no_ttl_sample) < RD_SAMPLE_MAX)
				json_array_append_new(run->no_ttl_sample,
						      json_pack("{s:i, s:o}", "db", db, "key",
								rd_key_json(keys->element[i]->str,
									    keys->element[i]->len)));
		}
		freeReplyObject(r);
	}
	return rc;
}

/* The size command for a Redis type, or NULL. */
static const char *rd_size_cmd(const char *type)
{
	static const char *const map[][2] = {
		{ "list", "LLEN" }, { "stream", "XLEN" }, { "set", "SCARD" }, { "zset", "ZCARD" },
		{ "hash", "HLEN" }, { "string", "STRLEN" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], type))
			return map[i][1];
	return NULL;
}

/* Per batch of telemetry keys: TYPE, then its size command; totals per type. */
static int rd_tel_batch(rd_run *run, int db, redisReply *keys, void *arg, hs_error *e)
{
	json_t *tel = arg, *by = json_object_get(tel, "by_type"), *list = json_object_get(tel, "keys");
	int rc = -1;

	(void)db;
	for (size_t i = 0; i < keys->elements; i++) {
		const char *targv[2] = { "TYPE", keys->element[i]->str };
		size_t tlens[2] = { 4, keys->element[i]->len };
		redisReply *t = hs_redis_cmd(run->c, e, 2, targv, tlens), *s = NULL;
		const char *cmd;
		json_t *agg;
		json_int_t size = -1;

		if (!t)
			goto out;
		cmd = t->type == REDIS_REPLY_STATUS ? rd_size_cmd(t->str) : NULL;
		if (cmd) {
			const char *sargv[2] = { cmd, keys->element[i]->str };
			size_t slens[2] = { strlen(cmd), keys->element[i]->len };

			s = hs_redis_cmd(run->c, e, 2, sargv, slens);
			if (!s) {
				freeReplyObject(t);
				goto out;
			}
			if (s->type == REDIS_REPLY_INTEGER)
				size = s->integer;
			freeReplyObject(s);
		}
		agg = json_object_get(by, t->type == REDIS_REPLY_STATUS ? t->str : "unknown");
		if (!agg) {
			agg = json_pack("{s:I, s:I}", "keys", (json_int_t)0, "total_size", (json_int_t)0);
			json_object_set_new(by, t->type == REDIS_REPLY_STATUS ? t->str : "unknown", agg);
		}
		json_object_set_new(agg, "keys", json_integer(json_integer_value(json_object_get(agg, "keys")) + 1));
		if (size > 0)
			json_object_set_new(agg, "total_size",
					    json_integer(json_integer_value(json_object_get(agg, "total_size")) + size));
		if (json_array_size(list) < RD_TELEMETRY_MAX)
			json_array_append_new(list, json_pack("{s:o, s:s, s:o}", "key",
							      rd_key_json(keys->element[i]->str,
									  keys->element[i]->len),
							      "type", t->type == REDIS_REPLY_STATUS ? t->str : "unknown",
							      "size", size >= 0 ? json_integer(size) : json_null()));
		freeReplyObject(t);
	}
	rc = 0;
out:
	return rc;
}

/* The telemetry buffers of the selected db: TYPE and size of each key. */
static int rd_telemetry(rd_run *run, int db, json_t *doc, int64_t *count, bool *complete, hs_error *e)
{
	json_t *tel = json_pack("{s:s, s:o, s:o}", "pattern", RD_TELEMETRY_PATTERN, "by_type", json_object(),
				"keys", json_array());

	json_object_set_new(doc, "telemetry_buffers", tel);
	if (rd_scan(run, db, RD_TELEMETRY_PATTERN, rd_tel_batch, tel, count, complete, e))
		return -1;
	json_object_set_new(tel, "count", json_integer(*count));
	json_object_set_new(tel, "complete", json_boolean(*complete));
	json_object_set_new(tel, "listed", json_integer((json_int_t)json_array_size(json_object_get(tel, "keys"))));
	return 0;
}

/* The idempotency keys of one pattern: counted with their TTLs. */
static int rd_idempotency(rd_run *run, int db, const char *pat, json_t *idem, int64_t *count, bool *complete,
			  hs_error *e)
{
	int64_t no_ttl = 0;

	if (rd_scan(run, db, pat, rd_ttl_batch, &no_ttl, count, complete, e))
		return -1;
	json_array_append_new(idem, json_pack("{s:s, s:I, s:I, s:b}", "pattern", pat, "keys", (json_int_t)*count,
					      "without_ttl", (json_int_t)no_ttl, "complete", *complete));
	return 0;
}

/*
 * One db of the profile: the count of each pattern in profile order (the
 * idempotency ones with their TTLs, the telemetry one with sizes), then the
 * runbook's idempotency patterns and the telemetry buffers when the
 * profile does not name them.
 */
static int rd_db(rd_run *run, const hs_profile_redis_db *pd, json_t *dbs, hs_error *e)
{
	static const char *const runbook_idem[] = { "decision:processed:*", "ticket:processed:*" };
	json_t *pats = json_array(), *idem = json_array();
	json_t *doc = json_pack("{s:i, s:o, s:o}", "db", pd->db, "patterns", pats, "idempotency", idem);
	bool any_idem = false, any_tel = false, complete;
	int64_t count;
	size_t i;

	json_array_append_new(dbs, doc);
	if (hs_redis_select(run->c, pd->db, e))
		return -1;
	for (i = 0; i < pd->patterns.n; i++) {
		const char *pat = pd->patterns.v[i];
		int r;

		if (!strcmp(pat, RD_TELEMETRY_PATTERN)) {
			any_tel = true;
			r = rd_telemetry(run, pd->db, doc, &count, &complete, e);
		} else if (rd_is_idempotency(pat)) {
			any_idem = true;
			r = rd_idempotency(run, pd->db, pat, idem, &count, &complete, e);
		} else {
			r = rd_scan(run, pd->db, pat, NULL, NULL, &count, &complete, e);
		}
		if (r)
			return -1;
		json_array_append_new(pats, json_pack("{s:s, s:I, s:b}", "pattern", pat, "count", (json_int_t)count,
						      "complete", complete));
		if (!complete && hs_diag_out_warn(run->o, e, "db %d pattern '%s': at least %lld keys (counting "
						  "stopped: time budget nearly spent)", pd->db, pat, (long long)count))
			return -1;
	}
	for (i = 0; !any_idem && i < sizeof(runbook_idem) / sizeof(runbook_idem[0]); i++)
		if (rd_idempotency(run, pd->db, runbook_idem[i], idem, &count, &complete, e))
			return -1;
	if (!any_tel && rd_telemetry(run, pd->db, doc, &count, &complete, e))
		return -1;
	return 0;
}

/* The dbs for the result: keys.json without the telemetry key list. */
static json_t *rd_result_dbs(const json_t *dbs)
{
	json_t *copy = json_deep_copy(dbs), *d;
	size_t i;

	json_array_foreach(copy, i, d)
		json_object_del(json_object_get(d, "telemetry_buffers"), "keys");
	return copy;
}

/* Write the result as far as it goes (a collector killed later keeps it). */
static void rd_result(const rd_run *run, const char *shown, const json_t *info, const json_t *dbs, int64_t t0)
{
	json_t *res = json_pack("{s:s, s:O?, s:o, s:I, s:b, s:I}", "uri", shown ? shown : "", "info", info,
				"dbs", rd_result_dbs(dbs), "idempotency_without_ttl",
				(json_int_t)run->no_ttl_total, "complete", !run->cut, "elapsed_ms",
				(json_int_t)(hs_now_ms() - t0));
	hs_error re;

	hs_error_init(&re);
	if (res)
		hs_diag_out_set_result(run->o, res, &re);
}

/*
 * The collector.  Scanning stops at rd_deadline (the rest of the budget is
 * for writing); a cut scan says so ("complete": false, a warning).
 */
static int rd_run_collect(const hs_diag_ctx *ctx, hs_diag_out *o, hs_error *e)
{
	rd_run run;
	hs_redis_uri u;
	char *shown = NULL;
	json_t *info = NULL, *dbs = json_array(), *keys = NULL;
	int64_t t0 = hs_now_ms();
	int rc = -1;

	memset(&run, 0, sizeof(run));
	memset(&u, 0, sizeof(u));
	run.ctx = ctx;
	run.o = o;
	run.pr = ctx->profile->redis;
	run.no_ttl_sample = json_array();
	run.deadline_ms = rd_deadline(ctx, t0, 20000);
	shown = hs_uri_redact_dup(run.pr->uri);
	if (hs_redis_uri_parse(run.pr->uri, HS_EXIT_DATA, &u, e))
		goto out;
	if (rd_connect(&run, &u, shown, e) || rd_info(&run, &info, e)) {
		/* down, hung (no reply in time) or refusing the password; other error replies: no finding */
		const char *title = !run.c ? "Redis unreachable"
				  : run.c->err ? "Redis not answering"
				  : strstr(e->msg, "cannot authenticate") ? "Redis refused the credentials" : NULL;

		if (title) {
			hs_error fe;

			hs_error_init(&fe);
			hs_diag_out_finding(o, HS_SEV_CRITICAL, title,
					    json_pack("{s:s, s:s}", "uri", shown, "error", e->msg),
					    "Check Dependencies", &fe);
		}
		goto out;
	}
	for (size_t i = 0; i < run.pr->n_dbs; i++) {
		rd_result(&run, shown, info, dbs, t0);
		if (rd_db(&run, &run.pr->dbs[i], dbs, e))
			goto out;
	}
	keys = json_pack("{s:O, s:I, s:O, s:b}", "dbs", dbs, "idempotency_without_ttl",
			 (json_int_t)run.no_ttl_total, "idempotency_without_ttl_sample", run.no_ttl_sample,
			 "complete", !run.cut);
	if (hs_diag_out_add_json(o, "diag/redis/keys.json", keys, e))
		goto out;
	if (run.no_ttl_total > 0) {
		hs_buf t = HS_BUF_INIT;
		int frc;

		hs_buf_addf(&t, "%s%lld idempotency key(s) without TTL in Redis", run.cut ? "at least " : "",
			    (long long)run.no_ttl_total);
		frc = hs_diag_out_finding(o, HS_SEV_WARNING, t.data,
					  json_pack("{s:I, s:O}", "without_ttl", (json_int_t)run.no_ttl_total,
						    "sample", run.no_ttl_sample),
					  "Redis Operations", e);
		hs_buf_release(&t);
		if (frc)
			goto out;
	}
	rc = 0;
out:
	rd_result(&run, shown, info, dbs, t0);
	json_decref(info);
	json_decref(keys);
	json_decref(dbs);
	json_decref(run.no_ttl_sample);
	if (run.c)
		redisFree(run.c);
	hs_redis_uri_release(&u);
	free(shown);
	return rc;
}

const hs_diag_collector hs_diag_collector_redis = {
	.name = "redis",
	.title = "Redis: INFO, keys per pattern, idempotency TTLs, telemetry buffers",
	.configured = rd_configured,
	.run = rd_run_collect,
	.timeout_ms = 20000,
};
