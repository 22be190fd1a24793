/*
 * Unit tests of the Redis source's pure parts: redis:// URI parsing, the
 * byte-exact record encoding (UTF-8 check, base64, scores, collections)
 * read back through jansson as the restore reads it, and the external
 * sorter with spilled runs, k-way merge and dedup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "sources/redis/redis_common.h"

static void test_uri(void **state)
{
	hs_redis_uri u;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_redis_uri_parse("redis://127.0.0.1:16379/3", HS_EXIT_DATA, &u, &e), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 16379);
	assert_int_equal(u.db, 3);
	assert_true(u.has_db);
	assert_null(u.user);
	assert_null(u.password);
	hs_redis_uri_release(&u);

	assert_int_equal(hs_redis_uri_parse("redis://ops:p%40ss%3Aw@redis.svc?x=1", HS_EXIT_DATA, &u, &e), 0);
	assert_string_equal(u.host, "redis.svc");
	assert_int_equal(u.port, 6379);
	assert_false(u.has_db);
	assert_string_equal(u.user, "ops");
	assert_string_equal(u.password, "p@ss:w");
	hs_redis_uri_release(&u);

	assert_int_equal(hs_redis_uri_parse("redis://:only@[::1]:7000/", HS_EXIT_DATA, &u, &e), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 7000);
	assert_null(u.user);
	assert_string_equal(u.password, "only");
	assert_false(u.has_db);
	hs_redis_uri_release(&u);

	assert_int_equal(hs_redis_uri_parse("redis://secret@h", HS_EXIT_DATA, &u, &e), 0);
	assert_string_equal(u.password, "secret");
	hs_redis_uri_release(&u);
}

static void test_uri_errors(void **state)
{
	static const char *const bad[] = {
		"http://h:1", "redis://", "redis://h:0", "redis://h:70000", "redis://h:12ab",
		"redis://h:/1", "redis://h/x", "redis://[::1/0", "redis://u:p%zz@h", "",
	};
	hs_redis_uri u;
	hs_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hs_error_init(&e);
		if (hs_redis_uri_parse(bad[i], HS_EXIT_USAGE, &u, &e) != -1)
			print_error("accepted '%s'\n", bad[i]);
		assert_int_equal(e.code, HS_EXIT_USAGE);
		assert_null(u.host);
	}
	/* TLS: a clear failure, and the password is not in the message */
	hs_error_init(&e);
	assert_int_equal(hs_redis_uri_parse("rediss://u:hunter2@h:6380/0", HS_EXIT_USAGE, &u, &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_non_null(strstr(e.msg, "TLS not supported by this build"));
	assert_null(strstr(e.msg, "hunter2"));
	hs_error_init(&e);
	assert_int_equal(hs_redis_uri_parse("redis://u:hunter2@h:99999/0", HS_EXIT_DATA, &u, &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_null(strstr(e.msg, "hunter2"));
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(hs_redis_utf8_valid("", 0));
	assert_true(hs_redis_utf8_valid("a\0b", 3));
	assert_true(hs_redis_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	assert_false(hs_redis_utf8_valid("\xff", 1));
	assert_false(hs_redis_utf8_valid("\xc3\x28", 2));
	assert_false(hs_redis_utf8_valid("\xc0\xaf", 2));             /* overlong */
	assert_false(hs_redis_utf8_valid("\xed\xa0\x80", 3));         /* surrogate */
	assert_false(hs_redis_utf8_valid("\xf4\x90\x80\x80", 4));     /* > U+10FFFF */
	assert_false(hs_redis_utf8_valid("\xe2\x82", 2));             /* truncated */
}

/* Encode bytes, parse the JSON as the restore does, decode: same bytes. */
static void roundtrip_bytes(const char *p, size_t n, bool want_b64)
{
	hs_buf j = HS_BUF_INIT, back = HS_BUF_INIT;
	json_error_t err;
	json_t *v;

	hs_redis_json_bytes(&j, p, n);
	v = json_loadb(j.data, j.len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
	if (!v)
		print_error("not JSON: %s (%s)\n", j.data, err.text);
	assert_non_null(v);
	assert_int_equal(json_is_object(v), want_b64);
	assert_int_equal(hs_redis_bytes_from_json(v, &back), 0);
	assert_int_equal(back.len, n);
	assert_memory_equal(back.data, p, n);
	json_decref(v);
	hs_buf_release(&j);
	hs_buf_release(&back);
}

static void test_bytes(void **state)
{
	unsigned char all[256];
	size_t i;

	(void)state;
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	roundtrip_bytes("", 0, false);
	roundtrip_bytes("plain", 5, false);
	roundtrip_bytes("nul\0inside", 10, false);
	roundtrip_bytes("quote\"back\\slash\n\t\x01\x1f", 21, false);
	roundtrip_bytes("caf\xc3\xa9", 5, false);
	roundtrip_bytes("\xff", 1, true);
	roundtrip_bytes("\xff\xfe", 2, true);
	roundtrip_bytes("ab\xc3", 3, true);
	roundtrip_bytes((const char *)all, sizeof(all), true);
	for (i = 0; i < 64; i++)
		roundtrip_bytes((const char *)all + 128, i, i > 0);
}

static void test_base64(void **state)
{
	hs_buf b = HS_BUF_INIT;

	(void)state;
	hs_redis_b64_encode(&b, "foobar", 6);
	assert_string_equal(b.data, "Zm9vYmFy");
	hs_buf_reset(&b);
	hs_redis_b64_encode(&b, "fooba", 5);
	assert_string_equal(b.data, "Zm9vYmE=");
	hs_buf_reset(&b);
	hs_redis_b64_encode(&b, "f", 1);
	assert_string_equal(b.data, "Zg==");
	hs_buf_reset(&b);
	assert_int_equal(hs_redis_b64_decode(&b, "Zm9vYg==", 8), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "foob", 4);
	hs_buf_reset(&b);
	assert_int_equal(hs_redis_b64_decode(&b, "Zm9", 3), -1);
	assert_int_equal(hs_redis_b64_decode(&b, "Zm=v", 4), -1);
	assert_int_equal(hs_redis_b64_decode(&b, "Z!9v", 4), -1);
	hs_buf_release(&b);
}

/* A score printed by the encoder reads back (through jansson) to the same double. */
static void check_score(double d)
{
	char text[64];
	hs_buf j = HS_BUF_INIT;
	json_t *v;
	double back;

	snprintf(text, sizeof(text), "%.17g", d);
	if (isinf(d))
		snprintf(text, sizeof(text), "%s", d > 0 ? "inf" : "-inf");
	assert_int_equal(hs_redis_json_score(&j, text, strlen(text)), 0);
	v = json_loadb(j.data, j.len, JSON_DECODE_ANY, NULL);
	assert_non_null(v);
	assert_int_equal(hs_redis_score_from_json(v, &back), 0);
	if (back != d)
		print_error("score %s -> %s -> %.17g\n", text, j.data, back);
	assert_true(back == d);
	json_decref(v);
	hs_buf_release(&j);
}

static void test_scores(void **state)
{
	hs_buf j = HS_BUF_INIT;
	int i;

	(void)state;
	check_score(0);
	check_score(1.5);
	check_score(0.1);
	check_score(-3);
	check_score(1e300);
	check_score(-1e-300);
	check_score(4.9406564584124654e-324);
	check_score(9007199254740993.0);
	check_score(INFINITY);
	check_score(-INFINITY);
	srand(42);
	for (i = 0; i < 2000; i++) {
		double d = (double)rand() / RAND_MAX - 0.5;
		int x = rand() % 40 - 20;

		for (; x > 0; x--)
			d *= 10;
		for (; x < 0; x++)
			d /= 10;

		check_score(d);
	}
	assert_int_equal(hs_redis_json_score(&j, "0.1", 3), 0);
	assert_string_equal(j.data, "0.1");   /* the shortest form that reads back */
	hs_buf_reset(&j);
	assert_int_equal(hs_redis_json_score(&j, "inf", 3), 0);
	assert_string_equal(j.data, "\"inf\"");
	hs_buf_reset(&j);
	assert_int_equal(hs_redis_json_score(&j, "nan", 3), -1);
	assert_int_equal(hs_redis_json_score(&j, "1x", 2), -1);
	assert_int_equal(hs_redis_json_score(&j, "", 0), -1);
	hs_buf_release(&j);
}

static void items_of(hs_ritems *it, const char *const *v, size_t n)
{
	size_t i;

	hs_ritems_reset(it);
	for (i = 0; i < n; i++)
		hs_ritems_add(it, v[i], strlen(v[i]));
}

static void test_collections(void **state)
{
	static const char *const hash[] = { "b", "2", "a", "1", "\xff", "x", "b", "2", "", "empty" };
	static const char *const set[] = { "z", "y", "z", "a" };
	static const char *const list[] = { "z", "y", "z", "" };
	static const char *const zset[] = { "m", "-inf", "n", "0.5", "o", "3" };
	static const char *const badz[] = { "m", "x" };
	hs_ritems it = HS_RITEMS_INIT;
	hs_buf j = HS_BUF_INIT;

	(void)state;
	items_of(&it, hash, 10);
	assert_int_equal(hs_redis_json_items(&j, "hash", &it), 0);
	assert_string_equal(j.data, "[[\"\",\"empty\"],[\"a\",\"1\"],[\"b\",\"2\"],[{\"$base64\":\"/w==\"},\"x\"]]");
	hs_buf_reset(&j);
	items_of(&it, set, 4);
	assert_int_equal(hs_redis_json_items(&j, "set", &it), 0);
	assert_string_equal(j.data, "[\"a\",\"y\",\"z\"]");
	hs_buf_reset(&j);
	items_of(&it, list, 4);
	assert_int_equal(hs_redis_json_items(&j, "list", &it), 0);
	assert_string_equal(j.data, "[\"z\",\"y\",\"z\",\"\"]");
	hs_buf_reset(&j);
	items_of(&it, zset, 6);
	assert_int_equal(hs_redis_json_items(&j, "zset", &it), 0);
	assert_string_equal(j.data, "[[\"m\",\"-inf\"],[\"n\",0.5],[\"o\",3]]");
	hs_buf_reset(&j);
	items_of(&it, badz, 2);
	assert_int_equal(hs_redis_json_items(&j, "zset", &it), -1);
	hs_buf_reset(&j);
	items_of(&it, badz, 1);
	assert_int_equal(hs_redis_json_items(&j, "hash", &it), -1);   /* odd item count */
	hs_buf_reset(&j);
	hs_redis_record_begin(&j, "k\0\xff", 3, "string", 1700000000123);
	hs_buf_adds(&j, "\"v\"}");
	assert_string_equal(j.data, "{\"key\":{\"$base64\":\"awD/\"},\"type\":\"string\",\"expire_at_ms\":1700000000123,\"value\":\"v\"}");
	hs_buf_reset(&j);
	hs_redis_record_begin(&j, "k", 1, "hash", -1);
	assert_string_equal(j.data, "{\"key\":\"k\",\"type\":\"hash\",\"expire_at_ms\":null,\"value\":");
	hs_ritems_release(&it);
	hs_buf_release(&j);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort n random keys (with repeats) under a given memory limit; check order, dedup, records. */
static void sort_check(size_t n, size_t limit, bool expect_runs)
{
	hs_rsort *s = hs_rsort_new(limit, true);
	char **keys = calloc(n, sizeof(*keys));
	const char *k, *r;
	size_t kl, rl, i, uniq = 0, got = 0;
	hs_error e;
	char prev[64] = "";
	int rc;

	hs_error_init(&e);
	srand(7);
	for (i = 0; i < n; i++) {
		char key[32], rec[80];

		snprintf(key, sizeof(key), "key:%05d", rand() % (int)(n / 2 + 1));
		snprintf(rec, sizeof(rec), "rec of %s #%zu", key, i);
		keys[i] = strdup(key);
		assert_int_equal(hs_rsort_add(s, key, strlen(key), rec, strlen(rec), &e), 0);
	}
	assert_int_equal(hs_rsort_count(s), n);
	assert_int_equal(hs_rsort_runs(s) > 0, expect_runs);
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		if (!i || strcmp(keys[i], keys[i - 1]))
			uniq++;
	while ((rc = hs_rsort_next(s, &k, &kl, &r, &rl, &e)) == 1) {
		char want[96];

		assert_true(kl < sizeof(prev));
		if (got)
			assert_true(hs_keycmp(prev, strlen(prev), k, kl) < 0);
		memcpy(prev, k, kl);
		prev[kl] = '\0';
		/* the record belongs to its key */
		snprintf(want, sizeof(want), "rec of %s #", prev);
		assert_true(rl > strlen(want));
		assert_memory_equal(r, want, strlen(want));
		got++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(got, uniq);
	assert_int_equal(hs_rsort_dups(s), n - uniq);
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	hs_rsort_free(s);
}

/* How many descriptors this process has open. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/*
 * Enough runs to be merged many times over (two levels): the order stays
 * the key order, and of equal keys the first added is the one kept.
 */
static void test_sort_many_runs(void **state)
{
	enum { N = 40000, KEYS = 9000 };
	hs_rsort *s = hs_rsort_new(2048, true);
	int *first = malloc(KEYS * sizeof(*first));
	const char *k, *r;
	size_t kl, rl, i, got = 0, uniq = 0;
	char prev[32] = "";
	hs_error e;
	int rc;

	(void)state;
	hs_error_init(&e);
	srand(11);
	for (i = 0; i < KEYS; i++)
		first[i] = -1;
	for (i = 0; i < N; i++) {
		int id = rand() % KEYS;
		char key[32], rec[32];

		snprintf(key, sizeof(key), "k%05d", id);
		snprintf(rec, sizeof(rec), "%zu", i);
		if (first[id] < 0) {
			first[id] = (int)i;
			uniq++;
		}
		assert_int_equal(hs_rsort_add(s, key, strlen(key), rec, strlen(rec), &e), 0);
	}
	assert_true(hs_rsort_runs(s) > 200);
	/* merged as they come, by levels: a few temporary files open, not hundreds */
	assert_true(open_fds() < 80);
	while ((rc = hs_rsort_next(s, &k, &kl, &r, &rl, &e)) == 1) {
		char rec[32];
		int id;

		assert_true(kl < sizeof(prev) && rl < sizeof(rec));
		if (got)
			assert_true(hs_keycmp(prev, strlen(prev), k, kl) < 0);
		memcpy(prev, k, kl);
		prev[kl] = '\0';
		memcpy(rec, r, rl);
		rec[rl] = '\0';
		id = atoi(prev + 1);
		assert_int_equal(atoi(rec), first[id]);
		got++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(got, uniq);
	assert_int_equal(hs_rsort_dups(s), N - uniq);
	free(first);
	hs_rsort_free(s);
}

static void test_sort_memory(void **state)
{
	(void)state;
	sort_check(2000, 16 << 20, false);
}

static void test_sort_spill(void **state)
{
	(void)state;
	sort_check(20000, 4096, true);     /* hundreds of runs */
	sort_check(5000, 64 << 10, true);
}

static void test_sort_binary_and_empty(void **state)
{
	hs_rsort *s = hs_rsort_new(1024, false);
	const char *k, *r;
	size_t kl, rl;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_rsort_next(s, &k, &kl, &r, &rl, &e), 0);
	hs_rsort_free(s);
	s = hs_rsort_new(1024, false);
	assert_int_equal(hs_rsort_add(s, "a\0b", 3, "3", 1, &e), 0);
	assert_int_equal(hs_rsort_add(s, "a", 1, "1", 1, &e), 0);
	assert_int_equal(hs_rsort_add(s, "\xff", 1, "4", 1, &e), 0);
	assert_int_equal(hs_rsort_add(s, "a\0", 2, "2", 1, &e), 0);
	assert_int_equal(hs_rsort_add(s, "a", 1, "1b", 2, &e), 0);     /* kept: no dedup */
	assert_int_equal(hs_rsort_next(s, &k, &kl, &r, &rl, &e), 1);
	assert_memory_equal(r, "1", 1);
	assert_int_equal(hs_rsort_next(s, &k, &kl, &r, &rl, &e), 1);
	assert_memory_equal(r, "1b", 2);                             /* stable */
	assert_int_equal(hs_rsort_next(s, &k, &kl, &r, &rl, &e), 1);
	assert_memory_equal(r, "2", 1);
	assert_int_equal(hs_rsort_next(s, &k, &kl, &r, &rl, &e), 1);
	assert_memory_equal(r, "3", 1);
	assert_int_equal(hs_rsort_next(s, &k, &kl, &r, &rl, &e), 1);
	assert_int_equal(kl, 1);
	assert_memory_equal(k, "\xff", 1);
	assert_int_equal(hs_rsort_next(s, &k, &kl, &r, &rl, &e), 0);
	assert_int_equal(hs_rsort_add(s, "x", 1, "", 0, &e), -1);     /* no add after reading */
	hs_rsort_free(s);
	hs_rsort_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_uri_errors),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_scores),
		cmocka_unit_test(test_collections),
		cmocka_unit_test(test_sort_memory),
		cmocka_unit_test(test_sort_spill),
		cmocka_unit_test(test_sort_many_runs),
		cmocka_unit_test(test_sort_binary_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
