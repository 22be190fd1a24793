/*
 * fuzz_common.h - helpers shared by the libFuzzer targets (tests/fuzz/).
 *
 * The targets feed fuzzer bytes to the real product functions; these
 * helpers turn bytes into what those functions take: a file path (a memfd
 * seen through /proc/self/fd), a FILE *, two halves of one input, or a
 * whole v1 archive assembled from parts (tar + zstd + index frame), so a
 * target can fuzz one part (header, manifest, SHA256SUMS) while the rest
 * stays valid.
 *
 * Ownership: every hs_fuzz_* function that returns a resource says who
 * frees it; nothing here keeps state between inputs.
 */
#ifndef HS_FUZZ_COMMON_H
#define HS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "diff.h"
#include "error.h"

/* The separator hs_fuzz_split() looks for (also in the dictionaries). */
#define HS_FUZZ_SEP "\n#HSFUZZ#\n"

/*
 * Write n bytes to a new memfd and put its "/proc/self/fd/N" path in path.
 * Returns the fd (the caller closes it), or -1.
 */
int hs_fuzz_memfd(const void *data, size_t n, char *path, size_t plen);

/* A FILE * reading exactly the n bytes (any n, 0 included); fclose() frees it. */
FILE *hs_fuzz_fmem(const void *data, size_t n);

/*
 * Split data at the first HS_FUZZ_SEP: a (na bytes) before it, b (nb bytes) after it.
 * Without a separator, the whole input is a and b is empty.
 */
void hs_fuzz_split(const uint8_t *data, size_t n, const uint8_t **a, size_t *na,
		   const uint8_t **b, size_t *nb);

/* A NUL-terminated copy of n bytes (hs_xmalloc; the caller frees). */
char *hs_fuzz_strndup(const void *data, size_t n);

/*
 * Run the read-side entry points over the archive at path: hs_archive_manifest,
 * and a reader that opens, reads every entry through and looks at the header,
 * index and manifest (what hs_archive_verify does, plus the read calls).  The results are ignored: the
 * fuzzer looks for crashes, leaks, UB and hangs, not for a verdict.
 */
void hs_fuzz_read_archive(const char *path);

/* One of the diff.h entry points. */
typedef int (*hs_fuzz_diff_fn)(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts,
			       json_t *out, hs_error *e);

/*
 * Run diff over a and b (details on, at most 50 items) as cmd_diff does.
 * Returns its result (0 or -1); counts (may be NULL) gets added, removed
 * and changed.
 */
int hs_fuzz_diff(hs_fuzz_diff_fn diff, const void *a, size_t na, const void *b, size_t nb,
		 const char *name, long long counts[3]);

/* ------------------------------------------------------------ archive parts */

/* One entry of an assembled archive. */
typedef struct hs_fuzz_entry {
	const char *name;
	const void *data;
	size_t len;
	const char *source;     /* for the manifest; NULL for hivesnap.json */
} hs_fuzz_entry;

/*
 * The parts of an archive.  A NULL manifest/sums/index means "compute the
 * valid one": the manifest lists entries[] with their real sizes and
 * checksums, SHA256SUMS hashes entries[] and the manifest actually written,
 * and the index frame copies that manifest.  no_index leaves the frame out.
 */
typedef struct hs_fuzz_parts {
	const hs_fuzz_entry *entries;  /* entries[0] is hivesnap.json */
	size_t n_entries;
	const void *manifest;
	size_t manifest_len;
	const void *sums;
	size_t sums_len;
	const void *index;
	size_t index_len;
	bool no_index;
	bool index_valid;       /* index NULL: the computed manifest, not the one written */
} hs_fuzz_parts;

/*
 * The manifest of entries (sorted keys, indented, final newline; the caller
 * frees it), with a wrong sha256 for ents[bad] (SIZE_MAX: none).
 */
char *hs_fuzz_manifest(const hs_fuzz_entry *ents, size_t n, size_t bad, size_t *len);

/* Assemble the archive's bytes into out (appended). */
void hs_fuzz_build_archive(const hs_fuzz_parts *parts, hs_buf *out);

/* A valid hivesnap.json header text (static). */
extern const char hs_fuzz_header_json[];

/* The payload entries the assembled archives carry after the header (static). */
extern const hs_fuzz_entry hs_fuzz_payload[];
extern const size_t hs_fuzz_n_payload;

/* Build parts->entries from a header text and hs_fuzz_payload into ents (n_payload + 1). */
void hs_fuzz_entries(hs_fuzz_entry *ents, const void *header, size_t header_len);

/* Build, write to a memfd and run hs_fuzz_read_archive over it. */
void hs_fuzz_run_parts(const hs_fuzz_parts *parts);

#endif
