/*
 * fuzz_kafka.c - libFuzzer target: the Kafka entries hivesnap reads back,
 * kafka/groups/<group>.json, through hs_diff_kafka (the group document's
 * shape, offsets merge, deltas).  The input is split at HS_FUZZ_SEP into
 * the two documents A and B.
 *
 * (kafka/offsets.csv is only written, never parsed, by hivesnap: restore
 * reads the group documents.  See docs/fuzzing.md.)
 */
#include <stddef.h>
#include <stdint.h>

#include "diff.h"
#include "fuzz_common.h"

#define HS_FUZZ_NAME "kafka/groups/flowc-orchestrator.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a, *b;
	size_t na, nb;

	hs_fuzz_split(data, size, &a, &na, &b, &nb);
	(void)hs_fuzz_diff(hs_diff_kafka, a, na, b, nb, HS_FUZZ_NAME, NULL);
	(void)hs_fuzz_diff(hs_diff_kafka, a, na, "", 0, HS_FUZZ_NAME, NULL);
	return 0;
}
