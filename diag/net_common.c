/*
 * net_common.c - helpers of the network diag collectors (net_common.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "clock.h"
#include "net_common.h"
#include "uri.h"

double hs_net_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int hs_net_budget(int64_t started_ms, int timeout_ms, int want)
{
	int64_t left;

	if (timeout_ms <= 0 || started_ms <= 0)
		return want;
	left = started_ms + timeout_ms - hs_now_ms() - 200;
	if (left < 100)
		left = 100;
	return want < left ? want : (int)left;
}

/*
 * Strip the scheme and userinfo, keep the first of a comma list, cut at the
 * path or query, then split host and port ("[v6]:port" too).
 */
int hs_net_host_port(const char *address, const char *default_port, char **host, char **port,
		     hs_error *e)
{
	const char *p = address ? address : "";
	const char *s = strstr(p, "://");
	const char *end, *at, *colon;
	size_t n;

	*host = NULL;
	*port = NULL;
	if (s)
		p = s + 3;
	end = p + strcspn(p, ",/?#");
	/* userinfo: up to the last '@' before the end of the authority */
	for (at = end; at > p; at--)
		if (at[-1] == '@')
			break;
	if (at > p)
		p = at;
	n = (size_t)(end - p);
	if (n > 0 && p[0] == '[') {
		const char *rb = memchr(p, ']', n);

		if (!rb)
			goto bad;
		*host = hs_xstrndup(p + 1, (size_t)(rb - p - 1));
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', n);
		*host = hs_xstrndup(p, colon ? (size_t)(colon - p) : n);
	}
	if (colon && colon + 1 < end)
		*port = hs_xstrndup(colon + 1, (size_t)(end - colon - 1));
	else
		*port = hs_xstrdup(default_port);
	if (!**host)
		goto bad;
	return 0;
bad:
	free(*host);
	free(*port);
	*host = NULL;
	*port = NULL;
	{
		char *red = hs_uri_redact_dup(address);

		hs_err(e, HS_EXIT_DATA, "cannot read address '%s': no host", red);
		free(red);
	}
	return -1;
}

/* Wait for a non-blocking connect on fd until deadline (monotonic ms). */
static int hs_net_wait_connect(int fd, double deadline, int *err)
{
	for (;;) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		double left = deadline - hs_net_mono_ms();
		socklen_t len = sizeof(*err);
		int r;

		if (left <= 0) {
			*err = ETIMEDOUT;
			return -1;
		}
		r = poll(&pfd, 1, (int)left + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = errno;
			return -1;
		}
		if (r == 0) {
			*err = ETIMEDOUT;
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) < 0)
			*err = errno;
		return *err ? -1 : 0;
	}
}

/*
 * Try every address getaddrinfo gives, each with what is left of the
 * budget; the first that connects wins.
 */
int hs_net_tcp_connect(const char *host, const char *port, int timeout_ms, double *ms,
		       hs_error *e)
{
	struct addrinfo hints, *res = NULL, *ai;
	double t0 = hs_net_mono_ms(), deadline = t0 + (timeout_ms > 0 ? timeout_ms : 5000);
	int gai, err = 0, rc = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0)
		return hs_err(e, HS_EXIT_FAILURE, "cannot resolve '%s': %s", host, gai_strerror(gai));
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				ai->ai_protocol);

		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			if (errno != EINPROGRESS)
				err = errno;
			else
				hs_net_wait_connect(fd, deadline, &err);
		} else {
			err = 0;
		}
		close(fd);
		if (err == 0) {
			*ms = hs_net_mono_ms() - t0;
			rc = 0;
			goto out;
		}
		if (err == ETIMEDOUT)
			break;
	}
	hs_err(e, HS_EXIT_FAILURE, "cannot connect to '%s:%s': %s", host, port,
	       err == ETIMEDOUT ? "timed out" : strerror(err ? err : ECONNREFUSED));
out:
	freeaddrinfo(res);
	return rc;
}

const char *hs_grpc_serving_name(int serving)
{
	switch (serving) {
	case 0: return "UNKNOWN";
	case 1: return "SERVING";
	case 2: return "NOT_SERVING";
	case 3: return "SERVICE_UNKNOWN";
	default: return "none";
	}
}

/* Read a protobuf varint at *p (< end); false when it runs off the end. */
static bool hs_pb_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/*
 * The status of a HealthCheckResponse message (field 1, varint), skipping
 * any other field; -1 when absent or malformed.  A missing field 1 is the
 * proto3 default, UNKNOWN (0).
 */
