/*
 * Unit tests of the one .bson reading (src/sources/mongo/mongo_bson.c): every BSON
 * type and the odd values and keys MongoDB stores are accepted, deep
 * nesting too; each kind of structural damage is refused with its reason;
 * random damage never reads out of bounds (ASan) and nothing the check
 * accepts is refused by libbson; the stream frames documents, counts them
 * and names the document and byte of bad data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <bson/bson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sources/mongo/mongo_bson.h"

/* A document with every BSON type, odd values and odd keys. */
static bson_t *all_types(void)
{
	bson_t *d = bson_new(), sub, arr, scope;
	bson_oid_t oid;
	bson_decimal128_t dec;
	static uint8_t big[1024 * 1024];
	uint8_t old[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	bson_oid_init_from_string(&oid, "65aabbccddeeff0011223344");
	BSON_APPEND_OID(d, "_id", &oid);
	BSON_APPEND_DOUBLE(d, "nan", NAN);
	BSON_APPEND_DOUBLE(d, "inf", INFINITY);
	BSON_APPEND_DOUBLE(d, "-inf", -INFINITY);
	BSON_APPEND_DOUBLE(d, "-0", -0.0);
	BSON_APPEND_UTF8(d, "", "empty key");
	BSON_APPEND_UTF8(d, "a.b", "dotted key");
	BSON_APPEND_DOCUMENT_BEGIN(d, "n", &sub);
	BSON_APPEND_INT32(&sub, "$x", 1);
	bson_append_document_end(d, &sub);
	bson_append_utf8(d, "nul", 3, "a\0b", 3);
	BSON_APPEND_ARRAY_BEGIN(d, "arr", &arr);
	BSON_APPEND_INT32(&arr, "0", 1);
	BSON_APPEND_ARRAY_BEGIN(&arr, "1", &sub);
	bson_append_array_end(&arr, &sub);
	bson_append_array_end(d, &arr);
	BSON_APPEND_BINARY(d, "bin", BSON_SUBTYPE_BINARY, old, 0);
	BSON_APPEND_BINARY(d, "old", BSON_SUBTYPE_BINARY_DEPRECATED, old, sizeof(old));
	BSON_APPEND_BINARY(d, "uuid", BSON_SUBTYPE_UUID, old, 8);
	BSON_APPEND_BINARY(d, "big", BSON_SUBTYPE_USER, big, sizeof(big));
	BSON_APPEND_UNDEFINED(d, "undef");
	BSON_APPEND_BOOL(d, "t", true);
	BSON_APPEND_BOOL(d, "f", false);
	BSON_APPEND_DATE_TIME(d, "date", -62135596800000LL);
	BSON_APPEND_NULL(d, "null");
	BSON_APPEND_REGEX(d, "re", "^a.*b$", "imsx");
	BSON_APPEND_REGEX(d, "re0", "", "");
	BSON_APPEND_DBPOINTER(d, "ptr", "db.coll", &oid);
	BSON_APPEND_CODE(d, "code", "function(){}");
	BSON_APPEND_SYMBOL(d, "sym", "s");
	bson_init(&scope);
	BSON_APPEND_INT32(&scope, "x", 1);
	BSON_APPEND_CODE_WITH_SCOPE(d, "cws", "return x", &scope);
	bson_destroy(&scope);
	BSON_APPEND_INT32(d, "i32", INT32_MIN);
	BSON_APPEND_TIMESTAMP(d, "ts", 4294967295u, 1);
	BSON_APPEND_INT64(d, "i64", INT64_MAX);
	bson_decimal128_from_string("-1.23E-6000", &dec);
	BSON_APPEND_DECIMAL128(d, "dec", &dec);
	bson_decimal128_from_string("NaN", &dec);
	BSON_APPEND_DECIMAL128(d, "decnan", &dec);
	BSON_APPEND_MINKEY(d, "min");
	BSON_APPEND_MAXKEY(d, "max");
	return d;
}

static int check(const uint8_t *p, size_t n, const char **why)
{
	size_t at = 0;
	const char *w = NULL;
	int rc = hs_bson_check(p, n, &w, &at);

	if (why)
		*why = w;
	if (rc == 0)
		assert_null(w);
	else
		assert_true(at < n || n < 5);
	return rc;
}

static void test_every_type_accepted(void **state)
{
	bson_t *d = all_types();
	size_t off = 0;

	(void)state;
	assert_true(bson_validate(d, BSON_VALIDATE_NONE, &off));
	assert_int_equal(check(bson_get_data(d), d->len, NULL), 0);
	bson_destroy(d);
	{
		bson_t empty = BSON_INITIALIZER;

		assert_int_equal(check(bson_get_data(&empty), empty.len, NULL), 0);
	}
}

/* A document nested depth levels deep, alternating documents and arrays. */
static bson_t *nested(int depth)
{
	bson_t *lv = bson_malloc0((size_t)(depth + 1) * sizeof(bson_t)), *top = bson_new();
	int i;

	bson_init(&lv[0]);
	BSON_APPEND_INT32(&lv[0], "_id", 1);
	for (i = 1; i <= depth; i++) {
		if (i % 2)
			BSON_APPEND_DOCUMENT_BEGIN(&lv[i - 1], "d", &lv[i]);
		else
			BSON_APPEND_ARRAY_BEGIN(&lv[i - 1], "0", &lv[i]);
	}
	BSON_APPEND_UTF8(&lv[depth], "leaf", "x");
	for (i = depth; i >= 1; i--) {
		if (i % 2)
			bson_append_document_end(&lv[i - 1], &lv[i]);
		else
			bson_append_array_end(&lv[i - 1], &lv[i]);
	}
	bson_concat(top, &lv[0]);
	bson_destroy(&lv[0]);
	bson_free(lv);
	return top;
}

static void test_deep_nesting(void **state)
{
	int depths[] = { 40, 64, 65, 100, 1000 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		bson_t *d = nested(depths[i]);

		assert_int_equal(check(bson_get_data(d), d->len, NULL), 0);
		bson_destroy(d);
	}
}

/* Bytes of a hand-made document: its length field is set here. */
static hs_buf raw(const void *body, size_t n)
{
	hs_buf b = HS_BUF_INIT;
	uint32_t len = (uint32_t)(n + 4);
	uint8_t le[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24) };

	hs_buf_add(&b, le, 4);
	hs_buf_add(&b, body, n);
	return b;
}

