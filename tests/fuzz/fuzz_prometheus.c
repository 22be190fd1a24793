/*
 * fuzz_prometheus.c - libFuzzer target: Prometheus and Alertmanager HTTP
 * answers as the diag "prometheus" collector (diag/collect_prometheus.c)
 * parses them: instant query results (vector, scalar, matrix; values,
 * NaN/Inf, labels), Prometheus /api/v1/alerts and Alertmanager
 * /api/v2/alerts, and the findings made from them.
 *
 * The collector's parsing is static and behind HTTP, so the target runs
 * the real collector against a tiny HTTP server in a thread of its own
 * (127.0.0.1, an ephemeral port).  The input is split at HS_FUZZ_SEP into
 * bodies; the i-th request after the buildinfo probe (which always gets
 * {"status":"success"}) is answered 200 with body i (cycling).  The
 * profile has three queries (a success_rate one, a count(...) one, a plain
 * one with warn/crit) and an Alertmanager, so five requests per input.
 */
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "diag/diag.h"
#include "error.h"
#include "fuzz_common.h"
#include "profile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HS_FUZZ_MAX_BODIES 8

static pthread_mutex_t hs_fuzz_mu = PTHREAD_MUTEX_INITIALIZER;
static const uint8_t *hs_fuzz_body[HS_FUZZ_MAX_BODIES];
static size_t hs_fuzz_blen[HS_FUZZ_MAX_BODIES];
static size_t hs_fuzz_nbodies, hs_fuzz_next;
static int hs_fuzz_lfd = -1;
static hs_profile *hs_fuzz_profile;
static char hs_fuzz_base[64];

/* Write all of n bytes (best effort: a client that went away is fine). */
static void hs_fuzz_send(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = send(fd, c, n, MSG_NOSIGNAL);

		if (k <= 0)
			return;
		c += k;
		n -= (size_t)k;
	}
}

/* Answer one connection: read the request head, send the next body. */
static void hs_fuzz_answer(int fd)
{
	char req[8192], head[160];
	size_t got = 0;
	const uint8_t *body = (const uint8_t *)"{\"status\":\"success\",\"data\":{}}";
	size_t blen = strlen((const char *)body);
	hs_buf copy = HS_BUF_INIT;

	while (got < sizeof(req) - 1) {
		ssize_t k = recv(fd, req + got, sizeof(req) - 1 - got, 0);

		if (k <= 0)
			break;
		got += (size_t)k;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[got] = '\0';
	pthread_mutex_lock(&hs_fuzz_mu);
	if (!strstr(req, "/status/buildinfo") && hs_fuzz_nbodies) {
		size_t i = hs_fuzz_next++ % hs_fuzz_nbodies;

		hs_buf_add(&copy, hs_fuzz_body[i], hs_fuzz_blen[i]);
		body = (const uint8_t *)(copy.data ? copy.data : "");
		blen = copy.len;
	}
	pthread_mutex_unlock(&hs_fuzz_mu);
	snprintf(head, sizeof(head),
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n", blen);
	hs_fuzz_send(fd, head, strlen(head));
	hs_fuzz_send(fd, body, blen);
	hs_buf_release(&copy);
}

static void *hs_fuzz_server(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(hs_fuzz_lfd, NULL, NULL);

		if (fd < 0)
			continue;
		hs_fuzz_answer(fd);
		close(fd);
	}
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	pthread_t th;
	hs_buf yaml = HS_BUF_INIT;
	hs_error e;

	setenv("NO_PROXY", "*", 1);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	hs_fuzz_lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (hs_fuzz_lfd < 0 || bind(hs_fuzz_lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(hs_fuzz_lfd, 64) || getsockname(hs_fuzz_lfd, (struct sockaddr *)&sa, &sl)) {
		perror("fuzz_prometheus: cannot listen on 127.0.0.1");
		abort();
	}
	snprintf(hs_fuzz_base, sizeof(hs_fuzz_base), "http://127.0.0.1:%u", ntohs(sa.sin_port));
	if (pthread_create(&th, NULL, hs_fuzz_server, NULL))
		abort();
	pthread_detach(th);
	hs_buf_addf(&yaml,
		    "name: fuzz\n"
		    "diag:\n"
		    "  prometheus:\n"
		    "    url: %s\n"
		    "    queries:\n"
		    "      - {name: success_rate, query: 'sum(rate(ok[5m])) / sum(rate(all[5m]))'}\n"
		    "      - {name: workers, query: 'count(up{job=\"worker\"} == 1)', direction: below, crit: 1}\n"
		    "      - {name: p95_latency, query: 'histogram_quantile(0.95, rate(h[5m]))', warn: 1, crit: 5, unit: s}\n"
		    "  alertmanager:\n"
		    "    url: %s\n",
		    hs_fuzz_base, hs_fuzz_base);
	hs_error_init(&e);
	if (hs_profile_parse(&hs_fuzz_profile, yaml.data, yaml.len, "fuzz.yaml", &e)) {
		fprintf(stderr, "fuzz_prometheus: profile: %s\n", e.msg);
		abort();
	}
	hs_buf_release(&yaml);
	return 0;
}

static int hs_fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const hs_diag_collector *col = hs_diag_collector_find("prometheus");
	const uint8_t *p = data, *a, *b;
	size_t n = size, na, nb;
	char dir[] = "/dev/shm/hs-fuzz-prom.XXXXXX"; /* tmpfs when there is one: no disk I/O */
	hs_diag_ctx ctx;
	hs_diag_out *o = NULL;
	hs_error e;

	if (!mkdtemp(dir)) {
		memcpy(dir, "/tmp/hs-fuzz-prom.XXXXXX", sizeof("/tmp/hs-fuzz-prom.XXXXXX"));
		if (!mkdtemp(dir))
			abort();
	}
	if (!col)
		abort();
	pthread_mutex_lock(&hs_fuzz_mu);
	hs_fuzz_nbodies = 0;
	hs_fuzz_next = 0;
	do {
		hs_fuzz_split(p, n, &a, &na, &b, &nb);
		hs_fuzz_body[hs_fuzz_nbodies] = a;
		hs_fuzz_blen[hs_fuzz_nbodies] = na;
		hs_fuzz_nbodies++;
		if (b == p + n)
			break;
		p = b;
		n = nb;
	} while (hs_fuzz_nbodies < HS_FUZZ_MAX_BODIES);
	pthread_mutex_unlock(&hs_fuzz_mu);

	memset(&ctx, 0, sizeof(ctx));
	ctx.profile = hs_fuzz_profile;
	ctx.since_s = 3600;
	ctx.timeout_ms = 30000;
	hs_error_init(&e);
	if (hs_diag_out_new(&o, dir, &e) == 0) {
		(void)col->run(&ctx, o, &e);
		hs_error_init(&e);
		(void)hs_diag_out_close(o, &e);
	}
	nftw(dir, hs_fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
	pthread_mutex_lock(&hs_fuzz_mu);
	hs_fuzz_nbodies = 0;
	pthread_mutex_unlock(&hs_fuzz_mu);
	return 0;
}
