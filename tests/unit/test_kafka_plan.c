/*
 * test_kafka_plan.c - the Kafka source's pure parts: the offset a restore
 * sets per partition (by offset, clamped, by time), the offsets.csv line
 * format kafka-consumer-groups reads, and group entry names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "archive.h"
#include "sources/kafka/kafka_common.h"

static hs_kafka_part_in part(int64_t archived, int64_t low, int64_t high)
{
	hs_kafka_part_in in;

	memset(&in, 0, sizeof(in));
	in.archived = archived;
	in.low = low;
	in.high = high;
	in.ts_ms = -1;
	in.live_ts_ms = -1;
	in.time_offset = -1;
	return in;
}

static void test_by_offset_inside_range(void **state)
{
	hs_kafka_part_in in = part(7, 0, 10);
	int64_t t = -1;

	(void)state;
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_BY_OFFSET);
	assert_int_equal(t, 7);
	/* the ends of the range are valid offsets: log-start and log-end */
	in = part(0, 0, 10);
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_BY_OFFSET);
	assert_int_equal(t, 0);
	in = part(10, 0, 10);
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_BY_OFFSET);
	assert_int_equal(t, 10);
}

static void test_clamped_below_and_above(void **state)
{
	hs_kafka_part_in in = part(3, 6, 10);
	int64_t t = -1;

	(void)state;
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_CLAMPED);
	assert_int_equal(t, 6);
	in = part(42, 6, 10);
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_CLAMPED);
	assert_int_equal(t, 10);
	/* an empty recreated partition */
	in = part(42, 0, 0);
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_CLAMPED);
	assert_int_equal(t, 0);
}

static void test_by_time_only_when_asked_and_changed(void **state)
{
	hs_kafka_part_in in = part(6, 0, 7);
	int64_t t = -1;

	(void)state;
	in.ts_ms = 5000;
	in.live_ts_ms = 9000;   /* another record now sits at offset 5 */
	in.time_offset = 2;
	/* without --kafka-by-time: the raw offset */
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_BY_OFFSET);
	assert_int_equal(t, 6);
	in.by_time = true;
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_BY_TIME);
	assert_int_equal(t, 2);
	/* same record at offset-1: the offset is still right, keep it */
	in.live_ts_ms = 5000;
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_BY_OFFSET);
	assert_int_equal(t, 6);
	/* no timestamp in the archive: clamping as usual */
	in = part(20, 0, 7);
	in.by_time = true;
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_CLAMPED);
	assert_int_equal(t, 7);
}

static void test_by_time_no_newer_record_goes_to_end(void **state)
{
	hs_kafka_part_in in = part(6, 2, 9);
	int64_t t = -1;

	(void)state;
	in.by_time = true;
	in.ts_ms = 5000;
	in.live_ts_ms = -1;     /* truncated: offset 5 is gone */
	in.time_offset = -1;    /* every live record is older */
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_BY_TIME);
	assert_int_equal(t, 9);
	in.time_offset = 1;     /* below log-start (a race with retention): clamp */
	assert_int_equal(hs_kafka_decide(&in, &t), HS_KAFKA_BY_TIME);
	assert_int_equal(t, 2);
	assert_string_equal(hs_kafka_method_name(HS_KAFKA_BY_TIME), "by-time");
	assert_string_equal(hs_kafka_method_name(HS_KAFKA_CLAMPED), "clamped");
	assert_string_equal(hs_kafka_method_name(HS_KAFKA_BY_OFFSET), "by-offset");
}

static void test_csv_lines(void **state)
{
	hs_buf b = HS_BUF_INIT;

	(void)state;
	hs_kafka_csv_line(&b, "orchestrator-consumers", "plans.consensus", 2, 1234567890123LL);
	assert_string_equal(b.data, "orchestrator-consumers,plans.consensus,2,1234567890123\n");
	hs_buf_reset(&b);
	/* group ids may hold commas and quotes: CSV quoting as Jackson reads it */
	hs_kafka_csv_line(&b, "a,b\"c", "t", 0, 0);
	assert_string_equal(b.data, "\"a,b\"\"c\",t,0,0\n");
	hs_buf_release(&b);
}

static void test_group_entry_names_are_safe(void **state)
{
	static const char *const groups[] = { "worker-consumers", "a/b", "..", ".", "", "x y%", "ü", NULL };
	static const char *const want[] = { "kafka/groups/worker-consumers.json", "kafka/groups/a%2Fb.json",
					    "kafka/groups/%2E%2E.json", "kafka/groups/%2E.json",
					    "kafka/groups/%.json", "kafka/groups/x%20y%25.json",
					    "kafka/groups/%C3%BC.json" };
	size_t i;

	(void)state;
	for (i = 0; groups[i]; i++) {
		hs_buf b = HS_BUF_INIT;

		hs_kafka_group_entry(&b, groups[i]);
		assert_string_equal(b.data, want[i]);
		assert_true(hs_entry_name_safe(b.data));
		hs_buf_release(&b);
	}
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(hs_kafka_state_name(RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY), "Empty");
	assert_string_equal(hs_kafka_state_name(RD_KAFKA_CONSUMER_GROUP_STATE_STABLE), "Stable");
	assert_string_equal(hs_kafka_state_name(RD_KAFKA_CONSUMER_GROUP_STATE_DEAD), "Dead");
	assert_string_equal(hs_kafka_state_name(RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN), "Unknown");
}

/* A rejected secret property never echoes its value. */
static void test_secret_property_not_echoed(void **state)
{
	hs_profile_kafka pk;
	hs_kv kv[1] = { { "ssl.key.password", "hunter2-topsecret" } };
	hs_kv bad[1] = { { "socket.timeout.ms", "not-a-number" } };
	rd_kafka_t *rk = NULL;
	hs_error e;

	(void)state;
	memset(&pk, 0, sizeof(pk));
	/* a secret the client accepts: fine, nothing printed */
	pk.config.v = kv;
	pk.config.n = 1;
	hs_error_init(&e);
	assert_int_equal(hs_kafka_client_new(&rk, RD_KAFKA_PRODUCER, "127.0.0.1:1", &pk, 1000, &e), 0);
	hs_kafka_client_free(rk);
	/* a non-secret rejected: named, with the reason */
	pk.config.v = bad;
	hs_error_init(&e);
	assert_int_equal(hs_kafka_client_new(&rk, RD_KAFKA_PRODUCER, "127.0.0.1:1", &pk, 1000, &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_non_null(strstr(e.msg, "'socket.timeout.ms'"));
	/* a secret rejected: named, value never shown */
	kv[0].key = "sasl.password.bogus-key";
	pk.config.v = kv;
	hs_error_init(&e);
	assert_int_equal(hs_kafka_client_new(&rk, RD_KAFKA_PRODUCER, "127.0.0.1:1", &pk, 1000, &e), -1);
	assert_non_null(strstr(e.msg, "sasl.password.bogus-key"));
	assert_null(strstr(e.msg, "hunter2"));
	assert_null(rk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_offset_inside_range),
		cmocka_unit_test(test_clamped_below_and_above),
		cmocka_unit_test(test_by_time_only_when_asked_and_changed),
		cmocka_unit_test(test_by_time_no_newer_record_goes_to_end),
		cmocka_unit_test(test_csv_lines),
		cmocka_unit_test(test_group_entry_names_are_safe),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_secret_property_not_echoed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
