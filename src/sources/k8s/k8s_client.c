/*
 * k8s_client.c - the Kubernetes API client of k8s_common.h: URL building,
 * status-to-error mapping, 429 retries and paginated lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "clock.h"
#include "k8s_common.h"
#include "log.h"

#define HS_K8S_PAGE 500

int hs_k8s_client_new(hs_k8s_client **out, const char *kubeconfig, const char *context,
		      int timeout_ms, hs_error *e)
{
	hs_k8s_client *c = hs_xcalloc(1, sizeof(*c));
	hs_http_opts o;
	int ret = -1;

	*out = NULL;
	c->retries_429 = 3;
	if (hs_kubeconfig_load(kubeconfig, context, &c->kc, e) < 0)
		goto out;
	memset(&o, 0, sizeof(o));
	o.ca_file = c->kc->ca_file;
	o.ca_data = c->kc->ca_data;
	o.ca_len = c->kc->ca_len;
	o.cert_file = c->kc->cert_file;
	o.cert_data = c->kc->cert_data;
	o.cert_len = c->kc->cert_len;
	o.key_file = c->kc->key_file;
	o.key_data = c->kc->key_data;
	o.key_len = c->kc->key_len;
	o.insecure = c->kc->insecure;
	o.bearer_token = c->kc->token;
	o.timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	c->timeout_ms = (int)o.timeout_ms;
	if (hs_http_client_new(&c->http, &o, e) < 0)
		goto out;
	*out = c;
	c = NULL;
	ret = 0;
out:
	hs_k8s_client_free(c);
	return ret;
}

void hs_k8s_client_free(hs_k8s_client *c)
{
	if (!c)
		return;
	hs_http_client_free(c->http);
	hs_kubeconfig_free(c->kc);
	free(c);
}

/* "deployments.apps" or "configmaps" (+ "/log" for a subresource). */
static void hs_k8s_resource_name(hs_buf *b, const hs_k8s_req *rq)
{
	hs_buf_adds(b, rq->resource);
	if (rq->sub)
		hs_buf_addf(b, "/%s", rq->sub);
	if (rq->group && *rq->group)
		hs_buf_addf(b, ".%s", rq->group);
}

/* What the request is about: "ns/name" or "namespace 'ns'" or "the cluster". */
static void hs_k8s_subject(hs_buf *b, const hs_k8s_req *rq)
{
	if (rq->name && rq->ns)
		hs_buf_addf(b, "'%s/%s'", rq->ns, rq->name);
	else if (rq->name)
		hs_buf_addf(b, "'%s'", rq->name);
	else if (rq->ns)
		hs_buf_addf(b, "in namespace '%s'", rq->ns);
	else
		hs_buf_adds(b, "cluster-wide");
}

bool hs_k8s_authz_denied(const char *reason, const char *message)
{
	const char *u;

	/* the authorizer's words (k8s.io/apiserver forbiddenMessage): `... is forbidden: User "U" cannot VERB ...` */
	if (!reason || strcmp(reason, "Forbidden") || !message)
		return false;
	u = strstr(message, "forbidden: User \"");
	return u && strstr(u, "\" cannot ");
}

/*
 * The quoted part of a message: one line, at most max bytes, from "from"
 * on when the message holds it (else whole), after ": ".
 */
static void hs_k8s_quote(hs_buf *b, const char *message, const char *from, size_t max)
{
	const char *p = message && from ? strstr(message, from) : NULL;
	size_t start = b->len;

	if (!message || !*message)
		return;
	hs_buf_adds(b, ": ");
	for (p = p ? p : message; *p && b->len - start < max; p++)
		hs_buf_addc(b, *p == '\n' || *p == '\r' ? ' ' : *p);
}

/*
 * Map an HTTP status to one error line: 401 (credentials refused), 403
 * (the authorizer's denial names the RBAC permission: verb, resource,
 * group, namespace; any other 403 quotes the server), 404, 409, 410, 429,
 * 5xx and anything else, each with the API's message.
 */
