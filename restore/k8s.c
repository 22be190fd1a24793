/*
 * k8s.c (restore) - restore the archive's ConfigMaps.
 *
 * scan:  keep k8s/<ns>/configmaps/<name>.json as restore's verifying pass
 *        reads the archive (no connection).  The entry's path decides
 *        the target: an object naming another namespace, name or kind is
 *        exit 65 (src/sources/k8s/k8s_entry.c), before anything connects.
 *        --map-k8s-ns SRC=DST changes the target namespace (the plan says
 *        "mapped from"); the object written carries the target's
 *        namespace and name.
 * plan:  GET each of those ConfigMaps live and decide: create (absent),
 *        unchanged (same data), or replace.  A live object whose
 *        uid/resourceVersion differs from the one the manifest recorded at
 *        capture time "changed since the snapshot": the step shows a
 *        key-level diff and --execute refuses it without --force
 *        (HS_EXIT_PRECOND).  With --restart, every
 *        Deployment of the namespace whose live template references a
 *        ConfigMap to be created or replaced gets a restart step.
 * apply: POST (create), PUT with the resourceVersion seen at plan time
 *        (replace: a change between plan and apply is a 409 conflict, not
 *        an overwrite), then the restarts as a strategic merge patch of
 *        the kubectl.kubernetes.io/restartedAt annotation, like
 *        `kubectl rollout restart`.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "sources/k8s/k8s_common.h"
#include "log.h"
#include "source.h"

typedef struct hs_k8s_rstate {
	hs_k8s_client *cl;
	json_t *cms;     /* the archive's ConfigMaps: entry name -> object, in archive order */
	json_t *items;   /* [{ns, name, action, obj, live_rv}] */
	json_t *restarts; /* [{ns, name}] */
} hs_k8s_rstate;

static hs_k8s_rstate *hs_k8s_rstate_new(void)
{
	hs_k8s_rstate *st = hs_xcalloc(1, sizeof(*st));

	st->cms = json_object();
	st->items = json_array();
	st->restarts = json_array();
	return st;
}

/* A "<prefix>...json" entry name. */
static bool hs_k8s_json_under(const char *name, const char *prefix)
{
	size_t len = strlen(name);

	return !strncmp(name, prefix, strlen(prefix)) && len >= 5 && !strcmp(name + len - 5, ".json");
}

/*
 * The current entry of rd, parsed into *doc: 0; -1 when the reader failed
 * (its error, the archive's, in e); 1 when it is not JSON (exit 65 in e).
 */
static int hs_k8s_entry_json(hs_reader *rd, const char *name, const char *path, json_t **doc, hs_error *e)
{
	hs_buf b = HS_BUF_INIT;
	char chunk[65536];
	json_error_t je;
	ssize_t k;

	while ((k = hs_reader_read(rd, chunk, sizeof(chunk), e)) > 0)
		hs_buf_add(&b, chunk, (size_t)k);
	*doc = k < 0 ? NULL : json_loadb(b.data ? b.data : "", b.len, 0, &je);
	hs_buf_release(&b);
	if (k < 0)
		return -1;
	if (!*doc) {
		hs_err(e, HS_EXIT_DATA, "cannot read '%s' in '%s': not JSON: %s", name, path, je.text);
		return 1;
	}
	return 0;
}

/*
 * A ConfigMap entry k8s/<ns>/configmaps/<name>.json of rd, read and checked
 * as restore takes it: 1 with the object in *doc (the caller's); 0 when ent
 * is no ConfigMap entry (nothing read); -1 with e set (65 naming the entry,
 * or the reader's error).
 */
static int hs_k8s_cm_read(const char *archive, hs_reader *rd, const hs_reader_entry *ent, json_t **doc,
			  hs_error *e)
{
	char *ns = NULL, *name = NULL;
	int n;

	*doc = NULL;
	/* only k8s/<ns>/configmaps/<name>.json, and its object must agree with that path */
	n = hs_k8s_cm_entry(archive, ent->name, &ns, &name, e);
	if (n > 0 && (hs_k8s_entry_json(rd, ent->name, archive, doc, e) ||
		      hs_k8s_cm_object_check(archive, ent->name, *doc, ns, name, e))) {
		json_decref(*doc);
		*doc = NULL;
		n = -1;
	}
	free(ns);
	free(name);
	return n;
}

