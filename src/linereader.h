/*
 * linereader.h - lines and length-prefixed records read out of a window,
 * for the diff merges (diff_redis.c: JSON lines; diff_mongo.c: BSON
 * documents).
 *
 * A reader pulls bytes from a read function (an archive entry through
 * hs_reader_read, a part of a temporary file, a FILE) into its own window
 * (HS_LR_WINDOW bytes unless told) and hands out a pointer and a length
 * inside that window: the bytes are copied once, from the source into the
 * window, and not again.  A refill reads until the window is full or the
 * data ends (two readers used in turn switch sources a window at a time,
 * not a read at a time).  Only what straddles a refill moves (the partial
 * line or record goes to the window's start), and a line or record longer
 * than the window is gathered in a side buffer that grows to its size, so
 * memory stays bounded by the window and the largest record.
 *
 * Ownership: hs_lr_new() returns a reader the caller frees with
 * hs_lr_free() (NULL is a no-op); the read function's context stays the
 * caller's.  A pointer handed out is valid until the next call on the same
 * reader.  After a read error (-1) the reader must not be used again.
 */
#ifndef HS_LINEREADER_H
#define HS_LINEREADER_H

#include <stdio.h>
#include <sys/types.h>

#include "error.h"

#define HS_LR_WINDOW (256 * 1024)

/*
 * Read up to n bytes into buf: > 0 bytes, 0 at the end, -1 with e set.
 * Called again after a short read; never called again after 0.
 */
typedef ssize_t (*hs_lr_read_fn)(void *ctx, void *buf, size_t n, hs_error *e);

typedef struct hs_linereader hs_linereader;

/* A reader over fn(ctx, ...) with a window of window bytes (0: HS_LR_WINDOW). */
hs_linereader *hs_lr_new(hs_lr_read_fn fn, void *ctx, size_t window);
void hs_lr_free(hs_linereader *lr);

/*
 * The next line: *line points at its bytes and *len counts them with the
 * '\n' that ends it, as getline() does (a last line without one has
 * none).  NUL bytes are bytes like any other.  Returns 1, 0 at the end (no
 * bytes left), -1 on a read error (e from the read function).
 */
int hs_lr_line(hs_linereader *lr, const char **line, size_t *len, hs_error *e);

/*
 * The next n bytes without taking them: *p points at them and *got is n,
 * or fewer when the data ends first.  n is at most the window's size.
 * Returns 0, or -1 on a read error.
 */
int hs_lr_peek(hs_linereader *lr, size_t n, const char **p, size_t *got, hs_error *e);

/*
 * Take the next n bytes (any n): *p points at them and *got is n, or
 * fewer when the data ends first.  Returns 0, or -1 on a read error.
 */
int hs_lr_take(hs_linereader *lr, size_t n, const char **p, size_t *got, hs_error *e);

/*
 * A read function for a FILE (ctx), for hs_lr_new(): fread, and a read
 * error is "read error" (HS_EXIT_FAILURE; callers prefix what they read).
 */
ssize_t hs_lr_read_file(void *ctx, void *buf, size_t n, hs_error *e);

#endif
