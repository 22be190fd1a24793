/*
 * Unit tests of the window reader (src/linereader.c): lines across
 * refills and short reads, a line longer than the window, a last line
 * without '\n', empty lines, NUL bytes inside a line, records taken by
 * length (shorter and longer than the window, cut short), read errors.
 */
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
#include "linereader.h"

/* A source in memory: at most chunk bytes per read; fails once fail_at bytes were read. */
typedef struct src {
	const char *data;
	size_t len, off, chunk;
	size_t fail_at;      /* (size_t)-1: never */
	unsigned reads_after_end;
} src;

static ssize_t src_read(void *ctx, void *buf, size_t n, hs_error *e)
{
	src *s = ctx;

	if (s->off >= s->fail_at)
		return hs_err(e, HS_EXIT_INTEGRITY, "'x': corrupt zstd data");
	if (s->off == s->len) {
		s->reads_after_end++;
		return 0;
	}
	if (n > s->chunk)
		n = s->chunk;
	if (n > s->len - s->off)
		n = s->len - s->off;
	if (s->fail_at != (size_t)-1 && n > s->fail_at - s->off)
		n = s->fail_at - s->off;
	memcpy(buf, s->data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static src mem(const char *data, size_t len, size_t chunk)
{
	src s = { data, len, 0, chunk, (size_t)-1, 0 };

	return s;
}

/*
 * Read every line of data with this window and chunk, check each ends
 * with '\n' (but perhaps the last) and holds no other, and that together
 * they are data; returns the number of lines.
 */
static size_t read_all(const char *data, size_t len, size_t window, size_t chunk)
{
	src s = mem(data, len, chunk);
	hs_linereader *lr = hs_lr_new(src_read, &s, window);
	hs_buf got = HS_BUF_INIT;
	const char *line;
	size_t n, count = 0;
	hs_error e;
	int rc;

	hs_error_init(&e);
	while ((rc = hs_lr_line(lr, &line, &n, &e)) == 1) {
		assert_true(n > 0);
		assert_null(memchr(line, '\n', n - 1));
		if (line[n - 1] != '\n')
			assert_int_equal(got.len + n, len); /* only the last line lacks one */
		hs_buf_add(&got, line, n);
		count++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 0); /* the end stays the end */
	assert_int_equal(s.reads_after_end, 1);           /* and is not read again */
	assert_int_equal(got.len, len);
	assert_memory_equal(got.data, data, len);
	hs_buf_release(&got);
	hs_lr_free(lr);
	return count;
}

/* Lines of many lengths across windows small and large, whole and short reads. */
static void test_lines_across_refills(void **state)
{
	static const size_t windows[] = { 1, 2, 7, 16, 64, 4096, 0 };
	static const size_t chunks[] = { 1, 3, 7, 64, 1 << 20 };
	hs_buf data = HS_BUF_INIT;
	size_t i, j, k;

	(void)state;
	for (i = 0; i < 200; i++) {
		for (k = 0; k < (i * 7) % 53; k++)
			hs_buf_addc(&data, (char)('a' + (i + k) % 26));
		hs_buf_addc(&data, '\n');
	}
	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		for (j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++)
			assert_int_equal(read_all(data.data, data.len, windows[i], chunks[j]), 200);
	hs_buf_release(&data);
}

/* A line longer than the window, between short ones; memory comes back after it. */
static void test_line_longer_than_window(void **state)
{
	hs_buf data = HS_BUF_INIT;
	src s;
	hs_linereader *lr;
	const char *line;
	size_t n, k;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	hs_buf_adds(&data, "short\n");
	for (k = 0; k < 100000; k++)
		hs_buf_addc(&data, (char)('0' + k % 10));
	hs_buf_adds(&data, "\nafter\n");
	s = mem(data.data, data.len, 1000);
	lr = hs_lr_new(src_read, &s, 64);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
	assert_int_equal(n, 6);
	assert_memory_equal(line, "short\n", 6);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
	assert_int_equal(n, 100001);
	assert_memory_equal(line, data.data + 6, 100001);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
	assert_int_equal(n, 6);
	assert_memory_equal(line, "after\n", 6);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 0);
	hs_lr_free(lr);

	/* the long line is the last one, without '\n' */
	s = mem(data.data, 6 + 100000, 4096);
	lr = hs_lr_new(src_read, &s, 64);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
	assert_int_equal(n, 100000);
	assert_memory_equal(line, data.data + 6, 100000);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 0);
	hs_lr_free(lr);
	hs_buf_release(&data);
}

