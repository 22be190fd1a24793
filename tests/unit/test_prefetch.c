/*
 * Unit tests of the prefetching reader (src/prefetch.c): it must give what
 * the plain reader gives, entry by entry and byte by byte (entries larger
 * than its ring, empty ones, entries left half read), and refuse every bad
 * archive with the plain reader's own error, having handed out no more than
 * it before: the checked-in good, bad and hostile fixtures, and a good
 * archive cut short at many places and with bits flipped.
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
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "error.h"
#include "prefetch.h"

/* What a reader made of an archive: names, sizes, bytes (the first `part` of every 3rd entry), its end. */
typedef struct walk {
	hs_buf log;
	int rc;
	hs_error e;
} walk;

/* How much to read next: all of it, or up to part bytes of every third entry. */
static size_t want(size_t part, int i, size_t got, size_t n)
{
	return part && !(i % 3) && part - got < n ? part - got : n;
}

/* Read path with the plain reader; with part, only part bytes of every third entry. */
static void walk_plain(const char *path, size_t part, walk *w)
{
	hs_reader *r = NULL;
	hs_reader_entry ent;
	char buf[5000];
	ssize_t n = 0;
	int k, i = 0;

	hs_buf_init(&w->log);
	hs_error_init(&w->e);
	w->rc = -1;
	if (hs_reader_open(&r, path, &w->e))
		return;
	while ((k = hs_reader_next(r, &ent, &w->e)) == 1) {
		size_t got = 0;

		hs_buf_addf(&w->log, "[%s %llu]", ent.name, (unsigned long long)ent.size);
		while ((!part || i % 3 || got < part) &&
		       (n = hs_reader_read(r, buf, want(part, i, got, sizeof(buf)), &w->e)) > 0) {
			hs_buf_add(&w->log, buf, (size_t)n);
			got += (size_t)n;
		}
		i++;
		if (n < 0) {
			k = -1;
			break;
		}
	}
	w->rc = k;
	hs_reader_free(r);
}

/* The same with the prefetching reader. */
static void walk_prefetch(const char *path, size_t part, walk *w)
{
	hs_prefetch *r = NULL;
	hs_reader_entry ent;
	char buf[5000];
	ssize_t n = 0;
	int k, i = 0;

	hs_buf_init(&w->log);
	hs_error_init(&w->e);
	w->rc = -1;
	if (hs_prefetch_open(&r, path, &w->e))
		return;
	while ((k = hs_prefetch_next(r, &ent, &w->e)) == 1) {
		size_t got = 0;

		hs_buf_addf(&w->log, "[%s %llu]", ent.name, (unsigned long long)ent.size);
		while ((!part || i % 3 || got < part) &&
		       (n = hs_prefetch_read(r, buf, want(part, i, got, sizeof(buf)), &w->e)) > 0) {
			hs_buf_add(&w->log, buf, (size_t)n);
			got += (size_t)n;
		}
		i++;
		if (n < 0) {
			k = -1;
			break;
		}
	}
	w->rc = k;
	hs_prefetch_free(r);
}

/* Both readers make the same of path. */
static void same(const char *path, size_t part)
{
	walk a, b;

	walk_plain(path, part, &a);
	walk_prefetch(path, part, &b);
	if (a.rc != b.rc || a.e.code != b.e.code || strcmp(a.e.msg, b.e.msg))
		fail_msg("%s: plain rc %d code %d '%s', prefetch rc %d code %d '%s'", path, a.rc, a.e.code, a.e.msg,
			 b.rc, b.e.code, b.e.msg);
	/*
	 * A good archive: the same bytes.  A bad one: the same error, and what
	 * was handed out before it a prefix of the plain reader's (which reads
	 * in smaller pieces, so it may hand out more of an entry before the read
	 * that reaches its end fails on the checksum).
	 */
	if (a.rc >= 0 ? a.log.len != b.log.len : b.log.len > a.log.len)
		fail_msg("%s: the readers read different bytes (%zu, %zu)", path, a.log.len, b.log.len);
	if (b.log.len && memcmp(a.log.data, b.log.data, b.log.len))
		fail_msg("%s: the readers read different bytes", path);
	hs_buf_release(&a.log);
	hs_buf_release(&b.log);
}