/*
 * The verifying pass of restore offers every entry (src/restore_scan.c):
 * the ConfigMaps (k8s/<ns>/configmaps/<name>.json) are kept as the archive
 * is verified, so the plan needs no pass of its own.  Nothing connects here.
 */
int hs_k8s_restore_scan(hs_restore *r, hs_reader *rd, const hs_reader_entry *ent, hs_error *e)
{
	hs_k8s_rstate *st = r->state;
	json_t *doc;
	int n;

	if (!st)
		r->state = st = hs_k8s_rstate_new();
	n = hs_k8s_cm_read(r->archive_path, rd, ent, &doc, e);
	if (n > 0)
		json_object_set_new(st->cms, ent->name, doc);
	return n < 0 ? -1 : 0;
}

/*
 * k8s/<ns>/deployments/<name>/revisions/<file>.json, the revision entries
 * rollback reads: true, with the namespace in [*ns, *ns + *nslen).
 */
static bool hs_k8s_revision_entry(const char *entry, const char **ns, size_t *nslen)
{
	const char *p = entry + 4, *dep, *rev;

	if (!hs_k8s_json_under(entry, "k8s/") || !(dep = strchr(p, '/')) || strncmp(dep, "/deployments/", 13))
		return false;
	rev = strchr(dep + 13, '/');
	if (!rev || rev == dep + 13 || strncmp(rev, "/revisions/", 11) || strchr(rev + 11, '/'))
		return false;
	*ns = p;
	*nslen = (size_t)(dep - p);
	return true;
}

/*
 * k8s/<ns>/{configmaps,deployments,hpa}/<name>.json: the objects diff
 * compares field by field (src/cmd_diff.c), which must be JSON objects.
 */
static bool hs_k8s_diff_object(const char *entry)
{
	static const char *const kinds[] = { "/configmaps/", "/deployments/", "/hpa/" };
	const char *p = strchr(entry + 4, '/');
	size_t i;

	if (!hs_k8s_json_under(entry, "k8s/") || !p)
		return false;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(p, kinds[i], strlen(kinds[i])) && !strchr(p + strlen(kinds[i]), '/'))
			return true;
	return false;
}

/*
 * `verify`: what restore, rollback and diff refuse of an entry under k8s/.
 * A ConfigMap is checked as restore's verifying pass checks it; a revision
 * as rollback does (hs_k8s_revision_check, with the namespace of its path,
 * which is rollback's --deployment NS); a Deployment or HPA must be a JSON
 * object (diff); any other .json entry JSON (rollback loads every one of
 * its namespace).  Logs and other files are not read.
 */
int hs_k8s_entry_check(const char *archive, hs_reader *rd, const hs_reader_entry *ent, hs_error *e)
{
	json_t *doc = NULL;
	const char *nsp;
	char *ns = NULL;
	size_t nslen;
	long rev;
	int n, ret = -1;

	if ((n = hs_k8s_cm_read(archive, rd, ent, &doc, e)) != 0) {
		json_decref(doc);
		return n < 0 ? -1 : 0;
	}
	if (!hs_k8s_json_under(ent->name, "k8s/"))
		return 0;
	if (hs_k8s_entry_json(rd, ent->name, archive, &doc, e))
		goto out;
	if (hs_k8s_revision_entry(ent->name, &nsp, &nslen)) {
		ns = hs_xstrndup(nsp, nslen);
		if (hs_k8s_revision_check(archive, ent->name, doc, ns, &rev, e))
			goto out;
	} else if (hs_k8s_diff_object(ent->name) && !json_is_object(doc)) {
		hs_err(e, HS_EXIT_DATA, "'%s' holds '%s', which is not a JSON object", archive, ent->name);
		goto out;
	}
	ret = 0;
out:
	json_decref(doc);
	free(ns);
	return ret;
}

/*
 * Verify the whole archive and, in the same pass, load every entry whose
 * name starts with prefix and ends in ".json" into *out (entry name ->
 * parsed JSON).  An entry that is not JSON is reported only once the rest
 * of the archive verified: a damaged archive's own error comes first.
 */
