/*
 * archive.h - archive format v1: writer and reader.
 *
 * A v1 archive is a pax tar stream compressed with zstd, followed by one
 * zstd skippable frame holding a copy of manifest.json (the index frame);
 * see docs/design.md and SPEC "Archive format v1".
 *
 *   hivesnap.json   first entry: header
 *   ...             entries written by the sources
 *   manifest.json   second to last: every other entry with size, sha256,
 *                   source, items; per-source status, times, watermark
 *   SHA256SUMS      last: `sha256sum -c` lines for every other entry
 *
 * ---------------------------------------------------------------- writer
 *
 * The writer streams: each entry's SHA-256 is computed while its bytes are
 * written, never in a second pass and never with the whole entry in memory.
 * Because a tar header needs the entry size before the data, an entry of
 * unknown size is spooled (to memory up to a small threshold, then to an
 * unlinked temporary file) and appended to the tar stream when committed.
 * This is also what makes parallel producers possible: any number of
 * entries may be open at once, from different threads; commits are
 * serialised.  Memory stays bounded whatever the entry sizes.
 *
 * The archive is written to a temporary file in the target folder
 * ("<final>.tmp-<pid>-XXXXXX", mode 0600), fsync'd, then renamed into place
 * by hs_aw_finish(): nothing half-written ever carries the final name.  The
 * temporary file is registered with hs_cleanup_add() (cleanup.h), so a run
 * stopped by SIGINT/SIGTERM removes it; one killed by SIGKILL leaves it,
 * and the pid in its name lets hs_aw_clean_stale() tell it is stale.
 *
 * Ownership: hs_aw_open() returns a writer the caller frees with
 * hs_aw_free(); freeing an unfinished writer removes its temporary file.
 * hs_entry_commit() and hs_entry_abort() free the entry in every case.
 */
#ifndef HS_ARCHIVE_H
#define HS_ARCHIVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define HS_FORMAT_NAME "hivesnap-archive"
#define HS_FORMAT_VERSION 1

typedef struct hs_archive_writer hs_archive_writer;
typedef struct hs_entry hs_entry;

typedef struct hs_archive_opts {
	const char *kind;       /* "snapshot" or "bundle" */
	const char *profile;    /* profile name, for the header */
	const char *label;      /* may be NULL */
	int zstd_level;         /* 0: default (3) */
	int zstd_threads;       /* 0: number of cores */
	int64_t created_at;     /* unix seconds; 0: now.  Tests fix it. */
	/*
	 * A taken final_path becomes "<stem>-2.tar.zst", -3, ... (output.h)
	 * instead of failing; for --output-dir names only, never for -o FILE.
	 */
	bool number_on_collision;
} hs_archive_opts;

/* Source status values for the manifest. */
#define HS_STATUS_OK "ok"
#define HS_STATUS_PARTIAL "partial"
#define HS_STATUS_FAILED "failed"
#define HS_STATUS_SKIPPED "skipped"

/*
 * Create the temporary file next to final_path and write the header entry.
 * Fails (HS_EXIT_FAILURE) if final_path already exists, unless
 * opts->number_on_collision: then the first free numbered name is taken.
 */
int hs_aw_open(hs_archive_writer **out, const char *final_path,
	       const hs_archive_opts *opts, hs_error *e);

/*
 * The archive's final path: after hs_aw_open() the name it means to take
 * (final_path, or a numbered one free at open time); after a successful
 * hs_aw_finish() the name the file has.  Borrowed, valid until hs_aw_free().
 */
const char *hs_aw_path(const hs_archive_writer *w);

/*
 * Open a new entry of unknown size.  name is the path inside the archive
 * (checked: relative, no "..", no empty component); source is "mongo",
 * "redis", "kafka", "k8s", "diag" or NULL.  Thread-safe.  hivesnap.json,
 * manifest.json and SHA256SUMS are reserved, and a name already committed
 * is refused (at begin, or at commit when two open entries share it).
 * Bytes beyond 1 MiB spool to an unlinked file in the archive's folder.
 */
int hs_entry_begin(hs_archive_writer *w, const char *name, const char *source,
		   hs_entry **out, hs_error *e);
/* Append bytes to an open entry.  Not thread-safe per entry. */
int hs_entry_write(hs_entry *en, const void *data, size_t len, hs_error *e);
/*
 * Finish the entry: append it to the tar stream with its item count (e.g.
 * documents or keys; 0 when it means nothing).  Frees en.  Thread-safe.
 */
int hs_entry_commit(hs_entry *en, uint64_t items, hs_error *e);
/* Drop an open entry: nothing of it reaches the archive.  NULL is a no-op. */
void hs_entry_abort(hs_entry *en);

/* Add a whole entry from memory (begin + write + commit). */
int hs_aw_add(hs_archive_writer *w, const char *name, const char *source,
	      const void *data, size_t len, uint64_t items, hs_error *e);
/* Add a JSON document as an entry (pretty-printed, sorted keys, final newline). */
int hs_aw_add_json(hs_archive_writer *w, const char *name, const char *source,
		   const json_t *doc, uint64_t items, hs_error *e);

/*
 * Record the outcome of a source for the manifest's "sources" object.
 * status is one of HS_STATUS_*; error may be NULL; times are unix
 * milliseconds; watermark and details are JSON objects (may be NULL) and
 * are copied.  Calling it again for the same source replaces the record.
 */
int hs_aw_source(hs_archive_writer *w, const char *source, const char *status,
		 const char *error, int64_t started_ms, int64_t ended_ms,
		 const json_t *watermark, const json_t *details, hs_error *e);

