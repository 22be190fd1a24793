/*
 * collect_k8s.c - the "k8s" diag collector.  Per profile namespace:
 *
 *   k8s/<ns>/events.json                      events younger than --since, oldest first
 *   k8s/<ns>/pods/<pod>.json                  every pod (the profile's pod selector, if
 *                                             any), with status
 *   k8s/<ns>/deployments/<name>.json          the profile's Deployments ("*" or none
 *   k8s/<ns>/hpa/<name>.json                  named: all), HPAs likewise, with status
 *   k8s/<ns>/logs/<pod>/<c>.log               current log within --since, at most
 *   k8s/<ns>/logs/<pod>/<c>.previous.log      limit_bytes (1 MiB); the previous one when
 *                                             the container has a last termination and
 *                                             the kubelet has it (else: no entry)
 *
 * The result summarises each pod's containers (restarts, state, last
 * termination reason) and says which logs were cut at the limit.
 *
 * Findings: a container in CrashLoopBackOff or last terminated OOMKilled
 * (critical, "Pod Crash Loop"); restarts over thresholds.pod_restarts_max
 * (warning, "Pod Crash Loop"); a Deployment with fewer available replicas
 * than desired (warning, "Rollback Deployment"); an HPA at its maximum
 * replicas (warning, "Auto-scaling Configuration"); the API server not
 * reachable (critical, "Check Dependencies"; the collector fails).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "diag.h"
#include "http.h"
#include "sources/k8s/k8s_common.h"

#define K8_LOG_LIMIT_DEFAULT (1024 * 1024)
#define K8_SINCE_DEFAULT 3600

typedef struct k8_run {
	const hs_diag_ctx *ctx;
	hs_diag_out *o;
	hs_k8s_client *cl;
	int64_t deadline_ms;     /* no new log fetched after this */
	int64_t end_ms;          /* no request runs past this (the client's deadline) */
	json_t *summary;         /* result: namespace -> {...} */
	size_t n_logs, n_logs_cut, n_logs_skipped;
} k8_run;

static bool k8_configured(const hs_profile *p)
{
	return p && p->k8s;
}

/*
 * When to stop starting work: a fifth of the budget before its end, and at
 * least 1 s before it (half the budget when it is 2 s or less), to leave
 * time to write what was collected before the runner kills the child.
 */
static int64_t k8_deadline(const hs_diag_ctx *ctx, int64_t now_ms, int64_t def_ms)
{
	int64_t budget = ctx->timeout_ms > 0 ? ctx->timeout_ms : def_ms;
	int64_t margin = budget / 5 > 1000 ? budget / 5 : budget > 2000 ? 1000 : budget / 2;

	return (ctx->started_ms > 0 ? ctx->started_ms : now_ms) + budget - margin;
}

/*
 * When no request may still run: the budget's end less a tenth of it (at
 * most 5 s, at least 250 ms) to write what was collected before the runner
 * kills the child.
 */
static int64_t k8_budget_end(const hs_diag_ctx *ctx, int64_t now_ms, int64_t def_ms)
{
	int64_t budget = ctx->timeout_ms > 0 ? ctx->timeout_ms : def_ms;
	int64_t margin = budget / 10 > 5000 ? 5000 : budget / 10 < 250 ? 250 : budget / 10;

	return (ctx->started_ms > 0 ? ctx->started_ms : now_ms) + budget - margin;
}

/* The profile's diag thresholds, or the defaults when it has no diag section. */
static const hs_profile_thresholds *k8_thresholds(const hs_profile *p)
{
	static const hs_profile_thresholds def = { 1000, 0.95, 0.9, 3, 1000 };

	return p->diag ? &p->diag->thresholds : &def;
}

static const char *k8_name(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
}

/* json_object_get along a path of keys (NULL-terminated); NULL when absent. */
static json_t *k8_get(const json_t *v, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, v);
	while (v && (k = va_arg(ap, const char *)))
		v = json_object_get(v, k);
	va_end(ap);
	return (json_t *)v;
}

