/*
 * profile_json.c - the effective profile as JSON (schemas/profile.schema.json).
 *
 * Keys and nesting mirror the YAML, every default is filled in and absent
 * sections are left out, so `profile show --json` says exactly what a run
 * would use.  With redact, SECRET values (see profile.h) are redacted.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"

#include "profile.h"
#include "uri.h"

static json_t *hs_pj_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A URI, redacted when asked. */
static json_t *hs_pj_uri(const char *s, bool redact)
{
	json_t *j;
	char *r;

	if (!s || !redact)
		return hs_pj_str(s);
	r = hs_uri_redact_dup(s);
	j = json_string(r);
	free(r);
	return j;
}

static json_t *hs_pj_list(const hs_strlist *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *hs_pj_mongo(const hs_profile_mongo *m, bool redact)
{
	json_t *o = json_object(), *dbs = json_array();
	size_t i, j;

	json_object_set_new(o, "uri", hs_pj_uri(m->uri, redact));
	json_object_set_new(o, "read_preference", json_string(hs_read_pref_name(m->read_preference)));
	json_object_set_new(o, "parallel", json_integer(m->parallel));
	json_object_set_new(o, "sort", json_string(hs_mongo_sort_name(m->sort)));
	for (i = 0; i < m->n_databases; i++) {
		const hs_profile_mongo_db *d = &m->databases[i];
		json_t *dj = json_object(), *f = json_object();

		json_object_set_new(dj, "name", json_string(d->name));
		json_object_set_new(dj, "collections",
				    d->all_collections ? json_string("*") : hs_pj_list(&d->collections));
		json_object_set_new(dj, "exclude", hs_pj_list(&d->exclude));
		for (j = 0; j < d->filters.n; j++)
			json_object_set_new(f, d->filters.v[j].key, json_string(d->filters.v[j].value));
		json_object_set_new(dj, "filters", f);
		json_array_append_new(dbs, dj);
	}
	json_object_set_new(o, "databases", dbs);
	return o;
}

static json_t *hs_pj_redis(const hs_profile_redis *r, bool redact)
{
	json_t *o = json_object(), *dbs = json_array();
	size_t i;

	json_object_set_new(o, "uri", hs_pj_uri(r->uri, redact));
	for (i = 0; i < r->n_dbs; i++)
		json_array_append_new(dbs, json_pack("{s:i, s:o}", "db", r->dbs[i].db, "patterns",
						     hs_pj_list(&r->dbs[i].patterns)));
	json_object_set_new(o, "dbs", dbs);
	json_object_set_new(o, "scan_count", json_integer(r->scan_count));
	json_object_set_new(o, "batch", json_integer(r->batch));
	return o;
}

static json_t *hs_pj_kafka(const hs_profile_kafka *k, bool redact)
{
	json_t *o = json_object(), *c = json_object();
	size_t i;

	json_object_set_new(o, "brokers", hs_pj_uri(k->brokers, redact));
	for (i = 0; i < k->config.n; i++) {
		const hs_kv *kv = &k->config.v[i];

		json_object_set_new(c, kv->key,
				    redact && hs_profile_secret_key(kv->key) ? json_string("***")
									     : json_string(kv->value));
	}
	json_object_set_new(o, "config", c);
	json_object_set_new(o, "groups", hs_pj_list(&k->groups));
	json_object_set_new(o, "topics", hs_pj_list(&k->topics));
	json_object_set_new(o, "timeout_ms", json_integer(k->timeout_ms));
	json_object_set_new(o, "timestamp_budget_ms", json_integer(k->timestamp_budget_ms));
	return o;
}

/* 5400 -> "1h30m", 0 -> null (no limit): the form the YAML takes. */
static json_t *hs_pj_duration(int64_t secs)
{
	static const struct {
		int64_t mul;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	char text[96];
	size_t i, n = 0;

	if (secs <= 0)
		return json_null();
	for (i = 0; i < 4 && n < sizeof(text) - 24; i++) {
		if (secs >= units[i].mul) {
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%lld%c",
					      (long long)(secs / units[i].mul), units[i].unit);
			secs %= units[i].mul;
		}
	}
	return json_string(text);
}

static json_t *hs_pj_k8s(const hs_profile_k8s *k)
{
	json_t *o = json_object(), *nss = json_array();
	size_t i;

	json_object_set_new(o, "kubeconfig", hs_pj_str(k->kubeconfig));
	json_object_set_new(o, "context", hs_pj_str(k->context));
	json_object_set_new(o, "timeout_ms", json_integer(k->timeout_ms));
	for (i = 0; i < k->n_namespaces; i++) {
		const hs_profile_k8s_ns *ns = &k->namespaces[i];
		json_t *n = json_object();

		json_object_set_new(n, "name", json_string(ns->name));
		json_object_set_new(n, "configmaps",
				    json_pack("{s:o, s:o}", "names", hs_pj_list(&ns->configmaps),
					      "label_selector", hs_pj_str(ns->configmap_selector)));
		json_object_set_new(n, "deployments", hs_pj_list(&ns->deployments));
		json_object_set_new(n, "hpas", hs_pj_list(&ns->hpas));
		json_object_set_new(n, "pods", ns->pod_selector ? json_string(ns->pod_selector)
								: json_boolean(ns->pods));
		json_object_set_new(n, "events", json_boolean(ns->events));
		if (ns->logs.enabled)
			json_object_set_new(n, "logs",
					    json_pack("{s:o, s:I, s:I, s:b}", "since",
						      hs_pj_duration(ns->logs.since_seconds), "tail_lines",
						      (json_int_t)ns->logs.tail_lines, "limit_bytes",
						      (json_int_t)ns->logs.limit_bytes, "previous",
						      ns->logs.previous));
		else
			json_object_set_new(n, "logs", json_null());
		json_array_append_new(nss, n);
	}
	json_object_set_new(o, "namespaces", nss);
	return o;
}

static json_t *hs_pj_diag(const hs_profile_diag *d, bool redact)
{
	json_t *o = json_object(), *a;
	const hs_profile_thresholds *t = &d->thresholds;
	size_t i;

	a = json_array();
	for (i = 0; i < d->n_health; i++) {
		const hs_profile_health *h = &d->health[i];

		json_array_append_new(a, json_pack("{s:s, s:o, s:s, s:i}", "name", h->name, "url",
						   hs_pj_uri(h->url, redact), "kind",
						   hs_health_kind_name(h->kind), "timeout_ms", h->timeout_ms));
	}
	json_object_set_new(o, "health", a);
	a = json_array();
	for (i = 0; i < d->n_dependencies; i++) {
		const hs_profile_dep *dep = &d->dependencies[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:i}", "name", dep->name, "kind",
						   hs_dep_kind_name(dep->kind), "address",
						   hs_pj_uri(dep->address, redact), "timeout_ms",
						   dep->timeout_ms));
	}
	json_object_set_new(o, "dependencies", a);
	if (d->prometheus_url) {
		a = json_array();
		for (i = 0; i < d->n_queries; i++) {
			const hs_profile_query *q = &d->queries[i];

			json_array_append_new(
				a, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "name", q->name, "query",
					     q->query, "direction", hs_direction_name(q->direction), "warn",
					     q->has_warn ? json_real(q->warn) : json_null(), "crit",
					     q->has_crit ? json_real(q->crit) : json_null(), "unit",
					     hs_pj_str(q->unit), "runbook_section",
					     hs_pj_str(q->runbook_section)));
		}
		json_object_set_new(o, "prometheus", json_pack("{s:o, s:o}", "url",
							       hs_pj_uri(d->prometheus_url, redact),
							       "queries", a));
	} else {
		json_object_set_new(o, "prometheus", json_null());
	}
	json_object_set_new(o, "alertmanager",
			    d->alertmanager_url
				    ? json_pack("{s:o}", "url", hs_pj_uri(d->alertmanager_url, redact))
				    : json_null());
	json_object_set_new(o, "thresholds",
			    json_pack("{s:I, s:f, s:f, s:I, s:I}", "consumer_lag_max",
				      (json_int_t)t->consumer_lag_max, "success_rate_min",
				      t->success_rate_min, "redis_memory_ratio_max",
				      t->redis_memory_ratio_max, "pod_restarts_max",
				      (json_int_t)t->pod_restarts_max, "health_latency_max_ms",
				      (json_int_t)t->health_latency_max_ms));
	json_object_set_new(o, "redact", hs_pj_list(&d->redact));
	return o;
}

