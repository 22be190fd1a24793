/*
 * hs_bsontypes.h - the documents of the BSON types fixture
 * (tests/fixtures/bson/), shared by the tool that writes the fixture
 * (hs_mkbsontypes.c) and the unit test that reads it back through
 * restore's document reader (test_bson_types.c): both build the same bytes
 * from this one place.
 *
 * The documents hold what the test server (FerretDB 1.24) refuses to store,
 * so no integration test can: double NaN, +-Infinity and -0.0, Decimal128
 * (NaN and +-Infinity too), nested arrays, the keys "", "a.b" and a nested
 * "$x", 1 MiB binaries, 40-deep documents and arrays, and every other BSON
 * type with its edge values.  _id is int32 1..HS_BT_NDOCS, ascending: the
 * server's _id order, as capture writes a collection.
 *
 * hs_bt_build(i, negzero, out) builds document i (1-based) into a
 * bson_init()ed out.  negzero false gives the variant of document 1 whose
 * "negzero" field is 0.0 instead of -0.0 (the second archive of the
 * fixture: a document changed only in the sign of a zero).
 */
#ifndef HS_BSONTYPES_H
#define HS_BSONTYPES_H

#include <bson/bson.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HS_BT_NDOCS 10
#define HS_BT_DEPTH 40
#define HS_BT_BIG (1024 * 1024)

/* A fixed ObjectId: 12 bytes 0x65 0x00 0x00 0x01 ... (no clock, no counter). */
static void hs_bt_oid(bson_oid_t *oid, uint8_t seed)
{
	int i;

	for (i = 0; i < 12; i++)
		oid->bytes[i] = (uint8_t)(seed + i * 17);
}

/* 1 MiB of a repeating pattern (period 251: zstd compresses it to almost nothing). */
static uint8_t *hs_bt_big(uint8_t salt)
{
	uint8_t *p = malloc(HS_BT_BIG);
	size_t i;

	if (!p)
		abort();
	for (i = 0; i < HS_BT_BIG; i++)
		p[i] = (uint8_t)((i % 251) * 7 + salt);
	return p;
}

static void hs_bt_dec(bson_t *b, const char *key, const char *text)
{
	bson_decimal128_t d;

	if (!bson_decimal128_from_string(text, &d))
		abort();
	BSON_APPEND_DECIMAL128(b, key, &d);
}

/* {d: {d: ... {leaf: "bottom"}}}: depth documents below key. */
static void hs_bt_deep_doc(bson_t *parent, const char *key, int depth)
{
	bson_t child;

	bson_append_document_begin(parent, key, -1, &child);
	if (depth > 1)
		hs_bt_deep_doc(&child, "d", depth - 1);
	else
		BSON_APPEND_UTF8(&child, "leaf", "bottom");
	bson_append_document_end(parent, &child);
}

/* [[ ... [depth] ... ]]: depth arrays below key, the innermost holding its depth. */
static void hs_bt_deep_array(bson_t *parent, const char *key, int depth, int total)
{
	bson_t child;

	bson_append_array_begin(parent, key, -1, &child);
	if (depth > 1)
		hs_bt_deep_array(&child, "0", depth - 1, total);
	else
		BSON_APPEND_INT32(&child, "0", total);
	bson_append_array_end(parent, &child);
}

