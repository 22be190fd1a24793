/*
 * collect_prometheus.c - the "prometheus" diag collector.
 *
 * First GET <prometheus>/api/v1/status/buildinfo: when Prometheus cannot
 * be reached (transport error or a non-2xx answer) the collector fails
 * with a critical finding "Prometheus unreachable" (runbook "Query
 * Prometheus Metrics").  Then every profile query (diag.prometheus
 * .queries) as an instant query, /api/v1/query: the raw response into
 * diag/prometheus/<name>.json, the samples (labels + value) into the
 * result.  A query that fails (HTTP error, PromQL error, bad JSON) is a
 * warning of the collector, not a failure.
 *
 * Findings per sample, from the query's warn/crit and direction: "above"
 * (default) a value >= crit is critical, else >= warn a warning; "below"
 * the same with <=.  NaN never counts.  A query whose name contains
 * "success_rate" and that has no crit of its own uses
 * thresholds.success_rate_min (direction below).  An empty result of a
 * count(...) or sum(...) query is the value 0 (no healthy workers is an
 * empty count); any other empty result is "no data", a warning.  The
 * finding points to the query's runbook_section ("Query Prometheus
 * Metrics" when it has none).
 *
 * Alerts: Prometheus /api/v1/alerts (state firing) and, when
 * alertmanager_url is set, Alertmanager /api/v2/alerts (active, not
 * silenced or inhibited), both into diag/prometheus/alerts.json; one
 * finding per distinct firing alert (same labels = same alert): critical
 * when its severity label is "critical", else warning.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "http.h"
#include "net_common.h"
#include "uri.h"

#define PM_RUNBOOK "Query Prometheus Metrics"
#define PM_BODY_MAX (8u * 1024 * 1024)
#define PM_CALL_MS 10000

typedef struct pm_run {
	const hs_diag_ctx *ctx;
	hs_diag_out *o;
	hs_http_client *http;
	const hs_profile_diag *pd;
	json_t *queries;         /* result: name -> record */
	size_t bad;              /* samples that made a finding */
} pm_run;

static bool pm_configured(const hs_profile *p)
{
	return p && p->diag && p->diag->prometheus_url;
}

/* base (without trailing '/') + path into url. */
static void pm_url(hs_buf *url, const char *base, const char *path)
{
	hs_buf_reset(url);
	hs_buf_adds(url, base);
	while (url->len && url->data[url->len - 1] == '/')
		url->data[--url->len] = '\0';
	hs_buf_adds(url, path);
}

/* GET url into r; transport errors only (any status is returned). */
static int pm_get(pm_run *run, const char *url, hs_http_response *r, hs_error *e)
{
	return hs_http_request(run->http, "GET", url, NULL, NULL, NULL, 0, PM_BODY_MAX, r, e);
}

/* A sample value ("1", "0.5", "NaN", "+Inf": a JSON string) as a double. */
static double pm_value(const json_t *value)
{
	const char *s = json_string_value(value);
	char *end;
	double v;

	if (!s)
		return NAN;
	v = strtod(s, &end);
	return end == s ? NAN : v;
}

/* Labels as "{a=x, b=y}" (empty for none) appended to b. */
static void pm_labels(hs_buf *b, const json_t *metric)
{
	const char *k;
	json_t *v;
	bool first = true;

	json_object_foreach((json_t *)metric, k, v) {
		if (!strcmp(k, "__name__"))
			continue;
		hs_buf_adds(b, first ? "{" : ", ");
		hs_buf_addf(b, "%s=%s", k, json_string_value(v) ? json_string_value(v) : "?");
		first = false;
	}
	if (!first)
		hs_buf_addc(b, '}');
}

/*
 * Judge one sample of q: returns the severity it earns (-1 for none) and
 * writes the crossed threshold into *limit.
 */
