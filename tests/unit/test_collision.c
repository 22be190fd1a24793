/*
 * Unit tests of same-second archive names (output.h, archive.h
 * number_on_collision): a numbered writer takes "<stem>-2.tar.zst" when the
 * name is taken at open, moves on when another writer wins the name before
 * its finish (the link decides, nothing is replaced), skips names taken by
 * anyone, stops at HS_OUTPUT_COUNTER_MAX; an unnumbered one (-o FILE) still
 * refuses; the scan lists the same second's archives newest first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "error.h"
#include "output.h"
#include "retention.h"

#define STAMP "20261207T155000Z"
#define CREATED 1796658600 /* 2026-12-07T15:50:00Z */

static char *tmpdir_new(void)
{
	const char *t = getenv("TMPDIR");
	hs_buf b = HS_BUF_INIT;

	hs_buf_addf(&b, "%s/hs-test-collision-XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(b.data));
	return hs_buf_detach(&b, NULL);
}

static void rm_dir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d))) {
			hs_buf p = HS_BUF_INIT;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			hs_buf_addf(&p, "%s/%s", dir, de->d_name);
			unlink(p.data);
			hs_buf_release(&p);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

static hs_archive_opts opts(bool numbered)
{
	hs_archive_opts o;

	memset(&o, 0, sizeof(o));
	o.kind = "snapshot";
	o.profile = "flowc";
	o.created_at = CREATED;
	o.zstd_threads = 1;
	o.number_on_collision = numbered;
	return o;
}

/* dir/name into a fresh string */
static char *at(const char *dir, const char *name)
{
	hs_buf b = HS_BUF_INIT;

	hs_buf_addf(&b, "%s/%s", dir, name);
	return hs_buf_detach(&b, NULL);
}

static void touch(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[64];
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return hs_xstrdup(buf);
}

/* A finished archive at path (numbered or not); returns the name it took. */
static char *write_one(const char *path, bool numbered, const char *payload)
{
	hs_archive_opts o = opts(numbered);
	hs_archive_writer *w = NULL;
	hs_error e;
	char *got;

	hs_error_init(&e);
	if (hs_aw_open(&w, path, &o, &e) || hs_aw_add(w, "redis/x.jsonl", "redis", payload, strlen(payload), 1, &e) ||
	    hs_aw_finish(w, &e))
		fail_msg("writing %s: %s", path, e.msg);
	got = hs_xstrdup(hs_aw_path(w));
	hs_aw_free(w);
	assert_int_equal(hs_archive_verify(got, &e), 0);
	return got;
}

static void test_taken_at_open(void **state)
{
	char *dir = tmpdir_new();
	char *base = at(dir, "flowc-" STAMP ".tar.zst");
	char *two = at(dir, "flowc-" STAMP "-2.tar.zst");
	char *three = at(dir, "flowc-" STAMP "-3.tar.zst");
	char *a, *b, *c;
	hs_archive_opts o = opts(false);
	hs_archive_writer *w = NULL;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	a = write_one(base, true, "first");
	assert_string_equal(a, base); /* free: the SPEC name, no counter */
	b = write_one(base, true, "second");
	assert_string_equal(b, two);
	c = write_one(base, true, "third");
	assert_string_equal(c, three);

	/* unnumbered (-o FILE): today's refusal, and no -4 appears */
	assert_int_equal(hs_aw_open(&w, base, &o, &e), -1);
	assert_null(w);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_non_null(strstr(e.msg, "file exists"));
	assert_non_null(strstr(e.msg, base));

	/* a numbered writer's temporary file carries its numbered name (for hs_aw_clean_stale) */
	o = opts(true);
	assert_int_equal(hs_aw_open(&w, base, &o, &e), 0);
	assert_non_null(strstr(hs_aw_path(w), "-4.tar.zst"));
	{
		DIR *d = opendir(dir);
		struct dirent *de;
		int tmps = 0;

		assert_non_null(d);
		while ((de = readdir(d)))
			if (strstr(de->d_name, "flowc-" STAMP "-4.tar.zst.tmp-"))
				tmps++;
		closedir(d);
		assert_int_equal(tmps, 1);
	}
	hs_aw_free(w);

	free(a);
	free(b);
	free(c);
	free(base);
	free(two);
	free(three);
	rm_dir(dir);
}

static void test_taken_before_finish(void **state)
{
	char *dir = tmpdir_new();
	char *base = at(dir, "flowc-" STAMP ".tar.zst");
	char *two = at(dir, "flowc-" STAMP "-2.tar.zst");
	char *five = at(dir, "flowc-" STAMP "-5.tar.zst");
	char *p3 = at(dir, "flowc-" STAMP "-3.tar.zst"), *p4 = at(dir, "flowc-" STAMP "-4.tar.zst");
	char *won, *text;
	hs_archive_opts o = opts(true), plain = opts(false);
	hs_archive_writer *w = NULL, *w2 = NULL;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	/* both open while the name is free; the second to finish takes -2 */
	assert_int_equal(hs_aw_open(&w, base, &o, &e), 0);
	assert_string_equal(hs_aw_path(w), base);
	won = write_one(base, true, "winner");
	assert_string_equal(won, base);
	assert_int_equal(hs_aw_finish(w, &e), 0);
	assert_string_equal(hs_aw_path(w), two);
	hs_aw_free(w);
	w = NULL;
	assert_int_equal(hs_archive_verify(base, &e), 0);
	assert_int_equal(hs_archive_verify(two, &e), 0);

	/* names taken by anyone (not archives, not hivesnap) are skipped and kept */
	assert_int_equal(hs_aw_open(&w, base, &o, &e), 0);
	assert_string_equal(hs_aw_path(w), p3);
	touch(p3, "someone else's");
	touch(p4, "and another");
	assert_int_equal(hs_aw_finish(w, &e), 0);
	assert_string_equal(hs_aw_path(w), five);
	hs_aw_free(w);
	w = NULL;
	text = slurp(p3);
	assert_string_equal(text, "someone else's");
	free(text);
	assert_int_equal(hs_archive_verify(five, &e), 0);

	/* unnumbered: a name taken before the finish still fails, nothing replaced */
	unlink(base);
	assert_int_equal(hs_aw_open(&w2, base, &plain, &e), 0);
	touch(base, "precious");
	assert_int_equal(hs_aw_finish(w2, &e), -1);
	assert_non_null(strstr(e.msg, "file exists"));
	hs_aw_free(w2);
	text = slurp(base);
	assert_string_equal(text, "precious");
	free(text);

	free(won);
	free(base);
	free(two);
	free(five);
	free(p3);
	free(p4);
	rm_dir(dir);
}

static void test_counter_limit(void **state)
{
	char *dir = tmpdir_new();
	char *base = at(dir, "flowc-" STAMP ".tar.zst");
	hs_archive_opts o = opts(true);
	hs_archive_writer *w = NULL;
	hs_buf p = HS_BUF_INIT;
	hs_error e;
	unsigned n;

	(void)state;
	hs_error_init(&e);
	for (n = 1; n <= HS_OUTPUT_COUNTER_MAX; n++) {
		hs_buf_reset(&p);
		hs_output_numbered(&p, base, n);
		touch(p.data, "x");
	}
	assert_int_equal(hs_aw_open(&w, base, &o, &e), -1);
	assert_null(w);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_non_null(strstr(e.msg, "numbered names up to -999"));
	/* one free slot: taken */
	hs_buf_reset(&p);
	hs_output_numbered(&p, base, 998);
	unlink(p.data);
	assert_int_equal(hs_aw_open(&w, base, &o, &e), 0);
	assert_string_equal(hs_aw_path(w), p.data);
	/* ... and lost before the finish: no name is left */
	touch(p.data, "x");
	assert_int_equal(hs_aw_finish(w, &e), -1);
	assert_non_null(strstr(e.msg, "numbered names up to -999"));
	hs_aw_free(w);
	hs_buf_release(&p);
	free(base);
	rm_dir(dir);
}

static void test_scan_orders_same_second(void **state)
{
	char *dir = tmpdir_new();
	char *base = at(dir, "flowc-" STAMP ".tar.zst");
	char *names[11];
	hs_backup *b = NULL;
	size_t n = 0, i;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	for (i = 0; i < 11; i++)
		names[i] = write_one(base, true, "x");
	assert_non_null(strstr(names[10], "-11.tar.zst"));
	assert_int_equal(hs_backupdir_scan(dir, &b, &n, &e), 0);
	assert_int_equal(n, 11);
	/* newest first: -11, -10, ..., -2, then the plain name */
	for (i = 0; i < n; i++) {
		const char *want = strrchr(names[10 - i], '/') + 1;

		assert_string_equal(b[i].name, want);
		assert_int_equal(b[i].created, CREATED);
	}
	hs_backups_free(b, n);
	for (i = 0; i < 11; i++)
		free(names[i]);
	free(base);
	rm_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_taken_at_open),
		cmocka_unit_test(test_taken_before_finish),
		cmocka_unit_test(test_counter_limit),
		cmocka_unit_test(test_scan_orders_same_second),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
