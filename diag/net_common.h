/*
 * net_common.h - what the network diag collectors (health, deps,
 * prometheus) share: a monotonic clock, host:port out of the address
 * forms a profile uses, a timed TCP connect, the gRPC health check
 * (grpc.health.v1.Health/Check over HTTP/2 cleartext, with libcurl) and
 * entry-safe names.
 *
 * Addresses may carry credentials: nothing here puts an address into an
 * error except through hs_uri_redact.
 */
#ifndef HS_DIAG_NET_COMMON_H
#define HS_DIAG_NET_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* Milliseconds on the monotonic clock (for durations). */
double hs_net_mono_ms(void);

/*
 * The budget of one call: want, cut to what is left of a collector's
 * (started at unix ms started_ms with timeout_ms in all; 0 = no limit)
 * less 200 ms for writing up, but never under 100 ms.
 */
int hs_net_budget(int64_t started_ms, int timeout_ms, int want);

/*
 * The first host and port of an address: "host:port", "[v6]:port",
 * "scheme://user:pass@host:port/path?query", or a comma list of these
 * (the first is used).  default_port applies when there is none.  *host
 * and *port are new strings the caller frees.  HS_EXIT_DATA when there is
 * no host (the error shows the redacted address).
 */
int hs_net_host_port(const char *address, const char *default_port, char **host, char **port,
		     hs_error *e);

/*
 * Connect to host:port over TCP within timeout_ms, set *ms to the time the
 * connect took and close the socket.  HS_EXIT_FAILURE "cannot connect to
 * 'host:port': <reason>" otherwise (name resolution included).
 */
int hs_net_tcp_connect(const char *host, const char *port, int timeout_ms, double *ms,
		       hs_error *e);

/* The outcome of one gRPC health check. */
typedef struct hs_grpc_health {
	long http_status;        /* 0 when no response came */
	int grpc_status;         /* grpc-status trailer or header; -1 when absent */
	char grpc_message[128];  /* grpc-message, may be empty */
	int serving;             /* HealthCheckResponse.status: 0 UNKNOWN, 1 SERVING,
	                            2 NOT_SERVING, 3 SERVICE_UNKNOWN; -1 when not read */
	double latency_ms;
} hs_grpc_health;

/*
 * grpc.health.v1.Health/Check of service ("" = the server as a whole) on
 * address ("host:port" or "http://host:port": HTTP/2 prior knowledge, no
 * TLS) within timeout_ms.  Returns 0 whenever an HTTP/2 response came,
 * whatever it says (the caller judges h); -1 with e on a transport error
 * (refused, timeout, not HTTP/2).
 */
int hs_grpc_health_check(const char *address, const char *service, int timeout_ms,
			 hs_grpc_health *h, hs_error *e);

/*
 * The serving status in a gRPC reply body holding one HealthCheckResponse
 * frame (1 byte compressed flag = 0, 4 bytes big-endian length, the
 * message): field 1, 0-3 (absent = 0, UNKNOWN); -1 when the body is not
 * such a frame (short, compressed, malformed protobuf).
 */
int hs_grpc_health_parse(const void *body, size_t len);

/* "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN", "UNKNOWN" or "none" (-1). */
const char *hs_grpc_serving_name(int serving);

/*
 * name as one safe entry path component appended to out: bytes outside
 * [A-Za-z0-9._-] become '_', a leading '.' too; empty gives "_".
 */
void hs_net_safe_name(const char *name, hs_buf *out);

#endif
