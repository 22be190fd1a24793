/*
 * Unit tests of the network diag helpers (diag/net_common.h) and of the
 * header capture of src/http.h that the gRPC health check reads
 * grpc-status from: no server needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "diag/net_common.h"

static void check_hp(const char *addr, const char *want_host, const char *want_port)
{
	char *host = NULL, *port = NULL;
	hs_error e;

	hs_error_init(&e);
	if (hs_net_host_port(addr, "1234", &host, &port, &e) < 0)
		fail_msg("hs_net_host_port('%s'): %s", addr, e.msg);
	assert_string_equal(host, want_host);
	assert_string_equal(port, want_port);
	free(host);
	free(port);
}

static void test_host_port(void **state)
{
	(void)state;
	check_hp("127.0.0.1:9092", "127.0.0.1", "9092");
	check_hp("kafka-0:9092,kafka-1:9092", "kafka-0", "9092");
	check_hp("db.example", "db.example", "1234");
	check_hp("mongodb://app:s3cr3t@h1:27017,h2:27018/db?replicaSet=rs0", "h1", "27017");
	check_hp("redis://:p@ss@redis.local:6380/0", "redis.local", "6380");
	check_hp("http://127.0.0.1:2379", "127.0.0.1", "2379");
	check_hp("http://etcd/", "etcd", "1234");
	check_hp("[::1]:50051", "::1", "50051");
	check_hp("grpc://[fe80::1]", "fe80::1", "1234");
}

static void test_host_port_errors(void **state)
{
	const char *bad[] = { "", "http://user:topsecret@/x", ":9092", "[::1" };
	char *host = NULL, *port = NULL;
	hs_error e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hs_error_init(&e);
		assert_int_equal(hs_net_host_port(bad[i], "1", &host, &port, &e), -1);
		assert_null(host);
		assert_null(port);
		assert_int_equal(e.code, HS_EXIT_DATA);
		/* the password never reaches the message */
		assert_null(strstr(e.msg, "topsecret"));
	}
}

static void check_safe(const char *name, const char *want)
{
	hs_buf b = HS_BUF_INIT;

	hs_buf_adds(&b, "diag/health/");
	hs_net_safe_name(name, &b);
	assert_string_equal(b.data + strlen("diag/health/"), want);
	hs_buf_release(&b);
}

static void test_safe_name(void **state)
{
	(void)state;
	check_safe("orchestrator-dynamic/health", "orchestrator-dynamic_health");
	check_safe("../../etc/passwd", "_._.._etc_passwd");
	check_safe("..", "_.");
	check_safe("", "_");
	check_safe("a b\tc\xc3\xa9", "a_b_c__");
	check_safe("p95.latency_ms-1", "p95.latency_ms-1");
}

static void test_serving_names(void **state)
{
	(void)state;
	assert_string_equal(hs_grpc_serving_name(1), "SERVING");
	assert_string_equal(hs_grpc_serving_name(2), "NOT_SERVING");
	assert_string_equal(hs_grpc_serving_name(3), "SERVICE_UNKNOWN");
	assert_string_equal(hs_grpc_serving_name(0), "UNKNOWN");
	assert_string_equal(hs_grpc_serving_name(-1), "none");
}

/* HealthCheckResponse frames as servers send them, and broken ones. */
static void test_grpc_parse(void **state)
{
	static const unsigned char serving[] = { 0, 0, 0, 0, 2, 0x08, 0x01 };
	static const unsigned char not_serving[] = { 0, 0, 0, 0, 2, 0x08, 0x02 };
	static const unsigned char empty[] = { 0, 0, 0, 0, 0 };
	/* an unknown length-delimited field 2 before field 1 */
	static const unsigned char extra[] = { 0, 0, 0, 0, 6, 0x12, 0x02, 'h', 'i', 0x08, 0x01 };
	static const unsigned char compressed[] = { 1, 0, 0, 0, 2, 0x08, 0x01 };
	static const unsigned char short_msg[] = { 0, 0, 0, 0, 9, 0x08, 0x01 };
	static const unsigned char bad_varint[] = { 0, 0, 0, 0, 2, 0x08, 0x81 };

	(void)state;
	assert_int_equal(hs_grpc_health_parse(serving, sizeof(serving)), 1);
	assert_int_equal(hs_grpc_health_parse(not_serving, sizeof(not_serving)), 2);
	assert_int_equal(hs_grpc_health_parse(empty, sizeof(empty)), 0);
	assert_int_equal(hs_grpc_health_parse(extra, sizeof(extra)), 1);
	assert_int_equal(hs_grpc_health_parse(compressed, sizeof(compressed)), -1);
	assert_int_equal(hs_grpc_health_parse(short_msg, sizeof(short_msg)), -1);
	assert_int_equal(hs_grpc_health_parse(bad_varint, sizeof(bad_varint)), -1);
	assert_int_equal(hs_grpc_health_parse(serving, 4), -1);
	assert_int_equal(hs_grpc_health_parse(NULL, 0), -1);
}

/* Headers then HTTP/2 trailers as curl hands them over: the last value wins. */
static void test_response_header(void **state)
{
	hs_http_response r;
	hs_buf v = HS_BUF_INIT;

	(void)state;
	hs_http_response_init(&r);
	hs_buf_adds(&r.headers, "HTTP/2 200 \r\ncontent-type: application/grpc\r\ngrpc-status: 14\r\n\r\n"
				"Grpc-Status:  0 \r\ngrpc-message:\r\n");
	assert_true(hs_http_response_header(&r, "grpc-status", &v));
	assert_string_equal(v.data, "0");
	hs_buf_reset(&v);
	assert_true(hs_http_response_header(&r, "GRPC-MESSAGE", &v));
	assert_int_equal(v.len, 0);
	hs_buf_reset(&v);
	assert_false(hs_http_response_header(&r, "grpc", &v));
	assert_false(hs_http_response_header(&r, "retry-after", &v));
	assert_int_equal(v.len, 0);
	hs_buf_release(&v);
	hs_http_response_release(&r);
}

/* A closed port: refused, quickly, naming host and port. */
static void test_tcp_refused(void **state)
{
	double ms = -1;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	/* port 1 on loopback: nothing listens there in a test environment */
	assert_int_equal(hs_net_tcp_connect("127.0.0.1", "1", 2000, &ms, &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_non_null(strstr(e.msg, "'127.0.0.1:1'"));
	assert_int_equal(hs_net_tcp_connect("no-such-host.invalid", "80", 2000, &ms, &e), -1);
	assert_non_null(strstr(e.msg, "cannot resolve 'no-such-host.invalid'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_port),
		cmocka_unit_test(test_host_port_errors),
		cmocka_unit_test(test_safe_name),
		cmocka_unit_test(test_serving_names),
		cmocka_unit_test(test_grpc_parse),
		cmocka_unit_test(test_response_header),
		cmocka_unit_test(test_tcp_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
