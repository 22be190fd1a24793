/*
 * diff_k8s.c - the field-level diff of two Kubernetes object entries.
 *
 *  - k8s/<ns>/configmaps/<name>.json: data and binaryData key by key
 *    (added, removed, changed), with a unified diff of a changed value;
 *  - all three: the leaves of metadata.labels and metadata.annotations;
 *  - k8s/<ns>/deployments/<name>.json and k8s/<ns>/hpa/<name>.json: the
 *    leaves of spec that differ,
 *    named by path ("spec.template.spec.containers[api].image").  Arrays of
 *    objects that all have a "name" (containers, env, volumes, ports) are
 *    matched by name, so one env var more is one added item, not a changed
 *    list; other arrays are compared whole.  Of an HPA's status only
 *    currentReplicas and desiredReplicas are compared (current metric
 *    values move at every capture).
 *
 * Deployments and HPAs also get a one-line "what" in operator terms:
 * `api: image a:1 → a:2; replicas 3 → 5`, `minReplicas 2 → 3; cpu target
 * 70% → 80%; desired replicas 2 → 4` (see hs_kdf_deploy_what and
 * hs_kdf_hpa_what).  Revisions are compared by number in cmd_diff.c.
 *
 * Objects are small (a ConfigMap is at most 1 MiB), so both are loaded.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diff.h"

/* Count a change and, with details and room left, keep its item (stolen). */
static void hs_kdf_item(json_t *out, const hs_diff_opts *opts, const char *change, json_t *it)
{
	json_t *items = json_object_get(out, "items");

	json_object_set_new(out, change, json_integer(json_integer_value(json_object_get(out, change)) + 1));
	if (!opts->details || json_array_size(items) >= opts->limit) {
		json_decref(it);
		return;
	}
	json_object_set_new(it, "change", json_string(change));
	json_array_append_new(items, it);
}

/* Split s into lines (without their '\n'): offsets and lengths, *n lines. */
static size_t hs_kdf_lines(const char *s, size_t len, size_t **off, size_t **ln)
{
	size_t n = 0, i, start = 0;

	*off = hs_xmalloc((len + 2) * sizeof(size_t));
	*ln = hs_xmalloc((len + 2) * sizeof(size_t));
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '\n') {
			if (i == len && start == len && n)
				break;
			(*off)[n] = start;
			(*ln)[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

/*
 * A unified diff of two texts with one hunk: the lines between the common
 * leading and trailing lines, which are shown as context (up to 3).  Not
 * minimal, but exact: applying it to a gives b.
 */
static char *hs_kdf_unified(const char *a, size_t la, const char *b, size_t lb)
{
	size_t *oa = NULL, *na = NULL, *ob = NULL, *nb = NULL, ca, cb, pre = 0, suf = 0, i, from, to_a, to_b;
	hs_buf out = HS_BUF_INIT;

	ca = hs_kdf_lines(a, la, &oa, &na);
	cb = hs_kdf_lines(b, lb, &ob, &nb);
	while (pre < ca && pre < cb && na[pre] == nb[pre] && !memcmp(a + oa[pre], b + ob[pre], na[pre]))
		pre++;
	while (suf < ca - pre && suf < cb - pre && na[ca - 1 - suf] == nb[cb - 1 - suf] &&
	       !memcmp(a + oa[ca - 1 - suf], b + ob[cb - 1 - suf], na[ca - 1 - suf]))
		suf++;
	from = pre > 3 ? pre - 3 : 0;
	to_a = ca - suf + (suf > 3 ? 3 : suf);
	to_b = cb - suf + (suf > 3 ? 3 : suf);
	hs_buf_addf(&out, "@@ -%zu,%zu +%zu,%zu @@\n", from + 1, to_a - from, from + 1, to_b - from);
	for (i = from; i < pre; i++)
		hs_buf_addf(&out, " %.*s\n", (int)na[i], a + oa[i]);
	for (i = pre; i < ca - suf; i++)
		hs_buf_addf(&out, "-%.*s\n", (int)na[i], a + oa[i]);
	for (i = pre; i < cb - suf; i++)
		hs_buf_addf(&out, "+%.*s\n", (int)nb[i], b + ob[i]);
	for (i = ca - suf; i < to_a; i++)
		hs_buf_addf(&out, " %.*s\n", (int)na[i], a + oa[i]);
	free(oa);
	free(na);
	free(ob);
	free(nb);
	return hs_buf_detach(&out, NULL);
}

/* ConfigMaps: data and binaryData key by key. */
static void hs_kdf_configmap(const json_t *da, const json_t *db, const hs_diff_opts *opts, json_t *out)
{
	static const char *const maps[] = { "data", "binaryData" };
	size_t m;

	for (m = 0; m < 2; m++) {
		const json_t *xa = json_object_get(da, maps[m]), *xb = json_object_get(db, maps[m]), *v;
		const char *k;
		hs_buf path = HS_BUF_INIT;

		json_object_foreach((json_t *)xa, k, v) {
			const json_t *w = json_object_get(xb, k);

			hs_buf_reset(&path);
			hs_buf_addf(&path, "%s.%s", maps[m], k);
			if (!w) {
				hs_kdf_item(out, opts, "removed", json_pack("{s:s}", "key", path.data));
			} else if (!json_equal(v, w)) {
				json_t *it = json_pack("{s:s}", "key", path.data);

				if (json_is_string(v) && json_is_string(w) && m == 0) {
					char *u = hs_kdf_unified(json_string_value(v), json_string_length(v),
								 json_string_value(w), json_string_length(w));

					json_object_set_new(it, "diff", json_string(u));
					free(u);
				}
				hs_kdf_item(out, opts, "changed", it);
			}
		}
		json_object_foreach((json_t *)xb, k, v) {
			if (json_object_get(xa, k))
				continue;
			hs_buf_reset(&path);
			hs_buf_addf(&path, "%s.%s", maps[m], k);
			hs_kdf_item(out, opts, "added", json_pack("{s:s}", "key", path.data));
		}
		hs_buf_release(&path);
	}
}

/* True for an array whose elements are all objects with a string "name". */
static bool hs_kdf_named(const json_t *arr)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(arr) || !json_array_size(arr))
		return false;
	json_array_foreach(arr, i, v)
		if (!json_is_string(json_object_get(v, "name")))
			return false;
	return true;
}

