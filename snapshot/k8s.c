/*
 * k8s.c - the Kubernetes source: capture, per namespace of the profile,
 *
 *   k8s/<ns>/deployments/<name>.json                 the Deployment (apply-able)
 *   k8s/<ns>/deployments/<name>/revisions/<rev>.json every revision a ReplicaSet
 *                                                    still holds: template,
 *                                                    change-cause, ConfigMaps and
 *                                                    Secret (names, key names)
 *                                                    it references
 *   k8s/<ns>/configmaps/<name>.json                  profile's ConfigMaps plus the
 *                                                    ones current templates use
 *   k8s/<ns>/hpa/<name>.json, pods/<pod>.json, events.json   state for diagnosis
 *   k8s/<ns>/logs/<pod>/<container>[.previous].log   bounded container logs
 *
 * Every resource kind is read with one paginated list per namespace; the
 * list resourceVersions are the watermark.  uid/resourceVersion of each
 * captured ConfigMap and Deployment go to the manifest's details (restore
 * compares them with the live object).  Secrets are never read: their
 * names and key names come from the templates.  docs/k8s.md has the design.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sources/k8s/k8s_common.h"
#include "log.h"
#include "source.h"

typedef struct hs_k8s_run {
	hs_capture *c;
	const hs_profile_k8s *pk;
	hs_k8s_client *cl;
	json_t *lists;     /* "ns/resource" -> list resourceVersion */
	json_t *objects;   /* entry name -> {uid, resourceVersion} */
	json_t *warnings;  /* strings */
	char *last_rv;
	uint64_t n_objects;
	uint64_t n_logs;
} hs_k8s_run;

static bool hs_k8s_configured(const hs_profile *p)
{
	return p && p->k8s;
}

/* Remember a partial-capture warning (also logged). */
static void hs_k8s_warn(hs_k8s_run *run, const char *msg)
{
	hs_warn("k8s", "%s", msg);
	json_array_append_new(run->warnings, json_string(msg));
	run->c->partial = true;
}

/* List a resource of a namespace; records the list resourceVersion. */
static int hs_k8s_list_ns(hs_k8s_run *run, const char *ns, const char *group, const char *version,
			  const char *resource, const char *selector, json_t **items, hs_error *e)
{
	hs_k8s_req rq = { "list", group, version, resource, ns, NULL, NULL, NULL };
	hs_buf q = HS_BUF_INIT, key = HS_BUF_INIT;
	char *rv = NULL;
	int ret;

	if (selector && *selector) {
		hs_buf_adds(&q, "labelSelector=");
		hs_http_escape(&q, selector);
		rq.query = q.data;
	}
	ret = hs_k8s_list(run->cl, &rq, items, &rv, e);
	if (ret == 0 && rv) {
		hs_buf_addf(&key, "%s/%s", ns, resource);
		json_object_set_new(run->lists, key.data, json_string(rv));
		free(run->last_rv);
		run->last_rv = rv;
		rv = NULL;
	}
	free(rv);
	hs_buf_release(&q);
	hs_buf_release(&key);
	return ret;
}

/* Write one object entry; remember its uid/resourceVersion first. */
static int hs_k8s_put(hs_k8s_run *run, const char *name, json_t *obj, bool keep_status, bool remember,
		      hs_error *e)
{
	json_t *meta = json_object_get(obj, "metadata");

	if (remember) {
		json_t *o = json_object();

		json_object_set(o, "uid", json_object_get(meta, "uid"));
		json_object_set(o, "resourceVersion", json_object_get(meta, "resourceVersion"));
		json_object_set_new(run->objects, name, o);
	}
	hs_k8s_strip(obj, keep_status);
	if (hs_aw_add_json(run->c->aw, name, "k8s", obj, 1, e) < 0)
		return -1;
	run->n_objects++;
	hs_progress_add(run->c->progress, 1, 0);
	return 0;
}

static const char *hs_k8s_name(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
}

static const char *hs_k8s_annotation(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(obj, "metadata"),
								 "annotations"), key));
}

