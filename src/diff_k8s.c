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
 *    list; other arrays are compared whole.  HPA status (current replicas,
 *    metrics) changes at every capture and is not compared.
 *
 * Objects are small (a ConfigMap is at most 1 MiB), so both are loaded.
 */
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
	json_t *da = NULL, *db = NULL;
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
	rc = 0;
out:
	json_decref(da);
	json_decref(db);
	return rc;
}
