/*
 * Unit tests of src/sources/redis/redis_decode.c, the one reading of a
 * redis/db<N>.jsonl record that restore (plan, verify, apply) and diff
 * share (issue #26): every type read into its events, the expiry's bound
 * (2^62 ms, HS_REDIS_EXPIRE_MAX), and each value that does not fit its type
 * or is not JSON refused with its reason, as Redis would refuse it half-way
 * through a restore.  Records are read from memory (hs_rscan_set_mem, as
 * diff reads them); test_redis_scan.c reads through the archive reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sources/redis/redis_common.h"
#include "sources/redis/redis_decode.h"
#include "sources/redis/redis_scan.h"

/* The events of one value as text: "e:a|b|score;" "x:id f v;" "m:last added maxdel n;" "g:name ld er;" "d:len;". */
static int ev_elem(void *ctx, const hs_buf *a, const hs_buf *b, const char *score)
{
	hs_buf *t = ctx;

	hs_buf_addf(t, "e:%.*s", (int)a->len, a->data);
	if (b)
		hs_buf_addf(t, "|%.*s", (int)b->len, b->data);
	if (score)
		hs_buf_addf(t, "|%s", score);
	hs_buf_adds(t, ";");
	return 0;
}

static int ev_xentry(void *ctx, const char *id, const hs_ritems *fv)
{
	hs_buf *t = ctx;

	hs_buf_addf(t, "x:%s", id);
	for (size_t i = 0; i < fv->n; i++)
		hs_buf_addf(t, " %.*s", (int)fv->len[i], hs_ritems_at(fv, i));
	hs_buf_adds(t, ";");
	return 0;
}

static int ev_xmeta(void *ctx, const hs_rdec_xmeta *m)
{
	hs_buf_addf(ctx, "m:%s %lld %s %llu;", m->last_id ? m->last_id : "-", (long long)m->entries_added,
		    m->max_deleted_id ? m->max_deleted_id : "-", (unsigned long long)m->entries);
	return 0;
}

static int ev_xgroup(void *ctx, const hs_buf *name, const char *ld, int64_t er)
{
	hs_buf_addf(ctx, "g:%.*s %s %lld;", (int)name->len, name->data, ld, (long long)er);
	return 0;
}

static int ev_dump(void *ctx, const hs_buf *payload)
{
	hs_buf_addf(ctx, "d:%zu;", payload->len);
	return 0;
}

/* Decode one record line; its events in *trace; 0, or -1 with the reason in *why. */
static int decode(const char *line, hs_buf *trace, const char **why)
{
	static char reason[256];
	hs_rscan *s = hs_rscan_new_mem();
	hs_rdec *d = hs_rdec_new();
	hs_rscan_rec h = HS_RSCAN_REC_INIT;
	hs_rdec_sink k = { trace, ev_elem, ev_xentry, ev_xmeta, ev_xgroup, ev_dump };
	int rc;

	hs_buf_reset(trace);
	hs_rscan_set_mem(s, line, strlen(line), 7);
	rc = hs_rscan_head(s, &h) == 1 ? hs_rdec_value(d, s, &h, &k) : -1;
	assert_int_equal(hs_rscan_lineno(s), 7);
	snprintf(reason, sizeof(reason), "%s", rc ? hs_rscan_why(s) : "");
	*why = reason;
	if (!rc) {   /* checked only, with no sink: the same verdict */
		hs_rscan_set_mem(s, line, strlen(line), 7);
		assert_int_equal(hs_rscan_head(s, &h), 1);
		assert_int_equal(hs_rdec_value(d, s, &h, NULL), 0);
	}
	hs_rscan_rec_release(&h);
	hs_rdec_free(d);
	hs_rscan_free(s);
	return rc;
}

static void assert_reads(const char *value_json, const char *type, const char *want)
{
	hs_buf line = HS_BUF_INIT, t = HS_BUF_INIT;
	const char *why;

	hs_buf_addf(&line, "{\"key\":\"k\",\"type\":\"%s\",\"expire_at_ms\":null,\"value\":%s}\n", type, value_json);
	if (decode(line.data, &t, &why))
		fail_msg("%s refused: %s", line.data, why);
	assert_string_equal(t.data, want);
	hs_buf_release(&line);
	hs_buf_release(&t);
}

/* A record refused, with a reason that contains want. */
static void assert_refused_line(const char *line, const char *want)
{
	hs_buf t = HS_BUF_INIT;
	const char *why;

	if (!decode(line, &t, &why))
		fail_msg("accepted: %s", line);
	if (!strstr(why, want))
		fail_msg("%s: reason '%s', want '%s'", line, why, want);
	hs_buf_release(&t);
}