/* True when an environment variable's name suggests its value is a secret. */
static bool k8_secret_name(const char *name)
{
	static const char *const words[] = { "pass", "secret", "token", "key", "credential", "auth", "private",
					     NULL };

	for (size_t i = 0; name && words[i]; i++)
		if (strcasestr(name, words[i]))
			return true;
	return false;
}

/*
 * Replace with "***" the literal value of every container env variable
 * (any "env" array of {name, value} under v) whose name suggests a
 * secret: a pod or Deployment spec may carry a password in clear, and the
 * text redaction cannot know it from the name on another line.
 */
static void k8_scrub_env(json_t *v)
{
	const char *key;
	json_t *x, *it;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			k8_scrub_env(x);
		return;
	}
	json_object_foreach(v, key, x) {
		if (!strcmp(key, "env") && json_is_array(x)) {
			json_array_foreach(x, i, it)
				if (json_is_string(json_object_get(it, "value")) &&
				    k8_secret_name(json_string_value(json_object_get(it, "name"))))
					json_object_set_new(it, "value", json_string("***"));
		} else if (json_is_object(x) || json_is_array(x)) {
			k8_scrub_env(x);
		}
	}
}

/* RFC 3339 time (seconds precision) as unix seconds; -1 when not one. */
static int64_t k8_time(const char *s)
{
	struct tm tm;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

/* An event's time: lastTimestamp, eventTime, series.lastObservedTime, firstTimestamp, creation. */
static const char *k8_event_time(const json_t *ev)
{
	const char *t = json_string_value(json_object_get(ev, "lastTimestamp"));

	if (!t)
		t = json_string_value(json_object_get(ev, "eventTime"));
	if (!t)
		t = json_string_value(k8_get(ev, "series", "lastObservedTime", NULL));
	if (!t)
		t = json_string_value(json_object_get(ev, "firstTimestamp"));
	if (!t)
		t = json_string_value(k8_get(ev, "metadata", "creationTimestamp", NULL));
	return t;
}

static int k8_event_cmp(const void *a, const void *b)
{
	int64_t x = k8_time(k8_event_time(*(json_t *const *)a));
	int64_t y = k8_time(k8_event_time(*(json_t *const *)b));

	return (x > y) - (x < y);
}

/* --since in seconds: the flag, else the namespace's logs.since, else 1 h. */
static int64_t k8_since(const k8_run *run, const hs_profile_k8s_ns *pns)
{
	if (run->ctx->since_s > 0)
		return run->ctx->since_s;
	if (pns->logs.enabled && pns->logs.since_seconds > 0)
		return pns->logs.since_seconds;
	return K8_SINCE_DEFAULT;
}

/* True when e is a transport failure: hs_k8s_call names the API server then. */
static bool k8_transport_error(const hs_error *e)
{
	return strstr(e->msg, ": API server '") != NULL;
}

/*
 * A list of one resource of the namespace into *items.  A 403 (no RBAC
 * permission) or 404 (an API the server does not serve) is a warning and
 * returns 1: diagnosis goes on with what it can read.  Anything else (the
 * server unreachable, 401, 5xx) is -1.
 */
static int k8_list(k8_run *run, const char *ns, const char *group, const char *version, const char *resource,
		   const char *selector, json_t **items, hs_error *e)
{
	hs_k8s_req rq = { "list", group, version, resource, ns, NULL, NULL, NULL };
	hs_buf q = HS_BUF_INIT;
	char *rv = NULL;
	hs_error le;
	int rc = 0;

	if (selector && *selector) {
		hs_buf_adds(&q, "labelSelector=");
		hs_http_escape(&q, selector);
		rq.query = q.data;
	}
	hs_error_init(&le);
	if (hs_k8s_list(run->cl, &rq, items, &rv, &le)) {
		*items = NULL;
		if (strstr(le.msg, "forbidden (403)") || strstr(le.msg, "not found (404)")) {
			rc = hs_diag_out_warn(run->o, e, "%s", le.msg) ? -1 : 1;
		} else {
			*e = le;
			rc = -1;
		}
	}
	free(rv);
	hs_buf_release(&q);
	return rc;
}

/*
 * Events younger than --since, oldest first, into k8s/<ns>/events.json;
 * the last 10 of each pod also go to pod_events (pod name -> array) for
 * the evidence of its findings.
 */
static int k8_events(k8_run *run, const hs_profile_k8s_ns *pns, json_t *pod_events, hs_error *e)
{
	json_t *items = NULL, *keep = json_array(), *ev, *doc = NULL;
	int64_t from = (int64_t)time(NULL) - k8_since(run, pns);
	hs_buf name = HS_BUF_INIT;
	json_t **v = NULL;
	size_t i, n = 0;
	int lr, rc = -1;

	lr = k8_list(run, pns->name, "", "v1", "events", NULL, &items, e);
	if (lr) {
		rc = lr > 0 ? 0 : -1;
		goto out;
	}
	v = hs_xcalloc(json_array_size(items) + 1, sizeof(*v));
	json_array_foreach(items, i, ev) {
		int64_t t = k8_time(k8_event_time(ev));

		if (t >= 0 && t < from)
			continue;
		json_object_del(json_object_get(ev, "metadata"), "managedFields");
		v[n++] = ev;
	}
	qsort(v, n, sizeof(*v), k8_event_cmp);
	for (i = 0; i < n; i++) {
		const char *kind = json_string_value(k8_get(v[i], "involvedObject", "kind", NULL));
		const char *obj = json_string_value(k8_get(v[i], "involvedObject", "name", NULL));

		json_array_append(keep, v[i]);
		if (kind && obj && !strcmp(kind, "Pod")) {
			json_t *arr = json_object_get(pod_events, obj);

			if (!arr) {
				arr = json_array();
				json_object_set_new(pod_events, obj, arr);
			}
			if (json_array_size(arr) >= 10)
				json_array_remove(arr, 0);
			json_array_append_new(arr, json_pack("{s:s?, s:s?, s:s?, s:O?, s:s?}", "type",
							     json_string_value(json_object_get(v[i], "type")),
							     "reason",
							     json_string_value(json_object_get(v[i], "reason")),
							     "message",
							     json_string_value(json_object_get(v[i], "message")),
							     "count", json_object_get(v[i], "count"), "time",
							     k8_event_time(v[i])));
		}
	}
	hs_buf_addf(&name, "k8s/%s/events.json", pns->name);
	doc = json_pack("{s:O, s:I}", "items", keep, "since_seconds", (json_int_t)k8_since(run, pns));
	if (hs_diag_out_add_json(run->o, name.data, doc, e))
		goto out;
	json_object_set_new(json_object_get(run->summary, pns->name), "events",
			    json_integer((json_int_t)n));
	rc = 0;
out:
	free(v);
	json_decref(doc);
	json_decref(keep);
	json_decref(items);
	hs_buf_release(&name);
	return rc;
}

/*
 * One container log into k8s/<ns>/logs/<pod>/<c>[.previous].log.  A log
 * the kubelet does not have is no entry; it is a warning only when it is
 * not optional (the current log of a running or terminated container).
 * cinfo (the container in the result) says which entry, how big, and
 * whether it was cut at the byte limit.
 */
static int k8_log(k8_run *run, const hs_profile_k8s_ns *pns, const char *pod, const char *cname, bool previous,
		  bool optional, json_t *cinfo, hs_error *e)
{
	int64_t limit = pns->logs.enabled && pns->logs.limit_bytes > 0 ? pns->logs.limit_bytes
									: K8_LOG_LIMIT_DEFAULT;
	hs_k8s_req rq = { "get", "", "v1", "pods", pns->name, pod, "log", NULL };
	hs_buf q = HS_BUF_INIT, body = HS_BUF_INIT, name = HS_BUF_INIT;
	const char *key = previous ? "previous_log" : "log";
	hs_error le;
	int rc = -1;

	if (hs_now_ms() >= run->deadline_ms) {
		json_object_set_new(cinfo, key, json_string("not read: time budget nearly spent"));
		run->n_logs_skipped++;
		return 0;
	}
	hs_buf_adds(&q, "container=");
	hs_http_escape(&q, cname);
	hs_buf_addf(&q, "&limitBytes=%lld&sinceSeconds=%lld", (long long)limit, (long long)k8_since(run, pns));
	if (pns->logs.enabled && pns->logs.tail_lines > 0)
		hs_buf_addf(&q, "&tailLines=%lld", (long long)pns->logs.tail_lines);
	if (previous)
		hs_buf_adds(&q, "&previous=true");
	rq.query = q.data;
	hs_error_init(&le);
	if (hs_k8s_call(run->cl, &rq, "GET", NULL, NULL, NULL, &body, (size_t)limit, NULL, &le) < 0) {
		json_object_set_new(cinfo, key, json_pack("{s:s}", "unavailable", le.msg));
		rc = optional ? 0 : hs_diag_out_warn(run->o, e, "%s", le.msg);
		goto out;
	}
	hs_buf_addf(&name, "k8s/%s/logs/%s/%s%s.log", pns->name, pod, cname, previous ? ".previous" : "");
	if (hs_diag_out_add(run->o, name.data, body.data ? body.data : "", body.len, e))
		goto out;
	run->n_logs++;
	if ((int64_t)body.len >= limit)
		run->n_logs_cut++;
	json_object_set_new(cinfo, key, json_pack("{s:s, s:I, s:b}", "entry", name.data, "bytes",
						  (json_int_t)body.len, "cut_at_limit", (int64_t)body.len >= limit));
	rc = 0;
out:
	hs_buf_release(&q);
	hs_buf_release(&body);
	hs_buf_release(&name);
	return rc;
}

/* The finding of one container status, if any. */
static int k8_container_finding(k8_run *run, const char *ns, const char *pod, const json_t *cs,
				const json_t *events, hs_error *e)
{
	const char *cname = json_string_value(json_object_get(cs, "name"));
	const char *waiting = json_string_value(k8_get(cs, "state", "waiting", "reason", NULL));
	const char *last = json_string_value(k8_get(cs, "lastState", "terminated", "reason", NULL));
	const char *now = json_string_value(k8_get(cs, "state", "terminated", "reason", NULL));
	json_int_t restarts = json_integer_value(json_object_get(cs, "restartCount"));
	int64_t max = k8_thresholds(run->ctx->profile)->pod_restarts_max;
	bool crash = waiting && !strcmp(waiting, "CrashLoopBackOff");
	bool oom = (last && !strcmp(last, "OOMKilled")) || (now && !strcmp(now, "OOMKilled"));
	hs_buf t = HS_BUF_INIT;
	json_t *ev;
	int rc;

	if (!crash && !oom && restarts <= max)
		return 0;
	hs_buf_addf(&t, "Pod %s/%s container %s", ns, pod, cname ? cname : "?");
	if (crash)
		hs_buf_adds(&t, " is in CrashLoopBackOff");
	if (oom)
		hs_buf_addf(&t, "%s OOMKilled", crash ? ", last terminated" : " was");
	if (!crash && !oom)
		hs_buf_addf(&t, " restarted %lld times (threshold %lld)", (long long)restarts, (long long)max);
	else
		hs_buf_addf(&t, " (%lld restarts)", (long long)restarts);
	ev = json_pack("{s:s, s:s, s:s?, s:I, s:s?, s:O?, s:O?}", "namespace", ns, "pod", pod, "container",
		       cname, "restarts", restarts, "waiting_reason", waiting, "last_terminated",
		       k8_get(cs, "lastState", "terminated", NULL), "events", events);
	rc = hs_diag_out_finding(run->o, crash || oom ? HS_SEV_CRITICAL : HS_SEV_WARNING, t.data, ev,
				 "Pod Crash Loop", e);
	hs_buf_release(&t);
	return rc;
}

/* Pods: entry, container summary, findings, logs. */
static int k8_pods(k8_run *run, const hs_profile_k8s_ns *pns, const json_t *pod_events, hs_error *e)
{
	json_t *items = NULL, *p, *pods = json_array();
	hs_buf name = HS_BUF_INIT;
	size_t i, j;
	int lr, rc = -1;

	json_object_set_new(json_object_get(run->summary, pns->name), "pods", pods);
	lr = k8_list(run, pns->name, "", "v1", "pods", pns->pod_selector, &items, e);
	if (lr) {
		rc = lr > 0 ? 0 : -1;
		goto out;
	}
	json_array_foreach(items, i, p) {
		const char *pn = k8_name(p);
		json_t *containers = json_array(), *cs, *pevents = json_object_get(pod_events, pn);

		json_array_append_new(pods, json_pack("{s:s, s:s?, s:o}", "name", pn, "phase",
						      json_string_value(k8_get(p, "status", "phase", NULL)),
						      "containers", containers));
		json_array_foreach(k8_get(p, "status", "containerStatuses", NULL), j, cs) {
			const char *cn = json_string_value(json_object_get(cs, "name"));
			json_t *st = json_object_get(cs, "state");
			const char *state = json_object_get(st, "running") ? "running"
					  : json_object_get(st, "terminated") ? "terminated"
					  : json_object_get(st, "waiting") ? "waiting" : "unknown";
			const char *reason = json_string_value(k8_get(st, state, "reason", NULL));
			json_t *last = k8_get(cs, "lastState", "terminated", NULL);
			json_t *ci;

			if (!cn)
				continue;
			ci = json_pack("{s:s, s:b, s:O?, s:s, s:s?, s:s?}", "name", cn, "ready",
				       json_is_true(json_object_get(cs, "ready")), "restarts",
				       json_object_get(cs, "restartCount"), "state", state, "reason", reason,
				       "last_termination_reason",
				       json_string_value(json_object_get(last, "reason")));
			json_array_append_new(containers, ci);
			if (k8_container_finding(run, pns->name, pn, cs, pevents, e))
				goto out;
			/*
			 * A container that never ran has no log.  One waiting to
			 * restart (CrashLoopBackOff) may still have its last run's
			 * log as the current one, as kubectl logs shows it.
			 */
			if ((!strcmp(state, "running") || !strcmp(state, "terminated") || last) &&
			    k8_log(run, pns, pn, cn, false, !strcmp(state, "waiting"), ci, e))
				goto out;
			if (last && k8_log(run, pns, pn, cn, true, true, ci, e))
				goto out;
		}
		hs_k8s_strip(p, true);
		k8_scrub_env(p);
		hs_buf_reset(&name);
		hs_buf_addf(&name, "k8s/%s/pods/%s.json", pns->name, pn);
		if (hs_diag_out_add_json(run->o, name.data, p, e))
			goto out;
	}
	rc = 0;
out:
	hs_buf_release(&name);
	json_decref(items);
	return rc;
}

/* Deployments: entry, and a finding when fewer replicas are available than desired. */
static int k8_deployments(k8_run *run, const hs_profile_k8s_ns *pns, hs_error *e)
{
	json_t *items = NULL, *d, *sum = json_array();
	hs_buf name = HS_BUF_INIT;
	size_t i;
	int lr, rc = -1;

	json_object_set_new(json_object_get(run->summary, pns->name), "deployments", sum);
	lr = k8_list(run, pns->name, "apps", "v1", "deployments", NULL, &items, e);
	if (lr) {
		rc = lr > 0 ? 0 : -1;
		goto out;
	}
	json_array_foreach(items, i, d) {
		const char *dn = k8_name(d);
		json_t *rep = k8_get(d, "spec", "replicas", NULL);
		json_int_t want = rep ? json_integer_value(rep) : 1;
		json_int_t avail = json_integer_value(k8_get(d, "status", "availableReplicas", NULL));

		if (!dn || !hs_k8s_selected((const char *const *)pns->deployments.v, pns->deployments.n, dn, true))
			continue;
		json_array_append_new(sum, json_pack("{s:s, s:I, s:I}", "name", dn, "desired", want, "available",
						     avail));
		if (avail < want) {
			hs_buf t = HS_BUF_INIT;
			int frc;

			hs_buf_addf(&t, "Deployment %s/%s has %lld of %lld replicas available", pns->name, dn,
				    (long long)avail, (long long)want);
			frc = hs_diag_out_finding(run->o, HS_SEV_WARNING, t.data,
						  json_pack("{s:s, s:s, s:I, s:I, s:O?}", "namespace", pns->name,
							    "deployment", dn, "desired", want, "available", avail,
							    "conditions", k8_get(d, "status", "conditions", NULL)),
						  "Rollback Deployment", e);
			hs_buf_release(&t);
			if (frc)
				goto out;
		}
		hs_k8s_strip(d, true);
		k8_scrub_env(d);
		hs_buf_reset(&name);
		hs_buf_addf(&name, "k8s/%s/deployments/%s.json", pns->name, dn);
		if (hs_diag_out_add_json(run->o, name.data, d, e))
			goto out;
	}
	rc = 0;
out:
	hs_buf_release(&name);
	json_decref(items);
	return rc;
}

/* HPAs (autoscaling/v2): entry, and a finding when one is at its maximum. */
static int k8_hpas(k8_run *run, const hs_profile_k8s_ns *pns, hs_error *e)
{
	json_t *items = NULL, *h, *sum = json_array();
	hs_buf name = HS_BUF_INIT;
	size_t i;
	int lr, rc = -1;

	json_object_set_new(json_object_get(run->summary, pns->name), "hpas", sum);
	lr = k8_list(run, pns->name, "autoscaling", "v2", "horizontalpodautoscalers", NULL, &items, e);
	if (lr) {
		rc = lr > 0 ? 0 : -1;
		goto out;
	}
	json_array_foreach(items, i, h) {
		const char *hn = k8_name(h);
		json_int_t max = json_integer_value(k8_get(h, "spec", "maxReplicas", NULL));
		json_int_t cur = json_integer_value(k8_get(h, "status", "currentReplicas", NULL));
		json_int_t des = json_integer_value(k8_get(h, "status", "desiredReplicas", NULL));

		if (!hn || !hs_k8s_selected((const char *const *)pns->hpas.v, pns->hpas.n, hn, true))
			continue;
		json_array_append_new(sum, json_pack("{s:s, s:I, s:I, s:I}", "name", hn, "current", cur, "desired",
						     des, "max", max));
		if (max > 0 && (cur >= max || des >= max)) {
			hs_buf t = HS_BUF_INIT;
			int frc;

			hs_buf_addf(&t, "HPA %s/%s is at its maximum of %lld replicas", pns->name, hn,
				    (long long)max);
			frc = hs_diag_out_finding(run->o, HS_SEV_WARNING, t.data,
						  json_pack("{s:s, s:s, s:I, s:I, s:I, s:O?}", "namespace", pns->name,
							    "hpa", hn, "current", cur, "desired", des, "max", max,
							    "metrics", k8_get(h, "status", "currentMetrics", NULL)),
						  "Auto-scaling Configuration", e);
			hs_buf_release(&t);
			if (frc)
				goto out;
		}
		hs_k8s_strip(h, true);
		hs_buf_reset(&name);
		hs_buf_addf(&name, "k8s/%s/hpa/%s.json", pns->name, hn);
		if (hs_diag_out_add_json(run->o, name.data, h, e))
			goto out;
	}
	rc = 0;
out:
	hs_buf_release(&name);
	json_decref(items);
	return rc;
}

/* Write the result as far as it goes (a collector killed later keeps it). */
static void k8_result(const k8_run *run, int64_t t0)
{
	json_t *res = json_pack("{s:s?, s:s?, s:O, s:I, s:I, s:I, s:I}", "context",
				run->cl ? run->cl->kc->context : NULL, "server", run->cl ? run->cl->kc->server : NULL,
				"namespaces", run->summary, "logs", (json_int_t)run->n_logs, "logs_cut_at_limit",
				(json_int_t)run->n_logs_cut, "logs_not_read", (json_int_t)run->n_logs_skipped,
				"elapsed_ms", (json_int_t)(hs_now_ms() - t0));
	hs_error re;

	hs_error_init(&re);
	if (res)
		hs_diag_out_set_result(run->o, res, &re);
}

/* The collector (see the top of this file). */
static int k8_collect(const hs_diag_ctx *ctx, hs_diag_out *o, hs_error *e)
{
	const hs_profile_k8s *pk = ctx->profile->k8s;
	k8_run run;
	int64_t t0 = hs_now_ms();
	int tmo = pk->timeout_ms > 0 ? pk->timeout_ms : 30000;
	int rc = -1;

	memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	run.o = o;
	run.summary = json_object();
	run.deadline_ms = k8_deadline(ctx, t0, 60000);
	run.end_ms = k8_budget_end(ctx, t0, 60000);
	/* one request may take at most a third of the budget */
	if (ctx->timeout_ms > 0 && ctx->timeout_ms / 3 < tmo)
		tmo = ctx->timeout_ms / 3 > 500 ? ctx->timeout_ms / 3 : 500;
	if (hs_k8s_client_new(&run.cl, pk->kubeconfig, pk->context, tmo, e))
		goto out;
	/* no request (a list's every page, a 429's wait) runs past the budget's end less a margin */
	run.cl->deadline_ms = run.end_ms;
	for (size_t i = 0; i < pk->n_namespaces; i++) {
		const hs_profile_k8s_ns *pns = &pk->namespaces[i];
		json_t *pod_events = json_object();
		int r;

		json_object_set_new(run.summary, pns->name, json_object());
		if (i)
			k8_result(&run, t0);
		r = k8_events(&run, pns, pod_events, e);
		if (!r)
			r = k8_pods(&run, pns, pod_events, e);
		json_decref(pod_events);
		if (r || k8_deployments(&run, pns, e) || k8_hpas(&run, pns, e)) {
			/* a transport failure names the API server: "... API server '<url>': <reason>" */
			if (k8_transport_error(e)) {
				hs_error fe;

				hs_error_init(&fe);
				hs_diag_out_finding(o, HS_SEV_CRITICAL, "Kubernetes API server unreachable",
						    json_pack("{s:s, s:s}", "server", run.cl->kc->server, "error",
							      e->msg),
						    "Check Dependencies", &fe);
			}
			hs_err_prefix(e, "k8s context '%s'", run.cl->kc->context);
			goto out;
		}
	}
	if (run.n_logs_skipped &&
	    hs_diag_out_warn(o, e, "time budget nearly spent: %zu log(s) not read", run.n_logs_skipped))
		goto out;
	rc = 0;
out:
	k8_result(&run, t0);
	json_decref(run.summary);
	hs_k8s_client_free(run.cl);
	return rc;
}

const hs_diag_collector hs_diag_collector_k8s = {
	.name = "k8s",
	.title = "Kubernetes: pods, restarts, events, Deployments, HPAs, logs",
	.configured = k8_configured,
	.run = k8_collect,
	.timeout_ms = 60000,
};
