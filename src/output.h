/*
 * output.h - where a command that writes an archive puts it (snapshot,
 * diag): `-o FILE` as given, or a SPEC-named file in `--output-dir DIR`
 * (default "."), and the folder whose lock (lock.h) the run must hold.
 *
 * Two runs into one folder within the same second would want the same SPEC
 * name.  The second then takes "<stem>-2.tar.zst" (then -3, ...): the
 * counter goes before ".tar.zst", only on a collision, and only for
 * --output-dir names (an explicit -o FILE is never renamed).  The archive
 * writer picks the free name atomically when it links the finished file
 * into place (archive.h, number_on_collision); retention orders "-N" after
 * the plain name of the same second (hs_output_name_counter).
 */
#ifndef HS_OUTPUT_H
#define HS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "error.h"

/*
 * Append the SPEC file name "<dir>/<profile>-[<label>-]YYYYMMDDTHHMMSSZ.tar.zst"
 * (UTC of t) to out.  label may be NULL.
 */
void hs_output_name(hs_buf *out, const char *dir, const char *profile, const char *label, time_t t);

/* The highest collision counter: past "<stem>-999.tar.zst" a run fails (file exists). */
#define HS_OUTPUT_COUNTER_MAX 999u

/*
 * Append path with collision counter n to out: path itself for n <= 1,
 * else "-n" inserted before a trailing ".tar.zst" (appended when there is
 * none): "d/flowc-20261207T155000Z.tar.zst", 2 -> "d/flowc-20261207T155000Z-2.tar.zst".
 */
void hs_output_numbered(hs_buf *out, const char *path, unsigned n);

/*
 * The collision counter of an archive file name (or path): N for a name
 * ending in "-YYYYMMDDTHHMMSSZ-N.tar.zst" (N >= 2, no leading zero), else
 * 1.  *stem_len (may be NULL) is the length of the name without "-N" and
 * ".tar.zst" (without ".tar.zst" only, for a name with no counter; the
 * whole length when it does not end in ".tar.zst").  A label's dashes and
 * digits never look like a counter: the SPEC name always ends with the
 * time stamp, so only digits after it count.
 */
unsigned hs_output_name_counter(const char *name, size_t *stem_len);

/*
 * The first name from counter *n on (hs_output_numbered(path, *n), then
 * *n + 1, ...) that does not exist, into out (reset first), and its counter
 * into *n.  Without numbered only path itself (*n = 1) is tried.  A check,
 * not a reservation: the archive writer's link into place decides.
 * Errors (HS_EXIT_FAILURE): "cannot write 'path': file exists" when path is
 * taken and !numbered, or every name up to HS_OUTPUT_COUNTER_MAX is.
 */
int hs_output_free_name(const char *path, bool numbered, unsigned *n, hs_buf *out, hs_error *e);

/*
 * Resolve the target: with output (-o FILE), path = output and lockdir =
 * its folder; else path = hs_output_name() in outdir (NULL = ".") and
 * lockdir = outdir.  An outdir that is not a folder is HS_EXIT_FAILURE.
 * The name may still take a counter when the archive is written: callers
 * ask for that (number_on_collision) exactly when output is NULL.
 * path and lockdir are appended to (the caller owns and releases them).
 */
int hs_output_resolve(const char *output, const char *outdir, const char *profile,
		      const char *label, time_t t, hs_buf *path, hs_buf *lockdir, hs_error *e);

#endif
