/*
 * fuzz_bson.c - libFuzzer target: mongo/<db>/<coll>.bson entries (a
 * stream of BSON documents), as `diff` reads them (hs_diff_mongo: length
 * framing, _id lookup and order, field comparison, relaxed Extended JSON
 * of keys and changed fields).
 *
 * The input is split at HS_FUZZ_SEP into the two entries A and B; each is
 * also diffed against itself (no change expected, but not asserted: a
 * stream may be refused) and against nothing.  A is also checked as one
 * document by hs_bson_check() (src/sources/mongo/mongo_bson.h, the reading diff,
 * restore and cat share), and a document it accepts must walk to its end
 * with libbson's iterator, into every document, array and scope, as the
 * readers after it do: else the target aborts.
 */
#include <bson/bson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "diff.h"
#include "fuzz_common.h"
#include "sources/mongo/mongo_bson.h"

#define HS_FUZZ_NAME "mongo/neural_hive/execution_tickets.bson"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk a document with libbson's iterator, recursing; false when it stops on corruption. */
static bool hs_fuzz_iter_ok(const uint8_t *p, uint32_t n)
{
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, p, n))
		return false;
	while (bson_iter_next(&it)) {
		const uint8_t *sub = NULL;
		uint32_t sl = 0, cl;

		if (BSON_ITER_HOLDS_DOCUMENT(&it))
			bson_iter_document(&it, &sl, &sub);
		else if (BSON_ITER_HOLDS_ARRAY(&it))
			bson_iter_array(&it, &sl, &sub);
		else if (BSON_ITER_HOLDS_CODEWSCOPE(&it) && !bson_iter_codewscope(&it, &cl, &sl, &sub))
			return false;
		if ((BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it) || BSON_ITER_HOLDS_CODEWSCOPE(&it)) &&
		    (!sub || !hs_fuzz_iter_ok(sub, sl)))
			return false;
	}
	return it.err_off == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a, *b;
	size_t na, nb;

	hs_fuzz_split(data, size, &a, &na, &b, &nb);
	if (na <= HS_BSON_DOC_MAX && hs_bson_check(a, na, NULL, NULL) == 0 && !hs_fuzz_iter_ok(a, (uint32_t)na))
		abort();
	(void)hs_fuzz_diff(hs_diff_mongo, a, na, b, nb, HS_FUZZ_NAME, NULL);
	(void)hs_fuzz_diff(hs_diff_mongo, a, na, a, na, HS_FUZZ_NAME, NULL);
	(void)hs_fuzz_diff(hs_diff_mongo, a, na, "", 0, HS_FUZZ_NAME, NULL);
	return 0;
}