/* True when rs has an ownerReference with uid (the Deployment's). */
static bool hs_k8s_owned_by(const json_t *rs, const char *uid)
{
	json_t *ref;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(rs, "metadata"), "ownerReferences"), i, ref) {
		const char *u = json_string_value(json_object_get(ref, "uid"));

		if (u && uid && !strcmp(u, uid))
			return true;
	}
	return false;
}

/*
 * Deployments of the namespace and every revision their ReplicaSets hold.
 * The ConfigMaps current templates reference are added to want_cms.
 */
static int hs_k8s_deployments(hs_k8s_run *run, const hs_profile_k8s_ns *pns, json_t *want_cms, hs_error *e)
{
	json_t *deps = NULL, *rss = NULL, *d;
	hs_buf name = HS_BUF_INIT;
	size_t i, j;
	int ret = -1;

	if (!pns->deployments.n)
		return 0;
	if (hs_k8s_list_ns(run, pns->name, "apps", "v1", "deployments", NULL, &deps, e) < 0 ||
	    hs_k8s_list_ns(run, pns->name, "apps", "v1", "replicasets", NULL, &rss, e) < 0)
		goto out;
	for (i = 0; i < pns->deployments.n; i++) {
		bool found = !strcmp(pns->deployments.v[i], "*");

		json_array_foreach(deps, j, d)
			if (!strcmp(hs_k8s_name(d), pns->deployments.v[i]))
				found = true;
		if (!found) {
			hs_buf w = HS_BUF_INIT;

			hs_buf_addf(&w, "deployment '%s/%s' not found", pns->name, pns->deployments.v[i]);
			hs_k8s_warn(run, w.data);
			hs_buf_release(&w);
		}
	}
	json_array_foreach(deps, i, d) {
		const char *dn = hs_k8s_name(d);
		const char *uid = json_string_value(json_object_get(json_object_get(d, "metadata"), "uid"));
		const char *cur = hs_k8s_annotation(d, "deployment.kubernetes.io/revision");
		json_t *rs;

		if (!dn || !hs_k8s_selected((const char *const *)pns->deployments.v, pns->deployments.n, dn, false))
			continue;
		json_array_foreach(rss, j, rs) {
			const char *rev = hs_k8s_annotation(rs, "deployment.kubernetes.io/revision");
			const char *cause = hs_k8s_annotation(rs, "kubernetes.io/change-cause");
			json_t *tmpl = json_object_get(json_object_get(rs, "spec"), "template");
			json_t *doc, *cms;
			bool current;

			if (!rev || !hs_k8s_owned_by(rs, uid) || !json_is_object(tmpl))
				continue;
			current = cur && !strcmp(cur, rev);
			cms = hs_k8s_template_configmaps(tmpl);
			if (current) {
				json_t *cm;
				size_t k;

				json_array_foreach(cms, k, cm)
					json_object_set_new(want_cms, json_string_value(cm), json_true());
			}
			doc = json_pack("{s:I, s:s, s:o, s:b, s:o, s:O, s:o}", "revision",
					(json_int_t)strtoll(rev, NULL, 10), "replicaset", hs_k8s_name(rs),
					"change_cause", cause ? json_string(cause) : json_null(), "current", current,
					"configmaps", cms, "template", tmpl,
					"secrets", hs_k8s_template_secrets(tmpl));
			json_object_set(doc, "created", json_object_get(json_object_get(rs, "metadata"),
									 "creationTimestamp"));
			/* the ReplicaSet's annotations but kubectl's skipped ones, for rollback */
			json_object_set_new(doc, "annotations", hs_k8s_rollback_annotations(NULL, rs));
			hs_buf_reset(&name);
			hs_buf_addf(&name, "k8s/%s/deployments/%s/revisions/%s.json", pns->name, dn, rev);
			if (hs_aw_add_json(run->c->aw, name.data, "k8s", doc, 1, e) < 0) {
				json_decref(doc);
				goto out;
			}
			json_decref(doc);
			run->n_objects++;
		}
		hs_buf_reset(&name);
		hs_buf_addf(&name, "k8s/%s/deployments/%s.json", pns->name, dn);
		if (hs_k8s_put(run, name.data, d, false, true, e) < 0)
			goto out;
	}
	ret = 0;
out:
	hs_buf_release(&name);
	json_decref(deps);
	json_decref(rss);
	return ret;
}

