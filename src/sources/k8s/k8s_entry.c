/*
 * k8s_entry.c - content checks of the archive's Kubernetes entries, for
 * restore and rollback (see k8s_common.h).
 *
 * The entry's path decides where an object goes: a ConfigMap entry
 * k8s/<ns>/configmaps/<name>.json is written to <ns>/<name> and nowhere
 * else (only --map-k8s-ns changes <ns>), so an object whose own metadata
 * names another namespace or name, or another kind, is refused as bad
 * data (65) before anything is written: the checksums only prove that the
 * archive is as it was made, not that whoever made it meant well.  The
 * same holds for a revision entry k8s/<ns>/deployments/<name>/revisions/<N>.json:
 * its revision number is N, and its pod template may not name a namespace
 * of its own.  Pure functions: no I/O (tests/unit/test_k8s_entry.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "k8s_common.h"

/* [a-z0-9] */
static bool hs_k8s_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A DNS-1123 label: 1-63 of [a-z0-9-], starting and ending alphanumeric. */
static bool hs_k8s_label(const char *s, size_t n)
{
	size_t i;

	if (!n || n > 63 || !hs_k8s_alnum(s[0]) || !hs_k8s_alnum(s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!hs_k8s_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool hs_k8s_valid_ns(const char *s)
{
	return s && hs_k8s_label(s, strlen(s));
}

/* A DNS-1123 subdomain: at most 253 characters, dot-separated labels. */
bool hs_k8s_valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	const char *p = s, *dot;

	if (!n || n > 253)
		return false;
	for (;;) {
		dot = strchr(p, '.');
		if (!hs_k8s_label(p, dot ? (size_t)(dot - p) : strlen(p)))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

/* The n-th '/'-separated component of s (0-based) as [*at, *at + *len); false when there is none. */
static bool hs_k8s_component(const char *s, int n, const char **at, size_t *len)
{
	const char *p = s;

	while (n-- > 0) {
		p = strchr(p, '/');
		if (!p)
			return false;
		p++;
	}
	*at = p;
	*len = strcspn(p, "/");
	return true;
}

int hs_k8s_cm_entry(const char *archive, const char *entry, char **ns, char **name, hs_error *e)
{
	const char *c, *nsp, *rest;
	size_t len, nslen, restlen;

	*ns = *name = NULL;
	if (strncmp(entry, "k8s/", 4) || !hs_k8s_component(entry, 2, &c, &len) || len != 10 ||
	    strncmp(c, "configmaps", 10) || c[len] != '/')
		return 0;
	hs_k8s_component(entry, 1, &nsp, &nslen);
	rest = c + len + 1;
	restlen = strlen(rest);
	if (restlen <= 5 || strcmp(rest + restlen - 5, ".json") || strchr(rest, '/')) {
		/* a ConfigMap entry is one file named for the ConfigMap */
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' under configmaps/, which is not "
			      "k8s/<namespace>/configmaps/<name>.json", archive, entry);
	}
	*ns = hs_xstrndup(nsp, nslen);
	*name = hs_xstrndup(rest, restlen - 5);
	if (!hs_k8s_valid_ns(*ns) || !hs_k8s_valid_name(*name)) {
		hs_err(e, HS_EXIT_DATA, "'%s' holds '%s': '%s' is not a valid Kubernetes %s name", archive, entry,
		       hs_k8s_valid_ns(*ns) ? *name : *ns, hs_k8s_valid_ns(*ns) ? "ConfigMap" : "namespace");
		free(*ns);
		free(*name);
		*ns = *name = NULL;
		return -1;
	}
	return 1;
}

/*
 * metadata.<field> of obj, when given, is the string want: 0, else 65
 * naming the entry, the field, what it says and what the path says.
 */
static int hs_k8s_meta_agrees(const char *archive, const char *entry, const json_t *meta, const char *field,
			      const char *want, const char *what, hs_error *e)
{
	const json_t *v = json_object_get(meta, field);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' whose metadata.%s is not a string", archive, entry,
			      field);
	if (strcmp(json_string_value(v), want))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' whose metadata.%s is '%.100s', not the entry's %s "
			      "'%s': refused (the entry's path decides where an object goes)", archive, entry, field,
			      json_string_value(v), what, want);
	return 0;
}

/* A top-level string member, when given, is want. */
static int hs_k8s_top_agrees(const char *archive, const char *entry, const json_t *obj, const char *field,
			     const char *want, hs_error *e)
{
	const json_t *v = json_object_get(obj, field);

	if (v && (!json_is_string(v) || strcmp(json_string_value(v), want)))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' whose %s is %s%.100s%s, not '%s': refused", archive,
			      entry, field, json_is_string(v) ? "'" : "", json_is_string(v) ? json_string_value(v) :
			      "not a string", json_is_string(v) ? "'" : "", want);
	return 0;
}