static void expect_bad(const char *body, size_t n, const char *reason)
{
	hs_buf b = raw(body, n);
	const char *why = NULL;

	assert_int_equal(check((const uint8_t *)b.data, b.len, &why), -1);
	assert_non_null(why);
	if (!strstr(why, reason))
		fail_msg("reason '%s', wanted '%s'", why, reason);
	hs_buf_release(&b);
}

#define BAD(lit, reason) expect_bad(lit, sizeof(lit) - 1, reason)

static void test_damage_refused(void **state)
{
	(void)state;
	/* the good one the damaged ones come from: {a: 1} */
	{
		hs_buf b = raw("\x10" "a\0" "\x01\0\0\0" "\0", 8);

		assert_int_equal(check((const uint8_t *)b.data, b.len, NULL), 0);
		hs_buf_release(&b);
	}
	BAD("\x14" "a\0" "\x01\0\0\0" "\0", "unknown element type");
	BAD("\x03" "s\0" "\x0c\0\0\0" "\x14" "a\0" "\x01\0\0\0" "\0" "\0", "unknown element type");
	BAD("\x10" "a\0" "\x01\0\0\x07", "does not end with a NUL");
	BAD("\x10" "a\0" "\x01\0\0\0" "\0" "\0", "NUL type byte before the end");
	BAD("\x10" "abc" "\0", "key does not end");
	BAD("\x10" "a\0" "\x01\0" "\0", "int32 is cut short");
	BAD("\x01" "a\0" "\x01\0\0\0" "\0", "8-byte value is cut short");
	BAD("\x08" "a\0" "\x02" "\0", "bool is neither");
	BAD("\x02" "a\0" "\0\0\0\0" "\0", "string's length does not fit");
	BAD("\x02" "a\0" "\x09\0\0\0" "x\0" "\0", "string's length does not fit");
	BAD("\x02" "a\0" "\x02\0\0\0" "xy" "\0", "string does not end with a NUL");
	BAD("\x0e" "a\0" "\x02\0\0\0" "xy" "\0", "string does not end with a NUL");
	BAD("\x0c" "a\0" "\x02\0\0\0" "x\0" "0123" "\0", "DBPointer's ObjectId is cut short");
	BAD("\x0b" "a\0" "x\0" "i" "\0", "regex does not end");
	BAD("\x05" "a\0" "\x09\0\0\0" "\x00" "1234" "\0", "binary's length does not fit");
	BAD("\x05" "a\0" "\x08\0\0\0" "\x02" "\x05\0\0\0" "1234" "\0", "old binary");
	BAD("\x05" "a\0" "\x02\0\0\0" "\x02" "12" "\0", "old binary");
	/* an embedded document longer than its parent, shorter than 5, without its NUL */
	BAD("\x03" "s\0" "\x20\0\0\0" "\0" "\0", "embedded document's length");
	BAD("\x03" "s\0" "\x04\0\0\0" "\0" "\0", "embedded document's length");
	BAD("\x03" "s\0" "\x06\0\0\0" "\0x" "\0", "embedded document does not end with a NUL");
	/* trailing bytes inside an embedded document, after its last element */
	BAD("\x04" "s\0" "\x0d\0\0\0" "\x10" "0\0" "\x01\0\0\0" "\0" "\0" "\0", "NUL type byte before the end");
	/* code with scope: total too long, string past it, scope not filling it, bad scope */
	BAD("\x0f" "c\0" "\x30\0\0\0" "\x02\0\0\0" "x\0" "\x05\0\0\0" "\0" "\0", "code with scope's length");
	BAD("\x0f" "c\0" "\x0f\0\0\0" "\x09\0\0\0" "x\0" "\x05\0\0\0" "\0" "\0", "code with scope's string");
	BAD("\x0f" "c\0" "\x10\0\0\0" "\x02\0\0\0" "x\0" "\x05\0\0\0" "\0" "z" "\0", "scope does not fill");
	BAD("\x0f" "c\0" "\x0f\0\0\0" "\x02\0\0\0" "xy" "\x05\0\0\0" "\0" "\0", "string does not end");
	BAD("\x0f" "c\0" "\x12\0\0\0" "\x02\0\0\0" "x\0" "\x08\0\0\0" "\x14" "a\0" "\0" "\0", "unknown element type");
	/* top level: too short, a length field that lies */
	{
		const uint8_t four[4] = { 4, 0, 0, 0 }, lie[6] = { 5, 0, 0, 0, 0, 0 };
		const char *why = NULL;

		assert_int_equal(check(four, 4, &why), -1);
		assert_int_equal(check(lie, 6, &why), -1);
		assert_non_null(strstr(why, "length field"));
	}
}

