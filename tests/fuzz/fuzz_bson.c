/*
 * fuzz_bson.c - libFuzzer target: mongo/<db>/<coll>.bson entries (a
 * stream of BSON documents), as `diff` reads them (hs_diff_mongo: length
 * framing, _id lookup and order, field comparison, relaxed Extended JSON
 * of keys and changed fields).
 *
 * The input is split at HS_FUZZ_SEP into the two entries A and B; each is
 * also diffed against itself (no change expected, but not asserted: a
 * stream may be refused) and against nothing.
 */
#include <stddef.h>
#include <stdint.h>

#include "diff.h"
#include "fuzz_common.h"

#define HS_FUZZ_NAME "mongo/neural_hive/execution_tickets.bson"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a, *b;
	size_t na, nb;

	hs_fuzz_split(data, size, &a, &na, &b, &nb);
	(void)hs_fuzz_diff(hs_diff_mongo, a, na, b, nb, HS_FUZZ_NAME, NULL);
	(void)hs_fuzz_diff(hs_diff_mongo, a, na, a, na, HS_FUZZ_NAME, NULL);
	(void)hs_fuzz_diff(hs_diff_mongo, a, na, "", 0, HS_FUZZ_NAME, NULL);
	return 0;
}
