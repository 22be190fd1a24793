/*
 * http.h - a small libcurl wrapper: one client (TLS settings, timeout,
 * default headers) and blocking requests that return status and body.
 *
 * Used by the Kubernetes source and meant for diag (health checks,
 * Prometheus).  Headers may carry credentials (Authorization): they are
 * never logged and never appear in an error; error messages name the URL
 * the caller gave, so callers must not put secrets in URLs.
 */
#ifndef HS_HTTP_H
#define HS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"

/*
 * Client settings.  Every pointer is borrowed for the call of
 * hs_http_client_new only (the client copies what it keeps).  PEM data
 * (ca_data, cert_data, key_data) takes precedence over the file of the
 * same kind.
 */
typedef struct hs_http_opts {
	const char *ca_file;
	const void *ca_data;
	size_t ca_len;
	const char *cert_file;
	const void *cert_data;
	size_t cert_len;
	const char *key_file;
	const void *key_data;
	size_t key_len;
	bool insecure;            /* do not verify the server's certificate */
	const char *bearer_token; /* sent as "Authorization: Bearer ..."; NULL for none */
	long timeout_ms;          /* whole request; 0 = 30000 */
	long connect_timeout_ms;  /* 0 = min(timeout_ms, 10000) */
	bool http2_prior_knowledge; /* HTTP/2 over cleartext without upgrade (gRPC, h2c) */
} hs_http_opts;

typedef struct hs_http_client hs_http_client;

/* A response: status code (0 until one arrived) and body.  Owned by the caller. */
typedef struct hs_http_response {
	long status;
	hs_buf body;
	long retry_after_s;       /* Retry-After header in seconds, -1 if none */
	bool truncated;           /* the body went past max_bytes and was cut there */
	hs_buf headers;           /* every response header line as received, status lines
	                             and HTTP/2 trailers included ("name: value\r\n") */
	int transport_code;       /* the CURLcode of a failed transfer, 0 (CURLE_OK) when none */
	bool may_have_sent;       /* a failed transfer got past connect and TLS: the request
	                             may have reached the server */
} hs_http_response;

int hs_http_client_new(hs_http_client **out, const hs_http_opts *o, hs_error *e);
void hs_http_client_free(hs_http_client *c);

/*
 * Change the whole-request timeout of the next requests (ms, > 0); the
 * connect timeout stays at most this.  For a caller with a deadline: no
 * request may outlive it.
 */
void hs_http_client_set_timeout(hs_http_client *c, long timeout_ms);

/* Initialise r (empty body, status 0). */
void hs_http_response_init(hs_http_response *r);
/* Release the body; r can be reused after hs_http_response_init. */
void hs_http_response_release(hs_http_response *r);

/*
 * One request: method ("GET", "PUT", "PATCH", ...), absolute URL, extra
 * headers (NULL-terminated "Name: value" strings, may be NULL), an optional
 * body (content_type applies to it) and max_bytes (0 = no limit; beyond it
 * the body is cut and r->truncated set).  Any HTTP status is a success
 * here (the caller maps it); only a transport failure (cannot connect,
 * TLS, timeout) is an error, HS_EXIT_FAILURE, naming the URL.  r must be
 * initialised; its previous body is replaced.  Not thread-safe per client.
 */
int hs_http_request(hs_http_client *c, const char *method, const char *url,
		    const char *const *headers, const char *content_type,
		    const void *body, size_t body_len, size_t max_bytes,
		    hs_http_response *r, hs_error *e);

/*
 * The value of the last header (or trailer) called name (case-insensitive)
 * of r, without surrounding blanks, appended to value.  False when there is
 * none.
 */
bool hs_http_response_header(const hs_http_response *r, const char *name, hs_buf *value);

/* URL-encode s (RFC 3986 unreserved kept) onto b. */
void hs_http_escape(hs_buf *b, const char *s);

#endif
