/* Unit tests of the pax/ustar layer (src/tar.c): pure bytes, no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "tar.h"

static void test_short_name_round_trip(void **state)
{
	hs_buf b = HS_BUF_INIT;
	hs_tar_header h;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	hs_tar_format_header(&b, "mongo/neural_hive/x.bson", 12345, 1795000000);
	assert_int_equal(b.len, HS_TAR_BLOCK);
	assert_int_equal(hs_tar_parse_header((unsigned char *)b.data, &h, &e), 0);
	assert_false(h.zero);
	assert_int_equal(h.typeflag, '0');
	assert_string_equal(h.name, "mongo/neural_hive/x.bson");
	assert_int_equal(h.size, 12345);
	/* mode 0600, uid/gid 0, POSIX magic */
	assert_memory_equal(b.data + 100, "0000600", 8);
	assert_memory_equal(b.data + 108, "0000000", 8);
	assert_memory_equal(b.data + 257, "ustar\0" "00", 8);
	hs_buf_release(&b);
}

static void test_long_name_gets_pax_path(void **state)
{
	char name[201];
	hs_buf b = HS_BUF_INIT;
	hs_tar_header h;
	hs_error e;
	char *path = NULL;
	uint64_t size = 0;
	bool has_size = true;

	(void)state;
	hs_error_init(&e);
	memset(name, 'a', 200);
	name[0] = 'k';
	name[100] = '/';
	name[200] = '\0';
	hs_tar_format_header(&b, name, 7, 0);
	/* x header, payload padded to one block, then the file header */
	assert_int_equal(b.len, 3 * HS_TAR_BLOCK);
	assert_int_equal(hs_tar_parse_header((unsigned char *)b.data, &h, &e), 0);
	assert_int_equal(h.typeflag, 'x');
	assert_true(h.size > 200 && h.size < HS_TAR_BLOCK);
	assert_int_equal(hs_tar_parse_pax(b.data + HS_TAR_BLOCK, (size_t)h.size, &path, &size, &has_size, &e), 0);
	assert_non_null(path);
	assert_string_equal(path, name);
	assert_false(has_size);
	free(path);
	assert_int_equal(hs_tar_parse_header((unsigned char *)b.data + 2 * HS_TAR_BLOCK, &h, &e), 0);
	assert_int_equal(h.typeflag, '0');
	assert_int_equal(h.size, 7);
	hs_buf_release(&b);
}

static void test_huge_size_uses_base256_and_pax(void **state)
{
	uint64_t big = ((uint64_t)1 << 33) + 5, size = 0;
	hs_buf b = HS_BUF_INIT;
	hs_tar_header h;
	hs_error e;
	char *path = NULL;
	bool has_size = false;

	(void)state;
	hs_error_init(&e);
	hs_tar_format_header(&b, "redis/db0.jsonl", big, 0);
	assert_int_equal(b.len, 3 * HS_TAR_BLOCK);
	assert_int_equal(hs_tar_parse_header((unsigned char *)b.data, &h, &e), 0);
	assert_int_equal(hs_tar_parse_pax(b.data + HS_TAR_BLOCK, (size_t)h.size, &path, &size, &has_size, &e), 0);
	assert_null(path);
	assert_true(has_size);
	assert_true(size == big);
	assert_int_equal(hs_tar_parse_header((unsigned char *)b.data + 2 * HS_TAR_BLOCK, &h, &e), 0);
	assert_true(h.size == big);
	assert_int_equal((unsigned char)b.data[2 * HS_TAR_BLOCK + 124], 0x80);
	/* just below the limit stays octal, without a pax header */
	hs_buf_reset(&b);
	hs_tar_format_header(&b, "x", ((uint64_t)1 << 33) - 1, 0);
	assert_int_equal(b.len, HS_TAR_BLOCK);
	assert_memory_equal(b.data + 124, "77777777777", 12);
	hs_buf_release(&b);
}

