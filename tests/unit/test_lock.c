/* Unit tests of hs_lock: a second holder gets 75 naming the first; a dead holder does not block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "lock.h"

static char *mkdir_tmp(void)
{
	char tmpl[] = "/tmp/hs-lock-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return hs_xstrdup(d);
}

static void rm_tmp(char *d)
{
	hs_buf p = HS_BUF_INIT;

	hs_buf_addf(&p, "%s/.hivesnap.lock", d);
	unlink(p.data);
	rmdir(d);
	hs_buf_release(&p);
	free(d);
}

static void test_second_holder_refused(void **state)
{
	char *d = mkdir_tmp();
	hs_lock *a = NULL, *b = NULL;
	hs_error e;
	char want[64];
	struct stat st;
	hs_buf p = HS_BUF_INIT;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_lock_acquire(d, &a, &e), 0);
	assert_non_null(a);
	hs_buf_addf(&p, "%s/.hivesnap.lock", d);
	assert_int_equal(stat(p.data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* flock conflicts between two open files even within one process */
	assert_int_equal(hs_lock_acquire(d, &b, &e), -1);
	assert_null(b);
	assert_int_equal(e.code, HS_EXIT_LOCKED);
	snprintf(want, sizeof(want), "pid %ld started 20", (long)getpid());
	if (!strstr(e.msg, want) || !strstr(e.msg, d))
		print_error("message: %s\n", e.msg);
	assert_non_null(strstr(e.msg, want));
	assert_non_null(strstr(e.msg, d));
	hs_lock_release(a);
	assert_int_equal(stat(p.data, &st), -1); /* a clean release leaves nothing behind */
	hs_error_init(&e);
	assert_int_equal(hs_lock_acquire(d, &b, &e), 0);
	hs_lock_release(b);
	hs_lock_release(NULL);
	hs_buf_release(&p);
	rm_tmp(d);
}

static void test_dead_holder_does_not_block(void **state)
{
	char *d = mkdir_tmp();
	hs_lock *a = NULL;
	hs_error e;
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		hs_lock *l = NULL;
		hs_error ce;

		hs_error_init(&ce);
		_exit(hs_lock_acquire(d, &l, &ce) == 0 ? 0 : 1); /* dies holding it */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	hs_error_init(&e);
	assert_int_equal(hs_lock_acquire(d, &a, &e), 0);
	hs_lock_release(a);
	rm_tmp(d);
}

static void test_missing_folder(void **state)
{
	hs_lock *a = NULL;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_lock_acquire("/nonexistent-hs-folder", &a, &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_non_null(strstr(e.msg, "'/nonexistent-hs-folder'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_holder_refused),
		cmocka_unit_test(test_dead_holder_does_not_block),
		cmocka_unit_test(test_missing_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
