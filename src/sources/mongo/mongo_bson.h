/*
 * mongo_bson.h - the one reading of a mongo/<db>/<coll>.bson entry:
 * concatenated BSON documents (SPEC "Archive format v1"), each one checked
 * whole before it is handed out.  restore (restore/mongo.c: its verifying
 * pass and its load), diff (src/sources/mongo/diff_mongo.c) and cat --json
 * (src/cmd_cat.c) read .bson entries only through this, so they agree on
 * what a good document is, and a bad one is HS_EXIT_DATA (65) in all three.
 *
 * A document is good when it is BSON as bsonspec.org defines it, checked
 * as libbson's iterator would, everywhere and to any depth:
 *   - its length field is at least 5, at most HS_BSON_DOC_MAX, and the
 *     bytes are there; it ends with a NUL; nothing follows its last
 *     element but that NUL (no trailing garbage, also in nested ones);
 *   - every element has a known type (0x01-0x13, 0x7F, 0xFF) and a key
 *     that ends with a NUL inside its document;
 *   - fixed-size values fit; strings, code and symbols (and a DBPointer's
 *     string) have a length of at least 1 that fits and end with a NUL;
 *     a binary's length fits, and an old binary (subtype 2) holds the
 *     inner length it should; a bool is 0 or 1; a regex is two C strings;
 *   - embedded documents and arrays are good documents that fit exactly in
 *     their parent; a code-with-scope's total length is exactly its
 *     string's and its scope document's, and the scope is a good document.
 * Not checked, on purpose, as MongoDB stores them and mongorestore
 * restores them: key names (empty, with '.', starting with '$', duplicate,
 * array keys out of sequence), UTF-8 of keys and strings, regex options.
 * (libbson's bson_validate() and its Extended JSON writer refuse a key that
 * is not UTF-8; its iterator, which diff and restore use, does not.)
 * The walk is iterative (no recursion: any depth a 16 MiB document can
 * hold) and reads every byte once, so diff stays about as fast as its
 * decompression (docs/BENCHMARKS.md).
 *
 * Unit tests: tests/unit/test_mongo_bson.c.
 */
#ifndef HS_MONGO_BSON_H
#define HS_MONGO_BSON_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "error.h"
#include "linereader.h"

/*
 * The largest document accepted: MongoDB's 16 MiB document limit plus the
 * 16 KiB it allows itself internally (BSONObjMaxInternalSize).  The server
 * never returns a larger one, so capture never writes one.
 */
#define HS_BSON_DOC_MAX (16u * 1024 * 1024 + 16u * 1024)

/*
 * Check the structure of one document of len bytes at doc (see the top).
 * Returns 0 when it is good; else -1 with *why (a static string, e.g.
 * "unknown element type") and *at (the byte offset in doc where the
 * problem is).  why and at may be NULL.  Pure: no allocation but for
 * documents nested deeper than 64, no I/O.
 */
int hs_bson_check(const uint8_t *doc, size_t len, const char **why, size_t *at);

/*
 * A stream of the documents of one .bson entry, read through a line reader
 * (linereader.h; borrowed, as is name, the entry's name for messages).
 * Initialise with hs_bson_stream_init(); there is nothing to free.
 */
typedef struct hs_bson_stream {
	hs_linereader *lr;
	const char *name;
	uint64_t docno;   /* documents handed out so far (or being read: messages count from 1) */
	uint64_t off;     /* byte offset in the entry of the next document */
} hs_bson_stream;

void hs_bson_stream_init(hs_bson_stream *s, hs_linereader *lr, const char *name);

/*
 * The next document: 1 with *doc and *len (the document's bytes in the
 * line reader's window, valid until the next call on s or its reader), 0
 * at the end of the entry (no byte left), -1 with e set:
 *   - a read error: the read function's error as it is (an archive
 *     reader's checksum mismatch stays HS_EXIT_INTEGRITY);
 *   - bad data: HS_EXIT_DATA, "bad BSON in '<name>': document <N> at
 *     byte <O>: <what is wrong>" (a length out of bounds, a document the
 *     entry ends inside of, a document hs_bson_check() refuses).
 * After -1 the stream must not be used again.
 */
int hs_bson_stream_next(hs_bson_stream *s, const uint8_t **doc, uint32_t *len, hs_error *e);

/*
 * A read function for hs_lr_new() over the current entry of an archive
 * reader (ctx: the hs_reader *): hs_reader_read().
 */
ssize_t hs_bson_entry_read(void *ctx, void *buf, size_t n, hs_error *e);

/*
 * Read the rest of rd's current entry (named name) as a .bson entry,
 * checking every document, and count them in *ndocs (may be NULL).
 * Returns 0, or -1 with e as hs_bson_stream_next() sets it.  Memory: one
 * window and the largest document.
 */
int hs_bson_entry_check(hs_reader *rd, const char *name, uint64_t *ndocs, hs_error *e);

#endif
