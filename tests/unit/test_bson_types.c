/*
 * The BSON types fixture (tests/fixtures/bson/) read back through the one
 * .bson document reader (src/sources/mongo/mongo_bson.h: the stream that restore,
 * diff and cat --json share), straight from the archive reader, no server:
 * every document comes out byte-identical to what the generator's
 * hs_bsontypes.h builds - NaN, +-Infinity, -0.0, Decimal128, nested
 * arrays, the keys "", "a.b" and "$x", 1 MiB binaries, 40-deep nesting,
 * every type - and passes the structural check; the second archive differs
 * in document 1 only; the archive's own checks pass at its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "buf.h"
#include "linereader.h"
#include "sources/mongo/mongo_bson.h"

#include "hs_bsontypes.h"

#define BSON_ENTRY "mongo/hs_bsontypes/types.bson"

static char *fixture(const char *rel)
{
	const char *base = getenv("HS_FIXTURES");
	hs_buf b = HS_BUF_INIT;

	if (!base)
		fail_msg("HS_FIXTURES is not set");
	hs_buf_addf(&b, "%s/bson/%s", base, rel);
	return hs_buf_detach(&b, NULL);
}

/* Position r at the .bson entry; its size in *size. */
static void find_entry(hs_reader *r, uint64_t *size)
{
	hs_reader_entry ent;
	hs_error e;
	int k;

	hs_error_init(&e);
	while ((k = hs_reader_next(r, &ent, &e)) == 1)
		if (!strcmp(ent.name, BSON_ENTRY)) {
			*size = ent.size;
			return;
		}
	fail_msg("no %s in the fixture (%d: %s)", BSON_ENTRY, k, e.msg);
}

/*
 * Stream the fixture's .bson entry through hs_bson_stream and compare each
 * document with hs_bt_build(i, negzero); then read the archive to its end.
 */
static void read_back(const char *rel, bool negzero)
{
	char *path = fixture(rel);
	hs_reader *r = NULL;
	hs_linereader *lr;
	hs_bson_stream s;
	hs_reader_entry ent;
	hs_error e;
	const uint8_t *doc;
	uint32_t len;
	uint64_t size = 0, total = 0;
	int i = 0, k;

	hs_error_init(&e);
	if (hs_reader_open(&r, path, &e))
		fail_msg("%s: %s", path, e.msg);
	find_entry(r, &size);
	lr = hs_lr_new(hs_bson_entry_read, r, 0);
	hs_bson_stream_init(&s, lr, BSON_ENTRY);
	while ((k = hs_bson_stream_next(&s, &doc, &len, &e)) == 1) {
		bson_t want = BSON_INITIALIZER;
		const char *why = NULL;
		size_t at = 0;

		i++;
		assert_true(i <= HS_BT_NDOCS);
		hs_bt_build(i, negzero, &want);
		if (len != want.len || memcmp(doc, bson_get_data(&want), len))
			fail_msg("%s: document %d: %u bytes read, %u built, or other bytes", rel, i, len, want.len);
		if (hs_bson_check(doc, len, &why, &at))
			fail_msg("%s: document %d refused: %s at %zu", rel, i, why, at);
		total += len;
		bson_destroy(&want);
	}
	if (k < 0)
		fail_msg("%s: %s", rel, e.msg);
	assert_int_equal(i, HS_BT_NDOCS);
	assert_int_equal(s.docno, HS_BT_NDOCS);
	assert_true(total == size && s.off == size);
	hs_lr_free(lr);
	/* the rest of the archive: its checksums and end checks hold */
	while ((k = hs_reader_next(r, &ent, &e)) == 1)
		;
	if (k)
		fail_msg("%s: %s", rel, e.msg);
	hs_reader_free(r);
	free(path);
}

static void test_types_read_back(void **state)
{
	(void)state;
	read_back("types.tar.zst", true);
}

static void test_types_zero_read_back(void **state)
{
	(void)state;
	read_back("types-zero.tar.zst", false);
}

/* The two variants of document 1 differ, in the sign bit of negzero only. */
static void test_negzero_variant(void **state)
{
	bson_t a = BSON_INITIALIZER, b = BSON_INITIALIZER;
	const uint8_t *pa, *pb;
	uint32_t i, ndiff = 0;
	bson_iter_t it;
	int j;

	(void)state;
	hs_bt_build(1, true, &a);
	hs_bt_build(1, false, &b);
	assert_int_equal(a.len, b.len);
	pa = bson_get_data(&a);
	pb = bson_get_data(&b);
	for (i = 0; i < a.len; i++)
		if (pa[i] != pb[i]) {
			assert_int_equal(pa[i] ^ pb[i], 0x80); /* the sign bit, top byte of a little-endian double */
			ndiff++;
		}
	assert_int_equal(ndiff, 1);
	assert_true(bson_iter_init_find(&it, &a, "negzero") && signbit(bson_iter_double(&it)));
	assert_true(bson_iter_init_find(&it, &b, "negzero") && !signbit(bson_iter_double(&it)));
	bson_destroy(&a);
	bson_destroy(&b);
	for (j = 2; j <= HS_BT_NDOCS; j++) {
		bson_init(&a);
		bson_init(&b);
		hs_bt_build(j, true, &a);
		hs_bt_build(j, false, &b);
		assert_true(a.len == b.len && !memcmp(bson_get_data(&a), bson_get_data(&b), a.len));
		bson_destroy(&a);
		bson_destroy(&b);
	}
}

/* hs_bson_entry_check (restore's verifying pass) counts the 10 documents. */
static void test_entry_check(void **state)
{
	char *path = fixture("types.tar.zst");
	hs_reader *r = NULL;
	hs_error e;
	uint64_t size = 0, n = 0;

	(void)state;
	hs_error_init(&e);
	if (hs_reader_open(&r, path, &e))
		fail_msg("%s: %s", path, e.msg);
	find_entry(r, &size);
	if (hs_bson_entry_check(r, BSON_ENTRY, &n, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(n, HS_BT_NDOCS);
	hs_reader_free(r);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_read_back),
		cmocka_unit_test(test_types_zero_read_back),
		cmocka_unit_test(test_negzero_variant),
		cmocka_unit_test(test_entry_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