/* The element of a named array with that name, or NULL. */
static const json_t *hs_kdf_by_name(const json_t *arr, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (!strcmp(json_string_value(json_object_get(v, "name")), name))
			return v;
	return NULL;
}

/* See diff.h. */
void hs_diff_json_walk(const json_t *x, const json_t *y, const char *path, const hs_diff_opts *opts,
			json_t *out)
{
	hs_buf sub = HS_BUF_INIT;
	const json_t *v;
	const char *k;
	size_t i;

	if ((!x && !y) || (x && y && json_equal(x, y)))
		return;
	if (!x || !y) {
		json_t *it = json_pack("{s:s}", "key", path);

		json_object_set(it, x ? "from" : "to", (json_t *)(x ? x : y));
		hs_kdf_item(out, opts, x ? "removed" : "added", it);
		return;
	}
	if (json_is_object(x) && json_is_object(y)) {
		json_object_foreach((json_t *)x, k, v) {
			hs_buf_reset(&sub);
			hs_buf_addf(&sub, "%s%s%s", path, *path ? "." : "", k);
			hs_diff_json_walk(v, json_object_get(y, k), sub.data, opts, out);
		}
		json_object_foreach((json_t *)y, k, v) {
			if (json_object_get(x, k))
				continue;
			hs_buf_reset(&sub);
			hs_buf_addf(&sub, "%s%s%s", path, *path ? "." : "", k);
			hs_diff_json_walk(NULL, v, sub.data, opts, out);
		}
	} else if (hs_kdf_named(x) && hs_kdf_named(y)) {
		json_array_foreach(x, i, v) {
			const char *n = json_string_value(json_object_get(v, "name"));

			hs_buf_reset(&sub);
			hs_buf_addf(&sub, "%s[%s]", path, n);
			hs_diff_json_walk(v, hs_kdf_by_name(y, n), sub.data, opts, out);
		}
		json_array_foreach(y, i, v) {
			const char *n = json_string_value(json_object_get(v, "name"));

			if (hs_kdf_by_name(x, n))
				continue;
			hs_buf_reset(&sub);
			hs_buf_addf(&sub, "%s[%s]", path, n);
			hs_diff_json_walk(NULL, v, sub.data, opts, out);
		}
	} else {
		hs_kdf_item(out, opts, "changed",
			    json_pack("{s:s, s:O, s:O}", "key", path, "from", x, "to", y));
	}
	hs_buf_release(&sub);
}

