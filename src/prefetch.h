/*
 * prefetch.h - an archive reader (archive.h) run in a thread of its own:
 * it decompresses and checks the archive (zstd, SHA-256) a few slices
 * ahead while the caller parses what came before, so the two use two cores.
 * Same order, same checks and the same errors as hs_reader_next() and
 * hs_reader_read(): an entry's last slice is handed out only once its
 * checksum matched (with an index frame), the end only after the final
 * checks.  At most HS_PREFETCH_SLOTS slices of 64 KiB are ahead.
 *
 * Ownership: hs_prefetch_open() returns a reader the caller frees with
 * hs_prefetch_free() (NULL is a no-op), which stops and joins the thread.
 * One consumer thread.
 */
#ifndef HS_PREFETCH_H
#define HS_PREFETCH_H

#include <sys/types.h>

#include "archive.h"
#include "error.h"

#define HS_PREFETCH_SLOTS 16

typedef struct hs_prefetch hs_prefetch;

/* Open path (hs_reader_open: its errors) and start reading ahead. */
int hs_prefetch_open(hs_prefetch **out, const char *path, hs_error *e);
/* As hs_reader_next(): 1 and *ent (valid until the next call), 0 at the end, -1. */
int hs_prefetch_next(hs_prefetch *p, hs_reader_entry *ent, hs_error *e);
/* As hs_reader_read(): > 0 bytes of the current entry, 0 at its end, -1. */
ssize_t hs_prefetch_read(hs_prefetch *p, void *buf, size_t n, hs_error *e);
void hs_prefetch_free(hs_prefetch *p);

#endif
