/*
 * Unit tests of hs_mongo_id_key: _id values listed in MongoDB's comparison
 * order encode to strictly increasing keys (memcmp, shorter first on a
 * common prefix, as hs_rsort compares); equal values (0 and -0, 1 and 1.0)
 * encode equal; the values it cannot order are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sources/mongo/mongo_common.h"

/* hs_rsort's order: memcmp of the common prefix, then the shorter first. */
static int key_cmp(const hs_buf *a, const hs_buf *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int r = memcmp(a->data, b->data, n);

	if (r)
		return r;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* The key of the value stored as field "_id" of doc. */
static void key_of(const bson_t *doc, hs_buf *key)
{
	bson_iter_t it;

	hs_buf_reset(key);
	assert_true(bson_iter_init_find(&it, doc, "_id"));
	assert_int_equal(hs_mongo_id_key(&it, key), 0);
}

/* Keys of each document's _id in turn; each must be above the one before. */
static void assert_increasing(bson_t **docs, size_t n)
{
	hs_buf prev = HS_BUF_INIT, cur = HS_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		key_of(docs[i], &cur);
		if (i && key_cmp(&prev, &cur) >= 0) {
			char *a = bson_as_canonical_extended_json(docs[i - 1], NULL);
			char *b = bson_as_canonical_extended_json(docs[i], NULL);

			print_error("not increasing: %s then %s\n", a, b);
			bson_free(a);
			bson_free(b);
			fail();
		}
		hs_buf_reset(&prev);
		hs_buf_add(&prev, cur.data, cur.len);
	}
	for (i = 0; i < n; i++)
		bson_destroy(docs[i]);
	hs_buf_release(&prev);
	hs_buf_release(&cur);
}

static bson_t *bin_doc(bson_subtype_t sub, const char *bytes, uint32_t len)
{
	bson_t *d = bson_new();

	BSON_APPEND_BINARY(d, "_id", sub, (const uint8_t *)bytes, len);
	return d;
}

static bson_t *str_doc(const char *s, int len)
{
	bson_t *d = bson_new();

	bson_append_utf8(d, "_id", 3, s, len);
	return d;
}

static bson_t *oid_doc(const char *hex)
{
	bson_t *d = bson_new();
	bson_oid_t oid;

	bson_oid_init_from_string(&oid, hex);
	BSON_APPEND_OID(d, "_id", &oid);
	return d;
}

/* One list across every bracket, numbers of all three types interleaved. */
static void test_mongodb_order(void **state)
{
	bson_t *docs[64];
	size_t n = 0;

	(void)state;
	docs[n++] = BCON_NEW("_id", BCON_MINKEY);
	docs[n++] = BCON_NEW("_id", BCON_NULL);
	docs[n++] = BCON_NEW("_id", BCON_DOUBLE(NAN));
	docs[n++] = BCON_NEW("_id", BCON_DOUBLE(-INFINITY));
	docs[n++] = BCON_NEW("_id", BCON_INT64(-(INT64_C(1) << 53)));
	docs[n++] = BCON_NEW("_id", BCON_INT32(INT32_MIN));
	docs[n++] = BCON_NEW("_id", BCON_DOUBLE(-2.5));
	docs[n++] = BCON_NEW("_id", BCON_INT32(-2));
	docs[n++] = BCON_NEW("_id", BCON_INT64(-1));
	docs[n++] = BCON_NEW("_id", BCON_DOUBLE(-1e-300));
	docs[n++] = BCON_NEW("_id", BCON_INT32(0));
	docs[n++] = BCON_NEW("_id", BCON_DOUBLE(4.9e-324));
	docs[n++] = BCON_NEW("_id", BCON_DOUBLE(0.5));
	docs[n++] = BCON_NEW("_id", BCON_INT64(1));
	docs[n++] = BCON_NEW("_id", BCON_DOUBLE(1.5));
	docs[n++] = BCON_NEW("_id", BCON_INT32(2));
	docs[n++] = BCON_NEW("_id", BCON_INT32(INT32_MAX));
	docs[n++] = BCON_NEW("_id", BCON_INT64(INT64_C(1) << 53));
	docs[n++] = BCON_NEW("_id", BCON_DOUBLE(1e300));
	docs[n++] = BCON_NEW("_id", BCON_DOUBLE(INFINITY));
	docs[n++] = str_doc("", 0);
	docs[n++] = str_doc("\0", 1);
	docs[n++] = str_doc("\0\0", 2);
	docs[n++] = str_doc("\x01", 1);
	docs[n++] = str_doc("A", 1);
	docs[n++] = str_doc("a", 1);
	docs[n++] = str_doc("a\0", 2);
	docs[n++] = str_doc("a\0b", 3);
	docs[n++] = str_doc("a\x01", 2);
	docs[n++] = str_doc("ab", 2);
	docs[n++] = str_doc("b", 1);
	docs[n++] = str_doc("\xc3\xa9", 2);  /* é: UTF-8 bytes above ASCII */
	docs[n++] = bin_doc(BSON_SUBTYPE_USER, "", 0);
	docs[n++] = bin_doc(BSON_SUBTYPE_BINARY, "\xff", 1);
	docs[n++] = bin_doc(BSON_SUBTYPE_USER, "\x00", 1);
	docs[n++] = bin_doc(BSON_SUBTYPE_BINARY, "\x00\x00", 2);
	docs[n++] = bin_doc(BSON_SUBTYPE_BINARY, "\x00\x01", 2);
	docs[n++] = bin_doc(BSON_SUBTYPE_UUID, "\x00\x00", 2);
	docs[n++] = oid_doc("000000000000000000000000");
	docs[n++] = oid_doc("5f0000000000000000000001");
	docs[n++] = oid_doc("5f0000000000000000000100");
	docs[n++] = oid_doc("ffffffffffffffffffffffff");
	docs[n++] = BCON_NEW("_id", BCON_BOOL(false));
	docs[n++] = BCON_NEW("_id", BCON_BOOL(true));
	docs[n++] = BCON_NEW("_id", BCON_DATE_TIME(INT64_MIN));
	docs[n++] = BCON_NEW("_id", BCON_DATE_TIME(-86400000));
	docs[n++] = BCON_NEW("_id", BCON_DATE_TIME(-1));
	docs[n++] = BCON_NEW("_id", BCON_DATE_TIME(0));
	docs[n++] = BCON_NEW("_id", BCON_DATE_TIME(1));
	docs[n++] = BCON_NEW("_id", BCON_DATE_TIME(INT64_C(1700000000000)));
	docs[n++] = BCON_NEW("_id", BCON_TIMESTAMP(0, 0));
	docs[n++] = BCON_NEW("_id", BCON_TIMESTAMP(1, 0xffffffff));
	docs[n++] = BCON_NEW("_id", BCON_TIMESTAMP(2, 0));
	docs[n++] = BCON_NEW("_id", BCON_MAXKEY);
	assert_increasing(docs, n);
}

