/*
 * http.c - the libcurl wrapper of http.h.  One easy handle per client,
 * reused between requests (keep-alive); TLS material given as PEM bytes is
 * passed to curl as blobs, so nothing is written to disk.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "uri.h"

struct hs_http_client {
	CURL *curl;
	char *auth_header;
	long connect_timeout_ms;
};

/* Per-request state handed to curl's callbacks. */
typedef struct hs_http_call {
	hs_http_response *r;
	size_t max_bytes;
} hs_http_call;

static pthread_once_t hs_http_once = PTHREAD_ONCE_INIT;
static CURLcode hs_http_init_rc;

static void hs_http_global_init(void)
{
	hs_http_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void hs_http_response_init(hs_http_response *r)
{
	r->status = 0;
	hs_buf_init(&r->body);
	r->retry_after_s = -1;
	r->truncated = false;
	hs_buf_init(&r->headers);
	r->transport_code = 0;
	r->may_have_sent = false;
}

void hs_http_response_release(hs_http_response *r)
{
	if (!r)
		return;
	hs_buf_release(&r->body);
	hs_buf_release(&r->headers);
}

/* Copy a blob into curl (CURL_BLOB_COPY: curl keeps its own copy). */
static CURLcode hs_http_blob(CURL *curl, CURLoption opt, const void *data, size_t len)
{
	struct curl_blob blob;

	blob.data = (void *)data;
	blob.len = len;
	blob.flags = CURL_BLOB_COPY;
	return curl_easy_setopt(curl, opt, &blob);
}

void hs_http_client_set_timeout(hs_http_client *c, long timeout_ms)
{
	if (!c || timeout_ms <= 0)
		return;
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (c->connect_timeout_ms > timeout_ms)
		curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	else
		curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
}

/*
 * Create a client: the easy handle with TLS material, timeouts and the
 * Authorization header set once.
 */
int hs_http_client_new(hs_http_client **out, const hs_http_opts *o, hs_error *e)
{
	hs_http_client *c = NULL;
	CURLcode rc = CURLE_OK;
	long timeout = o->timeout_ms > 0 ? o->timeout_ms : 30000;
	long connect = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : (timeout < 10000 ? timeout : 10000);
	int ret = -1;

	*out = NULL;
	pthread_once(&hs_http_once, hs_http_global_init);
	if (hs_http_init_rc != CURLE_OK)
		return hs_err(e, HS_EXIT_FAILURE, "cannot initialise libcurl: %s", curl_easy_strerror(hs_http_init_rc));
	c = hs_xcalloc(1, sizeof(*c));
	c->curl = curl_easy_init();
	if (!c->curl) {
		hs_err(e, HS_EXIT_FAILURE, "cannot initialise libcurl");
		goto out;
	}
	if (o->ca_data && o->ca_len)
		rc = hs_http_blob(c->curl, CURLOPT_CAINFO_BLOB, o->ca_data, o->ca_len);
	else if (o->ca_file)
		rc = curl_easy_setopt(c->curl, CURLOPT_CAINFO, o->ca_file);
	if (rc == CURLE_OK && o->cert_data && o->cert_len)
		rc = hs_http_blob(c->curl, CURLOPT_SSLCERT_BLOB, o->cert_data, o->cert_len);
	else if (rc == CURLE_OK && o->cert_file)
		rc = curl_easy_setopt(c->curl, CURLOPT_SSLCERT, o->cert_file);
	if (rc == CURLE_OK && o->key_data && o->key_len)
		rc = hs_http_blob(c->curl, CURLOPT_SSLKEY_BLOB, o->key_data, o->key_len);
	else if (rc == CURLE_OK && o->key_file)
		rc = curl_easy_setopt(c->curl, CURLOPT_SSLKEY, o->key_file);
	if (rc == CURLE_OK && o->insecure) {
		rc = curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, timeout);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, connect);
	c->connect_timeout_ms = connect;
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "hivesnap/" HIVESNAP_VERSION);
	if (rc == CURLE_OK && o->http2_prior_knowledge)
		rc = curl_easy_setopt(c->curl, CURLOPT_HTTP_VERSION,
				      (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	if (rc != CURLE_OK) {
		hs_err(e, HS_EXIT_FAILURE, "cannot configure libcurl: %s", curl_easy_strerror(rc));
		goto out;
	}
	if (o->bearer_token) {
		hs_buf h = HS_BUF_INIT;

		hs_buf_addf(&h, "Authorization: Bearer %s", o->bearer_token);
		c->auth_header = hs_buf_detach(&h, NULL);
	}
	*out = c;
	c = NULL;
	ret = 0;
out:
	hs_http_client_free(c);
	return ret;
}

void hs_http_client_free(hs_http_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	if (c->auth_header) {
		/* do not leave the token in freed memory */
		memset(c->auth_header, 0, strlen(c->auth_header));
		free(c->auth_header);
	}
	free(c);
}

/* curl write callback: append up to max_bytes, then stop quietly. */
static size_t hs_http_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	hs_http_call *call = ud;
	size_t n = size * nmemb;
	size_t room;

	if (call->max_bytes) {
		room = call->max_bytes > call->r->body.len ? call->max_bytes - call->r->body.len : 0;
		if (n > room) {
			hs_buf_add(&call->r->body, ptr, room);
			call->r->truncated = true;
			return 0; /* aborts the transfer: CURLE_WRITE_ERROR, expected */
		}
	}
	hs_buf_add(&call->r->body, ptr, n);
	return n;
}

