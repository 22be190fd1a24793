/*
 * hs_diff_redis_by_pattern: each added, removed or changed key counted
 * under the first profile pattern it matches with Redis's glob rules
 * (* ? [a-z] [^a] \x), else "(other)"; profile order, "(other)" last,
 * only patterns with a change.  And hs_aw_set_meta: an extra manifest key
 * reaches manifest.json and the index frame; reserved keys are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "diff.h"
#include "error.h"

/* Diff a against b (jsonl text) by these patterns; returns the "patterns" array (owned). */
static json_t *by_pattern(const char *a, const char *b, char *const *pats, size_t n)
{
	static const hs_diff_opts opts = { .details = false, .limit = 0, .ttl_tolerance_ms = 0 };
	FILE *fa = fmemopen((void *)a, strlen(a), "r"), *fb = fmemopen((void *)b, strlen(b), "r");
	json_t *out = json_object(), *p;
	hs_error e;

	hs_error_init(&e);
	assert_non_null(fa);
	assert_non_null(fb);
	assert_int_equal(hs_diff_redis_by_pattern(fa, fb, "redis/db0.jsonl", &opts, pats, n, out, &e), 0);
	fclose(fa);
	fclose(fb);
	p = json_incref(json_object_get(out, "patterns"));
	json_decref(out);
	assert_non_null(p);
	return p;
}

#define REC(k, v) "{\"key\":\"" k "\",\"type\":\"string\",\"value\":\"" v "\"}\n"

/* "[{pattern,added,removed,changed}...]" compactly, for one comparison. */
static void expect(json_t *got, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);

	assert_non_null(w);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_COMPACT);

		fail_msg("got %s, want %s", g, want);
		free(g);
	}
	json_decref(w);
	json_decref(got);
}

static void test_glob_rules_and_first_match(void **state)
{
	/* a*: a1, ab; s?ss: sess; [x-z]1: y1; [^q]q: rq; lit\*: lit* ; the rest (other) */
	char *pats[] = { "a*", "s?ss", "[x-z]1", "[^q]q", "lit\\*", "a1" };
	const char *a = REC("a1", "1") REC("ab", "1") REC("lit*", "1") REC("litx", "1") REC("qq", "1")
			REC("rq", "1") REC("sess", "1") REC("y1", "1");
	const char *b = REC("a1", "2") REC("ab", "1") REC("lit*", "2") REC("litx", "2") REC("qq", "2")
			REC("rq", "2") REC("seess", "1") REC("y1", "2") REC("z1", "1");

	(void)state;
	expect(by_pattern(a, b, pats, 6),
	       "[{\"pattern\":\"a*\",\"added\":0,\"removed\":0,\"changed\":1},"
	       "{\"pattern\":\"s?ss\",\"added\":0,\"removed\":1,\"changed\":0},"
	       "{\"pattern\":\"[x-z]1\",\"added\":1,\"removed\":0,\"changed\":1},"
	       "{\"pattern\":\"[^q]q\",\"added\":0,\"removed\":0,\"changed\":1},"
	       "{\"pattern\":\"lit\\\\*\",\"added\":0,\"removed\":0,\"changed\":1},"
	       "{\"pattern\":\"(other)\",\"added\":1,\"removed\":0,\"changed\":2}]");
}

static void test_no_patterns_all_other(void **state)
{
	(void)state;
	expect(by_pattern(REC("k", "1"), REC("k", "2") REC("n", "1"), NULL, 0),
	       "[{\"pattern\":\"(other)\",\"added\":1,\"removed\":0,\"changed\":1}]");
	/* equal: no pattern has a change, so none is listed */
	expect(by_pattern(REC("k", "1"), REC("k", "1"), NULL, 0), "[]");
}

static void test_set_meta(void **state)
{
	char dir[] = "/tmp/hs-meta-XXXXXX", path[64];
	hs_archive_writer *w = NULL;
	json_t *v = json_pack("{s:s}", "id", "x"), *m = NULL, *h = NULL;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.tar.zst", dir);
	assert_int_equal(hs_aw_open(&w, path, NULL, &e), 0);
	assert_int_equal(hs_aw_set_meta(w, "entries", v, &e), -1);
	assert_non_null(strstr(e.msg, "cannot set manifest key 'entries'"));
	assert_int_equal(hs_aw_set_meta(w, "Bad-Key", v, &e), -1);
	assert_int_equal(hs_aw_set_meta(w, "silence", v, &e), 0);
	json_object_set_new(v, "id", json_string("changed after the call")); /* copied: no effect */
	assert_int_equal(hs_aw_finish(w, &e), 0);
	hs_aw_free(w);
	/* the index frame (hs_archive_manifest) and, through verify, manifest.json equal to it */
	assert_int_equal(hs_archive_manifest(path, &m, &h, &e), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "silence"), "id")), "x");
	assert_int_equal(hs_archive_verify(path, &e), 0);
	json_decref(m);
	json_decref(h);
	json_decref(v);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_rules_and_first_match),
		cmocka_unit_test(test_no_patterns_all_other),
		cmocka_unit_test(test_set_meta),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
