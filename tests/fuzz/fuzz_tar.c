/*
 * fuzz_tar.c - libFuzzer target: the tar stream inside an archive.
 *
 * The input is an uncompressed tar stream; the target compresses it with
 * zstd (no index frame) and runs the archive reader over the result, so
 * the fuzzer works on tar headers, pax records, entry order and the
 * header/manifest/SHA256SUMS entries without having to get through zstd.
 * hs_tar_parse_header and hs_tar_parse_pax are also called on the raw
 * bytes directly.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>

#include "buf.h"
#include "error.h"
#include "fuzz_common.h"
#include "tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_buf z = HS_BUF_INIT;
	hs_tar_header h;
	hs_error e;
	char path[64];
	char *pax = NULL;
	uint64_t psize = 0;
	bool has = false;
	size_t bound, k;
	int fd;

	hs_error_init(&e);
	if (size >= HS_TAR_BLOCK)
		(void)hs_tar_parse_header(data, &h, &e);
	if (!hs_tar_parse_pax((const char *)data, size, &pax, &psize, &has, &e))
		free(pax);

	bound = ZSTD_compressBound(size);
	hs_buf_grow(&z, bound);
	k = ZSTD_compress(z.data, bound, data, size, 1);
	if (ZSTD_isError(k))
		goto out;
	z.len = k;
	fd = hs_fuzz_memfd(z.data, z.len, path, sizeof(path));
	if (fd >= 0) {
		hs_fuzz_read_archive(path);
		close(fd);
	}
out:
	hs_buf_release(&z);
	return 0;
}