int hs_k8s_status_error(const hs_k8s_req *rq, long status, const char *reason, const char *message,
			const char *user, hs_error *e)
{
	hs_buf res = HS_BUF_INIT, subj = HS_BUF_INIT, msg = HS_BUF_INIT;
	int code = HS_EXIT_FAILURE;

	hs_k8s_resource_name(&res, rq);
	hs_k8s_subject(&subj, rq);
	hs_k8s_quote(&msg, message, NULL, 300);
	switch (status) {
	case 401:
		hs_err(e, code, "cannot %s %s %s: unauthorized (401): the API server refused the credentials of "
		       "user '%s' (expired or invalid token or certificate)", rq->verb, res.data, subj.data,
		       user ? user : "?");
		break;
	case 403:
		if (hs_k8s_authz_denied(reason, message)) {
			/* quote from `User "..."` on: the identity the server saw, and its reason */
			hs_buf_reset(&msg);
			hs_k8s_quote(&msg, message, "User \"", 200);
			hs_err(e, code, "cannot %s %s %s: forbidden (403): user '%s' lacks the RBAC permission "
			       "verb=%s resource=%s%s%s%s%s apiGroup=\"%s\" (the API server%s)", rq->verb, res.data,
			       subj.data, user ? user : "?", rq->verb, rq->resource, rq->sub ? "/" : "",
			       rq->sub ? rq->sub : "", rq->ns ? " namespace=" : "", rq->ns ? rq->ns : "",
			       rq->group ? rq->group : "", msg.data);
		} else {
			hs_err(e, code, "cannot %s %s %s: forbidden (403)%s", rq->verb, res.data, subj.data,
			       msg.data ? msg.data : ", the API server gave no reason");
		}
		break;
	case 404:
		hs_err(e, code, "cannot %s %s %s: not found (404)%s", rq->verb, res.data, subj.data, msg.data ? msg.data : "");
		break;
	case 409:
		hs_err(e, code, "cannot %s %s %s: conflict (409), it changed since it was read%s", rq->verb, res.data,
		       subj.data, msg.data ? msg.data : "");
		break;
	case 410:
		hs_err(e, code, "cannot %s %s %s: gone (410), the list continue token or resourceVersion expired; "
		       "retry%s", rq->verb, res.data, subj.data, msg.data ? msg.data : "");
		break;
	case 429:
		hs_err(e, code, "cannot %s %s %s: too many requests (429), the API server is throttling%s", rq->verb,
		       res.data, subj.data, msg.data ? msg.data : "");
		break;
	default:
		if (status >= 500)
			hs_err(e, code, "cannot %s %s %s: API server error %ld%s", rq->verb, res.data, subj.data, status,
			       msg.data ? msg.data : "");
		else
			hs_err(e, code, "cannot %s %s %s: HTTP %ld%s", rq->verb, res.data, subj.data, status,
			       msg.data ? msg.data : "");
		break;
	}
	hs_buf_release(&res);
	hs_buf_release(&subj);
	hs_buf_release(&msg);
	return -1;
}

/* /api/v1/namespaces/NS/RES/NAME/SUB?QUERY on the server. */
static void hs_k8s_url(hs_buf *b, const hs_k8s_client *c, const hs_k8s_req *rq)
{
	hs_buf_adds(b, c->kc->server);
	if (rq->group && *rq->group)
		hs_buf_addf(b, "/apis/%s/%s", rq->group, rq->version ? rq->version : "v1");
	else
		hs_buf_addf(b, "/api/%s", rq->version ? rq->version : "v1");
	if (rq->ns) {
		hs_buf_adds(b, "/namespaces/");
		hs_http_escape(b, rq->ns);
	}
	hs_buf_addf(b, "/%s", rq->resource);
	if (rq->name) {
		hs_buf_addc(b, '/');
		hs_http_escape(b, rq->name);
	}
	if (rq->sub)
		hs_buf_addf(b, "/%s", rq->sub);
	if (rq->query && *rq->query)
		hs_buf_addf(b, "?%s", rq->query);
}

/*
 * What a transport failure (libcurl's code) means in plain words, and
 * whether it can have come after the request reached the server: a
 * failure to resolve, connect or finish the TLS handshake cannot, nor can
 * any failure before the transfer got past those (r->may_have_sent, e.g.
 * a timeout while connecting); anything else can.  A write that failed so
 * may have been applied, and the caller's report must not say it was not.
 */
