/*
 * fuzz_manifest.c - libFuzzer target: the hivesnap.json header, the
 * manifest.json entry and the index frame's manifest copy.
 *
 * The first input byte chooses the part, the rest is its text; every
 * other part of the archive is assembled valid around it (fuzz_common.c),
 * so the reader's JSON checks are reached on every input:
 *   0  hivesnap.json (the manifest and SHA256SUMS are computed to match)
 *   1  manifest.json and its index copy, the same bytes
 *   2  manifest.json only; the index copy is the valid manifest
 *   3  the index copy only; manifest.json is valid
 *   4  manifest.json, no index frame (checks made at the end)
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
	const uint8_t *text = data + 1;
	size_t tlen;
	int mode;

	if (size < 1)
		return 0;
	mode = data[0] % 5;
	tlen = size - 1;
	memset(&parts, 0, sizeof(parts));
	if (mode == 0)
		hs_fuzz_entries(ents, text, tlen);
	else
		hs_fuzz_entries(ents, hs_fuzz_header_json, strlen(hs_fuzz_header_json));
	parts.entries = ents;
	parts.n_entries = hs_fuzz_n_payload + 1;
	switch (mode) {
	case 1:
		parts.manifest = text;
		parts.manifest_len = tlen;
		break;
	case 2:
		parts.manifest = text;
		parts.manifest_len = tlen;
		parts.index_valid = true;
		break;
	case 3:
		parts.index = text;
		parts.index_len = tlen;
		break;
	case 4:
		parts.manifest = text;
		parts.manifest_len = tlen;
		parts.no_index = true;
		break;
	default:
		break;
	}
	hs_fuzz_run_parts(&parts);
	return 0;
}
