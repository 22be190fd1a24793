/*
 * k8s_object.c - pure helpers over Kubernetes objects (no I/O): stripping
 * server-managed fields and finding what a pod template references.
 */
#include <stdlib.h>
#include <string.h>

#include "k8s_common.h"

void hs_k8s_strip(json_t *obj, bool keep_status)
{
	static const char *const meta_drop[] = {
		"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
		"ownerReferences", "deletionTimestamp", "deletionGracePeriodSeconds", "finalizers", NULL
	};
	json_t *meta = json_object_get(obj, "metadata");
	json_t *ann;
	size_t i;

	if (json_is_object(meta)) {
		for (i = 0; meta_drop[i]; i++)
			json_object_del(meta, meta_drop[i]);
		ann = json_object_get(meta, "annotations");
		if (json_is_object(ann)) {
			json_object_del(ann, "kubectl.kubernetes.io/last-applied-configuration");
			if (!json_object_size(ann))
				json_object_del(meta, "annotations");
		}
	}
	if (!keep_status)
		json_object_del(obj, "status");
}

/* Add s to the set (a JSON object used as a set of names). */
static void hs_k8s_set_add(json_t *set, const char *s)
{
	if (s && *s && !json_object_get(set, s))
		json_object_set_new(set, s, json_object());
}

/* Record secret name (and key when given) in set: name -> {key: true}. */
static void hs_k8s_secret_add(json_t *set, const char *name, const char *key)
{
	json_t *keys;

	if (!name || !*name)
		return;
	hs_k8s_set_add(set, name);
	keys = json_object_get(set, name);
	if (key && *key)
		json_object_set_new(keys, key, json_true());
}

/* The pod spec: tmpl.spec (template/pod) or tmpl.template.spec. */
static const json_t *hs_k8s_pod_spec(const json_t *tmpl)
{
	const json_t *t = json_object_get(tmpl, "template");

	if (json_is_object(t))
		return json_object_get(t, "spec");
	return json_object_get(tmpl, "spec");
}

/* Walk volumes and containers of a pod spec, collecting ConfigMap and Secret references. */
static void hs_k8s_walk(const json_t *tmpl, json_t *cms, json_t *secrets)
{
	static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers", NULL };
	const json_t *spec = hs_k8s_pod_spec(tmpl);
	json_t *v, *c, *x;
	size_t i, j, k, l;

	json_array_foreach(json_object_get(spec, "volumes"), i, v) {
		json_t *proj;

		hs_k8s_set_add(cms, json_string_value(json_object_get(json_object_get(v, "configMap"), "name")));
		hs_k8s_secret_add(secrets, json_string_value(json_object_get(json_object_get(v, "secret"),
									     "secretName")), NULL);
		proj = json_object_get(json_object_get(v, "projected"), "sources");
		json_array_foreach(proj, j, x) {
			hs_k8s_set_add(cms, json_string_value(json_object_get(json_object_get(x, "configMap"), "name")));
			hs_k8s_secret_add(secrets, json_string_value(json_object_get(json_object_get(x, "secret"),
										     "name")), NULL);
		}
	}
	for (l = 0; lists[l]; l++) {
		json_array_foreach(json_object_get(spec, lists[l]), i, c) {
			json_array_foreach(json_object_get(c, "env"), j, x) {
				json_t *vf = json_object_get(x, "valueFrom");
				json_t *cmk = json_object_get(vf, "configMapKeyRef");
				json_t *sk = json_object_get(vf, "secretKeyRef");

				hs_k8s_set_add(cms, json_string_value(json_object_get(cmk, "name")));
				hs_k8s_secret_add(secrets, json_string_value(json_object_get(sk, "name")),
						  json_string_value(json_object_get(sk, "key")));
			}
			json_array_foreach(json_object_get(c, "envFrom"), k, x) {
				hs_k8s_set_add(cms, json_string_value(json_object_get(json_object_get(x, "configMapRef"),
										      "name")));
				hs_k8s_secret_add(secrets, json_string_value(json_object_get(
									json_object_get(x, "secretRef"), "name")), NULL);
			}
		}
	}
}

/* Sorted array of an object's keys. */
static json_t *hs_k8s_sorted_keys(const json_t *set)
{
	json_t *arr = json_array();
	const char **names;
	const char *key;
	json_t *v;
	size_t n = json_object_size(set), i = 0, a, b;

	if (!n)
		return arr;
	names = hs_xcalloc(n, sizeof(*names));
	json_object_foreach((json_t *)set, key, v)
		names[i++] = key;
	for (a = 1; a < n; a++)
		for (b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
			const char *t = names[b];

			names[b] = names[b - 1];
			names[b - 1] = t;
		}
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(names[i]));
	free(names);
	return arr;
}

json_t *hs_k8s_template_configmaps(const json_t *tmpl)
{
	json_t *cms = json_object(), *sec = json_object(), *out;

	hs_k8s_walk(tmpl, cms, sec);
	out = hs_k8s_sorted_keys(cms);
	json_decref(cms);
	json_decref(sec);
	return out;
}

json_t *hs_k8s_template_secrets(const json_t *tmpl)
{
	json_t *cms = json_object(), *sec = json_object(), *names, *out = json_array(), *n;
	size_t i;

	hs_k8s_walk(tmpl, cms, sec);
	names = hs_k8s_sorted_keys(sec);
	json_array_foreach(names, i, n) {
		json_t *o = json_object();

		json_object_set(o, "name", n);
		json_object_set_new(o, "keys", hs_k8s_sorted_keys(json_object_get(sec, json_string_value(n))));
		json_array_append_new(out, o);
	}
	json_decref(names);
	json_decref(cms);
	json_decref(sec);
	return out;
}

bool hs_k8s_selected(const char *const *names, size_t n, const char *name, bool empty_means_all)
{
	size_t i;

	if (!n)
		return empty_means_all;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], "*") || !strcmp(names[i], name))
			return true;
	return false;
}

/* The annotations `kubectl rollout undo` does not copy from a ReplicaSet. */
static const char *const hs_k8s_skip_ann[] = {
	"kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision",
	"deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
	"deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to", NULL
};

static bool hs_k8s_skipped_ann(const char *k)
{
	size_t i;

	for (i = 0; hs_k8s_skip_ann[i]; i++)
		if (!strcmp(hs_k8s_skip_ann[i], k))
			return true;
	return false;
}

json_t *hs_k8s_rollback_annotations(const json_t *deploy, const json_t *rs)
{
	json_t *out = json_object(), *v;
	json_t *dann = json_object_get(json_object_get(deploy, "metadata"), "annotations");
	json_t *rann = json_object_get(rs, "annotations");
	const char *k;

	if (!json_is_object(rann))
		rann = json_object_get(json_object_get(rs, "metadata"), "annotations");
	json_object_foreach(dann, k, v)
		if (hs_k8s_skipped_ann(k))
			json_object_set(out, k, v);
	json_object_foreach(rann, k, v)
		if (!hs_k8s_skipped_ann(k))
			json_object_set(out, k, v);
	return out;
}