static int hs_grpc_parse_health(const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;
	int status = 0;

	while (p < end) {
		uint64_t key, v;

		if (!hs_pb_varint(&p, end, &key))
			return -1;
		switch (key & 7) {
		case 0:
			if (!hs_pb_varint(&p, end, &v))
				return -1;
			if (key >> 3 == 1)
				status = (int)(v > 3 ? 0 : v);
			break;
		case 1:
			if ((size_t)(end - p) < 8)
				return -1;
			p += 8;
			break;
		case 2:
			if (!hs_pb_varint(&p, end, &v) || v > (uint64_t)(end - p))
				return -1;
			p += v;
			break;
		case 5:
			if ((size_t)(end - p) < 4)
				return -1;
			p += 4;
			break;
		default:
			return -1;
		}
	}
	return status;
}

int hs_grpc_health_parse(const void *body, size_t len)
{
	const unsigned char *b = body;
	size_t mlen;

	if (!b || len < 5 || b[0] != 0)
		return -1;
	mlen = (size_t)b[1] << 24 | (size_t)b[2] << 16 | (size_t)b[3] << 8 | b[4];
	if (mlen > len - 5)
		return -1;
	return hs_grpc_parse_health(b + 5, mlen);
}

/*
 * One unary call: a 5-byte frame header (uncompressed, big-endian length)
 * and the HealthCheckRequest (field 1 = service when not empty), POSTed
 * with content-type application/grpc and te: trailers; the reply frame's
 * message is parsed, grpc-status read from the trailers (or the headers of
 * a trailers-only reply).
 */
int hs_grpc_health_check(const char *address, const char *service, int timeout_ms,
			 hs_grpc_health *h, hs_error *e)
{
	static const char *const headers[] = { "TE: trailers", "Expect:", NULL };
	hs_http_client *c = NULL;
	hs_http_opts o;
	hs_http_response r;
	hs_buf url = HS_BUF_INIT, req = HS_BUF_INIT, v = HS_BUF_INIT;
	char *host = NULL, *port = NULL;
	size_t slen = service ? strlen(service) : 0;
	double t0;
	int rc = -1;

	memset(h, 0, sizeof(*h));
	h->grpc_status = -1;
	h->serving = -1;
	hs_http_response_init(&r);
	if (hs_net_host_port(address, "80", &host, &port, e))
		goto out;
	if (strchr(host, ':'))
		hs_buf_addf(&url, "http://[%s]:%s/grpc.health.v1.Health/Check", host, port);
	else
		hs_buf_addf(&url, "http://%s:%s/grpc.health.v1.Health/Check", host, port);
	if (slen > 127) {
		hs_err(e, HS_EXIT_DATA, "cannot check gRPC health of service '%.40s...': name too long",
		       service);
		goto out;
	}
	/* frame: compressed flag, 4-byte length, then the message */
	hs_buf_addc(&req, 0);
	hs_buf_addc(&req, 0);
	hs_buf_addc(&req, 0);
	hs_buf_addc(&req, 0);
	hs_buf_addc(&req, (char)(slen ? slen + 2 : 0));
	if (slen) {
		hs_buf_addc(&req, 0x0a);
		hs_buf_addc(&req, (char)slen);
		hs_buf_add(&req, service, slen);
	}
	memset(&o, 0, sizeof(o));
	o.timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	o.http2_prior_knowledge = true;
	if (hs_http_client_new(&c, &o, e))
		goto out;
	t0 = hs_net_mono_ms();
	if (hs_http_request(c, "POST", url.data, headers, "application/grpc", req.data, req.len,
			    65536, &r, e))
		goto out;
	h->latency_ms = hs_net_mono_ms() - t0;
	h->http_status = r.status;
	if (hs_http_response_header(&r, "grpc-status", &v))
		h->grpc_status = atoi(v.data);
	hs_buf_reset(&v);
	if (hs_http_response_header(&r, "grpc-message", &v))
		snprintf(h->grpc_message, sizeof(h->grpc_message), "%s", v.data ? v.data : "");
	h->serving = hs_grpc_health_parse(r.body.data, r.body.len);
	rc = 0;
out:
	hs_http_response_release(&r);
	hs_http_client_free(c);
	hs_buf_release(&url);
	hs_buf_release(&req);
	hs_buf_release(&v);
	free(host);
	free(port);
	return rc;
}

void hs_net_safe_name(const char *name, hs_buf *out)
{
	size_t start = out->len;

	for (const char *p = name ? name : ""; *p; p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
			  (ch == '.' && out->len > start);

		hs_buf_addc(out, ok ? ch : '_');
	}
	if (out->len == start)
		hs_buf_addc(out, '_');
}
