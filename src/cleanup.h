/*
 * cleanup.h - what SIGINT and SIGTERM must undo, and stale temporary files.
 *
 * A run that writes an archive holds a temporary file (and the folder's
 * lock file).  When it is stopped by SIGINT or SIGTERM they must go, and a
 * signal handler may only make async-signal-safe calls: so the paths are
 * registered here beforehand, copied into fixed static slots, and the
 * handler that hs_cleanup_install() sets unlinks every registered path,
 * writes one line to stderr and _exit()s with HS_EXIT_FAILURE (3).
 * Registering is cheap and harmless when no handler is installed (the
 * archive writer always registers its temporary file; only `snapshot`
 * installs the handler).
 *
 * SIGKILL cannot be caught: a killed run leaves its temporary file, whose
 * name carries the writer's pid ("<final>.tmp-<pid>-XXXXXX", see
 * archive.h), so a later run can tell it is stale: hs_aw_clean_stale().
 */
#ifndef HS_CLEANUP_H
#define HS_CLEANUP_H

/*
 * Register path (copied) for removal by the signal handler.  Returns a
 * slot >= 0 for hs_cleanup_remove(), or -1 when the path is too long or
 * the slots are used up (then a signal leaves the file behind, for the
 * next run to clean).  Thread-safe; slots are never reused in a process.
 */
int hs_cleanup_add(const char *path);

/* Forget a slot (the file was renamed or removed).  -1 is a no-op. */
void hs_cleanup_remove(int slot);

/* Install the SIGINT and SIGTERM handlers described above. */
void hs_cleanup_install(void);

#endif
