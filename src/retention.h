/*
 * retention.h - the archives of a backup folder, and which of them a keep
 * policy keeps.
 *
 * hs_backupdir_scan reads the header and manifest of every *.tar.zst in a
 * folder (from the index frame, fast) and returns them newest first.
 * hs_retention_apply is pure logic on such an array (restic's semantics):
 * walking newest to oldest, --keep-last N keeps the N newest complete
 * archives, --keep-hourly/daily/weekly/monthly N keep the newest complete
 * archive of each of the N newest hours/days/ISO weeks/months (UTC) that
 * have one.  Partial and failed archives never fill a keep slot; they are
 * removed, but after every complete archive that goes (hs_retention_order
 * puts them last).  Files that are not readable hivesnap archives are never
 * touched.
 */
#ifndef HS_RETENTION_H
#define HS_RETENTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "error.h"

/* One file of a backup folder.  Strings and sources are owned by the array. */
typedef struct hs_backup {
	char *name;        /* file name in the folder */
	char *path;        /* folder/name */
	int64_t created;   /* header created_at, seconds since the epoch (UTC) */
	char *created_at;  /* header created_at as written (RFC 3339) */
	char *kind;        /* "snapshot" | "bundle"; NULL when unreadable */
	char *label;       /* NULL when none */
	char *profile;     /* NULL when unreadable */
	char *status;      /* manifest status ok|partial|failed, or "unreadable" */
	char *error;       /* why it is unreadable, else NULL */
	int64_t size;      /* file size in bytes */
	json_t *sources;   /* {"mongo":"ok",...}; NULL when unreadable */
	/* filled by hs_retention_apply */
	bool keep;
	char reason[160];  /* why it is kept or removed */
} hs_backup;

typedef struct hs_keep_policy {
	int last, hourly, daily, weekly, monthly; /* 0: rule not used */
} hs_keep_policy;

/*
 * Read every regular *.tar.zst file of dir (dot files skipped: they are
 * archives still being written).  *out is sorted newest first
 * (hs_backup_cmp); free it with hs_backups_free.  An unreadable
 * file is listed with status "unreadable", not an error.  Errors: the
 * folder cannot be read (3).
 */
int hs_backupdir_scan(const char *dir, hs_backup **out, size_t *n, hs_error *e);
void hs_backups_free(hs_backup *b, size_t n);

/*
 * The scan's order, newest first: by created, then (the same second) by
 * name without its collision counter (output.h), greater first, then by
 * counter, greater first: "x-…Z-2.tar.zst" was written after "x-…Z.tar.zst"
 * and "-10" after "-9".  Returns <0 when a comes first.
 */
int hs_backup_cmp(const hs_backup *a, const hs_backup *b);

/* True when the policy has at least one rule. */
bool hs_keep_policy_any(const hs_keep_policy *p);

/*
 * Decide keep and reason for b[0..n), sorted newest first.  Only status
 * "ok" counts as complete; "unreadable" is always kept (left alone).
 */
void hs_retention_apply(const hs_keep_policy *p, hs_backup *b, size_t n);

/*
 * The order to remove in: fills idx with the indexes of the archives not
 * kept, complete ones (oldest first) before partial/failed ones (oldest
 * first); returns how many.  idx has room for n.
 */
size_t hs_retention_order(const hs_backup *b, size_t n, size_t *idx);

/*
 * Parse the N of a --keep-RULE option (0..1000000) into *out.
 * Errors: not a number (64, naming the option).
 */
int hs_keep_parse(const char *opt, const char *arg, int *out, hs_error *e);

/*
 * Apply p to dir: scan, decide, and unless dry_run remove the archives not
 * kept in hs_retention_order.  The caller holds the folder lock.  *report
 * (caller owns; may be NULL) is {"dir","dry_run","archives":[{"name",
 * "created_at","status","action":"keep"|"remove","reason"}],"kept",
 * "removed","removed_bytes"} (schemas/prune.schema.json), archives newest
 * first.  Errors: folder unreadable or an archive cannot be removed (3;
 * the ones before it are gone, the report says which).
 */
int hs_retention_run(const char *dir, const hs_keep_policy *p, bool dry_run, json_t **report,
		     hs_error *e);

#endif
