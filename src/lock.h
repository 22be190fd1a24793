/*
 * lock.h - the advisory lock on a backup folder.
 *
 * hs_lock_acquire takes flock(LOCK_EX|LOCK_NB) on DIR/.hivesnap.lock and
 * writes "pid <pid>\nstarted <RFC 3339 UTC>\n" into it.  The lock lives as
 * long as the open file: a process that dies (even by kill -9) releases
 * it, so a stale lock file never blocks.  hs_lock_release removes the
 * file while still holding the lock (so a clean run leaves nothing behind);
 * hs_lock_acquire therefore checks, once locked, that the file it locked
 * is still the one at the path, and starts again if not.
 */
#ifndef HS_LOCK_H
#define HS_LOCK_H

#include "error.h"

typedef struct hs_lock hs_lock;

/*
 * Lock dir for this process.  The caller owns *out (hs_lock_release).
 * Errors: held by another process (75, naming its pid and start time),
 * cannot create the lock file (3).
 */
int hs_lock_acquire(const char *dir, hs_lock **out, hs_error *e);

/* Unlock and free; NULL is a no-op. */
void hs_lock_release(hs_lock *l);

#endif