static void assert_refused(const char *value_json, const char *type, const char *want)
{
	hs_buf line = HS_BUF_INIT;

	hs_buf_addf(&line, "{\"key\":\"k\",\"type\":\"%s\",\"expire_at_ms\":null,\"value\":%s}\n", type, value_json);
	assert_refused_line(line.data, want);
	hs_buf_release(&line);
}

/* DUMP of the string "hello" from Redis 7.0: RDB 10, and its CRC-64. */
static const unsigned char hello_dump[] = { 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0x0a, 0x00,
					    0x63, 0x72, 0xdf, 0x76, 0x65, 0x34, 0x20, 0x0a };

static void test_every_type(void **state)
{
	hs_buf b64 = HS_BUF_INIT, v = HS_BUF_INIT;

	(void)state;
	assert_reads("\"caf\\u00e9\"", "string", "e:caf\xc3\xa9;");
	assert_reads("{\"$base64\":\"/w==\"}", "string", "e:\xff;");
	assert_reads("[[\"f\",\"1\"],[\"g\",{\"$base64\":\"Mg==\"}]]", "hash", "e:f|1;e:g|2;");
	assert_reads("[\"a\",\"b\",\"a\"]", "list", "e:a;e:b;e:a;");
	assert_reads("[\"m\"]", "set", "e:m;");
	assert_reads("[[\"m\",1.5],[\"n\",\"-inf\"],[\"o\",-2e-3]]", "zset", "e:m|1.5;e:n|-inf;e:o|-2e-3;");
	/* a stream's members in any order: entries first, then the last id, then the groups */
	assert_reads("{\"groups\":[{\"name\":\"g\",\"last_delivered_id\":\"1-1\",\"entries_read\":1},"
		     "{\"entries_read\":null,\"name\":\"h\",\"last_delivered_id\":\"0-0\"}],"
		     "\"last_id\":\"002-0\",\"entries_added\":5,\"max_deleted_id\":\"1-2\","
		     "\"entries\":[[\"1-1\",[\"f\",\"v\"]],[\"2-0\",[\"a\",\"b\",\"c\",\"d\"]]]}",
		     "stream", "x:1-1 f v;x:2-0 a b c d;m:2-0 5 1-2 2;g:g 1-1 1;g:h 0-0 -1;");
	assert_reads("{\"last_id\":null,\"entries\":[],\"groups\":[]}", "stream", "m:- -1 - 0;");
	hs_redis_b64_encode(&b64, hello_dump, sizeof(hello_dump));
	hs_buf_addf(&v, "{\"$dump\":\"%s\"}", b64.data);
	assert_reads(v.data, "ReJSON-RL", "d:17;");
	hs_buf_release(&b64);
	hs_buf_release(&v);
}

/* issue #26 item 6: Redis refuses PEXPIRE/SET PX past LLONG_MAX - now; restore sends expiry - capture start. */
static void test_expiry_bound(void **state)
{
	hs_buf t = HS_BUF_INIT;
	const char *why;

	(void)state;
	assert_int_equal(decode("{\"key\":\"k\",\"type\":\"string\",\"expire_at_ms\":4611686018427387904,\"value\":\"v\"}",
				&t, &why), 0);
	assert_int_equal(decode("{\"key\":\"k\",\"type\":\"string\",\"expire_at_ms\":0,\"value\":\"v\"}", &t, &why), 0);
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"expire_at_ms\":4611686018427387905,\"value\":\"v\"}",
			    "expire_at_ms is past 4611686018427387904");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"expire_at_ms\":9223372036854775807,\"value\":\"v\"}",
			    "expire_at_ms is past");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"expire_at_ms\":-5,\"value\":\"v\"}",
			    "expire_at_ms is negative");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"expire_at_ms\":1.5,\"value\":\"v\"}",
			    "expire_at_ms is not an integer");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"expire_at_ms\":\"5\",\"value\":\"v\"}",
			    "expire_at_ms is not an integer");
	hs_buf_release(&t);
}