int hs_k8s_archive_load(const char *path, const char *prefix, json_t **out, hs_error *e)
{
	hs_reader *rd = NULL;
	hs_reader_entry ent;
	json_t *all = json_object(), *doc;
	hs_error bad;
	int n, ret = -1;

	*out = NULL;
	hs_error_init(&bad);
	if (hs_reader_open(&rd, path, e) < 0)
		goto out;
	while ((n = hs_reader_next(rd, &ent, e)) > 0) {
		if (bad.code || !hs_k8s_json_under(ent.name, prefix))
			continue;
		n = hs_k8s_entry_json(rd, ent.name, path, &doc, &bad);
		if (n < 0) {
			*e = bad;   /* the reader's error */
			goto out;
		}
		if (n == 0)
			json_object_set_new(all, ent.name, doc);
	}
	if (n < 0)
		goto out;
	if (bad.code) {
		*e = bad;
		goto out;
	}
	*out = all;
	all = NULL;
	ret = 0;
out:
	json_decref(all);
	hs_reader_free(rd);
	return ret;
}

/* Include/exclude globs (fnmatch) over "ns/name". */
static bool hs_k8s_rwanted(const hs_restore_opts *o, const char *nsname)
{
	size_t i;
	bool in = !o->include || !o->include[0];

	for (i = 0; o->include && o->include[i]; i++)
		if (!fnmatch(o->include[i], nsname, 0))
			in = true;
	for (i = 0; o->exclude && o->exclude[i]; i++)
		if (!fnmatch(o->exclude[i], nsname, 0))
			in = false;
	return in;
}

/* "data" and "binaryData" merged, for comparing. */
static json_t *hs_k8s_cm_keys(const json_t *cm)
{
	json_t *all = json_object();

	json_object_update(all, json_object_get(cm, "data"));
	json_object_update(all, json_object_get(cm, "binaryData"));
	return all;
}

/*
 * Key-level diff from live to archived: "+k" (only in the archive: the
 * restore adds it), "-k" (only live: removed), "~k" (value differs).
 * Returns the number of differing keys.
 */
size_t hs_k8s_cm_diff(const json_t *archived, const json_t *live, hs_buf *out)
{
	json_t *a = hs_k8s_cm_keys(archived), *l = hs_k8s_cm_keys(live), *v;
	const char *k;
	size_t n = 0;

	json_object_foreach(a, k, v) {
		json_t *lv = json_object_get(l, k);

		if (!lv || !json_equal(lv, v)) {
			hs_buf_addf(out, "%s%c%s", n++ ? " " : "", lv ? '~' : '+', k);
		}
	}
	json_object_foreach(l, k, v) {
		if (!json_object_get(a, k))
			hs_buf_addf(out, "%s-%s", n++ ? " " : "", k);
	}
	json_decref(a);
	json_decref(l);
	return n;
}

static void hs_k8s_step(json_t *steps, const char *target, const char *action, const char *detail)
{
	json_array_append_new(steps, json_pack("{s:s, s:s, s:s}", "target", target, "action", action, "detail",
					       detail ? detail : ""));
}

/* Deployments of ns whose live template references one of names (an object used as a set). */
static int hs_k8s_plan_restarts(hs_k8s_rstate *st, const char *ns, const json_t *names, json_t *steps,
				hs_error *e)
{
	hs_k8s_req rq = { "list", "apps", "v1", "deployments", ns, NULL, NULL, NULL };
	json_t *deps = NULL, *d;
	char *rv = NULL;
	size_t i, j;

	if (hs_k8s_list(st->cl, &rq, &deps, &rv, e) < 0)
		return -1;
	json_array_foreach(deps, i, d) {
		json_t *cms = hs_k8s_template_configmaps(json_object_get(d, "spec"));
		json_t *cm;
		hs_buf uses = HS_BUF_INIT, target = HS_BUF_INIT;

		json_array_foreach(cms, j, cm)
			if (json_object_get(names, json_string_value(cm)))
				hs_buf_addf(&uses, "%s%s", uses.len ? ", " : "", json_string_value(cm));
		if (uses.len) {
			const char *dn = json_string_value(json_object_get(json_object_get(d, "metadata"), "name"));

			hs_buf_addf(&target, "%s/deployment/%s", ns, dn);
			hs_buf_adds(&uses, " changed: rollout restart (restartedAt annotation)");
			hs_k8s_step(steps, target.data, "restart", uses.data);
			json_array_append_new(st->restarts, json_pack("{s:s, s:s}", "ns", ns, "name", dn));
		}
		hs_buf_release(&uses);
		hs_buf_release(&target);
		json_decref(cms);
	}
	json_decref(deps);
	free(rv);
	return 0;
}

