/*
 * extsort.h - an external sorter of (key, record) byte pairs, implemented
 * in extsort.c: the Redis capture sorts keys and big keys' members with
 * it, restore the live keys of a replace, and the MongoDB capture a
 * collection read in natural order (mongo.sort client).
 */
#ifndef HS_EXTSORT_H
#define HS_EXTSORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * An external sorter of (key, record) byte pairs by key bytes (memcmp,
 * shorter first on a common prefix).  Pairs are held in memory up to
 * mem_limit bytes; past it the held pairs are sorted and written as a run
 * to an unlinked temporary file, and hs_rsort_next() merges the runs
 * (k-way, with a heap).  With dedup, pairs with equal keys are returned
 * once (the first added) and counted in dups.
 *
 * Ownership: hs_rsort_new() returns a sorter freed by hs_rsort_free()
 * (NULL is a no-op), which closes and so removes the temporary files.
 * Pointers returned by hs_rsort_next() stay valid until the next call.
 */
typedef struct hs_rsort hs_rsort;

/* Compare two byte strings in the sorter's order: memcmp, shorter first on a common prefix. */
int hs_keycmp(const char *a, size_t an, const char *b, size_t bn);

hs_rsort *hs_rsort_new(size_t mem_limit, bool dedup);
int hs_rsort_add(hs_rsort *s, const void *key, size_t klen, const void *rec, size_t rlen,
		 hs_error *e);
/* Next pair in key order: 1 and the pointers set, 0 at the end, -1 on an I/O error.
 * No hs_rsort_add() after the first call. */
int hs_rsort_next(hs_rsort *s, const char **key, size_t *klen, const char **rec, size_t *rlen,
		  hs_error *e);
uint64_t hs_rsort_count(const hs_rsort *s);   /* pairs added */
uint64_t hs_rsort_dups(const hs_rsort *s);    /* pairs dropped as duplicates so far */
size_t hs_rsort_runs(const hs_rsort *s);      /* runs spilled to disk */
void hs_rsort_free(hs_rsort *s);

#endif