/* A last line without '\n', empty lines, an empty source. */
static void test_last_line_and_empty_lines(void **state)
{
	static const char data[] = "\n\nab\n\ncd";
	static const char *const want[] = { "\n", "\n", "ab\n", "\n", "cd" };
	src s = mem(data, sizeof(data) - 1, 3);
	hs_linereader *lr = hs_lr_new(src_read, &s, 4);
	const char *line;
	size_t n, i;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	for (i = 0; i < 5; i++) {
		assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
		assert_int_equal(n, strlen(want[i]));
		assert_memory_equal(line, want[i], n);
	}
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 0);
	hs_lr_free(lr);

	s = mem("", 0, 3);
	lr = hs_lr_new(src_read, &s, 0);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 0);
	hs_lr_free(lr);
}

/* NUL bytes are bytes of the line, not its end. */
static void test_nul_bytes_inside_a_line(void **state)
{
	static const char data[] = "a\0b\0\nc\0\0\0\0\0\0\0\0\0\0d\n\0";
	src s = mem(data, sizeof(data) - 1, 5);
	hs_linereader *lr = hs_lr_new(src_read, &s, 8);
	const char *line;
	size_t n;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
	assert_int_equal(n, 5);
	assert_memory_equal(line, "a\0b\0\n", 5);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
	assert_int_equal(n, 13);
	assert_memory_equal(line, "c\0\0\0\0\0\0\0\0\0\0d\n", 13);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
	assert_int_equal(n, 1);
	assert_int_equal(line[0], '\0');
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 0);
	hs_lr_free(lr);
}

/* A read error is -1 with the source's error, in a line, a long line, a peek, a take. */
static void test_read_errors(void **state)
{
	static const char data[] = "one\ntwo\nthree\n";
	hs_buf big = HS_BUF_INIT;
	src s = mem(data, sizeof(data) - 1, 2);
	hs_linereader *lr;
	const char *p;
	size_t n, k;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	s.fail_at = 6;
	lr = hs_lr_new(src_read, &s, 4); /* a refill fills the window: the error comes with the second */
	assert_int_equal(hs_lr_line(lr, &p, &n, &e), 1);
	assert_memory_equal(p, "one\n", 4);
	assert_int_equal(hs_lr_line(lr, &p, &n, &e), -1);
	assert_int_equal(e.code, HS_EXIT_INTEGRITY);
	assert_string_equal(e.msg, "'x': corrupt zstd data");
	hs_lr_free(lr);

	for (k = 0; k < 1000; k++)
		hs_buf_addc(&big, 'x');
	s = mem(big.data, big.len, 100);
	s.fail_at = 500;
	lr = hs_lr_new(src_read, &s, 64);
	hs_error_init(&e);
	assert_int_equal(hs_lr_line(lr, &p, &n, &e), -1);
	assert_int_equal(e.code, HS_EXIT_INTEGRITY);
	hs_lr_free(lr);

	s = mem(big.data, big.len, 100);
	s.fail_at = 30;
	lr = hs_lr_new(src_read, &s, 64);
	hs_error_init(&e);
	assert_int_equal(hs_lr_peek(lr, 40, &p, &n, &e), -1);
	assert_int_equal(e.code, HS_EXIT_INTEGRITY);
	hs_lr_free(lr);

	s = mem(big.data, big.len, 100);
	s.fail_at = 300;
	lr = hs_lr_new(src_read, &s, 64);
	hs_error_init(&e);
	assert_int_equal(hs_lr_take(lr, 400, &p, &n, &e), -1);
	assert_int_equal(e.code, HS_EXIT_INTEGRITY);
	hs_lr_free(lr);
	hs_buf_release(&big);
}