/* curl header callback: pick up Retry-After (seconds form). */
static size_t hs_http_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	hs_http_call *call = ud;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	hs_buf_add(&call->r->headers, ptr, n);
	if (n > sizeof(name) - 1 && !strncasecmp(ptr, name, sizeof(name) - 1)) {
		char tmp[32];
		size_t k = n - (sizeof(name) - 1);

		if (k >= sizeof(tmp))
			k = sizeof(tmp) - 1;
		memcpy(tmp, ptr + sizeof(name) - 1, k);
		tmp[k] = '\0';
		call->r->retry_after_s = strtol(tmp, NULL, 10);
	}
	return n;
}

/*
 * Perform one request with the client's settings.  The URL in errors is
 * redacted (hs_uri_redact) in case a caller passed userinfo.
 */
int hs_http_request(hs_http_client *c, const char *method, const char *url,
		    const char *const *headers, const char *content_type,
		    const void *body, size_t body_len, size_t max_bytes,
		    hs_http_response *r, hs_error *e)
{
	struct curl_slist *hl = NULL;
	hs_http_call call;
	hs_buf ct = HS_BUF_INIT;
	CURLcode rc;
	size_t i;
	int ret = -1;

	call.r = r;
	call.max_bytes = max_bytes;
	hs_buf_reset(&r->body);
	hs_buf_reset(&r->headers);
	r->status = 0;
	r->retry_after_s = -1;
	r->truncated = false;
	r->transport_code = 0;
	r->may_have_sent = false;
	if (c->auth_header)
		hl = curl_slist_append(hl, c->auth_header);
	for (i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	if (content_type) {
		hs_buf_addf(&ct, "Content-Type: %s", content_type);
		hl = curl_slist_append(hl, ct.data);
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, hs_http_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &call);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, hs_http_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &call);
	if (!strcmp(method, "GET")) {
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && r->truncated)) {
		char *red = hs_uri_redact_dup(url);
		curl_off_t pretransfer = 0, sent_bytes = 0;
		long request_size = 0;

		/* past connect and TLS (the pretransfer mark, any request byte written): maybe sent */
		curl_easy_getinfo(c->curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
		curl_easy_getinfo(c->curl, CURLINFO_SIZE_UPLOAD_T, &sent_bytes);
		curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &request_size);
		r->transport_code = (int)rc;
		r->may_have_sent = pretransfer > 0 || sent_bytes > 0 || request_size > 0;

		hs_err(e, HS_EXIT_FAILURE, "cannot %s '%s': %s", method, red, curl_easy_strerror(rc));
		free(red);
		goto out;
	}
	ret = 0;
out:
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	hs_buf_release(&ct);
	return ret;
}

bool hs_http_response_header(const hs_http_response *r, const char *name, hs_buf *value)
{
	size_t nl = strlen(name);
	const char *p = r->headers.data, *end = p + r->headers.len;
	const char *found = NULL, *found_end = NULL;

	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *stop = eol ? eol : end;

		if ((size_t)(stop - p) > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
			const char *v = p + nl + 1;
			const char *ve = stop;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			found = v;
			found_end = ve;
		}
		p = eol ? eol + 1 : end;
	}
	if (!found)
		return false;
	hs_buf_add(value, found, (size_t)(found_end - found));
	return true;
}

void hs_http_escape(hs_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			hs_buf_addc(b, (char)ch);
		} else {
			hs_buf_addc(b, '%');
			hs_buf_addc(b, hex[ch >> 4]);
			hs_buf_addc(b, hex[ch & 15]);
		}
	}
}