/* What the plan collects across ConfigMaps. */
typedef struct hs_k8s_pstate {
	json_t *steps;
	json_t *changed;    /* target ns -> {name: true} of the ConfigMaps to create or replace */
	hs_buf conflicts;
	size_t n_conflicts;
} hs_k8s_pstate;

/*
 * Plan one archived ConfigMap.  The entry's path decides the target (the
 * scan checked that the object agrees with it), --map-k8s-ns its
 * namespace; the object written is given the target's namespace and name.
 */
static int hs_k8s_plan_one(hs_restore *r, hs_k8s_rstate *st, hs_k8s_pstate *ps, const char *entry,
			   const json_t *doc, const json_t *rec, hs_error *e)
{
	char *sns = NULL, *name = NULL;
	const char *ns, *action;
	json_t *live = NULL, *lmeta;
	hs_k8s_req rq = { "get", "", "v1", "configmaps", NULL, NULL, NULL, NULL };
	hs_buf target = HS_BUF_INIT, diff = HS_BUF_INIT, detail = HS_BUF_INIT, from = HS_BUF_INIT;
	hs_error ge;
	long status = 0;
	int ret = -1;

	if (hs_k8s_cm_entry(r->archive_path, entry, &sns, &name, e) != 1)
		goto out;
	ns = hs_k8s_ns_map(r->opts->map_k8s_ns, sns);
	rq.ns = ns;
	rq.name = name;
	hs_buf_addf(&target, "%s/configmap/%s", ns, name);
	hs_buf_addf(&from, "%s/configmap/%s", sns, name);
	hs_buf_addf(&diff, "%s/%s", sns, name);
	if (!hs_k8s_rwanted(r->opts, diff.data)) {
		ret = 0;
		goto out;
	}
	if (strcmp(ns, sns))
		hs_buf_addf(&detail, "mapped from %s (--map-k8s-ns): ", from.data);
	hs_buf_reset(&diff);
	hs_error_init(&ge);
	if (hs_k8s_call(st->cl, &rq, "GET", NULL, NULL, &live, NULL, 0, &status, &ge) < 0 && status != 404) {
		*e = ge;
		goto out;
	}
	lmeta = json_object_get(live, "metadata");
	if (!live) {
		action = "create";
		hs_buf_adds(&detail, "absent: create from the archive");
	} else if (!hs_k8s_cm_diff(doc, live, &diff)) {
		action = "unchanged";
		hs_buf_adds(&detail, "live data equals the archive");
	} else {
		const char *ruid = json_string_value(json_object_get(rec, "uid"));
		const char *rrv = json_string_value(json_object_get(rec, "resourceVersion"));
		const char *luid = json_string_value(json_object_get(lmeta, "uid"));
		const char *lrv = json_string_value(json_object_get(lmeta, "resourceVersion"));
		bool moved = !ruid || !rrv || !luid || !lrv || strcmp(ruid, luid) || strcmp(rrv, lrv);

		if (moved && !r->opts->force) {
			action = "conflict";
			hs_buf_addf(&detail, "changed since the snapshot (resourceVersion %s, was %s): %s; "
				    "--force to replace", lrv ? lrv : "?", rrv ? rrv : "?", diff.data);
			hs_buf_addf(&ps->conflicts, "%s%s", ps->n_conflicts++ ? ", " : "", target.data);
		} else {
			action = "replace";
			hs_buf_addf(&detail, "%s%s", moved ? "changed since the snapshot, forced: " : "", diff.data);
		}
	}
	hs_k8s_step(ps->steps, target.data, action, detail.data);
	if (strcmp(ns, sns))
		json_object_set_new(json_array_get(ps->steps, json_array_size(ps->steps) - 1), "source",
				    json_string(from.data));
	if (strcmp(action, "unchanged")) {
		json_t *obj = json_deep_copy(doc);

		hs_k8s_strip(obj, false);
		hs_k8s_set_target(obj, ns, name);
		json_array_append_new(st->items, json_pack("{s:s, s:s, s:s, s:o, s:O?}", "ns", ns, "name", name,
							   "action", action, "obj", obj, "live_rv",
							   json_object_get(lmeta, "resourceVersion")));
		if (strcmp(action, "conflict")) {
			json_t *set = json_object_get(ps->changed, ns);

			if (!set) {
				set = json_object();
				json_object_set_new(ps->changed, ns, set);
			}
			json_object_set_new(set, name, json_true());
		}
	}
	ret = 0;
out:
	json_decref(live);
	hs_buf_release(&target);
	hs_buf_release(&diff);
	hs_buf_release(&detail);
	hs_buf_release(&from);
	free(sns);
	free(name);
	return ret;
}

