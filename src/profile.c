/*
 * profile.c - parse profile YAML into struct hs_profile (see profile.h).
 *
 * libyaml's document API gives a node tree with line marks.  A small set of
 * typed getters (string, integer, number, bool, enum, string list, string
 * map) walks it with the key path in hand, so every error can say
 *
 *     profile 'p.yaml' line 12: key 'redis.dbs[0].db': expected an integer 0-15
 *
 * Scalars are ${VAR}-expanded before they are typed.  Plain null scalars
 * (empty, ~, null) count as absent.  Values never appear in messages.
 */
#include "profile.h"

#include <bson/bson.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"

#define HS_PROFILE_MAX_BYTES (4u << 20)
#define HS_PATH_MAX 256

typedef struct hs_pp {
	yaml_document_t *doc;
	const char *display;
	hs_error *e;
} hs_pp;

/* ---------------------------------------------------------------- errors */

static int hs_pp_fail(hs_pp *pp, const yaml_node_t *n, const char *path, const char *fmt, ...)
	HS_PRINTF(4, 5);

/* "profile 'X' line N: key 'PATH': <msg>"; always -1. */
static int hs_pp_fail(hs_pp *pp, const yaml_node_t *n, const char *path, const char *fmt, ...)
{
	char msg[HS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		return hs_err(pp->e, HS_EXIT_DATA, "profile '%s' line %zu: key '%s': %s", pp->display,
			      n->start_mark.line + 1, path, msg);
	return hs_err(pp->e, HS_EXIT_DATA, "profile '%s' line %zu: %s", pp->display,
		      n->start_mark.line + 1, msg);
}

static void hs_pp_path(char *dst, const char *base, const char *key)
{
	if (base && *base)
		snprintf(dst, HS_PATH_MAX, "%.120s.%.120s", base, key);
	else
		snprintf(dst, HS_PATH_MAX, "%.120s", key);
}

static void hs_pp_index(char *dst, const char *base, size_t i)
{
	snprintf(dst, HS_PATH_MAX, "%.200s[%zu]", base, i);
}

/* ------------------------------------------------------------- expansion */

static bool hs_name_start(int c)
{
	return isalpha(c) || c == '_';
}

static bool hs_name_char(int c)
{
	return isalnum(c) || c == '_';
}

/*
 * ${NAME}, ${NAME:-default}, $${ -> ${.  A '$' not followed by '{' is kept.
 * The default runs to the first '}' and is taken literally.
 */
int hs_profile_expand(const char *s, struct hs_buf *out, hs_error *e)
{
	const char *p = s;

	while (*p) {
		const char *name, *def = NULL, *end;
		size_t nlen, dlen = 0;
		char var[128];
		const char *val;

		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			hs_buf_adds(out, "${");
			p += 3;
			continue;
		}
		if (!(p[0] == '$' && p[1] == '{')) {
			hs_buf_addc(out, *p++);
			continue;
		}
		name = p + 2;
		if (!hs_name_start((unsigned char)*name))
			return hs_err(e, HS_EXIT_DATA,
				      "malformed variable reference (expected ${NAME} or ${NAME:-default})");
		end = name;
		while (hs_name_char((unsigned char)*end))
			end++;
		nlen = (size_t)(end - name);
		if (end[0] == ':' && end[1] == '-') {
			def = end + 2;
			end = strchr(def, '}');
			if (!end)
				return hs_err(e, HS_EXIT_DATA,
					      "malformed variable reference (no closing '}')");
			dlen = (size_t)(end - def);
		} else if (end[0] != '}') {
			return hs_err(e, HS_EXIT_DATA,
				      "malformed variable reference (expected ${NAME} or ${NAME:-default})");
		}
		if (nlen >= sizeof(var))
			return hs_err(e, HS_EXIT_DATA, "variable name too long");
		memcpy(var, name, nlen);
		var[nlen] = '\0';
		val = getenv(var);
		if (def) {
			if (val && *val)
				hs_buf_adds(out, val);
			else
				hs_buf_add(out, def, dlen);
		} else {
			if (!val)
				return hs_err(e, HS_EXIT_DATA,
					      "environment variable '%s' is not set (use ${%s:-default} for a default)",
					      var, var);
			hs_buf_adds(out, val);
		}
		p = end + 1;
	}
	return 0;
}

/* ----------------------------------------------------------- node access */

static yaml_node_t *hs_pp_node(hs_pp *pp, int id)
{
	return yaml_document_get_node(pp->doc, id);
}

static bool hs_pp_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/*
 * Check that n is a mapping whose keys are all scalars from keys[]
 * (NULL-terminated), without duplicates.
 */
static int hs_pp_map(hs_pp *pp, yaml_node_t *n, const char *path, const char *const *keys)
{
	yaml_node_pair_t *a, *b;

	if (n->type != YAML_MAPPING_NODE)
		return hs_pp_fail(pp, n, path, "expected a mapping");
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++) {
		yaml_node_t *k = hs_pp_node(pp, a->key);
		const char *ks;
		char sub[HS_PATH_MAX];
		size_t i;
		bool ok = false;

		if (k->type != YAML_SCALAR_NODE)
			return hs_pp_fail(pp, k, path, "keys must be strings");
		ks = (const char *)k->data.scalar.value;
		hs_pp_path(sub, path, ks);
		for (b = n->data.mapping.pairs.start; b < a; b++) {
			yaml_node_t *k2 = hs_pp_node(pp, b->key);

			if (k2->type == YAML_SCALAR_NODE && !strcmp((const char *)k2->data.scalar.value, ks))
				return hs_pp_fail(pp, k, sub, "duplicate key");
		}
		if (!keys)
			continue;
		for (i = 0; keys[i]; i++)
			if (!strcmp(keys[i], ks))
				ok = true;
		if (!ok) {
			hs_buf allowed = HS_BUF_INIT;
			int r;

			for (i = 0; keys[i]; i++)
				hs_buf_addf(&allowed, "%s%s", i ? ", " : "", keys[i]);
			r = hs_pp_fail(pp, k, sub, "unknown key (expected one of: %s)", allowed.data);
			hs_buf_release(&allowed);
			return r;
		}
	}
	return 0;
}

/* The value of key in mapping n, or NULL when absent or null. */
static yaml_node_t *hs_pp_get(hs_pp *pp, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *a;

	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++) {
		yaml_node_t *k = hs_pp_node(pp, a->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key)) {
			yaml_node_t *v = hs_pp_node(pp, a->value);

			return hs_pp_is_null(v) ? NULL : v;
		}
	}
	return NULL;
}

