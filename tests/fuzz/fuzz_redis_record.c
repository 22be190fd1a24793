/*
 * fuzz_redis_record.c - libFuzzer target: redis/db<N>.jsonl records.
 *
 * Three things per input:
 *  1. the diff parser: the input split at HS_FUZZ_SEP into two entries A
 *     and B, merged by hs_diff_redis (details on);
 *  2. every line jansson parses (JSON_ALLOW_NUL) decoded with the JSON
 *     helpers of src/sources/redis/redis_record.c (hs_redis_bytes_from_json,
 *     hs_redis_score_from_json, hs_redis_b64_decode), and each decoded
 *     key re-encoded by the snapshot encoder (hs_redis_json_bytes) and
 *     decoded again: the bytes must round-trip;
 *  3. one reading (issue #26): a line the record decoder restore uses
 *     (src/sources/redis/redis_decode.h) accepts, diff accepts too (diffed against
 *     itself: no change; against nothing: one removal), and a line it
 *     refuses, diff refuses (65).
 * A broken property aborts, so the fuzzer reports it as a crash.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diff.h"
#include "error.h"
#include "fuzz_common.h"
#include "sources/redis/redis_common.h"
#include "sources/redis/redis_decode.h"
#include "sources/redis/redis_scan.h"

#define HS_FUZZ_NAME "redis/db0.jsonl"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode a value the way restore/redis.c does for its type; the result is not used. */
static void hs_fuzz_value(const char *type, const json_t *val, hs_buf *tmp)
{
	const json_t *x, *y;
	size_t i, j;
	double d;

	if (!strcmp(type, "string")) {
		(void)hs_redis_bytes_from_json(val, tmp);
	} else if (!strcmp(type, "hash") || !strcmp(type, "zset")) {
		json_array_foreach(val, i, x) {
			(void)hs_redis_bytes_from_json(json_array_get(x, 0), tmp);
			if (!strcmp(type, "zset"))
				(void)hs_redis_score_from_json(json_array_get(x, 1), &d);
			else
				(void)hs_redis_bytes_from_json(json_array_get(x, 1), tmp);
		}
	} else if (!strcmp(type, "list") || !strcmp(type, "set")) {
		json_array_foreach(val, i, x)
			(void)hs_redis_bytes_from_json(x, tmp);
	} else if (!strcmp(type, "stream")) {
		json_array_foreach(json_object_get(val, "entries"), i, x) {
			(void)hs_redis_bytes_from_json(json_array_get(x, 0), tmp);
			json_array_foreach(json_array_get(x, 1), j, y)
				(void)hs_redis_bytes_from_json(y, tmp);
		}
		json_array_foreach(json_object_get(val, "groups"), i, x)
			(void)hs_redis_bytes_from_json(json_object_get(x, "name"), tmp);
	} else {
		x = json_object_get(val, "$dump");
		hs_buf_reset(tmp);
		if (json_is_string(x))
			(void)hs_redis_b64_decode(tmp, json_string_value(x), json_string_length(x));
	}
}

/* 0 when restore's record decoder takes the line (its plan reads it so), -1 when it refuses it. */
static int hs_fuzz_restore_takes(const char *line, size_t len)
{
	hs_rscan *s = hs_rscan_new_mem();
	hs_rdec *d = hs_rdec_new();
	hs_rscan_rec h = HS_RSCAN_REC_INIT;
	int rc;

	hs_rscan_set_mem(s, line, len, 1);
	rc = hs_rscan_head(s, &h) == 1 && !hs_rdec_value(d, s, &h, NULL) ? 0 : -1;
	hs_rscan_rec_release(&h);
	hs_rdec_free(d);
	hs_rscan_free(s);
	return rc;
}

/* Check one line; abort when a property does not hold. */
static void hs_fuzz_line(const char *line, size_t len, bool check_diff)
{
	hs_buf key = HS_BUF_INIT, enc = HS_BUF_INIT, back = HS_BUF_INIT, tmp = HS_BUF_INIT;
	json_error_t jerr;
	json_t *rec = json_loadb(line, len, JSON_ALLOW_NUL, &jerr), *again = NULL;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const json_t *exp = json_object_get(rec, "expire_at_ms");
	long long counts[3];

	/* the decoder restore uses, and diff's verdict on the same line */
	if (check_diff) {
		hs_buf one = HS_BUF_INIT;
		bool takes = !hs_fuzz_restore_takes(line, len);

		hs_buf_add(&one, line, len);
		hs_buf_addc(&one, '\n');
		if (takes && (hs_fuzz_diff(hs_diff_redis, one.data, one.len, one.data, one.len, HS_FUZZ_NAME, counts) ||
			      counts[0] || counts[1] || counts[2])) {
			fprintf(stderr, "a record the restore accepts fails hs_diff_redis against itself\n");
			abort();
		}
		if (takes != !hs_fuzz_diff(hs_diff_redis, one.data, one.len, "", 0, HS_FUZZ_NAME, counts) ||
		    (takes && counts[1] != 1)) {
			fprintf(stderr, "restore and hs_diff_redis disagree on a record (against nothing)\n");
			abort();
		}
		hs_buf_release(&one);
	}
	if (!rec || !type || hs_redis_bytes_from_json(json_object_get(rec, "key"), &key) ||
	    !json_object_get(rec, "value") || (!json_is_null(exp) && !json_is_integer(exp)))
		goto out;
	hs_fuzz_value(type, json_object_get(rec, "value"), &tmp);

	/* the snapshot's encoding of the key reads back to the same bytes */
	hs_redis_json_bytes(&enc, key.data ? key.data : "", key.len);
	again = json_loadb(enc.data, enc.len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
	if (!again || hs_redis_bytes_from_json(again, &back) || back.len != key.len ||
	    (key.len && memcmp(back.data, key.data, key.len))) {
		fprintf(stderr, "redis key bytes do not round-trip through hs_redis_json_bytes\n");
		abort();
	}
out:
	json_decref(rec);
	json_decref(again);
	hs_buf_release(&key);
	hs_buf_release(&enc);
	hs_buf_release(&back);
	hs_buf_release(&tmp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a, *b, *p = data, *end = data + size;
	size_t na, nb, lines = 0;

	hs_fuzz_split(data, size, &a, &na, &b, &nb);
	(void)hs_fuzz_diff(hs_diff_redis, a, na, b, nb, HS_FUZZ_NAME, NULL);
	while (p < end && lines < 64) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		hs_fuzz_line((const char *)p, len, lines < 4);
		lines++;
		p += len + (nl ? 1 : 0);
	}
	return 0;
}
