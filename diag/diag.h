/*
 * diag.h - `hivesnap diag`: collectors gather evidence, rules inside each
 * collector turn it into findings, and everything is written, redacted,
 * into one bundle (an archive of kind "bundle", SPEC `diag/...`).
 *
 * A collector runs in a child process of its own (diag/runner.c), so one
 * that hangs (a server that accepts and never answers) is killed at its
 * timeout while the others go on.  It writes only through an hs_diag_out,
 * which is a folder on disk private to that run:
 *
 *   <dir>/entries/<name>   files that become bundle entries, e.g.
 *                          "diag/prometheus/p95_latency.json",
 *                          "k8s/<ns>/logs/<pod>/<container>.log"
 *   <dir>/result.json      the collector's record for diag/checks.json
 *   <dir>/findings.json    its findings (array)
 *   <dir>/warnings.json    non-fatal problems (array of strings)
 *
 * The parent reads all of it back after the child ended (or was killed:
 * whatever it completed is still used), redacts every entry, and adds it
 * to the bundle.  A collector therefore never needs the archive writer,
 * never redacts (the parent does, always), and must not print to stdout.
 */
#ifndef HS_DIAG_H
#define HS_DIAG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "profile.h"

enum hs_diag_severity { HS_SEV_INFO = 0, HS_SEV_WARNING, HS_SEV_CRITICAL };

/* "info" | "warning" | "critical" */
const char *hs_diag_severity_name(enum hs_diag_severity s);

/* What a collector gets.  Everything is borrowed for the run. */
typedef struct hs_diag_ctx {
	const hs_profile *profile;
	int64_t since_s;          /* --since in seconds: logs and events younger than this */
	int timeout_ms;           /* this collector's budget; the runner kills it after that */
	int64_t started_ms;       /* unix ms when the collector started */
} hs_diag_ctx;

/* A collector's output folder (see the top of this file). */
typedef struct hs_diag_out hs_diag_out;

/*
 * Create dir (mode 0700; it must not exist or be empty) and an output on
 * it.  Called by the runner in the child, before the collector runs.
 */
int hs_diag_out_new(hs_diag_out **out, const char *dir, hs_error *e);

/*
 * Write result.json, findings.json and warnings.json and free o.  Also
 * called as the collector goes: every hs_diag_out_finding and
 * hs_diag_out_set_result rewrites its file at once (atomically), so a
 * collector killed at its timeout still leaves what it had found.
 * NULL is a no-op.
 */
int hs_diag_out_close(hs_diag_out *o, hs_error *e);
void hs_diag_out_free(hs_diag_out *o);

/*
 * Add a whole entry.  name is the bundle path, checked with
 * hs_entry_name_safe(); adding a name twice is an error.
 */
int hs_diag_out_add(hs_diag_out *o, const char *name, const void *data, size_t len,
		    hs_error *e);
/* Add a JSON document as an entry (pretty-printed, sorted keys, final newline). */
int hs_diag_out_add_json(hs_diag_out *o, const char *name, const json_t *doc, hs_error *e);

/*
 * Streamed entry: a FILE* open for writing on "<dir>/entries/<name>".
 * Finish with hs_diag_out_end (which closes it and checks for write
 * errors).  For logs: write as they come, bounded by the caller.
 */
FILE *hs_diag_out_begin(hs_diag_out *o, const char *name, hs_error *e);
int hs_diag_out_end(hs_diag_out *o, FILE *f, hs_error *e);

/*
 * The collector's record for diag/checks.json ("data" of its check):
 * a JSON object; the reference is stolen.  Replaces an earlier one.
 */
int hs_diag_out_set_result(hs_diag_out *o, json_t *data, hs_error *e);

/*
 * Record a finding: severity, a one-line title ("Kafka consumer lag
 * 15000 over 1000 for group flow-c-workers"), evidence (a JSON value,
 * stolen; NULL for none) and the runbook section a person should follow
 * (a heading of the runbook, e.g. "Check Dependencies"; NULL for none).
 */
int hs_diag_out_finding(hs_diag_out *o, enum hs_diag_severity sev, const char *title,
			json_t *evidence, const char *runbook_section, hs_error *e);

/* A non-fatal problem (the collector still counts as ok, with warnings). */
int hs_diag_out_warn(hs_diag_out *o, hs_error *e, const char *fmt, ...) HS_PRINTF(3, 4);

/* The folder of the output (for the runner). */
const char *hs_diag_out_dir(const hs_diag_out *o);

/*
 * A collector.  run() returns 0 when it collected what it was asked for
 * (findings about the platform are not failures of the collector), or
 * -1 with e filled when it could not (e.g. Redis unreachable: the redis
 * collector fails AND records a finding saying so).  What it wrote
 * before failing still goes into the bundle.
 */
typedef struct hs_diag_collector {
	const char *name;         /* [a-z0-9_]+, unique: "health", "deps", "redis", ... */
	const char *title;        /* one line for summary.md, e.g. "HTTP and gRPC health" */
	bool (*configured)(const hs_profile *p);
	int (*run)(const hs_diag_ctx *c, hs_diag_out *o, hs_error *e);
	int timeout_ms;           /* default budget (the runner may be told otherwise) */
} hs_diag_collector;

/*
 * Every collector, in the order summary.md lists them, NULL-terminated
 * (diag/collectors.c: adding a collector is its own file plus one line
 * there and one extern below).
 */
extern const hs_diag_collector *const hs_diag_collectors[];

/* Look a collector up by name; NULL when there is none. */
const hs_diag_collector *hs_diag_collector_find(const char *name);

#endif
