/*
 * restore_scan.c - restore's verifying pass; see restore_scan.h.
 */
#include <string.h>

#include "archive.h"
#include "restore_scan.h"

/*
 * One reader over the archive: each entry is offered to the scanning
 * sources still in the pass, in order; what they leave unread, and every
 * entry no source wants, is read (and so verified) by hs_reader_next().
 * The pass ends only at the end of the archive, after the reader's final
 * checks (manifest, SHA256SUMS, index frame), or at its first error.
 */
int hs_restore_scan(const char *path, hs_restore *rs, const hs_source_ops *const *ops, size_t n,
		    hs_error *errs, hs_error *e)
{
	hs_reader *rd = NULL;
	hs_reader_entry ent;
	size_t i;
	int k, ret = -1;

	for (i = 0; i < n; i++)
		hs_error_init(&errs[i]);
	if (hs_reader_open(&rd, path, e))
		goto out;
	while ((k = hs_reader_next(rd, &ent, e)) == 1) {
		for (i = 0; i < n; i++) {
			if (!ops[i]->restore_scan || errs[i].code)
				continue;
			if (!ops[i]->restore_scan(&rs[i], rd, &ent, &errs[i])) {
				continue;
			} else if (errs[i].code == HS_EXIT_INTEGRITY) {
				/* the source's read met the reader's error: the archive's */
				*e = errs[i];
				goto out;
			} else if (!errs[i].code) {
				hs_err(&errs[i], HS_EXIT_FAILURE, "reading '%s' failed", ent.name);
			}
		}
	}
	if (k == 0)
		ret = 0;
out:
	hs_reader_free(rd);
	return ret;
}