int hs_k8s_cm_object_check(const char *archive, const char *entry, const json_t *obj, const char *ns,
			   const char *name, hs_error *e)
{
	const json_t *meta = json_object_get(obj, "metadata");

	if (!json_is_object(obj))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s', which is not a JSON object", archive, entry);
	if (meta && !json_is_object(meta))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' whose metadata is not an object", archive, entry);
	if (hs_k8s_top_agrees(archive, entry, obj, "kind", "ConfigMap", e) ||
	    hs_k8s_top_agrees(archive, entry, obj, "apiVersion", "v1", e) ||
	    hs_k8s_meta_agrees(archive, entry, meta, "namespace", ns, "namespace", e) ||
	    hs_k8s_meta_agrees(archive, entry, meta, "name", name, "name", e))
		return -1;
	return 0;
}

void hs_k8s_set_target(json_t *obj, const char *ns, const char *name)
{
	json_t *meta = json_object_get(obj, "metadata");

	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(obj, "metadata", meta);
	}
	json_object_set_new(meta, "namespace", json_string(ns));
	json_object_set_new(meta, "name", json_string(name));
}

int hs_k8s_ns_rules_check(const char *const *rules, hs_error *e)
{
	size_t i, j;

	for (i = 0; rules && rules[i]; i++) {
		const char *eq = strchr(rules[i], '=');
		char *src = eq ? hs_xstrndup(rules[i], (size_t)(eq - rules[i])) : NULL;
		bool good = src && hs_k8s_valid_ns(src) && hs_k8s_valid_ns(eq + 1);

		free(src);
		if (!good)
			return hs_err(e, HS_EXIT_USAGE, "restore: --map-k8s-ns takes SRC=DST, two namespace names "
				      "(lowercase letters, digits, '-'), not '%s'", rules[i]);
		for (j = 0; j < i; j++)
			if (!strncmp(rules[j], rules[i], (size_t)(eq - rules[i]) + 1))
				return hs_err(e, HS_EXIT_USAGE, "restore: --map-k8s-ns maps namespace '%.*s' twice",
					      (int)(eq - rules[i]), rules[i]);
	}
	return 0;
}

const char *hs_k8s_ns_map(const char *const *rules, const char *src)
{
	size_t i, n = strlen(src);

	for (i = 0; rules && rules[i]; i++)
		if (!strncmp(rules[i], src, n) && rules[i][n] == '=')
			return rules[i] + n + 1;
	return src;
}

int hs_k8s_revision_check(const char *archive, const char *entry, json_t *rev, const char *ns, long *revision,
			  hs_error *e)
{
	const char *base = strrchr(entry, '/');
	json_t *tmeta, *v, *cms;
	char canon[32];
	long n = 0;
	size_t i, len;

	*revision = 0;
	base = base ? base + 1 : entry;
	len = strlen(base);
	for (i = 0; i + 5 < len && i < 18; i++) {
		if (base[i] < '0' || base[i] > '9')
			break;
		n = n * 10 + (base[i] - '0');
	}
	snprintf(canon, sizeof(canon), "%ld.json", n);
	if (n <= 0 || strcmp(base, canon))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s', which is not revisions/<N>.json with N a revision "
			      "number", archive, entry);
	if (!json_is_object(rev))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s', which is not a JSON object", archive, entry);
	v = json_object_get(rev, "revision");
	if (!json_is_integer(v) || json_integer_value(v) != n)
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' whose revision is not %ld, the entry's: refused "
			      "(the entry's path decides the revision)", archive, entry, n);
	if (!json_is_object(json_object_get(rev, "template")))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' without a pod template (an object)", archive, entry);
	cms = json_object_get(rev, "configmaps");
	if (cms && !json_is_array(cms))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' whose configmaps is not a list", archive, entry);
	json_array_foreach(cms, i, v)
		if (!json_is_string(v))
			return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' whose configmaps holds a non-string", archive,
				      entry);
	/* a pod template has no namespace of its own: the Deployment's is the pods' */
	tmeta = json_object_get(json_object_get(rev, "template"), "metadata");
	if (tmeta && !json_is_object(tmeta))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' whose template's metadata is not an object", archive,
			      entry);
	v = json_object_get(tmeta, "namespace");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), ns)))
		return hs_err(e, HS_EXIT_DATA, "'%s' holds '%s' whose template names namespace '%.100s', not the "
			      "Deployment's '%s': refused (a pod template has no namespace of its own)", archive, entry,
			      json_is_string(v) ? json_string_value(v) : "(not a string)", ns);
	json_object_del(tmeta, "namespace");
	*revision = n;
	return 0;
}