/* ConfigMaps: the profile's names or selector, plus want_cms. */
static int hs_k8s_configmaps(hs_k8s_run *run, const hs_profile_k8s_ns *pns, json_t *want_cms, hs_error *e)
{
	json_t *items = NULL, *sel = NULL, *cm, *v;
	hs_buf name = HS_BUF_INIT;
	const char *key;
	size_t i;
	int ret = -1;

	if (!pns->configmaps.n && !pns->configmap_selector && !json_object_size(want_cms))
		return 0;
	for (i = 0; i < pns->configmaps.n; i++)
		json_object_set_new(want_cms, pns->configmaps.v[i], json_true());
	if (hs_k8s_list_ns(run, pns->name, "", "v1", "configmaps", NULL, &items, e) < 0)
		goto out;
	if (pns->configmap_selector && hs_k8s_list_ns(run, pns->name, "", "v1", "configmaps",
						      pns->configmap_selector, &sel, e) < 0)
		goto out;
	json_array_foreach(sel, i, cm)
		json_object_set_new(want_cms, hs_k8s_name(cm), json_true());
	json_object_foreach(want_cms, key, v) {
		bool found = false;

		json_array_foreach(items, i, cm) {
			if (strcmp(hs_k8s_name(cm), key))
				continue;
			found = true;
			hs_buf_reset(&name);
			hs_buf_addf(&name, "k8s/%s/configmaps/%s.json", pns->name, key);
			if (hs_k8s_put(run, name.data, cm, false, true, e) < 0)
				goto out;
		}
		if (!found) {
			hs_buf w = HS_BUF_INIT;

			hs_buf_addf(&w, "configmap '%s/%s' not found", pns->name, key);
			hs_k8s_warn(run, w.data);
			hs_buf_release(&w);
		}
	}
	ret = 0;
out:
	hs_buf_release(&name);
	json_decref(items);
	json_decref(sel);
	return ret;
}

/* HPAs (autoscaling/v2), with status. */
static int hs_k8s_hpas(hs_k8s_run *run, const hs_profile_k8s_ns *pns, hs_error *e)
{
	json_t *items = NULL, *h;
	hs_buf name = HS_BUF_INIT;
	size_t i;
	int ret = -1;

	if (!pns->hpas.n)
		return 0;
	if (hs_k8s_list_ns(run, pns->name, "autoscaling", "v2", "horizontalpodautoscalers", NULL, &items, e) < 0)
		goto out;
	json_array_foreach(items, i, h) {
		if (!hs_k8s_selected((const char *const *)pns->hpas.v, pns->hpas.n, hs_k8s_name(h), false))
			continue;
		hs_buf_reset(&name);
		hs_buf_addf(&name, "k8s/%s/hpa/%s.json", pns->name, hs_k8s_name(h));
		if (hs_k8s_put(run, name.data, h, true, false, e) < 0)
			goto out;
	}
	ret = 0;
out:
	hs_buf_release(&name);
	json_decref(items);
	return ret;
}

/* The containerStatuses entry of container cname, or NULL. */
static json_t *hs_k8s_cstatus(const json_t *pod, const char *cname)
{
	json_t *cs;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(pod, "status"), "containerStatuses"), i, cs)
		if (!strcmp(json_string_value(json_object_get(cs, "name")) ? json_string_value(json_object_get(cs, "name")) : "", cname))
			return cs;
	return NULL;
}

