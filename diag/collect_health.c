/*
 * collect_health.c - the "health" diag collector: every health endpoint of
 * the profile (diag.health), one after another, each within its own
 * timeout (cut to what is left of the collector's budget).
 *
 *   http: GET url; status, latency, the first 64 KiB of the body.
 *   grpc: grpc.health.v1.Health/Check over HTTP/2 cleartext; grpc-status,
 *         the serving status (SERVING, NOT_SERVING, ...), latency.
 *
 * Each endpoint's record goes to diag/health/<name>.json (the name made
 * safe for an entry path) and into the result ("endpoints", in profile
 * order).  Findings (runbook "Check Service Health"): a non-2xx status, a
 * gRPC status other than OK or a serving status other than SERVING, or an
 * endpoint that cannot be reached -> critical "health/readiness failing";
 * a healthy answer slower than thresholds.health_latency_max_ms ->
 * warning.  URLs are recorded only as hs_uri_redact gives them.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "http.h"
#include "net_common.h"
#include "uri.h"

#define HL_BODY_MAX 65536
#define HL_RUNBOOK "Check Service Health"

static bool hl_configured(const hs_profile *p)
{
	return p && p->diag && p->diag->n_health > 0;
}

/* The body as a JSON string when it is UTF-8 text; otherwise a note. */
static void hl_set_body(json_t *rec, const hs_http_response *r)
{
	json_t *s = json_stringn(r->body.data ? r->body.data : "", r->body.len);

	if (s)
		json_object_set_new(rec, "body", s);
	else
		json_object_set_new(rec, "body_note", json_string("not UTF-8 text: left out"));
	json_object_set_new(rec, "body_bytes", json_integer((json_int_t)r->body.len));
	json_object_set_new(rec, "body_truncated", json_boolean(r->truncated));
}

/* GET an http endpoint into rec; *failing gets the reason when it is not healthy. */
static void hl_http(const hs_profile_health *h, int budget, json_t *rec, hs_buf *failing)
{
	hs_http_client *cl = NULL;
	hs_http_opts o;
	hs_http_response r;
	hs_error e;
	double t0;

	hs_error_init(&e);
	hs_http_response_init(&r);
	memset(&o, 0, sizeof(o));
	o.timeout_ms = budget;
	t0 = hs_net_mono_ms();
	if (hs_http_client_new(&cl, &o, &e) ||
	    hs_http_request(cl, "GET", h->url, NULL, NULL, NULL, 0, HL_BODY_MAX, &r, &e)) {
		json_object_set_new(rec, "latency_ms", json_real(hs_net_mono_ms() - t0));
		json_object_set_new(rec, "error", json_string(e.msg));
		hs_buf_addf(failing, "unreachable (%s)", e.msg);
		goto out;
	}
	json_object_set_new(rec, "latency_ms", json_real(hs_net_mono_ms() - t0));
	json_object_set_new(rec, "status", json_integer(r.status));
	hl_set_body(rec, &r);
	if (r.status < 200 || r.status > 299)
		hs_buf_addf(failing, "HTTP %ld", r.status);
out:
	hs_http_response_release(&r);
	hs_http_client_free(cl);
}

/* gRPC health check into rec; *failing gets the reason when it is not SERVING. */
static void hl_grpc(const hs_profile_health *h, int budget, json_t *rec, hs_buf *failing)
{
	hs_grpc_health g;
	hs_error e;
	double t0 = hs_net_mono_ms();

	hs_error_init(&e);
	if (hs_grpc_health_check(h->url, "", budget, &g, &e)) {
		json_object_set_new(rec, "latency_ms", json_real(hs_net_mono_ms() - t0));
		json_object_set_new(rec, "error", json_string(e.msg));
		hs_buf_addf(failing, "unreachable (%s)", e.msg);
		return;
	}
	json_object_set_new(rec, "latency_ms", json_real(g.latency_ms));
	json_object_set_new(rec, "http_status", json_integer(g.http_status));
	json_object_set_new(rec, "grpc_status", g.grpc_status >= 0 ? json_integer(g.grpc_status)
								   : json_null());
	json_object_set_new(rec, "grpc_message", json_string(g.grpc_message));
	json_object_set_new(rec, "serving_status", json_string(hs_grpc_serving_name(g.serving)));
	if (g.http_status != 200)
		hs_buf_addf(failing, "HTTP %ld", g.http_status);
	else if (g.grpc_status != 0)
		hs_buf_addf(failing, "grpc-status %d%s%s", g.grpc_status, g.grpc_message[0] ? ": " : "",
			    g.grpc_message);
	else if (g.serving != 1)
		hs_buf_addf(failing, "%s", hs_grpc_serving_name(g.serving));
}

