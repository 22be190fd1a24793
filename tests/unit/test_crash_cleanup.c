/*
 * Unit tests of crash safety in the archive writer: the temporary name
 * carries the writer's pid, hs_aw_clean_stale() removes exactly the dead
 * writers' temporary files (a live pid's, other files, folders and names
 * that merely look alike stay), and the cleanup slots (cleanup.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "cleanup.h"
#include "error.h"

static char *tmpdir_new(void)
{
	const char *t = getenv("TMPDIR");
	hs_buf b = HS_BUF_INIT;

	hs_buf_addf(&b, "%s/hs-test-crash-XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(b.data));
	return hs_buf_detach(&b, NULL);
}

static void touch(const char *dir, const char *name)
{
	hs_buf p = HS_BUF_INIT;
	int fd;

	hs_buf_addf(&p, "%s/%s", dir, name);
	fd = open(p.data, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	hs_buf_release(&p);
}

static bool exists(const char *dir, const char *name)
{
	hs_buf p = HS_BUF_INIT;
	struct stat st;
	bool ok;

	hs_buf_addf(&p, "%s/%s", dir, name);
	ok = lstat(p.data, &st) == 0;
	hs_buf_release(&p);
	return ok;
}

/* A pid that is certainly dead now: a child that exited and was reaped. */
static long dead_pid(void)
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0)
		_exit(0);
	assert_int_equal(waitpid(p, NULL, 0), p);
	return (long)p;
}

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		hs_buf p = HS_BUF_INIT;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		hs_buf_addf(&p, "%s/%s", dir, de->d_name);
		if (unlink(p.data))
			rmdir(p.data);
		hs_buf_release(&p);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

/* The writer's temporary file is "<final>.tmp-<pid>-XXXXXX" while it writes. */
static void test_tmp_name_has_pid(void **state)
{
	char *dir = tmpdir_new(), want[64];
	hs_buf final = HS_BUF_INIT;
	hs_archive_writer *w = NULL;
	hs_error e;
	DIR *d;
	struct dirent *de;
	int n = 0;

	(void)state;
	hs_error_init(&e);
	hs_buf_addf(&final, "%s/a.tar.zst", dir);
	assert_int_equal(hs_aw_open(&w, final.data, NULL, &e), 0);
	snprintf(want, sizeof(want), "a.tar.zst.tmp-%ld-", (long)getpid());
	d = opendir(dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		assert_memory_equal(de->d_name, want, strlen(want));
		assert_int_equal(strlen(de->d_name), strlen(want) + 6);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 1);
	hs_aw_free(w);
	assert_false(exists(dir, "a.tar.zst"));
	hs_buf_release(&final);
	rm_rf(dir);
	free(dir);
}

static void test_clean_stale(void **state)
{
	char *dir = tmpdir_new();
	char dead_tmp[128], dead_spool[128], live_tmp[128], live_spool[128], mine[128];
	long dead = dead_pid(), live = (long)getppid();
	unsigned removed = 99;
	hs_buf sub = HS_BUF_INIT;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	snprintf(dead_tmp, sizeof(dead_tmp), "x-20260101T000000Z.tar.zst.tmp-%ld-abcdef", dead);
	snprintf(dead_spool, sizeof(dead_spool), ".hivesnap-spool-%ld-AbC123", dead);
	snprintf(live_tmp, sizeof(live_tmp), "x.tar.zst.tmp-%ld-abcdef", live);
	snprintf(live_spool, sizeof(live_spool), ".hivesnap-spool-%ld-abcdef", live);
	snprintf(mine, sizeof(mine), "y.tar.zst.tmp-%ld-abcdef", (long)getpid());
	touch(dir, dead_tmp);
	touch(dir, dead_spool);
	touch(dir, live_tmp);
	touch(dir, live_spool);
	touch(dir, mine);
	/* look-alikes that are not a writer's temporary files */
	touch(dir, "x.tar.zst");
	touch(dir, "x.tar.zst.tmp-abcdef");            /* the old name, no pid */
	touch(dir, ".tar.zst.tmp-1-abcdef");           /* nothing before the suffix */
	{
		char n[128];

		snprintf(n, sizeof(n), "x.tar.zst.tmp-%ld-abcdefg", dead); /* 7 random chars */
		touch(dir, n);
		snprintf(n, sizeof(n), "x.txt.tmp-%ld-abcdef", dead);      /* not an archive */
		touch(dir, n);
	}
	/* a folder with a dead writer's name is not a file to remove */
	hs_buf_addf(&sub, "%s/z.tar.zst.tmp-%ld-zzzzzz", dir, dead);
	assert_int_equal(mkdir(sub.data, 0700), 0);

	assert_int_equal(hs_aw_clean_stale(dir, &removed, &e), 0);
	assert_int_equal(removed, 2);
	assert_false(exists(dir, dead_tmp));
	assert_false(exists(dir, dead_spool));
	assert_true(exists(dir, live_tmp));
	assert_true(exists(dir, live_spool));
	assert_true(exists(dir, mine));
	assert_true(exists(dir, "x.tar.zst"));
	assert_true(exists(dir, "x.tar.zst.tmp-abcdef"));
	assert_true(exists(dir, ".tar.zst.tmp-1-abcdef"));
	assert_int_equal(access(sub.data, F_OK), 0);

	/* again: nothing left to remove */
	assert_int_equal(hs_aw_clean_stale(dir, &removed, &e), 0);
	assert_int_equal(removed, 0);
	/* a folder that cannot be read is an error naming it */
	assert_int_equal(hs_aw_clean_stale("/nonexistent/hs", &removed, &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_non_null(strstr(e.msg, "'/nonexistent/hs'"));

	hs_buf_release(&sub);
	rm_rf(dir);
	free(dir);
}

/* Slots: a path too long is refused (-1); removing -1 is a no-op. */
static void test_cleanup_slots(void **state)
{
	char *longp = malloc(5000);
	int s;

	(void)state;
	memset(longp, 'a', 4999);
	longp[4999] = '\0';
	assert_int_equal(hs_cleanup_add(longp), -1);
	hs_cleanup_remove(-1);
	s = hs_cleanup_add("/nonexistent/hs-test");
	assert_true(s >= 0);
	hs_cleanup_remove(s);
	free(longp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tmp_name_has_pid),
		cmocka_unit_test(test_clean_stale),
		cmocka_unit_test(test_cleanup_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