static void hs_bt_build(int i, bool negzero, bson_t *b)
{
	bson_t c, d, e, scope;
	bson_oid_t oid;
	uint8_t *big;
	static const uint8_t uuid[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x46, 0x77,
					  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

	BSON_APPEND_INT32(b, "_id", i);
	switch (i) {
	case 1: /* doubles */
		BSON_APPEND_UTF8(b, "what", "doubles");
		BSON_APPEND_DOUBLE(b, "nan", NAN);
		BSON_APPEND_DOUBLE(b, "pinf", INFINITY);
		BSON_APPEND_DOUBLE(b, "ninf", -INFINITY);
		BSON_APPEND_DOUBLE(b, "negzero", negzero ? -0.0 : 0.0);
		BSON_APPEND_DOUBLE(b, "zero", 0.0);
		BSON_APPEND_DOUBLE(b, "one", 1.0);
		BSON_APPEND_DOUBLE(b, "neg", -1.5);
		BSON_APPEND_DOUBLE(b, "third", 1.0 / 3.0);
		BSON_APPEND_DOUBLE(b, "max", DBL_MAX);
		BSON_APPEND_DOUBLE(b, "min_normal", DBL_MIN);
		BSON_APPEND_DOUBLE(b, "min_subnormal", 4.9406564584124654e-324);
		BSON_APPEND_DOUBLE(b, "big", 1.2345678921232e18);
		bson_append_array_begin(b, "in_array", -1, &c);
		BSON_APPEND_DOUBLE(&c, "0", NAN);
		BSON_APPEND_DOUBLE(&c, "1", -0.0);
		BSON_APPEND_DOUBLE(&c, "2", -INFINITY);
		bson_append_array_end(b, &c);
		break;
	case 2: /* Decimal128 */
		BSON_APPEND_UTF8(b, "what", "decimal128");
		hs_bt_dec(b, "nan", "NaN");
		hs_bt_dec(b, "pinf", "Infinity");
		hs_bt_dec(b, "ninf", "-Infinity");
		hs_bt_dec(b, "zero", "0");
		hs_bt_dec(b, "negzero", "-0");
		hs_bt_dec(b, "trailing", "1.000");
		hs_bt_dec(b, "money", "-12345.67");
		hs_bt_dec(b, "max", "9.999999999999999999999999999999999E+6144");
		hs_bt_dec(b, "min", "1E-6176");
		hs_bt_dec(b, "exp", "1.23E+40");
		break;
	case 3: /* nested and empty arrays, documents in arrays */
		BSON_APPEND_UTF8(b, "what", "arrays");
		bson_append_array_begin(b, "nested", -1, &c); /* [[1, [2]]] */
		bson_append_array_begin(&c, "0", -1, &d);
		BSON_APPEND_INT32(&d, "0", 1);
		bson_append_array_begin(&d, "1", -1, &e);
		BSON_APPEND_INT32(&e, "0", 2);
		bson_append_array_end(&d, &e);
		bson_append_array_end(&c, &d);
		bson_append_array_end(b, &c);
		bson_append_array_begin(b, "empty", -1, &c);
		bson_append_array_end(b, &c);
		bson_append_document_begin(b, "empty_doc", -1, &c);
		bson_append_document_end(b, &c);
		bson_append_array_begin(b, "mixed", -1, &c); /* [1, "two", [3.0, [null]], {k: []}] */
		BSON_APPEND_INT32(&c, "0", 1);
		BSON_APPEND_UTF8(&c, "1", "two");
		bson_append_array_begin(&c, "2", -1, &d);
		BSON_APPEND_DOUBLE(&d, "0", 3.0);
		bson_append_array_begin(&d, "1", -1, &e);
		BSON_APPEND_NULL(&e, "0");
		bson_append_array_end(&d, &e);
		bson_append_array_end(&c, &d);
		bson_append_document_begin(&c, "3", -1, &d);
		bson_append_array_begin(&d, "k", -1, &e);
		bson_append_array_end(&d, &e);
		bson_append_document_end(&c, &d);
		bson_append_array_end(b, &c);
		break;
	case 4: /* keys MongoDB 5.0+ stores and older tools mangle */
		BSON_APPEND_UTF8(b, "what", "keys");
		BSON_APPEND_UTF8(b, "", "the empty key");
		BSON_APPEND_UTF8(b, "a.b", "a dotted key");
		bson_append_document_begin(b, "nested", -1, &c);
		BSON_APPEND_INT32(&c, "$x", 1);
		BSON_APPEND_UTF8(&c, "a.b", "dotted, nested");
		bson_append_document_begin(&c, "", -1, &d);
		BSON_APPEND_BOOL(&d, "$x", true);
		bson_append_document_end(&c, &d);
		bson_append_document_end(b, &c);
		bson_append_array_begin(b, "in_array", -1, &c);
		bson_append_document_begin(&c, "0", -1, &d);
		BSON_APPEND_UTF8(&d, "$x", "dollar key in an array's document");
		bson_append_document_end(&c, &d);
		bson_append_array_end(b, &c);
		break;
	case 5: /* a 1 MiB binary, subtype 0 */
		BSON_APPEND_UTF8(b, "what", "binary 1 MiB subtype 0");
		big = hs_bt_big(0);
		BSON_APPEND_BINARY(b, "bin", BSON_SUBTYPE_BINARY, big, HS_BT_BIG);
		free(big);
		break;
	case 6: /* a 1 MiB binary of a user subtype, a UUID, and the small subtypes */
		BSON_APPEND_UTF8(b, "what", "binary 1 MiB subtype 0x80, uuid, small subtypes");
		big = hs_bt_big(1);
		BSON_APPEND_BINARY(b, "bin", BSON_SUBTYPE_USER, big, HS_BT_BIG);
		free(big);
		BSON_APPEND_BINARY(b, "uuid", BSON_SUBTYPE_UUID, uuid, sizeof(uuid));
		BSON_APPEND_BINARY(b, "md5", BSON_SUBTYPE_MD5, uuid, sizeof(uuid));
		BSON_APPEND_BINARY(b, "empty", BSON_SUBTYPE_BINARY, (const uint8_t *)"", 0);
		BSON_APPEND_BINARY(b, "function", BSON_SUBTYPE_FUNCTION, (const uint8_t *)"f()", 3);
		/* the old binary subtype: libbson writes its inner length */
		BSON_APPEND_BINARY(b, "old", BSON_SUBTYPE_BINARY_DEPRECATED, (const uint8_t *)"old", 3);
		break;
	case 7: /* 40-deep documents */
		BSON_APPEND_UTF8(b, "what", "40-deep documents");
		hs_bt_deep_doc(b, "d", HS_BT_DEPTH);
		break;
	case 8: /* 40-deep arrays */
		BSON_APPEND_UTF8(b, "what", "40-deep arrays");
		hs_bt_deep_array(b, "a", HS_BT_DEPTH, HS_BT_DEPTH);
		break;
	case 9: /* integers, dates, timestamps, the keys, ObjectId */
		BSON_APPEND_UTF8(b, "what", "integers dates timestamps oid minkey maxkey");
		BSON_APPEND_INT32(b, "i32_min", INT32_MIN);
		BSON_APPEND_INT32(b, "i32_max", INT32_MAX);
		BSON_APPEND_INT32(b, "i32_zero", 0);
		BSON_APPEND_INT64(b, "i64_min", INT64_MIN);
		BSON_APPEND_INT64(b, "i64_max", INT64_MAX);
		BSON_APPEND_INT64(b, "i64_small", 1);
		BSON_APPEND_DATE_TIME(b, "date_epoch", 0);
		BSON_APPEND_DATE_TIME(b, "date_neg", -1);
		BSON_APPEND_DATE_TIME(b, "date_1900", -2208988800000LL);
		BSON_APPEND_DATE_TIME(b, "date_10000", 253402300800000LL);
		BSON_APPEND_DATE_TIME(b, "date_min", INT64_MIN);
		BSON_APPEND_DATE_TIME(b, "date_max", INT64_MAX);
		BSON_APPEND_TIMESTAMP(b, "ts", 1700000000, 7);
		BSON_APPEND_TIMESTAMP(b, "ts_max", UINT32_MAX, UINT32_MAX);
		BSON_APPEND_TIMESTAMP(b, "ts_zero", 0, 0);
		hs_bt_oid(&oid, 0x65);
		BSON_APPEND_OID(b, "oid", &oid);
		BSON_APPEND_MINKEY(b, "min");
		BSON_APPEND_MAXKEY(b, "max");
		BSON_APPEND_BOOL(b, "t", true);
		BSON_APPEND_BOOL(b, "f", false);
		BSON_APPEND_NULL(b, "null");
		break;
	case 10: /* strings, regex, code, the deprecated types */
		BSON_APPEND_UTF8(b, "what", "strings regex code symbol dbpointer undefined");
		bson_append_utf8(b, "nul_inside", -1, "a\0b", 3);
		BSON_APPEND_UTF8(b, "controls", "tab\there \"quoted\" back\\slash \x01\x1f");
		BSON_APPEND_UTF8(b, "unicode", "caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x90\x9d");
		BSON_APPEND_UTF8(b, "empty", "");
		BSON_APPEND_REGEX(b, "regex", "^a.b$", "imsux");
		BSON_APPEND_REGEX(b, "regex_slash", "a/b\\d", "");
		BSON_APPEND_CODE(b, "code", "function () { return 1; }");
		bson_init(&scope);
		BSON_APPEND_INT32(&scope, "x", 1);
		BSON_APPEND_CODE_WITH_SCOPE(b, "code_scope", "function () { return x; }", &scope);
		bson_destroy(&scope);
		BSON_APPEND_SYMBOL(b, "symbol", "sym");
		hs_bt_oid(&oid, 0x11);
		BSON_APPEND_DBPOINTER(b, "dbpointer", "db.coll", &oid);
		BSON_APPEND_UNDEFINED(b, "undefined");
		break;
	default:
		abort();
	}
}

#endif