/* One container log (current or previous), bounded as the profile says. */
static int hs_k8s_log(hs_k8s_run *run, const hs_profile_k8s_ns *pns, const char *pod, const char *cname,
		      bool previous, hs_error *e)
{
	const hs_profile_k8s_logs *lg = &pns->logs;
	int64_t since = run->c->opts && run->c->opts->since_s > 0 ? run->c->opts->since_s : lg->since_seconds;
	hs_k8s_req rq = { "get", "", "v1", "pods", pns->name, pod, "log", NULL };
	hs_buf q = HS_BUF_INIT, body = HS_BUF_INIT, name = HS_BUF_INIT;
	hs_error le;
	int ret = -1;

	hs_buf_adds(&q, "container=");
	hs_http_escape(&q, cname);
	if (lg->tail_lines > 0)
		hs_buf_addf(&q, "&tailLines=%lld", (long long)lg->tail_lines);
	if (lg->limit_bytes > 0)
		hs_buf_addf(&q, "&limitBytes=%lld", (long long)lg->limit_bytes);
	if (since > 0)
		hs_buf_addf(&q, "&sinceSeconds=%lld", (long long)since);
	if (previous)
		hs_buf_adds(&q, "&previous=true");
	rq.query = q.data;
	hs_error_init(&le);
	if (hs_k8s_call(run->cl, &rq, "GET", NULL, NULL, NULL, &body,
			lg->limit_bytes > 0 ? (size_t)lg->limit_bytes : 0, NULL, &le) < 0) {
		/* a log the kubelet cannot give is a warning, not a failed source */
		hs_k8s_warn(run, le.msg);
		ret = 0;
		goto out;
	}
	hs_buf_addf(&name, "k8s/%s/logs/%s/%s%s.log", pns->name, pod, cname, previous ? ".previous" : "");
	if (hs_aw_add(run->c->aw, name.data, "k8s", body.data ? body.data : "", body.len, 0, e) < 0)
		goto out;
	run->n_logs++;
	hs_progress_add(run->c->progress, 1, body.len);
	ret = 0;
out:
	hs_buf_release(&q);
	hs_buf_release(&body);
	hs_buf_release(&name);
	return ret;
}

/* Pods (with status) and, when configured, their containers' logs. */
static int hs_k8s_pods(hs_k8s_run *run, const hs_profile_k8s_ns *pns, hs_error *e)
{
	json_t *items = NULL, *p;
	hs_buf name = HS_BUF_INIT;
	size_t i, j;
	int ret = -1;

	if (!pns->pods)
		return 0;
	if (hs_k8s_list_ns(run, pns->name, "", "v1", "pods", pns->pod_selector, &items, e) < 0)
		goto out;
	json_array_foreach(items, i, p) {
		const char *pn = hs_k8s_name(p);
		json_t *c;

		if (pns->logs.enabled) {
			json_array_foreach(json_object_get(json_object_get(p, "spec"), "containers"), j, c) {
				const char *cn = json_string_value(json_object_get(c, "name"));
				json_t *cs = cn ? hs_k8s_cstatus(p, cn) : NULL;
				json_t *st = json_object_get(cs, "state");
				json_t *last = json_object_get(json_object_get(cs, "lastState"), "terminated");

				/* a container that never started has no log */
				if (!cs || (!json_object_get(st, "running") && !json_object_get(st, "terminated") &&
					    !last))
					continue;
				if ((json_object_get(st, "running") || json_object_get(st, "terminated")) &&
				    hs_k8s_log(run, pns, pn, cn, false, e) < 0)
					goto out;
				if (pns->logs.previous && last && hs_k8s_log(run, pns, pn, cn, true, e) < 0)
					goto out;
			}
		}
		hs_buf_reset(&name);
		hs_buf_addf(&name, "k8s/%s/pods/%s.json", pns->name, pn);
		if (hs_k8s_put(run, name.data, p, true, false, e) < 0)
			goto out;
	}
	ret = 0;
out:
	hs_buf_release(&name);
	json_decref(items);
	return ret;
}