/* Values MongoDB holds equal encode to the same key. */
static void test_equal_values(void **state)
{
	bson_t *pairs[][2] = {
		{ BCON_NEW("_id", BCON_DOUBLE(-0.0)), BCON_NEW("_id", BCON_INT32(0)) },
		{ BCON_NEW("_id", BCON_DOUBLE(1.0)), BCON_NEW("_id", BCON_INT64(1)) },
		{ BCON_NEW("_id", BCON_INT32(-7)), BCON_NEW("_id", BCON_INT64(-7)) },
		{ BCON_NEW("_id", BCON_SYMBOL("sym")), BCON_NEW("_id", BCON_UTF8("sym")) },
		{ BCON_NEW("_id", BCON_DOUBLE(NAN)), BCON_NEW("_id", BCON_DOUBLE(-NAN)) },
	};
	hs_buf a = HS_BUF_INIT, b = HS_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		key_of(pairs[i][0], &a);
		key_of(pairs[i][1], &b);
		assert_int_equal(key_cmp(&a, &b), 0);
		bson_destroy(pairs[i][0]);
		bson_destroy(pairs[i][1]);
	}
	hs_buf_release(&a);
	hs_buf_release(&b);
}

/* What the encoding cannot order is refused with 1. */
static void test_refusals(void **state)
{
	bson_decimal128_t dec;
	bson_oid_t oid;
	bson_t *docs[16];
	size_t n = 0, i;
	hs_buf key = HS_BUF_INIT;

	(void)state;
	bson_decimal128_from_string("1.5", &dec);
	bson_oid_init_from_string(&oid, "5f0000000000000000000001");
	docs[n++] = BCON_NEW("_id", BCON_INT64((INT64_C(1) << 53) + 1));
	docs[n++] = BCON_NEW("_id", BCON_INT64(INT64_MAX));
	docs[n++] = BCON_NEW("_id", BCON_INT64(-(INT64_C(1) << 53) - 1));
	docs[n++] = BCON_NEW("_id", BCON_DECIMAL128(&dec));
	docs[n++] = BCON_NEW("_id", "{", "a", BCON_INT32(1), "}");
	docs[n++] = BCON_NEW("_id", "[", BCON_INT32(1), "]");
	docs[n++] = BCON_NEW("_id", BCON_REGEX("^a", "i"));
	docs[n++] = BCON_NEW("_id", BCON_CODE("function(){}"));
	docs[n++] = BCON_NEW("_id", BCON_UNDEFINED);
	docs[n++] = BCON_NEW("_id", BCON_DBPOINTER("db.c", &oid));
	for (i = 0; i < n; i++) {
		bson_iter_t it;

		assert_true(bson_iter_init_find(&it, docs[i], "_id"));
		hs_buf_reset(&key);
		assert_int_equal(hs_mongo_id_key(&it, &key), 1);
		bson_destroy(docs[i]);
	}
	/* the largest exact ones are still taken */
	docs[0] = BCON_NEW("_id", BCON_INT64(INT64_C(1) << 62));
	docs[1] = BCON_NEW("_id", BCON_INT64(INT64_MIN));
	for (i = 0; i < 2; i++) {
		bson_iter_t it;

		assert_true(bson_iter_init_find(&it, docs[i], "_id"));
		hs_buf_reset(&key);
		assert_int_equal(hs_mongo_id_key(&it, &key), 0);
		bson_destroy(docs[i]);
	}
	hs_buf_release(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mongodb_order),
		cmocka_unit_test(test_equal_values),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