/*
 * Walk a document with libbson's iterator, into every document, array and
 * scope, as diff and restore read documents: false on the first element
 * the iterator calls corrupt.  (Not bson_validate(): its walk also refuses
 * keys that are not UTF-8, which MongoDB stores and this check accepts.)
 */
static bool iter_ok(const uint8_t *p, uint32_t n)
{
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, p, n))
		return false;
	while (bson_iter_next(&it)) {
		const uint8_t *sub;
		uint32_t sl, cl;

		if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
			if (BSON_ITER_HOLDS_DOCUMENT(&it))
				bson_iter_document(&it, &sl, &sub);
			else
				bson_iter_array(&it, &sl, &sub);
			if (!sub || !iter_ok(sub, sl))
				return false;
		} else if (BSON_ITER_HOLDS_CODEWSCOPE(&it)) {
			if (!bson_iter_codewscope(&it, &cl, &sl, &sub) || !iter_ok(sub, sl))
				return false;
		}
	}
	return it.err_off == 0;
}

/*
 * Random damage to the all-types document (one to four bytes changed):
 * the check must never read out of bounds (ASan), and what it accepts
 * libbson's iterator must walk to the end, so that cat, diff and restore,
 * which read documents with libbson after this check, never meet one they
 * cannot iterate.
 */
static void test_random_damage(void **state)
{
	bson_t *d = all_types();
	size_t n = d->len, i, off;
	uint8_t *copy = malloc(n);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned accepted = 0, refused = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		int k, changes;

		memcpy(copy, bson_get_data(d), n);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		changes = 1 + (int)(x % 4);
		for (k = 0; k < changes; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* mostly the header part of the document (before the 1 MiB binary's bytes) */
			off = (x >> 8) % (k ? n : 600);
			copy[off] = (uint8_t)(x >> 40);
		}
		if (hs_bson_check(copy, n, NULL, NULL) == 0) {
			accepted++;
			if (!iter_ok(copy, (uint32_t)n))
				fail_msg("accepted, but libbson's iterator stops in it (round %zu)", i);
		} else {
			refused++;
		}
	}
	assert_true(accepted > 0);
	assert_true(refused > 0);
	free(copy);
	bson_destroy(d);
}

