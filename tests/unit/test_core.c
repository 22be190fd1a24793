/* Unit tests of the core helpers: hs_buf, hs_error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

static void test_buf_grows_and_formats(void **state)
{
	hs_buf b = HS_BUF_INIT;
	size_t i, len;
	char *p;

	(void)state;
	hs_buf_init(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	for (i = 0; i < 1000; i++)
		hs_buf_addf(&b, "%zu,", i);
	assert_true(b.len > 2000);
	assert_memory_equal(b.data, "0,1,2,", 6);
	assert_int_equal(b.data[b.len], '\0');
	hs_buf_reset(&b);
	hs_buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 3);
	p = hs_buf_detach(&b, &len);
	assert_int_equal(len, 3);
	assert_int_equal(b.len, 0);
	free(p);
	hs_buf_release(&b);
}

static void test_error_codes_and_prefix(void **state)
{
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(e.code, 0);
	assert_int_equal(hs_err(&e, HS_EXIT_INTEGRITY, "cannot read '%s': checksum mismatch", "x"), -1);
	assert_int_equal(e.code, HS_EXIT_INTEGRITY);
	assert_string_equal(e.msg, "cannot read 'x': checksum mismatch");
	hs_err_prefix(&e, "archive '%s'", "a.tar.zst");
	assert_int_equal(e.code, HS_EXIT_INTEGRITY);
	assert_string_equal(e.msg, "archive 'a.tar.zst': cannot read 'x': checksum mismatch");
	assert_int_equal(hs_err(NULL, 3, "ignored"), -1);
}

static void test_error_truncates_long_messages(void **state)
{
	char big[2 * HS_ERROR_MSG_MAX];
	hs_error e;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	hs_err(&e, HS_EXIT_FAILURE, "%s", big);
	assert_int_equal(strlen(e.msg), HS_ERROR_MSG_MAX - 1);
	hs_err_prefix(&e, "%s", big);
	assert_int_equal(strlen(e.msg), HS_ERROR_MSG_MAX - 1);
	hs_err_errno(&e, HS_EXIT_FAILURE, 2, "open '%s'", "f");
	assert_string_equal(e.msg, "open 'f': No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_formats),
		cmocka_unit_test(test_error_codes_and_prefix),
		cmocka_unit_test(test_error_truncates_long_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