static int pm_judge(const hs_profile_query *q, const hs_profile_thresholds *th, double v,
		    double *limit)
{
	bool below = q->direction == HS_DIR_BELOW;
	bool has_crit = q->has_crit;
	double crit = q->crit;

	if (isnan(v))
		return -1;
	if (!has_crit && strstr(q->name, "success_rate")) {
		has_crit = true;
		crit = th->success_rate_min;
		below = true;
	}
	if (has_crit && (below ? v <= crit : v >= crit)) {
		*limit = crit;
		return HS_SEV_CRITICAL;
	}
	if (q->has_warn && (below ? v <= q->warn : v >= q->warn)) {
		*limit = q->warn;
		return HS_SEV_WARNING;
	}
	return -1;
}

/* One finding for a sample of q that crossed a threshold. */
static int pm_finding(pm_run *run, const hs_profile_query *q, const json_t *metric, double v,
		      int sev, double limit, hs_error *e)
{
	hs_buf t = HS_BUF_INIT, lab = HS_BUF_INIT;
	bool below = q->direction == HS_DIR_BELOW ||
		     (!q->has_crit && strstr(q->name, "success_rate"));
	int rc;

	pm_labels(&lab, metric);
	if (strstr(q->name, "circuit_breaker") && v >= 1)
		hs_buf_addf(&t, "circuit breaker %s%s%s (%s = %g)", v >= 2 ? "half-open" : "open",
			    lab.len ? " " : "", lab.len ? lab.data : "", q->name, v);
	else
		hs_buf_addf(&t, "%s%s = %g%s%s, at or %s the %s threshold %g", q->name,
			    lab.len ? lab.data : "", v, q->unit ? " " : "", q->unit ? q->unit : "",
			    below ? "below" : "above", sev == HS_SEV_CRITICAL ? "critical" : "warning",
			    limit);
	rc = hs_diag_out_finding(run->o, sev, t.data,
				 json_pack("{s:s, s:s, s:O, s:f, s:f, s:s, s:s*}", "query", q->name,
					   "promql", q->query, "labels", metric ? metric : json_null(),
					   "value", v, "threshold", limit, "direction",
					   below ? "below" : "above", "unit", q->unit),
				 q->runbook_section ? q->runbook_section : PM_RUNBOOK, e);
	hs_buf_release(&t);
	hs_buf_release(&lab);
	run->bad++;
	return rc;
}

/* Whether an empty answer of q means 0 (an aggregation over nothing). */
static bool pm_empty_is_zero(const char *promql)
{
	while (*promql == ' ' || *promql == '(')
		promql++;
	return !strncmp(promql, "count(", 6) || !strncmp(promql, "count (", 7) ||
	       !strncmp(promql, "sum(", 4) || !strncmp(promql, "sum (", 5);
}

/*
 * One query: run it, keep the raw answer, record the samples and judge
 * them.  -1 only for an error of the output (the query's own failures are
 * warnings).
 */