/* issue #26 item 2: values that do not fit their type, refused with the type named. */
static void test_value_does_not_fit(void **state)
{
	(void)state;
	assert_refused("\"x\"", "hash", "does not fit type 'hash'");
	assert_refused("[[\"f\"]]", "hash", "does not fit type 'hash'");
	assert_refused("[[\"f\",\"v\",\"w\"]]", "hash", "does not fit type 'hash'");
	assert_refused("[]", "hash", "does not fit type 'hash'");
	assert_refused("[[\"f\",1]]", "hash", "does not fit type 'hash'");
	assert_refused("\"x\"", "list", "does not fit type 'list'");
	assert_refused("[]", "list", "does not fit type 'list'");
	assert_refused("[1]", "set", "does not fit type 'set'");
	assert_refused("[[\"m\",\"x\"]]", "zset", "neither a number nor");
	assert_refused("[[\"m\"]]", "zset", "does not fit type 'zset'");
	/* what Redis's string2d refuses: "ERR value is not a valid float" */
	assert_refused("[[\"m\",1e999]]", "zset", "out of the range of a double");
	assert_refused("[[\"m\",1e-400]]", "zset", "out of the range of a double");
	assert_refused("[\"a\"]", "string", "does not fit type 'string'");
	assert_refused("{\"$base64\":\"!!!!\"}", "string", "invalid base64");
	assert_refused("{\"$base64\":\"QQ==\",\"x\":1}", "string", "does not fit type 'string'");
	assert_refused("\"a\",\"value\":\"b\"", "string", "repeated after the value");
}

/* What XADD, XSETID and XGROUP CREATE refuse, before anything is written. */
static void test_stream_refused(void **state)
{
	(void)state;
	assert_refused("[]", "stream", "does not fit type 'stream'");
	assert_refused("{\"entries\":[],\"groups\":[]}", "stream", "without last_id, entries or groups");
	assert_refused("{\"last_id\":null,\"entries\":[],\"groups\":[],\"x\":1}", "stream", "unknown or twice");
	assert_refused("{\"last_id\":null,\"entries\":[],\"entries\":[],\"groups\":[]}", "stream", "unknown or twice");
	assert_refused("{\"last_id\":\"1\",\"entries\":[],\"groups\":[]}", "stream", "not \"ms-seq\"");
	assert_refused("{\"last_id\":\"1-18446744073709551616\",\"entries\":[],\"groups\":[]}", "stream",
		       "not \"ms-seq\"");
	assert_refused("{\"last_id\":\"5-0\",\"entries\":[[\"0-0\",[\"f\",\"v\"]]],\"groups\":[]}", "stream",
		       "id of 0-0");
	assert_refused("{\"last_id\":\"5-0\",\"entries\":[[\"2-0\",[\"f\",\"v\"]],[\"1-9\",[\"f\",\"v\"]]],\"groups\":[]}",
		       "stream", "not in increasing order");
	assert_refused("{\"last_id\":\"5-0\",\"entries\":[[\"2-0\",[\"f\"]]],\"groups\":[]}", "stream",
		       "without pairs");
	assert_refused("{\"last_id\":\"5-0\",\"entries\":[[\"2-0\",[]]],\"groups\":[]}", "stream", "without pairs");
	assert_refused("{\"last_id\":\"1-0\",\"entries\":[[\"2-0\",[\"f\",\"v\"]]],\"groups\":[]}", "stream",
		       "last_id below its last entry");
	assert_refused("{\"last_id\":\"1-0\",\"max_deleted_id\":\"1-1\",\"entries\":[],\"groups\":[]}", "stream",
		       "below its max_deleted_id");
	assert_refused("{\"last_id\":\"3-0\",\"entries_added\":1,\"entries\":[[\"1-0\",[\"f\",\"v\"]],[\"2-0\",[\"f\",\"v\"]]],"
		       "\"groups\":[]}", "stream", "entries_added below");
	assert_refused("{\"last_id\":\"1-0\",\"entries_added\":-1,\"entries\":[],\"groups\":[]}", "stream", "negative");
	assert_refused("{\"last_id\":\"1-0\",\"entries\":[],\"groups\":[{\"name\":\"g\",\"last_delivered_id\":\"0-0\","
		       "\"entries_read\":null},{\"name\":\"g\",\"last_delivered_id\":\"1-0\",\"entries_read\":null}]}",
		       "stream", "two stream groups with one name");
	assert_refused("{\"last_id\":\"1-0\",\"entries\":[],\"groups\":[{\"name\":\"g\",\"last_delivered_id\":\"0-0\","
		       "\"entries_read\":-1}]}", "stream", "negative");
	assert_refused("{\"last_id\":\"1-0\",\"entries\":[],\"groups\":[{\"name\":\"g\",\"last_delivered_id\":\"0-0\"}]}",
		       "stream", "a stream group that is not");
}

