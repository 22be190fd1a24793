/*
 * kubeconfig.c - kubeconfig parsing (libyaml document API -> jansson tree
 * of strings, then lookups) and the in-cluster fallback.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "buf.h"
#include "kubeconfig.h"

#define HS_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Convert a libyaml node to JSON: mappings, sequences, scalars as strings. */
static json_t *hs_kc_node(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	json_t *j = NULL;

	if (!n || depth > 64)
		return json_null();
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return json_stringn((const char *)n->data.scalar.value, n->data.scalar.length);
	case YAML_SEQUENCE_NODE: {
		yaml_node_item_t *it;

		j = json_array();
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			json_array_append_new(j, hs_kc_node(doc, yaml_document_get_node(doc, *it), depth + 1));
		return j;
	}
	case YAML_MAPPING_NODE: {
		yaml_node_pair_t *p;

		j = json_object();
		for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);

			if (!k || k->type != YAML_SCALAR_NODE)
				continue;
			json_object_setn_new(j, (const char *)k->data.scalar.value, k->data.scalar.length,
					     hs_kc_node(doc, yaml_document_get_node(doc, p->value), depth + 1));
		}
		return j;
	}
	default:
		return json_null();
	}
}

/* Parse YAML (or JSON, which is YAML) bytes into a JSON tree. */
static int hs_kc_yaml(const char *bytes, size_t len, json_t **out, hs_error *e)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int ret = -1;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return hs_err(e, HS_EXIT_FAILURE, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)bytes, len);
	if (!yaml_parser_load(&parser, &doc)) {
		hs_err(e, HS_EXIT_DATA, "malformed kubeconfig: %s at line %zu",
		       parser.problem ? parser.problem : "parse error", parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		hs_err(e, HS_EXIT_DATA, "malformed kubeconfig: not a mapping");
		goto out;
	}
	*out = hs_kc_node(&doc, root, 0);
	ret = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

/* The "name"d element of list (clusters, users, contexts), its `key` object. */
static json_t *hs_kc_named(json_t *root, const char *list, const char *key, const char *name)
{
	json_t *arr = json_object_get(root, list);
	json_t *it;
	size_t i;

	json_array_foreach(arr, i, it) {
		const char *n = json_string_value(json_object_get(it, "name"));

		if (n && !strcmp(n, name)) {
			json_t *v = json_object_get(it, key);

			return json_is_object(v) ? v : NULL;
		}
	}
	return NULL;
}

static const char *hs_kc_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s && *s ? s : NULL;
}

/* A path relative to base_dir unless absolute. */
static char *hs_kc_path(const char *base_dir, const char *p)
{
	hs_buf b = HS_BUF_INIT;

	if (p[0] == '/' || !base_dir || !*base_dir)
		return hs_xstrdup(p);
	hs_buf_addf(&b, "%s/%s", base_dir, p);
	return hs_buf_detach(&b, NULL);
}

/* Decode base64 `b64` (field named what) into new bytes. */
static int hs_kc_b64(const char *b64, const char *what, unsigned char **out, size_t *olen, hs_error *e)
{
	hs_buf clean = HS_BUF_INIT;
	unsigned char *d = NULL;
	int n;
	size_t pad = 0;
	const char *p;

	for (p = b64; *p; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			hs_buf_addc(&clean, *p);
	if (!clean.len || clean.len % 4) {
		hs_buf_release(&clean);
		return hs_err(e, HS_EXIT_DATA, "malformed kubeconfig: '%s' is not base64", what);
	}
	d = hs_xmalloc(clean.len / 4 * 3 + 1);
	n = EVP_DecodeBlock(d, (const unsigned char *)clean.data, (int)clean.len);
	if (n < 0) {
		free(d);
		hs_buf_release(&clean);
		return hs_err(e, HS_EXIT_DATA, "malformed kubeconfig: '%s' is not base64", what);
	}
	if (clean.data[clean.len - 1] == '=')
		pad++;
	if (clean.data[clean.len - 2] == '=')
		pad++;
	*out = d;
	*olen = (size_t)n - pad;
	hs_buf_release(&clean);
	return 0;
}

/* Largest kubeconfig or token file read: /dev/zero or a huge file is refused, not read forever. */
#define HS_KC_FILE_MAX ((size_t)16 * 1024 * 1024)

/* Read a small file (token) whole, trailing whitespace trimmed. */
static int hs_kc_read_file(const char *path, const char *what, char **out, hs_error *e)
{
	FILE *f = fopen(path, "rb");
	hs_buf b = HS_BUF_INIT;
	char tmp[4096];
	size_t n;

	*out = NULL;
	if (!f)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot read %s '%s'", what, path);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if (b.len + n > HS_KC_FILE_MAX) {
			fclose(f);
			hs_buf_release(&b);
			return hs_err(e, HS_EXIT_FAILURE, "cannot read %s '%s': larger than %zu MiB", what, path,
				      HS_KC_FILE_MAX >> 20);
		}
		hs_buf_add(&b, tmp, n);
	}
	if (ferror(f)) {
		fclose(f);
		hs_buf_release(&b);
		return hs_err(e, HS_EXIT_FAILURE, "cannot read %s '%s'", what, path);
	}
	fclose(f);
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	*out = hs_buf_detach(&b, NULL);
	if (!*out)
		*out = hs_xstrdup("");
	return 0;
}