static int pm_query(pm_run *run, const hs_profile_query *q, hs_error *e)
{
	const hs_profile_thresholds *th = &run->pd->thresholds;
	hs_http_response r;
	hs_buf url = HS_BUF_INIT, entry = HS_BUF_INIT;
	json_t *doc = NULL, *rec = json_object(), *samples = json_array(), *data, *res;
	const char *type;
	hs_error qe;
	double t0;
	int rc = -1;

	hs_error_init(&qe);
	hs_http_response_init(&r);
	json_object_set_new(rec, "promql", json_string(q->query));
	if (q->unit)
		json_object_set_new(rec, "unit", json_string(q->unit));
	pm_url(&url, run->pd->prometheus_url, "/api/v1/query?query=");
	hs_http_escape(&url, q->query);
	t0 = hs_net_mono_ms();
	if (pm_get(run, url.data, &r, &qe)) {
		json_object_set_new(rec, "error", json_string(qe.msg));
		rc = hs_diag_out_warn(run->o, e, "query '%s' failed: %s", q->name, qe.msg);
		goto out;
	}
	json_object_set_new(rec, "latency_ms", json_real(hs_net_mono_ms() - t0));
	json_object_set_new(rec, "http_status", json_integer(r.status));
	hs_buf_adds(&entry, "diag/prometheus/");
	hs_net_safe_name(q->name, &entry);
	hs_buf_adds(&entry, ".json");
	json_object_set_new(rec, "entry", json_string(entry.data));
	if (hs_diag_out_add(run->o, entry.data, r.body.data ? r.body.data : "", r.body.len, e))
		goto out;
	doc = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
	if (r.status != 200 || !doc ||
	    strcmp(json_string_value(json_object_get(doc, "status")) ?
			   json_string_value(json_object_get(doc, "status")) : "", "success")) {
		const char *pe = json_string_value(json_object_get(doc, "error"));
		hs_buf why = HS_BUF_INIT;

		hs_buf_addf(&why, "HTTP %ld%s%s", r.status, pe ? ": " : (doc ? "" : ", not JSON"),
			    pe ? pe : "");
		json_object_set_new(rec, "error", json_string(why.data));
		rc = hs_diag_out_warn(run->o, e, "query '%s' failed: %s", q->name, why.data);
		hs_buf_release(&why);
		goto out;
	}
	data = json_object_get(doc, "data");
	type = json_string_value(json_object_get(data, "resultType"));
	res = json_object_get(data, "result");
	json_object_set_new(rec, "result_type", json_string(type ? type : "?"));
	if (type && !strcmp(type, "scalar")) {
		json_t *s = json_pack("{s:o, s:O}", "labels", json_object(), "value",
				      json_array_get(res, 1));

		json_array_append_new(samples, s);
	} else if (json_is_array(res)) {
		size_t i;
		json_t *it;

		json_array_foreach(res, i, it) {
			json_t *val = json_object_get(it, "value");

			if (!val)
				continue; /* a matrix: not an instant query's answer */
			json_array_append_new(samples, json_pack("{s:O, s:O}", "labels",
								 json_object_get(it, "metric"), "value",
								 json_array_get(val, 1)));
		}
	}
	if (json_array_size(samples) == 0 && pm_empty_is_zero(q->query)) {
		json_array_append_new(samples, json_pack("{s:o, s:s, s:b}", "labels", json_object(),
							 "value", "0", "empty_as_zero", 1));
	}
	if (json_array_size(samples) == 0) {
		json_object_set_new(rec, "no_data", json_true());
		rc = hs_diag_out_warn(run->o, e, "query '%s' returned no data", q->name);
		goto out;
	}
	{
		size_t i;
		json_t *s;

		json_array_foreach(samples, i, s) {
			double v = pm_value(json_object_get(s, "value")), limit = 0;
			int sev = pm_judge(q, th, v, &limit);

			if (sev >= 0) {
				json_object_set_new(s, "severity", json_string(hs_diag_severity_name(sev)));
				if (pm_finding(run, q, json_object_get(s, "labels"), v, sev, limit, e))
					goto out;
			}
		}
	}
	rc = 0;
out:
	json_object_set_new(rec, "samples", samples);
	json_object_set_new(run->queries, q->name, rec);
	json_decref(doc);
	hs_http_response_release(&r);
	hs_buf_release(&url);
	hs_buf_release(&entry);
	return rc;
}

/* The runbook section for an alert, by its name. */
static const char *pm_alert_runbook(const char *name)
{
	static const struct { const char *word, *section; } map[] = {
		{ "CircuitBreaker", "Circuit Breaker Open" },
		{ "Memory", "High Memory Usage" },
		{ "CPU", "High CPU Usage" },
		{ "CrashLoop", "Pod Crash Loop" },
		{ "Restart", "Pod Crash Loop" },
		{ "Worker", "Scale Worker Agents" },
		{ "Lag", "Kafka Operations" },
	};

	for (size_t i = 0; name && i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(name, map[i].word))
			return map[i].section;
	return PM_RUNBOOK;
}

/*
 * Add a firing alert (labels, annotations, source) to firing, keyed by
 * its labels so the same alert from Prometheus and Alertmanager is one.
 */