/*
 * An entry name for the endpoint, unique among those already used (a
 * suffix -2, -3, ... when two names make the same safe form).
 */
static char *hl_entry_name(const char *name, json_t *used)
{
	hs_buf b = HS_BUF_INIT, safe = HS_BUF_INIT;

	hs_net_safe_name(name, &safe);
	for (int i = 1;; i++) {
		hs_buf_reset(&b);
		if (i == 1)
			hs_buf_addf(&b, "diag/health/%s.json", safe.data);
		else
			hs_buf_addf(&b, "diag/health/%s-%d.json", safe.data, i);
		if (!json_object_get(used, b.data))
			break;
	}
	json_object_set_new(used, b.data, json_true());
	hs_buf_release(&safe);
	return hs_buf_detach(&b, NULL);
}

/*
 * Check every endpoint.  The result is rewritten after each one, so a
 * collector cut at its timeout keeps the endpoints it had checked.
 */
static int hl_run(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e)
{
	const hs_profile_diag *d = c->profile->diag;
	int64_t max_ms = d->thresholds.health_latency_max_ms;
	json_t *endpoints = json_array(), *used = json_object();
	size_t failing_n = 0, slow_n = 0;
	int rc = -1;

	for (size_t i = 0; i < d->n_health; i++) {
		const hs_profile_health *h = &d->health[i];
		int budget = hs_net_budget(c->started_ms, c->timeout_ms,
					   h->timeout_ms > 0 ? h->timeout_ms : 5000);
		char *url = hs_uri_redact_dup(h->url);
		char *entry = hl_entry_name(h->name, used);
		hs_buf failing = HS_BUF_INIT, title = HS_BUF_INIT;
		json_t *rec = json_pack("{s:s, s:s, s:s, s:i, s:s}", "name", h->name, "kind",
					h->kind == HS_HEALTH_GRPC ? "grpc" : "http", "url", url,
					"timeout_ms", budget, "entry", entry);
		double latency;
		int frc = 0;

		if (h->kind == HS_HEALTH_GRPC)
			hl_grpc(h, budget, rec, &failing);
		else
			hl_http(h, budget, rec, &failing);
		latency = json_real_value(json_object_get(rec, "latency_ms"));
		json_object_set_new(rec, "ok", json_boolean(failing.len == 0));
		if (failing.len) {
			failing_n++;
			json_object_set_new(rec, "problem", json_string(failing.data));
			hs_buf_addf(&title, "%s health/readiness failing: %s", h->name, failing.data);
			frc = hs_diag_out_finding(o, HS_SEV_CRITICAL, title.data, json_deep_copy(rec),
						  HL_RUNBOOK, e);
		} else if (max_ms > 0 && latency > (double)max_ms) {
			slow_n++;
			json_object_set_new(rec, "slow", json_true());
			hs_buf_addf(&title, "%s health answered in %.0f ms, over %lld ms", h->name, latency,
				    (long long)max_ms);
			frc = hs_diag_out_finding(o, HS_SEV_WARNING, title.data,
						  json_pack("{s:s, s:s, s:f, s:I}", "name", h->name, "url", url,
							    "latency_ms", latency, "threshold_ms",
							    (json_int_t)max_ms),
						  HL_RUNBOOK, e);
		}
		hs_buf_release(&failing);
		hs_buf_release(&title);
		free(url);
		if (frc == 0)
			frc = hs_diag_out_add_json(o, entry, rec, e);
		free(entry);
		json_array_append_new(endpoints, rec);
		if (frc)
			goto out;
		if (hs_diag_out_set_result(o, json_pack("{s:O, s:I, s:I, s:I}", "endpoints", endpoints,
							"checked", (json_int_t)(i + 1), "failing",
							(json_int_t)failing_n, "slow", (json_int_t)slow_n),
					   e))
			goto out;
	}
	rc = 0;
out:
	json_decref(endpoints);
	json_decref(used);
	return rc;
}

const hs_diag_collector hs_diag_collector_health = {
	.name = "health",
	.title = "HTTP and gRPC health",
	.configured = hl_configured,
	.run = hl_run,
	.timeout_ms = 30000,
};
