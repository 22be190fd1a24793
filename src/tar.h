/*
 * tar.h - pax/ustar header formatting and parsing, as pure byte functions.
 *
 * No I/O here: the archive writer appends what these functions format to
 * its zstd stream, and the reader hands them 512-byte blocks and pax
 * payloads it has decompressed.  That keeps the parsers unit-testable and
 * fuzzable on bytes alone.
 *
 * Written headers describe regular files only: mode 0600, uid/gid 0, owner
 * names empty, mtime the archive's creation time.  A pax 'x' extended
 * header precedes the ustar header when the name does not fit its 100-byte
 * field or the size does not fit 11 octal digits (>= 8 GiB).
 */
#ifndef HS_TAR_H
#define HS_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

#define HS_TAR_BLOCK 512
/* Largest pax extended header payload the reader accepts. */
#define HS_TAR_PAX_MAX (1024 * 1024)

/*
 * Append the header block(s) of a regular file to out: an optional pax 'x'
 * header with its payload (padded), then the ustar header.  The caller
 * checks the name (hs_entry_name_safe) first.
 */
void hs_tar_format_header(hs_buf *out, const char *name, uint64_t size, int64_t mtime);

/* Bytes of zero padding after size bytes of data (0..511). */
size_t hs_tar_padding(uint64_t size);

/* Append the end-of-archive marker: two zero blocks. */
void hs_tar_format_end(hs_buf *out);

/* One parsed header block. */
typedef struct hs_tar_header {
	bool zero;          /* an all-zero block: end of archive */
	char typeflag;      /* '0' for a regular file ('\0' is mapped to '0') */
	char name[257];     /* prefix "/" name for ustar, name otherwise */
	uint64_t size;      /* from the size field (octal or base-256) */
} hs_tar_header;

/*
 * Parse one 512-byte block: an all-zero block sets h->zero; otherwise the
 * checksum and the ustar magic are verified and the fields decoded.
 * Fails with HS_EXIT_INTEGRITY and a message without subject (the caller
 * prefixes the archive name), e.g. "bad tar header checksum".
 */
int hs_tar_parse_header(const unsigned char *block, hs_tar_header *h, hs_error *e);

/*
 * Parse a pax extended header payload (records "LEN key=value\n").
 * *path is set to a new string (caller frees) when a path record is
 * present, else left NULL; *size and *has_size from a size record.  Other
 * keys are ignored.  Malformed records fail with HS_EXIT_INTEGRITY.
 */
int hs_tar_parse_pax(const char *data, size_t len, char **path, uint64_t *size,
		     bool *has_size, hs_error *e);

#endif
