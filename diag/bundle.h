/*
 * bundle.h - the diag bundle: an archive of kind "bundle" (SPEC `diag/...`).
 *
 * After the runner (runner.h) has run the collectors, the bundle takes,
 * for each collector in table order, every file its child left under
 * <dir>/entries and streams it, redacted (diag/redact.h) unless redaction
 * is off, into an archive entry of the same name (memory stays bounded:
 * logs can be big).  Then come the core's own entries, redacted too:
 *
 *   diag/checks.json     one record per collector (schemas/checks.schema.json)
 *   diag/findings.json   every collector's findings with "collector" added,
 *                        critical first, plus one per collector that failed
 *                        or timed out (schemas/findings.schema.json)
 *   diag/summary.md      what `hivesnap diag` prints: findings first, then
 *                        the collectors' statuses, then how to open it
 *   diag/redaction.json  the redactor's report: rule -> count, "enabled"
 *
 * Each collector is recorded in the manifest's sources under its own name
 * (ok/warning -> "ok", failed and timeout -> "failed", skipped ->
 * "skipped"); its entries carry its name as their source.
 *
 * Ownership: hs_diag_bundle_open() returns a bundle the caller frees with
 * hs_diag_bundle_free(), which removes the unfinished archive's temporary
 * file.  The runs and the profile are borrowed.
 */
#ifndef HS_DIAG_BUNDLE_H
#define HS_DIAG_BUNDLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "profile.h"
#include "runner.h"

typedef struct hs_diag_bundle hs_diag_bundle;

typedef struct hs_diag_bundle_opts {
	const hs_profile *profile;
	const char *label;           /* header label, e.g. "diag" */
	int64_t created_at;          /* unix seconds: the run's start */
	int64_t since_s;             /* --since, for summary.md */
	bool redact;                 /* false only with --no-redact */
	bool number_on_collision;    /* a taken path gets "-2.tar.zst", ... (output.h); not for -o */
} hs_diag_bundle_opts;

/*
 * Check that path does not exist (HS_EXIT_FAILURE; with number_on_collision
 * take the first free numbered name instead) and build the redactor.
 * The archive writer itself is opened by hs_diag_bundle_write(), after the
 * collectors' children have ended: the writer starts zstd's worker threads,
 * and fork() in a process with running threads can hand the child a lock
 * (malloc's, ASan's allocator's) held for ever.  Nothing appears at path
 * before hs_diag_bundle_write() succeeds.
 */
int hs_diag_bundle_open(hs_diag_bundle **out, const char *path, const hs_diag_bundle_opts *o,
			hs_error *e);

/*
 * Add every run's entries and the core entries, record the sources and
 * finish the archive (it appears at its path atomically).  Problems with
 * one collector's files (an unsafe or duplicate name) become warnings of
 * that collector's check; I/O errors fail the whole bundle.
 */
int hs_diag_bundle_write(hs_diag_bundle *b, const hs_diag_run *runs, size_t n, hs_error *e);

/* After a successful write: the redacted checks and findings arrays (borrowed). */
const json_t *hs_diag_bundle_checks(const hs_diag_bundle *b);
const json_t *hs_diag_bundle_findings(const hs_diag_bundle *b);
/* After a successful write: the redacted summary.md text (borrowed, NUL-terminated). */
const char *hs_diag_bundle_summary(const hs_diag_bundle *b);

/*
 * The bundle's path: the name chosen by hs_diag_bundle_open(), after a
 * successful write the name the file has (the writer may have numbered it
 * when another file took the name meanwhile; summary.md names the one
 * chosen at open).  Borrowed.
 */
const char *hs_diag_bundle_path(const hs_diag_bundle *b);

void hs_diag_bundle_free(hs_diag_bundle *b);

#endif
