/*
 * progress.h - progress of a long operation, per source.
 *
 * Sources feed counts (items, bytes); the reporter draws one line per source
 * on stderr, at most a few times a second, only when stderr is a terminal
 * and the run is not --quiet.  Under cron (no terminal) it draws nothing.
 * Thread-safe: several sources may feed one reporter.
 */
#ifndef HS_PROGRESS_H
#define HS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct hs_progress hs_progress;

/* Process-wide switch set by the runner (--quiet, or stderr not a tty). */
void hs_progress_enable(bool on);
bool hs_progress_enabled(void);

/* Start reporting for one source ("mongo", "redis", ...).  Never NULL. */
hs_progress *hs_progress_new(const char *source);
/* Add to the counts; redraws when due. */
void hs_progress_add(hs_progress *p, uint64_t items, uint64_t bytes);
/* Set a short note shown after the counts (e.g. the collection name). */
void hs_progress_note(hs_progress *p, const char *note);
/* Draw the final line (when enabled) and free.  NULL is a no-op. */
void hs_progress_done(hs_progress *p);

#endif