/*
 * Add an extra top-level key to the manifest (manifest.json and the index
 * frame alike), e.g. "silence" (schemas/manifest.schema.json lists the
 * allowed ones).  value is copied; setting a key again replaces it.  key is
 * [a-z0-9_]{1,64} and none of the keys the writer fills itself (format,
 * version, kind, created_at, completed_at, status, sources, entries,
 * totals): HS_EXIT_FAILURE.  Thread-safe; before hs_aw_finish().
 */
int hs_aw_set_meta(hs_archive_writer *w, const char *key, const json_t *value, hs_error *e);

/*
 * Write manifest.json, SHA256SUMS and the index frame, finish the zstd
 * stream, fsync, rename to the final path, fsync the folder.  The rename
 * never replaces a file (renameat2 RENAME_NOREPLACE, else link()): a name
 * taken meanwhile fails, or with number_on_collision moves on to the next
 * free numbered name, so the choice is atomic whoever else writes there.
 * On failure the temporary file is removed.  The writer must still be freed.
 */
int hs_aw_finish(hs_archive_writer *w, hs_error *e);

/* Free; removes the temporary file if hs_aw_finish() did not succeed. */
void hs_aw_free(hs_archive_writer *w);

/*
 * Remove the temporary files writers left in dir when they died (SIGKILL,
 * power loss): "*.tar.zst.tmp-<pid>-XXXXXX" and ".hivesnap-spool-<pid>-
 * XXXXXX" regular files owned by this user whose pid is not a live process
 * (kill(pid, 0) fails with ESRCH).  A live run's files are never touched.
 * *removed is set to the number removed.  Callers hold the folder's lock
 * (lock.h), so no writer of the same folder can be starting meanwhile.
 */
int hs_aw_clean_stale(const char *dir, unsigned *removed, hs_error *e);

/* ---------------------------------------------------------------- reader
 *
 * The reader streams an archive once and verifies as it goes.  It refuses,
 * with HS_EXIT_INTEGRITY: bytes that are not zstd, a truncated stream,
 * garbage after the tar stream, a first entry that is not a hivesnap
 * header, absolute paths, "..", links, devices, directories and any entry
 * type but a regular file, duplicate names, an entry larger than the
 * manifest (index frame) says, and at the end: a missing manifest.json or
 * SHA256SUMS, entries missing from or not in the manifest, size and
 * checksum mismatches, an index frame that differs from manifest.json.
 * A header with a newer format version is HS_EXIT_DATA.  Decompression
 * bombs are refused as they show: more than HIVESNAP_MAX_BYTES (default
 * 1 TiB) decompressed or declared by one entry, or, past 1 GiB, more than
 * HIVESNAP_MAX_EXPANSION (default 1000) bytes per compressed byte; an
 * invalid setting fails hs_reader_open() with HS_EXIT_USAGE.
 *
 * When the file ends with an index frame, the manifest is known from the
 * start, so each entry's checksum is checked as soon as its last byte has
 * been read (hs_reader_read returning 0).  Without it, the checksums are
 * checked when the manifest and SHA256SUMS have been read, at the end.
 * A caller that must not act on unverified data (restore) reads the whole
 * archive once with hs_archive_verify() first.
 */
typedef struct hs_reader hs_reader;

typedef struct hs_reader_entry {
	const char *name;       /* valid until the next hs_reader_next() */
	uint64_t size;
	const char *source;     /* from the index, or NULL when unknown */
} hs_reader_entry;

/* Open path, read the index frame if any, and the header entry. */
int hs_reader_open(hs_reader **out, const char *path, hs_error *e);
/* The parsed hivesnap.json header. */
const json_t *hs_reader_header(const hs_reader *r);
/*
 * The hivesnap.json entry's bytes exactly as stored, *len set to their
 * length; owned by the reader, valid until hs_reader_free().  Checked like
 * any entry (against the index at once when there is one, else at the end).
 * `cat hivesnap.json` and `extract` need them, since hs_reader_next() skips
 * the header.  (Added for the read-side commands.)
 */
const void *hs_reader_header_bytes(const hs_reader *r, size_t *len);
/* The manifest from the index frame, or NULL when the archive has none. */
const json_t *hs_reader_index(const hs_reader *r);
/*
 * Advance to the next entry other than hivesnap.json.  Returns 1 and fills
 * *ent, 0 at the end of the archive (after the final checks passed), or -1.
 * Unread data of the previous entry is read (and verified) and discarded.
 * manifest.json and SHA256SUMS are returned like any other entry.
 */
int hs_reader_next(hs_reader *r, hs_reader_entry *ent, hs_error *e);
/* Read up to n bytes of the current entry: > 0 bytes, 0 at its end, -1. */
ssize_t hs_reader_read(hs_reader *r, void *buf, size_t n, hs_error *e);
/* The manifest.json entry, once it has been read (else NULL). */
const json_t *hs_reader_manifest(const hs_reader *r);
void hs_reader_free(hs_reader *r);

/* Read and verify a whole archive. */
int hs_archive_verify(const char *path, hs_error *e);

/*
 * The manifest, fast: from the index frame when present (and checked to be
 * JSON of the right shape), else by reading the archive through.  The
 * caller owns *manifest (json_decref).
 */
int hs_archive_manifest(const char *path, json_t **manifest, json_t **header, hs_error *e);

/*
 * Check that an entry name is safe: relative, no "..", "." or empty
 * components, no backslash, no control bytes, valid UTF-8 (names are JSON
 * strings in the manifest), at most 4096 bytes.
 */
bool hs_entry_name_safe(const char *name);

#endif
