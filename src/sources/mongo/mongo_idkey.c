/*
 * mongo_idkey.c - an order-preserving byte encoding of _id values, for the
 * client-side sort of a collection read in natural order (snapshot/mongo.c):
 * memcmp of two keys (shorter first on a common prefix, as hs_rsort
 * compares) gives MongoDB's comparison order of the two values.
 * Declared in mongo_common.h; unit-tested in tests/unit/test_mongo_idkey.c.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "mongo_common.h"

/* One leading byte per type bracket, in MongoDB's order of brackets. */
enum {
	HS_IDK_MINKEY = 0x01,
	HS_IDK_NULL = 0x05,
	HS_IDK_NUMBER = 0x0a,
	HS_IDK_STRING = 0x0f,   /* and symbol */
	HS_IDK_BINARY = 0x1e,   /* objects (0x14) and arrays (0x19) are not encoded */
	HS_IDK_OID = 0x23,
	HS_IDK_BOOL = 0x28,
	HS_IDK_DATE = 0x2d,
	HS_IDK_TIMESTAMP = 0x32,
	HS_IDK_MAXKEY = 0x3c    /* regular expressions (0x37) are not encoded */
};

static void hs_idk_be64(hs_buf *key, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	hs_buf_add(key, b, sizeof(b));
}

static void hs_idk_be32(hs_buf *key, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			       (unsigned char)v };

	hs_buf_add(key, b, sizeof(b));
}

/*
 * A number as 8 bytes that compare as the values do: the IEEE-754 bits
 * with the sign bit set for positives and every bit inverted for
 * negatives; -0.0 as 0.0; every NaN as all zeros, below -infinity (whose
 * inverted bits start 0x000f).
 */
static void hs_idk_double(hs_buf *key, double d)
{
	uint64_t u;

	if (isnan(d)) {
		hs_idk_be64(key, 0);
		return;
	}
	if (d == 0.0)
		d = 0.0;
	memcpy(&u, &d, sizeof(u));
	if (u >> 63)
		u = ~u;
	else
		u |= UINT64_C(1) << 63;
	hs_idk_be64(key, u);
}

/* A string's bytes with 0x00 as 0x00 0xff, ended by 0x00 0x00: a prefix sorts first. */
static void hs_idk_string(hs_buf *key, const char *s, uint32_t len)
{
	uint32_t i, from = 0;

	for (i = 0; i < len; i++) {
		if (s[i])
			continue;
		hs_buf_add(key, s + from, i - from);
		hs_buf_add(key, "\0\xff", 2);
		from = i + 1;
	}
	hs_buf_add(key, s + from, len - from);
	hs_buf_add(key, "\0\0", 2);
}

int hs_mongo_id_key(const bson_iter_t *id, hs_buf *key)
{
	const uint8_t *data;
	const char *s;
	uint32_t len, t, inc;
	bson_subtype_t sub;
	int64_t i64;
	double d;
	unsigned char c;

	switch (bson_iter_type(id)) {
	case BSON_TYPE_MINKEY:
		hs_buf_addc(key, HS_IDK_MINKEY);
		return 0;
	case BSON_TYPE_MAXKEY:
		hs_buf_addc(key, HS_IDK_MAXKEY);
		return 0;
	case BSON_TYPE_NULL:
		hs_buf_addc(key, HS_IDK_NULL);
		return 0;
	case BSON_TYPE_INT32:
		hs_buf_addc(key, HS_IDK_NUMBER);
		hs_idk_double(key, (double)bson_iter_int32(id));
		return 0;
	case BSON_TYPE_INT64:
		i64 = bson_iter_int64(id);
		d = (double)i64;
		/* 2^63 does not fit back into an int64: test the range first */
		if (d >= 9223372036854775808.0 || d < -9223372036854775808.0 || (int64_t)d != i64)
			return 1;
		hs_buf_addc(key, HS_IDK_NUMBER);
		hs_idk_double(key, d);
		return 0;
	case BSON_TYPE_DOUBLE:
		hs_buf_addc(key, HS_IDK_NUMBER);
		hs_idk_double(key, bson_iter_double(id));
		return 0;
	case BSON_TYPE_UTF8:
		s = bson_iter_utf8(id, &len);
		hs_buf_addc(key, HS_IDK_STRING);
		hs_idk_string(key, s, len);
		return 0;
	case BSON_TYPE_SYMBOL:
		s = bson_iter_symbol(id, &len);
		hs_buf_addc(key, HS_IDK_STRING);
		hs_idk_string(key, s, len);
		return 0;
	case BSON_TYPE_BINARY:
		bson_iter_binary(id, &sub, &len, &data);
		hs_buf_addc(key, HS_IDK_BINARY);
		hs_idk_be32(key, len);
		c = (unsigned char)sub;
		hs_buf_add(key, &c, 1);
		hs_buf_add(key, data, len);
		return 0;
	case BSON_TYPE_OID:
		hs_buf_addc(key, HS_IDK_OID);
		hs_buf_add(key, bson_iter_oid(id)->bytes, 12);
		return 0;
	case BSON_TYPE_BOOL:
		hs_buf_addc(key, HS_IDK_BOOL);
		hs_buf_addc(key, bson_iter_bool(id) ? 1 : 0);
		return 0;
	case BSON_TYPE_DATE_TIME:
		hs_buf_addc(key, HS_IDK_DATE);
		hs_idk_be64(key, (uint64_t)bson_iter_date_time(id) ^ (UINT64_C(1) << 63));
		return 0;
	case BSON_TYPE_TIMESTAMP:
		bson_iter_timestamp(id, &t, &inc);
		hs_buf_addc(key, HS_IDK_TIMESTAMP);
		hs_idk_be32(key, t);
		hs_idk_be32(key, inc);
		return 0;
	default:
		/* decimal128, objects, arrays, regex, code, undefined, dbpointer... */
		return 1;
	}
}