static const char *hs_pj_op(const hs_profile_matcher *m)
{
	if (m->is_regex)
		return m->is_equal ? "=~" : "!~";
	return m->is_equal ? "=" : "!=";
}

/* name=~"value" with " and \\ escaped: the form the YAML takes. */
static json_t *hs_pj_matcher(const hs_profile_matcher *m)
{
	hs_buf b = HS_BUF_INIT;
	const char *v;
	json_t *j;

	hs_buf_addf(&b, "%s%s\"", m->name, hs_pj_op(m));
	for (v = m->value; *v; v++) {
		if (*v == '"' || *v == '\\')
			hs_buf_addc(&b, '\\');
		hs_buf_addc(&b, *v);
	}
	hs_buf_addc(&b, '"');
	j = json_string(b.data);
	hs_buf_release(&b);
	return j;
}

static json_t *hs_pj_silence(const hs_profile_silence *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->n_matchers; i++)
		json_array_append_new(a, hs_pj_matcher(&s->matchers[i]));
	return json_pack("{s:o, s:s, s:s}", "matchers", a, "comment", s->comment, "author", s->author);
}

void *hs_profile_to_json(const hs_profile *p, bool redact)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(p->name));
	if (p->mongo)
		json_object_set_new(o, "mongo", hs_pj_mongo(p->mongo, redact));
	if (p->redis)
		json_object_set_new(o, "redis", hs_pj_redis(p->redis, redact));
	if (p->kafka)
		json_object_set_new(o, "kafka", hs_pj_kafka(p->kafka, redact));
	if (p->k8s)
		json_object_set_new(o, "k8s", hs_pj_k8s(p->k8s));
	if (p->diag)
		json_object_set_new(o, "diag", hs_pj_diag(p->diag, redact));
	if (p->silence)
		json_object_set_new(o, "silence", hs_pj_silence(p->silence));
	return o;
}