/* Append one "; "-separated part to the "what" line. */
static void hs_kdf_what(hs_buf *w, const char *fmt, ...) HS_PRINTF(2, 3);
static void hs_kdf_what(hs_buf *w, const char *fmt, ...)
{
	va_list ap;

	if (w->len)
		hs_buf_adds(w, "; ");
	va_start(ap, fmt);
	hs_buf_vaddf(w, fmt, ap);
	va_end(ap);
}

/* A value for the "what" line: strings bare, absent as "none", others as compact JSON. */
static char *hs_kdf_str(const json_t *v)
{
	if (!v)
		return hs_xstrdup("none");
	if (json_is_string(v))
		return hs_xstrdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* "<label>X → Y" when a and b differ. */
static void hs_kdf_what_change(hs_buf *w, const char *label, const json_t *a, const json_t *b)
{
	char *x, *y;

	if ((!a && !b) || (a && b && json_equal(a, b)))
		return;
	x = hs_kdf_str(a);
	y = hs_kdf_str(b);
	hs_kdf_what(w, "%s%s \u2192 %s", label, x, y);
	free(x);
	free(y);
}

/* The element of arr whose "name" is name (elements without one skipped), or NULL. */
static const json_t *hs_kdf_named_get(const json_t *arr, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));

		if (n && !strcmp(n, name))
			return v;
	}
	return NULL;
}

/* "c: env +A -B ~C": env vars of one container added, removed, changed, by name. */
static void hs_kdf_env_what(hs_buf *w, const char *cname, const json_t *ea, const json_t *eb)
{
	hs_buf l = HS_BUF_INIT;
	const json_t *v;
	size_t i;

	json_array_foreach(eb, i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));
		const json_t *o = n ? hs_kdf_named_get(ea, n) : NULL;

		if (n && !o)
			hs_buf_addf(&l, " +%s", n);
		else if (n && !json_equal(o, v))
			hs_buf_addf(&l, " ~%s", n);
	}
	json_array_foreach(ea, i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));

		if (n && !hs_kdf_named_get(eb, n))
			hs_buf_addf(&l, " -%s", n);
	}
	if (l.len)
		hs_kdf_what(w, "%s: env%s", cname, l.data);
	hs_buf_release(&l);
}

/* "c: requests.cpu 100m → 200m" for each resources value of a container that differs. */
static void hs_kdf_resources_what(hs_buf *w, const char *cname, const json_t *ra, const json_t *rb)
{
	static const char *const kinds[] = { "requests", "limits" };
	hs_buf label = HS_BUF_INIT;
	const json_t *v;
	const char *k;
	size_t i;

	for (i = 0; i < 2; i++) {
		const json_t *xa = json_object_get(ra, kinds[i]), *xb = json_object_get(rb, kinds[i]);

		json_object_foreach((json_t *)xa, k, v) {
			hs_buf_reset(&label);
			hs_buf_addf(&label, "%s: %s.%s ", cname, kinds[i], k);
			hs_kdf_what_change(w, label.data, v, json_object_get(xb, k));
		}
		json_object_foreach((json_t *)xb, k, v) {
			if (json_object_get(xa, k))
				continue;
			hs_buf_reset(&label);
			hs_buf_addf(&label, "%s: %s.%s ", cname, kinds[i], k);
			hs_kdf_what_change(w, label.data, NULL, v);
		}
	}
	hs_buf_release(&label);
}

/*
 * A Deployment in operator terms: replicas, and per container (and init
 * container) by name: added/removed, image, env, envFrom, resources.
 */