/* The namespace's events in one entry {"items": [...]}. */
static int hs_k8s_events(hs_k8s_run *run, const hs_profile_k8s_ns *pns, hs_error *e)
{
	json_t *items = NULL, *ev, *doc;
	hs_buf name = HS_BUF_INIT;
	size_t i;
	int ret = -1;

	if (!pns->events)
		return 0;
	if (hs_k8s_list_ns(run, pns->name, "", "v1", "events", NULL, &items, e) < 0)
		goto out;
	json_array_foreach(items, i, ev)
		json_object_del(json_object_get(ev, "metadata"), "managedFields");
	hs_buf_addf(&name, "k8s/%s/events.json", pns->name);
	doc = json_pack("{s:O}", "items", items);
	ret = hs_aw_add_json(run->c->aw, name.data, "k8s", doc, json_array_size(items), e);
	json_decref(doc);
	if (ret == 0)
		run->n_objects++;
out:
	hs_buf_release(&name);
	json_decref(items);
	return ret;
}

/*
 * The capture: per namespace, Deployments first (their current templates
 * say which ConfigMaps to keep), then ConfigMaps, HPAs, pods and logs,
 * events.  Any list failing (401, 403, unreachable) fails the source with
 * that error; a missing named object or an unavailable log makes it partial.
 */
static int hs_k8s_capture(hs_capture *c, hs_error *e)
{
	hs_k8s_run run;
	size_t i;
	int ret = -1;

	memset(&run, 0, sizeof(run));
	run.c = c;
	run.pk = c->profile->k8s;
	run.lists = json_object();
	run.objects = json_object();
	run.warnings = json_array();
	if (hs_k8s_client_new(&run.cl, run.pk->kubeconfig, run.pk->context, run.pk->timeout_ms, e) < 0)
		goto out;
	hs_info("k8s", "capturing %zu namespace(s) from context '%s' (%s)", run.pk->n_namespaces,
		run.cl->kc->context, run.cl->kc->server);
	for (i = 0; i < run.pk->n_namespaces; i++) {
		const hs_profile_k8s_ns *pns = &run.pk->namespaces[i];
		json_t *want = json_object();
		int rc;

		rc = hs_k8s_deployments(&run, pns, want, e);
		if (rc == 0)
			rc = hs_k8s_configmaps(&run, pns, want, e);
		json_decref(want);
		if (rc < 0 || hs_k8s_hpas(&run, pns, e) < 0 || hs_k8s_pods(&run, pns, e) < 0 ||
		    hs_k8s_events(&run, pns, e) < 0)
			goto out;
	}
	c->watermark = json_pack("{s:o, s:O}", "resourceVersion",
				 run.last_rv ? json_string(run.last_rv) : json_null(), "lists", run.lists);
	c->details = json_pack("{s:s, s:s, s:I, s:I, s:O}", "context", run.cl->kc->context, "server",
			       run.cl->kc->server, "objects", (json_int_t)run.n_objects, "logs",
			       (json_int_t)run.n_logs, "versions", run.objects);
	if (json_array_size(run.warnings)) {
		json_object_set(c->details, "warnings", run.warnings);
		snprintf(c->warning, sizeof(c->warning), "%zu object(s) or log(s) not captured, first: %s",
			 json_array_size(run.warnings), json_string_value(json_array_get(run.warnings, 0)));
	}
	hs_info("k8s", "captured %llu object(s) and %llu log(s) in %zu namespace(s)",
		(unsigned long long)run.n_objects, (unsigned long long)run.n_logs, run.pk->n_namespaces);
	ret = 0;
out:
	if (ret < 0 && run.cl)
		hs_err_prefix(e, "k8s context '%s'", run.cl->kc->context);
	hs_k8s_client_free(run.cl);
	json_decref(run.lists);
	json_decref(run.objects);
	json_decref(run.warnings);
	free(run.last_rv);
	return ret;
}

const hs_source_ops hs_source_k8s = {
	.name = "k8s",
	.configured = hs_k8s_configured,
	.capture = hs_k8s_capture,
	.restore_scan = hs_k8s_restore_scan,
	.restore_plan = hs_k8s_restore_plan,
	.restore_apply = hs_k8s_restore_apply,
	.restore_release = hs_k8s_restore_release,
	.entry_check = hs_k8s_entry_check,
};