static void test_bad_blocks_refused(void **state)
{
	hs_buf b = HS_BUF_INIT;
	unsigned char blk[HS_TAR_BLOCK];
	hs_tar_header h;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	memset(blk, 0, sizeof(blk));
	assert_int_equal(hs_tar_parse_header(blk, &h, &e), 0);
	assert_true(h.zero);

	hs_tar_format_header(&b, "a", 1, 0);
	memcpy(blk, b.data, HS_TAR_BLOCK);
	blk[0] = 'b'; /* checksum no longer matches */
	assert_int_equal(hs_tar_parse_header(blk, &h, &e), -1);
	assert_int_equal(e.code, HS_EXIT_INTEGRITY);
	assert_non_null(strstr(e.msg, "checksum"));

	memcpy(blk, b.data, HS_TAR_BLOCK);
	memcpy(blk + 257, "xstar", 5);
	assert_int_equal(hs_tar_parse_header(blk, &h, &e), -1);
	assert_non_null(strstr(e.msg, "not a ustar"));

	memset(blk, 0, sizeof(blk));
	blk[0] = 'x';
	assert_int_equal(hs_tar_parse_header(blk, &h, &e), -1);
	hs_buf_release(&b);
}

static void test_gnu_header_and_spaces(void **state)
{
	hs_buf b = HS_BUF_INIT;
	unsigned char blk[HS_TAR_BLOCK];
	hs_tar_header h;
	hs_error e;
	unsigned long sum = 0;
	size_t i;
	char chk[8];

	(void)state;
	hs_error_init(&e);
	hs_tar_format_header(&b, "a", 8, 0);
	memcpy(blk, b.data, HS_TAR_BLOCK);
	/* GNU magic, a size written "     10 " with spaces, a type flag of NUL */
	memcpy(blk + 257, "ustar  ", 8);
	memcpy(blk + 124, "         10 ", 12);
	blk[156] = '\0';
	memset(blk + 148, ' ', 8);
	for (i = 0; i < HS_TAR_BLOCK; i++)
		sum += blk[i];
	snprintf(chk, sizeof(chk), "%06lo", sum);
	memcpy(blk + 148, chk, 7);
	assert_int_equal(hs_tar_parse_header(blk, &h, &e), 0);
	assert_int_equal(h.typeflag, '0');
	assert_int_equal(h.size, 8);
	hs_buf_release(&b);
}

static void test_pax_records(void **state)
{
	static const char *const bad[] = {
		"5 a=b\n",          /* length 6 written as 5 */
		"6 a=bX",           /* no newline */
		"x6 a=b\n",         /* not a number */
		"99 path=x\n",      /* longer than the payload */
		"7 =abc\n",         /* empty key */
		"8 pathx\n",        /* no '=' */
		"11 size=1x\n",     /* size not a number */
	};
	char *path = NULL;
	uint64_t size = 0;
	bool has_size = false;
	hs_error e;
	size_t i;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_tar_parse_pax("12 path=a/b\n9 size=7\n20 comment=whatever\n", 41, &path,
					  &size, &has_size, &e), 0);
	assert_string_equal(path, "a/b");
	assert_true(has_size);
	assert_int_equal(size, 7);
	free(path);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = NULL;
		assert_int_equal(hs_tar_parse_pax(bad[i], strlen(bad[i]), &path, &size, &has_size, &e), -1);
		assert_null(path);
		assert_int_equal(e.code, HS_EXIT_INTEGRITY);
	}
}

static void test_padding_and_end(void **state)
{
	hs_buf b = HS_BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(hs_tar_padding(0), 0);
	assert_int_equal(hs_tar_padding(1), 511);
	assert_int_equal(hs_tar_padding(512), 0);
	assert_int_equal(hs_tar_padding(513), 511);
	hs_tar_format_end(&b);
	assert_int_equal(b.len, 1024);
	for (i = 0; i < b.len; i++)
		assert_int_equal(b.data[i], 0);
	hs_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_name_round_trip),
		cmocka_unit_test(test_long_name_gets_pax_path),
		cmocka_unit_test(test_huge_size_uses_base256_and_pax),
		cmocka_unit_test(test_bad_blocks_refused),
		cmocka_unit_test(test_gnu_header_and_spaces),
		cmocka_unit_test(test_pax_records),
		cmocka_unit_test(test_padding_and_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