/*
 * Before connecting: no two selected ConfigMaps may land on one target
 * (--map-k8s-ns SRC=DST with DST also in the archive): exit 64.
 */
static int hs_k8s_plan_targets(hs_restore *r, const hs_k8s_rstate *st, hs_error *e)
{
	json_t *targets = json_object(), *doc;
	hs_buf t = HS_BUF_INIT, from = HS_BUF_INIT;
	const char *entry;
	int ret = -1;

	json_object_foreach(st->cms, entry, doc) {
		char *sns = NULL, *name = NULL;
		const json_t *seen;

		if (hs_k8s_cm_entry(r->archive_path, entry, &sns, &name, e) != 1)
			goto out;
		hs_buf_reset(&t);
		hs_buf_reset(&from);
		hs_buf_addf(&from, "%s/%s", sns, name);
		if (hs_k8s_rwanted(r->opts, from.data)) {
			hs_buf_reset(&from);
			hs_buf_addf(&from, "%s/configmap/%s", sns, name);
			hs_buf_addf(&t, "%s/configmap/%s", hs_k8s_ns_map(r->opts->map_k8s_ns, sns), name);
			seen = json_object_get(targets, t.data);
			if (seen) {
				hs_err(e, HS_EXIT_USAGE, "restore: --map-k8s-ns would restore both '%s' and '%s' into "
				       "'%s'", json_string_value(seen), from.data, t.data);
				free(sns);
				free(name);
				goto out;
			}
			json_object_set_new(targets, t.data, json_string(from.data));
		}
		free(sns);
		free(name);
	}
	ret = 0;
out:
	json_decref(targets);
	hs_buf_release(&t);
	hs_buf_release(&from);
	return ret;
}

/* The plan: see the comment at the top. */
int hs_k8s_restore_plan(hs_restore *r, hs_error *e)
{
	const hs_profile_k8s *pk = r->profile ? r->profile->k8s : NULL;
	const char *ctx = r->opts->to_context ? r->opts->to_context : pk ? pk->context : NULL;
	hs_k8s_rstate *st = r->state;   /* made by hs_k8s_restore_scan, with the ConfigMaps */
	json_t *versions = json_object_get(json_object_get(json_object_get(json_object_get(r->manifest, "sources"),
									    "k8s"), "details"), "versions");
	hs_k8s_pstate ps = { json_array(), json_object(), HS_BUF_INIT, 0 };
	const char *entry;
	json_t *doc;
	int ret = -1;

	if (!st)   /* the scan saw no entry */
		r->state = st = hs_k8s_rstate_new();
	if (hs_k8s_plan_targets(r, st, e) < 0 ||
	    hs_k8s_client_new(&st->cl, pk ? pk->kubeconfig : NULL, ctx, pk ? pk->timeout_ms : 0, e) < 0)
		goto out;
	json_object_foreach(st->cms, entry, doc)
		if (hs_k8s_plan_one(r, st, &ps, entry, doc, json_object_get(versions, entry), e) < 0)
			goto out;
	if (r->opts->restart) {
		const char *ns;
		json_t *set;

		json_object_foreach(ps.changed, ns, set)
			if (hs_k8s_plan_restarts(st, ns, set, ps.steps, e) < 0)
				goto out;
	}
	if (ps.n_conflicts && r->opts->execute) {
		hs_err(e, HS_EXIT_PRECOND, "%zu configmap(s) changed since the snapshot (%s): --force to replace them",
		       ps.n_conflicts, ps.conflicts.data);
		goto out;
	}
	r->plan = ps.steps;
	ps.steps = NULL;
	ret = 0;
out:
	json_decref(ps.steps);
	json_decref(ps.changed);
	hs_buf_release(&ps.conflicts);
	return ret;
}