/* Module types: a DUMP payload RESTORE takes (its trailer and CRC-64). */
static void test_dump_refused(void **state)
{
	hs_buf b64 = HS_BUF_INIT, v = HS_BUF_INIT;
	unsigned char bad[sizeof(hello_dump)];

	(void)state;
	/* Redis's check value of its CRC-64 (crc64.c): "123456789" */
	assert_true(hs_rdec_crc64(0, "123456789", 9) == UINT64_C(0xe9c6d914c4b8d9ca));
	memcpy(bad, hello_dump, sizeof(bad));
	bad[3] ^= 1;
	hs_redis_b64_encode(&b64, bad, sizeof(bad));
	hs_buf_addf(&v, "{\"$dump\":\"%s\"}", b64.data);
	assert_refused(v.data, "mod", "CRC-64 does not match");
	assert_refused("{\"$dump\":\"AAEC\"}", "mod", "shorter than its 10-byte trailer");
	assert_refused("{\"$dump\":\"AAEC\",\"x\":1}", "mod", "not {\"$dump\": base64}");
	assert_refused("[1]", "mod", "not {\"$dump\": base64}");
	assert_refused("{\"$dump\":\"A\"}", "mod", "invalid base64");
	hs_buf_release(&b64);
	hs_buf_release(&v);
}

/* issue #26 items 2 and 8: not JSON, anywhere in the record, skipped parts included. */
static void test_not_json_refused(void **state)
{
	(void)state;
	assert_refused_line("{\"key\":\"k\",\"x\":[tru],\"type\":\"string\",\"value\":\"v\"}", "not valid JSON");
	assert_refused_line("{\"key\":\"k\",\"x\":{\"a\" 1},\"type\":\"string\",\"value\":\"v\"}", "not valid JSON");
	assert_refused_line("{\"key\":\"k\",\"x\":01,\"type\":\"string\",\"value\":\"v\"}", "leading zero");
	assert_refused_line("{\"key\":\"k\",\"x\":[1,],\"type\":\"string\",\"value\":\"v\"}", "not valid JSON");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"value\":\"v\",\"x\":[}", "not valid JSON");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"value\":\"a\\qb\"}", "invalid escape");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"value\":\"a\xff\"}", "not valid UTF-8");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"value\":\"a\xed\xa0\x80\"}", "not valid UTF-8");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"value\":\"a\tb\"}", "raw control byte");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"value\":\"v\"", "ends early");
	assert_refused_line("{\"key\":\"k\",\"type\":\"string\",\"value\":\"v\"} x", "more after the record");
	assert_refused_line("{\"type\":\"string\",\"value\":\"v\"}", "no key");
	assert_refused_line("{\"key\":\"k\",\"value\":\"v\"}", "no type");
	assert_refused_line("[\"key\"]", "not a JSON object");
	assert_refused("[[\"m\",0x10]]", "zset", "does not fit type 'zset'");
	assert_refused("[[\"m\",+1]]", "zset", "not a number");
}

/* Deep nesting in a skipped member: bounded, refused past HS_RSCAN_DEPTH. */
static void test_depth(void **state)
{
	hs_buf line = HS_BUF_INIT, t = HS_BUF_INIT;
	const char *why;
	int i;

	(void)state;
	hs_buf_adds(&line, "{\"key\":\"k\",\"x\":");
	for (i = 0; i < HS_RSCAN_DEPTH; i++)   /* {"a":[{"a":[ ... ]}]} */
		hs_buf_adds(&line, i % 2 ? "[" : "{\"a\":");
	for (i = HS_RSCAN_DEPTH - 1; i >= 0; i--)
		hs_buf_addc(&line, i % 2 ? ']' : '}');
	hs_buf_adds(&line, ",\"type\":\"string\",\"value\":\"v\"}");
	assert_int_equal(decode(line.data, &t, &why), 0);
	hs_buf_reset(&line);
	hs_buf_adds(&line, "{\"key\":\"k\",\"x\":");
	for (i = 0; i <= HS_RSCAN_DEPTH; i++)
		hs_buf_addc(&line, '[');
	assert_refused_line(line.data, "nested too deep");
	hs_buf_release(&line);
	hs_buf_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_expiry_bound),
		cmocka_unit_test(test_value_does_not_fit),
		cmocka_unit_test(test_stream_refused),
		cmocka_unit_test(test_dump_refused),
		cmocka_unit_test(test_not_json_refused),
		cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