/* True when s is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static bool hs_utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, need, cp, min;

		if (c < 0x80) {
			s++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			need = 1;
			cp = c & 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2;
			cp = c & 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		s++;
		while (need--) {
			if ((*s & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (*s++ & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
	}
	return true;
}

/* Expanded text of scalar n (new string), or -1 with e set; what names the expected type. */
static int hs_pp_text(hs_pp *pp, yaml_node_t *n, const char *path, const char *what, char **out)
{
	hs_buf b = HS_BUF_INIT;
	hs_error ee;

	*out = NULL;
	if (n->type != YAML_SCALAR_NODE)
		return hs_pp_fail(pp, n, path, "expected %s", what);
	hs_error_init(&ee);
	if (hs_profile_expand((const char *)n->data.scalar.value, &b, &ee)) {
		hs_buf_release(&b);
		return hs_pp_fail(pp, n, path, "%s", ee.msg);
	}
	if (b.data && !hs_utf8_valid((const unsigned char *)b.data)) {
		hs_buf_release(&b);
		return hs_pp_fail(pp, n, path, "not valid UTF-8 after ${VAR} expansion");
	}
	*out = hs_buf_detach(&b, NULL);
	return 0;
}

static int hs_pp_missing(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key)
{
	char sub[HS_PATH_MAX];

	hs_pp_path(sub, mpath, key);
	return hs_pp_fail(pp, map, sub, "missing (required)");
}

/*
 * String value of map.key into *out (NULL when absent or empty).  required
 * makes absence and emptiness an error.
 */
static int hs_pp_str(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key, bool required,
		     char **out)
{
	yaml_node_t *n = hs_pp_get(pp, map, key);
	char sub[HS_PATH_MAX];
	char *s;

	*out = NULL;
	if (!n)
		return required ? hs_pp_missing(pp, map, mpath, key) : 0;
	hs_pp_path(sub, mpath, key);
	if (hs_pp_text(pp, n, sub, "a string", &s))
		return -1;
	if (!*s) {
		free(s);
		return required ? hs_pp_fail(pp, n, sub, "expected a non-empty string") : 0;
	}
	*out = s;
	return 0;
}

/* Integer in [min, max], def when absent. */
static int hs_pp_int(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key, long long min,
		     long long max, long long def, long long *out)
{
	yaml_node_t *n = hs_pp_get(pp, map, key);
	char sub[HS_PATH_MAX];
	char *s = NULL, *end;
	long long v;
	int rc = -1;

	*out = def;
	if (!n)
		return 0;
	hs_pp_path(sub, mpath, key);
	if (hs_pp_text(pp, n, sub, "an integer", &s))
		goto out;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max || isspace((unsigned char)*s)) {
		hs_pp_fail(pp, n, sub, "expected an integer %lld-%lld", min, max);
		goto out;
	}
	*out = v;
	rc = 0;
out:
	free(s);
	return rc;
}

static int hs_pp_intv(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key, int min,
		      int max, int def, int *out)
{
	long long v;

	if (hs_pp_int(pp, map, mpath, key, min, max, def, &v))
		return -1;
	*out = (int)v;
	return 0;
}

static int hs_pp_i64(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key, int64_t min,
		     int64_t max, int64_t def, int64_t *out)
{
	long long v;

	if (hs_pp_int(pp, map, mpath, key, min, max, def, &v))
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Number (double) in [min, max]; *present tells whether it was given. */
static int hs_pp_num(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key, double min,
		     double max, double def, double *out, bool *present)
{
	yaml_node_t *n = hs_pp_get(pp, map, key);
	char sub[HS_PATH_MAX];
	char *s = NULL, *end;
	double v;
	int rc = -1;

	*out = def;
	if (present)
		*present = false;
	if (!n)
		return 0;
	hs_pp_path(sub, mpath, key);
	if (hs_pp_text(pp, n, sub, "a number", &s))
		goto out;
	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || isspace((unsigned char)*s) || !(v >= min && v <= max)) {
		hs_pp_fail(pp, n, sub, "expected a number %g-%g", min, max);
		goto out;
	}
	*out = v;
	if (present)
		*present = true;
	rc = 0;
out:
	free(s);
	return rc;
}

static int hs_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	size_t i;

	for (i = 0; yes[i]; i++)
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
	for (i = 0; no[i]; i++)
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	return -1;
}

static int hs_pp_bool(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key, bool def,
		      bool *out)
{
	yaml_node_t *n = hs_pp_get(pp, map, key);
	char sub[HS_PATH_MAX];
	char *s = NULL;
	int rc = -1;

	*out = def;
	if (!n)
		return 0;
	hs_pp_path(sub, mpath, key);
	if (hs_pp_text(pp, n, sub, "true or false", &s))
		goto out;
	if (hs_parse_bool(s, out)) {
		hs_pp_fail(pp, n, sub, "expected true or false");
		goto out;
	}
	rc = 0;
out:
	free(s);
	return rc;
}

/* One of names[] (NULL-terminated) -> its index; def when absent (def < 0: required). */
static int hs_pp_enum(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key,
		      const char *const *names, int def, int *out)
{
	yaml_node_t *n = hs_pp_get(pp, map, key);
	char sub[HS_PATH_MAX];
	char *s = NULL;
	int rc = -1, i;

	*out = def;
	if (!n)
		return def < 0 ? hs_pp_missing(pp, map, mpath, key) : 0;
	hs_pp_path(sub, mpath, key);
	if (hs_pp_text(pp, n, sub, "a string", &s))
		goto out;
	for (i = 0; names[i]; i++)
		if (!strcmp(names[i], s)) {
			*out = i;
			rc = 0;
			goto out;
		}
	{
		hs_buf allowed = HS_BUF_INIT;

		for (i = 0; names[i]; i++)
			hs_buf_addf(&allowed, "%s%s", i ? ", " : "", names[i]);
		hs_pp_fail(pp, n, sub, "expected one of: %s", allowed.data);
		hs_buf_release(&allowed);
	}
out:
	free(s);
	return rc;
}

static void hs_strlist_push(hs_strlist *l, char *s)
{
	l->v = hs_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = s;
}

static void hs_strlist_free(hs_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* A sequence of non-empty strings (n is the sequence node). */
static int hs_pp_strlist_node(hs_pp *pp, yaml_node_t *n, const char *path, hs_strlist *out)
{
	yaml_node_item_t *it;
	size_t i = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return hs_pp_fail(pp, n, path, "expected a list of strings");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *c = hs_pp_node(pp, *it);
		char sub[HS_PATH_MAX];
		char *s;

		hs_pp_index(sub, path, i);
		if (hs_pp_text(pp, c, sub, "a string", &s))
			return -1;
		if (!*s) {
			free(s);
			return hs_pp_fail(pp, c, sub, "expected a non-empty string");
		}
		hs_strlist_push(out, s);
	}
	return 0;
}