static const char *hs_k8s_transport_hint(const hs_http_response *r, bool *maybe_sent)
{
	static const struct {
		CURLcode code;
		bool sent;
		const char *hint;
	} known[] = {
		{ CURLE_COULDNT_RESOLVE_HOST, false, "" },
		{ CURLE_COULDNT_CONNECT, false, " (the API server is down or unreachable)" },
		{ CURLE_SSL_CONNECT_ERROR, false, " (the TLS handshake failed)" },
		{ CURLE_PEER_FAILED_VERIFICATION, false, "" },
		{ CURLE_SSL_CERTPROBLEM, false, "" },
		{ CURLE_SSL_CACERT_BADFILE, false, "" },
		{ CURLE_OPERATION_TIMEDOUT, true, " (no answer within the request timeout, k8s.timeout_ms)" },
		{ CURLE_PARTIAL_FILE, true, " (the connection closed in the middle of the answer)" },
		{ CURLE_GOT_NOTHING, true, " (the connection closed without an answer)" },
		{ CURLE_RECV_ERROR, true, " (the connection broke)" },
		{ CURLE_SEND_ERROR, true, " (the connection broke)" },
		{ CURLE_HTTP2, true, " (the connection broke)" },
		{ CURLE_HTTP2_STREAM, true, " (the connection broke)" },
	};
	size_t i;

	*maybe_sent = r->may_have_sent;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if ((int)known[i].code == r->transport_code) {
			*maybe_sent = known[i].sent && r->may_have_sent;
			return known[i].hint;
		}
	return "";
}

int hs_k8s_call(hs_k8s_client *c, const hs_k8s_req *rq, const char *method,
		const char *content_type, const char *body, json_t **out, hs_buf *raw,
		size_t max_bytes, long *status, hs_error *e)
{
	static const char *const accept_json[] = { "Accept: application/json", NULL };
	hs_buf url = HS_BUF_INIT;
	hs_http_response r;
	int attempt = 0;
	int ret = -1;

	if (out)
		*out = NULL;
	if (status)
		*status = 0;
	hs_http_response_init(&r);
	hs_k8s_url(&url, c, rq);
	for (;;) {
		if (c->deadline_ms > 0) {
			int64_t left = c->deadline_ms - hs_now_ms();
			hs_buf res = HS_BUF_INIT;

			if (left < 200) {
				hs_k8s_resource_name(&res, rq);
				hs_err(e, HS_EXIT_FAILURE, "cannot %s %s: time budget spent", rq->verb, res.data);
				hs_buf_release(&res);
				goto out;
			}
			hs_http_client_set_timeout(c->http, left < c->timeout_ms ? (long)left : (long)c->timeout_ms);
		}
		if (hs_http_request(c->http, method, url.data, raw ? NULL : accept_json, content_type, body,
				    body ? strlen(body) : 0, raw ? max_bytes : 0, &r, e) < 0) {
			/* "cannot GET '<url>': <reason>" -> name the request as the API errors do */
			const char *why = strstr(e->msg, "': ");
			hs_buf res = HS_BUF_INIT, subj = HS_BUF_INIT;
			char reason[HS_ERROR_MSG_MAX];
			const char *hint;
			bool sent;

			snprintf(reason, sizeof(reason), "%s", why ? why + 3 : e->msg);
			hint = hs_k8s_transport_hint(&r, &sent);
			hs_k8s_resource_name(&res, rq);
			hs_k8s_subject(&subj, rq);
			hs_err(e, e->code, "cannot %s %s %s: API server '%s': %s%s%s", rq->verb, res.data, subj.data,
			       c->kc->server, reason, hint, strcmp(method, "GET") && sent ?
			       "; the request was sent, so the change may have been applied" : "");
			hs_buf_release(&res);
			hs_buf_release(&subj);
			goto out;
		}
		if (r.status == 429 && attempt < c->retries_429 &&
		    (c->deadline_ms <= 0 ||
		     hs_now_ms() + 1000 * (r.retry_after_s > 0 && r.retry_after_s < 10 ? r.retry_after_s : 1) + 200 <
			     c->deadline_ms)) {
			long wait = r.retry_after_s > 0 && r.retry_after_s < 10 ? r.retry_after_s : 1;

			attempt++;
			hs_warn("k8s", "API server throttling (429) on %s %s, retry %d in %lds", rq->verb, rq->resource,
				attempt, wait);
			sleep((unsigned)wait);
			continue;
		}
		break;
	}
	if (status)
		*status = r.status;
	if (r.status < 200 || r.status >= 300) {
		json_t *st = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);

		hs_k8s_status_error(rq, r.status, json_string_value(json_object_get(st, "reason")),
				    json_string_value(json_object_get(st, "message")), c->kc->user, e);
		json_decref(st);
		goto out;
	}
	if (raw) {
		hs_buf_add(raw, r.body.data ? r.body.data : "", r.body.len);
	} else if (out) {
		json_error_t je;

		*out = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, &je);
		if (!*out) {
			hs_buf res = HS_BUF_INIT;

			hs_k8s_resource_name(&res, rq);
			hs_err(e, HS_EXIT_FAILURE, "cannot %s %s: the API server's answer is not JSON: %s", rq->verb,
			       res.data, je.text);
			hs_buf_release(&res);
			goto out;
		}
	}
	ret = 0;
