/*
 * metrics.c - write the node_exporter textfile of a run.  See metrics.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "metrics.h"

/* A label value with \, " and newline escaped. */
static void hs_label_esc(hs_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			hs_buf_addc(b, '\\');
		if (*s == '\n') {
			hs_buf_adds(b, "\\n");
			continue;
		}
		hs_buf_addc(b, *s);
	}
}

/* The value of hivesnap_last_success_timestamp_seconds in an old file, else 0. */
static double hs_prev_success(const char *path)
{
	static const char key[] = "hivesnap_last_success_timestamp_seconds{";
	FILE *f = fopen(path, "r");
	char line[1024];
	double v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, key, sizeof(key) - 1) || !(p = strchr(line, '}')))
			continue;
		v = strtod(p + 1, NULL);
		break;
	}
	fclose(f);
	return v;
}

static void hs_head(hs_buf *b, const char *name, const char *help)
{
	hs_buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* Write the file; see metrics.h. */
int hs_metrics_write(const char *path, const hs_run_metrics *m, hs_error *e)
{
	static const char *const statuses[] = { "ok", "partial", "failed", "skipped" };
	hs_buf out = HS_BUF_INIT, prof = HS_BUF_INIT, tmp = HS_BUF_INIT;
	json_t *manifest = NULL, *header = NULL, *srcs = NULL, *v;
	const char *key;
	struct stat st;
	double success;
	int64_t archive_bytes = 0;
	hs_error re;
	FILE *f = NULL;
	int rc = -1, i;

	hs_error_init(&re);
	if (m->archive && stat(m->archive, &st) == 0) {
		archive_bytes = (int64_t)st.st_size;
		if (hs_archive_manifest(m->archive, &manifest, &header, &re) == 0)
			srcs = json_object_get(manifest, "sources");
	}
	hs_label_esc(&prof, m->profile && *m->profile ? m->profile : "unknown");
	success = m->exit_code == 0 ? (double)m->ended_ms / 1000.0 : hs_prev_success(path);

	hs_head(&out, "hivesnap_last_run_timestamp_seconds", "When the last snapshot run ended.");
	hs_buf_addf(&out, "hivesnap_last_run_timestamp_seconds{profile=\"%s\"} %.3f\n", prof.data,
		    (double)m->ended_ms / 1000.0);
	hs_head(&out, "hivesnap_last_success_timestamp_seconds", "When the last snapshot run that exited 0 ended.");
	hs_buf_addf(&out, "hivesnap_last_success_timestamp_seconds{profile=\"%s\"} %.3f\n", prof.data, success);
	hs_head(&out, "hivesnap_last_run_duration_seconds", "How long the last snapshot run took.");
	hs_buf_addf(&out, "hivesnap_last_run_duration_seconds{profile=\"%s\"} %.3f\n", prof.data,
		    (double)(m->ended_ms - m->started_ms) / 1000.0);
	hs_head(&out, "hivesnap_last_run_exit_code", "Exit code of the last snapshot run (SPEC exit codes).");
	hs_buf_addf(&out, "hivesnap_last_run_exit_code{profile=\"%s\"} %d\n", prof.data, m->exit_code);
	hs_head(&out, "hivesnap_archive_bytes", "Size of the archive the last run wrote (0: none).");
	hs_buf_addf(&out, "hivesnap_archive_bytes{profile=\"%s\"} %" PRId64 "\n", prof.data, archive_bytes);

	hs_head(&out, "hivesnap_source_items", "Items (documents, keys, ...) the last run captured per source.");
	json_object_foreach(srcs ? srcs : (json_t *)m->source_status, key, v) {
		hs_buf_addf(&out, "hivesnap_source_items{profile=\"%s\",source=\"", prof.data);
		hs_label_esc(&out, key);
		hs_buf_addf(&out, "\"} %" JSON_INTEGER_FORMAT "\n", json_integer_value(json_object_get(v, "items")));
	}
	hs_head(&out, "hivesnap_source_bytes", "Bytes the last run captured per source.");
	json_object_foreach(srcs ? srcs : (json_t *)m->source_status, key, v) {
		hs_buf_addf(&out, "hivesnap_source_bytes{profile=\"%s\",source=\"", prof.data);
		hs_label_esc(&out, key);
		hs_buf_addf(&out, "\"} %" JSON_INTEGER_FORMAT "\n", json_integer_value(json_object_get(v, "bytes")));
	}
	hs_head(&out, "hivesnap_source_status", "1 for the status each source had in the last run.");
	json_object_foreach(srcs ? srcs : (json_t *)m->source_status, key, v) {
		const char *st_s = srcs ? json_string_value(json_object_get(v, "status")) : json_string_value(v);

		for (i = 0; i < 4; i++) {
			hs_buf_addf(&out, "hivesnap_source_status{profile=\"%s\",source=\"", prof.data);
			hs_label_esc(&out, key);
			hs_buf_addf(&out, "\",status=\"%s\"} %d\n", statuses[i], st_s && !strcmp(st_s, statuses[i]));
		}
	}

	hs_buf_addf(&tmp, "%s.%ld.tmp", path, (long)getpid());
	f = fopen(tmp.data, "wx");
	if (!f || fwrite(out.data, 1, out.len, f) != out.len || fflush(f) || fchmod(fileno(f), 0644) ||
	    fsync(fileno(f))) {
		hs_err(e, HS_EXIT_FAILURE, "cannot write metrics file '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fclose(f)) {
		f = NULL;
		hs_err(e, HS_EXIT_FAILURE, "cannot write metrics file '%s': %s", path, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp.data, path)) {
		hs_err(e, HS_EXIT_FAILURE, "cannot write metrics file '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	if (rc && tmp.data)
		unlink(tmp.data);
	json_decref(manifest);
	json_decref(header);
	hs_buf_release(&out);
	hs_buf_release(&prof);
	hs_buf_release(&tmp);
	return rc;
}
