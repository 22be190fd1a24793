/*
 * collect_deps.c - the "deps" diag collector: every dependency of the
 * profile (diag.dependencies), one after another, each within its own
 * timeout (cut to what is left of the collector's budget):
 *
 *   1. TCP connect time to the first host of its address;
 *   2. a protocol-level ping: mongo {ping: 1} (mongoc), redis PING
 *      (hiredis, AUTH first when the URI has a password), kafka cluster
 *      metadata (librdkafka), etcd GET /health ({"health": "true"}), grpc
 *      grpc.health.v1.Health/Check (SERVING), tcp: the connect alone.
 *
 * All of it goes to diag/deps.json and the result.  Finding per
 * dependency that fails either step: critical "<name> unreachable"
 * (runbook "Check Dependencies"), with the step and the reason.  An
 * address is only ever written as hs_uri_redact gives it; driver messages
 * are scrubbed the same way.
 */
#include <hiredis/hiredis.h>
#include <mongoc/mongoc.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "http.h"
#include "net_common.h"
#include "uri.h"
#include "sources/kafka/kafka_common.h"
#include "sources/mongo/mongo_common.h"
#include "sources/redis/redis_common.h"

#define DP_RUNBOOK "Check Dependencies"

static const char *const dp_kind_names[] = { "mongo", "redis", "kafka", "etcd", "grpc", "tcp" };

static const char *const dp_default_ports[] = { "27017", "6379", "9092", "2379", "80", NULL };

static bool dp_configured(const hs_profile *p)
{
	return p && p->diag && p->diag->n_dependencies > 0;
}

/* mongo: {ping: 1} on the admin database through one client. */
static int dp_mongo(const hs_profile_dep *d, int budget, json_t *rec, hs_error *e)
{
	mongoc_uri_t *u = NULL;
	mongoc_client_t *cl = NULL;
	bson_error_t berr;
	bson_t *cmd = NULL, reply = BSON_INITIALIZER;
	char *red = hs_uri_redact_dup(d->address);
	int rc = -1;

	hs_mongo_global_init();
	u = mongoc_uri_new_with_error(d->address, &berr);
	if (!u) {
		hs_mongo_err(e, HS_EXIT_DATA, &berr, d->address, "mongo uri '%s' is not valid", red);
		goto out;
	}
	mongoc_uri_set_option_as_int32(u, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, budget);
	mongoc_uri_set_option_as_int32(u, MONGOC_URI_CONNECTTIMEOUTMS, budget);
	mongoc_uri_set_option_as_int32(u, MONGOC_URI_SOCKETTIMEOUTMS, budget);
	mongoc_uri_set_appname(u, "hivesnap-diag");
	cl = mongoc_client_new_from_uri(u);
	if (!cl) {
		hs_err(e, HS_EXIT_FAILURE, "cannot use mongo uri '%s'", red);
		goto out;
	}
	mongoc_client_set_error_api(cl, MONGOC_ERROR_API_VERSION_2);
	cmd = BCON_NEW("ping", BCON_INT32(1));
	if (!mongoc_client_command_simple(cl, "admin", cmd, NULL, &reply, &berr)) {
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, d->address, "mongo ping to '%s' failed", red);
		goto out;
	}
	json_object_set_new(rec, "ping", json_string("ok"));
	rc = 0;
out:
	bson_destroy(&reply);
	bson_destroy(cmd);
	mongoc_client_destroy(cl);
	mongoc_uri_destroy(u);
	free(red);
	return rc;
}

/* redis: connect, AUTH when the URI has a password, PING -> PONG. */
static int dp_redis(const hs_profile_dep *d, int budget, json_t *rec, hs_error *e)
{
	hs_redis_uri u;
	redisContext *c = NULL;
	redisReply *r = NULL;
	struct timeval tv = { budget / 1000, (budget % 1000) * 1000 };
	char *red = hs_uri_redact_dup(d->address);
	int rc = -1;

	memset(&u, 0, sizeof(u));
	if (hs_redis_uri_parse(d->address, HS_EXIT_DATA, &u, e))
		goto out;
	c = redisConnectWithTimeout(u.host, u.port, tv);
	if (!c || c->err) {
		hs_err(e, HS_EXIT_FAILURE, "cannot connect to redis '%s': %s", red,
		       c ? c->errstr : "out of memory");
		goto out;
	}
	redisSetTimeout(c, tv);
	if (u.password) {
		const char *argv[3];
		int argc = 0;

		argv[argc++] = "AUTH";
		if (u.user)
			argv[argc++] = u.user;
		argv[argc++] = u.password;
		r = redisCommandArgv(c, argc, argv, NULL);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			/* the reply names no secret ("WRONGPASS invalid username-password pair") */
			hs_err(e, HS_EXIT_FAILURE, "cannot authenticate to redis '%s': %s", red,
			       r ? r->str : c->errstr);
			goto out;
		}
		freeReplyObject(r);
		r = NULL;
	}
	r = redisCommand(c, "PING");
	if (!r || r->type == REDIS_REPLY_ERROR) {
		hs_err(e, HS_EXIT_FAILURE, "redis PING to '%s' failed: %s", red, r ? r->str : c->errstr);
		goto out;
	}
	json_object_set_new(rec, "ping", json_string(r->str ? r->str : "ok"));
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	if (c)
		redisFree(c);
	hs_redis_uri_release(&u);
	free(red);
	return rc;
}