static int hs_pp_strlist(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key,
			 hs_strlist *out)
{
	yaml_node_t *n = hs_pp_get(pp, map, key);
	char sub[HS_PATH_MAX];

	if (!n)
		return 0;
	hs_pp_path(sub, mpath, key);
	return hs_pp_strlist_node(pp, n, sub, out);
}

/* A mapping of string keys to scalar values (kept in file order). */
static int hs_pp_kvmap(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key,
		       hs_kvlist *out)
{
	yaml_node_t *n = hs_pp_get(pp, map, key);
	yaml_node_pair_t *a;
	char sub[HS_PATH_MAX];

	if (!n)
		return 0;
	hs_pp_path(sub, mpath, key);
	if (hs_pp_map(pp, n, sub, NULL))
		return -1;
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++) {
		yaml_node_t *k = hs_pp_node(pp, a->key), *v = hs_pp_node(pp, a->value);
		char vsub[HS_PATH_MAX];
		char *s;

		hs_pp_path(vsub, sub, (const char *)k->data.scalar.value);
		if (hs_pp_text(pp, v, vsub, "a string", &s))
			return -1;
		out->v = hs_xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n].key = hs_xstrdup((const char *)k->data.scalar.value);
		out->v[out->n].value = s;
		out->n++;
	}
	return 0;
}

/* The items of a required or optional sequence of mappings. */
static int hs_pp_seq(hs_pp *pp, yaml_node_t *map, const char *mpath, const char *key, bool required,
		     yaml_node_t **out)
{
	yaml_node_t *n = hs_pp_get(pp, map, key);
	char sub[HS_PATH_MAX];

	*out = NULL;
	if (!n)
		return required ? hs_pp_missing(pp, map, mpath, key) : 0;
	hs_pp_path(sub, mpath, key);
	if (n->type != YAML_SEQUENCE_NODE)
		return hs_pp_fail(pp, n, sub, "expected a list");
	if (required && n->data.sequence.items.start == n->data.sequence.items.top)
		return hs_pp_fail(pp, n, sub, "expected a non-empty list");
	*out = n;
	return 0;
}

static size_t hs_seq_len(const yaml_node_t *n)
{
	return n ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) : 0;
}

static yaml_node_t *hs_seq_at(hs_pp *pp, yaml_node_t *n, size_t i)
{
	return hs_pp_node(pp, n->data.sequence.items.start[i]);
}

/* ------------------------------------------------------------ validators */