/* restartedAt as kubectl writes it: RFC 3339 in UTC. */
static void hs_k8s_now(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * After a failed call: the rest of the plan, from item `from` of the
 * ConfigMaps (SIZE_MAX: none left) and `rfrom` of the restarts, as
 * "not-applied" steps, so the report says what was not done.
 */
static void hs_k8s_not_applied(json_t *res, const hs_k8s_rstate *st, size_t from, size_t rfrom)
{
	hs_buf target = HS_BUF_INIT;
	json_t *it;
	size_t i;

	json_array_foreach(st->items, i, it) {
		if (i < from || !strcmp(json_string_value(json_object_get(it, "action")), "conflict"))
			continue;
		hs_buf_reset(&target);
		hs_buf_addf(&target, "%s/configmap/%s", json_string_value(json_object_get(it, "ns")),
			    json_string_value(json_object_get(it, "name")));
		hs_k8s_step(res, target.data, "not-applied", "stopped before");
	}
	json_array_foreach(st->restarts, i, it) {
		if (i < rfrom)
			continue;
		hs_buf_reset(&target);
		hs_buf_addf(&target, "%s/deployment/%s", json_string_value(json_object_get(it, "ns")),
			    json_string_value(json_object_get(it, "name")));
		hs_k8s_step(res, target.data, "not-applied", "stopped before");
	}
	hs_buf_release(&target);
}

/*
 * Carry the plan out (see the comment at the top).  After a failed call
 * the result holds what was done, a "failed" step with the error for the
 * object that failed, and "not-applied" for the rest.
 */
int hs_k8s_restore_apply(hs_restore *r, hs_error *e)
{
	hs_k8s_rstate *st = r->state;
	json_t *res = json_array(), *it;
	hs_buf target = HS_BUF_INIT;
	char now[32];
	size_t i;
	int ret = -1;

	r->result = res;
	json_array_foreach(st->items, i, it) {
		const char *ns = json_string_value(json_object_get(it, "ns"));
		const char *name = json_string_value(json_object_get(it, "name"));
		const char *action = json_string_value(json_object_get(it, "action"));
		json_t *obj = json_object_get(it, "obj");
		hs_k8s_req rq = { "create", "", "v1", "configmaps", ns, NULL, NULL, NULL };
		char *body;
		int rc;

		if (!strcmp(action, "conflict"))
			continue; /* only reachable without --execute */
		if (!strcmp(action, "replace")) {
			rq.verb = "update";
			rq.name = name;
			json_object_set(json_object_get(obj, "metadata"), "resourceVersion", json_object_get(it, "live_rv"));
		}
		body = json_dumps(obj, JSON_COMPACT);
		rc = hs_k8s_call(st->cl, &rq, rq.name ? "PUT" : "POST", "application/json", body, NULL, NULL, 0, NULL, e);
		free(body);
		hs_buf_reset(&target);
		hs_buf_addf(&target, "%s/configmap/%s", ns, name);
		if (rc < 0) {
			hs_k8s_step(res, target.data, "failed", e->msg);
			hs_k8s_not_applied(res, st, i + 1, 0);
			goto out;
		}
		hs_k8s_step(res, target.data, !strcmp(action, "replace") ? "replaced" : "created", "");
		hs_progress_add(r->progress, 1, 0);
	}
	hs_k8s_now(now, sizeof(now));
	json_array_foreach(st->restarts, i, it) {
		const char *ns = json_string_value(json_object_get(it, "ns"));
		const char *name = json_string_value(json_object_get(it, "name"));
		hs_k8s_req rq = { "patch", "apps", "v1", "deployments", ns, name, NULL, NULL };
		json_t *patch = json_pack("{s:{s:{s:{s:{s:s}}}}}", "spec", "template", "metadata", "annotations",
					  "kubectl.kubernetes.io/restartedAt", now);
		char *body = json_dumps(patch, JSON_COMPACT);
		int rc = hs_k8s_call(st->cl, &rq, "PATCH", "application/strategic-merge-patch+json", body, NULL, NULL,
				     0, NULL, e);

		free(body);
		json_decref(patch);
		hs_buf_reset(&target);
		hs_buf_addf(&target, "%s/deployment/%s", ns, name);
		if (rc < 0) {
			hs_k8s_step(res, target.data, "failed", e->msg);
			hs_k8s_not_applied(res, st, SIZE_MAX, i + 1);
			goto out;
		}
		hs_k8s_step(res, target.data, "restarted", now);
	}
	ret = 0;
out:
	hs_buf_release(&target);
	return ret;
}

void hs_k8s_restore_release(hs_restore *r)
{
	hs_k8s_rstate *st = r ? r->state : NULL;

	if (!st)
		return;
	hs_k8s_client_free(st->cl);
	json_decref(st->cms);
	json_decref(st->items);
	json_decref(st->restarts);
	free(st);
	r->state = NULL;
}

