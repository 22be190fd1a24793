/*
 * restore_scan.h - restore's verifying pass: the archive is read once,
 * whole, and verified as hs_archive_verify() does, while the selected
 * sources that plan from their entries (hs_source_ops.restore_scan) are
 * offered each entry as it goes by, so that their plans need no pass of
 * their own.  Nothing in this pass connects to a target: what the sources
 * keep is used by their restore_plan() once the archive is known good.
 */
#ifndef HS_RESTORE_SCAN_H
#define HS_RESTORE_SCAN_H

#include <stddef.h>

#include "error.h"
#include "source.h"

/*
 * Read and verify the archive at path, offering every entry to each
 * source i < n whose ops[i]->restore_scan is set, with rs[i].  Returns 0
 * when the whole archive verified; a source whose scan failed has its
 * error in errs[i] (errs[i].code 0: none), to be reported at its turn.
 * Returns -1 with e set when the archive is bad or unreadable: the
 * reader's error, also when a source's read met it first.
 */
int hs_restore_scan(const char *path, hs_restore *rs, const hs_source_ops *const *ops, size_t n,
		    hs_error *errs, hs_error *e);

#endif