static void pm_alert_add(json_t *firing, const json_t *labels, const json_t *annotations,
			 const char *source)
{
	char *key = json_dumps(labels, JSON_SORT_KEYS | JSON_COMPACT);
	json_t *have;

	if (!key)
		return;
	have = json_object_get(firing, key);
	if (have) {
		json_array_append_new(json_object_get(have, "sources"), json_string(source));
	} else {
		/* "o" steals the annotations reference (a fresh {} when there are none) */
		json_object_set_new(firing, key,
				    json_pack("{s:O, s:o, s:[s]}", "labels", labels, "annotations",
					      annotations ? json_incref((json_t *)annotations) : json_object(),
					      "sources", source));
	}
	free(key);
}

/*
 * GET one alerts API into doc (key "prometheus" or "alertmanager" of
 * alerts.json); a failure is recorded there and as a warning.
 */
static int pm_alerts_get(pm_run *run, const char *base, const char *path, const char *what,
			 json_t *alerts, json_t **doc, hs_error *e)
{
	hs_http_response r;
	hs_buf url = HS_BUF_INIT;
	hs_error qe;
	int rc = 0;

	*doc = NULL;
	hs_error_init(&qe);
	hs_http_response_init(&r);
	pm_url(&url, base, path);
	if (pm_get(run, url.data, &r, &qe)) {
		json_object_set_new(alerts, what, json_pack("{s:s}", "error", qe.msg));
		rc = hs_diag_out_warn(run->o, e, "%s alerts: %s", what, qe.msg);
		goto out;
	}
	*doc = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
	if (r.status != 200 || !*doc) {
		json_object_set_new(alerts, what, json_pack("{s:s, s:i}", "error", "bad answer",
							    "http_status", (int)r.status));
		rc = hs_diag_out_warn(run->o, e, "%s alerts: HTTP %ld%s", what, r.status,
				      *doc ? "" : ", not JSON");
		json_decref(*doc);
		*doc = NULL;
		goto out;
	}
	json_object_set(alerts, what, *doc);
out:
	hs_http_response_release(&r);
	hs_buf_release(&url);
	return rc;
}

/* The alerts firing, from Prometheus and Alertmanager, with one finding each. */
static int pm_alerts(pm_run *run, json_t *result, hs_error *e)
{
	json_t *alerts = json_object(), *firing = json_object(), *doc = NULL, *list, *a;
	const char *key;
	size_t i;
	int rc = -1;

	if (pm_alerts_get(run, run->pd->prometheus_url, "/api/v1/alerts", "prometheus", alerts,
			  &doc, e))
		goto out;
	list = json_object_get(json_object_get(doc, "data"), "alerts");
	json_array_foreach(list, i, a) {
		const char *state = json_string_value(json_object_get(a, "state"));

		if (state && !strcmp(state, "firing"))
			pm_alert_add(firing, json_object_get(a, "labels"),
				     json_object_get(a, "annotations"), "prometheus");
	}
	json_decref(doc);
	doc = NULL;
	if (run->pd->alertmanager_url) {
		if (pm_alerts_get(run, run->pd->alertmanager_url,
				  "/api/v2/alerts?active=true&silenced=false&inhibited=false",
				  "alertmanager", alerts, &doc, e))
			goto out;
		json_array_foreach(doc, i, a) {
			const char *state = json_string_value(
				json_object_get(json_object_get(a, "status"), "state"));

			if (!state || !strcmp(state, "active"))
				pm_alert_add(firing, json_object_get(a, "labels"),
					     json_object_get(a, "annotations"), "alertmanager");
		}
	}
	json_object_set(alerts, "firing", firing);
	if (hs_diag_out_add_json(run->o, "diag/prometheus/alerts.json", alerts, e))
		goto out;
	json_object_foreach(firing, key, a) {
		const json_t *labels = json_object_get(a, "labels");
		const char *name = json_string_value(json_object_get(labels, "alertname"));
		const char *sev = json_string_value(json_object_get(labels, "severity"));
		const char *summary = json_string_value(
			json_object_get(json_object_get(a, "annotations"), "summary"));
		hs_buf t = HS_BUF_INIT;
		int frc;

		hs_buf_addf(&t, "alert firing: %s", name ? name : "(no alertname)");
		if (summary)
			hs_buf_addf(&t, ": %s", summary);
		frc = hs_diag_out_finding(run->o,
					  sev && !strcmp(sev, "critical") ? HS_SEV_CRITICAL : HS_SEV_WARNING,
					  t.data, json_deep_copy(a), pm_alert_runbook(name), e);
		hs_buf_release(&t);
		if (frc)
			goto out;
	}
	json_object_set_new(result, "alerts_firing", json_integer((json_int_t)json_object_size(firing)));
	rc = 0;
out:
	json_decref(doc);
	json_decref(alerts);
	json_decref(firing);
	return rc;
}

