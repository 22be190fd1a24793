/*
 * redis_conn.c - redis:// URIs and hiredis connections for the Redis
 * capture and restore.  hiredis 0.14 (Debian bookworm) has no TLS, so a
 * rediss:// URI is refused with a clear message instead of being sent in
 * clear text.  The password never reaches a message: errors name the URI
 * through hs_uri_redact().
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "redis_common.h"
#include "uri.h"

void hs_redis_uri_release(hs_redis_uri *u)
{
	if (!u)
		return;
	free(u->host);
	free(u->user);
	if (u->password) {
		/* do not leave the secret in freed memory */
		memset(u->password, 0, strlen(u->password));
		free(u->password);
	}
	memset(u, 0, sizeof(*u));
}

static int hs_redis_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode n bytes into a new string; NULL when malformed or it holds NUL. */
static char *hs_redis_pct_decode(const char *p, size_t n)
{
	hs_buf b = HS_BUF_INIT;
	size_t i;

	hs_buf_grow(&b, n);
	for (i = 0; i < n; i++) {
		if (p[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hs_redis_hexval((unsigned char)p[i + 1]);
			lo = hs_redis_hexval((unsigned char)p[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			hs_buf_addc(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			hs_buf_addc(&b, p[i]);
		}
	}
	return hs_buf_detach(&b, NULL);
bad:
	hs_buf_release(&b);
	return NULL;
}

/*
 * Parse a redis:// URI by hand (hiredis has no URI parser): userinfo up to
 * the last '@' of the authority, host (or [IPv6]), optional port, optional
 * /db, and a query string that is ignored.
 */
int hs_redis_uri_parse(const char *uri, int badcode, hs_redis_uri *out, hs_error *e)
{
	char *shown = NULL;
	const char *p, *auth_end, *at, *hp, *hend, *portp = NULL;
	const char *q;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->port = 6379;
	if (!uri || !*uri)
		return hs_err(e, badcode, "redis uri is empty");
	shown = hs_uri_redact_dup(uri);
	if (!strncmp(uri, "rediss://", 9)) {
		hs_err(e, HS_EXIT_FAILURE, "cannot connect to redis '%s': TLS not supported by this build (hiredis without TLS); use redis:// through a TLS tunnel",
		       shown);
		goto out;
	}
	if (strncmp(uri, "redis://", 8)) {
		hs_err(e, badcode, "invalid redis uri '%s': expected redis://[user:password@]host[:port][/db]",
		       shown);
		goto out;
	}
	p = uri + 8;
	auth_end = p + strcspn(p, "/?#");
	at = NULL;
	for (q = p; q < auth_end; q++)
		if (*q == '@')
			at = q;
	hp = p;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		if (colon) {
			if (colon > p)
				out->user = hs_redis_pct_decode(p, (size_t)(colon - p));
			out->password = hs_redis_pct_decode(colon + 1, (size_t)(at - colon - 1));
			if ((colon > p && !out->user) || !out->password) {
				hs_err(e, badcode, "invalid redis uri '%s': bad percent-encoding in the user or password", shown);
				goto out;
			}
			if (!*out->password) {
				free(out->password);
				out->password = NULL;
			}
		} else if (at > p) {
			/* redis://secret@host: a lone userinfo is the password (as redis-cli reads it) */
			out->password = hs_redis_pct_decode(p, (size_t)(at - p));
			if (!out->password) {
				hs_err(e, badcode, "invalid redis uri '%s': bad percent-encoding in the password", shown);
				goto out;
			}
		}
		hp = at + 1;
	}
	if (*hp == '[') {
		hend = memchr(hp, ']', (size_t)(auth_end - hp));
		if (!hend) {
			hs_err(e, badcode, "invalid redis uri '%s': unclosed '[' in the host", shown);
			goto out;
		}
		out->host = hs_xstrndup(hp + 1, (size_t)(hend - hp - 1));
		hend++;
		if (hend < auth_end) {
			if (*hend != ':') {
				hs_err(e, badcode, "invalid redis uri '%s': junk after the host", shown);
				goto out;
			}
			portp = hend + 1;
		}
	} else {
		const char *colon = memchr(hp, ':', (size_t)(auth_end - hp));

		hend = colon ? colon : auth_end;
		out->host = hs_xstrndup(hp, (size_t)(hend - hp));
		if (colon)
			portp = colon + 1;
	}
	if (!*out->host) {
		hs_err(e, badcode, "invalid redis uri '%s': no host", shown);
		goto out;
	}
	if (portp) {
		long v = 0;
		const char *d;

		if (portp == auth_end) {
			hs_err(e, badcode, "invalid redis uri '%s': empty port", shown);
			goto out;
		}
		for (d = portp; d < auth_end; d++) {
			if (!isdigit((unsigned char)*d) || v > 65535) {
				hs_err(e, badcode, "invalid redis uri '%s': port is not a number 1-65535", shown);
				goto out;
			}
			v = v * 10 + (*d - '0');
		}
		if (v < 1 || v > 65535) {
			hs_err(e, badcode, "invalid redis uri '%s': port is not a number 1-65535", shown);
			goto out;
		}
		out->port = (int)v;
	}
	if (*auth_end == '/') {
		const char *d = auth_end + 1;
		const char *dend = d + strcspn(d, "?#");

		if (dend > d) {
			long v = 0;

			for (q = d; q < dend; q++) {
				if (!isdigit((unsigned char)*q) || v > 1000000) {
					hs_err(e, badcode, "invalid redis uri '%s': db '%.*s' is not a number",
					       shown, (int)(dend - d), d);
					goto out;
				}
				v = v * 10 + (*q - '0');
			}
			out->db = (int)v;
			out->has_db = true;
		}
	}
	rc = 0;
out:
	free(shown);
	if (rc)
		hs_redis_uri_release(out);
	return rc;
}

/* Turn a reply that is missing or an error into e; frees the reply then. */
static redisReply *hs_redis_check(redisContext *c, redisReply *r, hs_error *e)
{
	if (!r) {
		hs_err(e, HS_EXIT_FAILURE, "redis connection lost: %s",
		       c->errstr[0] ? c->errstr : "no reply");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		hs_err(e, HS_EXIT_FAILURE, "redis replied: %.*s", (int)r->len, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

redisReply *hs_redis_cmd(redisContext *c, hs_error *e, int argc, const char **argv,
			 const size_t *lens)
{
	return hs_redis_check(c, redisCommandArgv(c, argc, argv, lens), e);
}

redisReply *hs_redis_get_reply(redisContext *c, hs_error *e)
{
	void *r = NULL;

	if (redisGetReply(c, &r) != REDIS_OK || !r) {
		hs_err(e, HS_EXIT_FAILURE, "redis connection lost: %s",
		       c->errstr[0] ? c->errstr : "no reply");
		return NULL;
	}
	return r;
}

int hs_redis_select(redisContext *c, int db, hs_error *e)
{
	char num[16];
	const char *argv[2] = { "SELECT", num };
	redisReply *r;

	snprintf(num, sizeof(num), "%d", db);
	r = hs_redis_cmd(c, e, 2, argv, NULL);
	if (!r)
		return hs_err_prefix(e, "cannot select db %d", db);
	freeReplyObject(r);
	return 0;
}

/*
 * Connect with a 10 s connect timeout and a 120 s I/O timeout (a page of a
 * big collection can take a while on a busy server), authenticate (ACL
 * user or legacy password) and select db.
 */
int hs_redis_connect(const hs_redis_uri *u, const char *what, int db, redisContext **out,
		     hs_error *e)
{
	struct timeval ctv = { 10, 0 }, iotv = { 120, 0 };
	redisContext *c = NULL;
	redisReply *r = NULL;
	int rc = -1;

	*out = NULL;
	c = redisConnectWithTimeout(u->host, u->port, ctv);
	if (!c) {
		hs_err(e, HS_EXIT_FAILURE, "cannot connect to redis '%s': out of memory", what);
		goto out;
	}
	if (c->err) {
		hs_err(e, HS_EXIT_FAILURE, "cannot connect to redis '%s': %s", what, c->errstr);
		goto out;
	}
	redisSetTimeout(c, iotv);
	if (u->password) {
		const char *argv[3];
		int argc = 0;

		argv[argc++] = "AUTH";
		if (u->user)
			argv[argc++] = u->user;
		argv[argc++] = u->password;
		r = redisCommandArgv(c, argc, argv, NULL);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			/* the reply text names no secret ("WRONGPASS invalid username-password pair") */
			hs_err(e, HS_EXIT_FAILURE, "cannot authenticate to redis '%s': %.*s", what,
			       r ? (int)r->len : (int)strlen(c->errstr), r ? r->str : c->errstr);
			goto out;
		}
		freeReplyObject(r);
		r = NULL;
	}
	if (db && hs_redis_select(c, db, e)) {
		hs_err_prefix(e, "redis '%s'", what);
		goto out;
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	if (c)
		redisFree(c);
	return rc;
}