static void hs_kdf_deploy_what(const json_t *da, const json_t *db, hs_buf *w)
{
	static const char *const lists[] = { "initContainers", "containers" };
	const json_t *sa = json_object_get(da, "spec"), *sb = json_object_get(db, "spec");
	const json_t *pa = json_object_get(json_object_get(sa, "template"), "spec");
	const json_t *pb = json_object_get(json_object_get(sb, "template"), "spec");
	const json_t *c;
	hs_buf label = HS_BUF_INIT;
	size_t l, i;

	for (l = 0; l < 2; l++) {
		const json_t *ca = json_object_get(pa, lists[l]), *cb = json_object_get(pb, lists[l]);

		json_array_foreach(ca, i, c) {
			const char *n = json_string_value(json_object_get(c, "name"));
			const json_t *d = n ? hs_kdf_named_get(cb, n) : NULL;

			if (!n)
				continue;
			if (!d) {
				hs_kdf_what(w, "%s %s removed", l ? "container" : "init container", n);
				continue;
			}
			hs_buf_reset(&label);
			hs_buf_addf(&label, "%s: image ", n);
			hs_kdf_what_change(w, label.data, json_object_get(c, "image"), json_object_get(d, "image"));
			hs_kdf_env_what(w, n, json_object_get(c, "env"), json_object_get(d, "env"));
			if (!json_equal(json_object_get(c, "envFrom") ? json_object_get(c, "envFrom") : json_null(),
					json_object_get(d, "envFrom") ? json_object_get(d, "envFrom") : json_null()))
				hs_kdf_what(w, "%s: envFrom changed", n);
			hs_kdf_resources_what(w, n, json_object_get(c, "resources"), json_object_get(d, "resources"));
		}
		json_array_foreach(cb, i, c) {
			const char *n = json_string_value(json_object_get(c, "name"));
			char *img;

			if (!n || hs_kdf_named_get(ca, n))
				continue;
			img = hs_kdf_str(json_object_get(c, "image"));
			hs_kdf_what(w, "%s %s added (image %s)", l ? "container" : "init container", n, img);
			free(img);
		}
	}
	hs_kdf_what_change(w, "replicas ", json_object_get(sa, "replicas"), json_object_get(sb, "replicas"));
	hs_buf_release(&label);
}

/*
 * An HPA metric's identity ("cpu", "pods/requests_per_second", ...) and
 * its target ("70%", "500m", ...); caller frees both.
 */
static void hs_kdf_metric(const json_t *m, char **id, char **target)
{
	static const char *const kinds[] = { "resource", "containerResource", "pods", "object", "external" };
	const char *type = json_string_value(json_object_get(m, "type"));
	const json_t *body = NULL, *t;
	hs_buf b = HS_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !body; i++)
		body = json_object_get(m, kinds[i]);
	if (json_object_get(body, "name"))
		hs_buf_adds(&b, json_string_value(json_object_get(body, "name")) ?
					json_string_value(json_object_get(body, "name")) : "?");
	else
		hs_buf_addf(&b, "%s/%s", type ? type : "?",
			    json_string_value(json_object_get(json_object_get(body, "metric"), "name")) ?
				    json_string_value(json_object_get(json_object_get(body, "metric"), "name")) : "?");
	if (json_is_string(json_object_get(body, "container")))
		hs_buf_addf(&b, "[%s]", json_string_value(json_object_get(body, "container")));
	*id = hs_buf_detach(&b, NULL);
	t = json_object_get(body, "target");
	if (json_is_integer(json_object_get(t, "averageUtilization"))) {
		hs_buf_addf(&b, "%" JSON_INTEGER_FORMAT "%%", json_integer_value(json_object_get(t, "averageUtilization")));
		*target = hs_buf_detach(&b, NULL);
	} else if (json_object_get(t, "averageValue")) {
		*target = hs_kdf_str(json_object_get(t, "averageValue"));
	} else if (json_object_get(t, "value")) {
		*target = hs_kdf_str(json_object_get(t, "value"));
	} else {
		*target = hs_kdf_str(t);
	}
	hs_buf_release(&b);
}

/* The metric of arr with this identity, its target in *target (caller frees); NULL if none. */
static const json_t *hs_kdf_metric_find(const json_t *arr, const char *id, char **target)
{
	const json_t *m;
	size_t i;

	json_array_foreach(arr, i, m) {
		char *mid, *t;

		hs_kdf_metric(m, &mid, &t);
		if (!strcmp(mid, id)) {
			free(mid);
			*target = t;
			return m;
		}
		free(mid);
		free(t);
	}
	return NULL;
}

/*
 * An HPA in operator terms: min/max replicas, each metric's target (by
 * metric identity), status current/desired replicas when captured.
 */
