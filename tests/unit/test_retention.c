/* Unit tests of hs_retention_apply/order: restic's keep rules, partial archives, unreadable files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "retention.h"

#define H 3600
#define D (24 * H)
#define T0 1767225600 /* 2026-01-01T00:00:00Z, a Thursday */

/* b[i] newest first: times and statuses given newest first. */
static void fill(hs_backup *b, size_t n, const int64_t *t, const char *const *st)
{
	size_t i;

	memset(b, 0, n * sizeof(*b));
	for (i = 0; i < n; i++) {
		b[i].created = t[i];
		b[i].status = (char *)st[i];
		b[i].name = (char *)"x";
	}
}

static void expect_keep(const hs_backup *b, size_t n, const char *want)
{
	char got[64];
	size_t i;

	for (i = 0; i < n; i++)
		got[i] = b[i].keep ? 'K' : '-';
	got[n] = '\0';
	if (strcmp(got, want))
		for (i = 0; i < n; i++)
			print_error("%zu %s %s\n", i, b[i].keep ? "keep" : "remove", b[i].reason);
	assert_string_equal(got, want);
}

static void test_keep_last(void **state)
{
	const int64_t t[] = { T0 + 5 * H, T0 + 4 * H, T0 + 3 * H, T0 + 2 * H, T0 + H };
	const char *const st[] = { "ok", "ok", "ok", "ok", "ok" };
	hs_keep_policy p = { .last = 3 };
	hs_backup b[5];

	(void)state;
	fill(b, 5, t, st);
	hs_retention_apply(&p, b, 5);
	expect_keep(b, 5, "KKK--");
	assert_string_equal(b[0].reason, "kept by last");
	assert_string_equal(b[4].reason, "no rule keeps it");
}

static void test_keep_daily_newest_of_each_day(void **state)
{
	/* two on Jan 3, two on Jan 2, one on Jan 1 */
	const int64_t t[] = { T0 + 2 * D + 10 * H, T0 + 2 * D + 9 * H, T0 + D + 23 * H, T0 + D + 1,
			      T0 + 12 * H };
	const char *const st[] = { "ok", "ok", "ok", "ok", "ok" };
	hs_keep_policy p = { .daily = 2 };
	hs_backup b[5];

	(void)state;
	fill(b, 5, t, st);
	hs_retention_apply(&p, b, 5);
	expect_keep(b, 5, "K-K--");
	assert_string_equal(b[0].reason, "kept by daily 2026-01-03");
	assert_string_equal(b[2].reason, "kept by daily 2026-01-02");
}

static void test_keep_hourly_weekly_monthly(void **state)
{
	/* Jan 5 (Mon, week 2) 10:30 and 10:10, Jan 4 (Sun, week 1), Dec 31 2025 (week 1 of 2026) */
	const int64_t t[] = { T0 + 4 * D + 10 * H + 1800, T0 + 4 * D + 10 * H + 600, T0 + 3 * D,
			      T0 - D };
	const char *const st[] = { "ok", "ok", "ok", "ok" };
	hs_keep_policy hourly = { .hourly = 10 }, weekly = { .weekly = 10 }, monthly = { .monthly = 10 };
	hs_backup b[4];

	(void)state;
	fill(b, 4, t, st);
	hs_retention_apply(&hourly, b, 4);
	expect_keep(b, 4, "K-KK");
	assert_string_equal(b[0].reason, "kept by hourly 2026-01-05T10");
	hs_retention_apply(&weekly, b, 4);
	expect_keep(b, 4, "K-K-"); /* ISO week 2026-W01 holds Dec 31 and Jan 4 */
	assert_string_equal(b[2].reason, "kept by weekly 2026-W01");
	hs_retention_apply(&monthly, b, 4);
	expect_keep(b, 4, "K--K");
	assert_string_equal(b[3].reason, "kept by monthly 2025-12");
}

static void test_rules_combine(void **state)
{
	const int64_t t[] = { T0 + 2 * D, T0 + D, T0 };
	const char *const st[] = { "ok", "ok", "ok" };
	hs_keep_policy p = { .last = 1, .daily = 2 };
	hs_backup b[3];

	(void)state;
	fill(b, 3, t, st);
	hs_retention_apply(&p, b, 3);
	expect_keep(b, 3, "KK-");
	assert_string_equal(b[0].reason, "kept by last, daily 2026-01-03");
}

static void test_partial_never_counts_and_goes_last(void **state)
{
	/* the newest two runs were partial: they must not push the good ones out */
	const int64_t t[] = { T0 + 5 * D, T0 + 4 * D, T0 + 3 * D, T0 + 2 * D, T0 + D, T0 };
	const char *const st[] = { "partial", "failed", "ok", "ok", "unreadable", "ok" };
	hs_keep_policy p = { .last = 1, .daily = 2 };
	hs_backup b[6];
	size_t idx[6], k;

	(void)state;
	fill(b, 6, t, st);
	hs_retention_apply(&p, b, 6);
	expect_keep(b, 6, "--KKK-");
	assert_string_equal(b[0].reason, "partial archive: never kept by a rule");
	assert_string_equal(b[4].reason, "not a readable hivesnap archive: left alone");
	k = hs_retention_order(b, 6, idx);
	assert_int_equal(k, 3);
	assert_int_equal(idx[0], 5); /* the complete one first */
	assert_int_equal(idx[1], 1); /* then partial/failed, oldest first */
	assert_int_equal(idx[2], 0);
}

static void test_policy_and_parse(void **state)
{
	hs_keep_policy none = { 0, 0, 0, 0, 0 }, one = { .monthly = 1 };
	hs_error e;
	int v = -1;

	(void)state;
	assert_false(hs_keep_policy_any(&none));
	assert_true(hs_keep_policy_any(&one));
	hs_error_init(&e);
	assert_int_equal(hs_keep_parse("--keep-daily", "14", &v, &e), 0);
	assert_int_equal(v, 14);
	assert_int_equal(hs_keep_parse("--keep-daily", "-1", &v, &e), -1);
	assert_int_equal(e.code, HS_EXIT_USAGE);
	assert_non_null(strstr(e.msg, "--keep-daily"));
	assert_int_equal(hs_keep_parse("--keep-last", "3x", &v, &e), -1);
	assert_int_equal(hs_keep_parse("--keep-last", "", &v, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_last),
		cmocka_unit_test(test_keep_daily_newest_of_each_day),
		cmocka_unit_test(test_keep_hourly_weekly_monthly),
		cmocka_unit_test(test_rules_combine),
		cmocka_unit_test(test_partial_never_counts_and_goes_last),
		cmocka_unit_test(test_policy_and_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
