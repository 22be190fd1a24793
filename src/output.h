/*
 * output.h - where a command that writes an archive puts it (snapshot,
 * diag): `-o FILE` as given, or a SPEC-named file in `--output-dir DIR`
 * (default "."), and the folder whose lock (lock.h) the run must hold.
 */
#ifndef HS_OUTPUT_H
#define HS_OUTPUT_H

#include <time.h>

#include "buf.h"
#include "error.h"

/*
 * Append the SPEC file name "<dir>/<profile>-[<label>-]YYYYMMDDTHHMMSSZ.tar.zst"
 * (UTC of t) to out.  label may be NULL.
 */
void hs_output_name(hs_buf *out, const char *dir, const char *profile, const char *label, time_t t);

/*
 * Resolve the target: with output (-o FILE), path = output and lockdir =
 * its folder; else path = hs_output_name() in outdir (NULL = ".") and
 * lockdir = outdir.  An outdir that is not a folder is HS_EXIT_FAILURE.
 * path and lockdir are appended to (the caller owns and releases them).
 */
int hs_output_resolve(const char *output, const char *outdir, const char *profile,
		      const char *label, time_t t, hs_buf *path, hs_buf *lockdir, hs_error *e);

#endif