/* kafka: the cluster metadata (broker and topic counts). */
static int dp_kafka(const hs_diag_ctx *ctx, const hs_profile_dep *d, int budget, json_t *rec,
		    hs_error *e)
{
	rd_kafka_t *rk = NULL;
	const struct rd_kafka_metadata *md = NULL;
	char *red = hs_uri_redact_dup(d->address);
	int rc = -1;

	if (hs_kafka_client_new(&rk, RD_KAFKA_PRODUCER, d->address, ctx->profile->kafka, budget, e))
		goto out;
	if (hs_kafka_metadata(rk, red, budget, &md, e))
		goto out;
	json_object_set_new(rec, "brokers", json_integer(md->broker_cnt));
	json_object_set_new(rec, "topics", json_integer(md->topic_cnt));
	json_object_set_new(rec, "ping", json_string("ok"));
	rc = 0;
out:
	if (md)
		rd_kafka_metadata_destroy(md);
	hs_kafka_client_free(rk);
	free(red);
	return rc;
}

/* etcd: GET <url>/health, healthy when {"health": "true"}. */
static int dp_etcd(const hs_profile_dep *d, int budget, json_t *rec, hs_error *e)
{
	hs_http_client *cl = NULL;
	hs_http_opts o;
	hs_http_response r;
	hs_buf url = HS_BUF_INIT;
	json_t *doc = NULL;
	const char *a = d->address, *health;
	char *red = hs_uri_redact_dup(d->address);
	int rc = -1;

	hs_http_response_init(&r);
	if (!strstr(a, "://"))
		hs_buf_adds(&url, "http://");
	hs_buf_adds(&url, a);
	while (url.len && url.data[url.len - 1] == '/')
		url.data[--url.len] = '\0';
	hs_buf_adds(&url, "/health");
	memset(&o, 0, sizeof(o));
	o.timeout_ms = budget;
	if (hs_http_client_new(&cl, &o, e) ||
	    hs_http_request(cl, "GET", url.data, NULL, NULL, NULL, 0, 65536, &r, e))
		goto out;
	json_object_set_new(rec, "status", json_integer(r.status));
	doc = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
	health = json_string_value(json_object_get(doc, "health"));
	if (doc)
		json_object_set(rec, "health", doc);
	if (r.status != 200 || !health || strcmp(health, "true")) {
		const char *reason = json_string_value(json_object_get(doc, "reason"));

		hs_err(e, HS_EXIT_FAILURE, "etcd '%s' /health: HTTP %ld, health %s%s%s", red, r.status,
		       health ? health : "missing", reason && *reason ? ", " : "", reason && *reason ? reason : "");
		goto out;
	}
	json_object_set_new(rec, "ping", json_string("ok"));
	rc = 0;
out:
	json_decref(doc);
	hs_http_response_release(&r);
	hs_http_client_free(cl);
	hs_buf_release(&url);
	free(red);
	return rc;
}

/* grpc: grpc.health.v1.Health/Check must say SERVING. */
static int dp_grpc(const hs_profile_dep *d, int budget, json_t *rec, hs_error *e)
{
	hs_grpc_health g;
	char *red = NULL;
	int rc = -1;

	if (hs_grpc_health_check(d->address, "", budget, &g, e))
		return -1;
	json_object_set_new(rec, "grpc_status", g.grpc_status >= 0 ? json_integer(g.grpc_status)
								   : json_null());
	json_object_set_new(rec, "serving_status", json_string(hs_grpc_serving_name(g.serving)));
	if (g.http_status == 200 && g.grpc_status == 0 && g.serving == 1) {
		json_object_set_new(rec, "ping", json_string("ok"));
		return 0;
	}
	red = hs_uri_redact_dup(d->address);
	if (g.http_status != 200)
		hs_err(e, HS_EXIT_FAILURE, "grpc health of '%s': HTTP %ld", red, g.http_status);
	else if (g.grpc_status != 0)
		hs_err(e, HS_EXIT_FAILURE, "grpc health of '%s': grpc-status %d %s", red, g.grpc_status,
		       g.grpc_message);
	else
		hs_err(e, HS_EXIT_FAILURE, "grpc health of '%s': %s", red,
		       hs_grpc_serving_name(g.serving));
	free(red);
	return rc;
}