/* A read function over a memory buffer, in small pieces. */
typedef struct mem_src {
	const uint8_t *p;
	size_t n, off, piece;
} mem_src;

static ssize_t mem_read(void *ctx, void *buf, size_t n, hs_error *e)
{
	mem_src *m = ctx;
	size_t k = m->n - m->off;

	(void)e;
	if (k > n)
		k = n;
	if (k > m->piece)
		k = m->piece;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

/* Read a concatenation of documents: the count, or -1 with e. */
static int read_all(const hs_buf *b, size_t cut, uint64_t *ndocs, hs_buf *copy, hs_error *e)
{
	mem_src m = { (const uint8_t *)b->data, cut, 0, 7777 };
	hs_linereader *lr = hs_lr_new(mem_read, &m, 4096);
	hs_bson_stream s;
	const uint8_t *doc;
	uint32_t len;
	int k;

	hs_bson_stream_init(&s, lr, "mongo/db/c.bson");
	while ((k = hs_bson_stream_next(&s, &doc, &len, e)) == 1)
		if (copy)
			hs_buf_add(copy, doc, len);
	*ndocs = s.docno;
	hs_lr_free(lr);
	return k;
}

static void test_stream(void **state)
{
	hs_buf all = HS_BUF_INIT, copy = HS_BUF_INIT;
	bson_t *big = all_types(), *deep = nested(100);
	uint64_t n = 0;
	hs_error e;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		bson_t *d = BCON_NEW("_id", BCON_INT32(i), "k", BCON_UTF8("v"));

		hs_buf_add(&all, bson_get_data(d), d->len);
		bson_destroy(d);
	}
	hs_buf_add(&all, bson_get_data(big), big->len);   /* larger than the window */
	hs_buf_add(&all, bson_get_data(deep), deep->len);

	/* whole: every document, byte for byte */
	hs_error_init(&e);
	assert_int_equal(read_all(&all, all.len, &n, &copy, &e), 0);
	assert_int_equal(n, 5);
	assert_int_equal(copy.len, all.len);
	assert_memory_equal(copy.data, all.data, all.len);

	/* empty entry: no document */
	assert_int_equal(read_all(&all, 0, &n, NULL, &e), 0);
	assert_int_equal(n, 0);

	/* cut inside the last document, and inside a length field */
	hs_error_init(&e);
	assert_int_equal(read_all(&all, all.len - 1, &n, NULL, &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_non_null(strstr(e.msg, "bad BSON in 'mongo/db/c.bson': document 5 at byte"));
	assert_non_null(strstr(e.msg, "truncated"));
	hs_error_init(&e);
	assert_int_equal(read_all(&all, all.len - deep->len + 2, &n, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "document 5 at byte"));
	assert_non_null(strstr(e.msg, "2 bytes into its length"));

	/* a bad element in document 2: named, with its byte in the entry */
	{
		hs_buf bad = HS_BUF_INIT;
		uint32_t l0 = (uint32_t)(unsigned char)all.data[0];
		char want[128];

		hs_buf_add(&bad, all.data, all.len);
		bad.data[l0 + 13] = 0x42;   /* the type byte of document 2's "k" */
		hs_error_init(&e);
		assert_int_equal(read_all(&bad, bad.len, &n, NULL, &e), -1);
		assert_int_equal(e.code, HS_EXIT_DATA);
		snprintf(want, sizeof(want), "document 2 at byte %u: unknown element type (its byte 13)", l0);
		if (!strstr(e.msg, want))
			fail_msg("message '%s', wanted '%s'", e.msg, want);
		hs_buf_release(&bad);
	}

	/* lengths out of bounds */
	{
		hs_buf bad = HS_BUF_INIT;
		const char tiny[] = "\x04\0\0\0", huge[] = "\x01\x41\x00\x01";

		hs_buf_add(&bad, tiny, 4);
		hs_error_init(&e);
		assert_int_equal(read_all(&bad, bad.len, &n, NULL, &e), -1);
		assert_non_null(strstr(e.msg, "length 4 is less than 5"));
		hs_buf_reset(&bad);
		hs_buf_add(&bad, huge, 4);
		hs_error_init(&e);
		assert_int_equal(read_all(&bad, bad.len, &n, NULL, &e), -1);
		assert_non_null(strstr(e.msg, "over the 16 MiB + 16 KiB document limit"));
		hs_buf_release(&bad);
	}
	bson_destroy(big);
	bson_destroy(deep);
	hs_buf_release(&all);
	hs_buf_release(&copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_accepted),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_damage_refused),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
