/*
 * Unit tests of the archive library: writer -> reader round trips (many
 * entries, empty, 1 byte, a 200-byte name, > 64 MiB streamed, two writer
 * threads), the writer's file handling, and every refusal of the reader
 * from the checked-in fixtures (tests/fixtures/bad, made by make-bad.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "error.h"

#define BIG_SIZE ((uint64_t)65 * 1024 * 1024 + 3)
#define CHUNK (1024 * 1024)

static char *tmpdir_new(void)
{
	const char *t = getenv("TMPDIR");
	hs_buf b = HS_BUF_INIT;

	hs_buf_addf(&b, "%s/hs-test-archive-XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(b.data));
	return hs_buf_detach(&b, NULL);
}

/* Number of directory entries in dir other than . and .. */
static int dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
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

/* Deterministic bytes: byte i of the stream seeded with seed. */
static void fill(unsigned char *p, size_t n, uint64_t off, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t x = (off + i) * 0x9E3779B97F4A7C15ull + seed;

		x ^= x >> 29;
		/* runs of equal bytes so that zstd has something to do */
		p[i] = (unsigned char)((x >> 40) & 0x0f) + (unsigned char)(((off + i) / 64) & 0xff);
	}
}

static hs_archive_opts opts_fixed(void)
{
	hs_archive_opts o;

	memset(&o, 0, sizeof(o));
	o.kind = "snapshot";
	o.profile = "flowc";
	o.label = "test";
	o.created_at = 1795000000;
	return o;
}

static void read_all(hs_reader *r, hs_buf *out)
{
	char buf[7000];
	ssize_t n;
	hs_error e;

	hs_error_init(&e);
	hs_buf_reset(out);
	while ((n = hs_reader_read(r, buf, sizeof(buf), &e)) > 0)
		hs_buf_add(out, buf, (size_t)n);
	if (n < 0)
		fail_msg("read: %s", e.msg);
}