static void hs_kdf_hpa_what(const json_t *da, const json_t *db, hs_buf *w)
{
	const json_t *sa = json_object_get(da, "spec"), *sb = json_object_get(db, "spec");
	const json_t *ma = json_object_get(sa, "metrics"), *mb = json_object_get(sb, "metrics"), *m;
	const json_t *sta = json_object_get(da, "status"), *stb = json_object_get(db, "status");
	size_t i;

	hs_kdf_what_change(w, "minReplicas ", json_object_get(sa, "minReplicas"), json_object_get(sb, "minReplicas"));
	hs_kdf_what_change(w, "maxReplicas ", json_object_get(sa, "maxReplicas"), json_object_get(sb, "maxReplicas"));
	json_array_foreach(ma, i, m) {
		char *id, *ta, *tb = NULL;

		hs_kdf_metric(m, &id, &ta);
		if (!hs_kdf_metric_find(mb, id, &tb))
			hs_kdf_what(w, "%s target %s removed", id, ta);
		else if (strcmp(ta, tb))
			hs_kdf_what(w, "%s target %s \u2192 %s", id, ta, tb);
		free(id);
		free(ta);
		free(tb);
	}
	json_array_foreach(mb, i, m) {
		char *id, *tb, *ta = NULL;

		hs_kdf_metric(m, &id, &tb);
		if (!hs_kdf_metric_find(ma, id, &ta))
			hs_kdf_what(w, "%s target %s added", id, tb);
		free(id);
		free(ta);
		free(tb);
	}
	hs_kdf_what_change(w, "current replicas ", json_object_get(sta, "currentReplicas"),
			   json_object_get(stb, "currentReplicas"));
	hs_kdf_what_change(w, "desired replicas ", json_object_get(sta, "desiredReplicas"),
			   json_object_get(stb, "desiredReplicas"));
}

/* Load an object; HS_EXIT_DATA when it is not one. */
static json_t *hs_kdf_load(FILE *f, const char *name, const char *which, hs_error *e)
{
	json_error_t jerr;
	json_t *doc = json_loadf(f, 0, &jerr);

	if (!json_is_object(doc)) {
		json_decref(doc);
		hs_err(e, HS_EXIT_DATA, "cannot diff '%s' of %s: not a Kubernetes object", name, which);
		return NULL;
	}
	return doc;
}

/* See diff.h. */
int hs_diff_k8s(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts, json_t *out,
		hs_error *e)
{
	static const char *const parts[] = { "metadata.labels", "metadata.annotations", "spec" };
	static const char *const hpa_status[] = { "currentReplicas", "desiredReplicas" };
	json_t *da = NULL, *db = NULL;
	hs_buf what = HS_BUF_INIT;
	size_t i;
	int rc = -1;

	json_object_set_new(out, "added", json_integer(0));
	json_object_set_new(out, "removed", json_integer(0));
	json_object_set_new(out, "changed", json_integer(0));
	json_object_set_new(out, "items", json_array());
	if (!(da = hs_kdf_load(a, name, "A", e)) || !(db = hs_kdf_load(b, name, "B", e)))
		goto out;
	if (strstr(name, "/configmaps/"))
		hs_kdf_configmap(da, db, opts, out);
	/* a ConfigMap has no spec: only its labels and annotations are walked */
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const json_t *x = da, *y = db;
		const char *p = parts[i], *dot = strchr(p, '.');

		if (dot) {
			x = json_object_get(x, "metadata");
			y = json_object_get(y, "metadata");
			p = dot + 1;
		}
		hs_diff_json_walk(json_object_get(x, p), json_object_get(y, p), parts[i], opts, out);
	}
	if (strstr(name, "/hpa/")) {
		hs_buf path = HS_BUF_INIT;

		for (i = 0; i < 2; i++) {
			hs_buf_reset(&path);
			hs_buf_addf(&path, "status.%s", hpa_status[i]);
			hs_diff_json_walk(json_object_get(json_object_get(da, "status"), hpa_status[i]),
					  json_object_get(json_object_get(db, "status"), hpa_status[i]), path.data,
					  opts, out);
		}
		hs_buf_release(&path);
		hs_kdf_hpa_what(da, db, &what);
	} else if (strstr(name, "/deployments/")) {
		hs_kdf_deploy_what(da, db, &what);
	}
	if (what.len)
		json_object_set_new(out, "what", json_string(what.data));
	rc = 0;
out:
	hs_buf_release(&what);
	json_decref(da);
	json_decref(db);
	return rc;
}