/*
 * One dependency into rec: the connect, then the ping.  On failure rec
 * gets "step" (connect|ping) and "error", and *why the finding's reason.
 */
static void dp_check(const hs_diag_ctx *c, const hs_profile_dep *d, int budget, json_t *rec)
{
	char *host = NULL, *port = NULL;
	const char *step = "connect";
	double t0, ms = 0;
	bool srv = d->kind == HS_DEP_MONGO && !strncmp(d->address, "mongodb+srv://", 14);
	hs_error e;
	int rc = -1;

	hs_error_init(&e);
	if (srv) {
		/* hosts come from DNS SRV records: the driver finds them */
		json_object_set_new(rec, "connect_ms", json_null());
	} else {
		if (hs_net_host_port(d->address, dp_default_ports[d->kind] ? dp_default_ports[d->kind] : "80",
				     &host, &port, &e) ||
		    hs_net_tcp_connect(host, port, budget, &ms, &e))
			goto out;
		json_object_set_new(rec, "connect_ms", json_real(ms));
	}
	step = "ping";
	t0 = hs_net_mono_ms();
	switch (d->kind) {
	case HS_DEP_MONGO: rc = dp_mongo(d, budget, rec, &e); break;
	case HS_DEP_REDIS: rc = dp_redis(d, budget, rec, &e); break;
	case HS_DEP_KAFKA: rc = dp_kafka(c, d, budget, rec, &e); break;
	case HS_DEP_ETCD: rc = dp_etcd(d, budget, rec, &e); break;
	case HS_DEP_GRPC: rc = dp_grpc(d, budget, rec, &e); break;
	case HS_DEP_TCP: rc = 0; json_object_set_new(rec, "ping", json_string("n/a")); break;
	}
	if (d->kind != HS_DEP_TCP)
		json_object_set_new(rec, "ping_ms", json_real(hs_net_mono_ms() - t0));
out:
	json_object_set_new(rec, "ok", json_boolean(rc == 0));
	if (rc) {
		json_object_set_new(rec, "step", json_string(step));
		json_object_set_new(rec, "error", json_string(e.msg));
	}
	free(host);
	free(port);
}

/*
 * Check every dependency; the result is rewritten after each so a cut
 * collector keeps what it had.  diag/deps.json is written at the end.
 */
static int dp_run(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e)
{
	const hs_profile_diag *pd = c->profile->diag;
	json_t *deps = json_array(), *doc = NULL;
	size_t failing = 0;
	int rc = -1;

	for (size_t i = 0; i < pd->n_dependencies; i++) {
		const hs_profile_dep *d = &pd->dependencies[i];
		int budget = hs_net_budget(c->started_ms, c->timeout_ms,
					   d->timeout_ms > 0 ? d->timeout_ms : 5000);
		char *addr = hs_uri_redact_dup(d->address);
		json_t *rec = json_pack("{s:s, s:s, s:s, s:i}", "name", d->name, "kind",
					dp_kind_names[d->kind], "address", addr, "timeout_ms", budget);

		free(addr);
		dp_check(c, d, budget, rec);
		json_array_append_new(deps, rec);
		if (!json_is_true(json_object_get(rec, "ok"))) {
			hs_buf t = HS_BUF_INIT;
			int frc;

			failing++;
			hs_buf_addf(&t, "%s unreachable", d->name);
			frc = hs_diag_out_finding(o, HS_SEV_CRITICAL, t.data, json_deep_copy(rec),
						  DP_RUNBOOK, e);
			hs_buf_release(&t);
			if (frc)
				goto out;
		}
		if (hs_diag_out_set_result(o, json_pack("{s:O, s:I, s:I}", "dependencies", deps,
							"checked", (json_int_t)(i + 1), "unreachable",
							(json_int_t)failing),
					   e))
			goto out;
	}
	doc = json_pack("{s:O, s:I}", "dependencies", deps, "unreachable", (json_int_t)failing);
	if (hs_diag_out_add_json(o, "diag/deps.json", doc, e))
		goto out;
	rc = 0;
out:
	json_decref(doc);
	json_decref(deps);
	return rc;
}

const hs_diag_collector hs_diag_collector_deps = {
	.name = "deps",
	.title = "Dependency reachability",
	.configured = dp_configured,
	.run = dp_run,
	.timeout_ms = 30000,
};
