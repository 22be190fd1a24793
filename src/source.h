/*
 * source.h - a data source (mongo, redis, kafka, k8s) behind one const ops
 * table, as libarchive's formats are: adding a source touches its own files
 * and one line of hs_sources[] in src/sources.c.
 *
 * Capture writes entries through the archive writer (src/archive.h) and
 * reports its outcome in the hs_capture it was given; the snapshot command
 * (src/cmd_snapshot.c) records that in the manifest.  Restore, rollback and
 * diff hooks are added to this table by the issues that build them; the
 * content check (entry_check) is what `verify` asks of each entry.
 */
#ifndef HS_SOURCE_H
#define HS_SOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "archive.h"
#include "error.h"
#include "profile.h"
#include "progress.h"

/* Options of one snapshot run that sources may look at. */
typedef struct hs_snapshot_opts {
	int parallel;           /* collections/keys read in parallel; 0 = source default */
	int64_t since_s;        /* k8s logs: --since in seconds; 0 = profile default */
	bool allow_partial;     /* --allow-partial given */
} hs_snapshot_opts;

/*
 * What a capture gets and gives back.  The source fills watermark and
 * details (new references the framework takes over) and sets partial when
 * it captured something but not everything it was asked for (the manifest
 * then says "partial" with the warning text).
 */
typedef struct hs_capture {
	const hs_profile *profile;
	const hs_snapshot_opts *opts;
	hs_archive_writer *aw;
	hs_progress *progress;
	/* out */
	json_t *watermark;
	json_t *details;
	bool partial;
	char warning[HS_ERROR_MSG_MAX];
} hs_capture;

/* Options of one restore run (SPEC `hivesnap restore`). */
typedef struct hs_restore_opts {
	bool execute;                 /* --execute: act; else only plan */
	bool force;                   /* --force: overwrite objects changed since the snapshot */
	bool restart;                 /* --restart: restart Deployments using changed ConfigMaps */
	bool stop_on_error;           /* --stop-on-error */
	bool kafka_by_time;           /* --kafka-by-time */
	bool allow_system;            /* --allow-system: mongo may restore admin, local, config, system.* */
	const char *mongo_mode;       /* insert|upsert|replace (default insert) */
	const char *redis_mode;       /* merge|replace (default merge) */
	const char *redis_ttl;        /* absolute|relative|none (default absolute) */
	const char *to_mongo;         /* --to-mongo URI or NULL (profile) */
	const char *to_redis;         /* --to-redis URI or NULL */
	const char *to_kafka;         /* --to-kafka BROKERS or NULL */
	const char *to_context;       /* --to-context CTX or NULL */
	const char *const *include;   /* --include globs (NULL-terminated, may be NULL) */
	const char *const *exclude;   /* --exclude globs */
	const char *const *map_ns;    /* --map-ns SRC=DST */
	const char *const *map_k8s_ns; /* --map-k8s-ns SRC=DST (Kubernetes namespaces) */
} hs_restore_opts;

/*
 * What a restore gets and gives back.  The archive has been verified
 * whole before plan() is called.  plan() connects to the target, runs the
 * source's preflight checks (a refused precondition is HS_EXIT_PRECOND)
 * and fills plan with a JSON array of steps, each an object with at least
 * {"target": "...", "action": "...", "detail": "..."}; it changes nothing.
 * apply() (only with --execute, after every source's plan succeeded)
 * streams the source's entries from archive_path with its own hs_reader,
 * carries the plan out and fills result with counts per target; a failed
 * step returns -1 and result says what was and was not applied.
 */
typedef struct hs_restore {
	const hs_profile *profile;
	const hs_restore_opts *opts;
	const char *archive_path;
	const json_t *manifest;
	hs_progress *progress;
	/* out: new references the framework takes over */
	json_t *plan;
	json_t *result;
	void *state;                  /* the source's own, kept from plan to apply */
} hs_restore;

typedef struct hs_source_ops {
	const char *name;
	/* True when the profile configures this source (else it is "skipped"). */
	bool (*configured)(const hs_profile *p);
	/*
	 * Capture into c->aw.  Returns 0 (ok, or partial when c->partial is
	 * set) or -1 with e filled (the source failed; entries it already
	 * committed stay in the archive only under --allow-partial).
	 */
	int (*capture)(hs_capture *c, hs_error *e);
	/* Restore, in the SPEC's order kafka, redis, mongo, k8s; NULL when the source has none. */
	int (*restore_plan)(hs_restore *r, hs_error *e);
	int (*restore_apply)(hs_restore *r, hs_error *e);
	/*
	 * Optional, for a source whose plan reads its entries: the verifying
	 * pass of restore (src/restore_scan.c) offers it every entry as it reads
	 * the archive, so the plan needs no pass of its own.  It runs BEFORE
	 * the archive is verified: it may read the entry (hs_reader_read) and
	 * keep what its plan needs in r->state (restore_release frees it), and
	 * must not connect to any target.  restore_plan() is called after the
	 * whole archive was verified, as for any source, and plans from what
	 * was kept.  -1 ends the source's part of the pass; its error is
	 * reported at its turn (an integrity error, the reader's, at once).
	 */
	int (*restore_scan)(hs_restore *r, hs_reader *rd, const hs_reader_entry *ent, hs_error *e);
	/* Free r->state; NULL-safe. */
	void (*restore_release)(hs_restore *r);
	/*
	 * Optional: check the content of rd's current entry ent, one of this
	 * source's ("<name>/..."), the way restore, rollback, diff and cat read
	 * it, so that `verify` (src/cmd_verify.c) refuses what they refuse and
	 * for the same reason.  Pure reading: no connection, no profile, nothing
	 * kept; archive is the archive's path, for messages.  Returns 0 when the
	 * entry is good or not one the source reads; else -1 with e set: bad
	 * content is HS_EXIT_DATA naming the entry and the reason, and an error
	 * of the reader (HS_EXIT_INTEGRITY) is passed on as it is.
	 */
	int (*entry_check)(const char *archive, hs_reader *rd, const hs_reader_entry *ent, hs_error *e);
} hs_source_ops;

/* All sources in capture and restore order, NULL-terminated (src/sources.c). */
extern const hs_source_ops *const hs_sources[];

/* Look a source up by name; NULL when there is none. */
const hs_source_ops *hs_source_find(const char *name);

/*
 * Parse a comma list of source names ("mongo,redis") into a bit set over
 * hs_sources[] (bit i = hs_sources[i]).  Unknown names are a usage error
 * naming the name and the known ones.
 */
int hs_source_parse_list(const char *list, unsigned *mask, hs_error *e);

#endif
