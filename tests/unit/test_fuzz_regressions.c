/*
 * Regression tests for what the fuzzers (tests/fuzz/) found, one test per
 * finding, each with the input that showed it (also in the target's seed
 * corpus, tests/fuzz/corpus/<target>/regress-*).  docs/fuzzing.md lists them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "diff.h"
#include "error.h"
#include "sources/k8s/kubeconfig.h"

/* Diff two in-memory redis/db0.jsonl entries; fills *changed, returns the diff's result. */
static int rdiff(const char *a, const char *b, long long *changed, hs_error *e)
{
	static const hs_diff_opts opts = { true, 10, 0 };
	FILE *fa = fmemopen((void *)a, strlen(a), "r"), *fb = fmemopen((void *)b, strlen(b), "r");
	json_t *out = json_pack("{s:i,s:i,s:i,s:[]}", "added", 0, "removed", 0, "changed", 0, "items");
	int rc;

	assert_non_null(fa);
	assert_non_null(fb);
	rc = hs_diff_redis(fa, fb, "redis/db0.jsonl", &opts, out, e);
	*changed = json_integer_value(json_object_get(out, "changed"));
	json_decref(out);
	fclose(fa);
	fclose(fb);
	return rc;
}

/*
 * fuzz_redis_record: a key or value holding a NUL byte is written by the
 * snapshot as "\u0000" and read back by the restore, but diff parsed
 * records without JSON_ALLOW_NUL and refused them ("line 1 is not a Redis
 * record", exit 65) as soon as such a record had to be parsed.
 */
static void test_redis_diff_nul_escape(void **state)
{
	const char *a = "{\"key\":\"a\\u0000b\",\"type\":\"string\",\"expire_at_ms\":null,\"value\":\"x\"}\n";
	const char *b = "{\"key\":\"a\\u0000b\",\"type\":\"string\",\"expire_at_ms\":null,\"value\":\"y\\u0000\"}\n";
	long long changed = -1;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(rdiff(a, a, &changed, &e), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(rdiff(a, b, &changed, &e), 0);
	assert_int_equal(changed, 1);
}

/*
 * fuzz_kubeconfig (the harness lets the parser open any path): a tokenFile
 * naming /dev/zero (or any endless or huge file) was read until memory ran
 * out.  Files the kubeconfig parser reads are now capped at 16 MiB.
 */
static void test_kubeconfig_endless_token_file(void **state)
{
	static const char kc[] =
		"apiVersion: v1\n"
		"current-context: c\n"
		"clusters: [{name: c, cluster: {server: \"https://h:1\"}}]\n"
		"users: [{name: u, user: {tokenFile: /dev/zero}}]\n"
		"contexts: [{name: c, context: {cluster: c, user: u}}]\n";
	hs_kubeconfig *k = NULL;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_kubeconfig_parse(kc, sizeof(kc) - 1, NULL, NULL, &k, &e), -1);
	assert_null(k);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_non_null(strstr(e.msg, "token file '/dev/zero': larger than 16 MiB"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redis_diff_nul_escape),
		cmocka_unit_test(test_kubeconfig_endless_token_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
