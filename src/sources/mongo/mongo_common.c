/*
 * mongo_common.c - connection, metadata and namespace helpers shared by
 * the MongoDB capture and restore (see mongo_common.h).
 */
#include <fnmatch.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "mongo_common.h"
#include "uri.h"

static pthread_once_t hs_mongo_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t hs_mongo_log_mu = PTHREAD_MUTEX_INITIALIZER;
static char *hs_mongo_log_uri; /* the last URI given to hs_mongo_pool_new, for scrubbing */

/*
 * The driver's own log lines ("Port could not be parsed", warnings about
 * URI options) go to our log at debug level, with the URI's secrets
 * scrubbed, instead of straight to stderr.
 */
static void hs_mongo_log_handler(mongoc_log_level_t level, const char *domain, const char *message,
				 void *data)
{
	char msg[HS_ERROR_MSG_MAX];

	(void)domain;
	(void)data;
	snprintf(msg, sizeof(msg), "%s", message);
	msg[strcspn(msg, "\r\n")] = 0;
	pthread_mutex_lock(&hs_mongo_log_mu);
	hs_mongo_scrub(msg, sizeof(msg), hs_mongo_log_uri);
	pthread_mutex_unlock(&hs_mongo_log_mu);
	hs_log(level <= MONGOC_LOG_LEVEL_CRITICAL ? HS_LOG_WARN : HS_LOG_DEBUG, "mongo", "driver: %s", msg);
}

static void hs_mongo_free_log_uri(void)
{
	free(hs_mongo_log_uri);
	hs_mongo_log_uri = NULL;
}

/*
 * The driver keeps its counters in /dev/shm/mongoc-<pid>; a process that
 * dies by SIGKILL leaves the file, and a later process with the same pid
 * then prints "Falling back to malloc for counters" on stderr.  hivesnap
 * does not read the counters.  Debian's libmongoc initialises itself in a
 * library constructor, before main(), so MONGOC_DISABLE_SHM set here comes
 * too late for that: hs_mongo_shm_forget() removes the name instead.
 */
void hs_mongo_shm_forget(void)
{
	char name[64];

	/* the mapping stays valid; only the name goes (mongoc's cleanup ignores ENOENT) */
	snprintf(name, sizeof(name), "/mongoc-%ld", (long)getpid());
	shm_unlink(name);
}

/* Keep the counters in memory where mongoc_init() runs here (no automatic init). */
static void hs_mongo_init_once(void)
{
	setenv("MONGOC_DISABLE_SHM", "1", 0);
	mongoc_init();
	mongoc_log_set_handler(hs_mongo_log_handler, NULL);
	atexit(hs_mongo_free_log_uri);
}

void hs_mongo_global_init(void)
{
	pthread_once(&hs_mongo_once, hs_mongo_init_once);
}

/* Replace every occurrence of secret (at least 3 bytes long) in msg with "***". */
static void hs_mongo_scrub_one(char *msg, size_t size, const char *secret, size_t slen)
{
	hs_buf out = HS_BUF_INIT;
	const char *p = msg, *hit;

	if (slen < 3)
		return;
	while ((hit = memmem(p, strlen(p), secret, slen))) {
		hs_buf_add(&out, p, (size_t)(hit - p));
		hs_buf_adds(&out, "***");
		p = hit + slen;
	}
	if (!out.len)
		return;
	hs_buf_adds(&out, p);
	snprintf(msg, size, "%s", out.data);
	hs_buf_release(&out);
}

/*
 * The secrets of a URI are the password of the userinfo (also
 * percent-encoded as written) and every query parameter value.  A
 * parameter value is not always a secret, but hiding a harmless one costs
 * nothing.
 */