static void test_round_trip_many_entries(void **state)
{
	char *dir = tmpdir_new();
	hs_buf path = HS_BUF_INIT, name200 = HS_BUF_INIT, got = HS_BUF_INIT, nm = HS_BUF_INIT;
	hs_archive_opts o = opts_fixed();
	hs_archive_writer *w = NULL;
	hs_entry *en = NULL;
	hs_reader *r = NULL;
	hs_reader_entry ent;
	unsigned char *chunk = hs_xmalloc(CHUNK), *want = hs_xmalloc(CHUNK);
	json_t *doc, *manifest = NULL, *header = NULL, *wm;
	const json_t *m;
	struct stat st;
	uint64_t off;
	hs_error e;
	int i, k, count;

	(void)state;
	hs_error_init(&e);
	hs_buf_addf(&path, "%s/flowc-test-20261118T110640Z.tar.zst", dir);
	hs_buf_adds(&name200, "k8s/");
	while (name200.len < 195)
		hs_buf_adds(&name200, "abcdefghij");
	hs_buf_adds(&name200, ".json");
	name200.len = 200;
	name200.data[200] = '\0';

	if (hs_aw_open(&w, path.data, &o, &e))
		fail_msg("open: %s", e.msg);
	assert_int_equal(hs_aw_add(w, "empty", NULL, "", 0, 0, &e), 0);
	assert_int_equal(hs_aw_add(w, "redis/one", "redis", "x", 1, 1, &e), 0);
	assert_int_equal(hs_aw_add(w, name200.data, "k8s", "{}", 2, 1, &e), 0);
	for (i = 0; i < 300; i++) {
		hs_buf_reset(&nm);
		hs_buf_addf(&nm, "kafka/groups/g%03d.json", i);
		fill(chunk, (size_t)i * 37, 0, (uint32_t)i);
		assert_int_equal(hs_aw_add(w, nm.data, "kafka", chunk, (size_t)i * 37, (uint64_t)i, &e), 0);
	}
	doc = json_pack("{s:i, s:s, s:[i,i]}", "z", 1, "a", "b", "m", 1, 2);
	assert_int_equal(hs_aw_add_json(w, "diag/doc.json", "diag", doc, 0, &e), 0);
	json_decref(doc);
	/* the big one, streamed in chunks: never whole in memory */
	if (hs_entry_begin(w, "mongo/neural_hive/big.bson", "mongo", &en, &e))
		fail_msg("begin: %s", e.msg);
	for (off = 0; off < BIG_SIZE; off += CHUNK) {
		size_t n = BIG_SIZE - off < CHUNK ? (size_t)(BIG_SIZE - off) : CHUNK;

		fill(chunk, n, off, 7);
		if (hs_entry_write(en, chunk, n, &e))
			fail_msg("write: %s", e.msg);
	}
	assert_int_equal(hs_entry_commit(en, 4242, &e), 0);
	/* an aborted entry leaves no trace */
	assert_int_equal(hs_entry_begin(w, "mongo/neural_hive/aborted.bson", "mongo", &en, &e), 0);
	assert_int_equal(hs_entry_write(en, "zzz", 3, &e), 0);
	hs_entry_abort(en);
	wm = json_pack("{s:s}", "operation_time", "1795000000:1");
	assert_int_equal(hs_aw_source(w, "mongo", HS_STATUS_OK, NULL, 1795000000000, 1795000001000, wm, NULL, &e), 0);
	json_decref(wm);
	assert_int_equal(hs_aw_source(w, "redis", HS_STATUS_FAILED, "connection refused", 1, 2, NULL, NULL, &e), 0);
	assert_int_equal(hs_aw_source(w, "redis", HS_STATUS_PARTIAL, "2 keys vanished", 1, 2, NULL, NULL, &e), 0);
	assert_int_equal(hs_aw_source(w, "x", "bogus", NULL, 1, 2, NULL, NULL, &e), -1);
	if (hs_aw_finish(w, &e))
		fail_msg("finish: %s", e.msg);
	hs_aw_free(w);

	/* only the archive remains in the folder, mode 0600 */
	assert_int_equal(dir_count(dir), 1);
	assert_int_equal(stat(path.data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	if (hs_reader_open(&r, path.data, &e))
		fail_msg("reader: %s", e.msg);
	assert_non_null(hs_reader_index(r));
	assert_string_equal(json_string_value(json_object_get(hs_reader_header(r), "format")), "hivesnap-archive");
	assert_string_equal(json_string_value(json_object_get(hs_reader_header(r), "created_at")), "2026-11-18T11:06:40Z");
	assert_string_equal(json_string_value(json_object_get(hs_reader_header(r), "label")), "test");
	{
		size_t hl;
		const char *hb = hs_reader_header_bytes(r, &hl);

		assert_true(hl > 10 && hb[0] == '{' && hb[hl - 1] == '\n');
	}
	assert_int_equal(hs_reader_next(r, &ent, &e), 1);
	assert_string_equal(ent.name, "empty");
	assert_int_equal(ent.size, 0);
	read_all(r, &got);
	assert_int_equal(got.len, 0);
	assert_int_equal(hs_reader_next(r, &ent, &e), 1);
	assert_string_equal(ent.name, "redis/one");
	assert_string_equal(ent.source, "redis");
	read_all(r, &got);
	assert_int_equal(got.len, 1);
	assert_int_equal(got.data[0], 'x');
	assert_int_equal(hs_reader_next(r, &ent, &e), 1);
	assert_string_equal(ent.name, name200.data);
	for (i = 0; i < 300; i++) {
		assert_int_equal(hs_reader_next(r, &ent, &e), 1);
		hs_buf_reset(&nm);
		hs_buf_addf(&nm, "kafka/groups/g%03d.json", i);
		assert_string_equal(ent.name, nm.data);
		if (i % 3 == 0)
			continue; /* skipped unread: still verified by next() */
		read_all(r, &got);
		assert_int_equal(got.len, (size_t)i * 37);
		fill(want, (size_t)i * 37, 0, (uint32_t)i);
		assert_memory_equal(got.data, want, got.len);
	}
	assert_int_equal(hs_reader_next(r, &ent, &e), 1);
	assert_string_equal(ent.name, "diag/doc.json");
	read_all(r, &got);
	assert_string_equal(got.data, "{\n  \"a\": \"b\",\n  \"m\": [\n    1,\n    2\n  ],\n  \"z\": 1\n}\n");
	assert_int_equal(hs_reader_next(r, &ent, &e), 1);
	assert_string_equal(ent.name, "mongo/neural_hive/big.bson");
	assert_true(ent.size == BIG_SIZE);
	for (off = 0;;) {
		ssize_t n = hs_reader_read(r, chunk, CHUNK, &e);

		if (n < 0)
			fail_msg("big read: %s", e.msg);
		if (n == 0)
			break;
		fill(want, (size_t)n, off, 7);
		assert_memory_equal(chunk, want, (size_t)n);
		off += (uint64_t)n;
	}
	assert_true(off == BIG_SIZE);
	assert_int_equal(hs_reader_next(r, &ent, &e), 1);
	assert_string_equal(ent.name, "manifest.json");
	assert_null(hs_reader_manifest(r));
	assert_int_equal(hs_reader_next(r, &ent, &e), 1);
	assert_string_equal(ent.name, "SHA256SUMS");
	read_all(r, &got);
	assert_int_equal(strncmp(got.data + 66, "hivesnap.json\n", 14), 0);
	k = hs_reader_next(r, &ent, &e);
	if (k)
		fail_msg("end: %d %s", k, e.msg);
	m = hs_reader_manifest(r);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "status")), "partial");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "totals"), "entries")), 306);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(m, "sources"), "mongo"), "items")), 4242);
	assert_null(json_object_get(json_object_get(m, "sources"), "kafka")); /* no record: not listed */
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(m, "sources"), "redis"), "error")),
			    "2 keys vanished");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(m, "sources"), "mongo"), "started_at")),
			    "2026-11-18T11:06:40.000Z");
	assert_true(json_equal(hs_reader_index(r), (json_t *)m));
	hs_reader_free(r);
	r = NULL;

	assert_int_equal(hs_archive_verify(path.data, &e), 0);
	assert_int_equal(hs_archive_manifest(path.data, &manifest, &header, &e), 0);
	assert_string_equal(json_string_value(json_object_get(header, "profile")), "flowc");
	count = (int)json_array_size(json_object_get(manifest, "entries"));
	assert_int_equal(count, 306);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(manifest, "entries"), 0), "name")),
			    "hivesnap.json");
	json_decref(manifest);
	json_decref(header);

	free(chunk);
	free(want);
	hs_buf_release(&path);
	hs_buf_release(&name200);
	hs_buf_release(&got);
	hs_buf_release(&nm);
	rm_dir(dir);
}

