/*
 * fuzz_archive.c - libFuzzer target: a whole archive file.
 *
 * The input is the file's bytes exactly (zstd frames, tar stream, index
 * frame); they are written to a memfd and every read-side entry point runs
 * over it (hs_archive_verify, hs_archive_manifest, hs_reader_*), as
 * verify, cat, ls, extract, restore and diff do.
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = hs_fuzz_memfd(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	hs_fuzz_read_archive(path);
	close(fd);
	return 0;
}
