/*
 * silence.c - create and expire Alertmanager silences.  See silence.h.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "http.h"
#include "uri.h"
#include "silence.h"

/* RFC 3339 UTC of t into out. */
static void hs_rfc3339(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* base URL without a trailing '/' + path */
static void hs_am_url(hs_buf *b, const char *base, const char *path)
{
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	hs_buf_add(b, base, n);
	hs_buf_adds(b, path);
}

/* One request; non-2xx becomes an error quoting Alertmanager's message. */
static int hs_am_call(const char *method, const char *url, const char *body, hs_http_response *r,
		      hs_error *e)
{
	hs_http_client *c = NULL;
	hs_http_opts o;
	char *safe = NULL;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 10000;
	if (hs_http_client_new(&c, &o, e))
		goto out;
	if (hs_http_request(c, method, url, NULL, body ? "application/json" : NULL, body,
			    body ? strlen(body) : 0, 65536, r, e))
		goto out;
	if (r->status < 200 || r->status > 299) {
		char msg[200];
		size_t n = r->body.len < sizeof(msg) - 1 ? r->body.len : sizeof(msg) - 1;
		size_t i;

		memcpy(msg, r->body.len ? r->body.data : "", n);
		msg[n] = '\0';
		for (i = 0; i < n; i++)
			if (msg[i] == '\n' || msg[i] == '\r')
				msg[i] = ' ';
		while (n && (msg[n - 1] == ' ' || msg[n - 1] == '"'))
			msg[--n] = '\0';
		safe = hs_uri_redact_dup(url);
		hs_err(e, HS_EXIT_FAILURE, "alertmanager '%s' answered %ld: %s", safe, r->status,
		       msg[0] == '"' ? msg + 1 : msg);
		goto out;
	}
	rc = 0;
out:
	free(safe);
	hs_http_client_free(c);
	return rc;
}

/* POST the silence; see silence.h. */
int hs_silence_create(const char *am_url, const hs_profile_silence *s, int64_t duration_s,
		      const char *note, char **id, json_t **record, hs_error *e)
{
	hs_buf url = HS_BUF_INIT, comment = HS_BUF_INIT;
	hs_http_response r;
	json_t *req = NULL, *matchers, *resp = NULL;
	char *body = NULL;
	char t0[32], t1[32];
	time_t now = time(NULL);
	const char *sid;
	size_t i;
	int rc = -1;

	*id = NULL;
	if (record)
		*record = NULL;
	hs_http_response_init(&r);
	if (!s || !s->n_matchers) {
		hs_err(e, HS_EXIT_USAGE, "--silence needs silence.matchers in the profile");
		goto out;
	}
	matchers = json_array();
	for (i = 0; i < s->n_matchers; i++)
		json_array_append_new(matchers, json_pack("{s:s, s:s, s:b, s:b}", "name", s->matchers[i].name,
							  "value", s->matchers[i].value, "isRegex",
							  s->matchers[i].is_regex, "isEqual", s->matchers[i].is_equal));
	hs_rfc3339(now, t0, sizeof(t0));
	hs_rfc3339(now + (time_t)duration_s, t1, sizeof(t1));
	hs_buf_addf(&comment, "%s%s%s", s->comment ? s->comment : "hivesnap snapshot", note ? ": " : "",
		    note ? note : "");
	req = json_pack("{s:o, s:s, s:s, s:s, s:s}", "matchers", matchers, "startsAt", t0, "endsAt", t1,
			"createdBy", s->author ? s->author : "hivesnap", "comment", comment.data);
	body = json_dumps(req, JSON_COMPACT);
	hs_am_url(&url, am_url, "/api/v2/silences");
	if (hs_am_call("POST", url.data, body, &r, e))
		goto out;
	resp = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
	sid = json_string_value(json_object_get(resp, "silenceID"));
	if (!sid || !*sid) {
		char *safe = hs_uri_redact_dup(url.data);

		hs_err(e, HS_EXIT_FAILURE, "alertmanager '%s' did not return a silenceID", safe);
		free(safe);
		goto out;
	}
	*id = hs_xstrdup(sid);
	if (record) {
		char *safe = hs_uri_redact_dup(am_url);

		*record = json_pack("{s:s, s:s, s:s, s:s, s:O}", "id", sid, "alertmanager", safe,
				    "starts_at", t0, "ends_at", t1, "matchers",
				    json_object_get(req, "matchers"));
		free(safe);
	}
	rc = 0;
out:
	hs_http_response_release(&r);
	json_decref(req);
	json_decref(resp);
	free(body);
	hs_buf_release(&url);
	hs_buf_release(&comment);
	return rc;
}

/* DELETE the silence; see silence.h. */
int hs_silence_expire(const char *am_url, const char *id, hs_error *e)
{
	hs_buf url = HS_BUF_INIT;
	hs_http_response r;
	int rc;

	hs_http_response_init(&r);
	hs_am_url(&url, am_url, "/api/v2/silence/");
	hs_http_escape(&url, id);
	rc = hs_am_call("DELETE", url.data, NULL, &r, e);
	hs_http_response_release(&r);
	hs_buf_release(&url);
	return rc;
}