out:
	hs_http_response_release(&r);
	hs_buf_release(&url);
	return ret;
}

/*
 * Append a list page's items to all, giving each the apiVersion and kind
 * the API leaves out of list items ("ConfigMapList" -> "ConfigMap"), so
 * that stored objects are apply-able on their own.
 */
static void hs_k8s_list_items(json_t *all, json_t *doc)
{
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	json_t *api = json_object_get(doc, "apiVersion"), *it;
	size_t i, n = kind ? strlen(kind) : 0;

	json_array_foreach(json_object_get(doc, "items"), i, it) {
		if (!json_object_get(it, "kind") && n > 4 && !strcmp(kind + n - 4, "List"))
			json_object_set_new(it, "kind", json_stringn(kind, n - 4));
		if (!json_object_get(it, "apiVersion") && api)
			json_object_set(it, "apiVersion", api);
		json_array_append(all, it);
	}
}

/* Page through a collection with limit/continue (at most HS_K8S_MAX_PAGES pages). */
#define HS_K8S_MAX_PAGES 20000

int hs_k8s_list(hs_k8s_client *c, const hs_k8s_req *rq, json_t **items, char **rv, hs_error *e)
{
	json_t *all = json_array();
	char *cont = NULL;
	hs_buf q = HS_BUF_INIT;
	hs_k8s_req page = *rq;
	int ret = -1, pages = 0;

	*items = NULL;
	*rv = NULL;
	for (;;) {
		json_t *doc = NULL, *meta;
		const char *next;

		hs_buf_reset(&q);
		hs_buf_addf(&q, "limit=%d", HS_K8S_PAGE);
		if (rq->query && *rq->query)
			hs_buf_addf(&q, "&%s", rq->query);
		if (cont) {
			hs_buf_adds(&q, "&continue=");
			hs_http_escape(&q, cont);
		}
		page.query = q.data;
		if (hs_k8s_call(c, &page, "GET", NULL, NULL, &doc, NULL, 0, NULL, e) < 0)
			goto out;
		hs_k8s_list_items(all, doc);
		meta = json_object_get(doc, "metadata");
		if (!*rv && json_string_value(json_object_get(meta, "resourceVersion")))
			*rv = hs_xstrdup(json_string_value(json_object_get(meta, "resourceVersion")));
		next = json_string_value(json_object_get(meta, "continue"));
		/* a server that hands back the token it was given, or pages for ever, is refused */
		if (next && *next && ((cont && !strcmp(next, cont)) || ++pages >= HS_K8S_MAX_PAGES)) {
			hs_err(e, HS_EXIT_FAILURE, "cannot list %s%s%s: the API server keeps paging (%s after %d pages)",
			       rq->resource, rq->ns ? " in namespace " : "", rq->ns ? rq->ns : "",
			       cont && !strcmp(next, cont) ? "same continue token" : "no end", pages);
			json_decref(doc);
			goto out;
		}
		free(cont);
		cont = next && *next ? hs_xstrdup(next) : NULL;
		json_decref(doc);
		if (!cont)
			break;
	}
	*items = all;
	all = NULL;
	ret = 0;
out:
	if (ret < 0) {
		free(*rv);
		*rv = NULL;
	}
	json_decref(all);
	free(cont);
	hs_buf_release(&q);
	return ret;
}
