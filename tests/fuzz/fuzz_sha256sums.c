/*
 * fuzz_sha256sums.c - libFuzzer target: the SHA256SUMS entry.
 *
 * The input is the SHA256SUMS text of an otherwise valid archive (header,
 * payload, manifest and index computed by fuzz_common.c); the first byte
 * chooses whether the index frame is there (even) or not (odd), since the
 * reader checks differently with and without it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_fuzz_entry ents[8];
	hs_fuzz_parts parts;

	if (size < 1)
		return 0;
	memset(&parts, 0, sizeof(parts));
	hs_fuzz_entries(ents, hs_fuzz_header_json, strlen(hs_fuzz_header_json));
	parts.entries = ents;
	parts.n_entries = hs_fuzz_n_payload + 1;
	parts.sums = data + 1;
	parts.sums_len = size - 1;
	parts.no_index = data[0] & 1;
	hs_fuzz_run_parts(&parts);
	return 0;
}