struct producer {
	hs_archive_writer *w;
	int id;
	int rc;
	char msg[HS_ERROR_MSG_MAX];
};

/* Each thread keeps three entries open at once and interleaves writes. */
static void *producer_run(void *arg)
{
	struct producer *p = arg;
	unsigned char *buf = hs_xmalloc(300 * 1024);
	hs_error e;
	int i, j, k;

	hs_error_init(&e);
	p->rc = -1;
	for (i = 0; i < 10; i++) {
		hs_entry *en[3] = { NULL, NULL, NULL };

		for (j = 0; j < 3; j++) {
			char name[64];

			snprintf(name, sizeof(name), "mongo/t%d/c%02d_%d.bson", p->id, i, j);
			if (hs_entry_begin(p->w, name, "mongo", &en[j], &e))
				goto out;
		}
		/* entry j gets (j + 1) * 7 writes of 300 KiB: the third spills to a file */
		for (k = 0; k < 21; k++)
			for (j = 0; j < 3; j++) {
				if (k >= (j + 1) * 7)
					continue;
				fill(buf, 300 * 1024, (uint64_t)k * 300 * 1024, (uint32_t)(p->id * 100 + i * 3 + j));
				if (hs_entry_write(en[j], buf, 300 * 1024, &e))
					goto out;
			}
		for (j = 0; j < 3; j++) {
			int r = hs_entry_commit(en[j], (uint64_t)j, &e);

			en[j] = NULL;
			if (r) {
				for (k = j + 1; k < 3; k++)
					hs_entry_abort(en[k]);
				goto out;
			}
		}
	}
	p->rc = 0;
out:
	snprintf(p->msg, sizeof(p->msg), "%s", e.msg);
	free(buf);
	return NULL;
}