/* Prometheus reachable?  buildinfo's data (version) into result, or a finding and -1. */
static int pm_probe(pm_run *run, json_t *result, hs_error *e)
{
	hs_http_response r;
	hs_buf url = HS_BUF_INIT;
	char *red = hs_uri_redact_dup(run->pd->prometheus_url);
	json_t *doc = NULL;
	hs_error pe;
	int rc = -1;

	hs_error_init(&pe);
	hs_http_response_init(&r);
	pm_url(&url, run->pd->prometheus_url, "/api/v1/status/buildinfo");
	if (pm_get(run, url.data, &r, &pe) == 0 && r.status / 100 == 2) {
		doc = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
		json_object_set(result, "buildinfo", json_object_get(doc, "data") ?
				json_object_get(doc, "data") : json_null());
		rc = 0;
		goto out;
	}
	if (!pe.msg[0])
		hs_err(&pe, HS_EXIT_FAILURE, "prometheus '%s' answered HTTP %ld", red, r.status);
	json_object_set_new(result, "error", json_string(pe.msg));
	if (hs_diag_out_finding(run->o, HS_SEV_CRITICAL, "Prometheus unreachable",
				json_pack("{s:s, s:s}", "url", red, "error", pe.msg), PM_RUNBOOK, e))
		goto out;
	hs_err(e, HS_EXIT_FAILURE, "%s", pe.msg);
out:
	json_decref(doc);
	hs_http_response_release(&r);
	hs_buf_release(&url);
	free(red);
	return rc;
}

static int pm_run_collector(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e)
{
	pm_run run;
	hs_http_opts ho;
	json_t *result = json_object();
	char *red = NULL;
	int rc = -1;

	memset(&run, 0, sizeof(run));
	run.ctx = c;
	run.o = o;
	run.pd = c->profile->diag;
	run.queries = json_object();
	red = hs_uri_redact_dup(run.pd->prometheus_url);
	json_object_set_new(result, "url", json_string(red));
	if (run.pd->alertmanager_url) {
		char *am = hs_uri_redact_dup(run.pd->alertmanager_url);

		json_object_set_new(result, "alertmanager_url", json_string(am));
		free(am);
	}
	memset(&ho, 0, sizeof(ho));
	ho.timeout_ms = hs_net_budget(c->started_ms, c->timeout_ms, PM_CALL_MS);
	if (hs_http_client_new(&run.http, &ho, e))
		goto out;
	if (pm_probe(&run, result, e))
		goto out;
	for (size_t i = 0; i < run.pd->n_queries; i++) {
		if (pm_query(&run, &run.pd->queries[i], e))
			goto out;
		json_object_set(result, "queries", run.queries);
		if (hs_diag_out_set_result(o, json_deep_copy(result), e))
			goto out;
	}
	if (pm_alerts(&run, result, e))
		goto out;
	rc = 0;
out:
	json_object_set(result, "queries", run.queries);
	json_object_set_new(result, "findings_from_queries", json_integer((json_int_t)run.bad));
	if (hs_diag_out_set_result(o, result, rc ? NULL : e) && rc == 0)
		rc = -1;
	json_decref(run.queries);
	hs_http_client_free(run.http);
	free(red);
	return rc;
}

const hs_diag_collector hs_diag_collector_prometheus = {
	.name = "prometheus",
	.title = "Prometheus queries and alerts",
	.configured = pm_configured,
	.run = pm_run_collector,
	.timeout_ms = 30000,
};
