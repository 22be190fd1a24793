/*
 * Unit tests of src/sources/redis/redis_scan.c, the restore's streaming reader of
 * redis/db<N>.jsonl: records of every type read as restore/redis.c reads
 * them, a record cut by the scanner's 64 KiB window refill, and the
 * findings of tests/fuzz/fuzz_redis_scan.c (docs/fuzzing.md): a repeated
 * expire_at_ms, a record member repeated after the value, expiries out of
 * range.  Each test writes a real archive (hs_aw_*) into a temporary folder
 * and reads its redis/db0.jsonl entry through the archive reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "error.h"
#include "sources/redis/redis_scan.h"

/* One archive holding redis/db0.jsonl, opened at that entry. */
typedef struct scan_fx {
	hs_buf dir, path;
	hs_reader *rd;
	hs_rscan *sc;
	hs_error e;
	hs_rscan_rec h;
} scan_fx;

static void fx_open(scan_fx *f, const char *jsonl, size_t len)
{
	hs_archive_opts o;
	hs_archive_writer *w = NULL;
	hs_reader_entry ent;
	const char *t = getenv("TMPDIR");
	int n;

	memset(f, 0, sizeof(*f));
	memset(&o, 0, sizeof(o));
	o.kind = "snapshot";
	o.profile = "flowc";
	o.created_at = 1795000000;
	hs_error_init(&f->e);
	hs_buf_addf(&f->dir, "%s/hs-test-rscan-XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(f->dir.data));
	hs_buf_addf(&f->path, "%s/a.tar.zst", f->dir.data);
	if (hs_aw_open(&w, f->path.data, &o, &f->e) ||
	    hs_aw_add(w, "redis/db0.jsonl", "redis", jsonl, len, 1, &f->e) ||
	    hs_aw_source(w, "redis", HS_STATUS_OK, NULL, 1, 2, NULL, NULL, &f->e) ||
	    hs_aw_finish(w, &f->e))
		fail_msg("write: %s", f->e.msg);
	hs_aw_free(w);
	if (hs_reader_open(&f->rd, f->path.data, &f->e))
		fail_msg("open: %s", f->e.msg);
	while ((n = hs_reader_next(f->rd, &ent, &f->e)) == 1 && strcmp(ent.name, "redis/db0.jsonl"))
		;
	assert_int_equal(n, 1);
	f->sc = hs_rscan_new(f->rd, &f->e);
	hs_buf_init(&f->h.key);
}

static void fx_close(scan_fx *f)
{
	hs_rscan_free(f->sc);
	hs_reader_free(f->rd);
	hs_rscan_rec_release(&f->h);
	unlink(f->path.data);
	rmdir(f->dir.data);
	hs_buf_release(&f->path);
	hs_buf_release(&f->dir);
}

static void assert_bytes(const hs_buf *b, const char *want, size_t n)
{
	assert_int_equal(b->len, n);
	if (n)
		assert_memory_equal(b->data, want, n);
}

/* A record refused as malformed JSON (not a read error) at line 1. */
static void assert_refused_line1(scan_fx *f)
{
	assert_false(hs_rscan_ioerr(f->sc));
	assert_int_equal(f->e.code, 0);
	assert_int_equal(hs_rscan_lineno(f->sc), 1);
}

static void test_every_type(void **state)
{
	static const char in[] =
		"{\"key\":\"s\",\"type\":\"string\",\"expire_at_ms\":1795000000000,\"value\":\"caf\\u00e9\\n\"}\n"
		"{\"key\":{\"$base64\":\"AP8=\"},\"type\":\"hash\",\"expire_at_ms\":null,"
		"\"value\":[[\"f\",{\"$base64\":\"/w==\"}]]}\n"
		"{\"key\":\"z\",\"type\":\"zset\",\"expire_at_ms\":null,\"value\":[[\"m\",\"-inf\"],[\"n\",1.5e3]]}\n"
		"{\"x\":[1,{\"y\":\"]\"}],\"key\":\"st\",\"type\":\"stream\",\"expire_at_ms\":null,"
		"\"value\":{\"entries\":[],\"last_id\":\"0-0\"},\"after\":true}";   /* no final newline */
	scan_fx f;
	hs_buf v = HS_BUF_INIT;
	bool first = true;
	char num[64];

	(void)state;
	fx_open(&f, in, sizeof(in) - 1);

	assert_int_equal(hs_rscan_head(f.sc, &f.h), 1);
	assert_bytes(&f.h.key, "s", 1);
	assert_string_equal(f.h.type, "string");
	assert_true(f.h.has_exp);
	assert_int_equal(f.h.exp_ms, 1795000000000LL);
	assert_int_equal(hs_rscan_bytes(f.sc, &v), 0);
	assert_bytes(&v, "caf\xc3\xa9\n", 6);
	assert_int_equal(hs_rscan_end(f.sc), 0);

	assert_int_equal(hs_rscan_head(f.sc, &f.h), 1);
	assert_bytes(&f.h.key, "\0\xff", 2);
	assert_false(f.h.has_exp);
	assert_int_equal(hs_rscan_open(f.sc), 0);
	assert_int_equal(hs_rscan_next(f.sc, &first), 1);
	assert_int_equal(hs_rscan_open(f.sc), 0);
	assert_int_equal(hs_rscan_bytes(f.sc, &v), 0);
	assert_bytes(&v, "f", 1);
	assert_int_equal(hs_rscan_comma(f.sc), 0);
	assert_int_equal(hs_rscan_bytes(f.sc, &v), 0);
	assert_bytes(&v, "\xff", 1);
	assert_int_equal(hs_rscan_close(f.sc), 0);
	assert_int_equal(hs_rscan_next(f.sc, &first), 0);
	assert_int_equal(hs_rscan_end(f.sc), 0);

	assert_int_equal(hs_rscan_head(f.sc, &f.h), 1);
	assert_string_equal(f.h.type, "zset");
	first = true;
	assert_int_equal(hs_rscan_open(f.sc), 0);
	assert_int_equal(hs_rscan_next(f.sc, &first), 1);
	assert_int_equal(hs_rscan_open(f.sc), 0);
	assert_int_equal(hs_rscan_bytes(f.sc, &v), 0);
	assert_int_equal(hs_rscan_comma(f.sc), 0);
	assert_int_equal(hs_rscan_score(f.sc, num, sizeof(num)), 0);
	assert_string_equal(num, "-inf");
	assert_int_equal(hs_rscan_close(f.sc), 0);
	assert_int_equal(hs_rscan_next(f.sc, &first), 1);
	assert_int_equal(hs_rscan_open(f.sc), 0);
	assert_int_equal(hs_rscan_bytes(f.sc, &v), 0);
	assert_int_equal(hs_rscan_comma(f.sc), 0);
	assert_int_equal(hs_rscan_score(f.sc, num, sizeof(num)), 0);
	assert_string_equal(num, "1.5e3");
	assert_int_equal(hs_rscan_close(f.sc), 0);
	assert_int_equal(hs_rscan_next(f.sc, &first), 0);
	assert_int_equal(hs_rscan_end(f.sc), 0);

	/* unknown members before and after the value are skipped (and checked as JSON) */
	assert_int_equal(hs_rscan_head(f.sc, &f.h), 1);
	assert_string_equal(f.h.type, "stream");
	assert_int_equal(hs_rscan_skip(f.sc), 0);
	assert_int_equal(hs_rscan_end(f.sc), 0);
	assert_int_equal(hs_rscan_head(f.sc, &f.h), 0);
	assert_int_equal(hs_rscan_lineno(f.sc), 4);
	assert_int_equal(hs_rscan_offset(f.sc), sizeof(in) - 1);
	hs_buf_release(&v);
	fx_close(&f);
}

/* A key whose \ud83d\ude00 pair is cut by the window's refill still decodes. */
static void test_window_refill(void **state)
{
	static const char rec[] = "{\"key\":\"\\ud83d\\ude00\",\"type\":\"string\",\"expire_at_ms\":null,\"value\":\"v\"}\n";
	hs_buf in = HS_BUF_INIT, v = HS_BUF_INIT;
	scan_fx f;
	size_t cut;

	(void)state;
	for (cut = 8; cut <= 20; cut += 3) {   /* the window ends inside "\ud83d\ude00" */
		hs_buf_reset(&in);
		while (in.len < 65536 - cut)
			hs_buf_addc(&in, ' ');
		hs_buf_add(&in, rec, sizeof(rec) - 1);
		fx_open(&f, in.data, in.len);
		assert_int_equal(hs_rscan_head(f.sc, &f.h), 1);
		assert_bytes(&f.h.key, "\xf0\x9f\x98\x80", 4);
		assert_int_equal(hs_rscan_bytes(f.sc, &v), 0);
		assert_bytes(&v, "v", 1);
		assert_int_equal(hs_rscan_end(f.sc), 0);
		assert_int_equal(hs_rscan_head(f.sc, &f.h), 0);
		fx_close(&f);
	}
	hs_buf_release(&in);
	hs_buf_release(&v);
}

/* Raw UTF-8 (checked) and escapes cut by the window's refill at every byte still decode. */
static void test_window_refill_utf8(void **state)
{
	static const char rec[] = "{\"key\":\"\xc3\xa9\xf0\x9f\x98\x80\\\"x\",\"type\":\"string\",\"expire_at_ms\":null,\"value\":\"v\"}\n";
	hs_buf in = HS_BUF_INIT, v = HS_BUF_INIT;
	scan_fx f;
	size_t cut;

	(void)state;
	for (cut = 8; cut <= 18; cut++) {   /* the window ends inside "é😀\"x" */
		hs_buf_reset(&in);
		while (in.len < 65536 - cut)
			hs_buf_addc(&in, ' ');
		hs_buf_add(&in, rec, sizeof(rec) - 1);
		fx_open(&f, in.data, in.len);
		assert_int_equal(hs_rscan_head(f.sc, &f.h), 1);
		assert_bytes(&f.h.key, "\xc3\xa9\xf0\x9f\x98\x80\"x", 8);
		assert_int_equal(hs_rscan_bytes(f.sc, &v), 0);
		assert_int_equal(hs_rscan_end(f.sc), 0);
		assert_int_equal(hs_rscan_head(f.sc, &f.h), 0);
		fx_close(&f);
	}
	/* and an invalid sequence cut there is refused */
	hs_buf_reset(&in);
	while (in.len < 65536 - 9)
		hs_buf_addc(&in, ' ');
	hs_buf_adds(&in, "{\"key\":\"\xf0\x9f\x28\x80\",\"type\":\"string\",\"value\":\"v\"}\n");
	fx_open(&f, in.data, in.len);
	assert_int_equal(hs_rscan_head(f.sc, &f.h), -1);
	assert_false(hs_rscan_ioerr(f.sc));
	assert_string_equal(hs_rscan_why(f.sc), "a string is not valid UTF-8");
	fx_close(&f);
	hs_buf_release(&in);
	hs_buf_release(&v);
}

/* fuzz finding: a later "expire_at_ms":null did not undo an earlier expiry (jansson, diff: null). */
static void test_repeated_expiry_last_wins(void **state)
{
	static const char in[] =
		"{\"key\":\"a\",\"type\":\"string\",\"expire_at_ms\":1795000000000,\"expire_at_ms\":null,\"value\":\"b\"}\n";
	scan_fx f;

	(void)state;
	fx_open(&f, in, sizeof(in) - 1);
	assert_int_equal(hs_rscan_head(f.sc, &f.h), 1);
	assert_false(f.h.has_exp);
	assert_int_equal(f.h.exp_ms, -1);
	fx_close(&f);
}

/* fuzz finding: a record member after the value: diff took the last, restore the first. */
static void test_member_after_value_refused(void **state)
{
	static const char *const bad[] = {
		"{\"key\":\"a\",\"type\":\"string\",\"expire_at_ms\":null,\"value\":\"b\",\"value\":\"c\"}\n",
		"{\"key\":\"a\",\"type\":\"string\",\"expire_at_ms\":null,\"value\":\"b\",\"key\":\"c\"}\n",
		"{\"key\":\"a\",\"type\":\"string\",\"expire_at_ms\":null,\"value\":\"b\",\"type\":\"list\"}\n",
		"{\"key\":\"a\",\"type\":\"string\",\"value\":\"b\",\"expire_at_ms\":1}\n",
	};
	hs_buf v = HS_BUF_INIT;
	scan_fx f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx_open(&f, bad[i], strlen(bad[i]));
		assert_int_equal(hs_rscan_head(f.sc, &f.h), 1);
		assert_int_equal(hs_rscan_bytes(f.sc, &v), 0);
		assert_int_equal(hs_rscan_end(f.sc), -1);
		assert_refused_line1(&f);
		fx_close(&f);
	}
	hs_buf_release(&v);
}