void hs_mongo_scrub(char *msg, size_t size, const char *uri)
{
	const char *p, *at, *slash, *colon, *q;

	if (!uri || !msg)
		return;
	p = strstr(uri, "://");
	p = p ? p + 3 : uri;
	slash = p + strcspn(p, "/?");
	at = NULL;
	for (q = p; q < slash; q++)
		if (*q == '@')
			at = q;
	if (at) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			char *pw = hs_xstrndup(colon + 1, (size_t)(at - colon - 1));
			char *dec = bson_strdup(pw);
			char *s, *d;

			hs_mongo_scrub_one(msg, size, pw, strlen(pw));
			/* the decoded form, in case a message carries that */
			for (s = pw, d = dec; *s; s++) {
				if (s[0] == '%' && s[1] && s[2]) {
					char hex[3] = { s[1], s[2], 0 };

					*d++ = (char)strtol(hex, NULL, 16);
					s += 2;
				} else {
					*d++ = *s;
				}
			}
			*d = 0;
			hs_mongo_scrub_one(msg, size, dec, strlen(dec));
			bson_free(dec);
			free(pw);
		}
	}
	q = strchr(p, '?');
	while (q && *q) {
		const char *eq, *end;

		q++;
		end = q + strcspn(q, "&;");
		eq = memchr(q, '=', (size_t)(end - q));
		if (eq)
			hs_mongo_scrub_one(msg, size, eq + 1, (size_t)(end - eq - 1));
		q = *end ? end : NULL;
	}
}

/*
 * A refused login comes from libmongoc as the server's bare "Authentication
 * failed." (MongoDB and FerretDB say that alike for an unknown user and a
 * wrong password, on purpose), which names neither who nor where.  Rewrite
 * msg (already one line, scrubbed) as "authentication failed for user 'U'
 * (auth database 'D'[, mechanism M]): <reason>", the user, database and
 * mechanism taken from the parsed URI (never its password), the reason
 * being the server's own when it says more than "Authentication failed".
 * A command refused for want of a login on a URI without a user gets a
 * hint instead.  Other errors are left alone.
 */
static void hs_mongo_auth_msg(char *msg, size_t size, const bson_error_t *berr, const char *uri)
{
	mongoc_uri_t *u = NULL;
	const char *user = NULL, *source = NULL, *mech = NULL, *pw = NULL;
	char reason[sizeof(berr->message)];
	bool is_auth = berr->domain == MONGOC_ERROR_CLIENT && berr->code == MONGOC_ERROR_CLIENT_AUTHENTICATE;
	bool needs_login = berr->domain == MONGOC_ERROR_SERVER && berr->code == 13 /* Unauthorized */ &&
			   strstr(msg, "requires authentication");
	size_t n;

	if (!uri || (!is_auth && !needs_login))
		return;
	u = mongoc_uri_new_with_error(uri, NULL);
	if (u) {
		user = mongoc_uri_get_username(u);
		source = mongoc_uri_get_auth_source(u);
		mech = mongoc_uri_get_auth_mechanism(u);
		pw = mongoc_uri_get_password(u);
	}
	if (user && !*user)
		user = NULL;
	if (needs_login) {
		if (!user) {
			n = strlen(msg);
			snprintf(msg + n, size - n, "; the uri has no user:password@");
		}
		goto out;
	}
	snprintf(reason, sizeof(reason), "%s", msg);
	n = strlen(reason);
	while (n && (reason[n - 1] == '.' || reason[n - 1] == ' '))
		reason[--n] = 0;
	if (!n || !strcasecmp(reason, "authentication failed"))
		snprintf(reason, sizeof(reason), "%s",
			 user ? "the server refused the user name or password" : "the server refused the login");
	if (user)
		snprintf(msg, size, "authentication failed for user '%s' (auth database '%s'%s%s): %s", user,
			 source ? source : "admin", mech ? ", mechanism " : "", mech ? mech : "", reason);
	else
		snprintf(msg, size, "authentication failed%s%s: %s", mech ? " with mechanism " : "",
			 mech ? mech : "", reason);
	/* a user name holding the password must not bring it back */
	if (pw && strlen(pw) >= 3 && strstr(msg, pw))
		hs_mongo_scrub_one(msg, size, pw, strlen(pw));
out:
	mongoc_uri_destroy(u);
}