/*
 * Resolve the context: its cluster (server, CA, insecure) and user
 * (certificate, key, token); refuse exec and auth-provider users.
 */
int hs_kubeconfig_parse(const char *bytes, size_t len, const char *context,
			const char *base_dir, hs_kubeconfig **out, hs_error *e)
{
	json_t *root = NULL, *ctx, *cl, *us;
	hs_kubeconfig *k = NULL;
	const char *s;
	int ret = -1;

	*out = NULL;
	if (hs_kc_yaml(bytes, len, &root, e) < 0)
		goto out;
	k = hs_xcalloc(1, sizeof(*k));
	if (!context || !*context)
		context = hs_kc_str(root, "current-context");
	if (!context) {
		hs_err(e, HS_EXIT_DATA, "kubeconfig has no current-context and none was given");
		goto out;
	}
	k->context = hs_xstrdup(context);
	ctx = hs_kc_named(root, "contexts", "context", context);
	if (!ctx) {
		hs_err(e, HS_EXIT_DATA, "kubeconfig has no context '%s'", context);
		goto out;
	}
	s = hs_kc_str(ctx, "cluster");
	if (!s) {
		hs_err(e, HS_EXIT_DATA, "kubeconfig context '%s' names no cluster", context);
		goto out;
	}
	k->cluster = hs_xstrdup(s);
	if ((s = hs_kc_str(ctx, "namespace")))
		k->ns = hs_xstrdup(s);
	cl = hs_kc_named(root, "clusters", "cluster", k->cluster);
	if (!cl) {
		hs_err(e, HS_EXIT_DATA, "kubeconfig has no cluster '%s' (context '%s')", k->cluster, context);
		goto out;
	}
	s = hs_kc_str(cl, "server");
	if (!s) {
		hs_err(e, HS_EXIT_DATA, "kubeconfig cluster '%s' has no server", k->cluster);
		goto out;
	}
	k->server = hs_xstrdup(s);
	while (*k->server && k->server[strlen(k->server) - 1] == '/')
		k->server[strlen(k->server) - 1] = '\0';
	s = hs_kc_str(cl, "insecure-skip-tls-verify");
	k->insecure = s && !strcmp(s, "true");
	if ((s = hs_kc_str(cl, "certificate-authority-data"))) {
		if (hs_kc_b64(s, "certificate-authority-data", &k->ca_data, &k->ca_len, e) < 0)
			goto out;
	} else if ((s = hs_kc_str(cl, "certificate-authority"))) {
		k->ca_file = hs_kc_path(base_dir, s);
	}

	s = hs_kc_str(ctx, "user");
	if (s) {
		k->user = hs_xstrdup(s);
		us = hs_kc_named(root, "users", "user", s);
		if (!us) {
			hs_err(e, HS_EXIT_DATA, "kubeconfig has no user '%s' (context '%s')", s, context);
			goto out;
		}
		if (json_object_get(us, "exec")) {
			hs_err(e, HS_EXIT_PRECOND, "kubeconfig user '%s' uses an exec credential plugin: not supported "
			       "(use a client certificate or a token)", k->user);
			goto out;
		}
		if (json_object_get(us, "auth-provider")) {
			hs_err(e, HS_EXIT_PRECOND, "kubeconfig user '%s' uses an auth-provider: not supported "
			       "(use a client certificate or a token)", k->user);
			goto out;
		}
		if (hs_kc_str(us, "username") || hs_kc_str(us, "password")) {
			hs_err(e, HS_EXIT_PRECOND, "kubeconfig user '%s' uses basic authentication: not supported",
			       k->user);
			goto out;
		}
		if ((s = hs_kc_str(us, "client-certificate-data"))) {
			if (hs_kc_b64(s, "client-certificate-data", &k->cert_data, &k->cert_len, e) < 0)
				goto out;
		} else if ((s = hs_kc_str(us, "client-certificate"))) {
			k->cert_file = hs_kc_path(base_dir, s);
		}
		if ((s = hs_kc_str(us, "client-key-data"))) {
			if (hs_kc_b64(s, "client-key-data", &k->key_data, &k->key_len, e) < 0)
				goto out;
		} else if ((s = hs_kc_str(us, "client-key"))) {
			k->key_file = hs_kc_path(base_dir, s);
		}
		if ((k->cert_data || k->cert_file) != (k->key_data || k->key_file)) {
			hs_err(e, HS_EXIT_DATA, "kubeconfig user '%s' has a client certificate without a key or "
			       "a key without a certificate", k->user);
			goto out;
		}
		if ((s = hs_kc_str(us, "token"))) {
			k->token = hs_xstrdup(s);
		} else if ((s = hs_kc_str(us, "tokenFile"))) {
			char *p = hs_kc_path(base_dir, s);
			int rc = hs_kc_read_file(p, "token file", &k->token, e);

			free(p);
			if (rc < 0)
				goto out;
		}
	}
	*out = k;
	k = NULL;
	ret = 0;
out:
	hs_kubeconfig_free(k);
	json_decref(root);
	return ret;
}