/* Length-prefixed records: peek the length, take the record, in and beyond the window. */
static void test_peek_and_take(void **state)
{
	hs_buf data = HS_BUF_INIT;
	src s;
	hs_linereader *lr;
	const char *p;
	size_t n, got, i, k;
	hs_error e;
	/* record sizes: within a 32-byte window, equal to it, far beyond it */
	static const size_t sizes[] = { 5, 31, 32, 33, 7, 1000, 6, 100000, 9 };

	(void)state;
	hs_error_init(&e);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char hdr[4] = { (unsigned char)sizes[i], (unsigned char)(sizes[i] >> 8),
					 (unsigned char)(sizes[i] >> 16), 0 };

		hs_buf_add(&data, hdr, 4);
		for (k = 4; k < sizes[i]; k++)
			hs_buf_addc(&data, (char)(i + k));
	}
	for (k = 1; k < 80; k += 13) {
		s = mem(data.data, data.len, k);
		lr = hs_lr_new(src_read, &s, 32);
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			const char *start;

			assert_int_equal(hs_lr_peek(lr, 4, &p, &got, &e), 0);
			assert_int_equal(got, 4);
			n = (unsigned char)p[0] | (size_t)(unsigned char)p[1] << 8 | (size_t)(unsigned char)p[2] << 16;
			assert_int_equal(n, sizes[i]);
			assert_int_equal(hs_lr_take(lr, n, &p, &got, &e), 0);
			assert_int_equal(got, n);
			start = data.data;
			for (size_t j = 0; j < i; j++)
				start += sizes[j];
			assert_memory_equal(p, start, n);
		}
		assert_int_equal(hs_lr_peek(lr, 4, &p, &got, &e), 0);
		assert_int_equal(got, 0);
		hs_lr_free(lr);
	}

	/* cut short: a record whose end is missing, within the window and beyond it */
	s = mem(data.data, 4 + 3, 2);
	lr = hs_lr_new(src_read, &s, 32);
	assert_int_equal(hs_lr_take(lr, 5, &p, &got, &e), 0);
	assert_int_equal(got, 5);
	assert_int_equal(hs_lr_take(lr, 31, &p, &got, &e), 0);
	assert_int_equal(got, 2);
	assert_int_equal(hs_lr_take(lr, 31, &p, &got, &e), 0);
	assert_int_equal(got, 0);
	hs_lr_free(lr);
	s = mem(data.data, 50, 7);
	lr = hs_lr_new(src_read, &s, 32);
	assert_int_equal(hs_lr_take(lr, 1000, &p, &got, &e), 0);
	assert_int_equal(got, 50);
	assert_memory_equal(p, data.data, 50);
	hs_lr_free(lr);

	/* a peek beyond the window is refused, not shortened */
	s = mem(data.data, data.len, 7);
	lr = hs_lr_new(src_read, &s, 32);
	assert_int_equal(hs_lr_peek(lr, 33, &p, &got, &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	hs_lr_free(lr);
	hs_buf_release(&data);
}

/* The FILE read function: lines from a stream, and a stream that cannot be read. */
static void test_file_source(void **state)
{
	static const char data[] = "k1\nk2\n";
	FILE *f = fmemopen((void *)data, sizeof(data) - 1, "r");
	hs_linereader *lr;
	const char *line;
	size_t n;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_non_null(f);
	lr = hs_lr_new(hs_lr_read_file, f, 0);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
	assert_memory_equal(line, "k1\n", 3);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 1);
	assert_memory_equal(line, "k2\n", 3);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), 0);
	hs_lr_free(lr);
	fclose(f);

	f = fopen("/dev/null", "w"); /* not open for reading: fread fails */
	assert_non_null(f);
	lr = hs_lr_new(hs_lr_read_file, f, 0);
	assert_int_equal(hs_lr_line(lr, &line, &n, &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_string_equal(e.msg, "read error");
	hs_lr_free(lr);
	fclose(f);
	hs_lr_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_across_refills),
		cmocka_unit_test(test_line_longer_than_window),
		cmocka_unit_test(test_last_line_and_empty_lines),
		cmocka_unit_test(test_nul_bytes_inside_a_line),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_peek_and_take),
		cmocka_unit_test(test_file_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
