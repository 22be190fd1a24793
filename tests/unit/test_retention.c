/*
 * Unit tests of hs_retention_apply/order: restic's keep rules, partial
 * archives, unreadable files; and the names of same-second archives: the
 * collision counter's parser (output.h) and the scan's order (hs_backup_cmp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "output.h"
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

static void expect_counter(const char *name, unsigned want, const char *want_stem)
{
	size_t stem = 0;
	unsigned got = hs_output_name_counter(name, &stem);

	if (got != want || stem != strlen(want_stem) || strncmp(name, want_stem, stem))
		fail_msg("%s: counter %u stem '%.*s', want %u '%s'", name, got, (int)stem, name, want,
			 want_stem);
}

static void test_name_counter(void **state)
{
	(void)state;
	expect_counter("flowc-20261207T155000Z.tar.zst", 1, "flowc-20261207T155000Z");
	expect_counter("flowc-20261207T155000Z-2.tar.zst", 2, "flowc-20261207T155000Z");
	expect_counter("flowc-20261207T155000Z-10.tar.zst", 10, "flowc-20261207T155000Z");
	expect_counter("/b/flowc-nightly-20261207T155000Z-3.tar.zst", 3, "/b/flowc-nightly-20261207T155000Z");
	/* labels with dashes and digits: the stamp always ends the SPEC name */
	expect_counter("flowc-label-with-dash-2-20261207T155000Z.tar.zst", 1,
		       "flowc-label-with-dash-2-20261207T155000Z");
	expect_counter("flowc-label-with-dash-2-20261207T155000Z-2.tar.zst", 2,
		       "flowc-label-with-dash-2-20261207T155000Z");
	expect_counter("flowc-20261207T155000Z-2-20261207T160000Z.tar.zst", 1,
		       "flowc-20261207T155000Z-2-20261207T160000Z");
	/* not a counter: no stamp before it, -0/-1, a leading zero, no dash, not .tar.zst */
	expect_counter("backup-2.tar.zst", 1, "backup-2");
	expect_counter("flowc-20261207T155000Z-1.tar.zst", 1, "flowc-20261207T155000Z-1");
	expect_counter("flowc-20261207T155000Z-0.tar.zst", 1, "flowc-20261207T155000Z-0");
	expect_counter("flowc-20261207T155000Z-02.tar.zst", 1, "flowc-20261207T155000Z-02");
	expect_counter("flowc-20261207T155000Z2.tar.zst", 1, "flowc-20261207T155000Z2");
	expect_counter("flowc20261207T155000Z-2.tar.zst", 1, "flowc20261207T155000Z-2");
	expect_counter("flowc-2026120xT155000Z-2.tar.zst", 1, "flowc-2026120xT155000Z-2");
	expect_counter("20261207T155000Z-2.tar.zst", 1, "20261207T155000Z-2");
	expect_counter("flowc-20261207T155000Z-2.tar", 1, "flowc-20261207T155000Z-2.tar");
	expect_counter("flowc-20261207T155000Z-12345678901.tar.zst", 1,
		       "flowc-20261207T155000Z-12345678901");
	expect_counter(".tar.zst", 1, "");
	expect_counter("", 1, "");
}

static void test_numbered_names(void **state)
{
	hs_buf b = HS_BUF_INIT;

	(void)state;
	hs_output_numbered(&b, "d/flowc-20261207T155000Z.tar.zst", 1);
	assert_string_equal(b.data, "d/flowc-20261207T155000Z.tar.zst");
	hs_buf_reset(&b);
	hs_output_numbered(&b, "d/flowc-20261207T155000Z.tar.zst", 2);
	assert_string_equal(b.data, "d/flowc-20261207T155000Z-2.tar.zst");
	hs_buf_reset(&b);
	hs_output_numbered(&b, "d/flowc-20261207T155000Z.tar.zst", 999);
	assert_string_equal(b.data, "d/flowc-20261207T155000Z-999.tar.zst");
	assert_int_equal(hs_output_name_counter(b.data, NULL), 999);
	hs_buf_reset(&b);
	hs_output_numbered(&b, "d/x", 3);
	assert_string_equal(b.data, "d/x-3");
	hs_buf_release(&b);
}

static int qcmp(const void *a, const void *b)
{
	return hs_backup_cmp(a, b);
}

static void test_same_second_order(void **state)
{
	/* in a scrambled order; all of one second but the first */
	static const char *const names[] = {
		"flowc-20261207T155000Z-9.tar.zst",
		"flowc-20261207T155000Z.tar.zst",
		"flowc-20261207T155001Z.tar.zst",
		"flowc-20261207T155000Z-10.tar.zst",
		"flowc-label-with-dash-2-20261207T155000Z.tar.zst",
		"flowc-20261207T155000Z-2.tar.zst",
		"flowc-label-with-dash-2-20261207T155000Z-2.tar.zst",
	};
	/* newest first: the later second, then per name the highest counter first */
	static const char *const want[] = {
		"flowc-20261207T155001Z.tar.zst",
		"flowc-label-with-dash-2-20261207T155000Z-2.tar.zst",
		"flowc-label-with-dash-2-20261207T155000Z.tar.zst",
		"flowc-20261207T155000Z-10.tar.zst",
		"flowc-20261207T155000Z-9.tar.zst",
		"flowc-20261207T155000Z-2.tar.zst",
		"flowc-20261207T155000Z.tar.zst",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	hs_backup b[sizeof(names) / sizeof(names[0])];
	hs_keep_policy last2 = { .last = 2 }, hourly = { .hourly = 1 };
	size_t i;

	(void)state;
	memset(b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		b[i].name = (char *)names[i];
		b[i].status = (char *)"ok";
		b[i].created = strstr(names[i], "155001Z") ? T0 + 1 : T0;
	}
	qsort(b, n, sizeof(b[0]), qcmp);
	for (i = 0; i < n; i++)
		assert_string_equal(b[i].name, want[i]);
	/* a total order (qsort needs one): every pair agrees both ways */
	for (i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < n; j++) {
			int c = hs_backup_cmp(&b[i], &b[j]), r = hs_backup_cmp(&b[j], &b[i]);

			assert_true((c < 0 && r > 0) || (c > 0 && r < 0) || (c == 0 && r == 0 && i == j));
		}
	}
	/* -2 is the same second's newer one: it fills the slot before the plain name */
	memmove(b, b + 3, 4 * sizeof(b[0]));
	hs_retention_apply(&last2, b, 4);
	expect_keep(b, 4, "KK--");
	hs_retention_apply(&hourly, b, 4);
	expect_keep(b, 4, "K---");
	assert_string_equal(b[0].name, "flowc-20261207T155000Z-10.tar.zst");
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
		cmocka_unit_test(test_name_counter),
		cmocka_unit_test(test_numbered_names),
		cmocka_unit_test(test_same_second_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