/* Read a kubeconfig file and parse it with its folder as base_dir. */
static int hs_kc_load_file(const char *path, const char *context, hs_kubeconfig **out, hs_error *e)
{
	char *bytes = NULL, *dir = NULL, *slash;
	int ret;

	if (hs_kc_read_file(path, "kubeconfig", &bytes, e) < 0)
		return -1;
	dir = hs_xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';
	ret = hs_kubeconfig_parse(bytes, strlen(bytes), context, slash ? dir : NULL, out, e);
	if (ret < 0)
		hs_err_prefix(e, "'%s'", path);
	free(bytes);
	free(dir);
	return ret;
}

static bool hs_kc_exists(const char *p)
{
	struct stat st;

	return p && *p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int hs_kubeconfig_load(const char *path, const char *context, hs_kubeconfig **out, hs_error *e)
{
	const char *env = getenv("KUBECONFIG");
	const char *home = getenv("HOME");
	hs_buf p = HS_BUF_INIT;
	int ret;

	*out = NULL;
	if (path && *path) {
		if (path[0] == '~' && path[1] == '/' && home) {
			hs_buf_addf(&p, "%s/%s", home, path + 2);
			ret = hs_kc_load_file(p.data, context, out, e);
			hs_buf_release(&p);
			return ret;
		}
		return hs_kc_load_file(path, context, out, e);
	}
	if (env && *env) {
		const char *q = env;

		while (*q) {
			size_t n = strcspn(q, ":");

			hs_buf_reset(&p);
			hs_buf_add(&p, q, n);
			if (hs_kc_exists(p.data)) {
				ret = hs_kc_load_file(p.data, context, out, e);
				hs_buf_release(&p);
				return ret;
			}
			q += n;
			if (*q == ':')
				q++;
		}
	}
	if (home) {
		hs_buf_reset(&p);
		hs_buf_addf(&p, "%s/.kube/config", home);
		if (hs_kc_exists(p.data)) {
			ret = hs_kc_load_file(p.data, context, out, e);
			hs_buf_release(&p);
			return ret;
		}
	}
	hs_buf_release(&p);
	if (getenv("KUBERNETES_SERVICE_HOST"))
		return hs_kubeconfig_in_cluster(NULL, out, e);
	return hs_err(e, HS_EXIT_PRECOND, "no kubeconfig (k8s.kubeconfig, $KUBECONFIG, ~/.kube/config) "
		      "and not running in a cluster");
}

int hs_kubeconfig_in_cluster(const char *sa_dir, hs_kubeconfig **out, hs_error *e)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	hs_kubeconfig *k = NULL;
	hs_buf b = HS_BUF_INIT;
	char *ns = NULL;
	int ret = -1;

	*out = NULL;
	if (!sa_dir)
		sa_dir = HS_SA_DIR;
	if (!host || !*host) {
		hs_err(e, HS_EXIT_PRECOND, "not running in a cluster: KUBERNETES_SERVICE_HOST is not set");
		goto out;
	}
	k = hs_xcalloc(1, sizeof(*k));
	k->context = hs_xstrdup("in-cluster");
	k->cluster = hs_xstrdup("in-cluster");
	k->user = hs_xstrdup("service-account");
	if (strchr(host, ':'))
		hs_buf_addf(&b, "https://[%s]:%s", host, port && *port ? port : "443");
	else
		hs_buf_addf(&b, "https://%s:%s", host, port && *port ? port : "443");
	k->server = hs_buf_detach(&b, NULL);
	hs_buf_addf(&b, "%s/token", sa_dir);
	if (hs_kc_read_file(b.data, "service account token", &k->token, e) < 0)
		goto out;
	hs_buf_reset(&b);
	hs_buf_addf(&b, "%s/ca.crt", sa_dir);
	k->ca_file = hs_buf_detach(&b, NULL);
	hs_buf_addf(&b, "%s/namespace", sa_dir);
	if (hs_kc_exists(b.data) && hs_kc_read_file(b.data, "namespace", &ns, NULL) == 0)
		k->ns = ns;
	*out = k;
	k = NULL;
	ret = 0;
out:
	hs_buf_release(&b);
	hs_kubeconfig_free(k);
	return ret;
}

void hs_kubeconfig_free(hs_kubeconfig *k)
{
	if (!k)
		return;
	free(k->context);
	free(k->cluster);
	free(k->user);
	free(k->server);
	free(k->ns);
	free(k->ca_file);
	free(k->ca_data);
	free(k->cert_file);
	free(k->cert_data);
	free(k->key_file);
	if (k->key_data) {
		memset(k->key_data, 0, k->key_len);
		free(k->key_data);
	}
	if (k->token) {
		memset(k->token, 0, strlen(k->token));
		free(k->token);
	}
	free(k);
}