/* fuzz finding: expiries out of range or negative (LLONG_MIN made the restore's TTL math overflow). */
static void test_expiry_out_of_range_refused(void **state)
{
	static const char *const bad[] = { "99999999999999999999", "-9223372036854775808", "-1", "+5", "1e3", "0x10",
					   "0123", "00", "9223372036854775807", "4611686018427387905", "1.0", "-0" };
	hs_buf in = HS_BUF_INIT;
	scan_fx f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hs_buf_reset(&in);
		hs_buf_addf(&in, "{\"key\":\"a\",\"type\":\"string\",\"expire_at_ms\":%s,\"value\":\"b\"}\n", bad[i]);
		fx_open(&f, in.data, in.len);
		assert_int_equal(hs_rscan_head(f.sc, &f.h), -1);
		assert_refused_line1(&f);
		fx_close(&f);
	}
	/* the largest one still fits: 2^62 (redis_common.h HS_REDIS_EXPIRE_MAX) */
	hs_buf_reset(&in);
	hs_buf_adds(&in, "{\"key\":\"a\",\"type\":\"string\",\"expire_at_ms\":4611686018427387904,\"value\":\"b\"}\n");
	fx_open(&f, in.data, in.len);
	assert_int_equal(hs_rscan_head(f.sc, &f.h), 1);
	assert_int_equal(f.h.exp_ms, INT64_C(1) << 62);
	fx_close(&f);
	/* and 0 alone is a number */
	hs_buf_reset(&in);
	hs_buf_adds(&in, "{\"key\":\"a\",\"type\":\"string\",\"expire_at_ms\":0,\"value\":\"b\"}\n");
	fx_open(&f, in.data, in.len);
	assert_int_equal(hs_rscan_head(f.sc, &f.h), 1);
	assert_int_equal(f.h.exp_ms, 0);
	fx_close(&f);
	hs_buf_release(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_window_refill),
		cmocka_unit_test(test_window_refill_utf8),
		cmocka_unit_test(test_repeated_expiry_last_wins),
		cmocka_unit_test(test_member_after_value_refused),
		cmocka_unit_test(test_expiry_out_of_range_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
