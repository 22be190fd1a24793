/*
 * metrics.h - the --metrics-file of a snapshot run: Prometheus text format
 * for node_exporter's textfile collector, written atomically (a temporary
 * file in the same folder, then rename), mode 0644.
 *
 * Series (all gauges, label profile; per source also source):
 *   hivesnap_last_run_timestamp_seconds, hivesnap_last_run_duration_seconds,
 *   hivesnap_last_run_exit_code, hivesnap_last_success_timestamp_seconds
 *   (carried over from the previous file when this run did not exit 0; 0
 *   when there never was one), hivesnap_archive_bytes (0 when nothing was
 *   written), hivesnap_source_items, hivesnap_source_bytes,
 *   hivesnap_source_status{status="ok|partial|failed|skipped"} (1 for the
 *   source's status, 0 for the others).
 */
#ifndef HS_METRICS_H
#define HS_METRICS_H

#include <jansson.h>
#include <stdint.h>

#include "error.h"

typedef struct hs_run_metrics {
	const char *profile;
	int64_t started_ms, ended_ms;
	int exit_code;
	const char *archive;         /* the written archive, or NULL */
	const json_t *source_status; /* {"redis":"failed",...}, used when archive is NULL */
} hs_run_metrics;

/* Write path atomically.  Errors: cannot write it (3). */
int hs_metrics_write(const char *path, const hs_run_metrics *m, hs_error *e);

#endif