static char *tmpdir_new(void)
{
	const char *t = getenv("TMPDIR");
	hs_buf b = HS_BUF_INIT;

	hs_buf_addf(&b, "%s/hs-test-prefetch-XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(b.data));
	return hs_buf_detach(&b, NULL);
}

static char *fixture(const char *rel)
{
	const char *base = getenv("HS_FIXTURES");
	hs_buf b = HS_BUF_INIT;

	if (!base)
		fail_msg("HS_FIXTURES is not set");
	hs_buf_addf(&b, "%s/%s", base, rel);
	return hs_buf_detach(&b, NULL);
}

/* Entries of 0 bytes to 40 slices of the ring (which holds 16), read whole and half. */
static void test_round_trip(void **state)
{
	char *dir = tmpdir_new();
	hs_buf path = HS_BUF_INIT, nm = HS_BUF_INIT;
	hs_archive_opts o;
	hs_archive_writer *w = NULL;
	unsigned char *data = hs_xmalloc((size_t)41 << 16);
	size_t sizes[] = { 0, 1, 65535, 65536, 65537, (size_t)40 << 16, 3, (size_t)17 << 16, 0 };
	size_t i, j;
	hs_error e;
	walk a;

	(void)state;
	hs_error_init(&e);
	memset(&o, 0, sizeof(o));
	o.kind = "snapshot";
	o.profile = "t";
	o.created_at = 1795000000;
	for (j = 0; j < ((size_t)41 << 16); j++)
		data[j] = (unsigned char)((j * 2654435761u) >> 13);
	hs_buf_addf(&path, "%s/t.tar.zst", dir);
	if (hs_aw_open(&w, path.data, &o, &e))
		fail_msg("open: %s", e.msg);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		hs_buf_reset(&nm);
		hs_buf_addf(&nm, "redis/db%zu.jsonl", i);
		if (hs_aw_add(w, nm.data, "redis", data + i, sizes[i], 1, &e))
			fail_msg("add: %s", e.msg);
	}
	if (hs_aw_finish(w, &e))
		fail_msg("finish: %s", e.msg);
	hs_aw_free(w);

	walk_prefetch(path.data, 0, &a);
	assert_int_equal(a.rc, 0);
	/* names, sizes and every byte: the log holds them all */
	assert_true(a.log.len > ((size_t)57 << 16));
	hs_buf_release(&a.log);
	same(path.data, 0);
	same(path.data, 1);
	same(path.data, 70000);
	unlink(path.data);
	rmdir(dir);
	free(dir);
	free(data);
	hs_buf_release(&path);
	hs_buf_release(&nm);
}

/* Every fixture of a folder: the same result, good or bad. */
static void same_folder(const char *rel)
{
	char *dirp = fixture(rel);
	DIR *d = opendir(dirp);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		hs_buf p = HS_BUF_INIT;
		size_t l = strlen(de->d_name);

		if (l < 8 || strcmp(de->d_name + l - 8, ".tar.zst"))
			continue;
		hs_buf_addf(&p, "%s/%s", dirp, de->d_name);
		same(p.data, 0);
		same(p.data, 10);
		hs_buf_release(&p);
		n++;
	}
	closedir(d);
	assert_true(n > 0);
	free(dirp);
}

static void test_fixtures(void **state)
{
	(void)state;
	same_folder("good");
	same_folder("bad");
	same_folder("hostile");
}

/* A good archive cut short at many places, and with bits flipped: the same errors. */
static void test_mutations(void **state)
{
	char *good = fixture("good/minimal.tar.zst");
	char *dir = tmpdir_new();
	hs_buf path = HS_BUF_INIT;
	unsigned char *raw = hs_xmalloc(1 << 20);
	size_t len, cut, i;
	FILE *f;

	(void)state;
	f = fopen(good, "rb");
	assert_non_null(f);
	len = fread(raw, 1, 1 << 20, f);
	fclose(f);
	assert_true(len > 100 && len < (1 << 20));
	hs_buf_addf(&path, "%s/m.tar.zst", dir);
	for (cut = 0; cut <= len; cut += (cut < 64 || len - cut < 64) ? 1 : 29) {
		f = fopen(path.data, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(raw, 1, cut, f), cut);
		fclose(f);
		same(path.data, 0);
	}
	srand(4321);
	for (i = 0; i < 200; i++) {
		size_t at = (size_t)rand() % len;
		unsigned char bit = (unsigned char)(1u << (rand() % 8));

		raw[at] ^= bit;
		f = fopen(path.data, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(raw, 1, len, f), len);
		fclose(f);
		same(path.data, i % 2 ? 0 : 7);
		raw[at] ^= bit;
	}
	unlink(path.data);
	rmdir(dir);
	free(dir);
	free(good);
	free(raw);
	hs_buf_release(&path);
}

static void test_missing_file(void **state)
{
	(void)state;
	same("/nonexistent/hs-prefetch.tar.zst", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