static bool hs_is_ident(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

static bool hs_has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int hs_duration_parse(const char *s, int64_t *seconds)
{
	int64_t total = 0;

	if (!s || !*s)
		return -1;
	while (*s) {
		int64_t v = 0, mul;

		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s)) {
			if (v > (INT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (*s++ - '0');
		}
		switch (*s) {
		case '\0': mul = 1; break;
		case 's': mul = 1; s++; break;
		case 'm': mul = 60; s++; break;
		case 'h': mul = 3600; s++; break;
		case 'd': mul = 86400; s++; break;
		default: return -1;
		}
		if (v > (INT64_MAX - total) / mul)
			return -1;
		total += v * mul;
	}
	*seconds = total;
	return 0;
}

bool hs_profile_secret_key(const char *key)
{
	static const char *const words[] = { "password", "secret", "sasl.jaas", "ssl.key",
					     "token", "oauthbearer.config", "credential", NULL };
	char low[256];
	size_t i, len = strlen(key);

	if (len >= sizeof(low))
		return true;
	for (i = 0; i <= len; i++)
		low[i] = (char)tolower((unsigned char)key[i]);
	for (i = 0; words[i]; i++)
		if (strstr(low, words[i]))
			return true;
	return false;
}

static const char *const hs_read_pref_names[] = { "primary", "primaryPreferred", "secondary",
						  "secondaryPreferred", "nearest", NULL };
static const char *const hs_mongo_sort_names[] = { "auto", "server", "client", NULL };
static const char *const hs_health_kind_names[] = { "http", "grpc", NULL };
static const char *const hs_dep_kind_names[] = { "mongo", "redis", "kafka", "etcd", "grpc", "tcp", NULL };
static const char *const hs_direction_names[] = { "above", "below", NULL };

const char *hs_read_pref_name(enum hs_read_pref r)
{
	return hs_read_pref_names[r];
}

const char *hs_mongo_sort_name(enum hs_mongo_sort s)
{
	return hs_mongo_sort_names[s];
}

int hs_mongo_sort_parse(const char *name)
{
	int i;

	for (i = 0; hs_mongo_sort_names[i]; i++)
		if (!strcmp(hs_mongo_sort_names[i], name))
			return i;
	return -1;
}

const char *hs_health_kind_name(enum hs_health_kind k)
{
	return hs_health_kind_names[k];
}

const char *hs_dep_kind_name(enum hs_dep_kind k)
{
	return hs_dep_kind_names[k];
}

const char *hs_direction_name(enum hs_direction d)
{
	return hs_direction_names[d];
}

/* ---------------------------------------------------------------- mongo */

static int hs_pp_mongo_db(hs_pp *pp, yaml_node_t *n, const char *path, hs_profile_mongo_db *d)
{
	static const char *const keys[] = { "name", "collections", "exclude", "filters", NULL };
	yaml_node_t *c;
	char sub[HS_PATH_MAX];
	size_t i;

	if (hs_pp_map(pp, n, path, keys) || hs_pp_str(pp, n, path, "name", true, &d->name))
		return -1;
	c = hs_pp_get(pp, n, "collections");
	hs_pp_path(sub, path, "collections");
	d->all_collections = true;
	if (c && c->type == YAML_SCALAR_NODE) {
		char *s;

		if (hs_pp_text(pp, c, sub, "\"*\" or a list of collection names", &s))
			return -1;
		if (strcmp(s, "*") != 0) {
			free(s);
			return hs_pp_fail(pp, c, sub, "expected \"*\" or a list of collection names");
		}
		free(s);
	} else if (c) {
		if (c->type != YAML_SEQUENCE_NODE)
			return hs_pp_fail(pp, c, sub, "expected \"*\" or a list of collection names");
		if (hs_pp_strlist_node(pp, c, sub, &d->collections))
			return -1;
		if (!d->collections.n)
			return hs_pp_fail(pp, c, sub, "expected \"*\" or a non-empty list of collection names");
		d->all_collections = false;
	}
	if (hs_pp_strlist(pp, n, path, "exclude", &d->exclude) ||
	    hs_pp_kvmap(pp, n, path, "filters", &d->filters))
		return -1;
	for (i = 0; i < d->filters.n; i++) {
		bson_t b;
		bson_error_t berr;
		yaml_node_t *f = hs_pp_get(pp, n, "filters");
		char fsub[HS_PATH_MAX];

		if (!bson_init_from_json(&b, d->filters.v[i].value, -1, &berr)) {
			hs_pp_path(sub, path, "filters");
			hs_pp_path(fsub, sub, d->filters.v[i].key);
			return hs_pp_fail(pp, f, fsub, "expected an Extended JSON object");
		}
		bson_destroy(&b);
	}
	return 0;
}

static int hs_pp_mongo(hs_pp *pp, yaml_node_t *n, hs_profile *p)
{
	static const char *const keys[] = { "uri", "read_preference", "parallel", "sort", "databases", NULL };
	hs_profile_mongo *m;
	yaml_node_t *dbs;
	int rp, sort;
	size_t i;

	if (hs_pp_map(pp, n, "mongo", keys))
		return -1;
	m = p->mongo = hs_xcalloc(1, sizeof(*m));
	if (hs_pp_str(pp, n, "mongo", "uri", true, &m->uri))
		return -1;
	if (!hs_has_prefix(m->uri, "mongodb://") && !hs_has_prefix(m->uri, "mongodb+srv://"))
		return hs_pp_fail(pp, hs_pp_get(pp, n, "uri"), "mongo.uri",
				  "expected a mongodb:// or mongodb+srv:// URI");
	if (hs_pp_enum(pp, n, "mongo", "read_preference", hs_read_pref_names, HS_READ_PRIMARY, &rp) ||
	    hs_pp_intv(pp, n, "mongo", "parallel", 1, 64, 4, &m->parallel) ||
	    hs_pp_enum(pp, n, "mongo", "sort", hs_mongo_sort_names, HS_MONGO_SORT_AUTO, &sort) ||
	    hs_pp_seq(pp, n, "mongo", "databases", true, &dbs))
		return -1;
	m->read_preference = (enum hs_read_pref)rp;
	m->sort = (enum hs_mongo_sort)sort;
	m->n_databases = hs_seq_len(dbs);
	m->databases = hs_xcalloc(m->n_databases, sizeof(*m->databases));
	for (i = 0; i < m->n_databases; i++) {
		char sub[HS_PATH_MAX];

		hs_pp_index(sub, "mongo.databases", i);
		if (hs_pp_mongo_db(pp, hs_seq_at(pp, dbs, i), sub, &m->databases[i]))
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- redis */

static int hs_pp_redis(hs_pp *pp, yaml_node_t *n, hs_profile *p)
{
	static const char *const keys[] = { "uri", "dbs", "scan_count", "batch", NULL };
	static const char *const dbkeys[] = { "db", "patterns", NULL };
	hs_profile_redis *r;
	yaml_node_t *dbs;
	size_t i;

	if (hs_pp_map(pp, n, "redis", keys))
		return -1;
	r = p->redis = hs_xcalloc(1, sizeof(*r));
	if (hs_pp_str(pp, n, "redis", "uri", true, &r->uri))
		return -1;
	if (!hs_has_prefix(r->uri, "redis://") && !hs_has_prefix(r->uri, "rediss://"))
		return hs_pp_fail(pp, hs_pp_get(pp, n, "uri"), "redis.uri",
				  "expected a redis:// or rediss:// URI");
	if (hs_pp_intv(pp, n, "redis", "scan_count", 1, 100000, 1000, &r->scan_count) ||
	    hs_pp_intv(pp, n, "redis", "batch", 1, 100000, 500, &r->batch) ||
	    hs_pp_seq(pp, n, "redis", "dbs", false, &dbs))
		return -1;
	if (!dbs) {
		r->n_dbs = 1;
		r->dbs = hs_xcalloc(1, sizeof(*r->dbs));
		hs_strlist_push(&r->dbs[0].patterns, hs_xstrdup("*"));
		return 0;
	}
	r->n_dbs = hs_seq_len(dbs);
	r->dbs = hs_xcalloc(r->n_dbs, sizeof(*r->dbs));
	for (i = 0; i < r->n_dbs; i++) {
		yaml_node_t *d = hs_seq_at(pp, dbs, i);
		hs_profile_redis_db *rd = &r->dbs[i];
		char sub[HS_PATH_MAX];
		long long db;
		size_t j;

		hs_pp_index(sub, "redis.dbs", i);
		if (hs_pp_map(pp, d, sub, dbkeys))
			return -1;
		if (!hs_pp_get(pp, d, "db"))
			return hs_pp_missing(pp, d, sub, "db");
		if (hs_pp_int(pp, d, sub, "db", 0, 15, 0, &db) ||
		    hs_pp_strlist(pp, d, sub, "patterns", &rd->patterns))
			return -1;
		rd->db = (int)db;
		for (j = 0; j < i; j++)
			if (r->dbs[j].db == rd->db) {
				char dsub[HS_PATH_MAX];

				hs_pp_path(dsub, sub, "db");
				return hs_pp_fail(pp, hs_pp_get(pp, d, "db"), dsub,
						  "db %d is listed twice", rd->db);
			}
		if (!rd->patterns.n)
			hs_strlist_push(&rd->patterns, hs_xstrdup("*"));
	}
	return 0;
}

/* ---------------------------------------------------------------- kafka */

static int hs_pp_kafka(hs_pp *pp, yaml_node_t *n, hs_profile *p)
{
	static const char *const keys[] = { "brokers", "config", "groups", "topics", "timeout_ms",
					    "timestamp_budget_ms", NULL };
	hs_profile_kafka *k;

	if (hs_pp_map(pp, n, "kafka", keys))
		return -1;
	k = p->kafka = hs_xcalloc(1, sizeof(*k));
	if (hs_pp_str(pp, n, "kafka", "brokers", true, &k->brokers) ||
	    hs_pp_kvmap(pp, n, "kafka", "config", &k->config) ||
	    hs_pp_strlist(pp, n, "kafka", "groups", &k->groups) ||
	    hs_pp_strlist(pp, n, "kafka", "topics", &k->topics) ||
	    hs_pp_intv(pp, n, "kafka", "timeout_ms", 1, 600000, 10000, &k->timeout_ms) ||
	    hs_pp_intv(pp, n, "kafka", "timestamp_budget_ms", 0, 600000, 5000, &k->timestamp_budget_ms))
		return -1;
	if (!k->groups.n)
		hs_strlist_push(&k->groups, hs_xstrdup("*"));
	return 0;
}

/* ------------------------------------------------------------------ k8s */

static int hs_pp_k8s_ns(hs_pp *pp, yaml_node_t *n, const char *path, hs_profile_k8s_ns *ns)
{
	static const char *const keys[] = { "name", "configmaps", "deployments", "hpas", "pods",
					    "events", "logs", NULL };
	static const char *const cmkeys[] = { "names", "label_selector", NULL };
	static const char *const logkeys[] = { "since", "tail_lines", "limit_bytes", "previous", NULL };
	yaml_node_t *c;
	char sub[HS_PATH_MAX];

	if (hs_pp_map(pp, n, path, keys) || hs_pp_str(pp, n, path, "name", true, &ns->name))
		return -1;
	c = hs_pp_get(pp, n, "configmaps");
	hs_pp_path(sub, path, "configmaps");
	if (c && c->type == YAML_MAPPING_NODE) {
		if (hs_pp_map(pp, c, sub, cmkeys) || hs_pp_strlist(pp, c, sub, "names", &ns->configmaps) ||
		    hs_pp_str(pp, c, sub, "label_selector", false, &ns->configmap_selector))
			return -1;
	} else if (c) {
		if (c->type != YAML_SEQUENCE_NODE)
			return hs_pp_fail(pp, c, sub,
					  "expected a list of names or {names, label_selector}");
		if (hs_pp_strlist_node(pp, c, sub, &ns->configmaps))
			return -1;
	}
	if (hs_pp_strlist(pp, n, path, "deployments", &ns->deployments) ||
	    hs_pp_strlist(pp, n, path, "hpas", &ns->hpas) ||
	    hs_pp_bool(pp, n, path, "events", false, &ns->events))
		return -1;
	c = hs_pp_get(pp, n, "pods");
	hs_pp_path(sub, path, "pods");
	if (c) {
		char *s;

		if (hs_pp_text(pp, c, sub, "true, false or a label selector", &s))
			return -1;
		if (hs_parse_bool(s, &ns->pods) == 0) {
			free(s);
		} else if (*s) {
			ns->pods = true;
			ns->pod_selector = s;
		} else {
			free(s);
		}
	}
	c = hs_pp_get(pp, n, "logs");
	hs_pp_path(sub, path, "logs");
	if (c) {
		hs_profile_k8s_logs *l = &ns->logs;
		char *since = NULL;

		if (hs_pp_map(pp, c, sub, logkeys) || hs_pp_str(pp, c, sub, "since", false, &since))
			return -1;
		if (since && hs_duration_parse(since, &l->since_seconds)) {
			char ssub[HS_PATH_MAX];

			free(since);
			hs_pp_path(ssub, sub, "since");
			return hs_pp_fail(pp, hs_pp_get(pp, c, "since"), ssub,
					  "expected a duration like 30m, 1h or 2d");
		}
		free(since);
		l->enabled = true;
		if (hs_pp_i64(pp, c, sub, "tail_lines", 0, INT64_MAX, 1000, &l->tail_lines) ||
		    hs_pp_i64(pp, c, sub, "limit_bytes", 0, INT64_MAX, 1048576, &l->limit_bytes) ||
		    hs_pp_bool(pp, c, sub, "previous", false, &l->previous))
			return -1;
	}
	return 0;
}

static int hs_pp_k8s(hs_pp *pp, yaml_node_t *n, hs_profile *p)
{
	static const char *const keys[] = { "kubeconfig", "context", "timeout_ms", "namespaces", NULL };
	hs_profile_k8s *k;
	yaml_node_t *nss;
	size_t i, j;

	if (hs_pp_map(pp, n, "k8s", keys))
		return -1;
	k = p->k8s = hs_xcalloc(1, sizeof(*k));
	if (hs_pp_str(pp, n, "k8s", "kubeconfig", false, &k->kubeconfig) ||
	    hs_pp_str(pp, n, "k8s", "context", false, &k->context) ||
	    hs_pp_intv(pp, n, "k8s", "timeout_ms", 1, 600000, 30000, &k->timeout_ms) ||
	    hs_pp_seq(pp, n, "k8s", "namespaces", true, &nss))
		return -1;
	if (k->kubeconfig && !strncmp(k->kubeconfig, "~/", 2) && getenv("HOME")) {
		hs_buf home = HS_BUF_INIT;

		hs_buf_addf(&home, "%s%s", getenv("HOME"), k->kubeconfig + 1);
		free(k->kubeconfig);
		k->kubeconfig = hs_buf_detach(&home, NULL);
	}
	k->n_namespaces = hs_seq_len(nss);
	k->namespaces = hs_xcalloc(k->n_namespaces, sizeof(*k->namespaces));
	for (i = 0; i < k->n_namespaces; i++) {
		char sub[HS_PATH_MAX];
		yaml_node_t *ns = hs_seq_at(pp, nss, i);

		hs_pp_index(sub, "k8s.namespaces", i);
		if (hs_pp_k8s_ns(pp, ns, sub, &k->namespaces[i]))
			return -1;
		for (j = 0; j < i; j++)
			if (!strcmp(k->namespaces[j].name, k->namespaces[i].name)) {
				char nsub[HS_PATH_MAX];

				hs_pp_path(nsub, sub, "name");
				return hs_pp_fail(pp, hs_pp_get(pp, ns, "name"), nsub,
						  "namespace is listed twice");
			}
	}
	return 0;
}

/* ----------------------------------------------------------------- diag */

static int hs_pp_health(hs_pp *pp, yaml_node_t *n, const char *path, hs_profile_health *h)
{
	static const char *const keys[] = { "name", "url", "kind", "timeout_ms", NULL };
	int kind;

	if (hs_pp_map(pp, n, path, keys) || hs_pp_str(pp, n, path, "name", true, &h->name) ||
	    hs_pp_str(pp, n, path, "url", true, &h->url) ||
	    hs_pp_enum(pp, n, path, "kind", hs_health_kind_names, HS_HEALTH_HTTP, &kind) ||
	    hs_pp_intv(pp, n, path, "timeout_ms", 1, 600000, 5000, &h->timeout_ms))
		return -1;
	h->kind = (enum hs_health_kind)kind;
	if (h->kind == HS_HEALTH_HTTP && !hs_has_prefix(h->url, "http://") &&
	    !hs_has_prefix(h->url, "https://")) {
		char sub[HS_PATH_MAX];

		hs_pp_path(sub, path, "url");
		return hs_pp_fail(pp, hs_pp_get(pp, n, "url"), sub, "expected an http:// or https:// URL");
	}
	return 0;
}

static int hs_pp_dep(hs_pp *pp, yaml_node_t *n, const char *path, hs_profile_dep *d)
{
	static const char *const keys[] = { "name", "kind", "address", "url", "timeout_ms", NULL };
	char *url = NULL;
	int kind;

	if (hs_pp_map(pp, n, path, keys) || hs_pp_str(pp, n, path, "name", true, &d->name) ||
	    hs_pp_enum(pp, n, path, "kind", hs_dep_kind_names, -1, &kind) ||
	    hs_pp_str(pp, n, path, "address", false, &d->address) ||
	    hs_pp_str(pp, n, path, "url", false, &url) ||
	    hs_pp_intv(pp, n, path, "timeout_ms", 1, 600000, 5000, &d->timeout_ms)) {
		free(url);
		return -1;
	}
	d->kind = (enum hs_dep_kind)kind;
	if (d->address && url) {
		char sub[HS_PATH_MAX];

		free(url);
		hs_pp_path(sub, path, "url");
		return hs_pp_fail(pp, n, sub, "give either address or url, not both");
	}
	if (url)
		d->address = url;
	if (!d->address)
		return hs_pp_missing(pp, n, path, "address");
	return 0;
}

static int hs_pp_query(hs_pp *pp, yaml_node_t *n, const char *path, hs_profile_query *q)
{
	static const char *const keys[] = { "name", "query", "direction", "warn", "crit", "unit",
					    "runbook_section", NULL };
	int dir;

	if (hs_pp_map(pp, n, path, keys) || hs_pp_str(pp, n, path, "name", true, &q->name))
		return -1;
	if (!hs_is_ident(q->name)) {
		char sub[HS_PATH_MAX];

		hs_pp_path(sub, path, "name");
		return hs_pp_fail(pp, hs_pp_get(pp, n, "name"), sub,
				  "expected letters, digits, '_', '.' or '-'");
	}
	if (hs_pp_str(pp, n, path, "query", true, &q->query) ||
	    hs_pp_enum(pp, n, path, "direction", hs_direction_names, HS_DIR_ABOVE, &dir) ||
	    hs_pp_num(pp, n, path, "warn", -1e300, 1e300, 0, &q->warn, &q->has_warn) ||
	    hs_pp_num(pp, n, path, "crit", -1e300, 1e300, 0, &q->crit, &q->has_crit) ||
	    hs_pp_str(pp, n, path, "unit", false, &q->unit) ||
	    hs_pp_str(pp, n, path, "runbook_section", false, &q->runbook_section))
		return -1;
	q->direction = (enum hs_direction)dir;
	return 0;
}

static int hs_pp_diag(hs_pp *pp, yaml_node_t *n, hs_profile *p)
{
	static const char *const keys[] = { "health", "dependencies", "prometheus", "alertmanager",
					    "thresholds", "redact", NULL };
	static const char *const promkeys[] = { "url", "queries", NULL };
	static const char *const amkeys[] = { "url", NULL };
	static const char *const thkeys[] = { "consumer_lag_max", "success_rate_min",
					      "redis_memory_ratio_max", "pod_restarts_max",
					      "health_latency_max_ms", NULL };
	hs_profile_diag *d;
	hs_profile_thresholds *t;
	yaml_node_t *seq, *c;
	size_t i;

	if (hs_pp_map(pp, n, "diag", keys))
		return -1;
	d = p->diag = hs_xcalloc(1, sizeof(*d));
	if (hs_pp_seq(pp, n, "diag", "health", false, &seq))
		return -1;
	d->n_health = hs_seq_len(seq);
	d->health = d->n_health ? hs_xcalloc(d->n_health, sizeof(*d->health)) : NULL;
	for (i = 0; i < d->n_health; i++) {
		char sub[HS_PATH_MAX];

		hs_pp_index(sub, "diag.health", i);
		if (hs_pp_health(pp, hs_seq_at(pp, seq, i), sub, &d->health[i]))
			return -1;
	}
	if (hs_pp_seq(pp, n, "diag", "dependencies", false, &seq))
		return -1;
	d->n_dependencies = hs_seq_len(seq);
	d->dependencies = d->n_dependencies ? hs_xcalloc(d->n_dependencies, sizeof(*d->dependencies)) : NULL;
	for (i = 0; i < d->n_dependencies; i++) {
		char sub[HS_PATH_MAX];

		hs_pp_index(sub, "diag.dependencies", i);
		if (hs_pp_dep(pp, hs_seq_at(pp, seq, i), sub, &d->dependencies[i]))
			return -1;
	}
	if ((c = hs_pp_get(pp, n, "prometheus"))) {
		if (hs_pp_map(pp, c, "diag.prometheus", promkeys) ||
		    hs_pp_str(pp, c, "diag.prometheus", "url", true, &d->prometheus_url) ||
		    hs_pp_seq(pp, c, "diag.prometheus", "queries", false, &seq))
			return -1;
		d->n_queries = hs_seq_len(seq);
		d->queries = d->n_queries ? hs_xcalloc(d->n_queries, sizeof(*d->queries)) : NULL;
		for (i = 0; i < d->n_queries; i++) {
			char sub[HS_PATH_MAX];
			size_t j;

			hs_pp_index(sub, "diag.prometheus.queries", i);
			if (hs_pp_query(pp, hs_seq_at(pp, seq, i), sub, &d->queries[i]))
				return -1;
			for (j = 0; j < i; j++)
				if (!strcmp(d->queries[j].name, d->queries[i].name)) {
					char nsub[HS_PATH_MAX];

					hs_pp_path(nsub, sub, "name");
					return hs_pp_fail(pp, hs_seq_at(pp, seq, i), nsub,
							  "query name is used twice");
				}
		}
	}
	if ((c = hs_pp_get(pp, n, "alertmanager"))) {
		if (hs_pp_map(pp, c, "diag.alertmanager", amkeys) ||
		    hs_pp_str(pp, c, "diag.alertmanager", "url", true, &d->alertmanager_url))
			return -1;
	}
	t = &d->thresholds;
	t->consumer_lag_max = 1000;
	t->success_rate_min = 0.95;
	t->redis_memory_ratio_max = 0.9;
	t->pod_restarts_max = 3;
	t->health_latency_max_ms = 1000;
	if ((c = hs_pp_get(pp, n, "thresholds"))) {
		const char *tp = "diag.thresholds";

		if (hs_pp_map(pp, c, tp, thkeys) ||
		    hs_pp_i64(pp, c, tp, "consumer_lag_max", 0, INT64_MAX, 1000, &t->consumer_lag_max) ||
		    hs_pp_num(pp, c, tp, "success_rate_min", 0, 1, 0.95, &t->success_rate_min, NULL) ||
		    hs_pp_num(pp, c, tp, "redis_memory_ratio_max", 0, 1, 0.9, &t->redis_memory_ratio_max,
			      NULL) ||
		    hs_pp_i64(pp, c, tp, "pod_restarts_max", 0, INT64_MAX, 3, &t->pod_restarts_max) ||
		    hs_pp_i64(pp, c, tp, "health_latency_max_ms", 1, INT64_MAX, 1000,
			      &t->health_latency_max_ms))
			return -1;
	}
	if (hs_pp_strlist(pp, n, "diag", "redact", &d->redact))
		return -1;
	for (i = 0; i < d->redact.n; i++) {
		regex_t re;
		char sub[HS_PATH_MAX];

		if (regcomp(&re, d->redact.v[i], REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
			yaml_node_t *r = hs_pp_get(pp, n, "redact");

			hs_pp_index(sub, "diag.redact", i);
			return hs_pp_fail(pp, hs_seq_at(pp, r, i), sub,
					  "expected a POSIX extended regular expression");
		}
		regfree(&re);
	}
	return 0;
}

/* -------------------------------------------------------------- silence */

/* Parse 'name=~"value"' (ops = != =~ !~; value quoted or bare). */
static int hs_parse_matcher(const char *s, hs_profile_matcher *m)
{
	const char *p = s, *v;
	hs_buf val = HS_BUF_INIT;

	if (!hs_name_start((unsigned char)*p))
		return -1;
	while (hs_name_char((unsigned char)*p))
		p++;
	m->name = hs_xstrndup(s, (size_t)(p - s));
	while (*p == ' ')
		p++;
	if (p[0] == '=' && p[1] == '~') {
		m->is_regex = true;
		m->is_equal = true;
	} else if (p[0] == '!' && p[1] == '~') {
		m->is_regex = true;
		m->is_equal = false;
	} else if (p[0] == '!' && p[1] == '=') {
		m->is_regex = false;
		m->is_equal = false;
	} else if (p[0] == '=') {
		m->is_regex = false;
		m->is_equal = true;
	} else {
		return -1;
	}
	p += (p[0] == '=' && p[1] != '~') ? 1 : 2;
	while (*p == ' ')
		p++;
	if (*p == '"') {
		for (v = p + 1; *v && *v != '"'; v++) {
			if (*v == '\\' && v[1])
				v++;
			hs_buf_addc(&val, *v);
		}
		if (*v != '"' || v[1]) {
			hs_buf_release(&val);
			return -1;
		}
	} else {
		hs_buf_adds(&val, p);
	}
	m->value = hs_buf_detach(&val, NULL);
	return 0;
}

static int hs_pp_silence(hs_pp *pp, yaml_node_t *n, hs_profile *p)
{
	static const char *const keys[] = { "matchers", "comment", "author", NULL };
	hs_profile_silence *s;
	hs_strlist raw = { NULL, 0 };
	size_t i;
	int rc = -1;

	if (hs_pp_map(pp, n, "silence", keys))
		return -1;
	s = p->silence = hs_xcalloc(1, sizeof(*s));
	if (!hs_pp_get(pp, n, "matchers")) {
		hs_pp_missing(pp, n, "silence", "matchers");
		goto out;
	}
	if (hs_pp_strlist(pp, n, "silence", "matchers", &raw) ||
	    hs_pp_str(pp, n, "silence", "comment", false, &s->comment) ||
	    hs_pp_str(pp, n, "silence", "author", false, &s->author))
		goto out;
	if (!raw.n) {
		hs_pp_fail(pp, hs_pp_get(pp, n, "matchers"), "silence.matchers", "expected a non-empty list");
		goto out;
	}
	s->matchers = hs_xcalloc(raw.n, sizeof(*s->matchers));
	for (i = 0; i < raw.n; i++) {
		s->n_matchers++;
		if (hs_parse_matcher(raw.v[i], &s->matchers[i])) {
			char sub[HS_PATH_MAX];

			hs_pp_index(sub, "silence.matchers", i);
			hs_pp_fail(pp, hs_seq_at(pp, hs_pp_get(pp, n, "matchers"), i), sub,
				   "expected a matcher like alertname=~\"FlowC.*\" (ops = != =~ !~)");
			goto out;
		}
	}
	if (!s->comment)
		s->comment = hs_xstrdup("hivesnap snapshot");
	if (!s->author)
		s->author = hs_xstrdup("hivesnap");
	rc = 0;
out:
	hs_strlist_free(&raw);
	return rc;
}

/* --------------------------------------------------------------- top level */

static int hs_pp_root(hs_pp *pp, yaml_node_t *root, hs_profile *p)
{
	static const char *const keys[] = { "name", "mongo", "redis", "kafka", "k8s", "diag",
					    "silence", NULL };
	yaml_node_t *c;

	if (root->type != YAML_MAPPING_NODE)
		return hs_pp_fail(pp, root, NULL, "expected a mapping at the top level");
	if (hs_pp_map(pp, root, "", keys) || hs_pp_str(pp, root, "", "name", true, &p->name))
		return -1;
	if (!hs_is_ident(p->name) || strlen(p->name) > 64)
		return hs_pp_fail(pp, hs_pp_get(pp, root, "name"), "name",
				  "expected 1-64 letters, digits, '_', '.' or '-'");
	if ((c = hs_pp_get(pp, root, "mongo")) && hs_pp_mongo(pp, c, p))
		return -1;
	if ((c = hs_pp_get(pp, root, "redis")) && hs_pp_redis(pp, c, p))
		return -1;
	if ((c = hs_pp_get(pp, root, "kafka")) && hs_pp_kafka(pp, c, p))
		return -1;
	if ((c = hs_pp_get(pp, root, "k8s")) && hs_pp_k8s(pp, c, p))
		return -1;
	if ((c = hs_pp_get(pp, root, "diag")) && hs_pp_diag(pp, c, p))
		return -1;
	if ((c = hs_pp_get(pp, root, "silence")) && hs_pp_silence(pp, c, p))
		return -1;
	return 0;
}

/* "profile 'X' line N: invalid YAML: <problem> <context>" from a failed parser. */
static int hs_pp_yaml_error(const yaml_parser_t *yp, const char *display, hs_error *e)
{
	size_t line = yp->problem_mark.line + 1;

	if (yp->error == YAML_MEMORY_ERROR)
		return hs_err(e, HS_EXIT_FAILURE, "profile '%s': out of memory", display);
	if (yp->context)
		return hs_err(e, HS_EXIT_DATA, "profile '%s' line %zu: invalid YAML: %s %s (line %zu)",
			      display, line, yp->problem ? yp->problem : "syntax error", yp->context,
			      yp->context_mark.line + 1);
	return hs_err(e, HS_EXIT_DATA, "profile '%s' line %zu: invalid YAML: %s", display, line,
		      yp->problem ? yp->problem : "syntax error");
}

int hs_profile_parse(hs_profile **out, const char *data, size_t len, const char *display,
		     hs_error *e)
{
	yaml_parser_t yp;
	yaml_document_t doc, extra;
	bool have_parser = false, have_doc = false;
	hs_profile *p = NULL;
	yaml_node_t *root;
	hs_pp pp;
	int rc = -1;

	*out = NULL;
	if (!display)
		display = "(profile)";
	if (len > HS_PROFILE_MAX_BYTES) {
		hs_err(e, HS_EXIT_DATA, "profile '%s': larger than %u bytes", display,
		       HS_PROFILE_MAX_BYTES);
		goto out;
	}
	if (memchr(data, '\0', len)) {
		hs_err(e, HS_EXIT_DATA, "profile '%s': contains a NUL byte", display);
		goto out;
	}
	if (!yaml_parser_initialize(&yp)) {
		hs_err(e, HS_EXIT_FAILURE, "profile '%s': cannot start the YAML parser", display);
		goto out;
	}
	have_parser = true;
	yaml_parser_set_input_string(&yp, (const unsigned char *)data, len);
	if (!yaml_parser_load(&yp, &doc)) {
		hs_pp_yaml_error(&yp, display, e);
		goto out;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		hs_err(e, HS_EXIT_DATA, "profile '%s': empty document", display);
		goto out;
	}
	if (!yaml_parser_load(&yp, &extra)) {
		hs_pp_yaml_error(&yp, display, e);
		goto out;
	}
	if (yaml_document_get_root_node(&extra)) {
		size_t line = extra.start_mark.line + 1;

		yaml_document_delete(&extra);
		hs_err(e, HS_EXIT_DATA, "profile '%s' line %zu: more than one YAML document", display,
		       line);
		goto out;
	}
	yaml_document_delete(&extra);

	pp.doc = &doc;
	pp.display = display;
	pp.e = e;
	p = hs_xcalloc(1, sizeof(*p));
	p->origin = hs_xstrdup(display);
	if (hs_pp_root(&pp, root, p))
		goto out;
	*out = p;
	p = NULL;
	rc = 0;
out:
	hs_profile_free(p);
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&yp);
	return rc;
}

/* Read a whole (small) file; HS_EXIT_DATA with strerror when it cannot be read. */
static int hs_profile_read(const char *path, hs_buf *out, hs_error *e)
{
	char chunk[8192];
	int fd = -1, rc = -1;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hs_err_errno(e, HS_EXIT_DATA, errno, "cannot read profile '%s'", path);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hs_err_errno(e, HS_EXIT_DATA, errno, "cannot read profile '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		hs_buf_add(out, chunk, (size_t)n);
		if (out->len > HS_PROFILE_MAX_BYTES) {
			hs_err(e, HS_EXIT_DATA, "profile '%s': larger than %u bytes", path,
			       HS_PROFILE_MAX_BYTES);
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int hs_profile_load(hs_profile **out, const char *path, hs_error *e)
{
	hs_buf text = HS_BUF_INIT;
	int rc;

	*out = NULL;
	if (!path)
		return hs_profile_parse(out, hs_profile_default_yaml, strlen(hs_profile_default_yaml),
					HS_PROFILE_BUILTIN_NAME, e);
	rc = hs_profile_read(path, &text, e);
	if (rc == 0)
		rc = hs_profile_parse(out, text.data ? text.data : "", text.len, path, e);
	hs_buf_release(&text);
	return rc;
}

/* ------------------------------------------------------------------ free */

static void hs_kvlist_free(hs_kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
}

static void hs_mongo_free(hs_profile_mongo *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_databases; i++) {
		free(m->databases[i].name);
		hs_strlist_free(&m->databases[i].collections);
		hs_strlist_free(&m->databases[i].exclude);
		hs_kvlist_free(&m->databases[i].filters);
	}
	free(m->databases);
	free(m->uri);
	free(m);
}

static void hs_redis_free(hs_profile_redis *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_dbs; i++)
		hs_strlist_free(&r->dbs[i].patterns);
	free(r->dbs);
	free(r->uri);
	free(r);
}

static void hs_kafka_free(hs_profile_kafka *k)
{
	if (!k)
		return;
	free(k->brokers);
	hs_kvlist_free(&k->config);
	hs_strlist_free(&k->groups);
	hs_strlist_free(&k->topics);
	free(k);
}

static void hs_k8s_free(hs_profile_k8s *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->n_namespaces; i++) {
		hs_profile_k8s_ns *ns = &k->namespaces[i];

		free(ns->name);
		hs_strlist_free(&ns->configmaps);
		free(ns->configmap_selector);
		hs_strlist_free(&ns->deployments);
		hs_strlist_free(&ns->hpas);
		free(ns->pod_selector);
	}
	free(k->namespaces);
	free(k->kubeconfig);
	free(k->context);
	free(k);
}

static void hs_diag_free(hs_profile_diag *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n_health; i++) {
		free(d->health[i].name);
		free(d->health[i].url);
	}
	free(d->health);
	for (i = 0; i < d->n_dependencies; i++) {
		free(d->dependencies[i].name);
		free(d->dependencies[i].address);
	}
	free(d->dependencies);
	for (i = 0; i < d->n_queries; i++) {
		free(d->queries[i].name);
		free(d->queries[i].query);
		free(d->queries[i].unit);
		free(d->queries[i].runbook_section);
	}
	free(d->queries);
	free(d->prometheus_url);
	free(d->alertmanager_url);
	hs_strlist_free(&d->redact);
	free(d);
}

static void hs_silence_free(hs_profile_silence *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_matchers; i++) {
		free(s->matchers[i].name);
		free(s->matchers[i].value);
	}
	free(s->matchers);
	free(s->comment);
	free(s->author);
	free(s);
}

void hs_profile_free(hs_profile *p)
{
	if (!p)
		return;
	hs_mongo_free(p->mongo);
	hs_redis_free(p->redis);
	hs_kafka_free(p->kafka);
	hs_k8s_free(p->k8s);
	hs_diag_free(p->diag);
	hs_silence_free(p->silence);
	free(p->name);
	free(p->origin);
	free(p);
}

const char *hs_profile_name(const hs_profile *p)
{
	return p->name;
}