int hs_mongo_err(hs_error *e, int code, const bson_error_t *berr, const char *uri,
		 const char *fmt, ...)
{
	char prefix[HS_ERROR_MSG_MAX];
	char msg[sizeof(berr->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s", berr->message[0] ? berr->message : "unknown driver error");
	/* driver messages may span lines: keep one */
	msg[strcspn(msg, "\r\n")] = 0;
	hs_mongo_scrub(msg, sizeof(msg), uri);
	hs_mongo_auth_msg(msg, sizeof(msg), berr, uri);
	return hs_err(e, code, "%s: %s", prefix, msg);
}

int hs_mongo_pool_new(const char *uri, int max_size, mongoc_client_pool_t **pool,
		      mongoc_uri_t **uri_out, hs_error *e)
{
	mongoc_uri_t *u = NULL;
	mongoc_client_pool_t *pl = NULL;
	bson_error_t berr;
	char *red = NULL;
	int rc = -1;

	hs_mongo_global_init();
	pthread_mutex_lock(&hs_mongo_log_mu);
	free(hs_mongo_log_uri);
	hs_mongo_log_uri = hs_xstrdup(uri);
	pthread_mutex_unlock(&hs_mongo_log_mu);
	red = hs_uri_redact_dup(uri);
	u = mongoc_uri_new_with_error(uri, &berr);
	if (!u) {
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, uri, "mongo uri '%s' is not valid", red);
		goto out;
	}
	if (!mongoc_uri_has_option(u, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
		mongoc_uri_set_option_as_int32(u, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
	if (!mongoc_uri_has_option(u, MONGOC_URI_CONNECTTIMEOUTMS))
		mongoc_uri_set_option_as_int32(u, MONGOC_URI_CONNECTTIMEOUTMS, 5000);
	/* the driver's 5 minutes cut a first batch the server sorts in memory (FerretDB, large collections) */
	if (!mongoc_uri_has_option(u, MONGOC_URI_SOCKETTIMEOUTMS))
		mongoc_uri_set_option_as_int32(u, MONGOC_URI_SOCKETTIMEOUTMS, HS_MONGO_SOCKET_TIMEOUT_MS);
	if (!mongoc_uri_has_option(u, MONGOC_URI_APPNAME))
		mongoc_uri_set_appname(u, "hivesnap");
	pl = mongoc_client_pool_new_with_error(u, &berr);
	if (!pl) {
		hs_mongo_err(e, HS_EXIT_FAILURE, &berr, uri, "cannot use mongo uri '%s'", red);
		goto out;
	}
	mongoc_client_pool_set_error_api(pl, MONGOC_ERROR_API_VERSION_2);
	mongoc_client_pool_max_size(pl, (uint32_t)(max_size < 1 ? 1 : max_size));
	*pool = pl;
	pl = NULL;
	if (uri_out) {
		*uri_out = u;
		u = NULL;
	}
	rc = 0;
out:
	mongoc_client_pool_destroy(pl);
	mongoc_uri_destroy(u);
	free(red);
	return rc;
}

bool hs_mongo_uuid_hex(const bson_iter_t *it, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	bson_subtype_t st;
	uint32_t len;
	const uint8_t *data;
	int i;

	if (!BSON_ITER_HOLDS_BINARY(it))
		return false;
	bson_iter_binary(it, &st, &len, &data);
	if (len != 16 || (st != BSON_SUBTYPE_UUID && st != BSON_SUBTYPE_UUID_DEPRECATED))
		return false;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[data[i] >> 4];
		out[2 * i + 1] = hex[data[i] & 15];
	}
	out[32] = 0;
	return true;
}

/*
 * libbson writes canonical Extended JSON with spaces ("{ "a" : 1 }");
 * mongodump writes it compact.  Going through jansson (which keeps key
 * order) gives the compact form with the same escaping rules Go uses with
 * HTML escaping off.
 */
char *hs_mongo_metadata_json(const bson_t *options, const bson_t *indexes, const char *uuid,
			     const char *name, const char *type, hs_error *e)
{
	bson_t doc = BSON_INITIALIZER;
	bson_t empty = BSON_INITIALIZER;
	char *ext = NULL, *res = NULL;
	json_t *j = NULL;
	json_error_t jerr;

	if (options && !bson_empty(options))
		BSON_APPEND_DOCUMENT(&doc, "options", options);
	BSON_APPEND_ARRAY(&doc, "indexes", indexes ? indexes : &empty);
	if (uuid)
		BSON_APPEND_UTF8(&doc, "uuid", uuid);
	BSON_APPEND_UTF8(&doc, "collectionName", name);
	if (type)
		BSON_APPEND_UTF8(&doc, "type", type);
	ext = bson_as_canonical_extended_json(&doc, NULL);
	if (!ext) {
		hs_err(e, HS_EXIT_FAILURE, "cannot write metadata of collection '%s': not valid UTF-8", name);
		goto out;
	}
	j = json_loads(ext, JSON_ALLOW_NUL, &jerr);
	if (!j) {
		hs_err(e, HS_EXIT_FAILURE, "cannot write metadata of collection '%s': %s", name, jerr.text);
		goto out;
	}
	res = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!res)
		hs_err(e, HS_EXIT_FAILURE, "cannot write metadata of collection '%s'", name);
out:
	json_decref(j);
	bson_free(ext);
	bson_destroy(&doc);
	bson_destroy(&empty);
	return res;
}

int hs_mongo_metadata_parse(const char *text, size_t len, bson_t *options, bson_t *indexes,
			    char *type, size_t type_size, hs_error *e)
{
	bson_t doc;
	bson_error_t berr;
	bson_iter_t it;
	bool have_opts = false, have_idx = false;
	size_t i = 0;

	/* libbson takes a top-level array as a document too; diff (jansson) would not */
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i < len && text[i] != '{')
		return hs_err(e, HS_EXIT_DATA, "not Extended JSON: not an object");
	if (!bson_init_from_json(&doc, text, (ssize_t)len, &berr))
		return hs_err(e, HS_EXIT_DATA, "not Extended JSON: %s", berr.message);
	snprintf(type, type_size, "collection");
	bson_init(options);
	bson_init(indexes);
	if (bson_iter_init(&it, &doc)) {
		while (bson_iter_next(&it)) {
			const char *k = bson_iter_key(&it);
			const uint8_t *data;
			uint32_t dlen;
			bson_t tmp;

			if (!strcmp(k, "options") && BSON_ITER_HOLDS_DOCUMENT(&it) && !have_opts) {
				bson_iter_document(&it, &dlen, &data);
				if (bson_init_static(&tmp, data, dlen))
					bson_concat(options, &tmp);
				have_opts = true;
			} else if (!strcmp(k, "indexes") && BSON_ITER_HOLDS_ARRAY(&it) && !have_idx) {
				bson_iter_array(&it, &dlen, &data);
				if (bson_init_static(&tmp, data, dlen))
					bson_concat(indexes, &tmp);
				have_idx = true;
			} else if (!strcmp(k, "type") && BSON_ITER_HOLDS_UTF8(&it)) {
				snprintf(type, type_size, "%s", bson_iter_utf8(&it, NULL));
			}
		}
	}
	bson_destroy(&doc);
	return 0;
}

void hs_mongo_index_spec(const bson_t *listed, bson_t *out)
{
	bson_init(out);
	bson_copy_to_excluding_noinit(listed, out, "v", "ns", NULL);
}

bool hs_mongo_entry_split(const char *name, char **db, char **coll, int *kind)
{
	const char *rest, *slash, *dot;
	size_t n;

	if (strncmp(name, "mongo/", 6))
		return false;
	rest = name + 6;
	slash = strchr(rest, '/');
	if (!slash || slash == rest || strchr(slash + 1, '/'))
		return false;
	n = strlen(slash + 1);
	if (n > 5 && !strcmp(slash + 1 + n - 5, ".bson")) {
		*kind = 0;
		dot = slash + 1 + n - 5;
	} else if (n > 14 && !strcmp(slash + 1 + n - 14, ".metadata.json")) {
		*kind = 1;
		dot = slash + 1 + n - 14;
	} else {
		return false;
	}
	*db = hs_xstrndup(rest, (size_t)(slash - rest));
	*coll = hs_xstrndup(slash + 1, (size_t)(dot - slash - 1));
	return true;
}

bool hs_mongo_ns_selected(const char *ns, const char *const *include, const char *const *exclude)
{
	bool in = !include || !include[0];
	size_t i;

	for (i = 0; include && include[i]; i++)
		if (!fnmatch(include[i], ns, 0))
			in = true;
	for (i = 0; exclude && exclude[i]; i++)
		if (!fnmatch(exclude[i], ns, 0))
			in = false;
	return in;
}

/* Check one rule; on success *eq points at its '='. */
static int hs_mongo_rule_check(const char *rule, const char **eq, hs_error *e)
{
	const char *q = strchr(rule, '=');
	const char *star_src, *star_dst;

	if (!q || q == rule || !q[1])
		return hs_err(e, HS_EXIT_USAGE, "--map-ns '%s': expected SRC=DST", rule);
	star_src = memchr(rule, '*', (size_t)(q - rule));
	star_dst = strchr(q + 1, '*');
	if (star_src && memchr(star_src + 1, '*', (size_t)(q - star_src - 1)))
		return hs_err(e, HS_EXIT_USAGE, "--map-ns '%s': SRC may hold one '*'", rule);
	if (star_dst && (!star_src || strchr(star_dst + 1, '*')))
		return hs_err(e, HS_EXIT_USAGE, "--map-ns '%s': a '*' in DST needs one in SRC", rule);
	if (!strchr(q + 1, '.') || strchr(q + 1, '.') == q + 1)
		return hs_err(e, HS_EXIT_USAGE, "--map-ns '%s': DST must be a namespace db.coll or db.*", rule);
	*eq = q;
	return 0;
}

int hs_mongo_ns_rules_check(const char *const *rules, hs_error *e)
{
	const char *eq;
	size_t i;

	for (i = 0; rules && rules[i]; i++)
		if (hs_mongo_rule_check(rules[i], &eq, e))
			return -1;
	return 0;
}

int hs_mongo_ns_map(const char *ns, const char *const *rules, char **out, hs_error *e)
{
	size_t i, nlen = strlen(ns);

	for (i = 0; rules && rules[i]; i++) {
		const char *rule = rules[i], *eq = NULL, *star, *dst, *dstar;
		size_t pre, suf;
		hs_buf b = HS_BUF_INIT;

		if (hs_mongo_rule_check(rule, &eq, e))
			return -1;
		dst = eq + 1;
		star = memchr(rule, '*', (size_t)(eq - rule));
		if (!star) {
			if ((size_t)(eq - rule) == nlen && !strncmp(rule, ns, nlen)) {
				*out = hs_xstrdup(dst);
				return 0;
			}
			continue;
		}
		pre = (size_t)(star - rule);
		suf = (size_t)(eq - star - 1);
		if (nlen < pre + suf || strncmp(ns, rule, pre) || strncmp(ns + nlen - suf, star + 1, suf))
			continue;
		dstar = strchr(dst, '*');
		if (dstar) {
			hs_buf_add(&b, dst, (size_t)(dstar - dst));
			hs_buf_add(&b, ns + pre, nlen - pre - suf);
			hs_buf_adds(&b, dstar + 1);
		} else {
			hs_buf_adds(&b, dst);
		}
		*out = hs_buf_detach(&b, NULL);
		return 0;
	}
	*out = hs_xstrdup(ns);
	return 0;
}

bool hs_mongo_ns_split(const char *ns, char **db, char **coll)
{
	const char *dot = strchr(ns, '.');

	if (!dot || dot == ns || !dot[1])
		return false;
	*db = hs_xstrndup(ns, (size_t)(dot - ns));
	*coll = hs_xstrdup(dot + 1);
	return true;
}

bool hs_mongo_ns_system(const char *db, const char *coll)
{
	return !strcmp(db, "admin") || !strcmp(db, "local") || !strcmp(db, "config") ||
	       !strncmp(coll, "system.", 7);
}