static void test_parallel_producers(void **state)
{
	char *dir = tmpdir_new();
	hs_buf path = HS_BUF_INIT;
	hs_archive_opts o = opts_fixed();
	hs_archive_writer *w = NULL;
	struct producer p[2];
	pthread_t th[2];
	hs_reader *r = NULL;
	hs_reader_entry ent;
	unsigned char *buf = hs_xmalloc(64 * 1024), *want = hs_xmalloc(64 * 1024);
	hs_error e;
	int i, k, n = 0;

	(void)state;
	hs_error_init(&e);
	hs_buf_addf(&path, "%s/par.tar.zst", dir);
	o.zstd_threads = 2;
	if (hs_aw_open(&w, path.data, &o, &e))
		fail_msg("open: %s", e.msg);
	for (i = 0; i < 2; i++) {
		p[i].w = w;
		p[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, producer_run, &p[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		if (p[i].rc)
			fail_msg("producer %d: %s", i, p[i].msg);
	}
	assert_int_equal(hs_aw_finish(w, &e), 0);
	hs_aw_free(w);
	assert_int_equal(dir_count(dir), 1);

	if (hs_reader_open(&r, path.data, &e))
		fail_msg("reader: %s", e.msg);
	while ((k = hs_reader_next(r, &ent, &e)) == 1) {
		int id, ci, j;
		uint64_t off = 0;
		ssize_t got;

		if (!strcmp(ent.name, "manifest.json") || !strcmp(ent.name, "SHA256SUMS"))
			continue;
		assert_int_equal(sscanf(ent.name, "mongo/t%d/c%d_%d.bson", &id, &ci, &j), 3);
		assert_true(ent.size == (uint64_t)(j + 1) * 7 * 300 * 1024);
		while ((got = hs_reader_read(r, buf, 64 * 1024, &e)) > 0) {
			/* fill() depends on the offset only: chunking does not matter */
			fill(want, (size_t)got, off, (uint32_t)(id * 100 + ci * 3 + j));
			assert_memory_equal(buf, want, (size_t)got);
			off += (uint64_t)got;
		}
		if (got < 0)
			fail_msg("read: %s", e.msg);
		n++;
	}
	if (k)
		fail_msg("end: %s", e.msg);
	assert_int_equal(n, 60);
	hs_reader_free(r);
	free(buf);
	free(want);
	hs_buf_release(&path);
	rm_dir(dir);
}

static void test_writer_files_and_names(void **state)
{
	char *dir = tmpdir_new();
	hs_buf path = HS_BUF_INIT;
	hs_archive_opts o = opts_fixed();
	hs_archive_writer *w = NULL, *w2 = NULL;
	hs_entry *en = NULL;
	hs_error e;
	FILE *f;
	static const char *const unsafe[] = {
		"/abs", "a/../b", "..", "a//b", "a/", "./a", "a\\b", "a\nb", "", "hivesnap.json",
		"manifest.json", "SHA256SUMS"
	};
	size_t i;

	(void)state;
	hs_error_init(&e);
	hs_buf_addf(&path, "%s/a.tar.zst", dir);

	/* freed before finish: nothing is left behind */
	assert_int_equal(hs_aw_open(&w, path.data, &o, &e), 0);
	assert_int_equal(dir_count(dir), 1); /* the .tmp- file */
	assert_int_equal(hs_entry_begin(w, "big", NULL, &en, &e), 0);
	{
		unsigned char *b = hs_xcalloc(1, 2 * CHUNK);

		assert_int_equal(hs_entry_write(en, b, 2 * CHUNK, &e), 0); /* spilled */
		free(b);
	}
	assert_int_equal(dir_count(dir), 1); /* the spool is unlinked */
	hs_entry_abort(en);
	for (i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		assert_int_equal(hs_aw_add(w, unsafe[i], NULL, "x", 1, 0, &e), -1);
		assert_int_equal(hs_entry_begin(w, unsafe[i], NULL, &en, &e), -1);
		assert_null(en);
	}
	assert_int_equal(hs_aw_add(w, "dup", NULL, "x", 1, 0, &e), 0);
	assert_int_equal(hs_aw_add(w, "dup", NULL, "y", 1, 0, &e), -1);
	assert_non_null(strstr(e.msg, "duplicate"));
	hs_aw_free(w);
	w = NULL;
	assert_int_equal(dir_count(dir), 0);

	/* never replaces an existing file, at open or at finish */
	assert_int_equal(hs_aw_open(&w, path.data, &o, &e), 0);
	assert_int_equal(hs_aw_open(&w2, path.data, &o, &e), 0);
	assert_int_equal(hs_aw_finish(w2, &e), 0);
	hs_aw_free(w2);
	assert_int_equal(hs_aw_finish(w, &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_non_null(strstr(e.msg, "exists"));
	hs_aw_free(w);
	w = NULL;
	assert_int_equal(dir_count(dir), 1);
	assert_int_equal(hs_archive_verify(path.data, &e), 0);
	assert_int_equal(hs_aw_open(&w, path.data, &o, &e), -1);
	assert_null(w);
	assert_non_null(strstr(e.msg, "exists"));
	unlink(path.data);

	/* a file in place of the folder: clean failure */
	hs_buf_reset(&path);
	hs_buf_addf(&path, "%s/plain", dir);
	f = fopen(path.data, "w");
	assert_non_null(f);
	fclose(f);
	hs_buf_adds(&path, "/x.tar.zst");
	assert_int_equal(hs_aw_open(&w, path.data, &o, &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	hs_buf_reset(&path);
	hs_buf_addf(&path, "%s/plain", dir);
	unlink(path.data);

	assert_true(hs_entry_name_safe("mongo/neural_hive/x.bson"));
	assert_true(hs_entry_name_safe("a..b/.c/d."));
	assert_false(hs_entry_name_safe("a/./b"));
	assert_false(hs_entry_name_safe("a\x7f"));
	assert_false(hs_entry_name_safe("mongo/bad\xff.bson"));
	assert_false(hs_entry_name_safe("a\xc0\xaf"));       /* overlong '/' */
	assert_false(hs_entry_name_safe("a\xed\xa0\x80"));  /* surrogate */
	assert_true(hs_entry_name_safe("k8s/fluxo-ç/ação.json"));
	assert_true(hs_entry_name_safe("diag/\xf0\x9f\x90\x9d.json"));
	hs_buf_release(&path);
	rm_dir(dir);
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

static void test_good_fixtures(void **state)
{
	static const char *const good[] = { "good/minimal.tar.zst", "good/no-index.tar.zst" };
	json_t *manifest = NULL, *header = NULL;
	hs_reader *r = NULL;
	hs_error e;
	size_t i;

	(void)state;
	hs_error_init(&e);
	for (i = 0; i < 2; i++) {
		char *p = fixture(good[i]);

		if (hs_archive_verify(p, &e))
			fail_msg("%s: %s", p, e.msg);
		assert_int_equal(hs_archive_manifest(p, &manifest, &header, &e), 0);
		assert_int_equal(json_array_size(json_object_get(manifest, "entries")), 5);
		assert_string_equal(json_string_value(json_object_get(header, "label")), "fixture");
		json_decref(manifest);
		json_decref(header);
		assert_int_equal(hs_reader_open(&r, p, &e), 0);
		if (i == 0)
			assert_non_null(hs_reader_index(r));
		else
			assert_null(hs_reader_index(r));
		hs_reader_free(r);
		free(p);
	}
}

struct bad_case {
	const char *file;
	int code;
	const char *msg;
};

static void test_bad_fixtures_refused(void **state)
{
	static const struct bad_case cases[] = {
		{ "random-bytes", HS_EXIT_INTEGRITY, "not zstd compressed" },
		{ "not-hivesnap", HS_EXIT_INTEGRITY, "first entry is not hivesnap.json" },
		{ "flipped-byte", HS_EXIT_INTEGRITY, "entry 'mongo/neural_hive/execution_tickets.bson': checksum mismatch" },
		{ "checksum-mismatch-no-index", HS_EXIT_INTEGRITY, "entry 'mongo/neural_hive/execution_tickets.bson': checksum mismatch" },
		{ "truncated", HS_EXIT_INTEGRITY, "truncated" },
		{ "header-version-2", HS_EXIT_DATA, "version 2 needs a newer hivesnap" },
		{ "absolute-path", HS_EXIT_INTEGRITY, "entry '/etc/cron.d/evil': unsafe name" },
		{ "dotdot", HS_EXIT_INTEGRITY, "entry 'mongo/../../evil': unsafe name" },
		{ "symlink", HS_EXIT_INTEGRITY, "entry 'link': symbolic link is not allowed" },
		{ "hardlink", HS_EXIT_INTEGRITY, "entry 'hard': hard link is not allowed" },
		{ "device", HS_EXIT_INTEGRITY, "entry 'dev': character device is not allowed" },
		{ "fifo", HS_EXIT_INTEGRITY, "entry 'pipe': fifo is not allowed" },
		{ "directory", HS_EXIT_INTEGRITY, "directory is not allowed" },
		{ "duplicate-name", HS_EXIT_INTEGRITY, "entry 'mongo/neural_hive/execution_tickets.bson': duplicate name" },
		{ "entry-not-in-manifest", HS_EXIT_INTEGRITY, "entry 'extra.txt': not in the manifest" },
		{ "manifest-entry-missing", HS_EXIT_INTEGRITY, "entry 'mongo/neural_hive/ghost.bson' is in the manifest but not in the archive" },
		{ "entry-larger-than-manifest", HS_EXIT_INTEGRITY, "larger than the manifest says" },
		{ "size-mismatch", HS_EXIT_INTEGRITY, "entry 'mongo/neural_hive/execution_tickets.bson': size mismatch" },
		{ "size-mismatch-no-index", HS_EXIT_INTEGRITY, "entry 'mongo/neural_hive/execution_tickets.bson': size mismatch" },
		{ "missing-sha256sums", HS_EXIT_INTEGRITY, "SHA256SUMS is missing" },
		{ "missing-manifest", HS_EXIT_INTEGRITY, "manifest.json is missing" },
		{ "sha256sums-line-wrong", HS_EXIT_INTEGRITY, "SHA256SUMS line 2 does not match entry" },
		{ "index-differs", HS_EXIT_INTEGRITY, "index frame differs from manifest.json" },
		{ "garbage-after-zstd", HS_EXIT_INTEGRITY, "garbage after the zstd stream" },
		{ "garbage-after-tar-end", HS_EXIT_INTEGRITY, "garbage after the end of the tar stream" },
		{ "no-header-first", HS_EXIT_INTEGRITY, "first entry is not hivesnap.json" },
		{ "manifest-not-second-to-last", HS_EXIT_INTEGRITY, "manifest.json is not the second-to-last entry" },
		{ "sha256sums-not-last", HS_EXIT_INTEGRITY, "after SHA256SUMS" },
		{ "gnu-longname", HS_EXIT_INTEGRITY, "GNU long name is not allowed" },
		{ "pax-global-header", HS_EXIT_INTEGRITY, "pax global header is not allowed" },
		{ "name-not-utf8", HS_EXIT_INTEGRITY, "entry 'mongo/bad?.bson': unsafe name" },
	};
	json_t *manifest = NULL, *header = NULL;
	hs_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hs_buf rel = HS_BUF_INIT;
		char *p;

		hs_buf_addf(&rel, "bad/%s.tar.zst", cases[i].file);
		p = fixture(rel.data);
		hs_error_init(&e);
		if (hs_archive_verify(p, &e) != -1)
			fail_msg("%s: accepted", cases[i].file);
		if (e.code != cases[i].code || !strstr(e.msg, cases[i].msg) || !strstr(e.msg, p) ||
		    strchr(e.msg, '\n'))
			fail_msg("%s: got %d '%s', want %d '...%s...'", cases[i].file, e.code, e.msg,
				 cases[i].code, cases[i].msg);
		/* the fast path refuses too, or hands out only what the index says */
		hs_error_init(&e);
		if (hs_archive_manifest(p, &manifest, &header, &e) == 0) {
			assert_non_null(manifest);
			assert_non_null(header);
		} else {
			assert_true(e.code == HS_EXIT_INTEGRITY || e.code == HS_EXIT_DATA);
		}
		json_decref(manifest);
		json_decref(header);
		manifest = header = NULL;
		free(p);
		hs_buf_release(&rel);
	}
}

/* With an index, a bad entry fails when its last byte is read, before next(). */
static void test_checksum_checked_at_entry_end(void **state)
{
	char *p = fixture("bad/flipped-byte.tar.zst");
	hs_reader *r = NULL;
	hs_reader_entry ent;
	char buf[4096];
	ssize_t n;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_reader_open(&r, p, &e), 0);
	assert_int_equal(hs_reader_next(r, &ent, &e), 1);
	assert_string_equal(ent.name, "mongo/neural_hive/execution_tickets.bson");
	while ((n = hs_reader_read(r, buf, sizeof(buf), &e)) > 0)
		;
	assert_int_equal(n, -1);
	assert_non_null(strstr(e.msg, "checksum mismatch"));
	assert_int_equal(hs_reader_next(r, &ent, &e), -1);
	hs_reader_free(r);
	free(p);
}

/*
 * Robustness: every truncation and many single-byte flips of a good
 * archive are refused cleanly (no crash, no leak under the sanitizers, exit
 * class 4).  Two exceptions are legitimate: cutting exactly the index frame
 * off leaves a valid archive without one, and a flip may land where zstd
 * ignores it (e.g. a larger window size), which changes no content.
 */
static void test_mutations_refused_cleanly(void **state)
{
	char *good = fixture("good/minimal.tar.zst");
	char *dir = tmpdir_new();
	hs_buf path = HS_BUF_INIT;
	unsigned char *raw = NULL;
	size_t len = 0, cut, i, accepted_flips = 0;
	uint32_t mlen;
	hs_error e;
	FILE *f;

	(void)state;
	f = fopen(good, "rb");
	assert_non_null(f);
	raw = hs_xmalloc(1 << 20);
	len = fread(raw, 1, 1 << 20, f);
	fclose(f);
	assert_true(len > 100 && len < (1 << 20));
	mlen = (uint32_t)raw[len - 8] | (uint32_t)raw[len - 7] << 8 | (uint32_t)raw[len - 6] << 16 |
	       (uint32_t)raw[len - 5] << 24;
	hs_buf_addf(&path, "%s/m.tar.zst", dir);
	for (cut = 0; cut < len; cut += (cut < 64 || len - cut < 64) ? 1 : 13) {
		int rc;

		f = fopen(path.data, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(raw, 1, cut, f), cut);
		fclose(f);
		hs_error_init(&e);
		rc = hs_archive_verify(path.data, &e);
		if (cut == len - 16 - mlen) {
			assert_int_equal(rc, 0);
			continue;
		}
		if (rc != -1 || e.code != HS_EXIT_INTEGRITY)
			fail_msg("cut at %zu of %zu: rc %d code %d '%s'", cut, len, rc, e.code, e.msg);
	}
	srand(1234);
	for (i = 0; i < 400; i++) {
		size_t at = (size_t)rand() % len;
		int rc;

		raw[at] ^= (unsigned char)(1u << (rand() % 8));
		f = fopen(path.data, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(raw, 1, len, f), len);
		fclose(f);
		hs_error_init(&e);
		rc = hs_archive_verify(path.data, &e);
		if (rc == 0)
			accepted_flips++;
		else if (e.code != HS_EXIT_INTEGRITY)
			fail_msg("flip at %zu: code %d '%s'", at, e.code, e.msg);
		raw[at] ^= (unsigned char)(1u << (rand() % 8)); /* another flip: undo by re-reading */
		f = fopen(good, "rb");
		assert_non_null(f);
		assert_int_equal(fread(raw, 1, len, f), len);
		fclose(f);
	}
	/* a handful at most land in bits zstd does not use */
	assert_true(accepted_flips < 20);
	unlink(path.data);
	free(raw);
	free(good);
	hs_buf_release(&path);
	rm_dir(dir);
}

static void test_missing_file(void **state)
{
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_archive_verify("/nonexistent/x.tar.zst", &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_non_null(strstr(e.msg, "'/nonexistent/x.tar.zst'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_many_entries),
		cmocka_unit_test(test_parallel_producers),
		cmocka_unit_test(test_writer_files_and_names),
		cmocka_unit_test(test_good_fixtures),
		cmocka_unit_test(test_bad_fixtures_refused),
		cmocka_unit_test(test_checksum_checked_at_entry_end),
		cmocka_unit_test(test_mutations_refused_cleanly),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
