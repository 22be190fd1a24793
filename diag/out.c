/*
 * out.c - a collector's output folder (diag.h): entries as files, and the
 * result, findings and warnings as JSON files rewritten atomically each
 * time they change, so a collector killed at its timeout leaves what it
 * had already found.
 */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"

struct hs_diag_out {
	char *dir;
	json_t *result;     /* object or NULL */
	json_t *findings;   /* array */
	json_t *warnings;   /* array of strings */
	json_t *names;      /* object: entry names added (duplicate check) */
};

const char *hs_diag_severity_name(enum hs_diag_severity s)
{
	switch (s) {
	case HS_SEV_CRITICAL:
		return "critical";
	case HS_SEV_WARNING:
		return "warning";
	case HS_SEV_INFO:
	default:
		return "info";
	}
}

const char *hs_diag_out_dir(const hs_diag_out *o)
{
	return o->dir;
}

/* mkdir -p for the parent folders of path (which is under o->dir). */
static int out_mkparents(const char *path, hs_error *e)
{
	char *p = hs_xstrdup(path);
	int rc = 0;

	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) && errno != EEXIST) {
			rc = hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create '%s'", p);
			break;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

/* Write doc to <dir>/<file> through a temporary file and rename. */
static int out_write_json(hs_diag_out *o, const char *file, const json_t *doc, hs_error *e)
{
	hs_buf tmp = HS_BUF_INIT, fin = HS_BUF_INIT;
	FILE *f = NULL;
	int rc = -1;

	hs_buf_addf(&tmp, "%s/.%s.tmp", o->dir, file);
	hs_buf_addf(&fin, "%s/%s", o->dir, file);
	f = fopen(tmp.data, "w");
	if (!f) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s'", tmp.data);
		goto out;
	}
	if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY) || fputc('\n', f) == EOF) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s'", tmp.data);
		goto out;
	}
	if (fclose(f)) {
		f = NULL;
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s'", tmp.data);
		goto out;
	}
	f = NULL;
	if (rename(tmp.data, fin.data)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot rename '%s'", tmp.data);
		goto out;
	}
	rc = 0;
out:
	if (f) {
		fclose(f);
		unlink(tmp.data);
	}
	hs_buf_release(&tmp);
	hs_buf_release(&fin);
	return rc;
}

int hs_diag_out_new(hs_diag_out **out, const char *dir, hs_error *e)
{
	hs_diag_out *o;
	hs_buf ent = HS_BUF_INIT;

	*out = NULL;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create '%s'", dir);
	hs_buf_addf(&ent, "%s/entries", dir);
	if (mkdir(ent.data, 0700) && errno != EEXIST) {
		int err = errno;

		hs_err_errno(e, HS_EXIT_FAILURE, err, "cannot create '%s'", ent.data);
		hs_buf_release(&ent);
		return -1;
	}
	hs_buf_release(&ent);
	o = hs_xcalloc(1, sizeof(*o));
	o->dir = hs_xstrdup(dir);
	o->findings = json_array();
	o->warnings = json_array();
	o->names = json_object();
	if (out_write_json(o, "findings.json", o->findings, e) ||
	    out_write_json(o, "warnings.json", o->warnings, e)) {
		hs_diag_out_free(o);
		return -1;
	}
	*out = o;
	return 0;
}

void hs_diag_out_free(hs_diag_out *o)
{
	if (!o)
		return;
	json_decref(o->result);
	json_decref(o->findings);
	json_decref(o->warnings);
	json_decref(o->names);
	free(o->dir);
	free(o);
}

int hs_diag_out_close(hs_diag_out *o, hs_error *e)
{
	int rc = 0;

	if (!o)
		return 0;
	if (o->result && out_write_json(o, "result.json", o->result, e))
		rc = -1;
	if (!rc && out_write_json(o, "findings.json", o->findings, e))
		rc = -1;
	if (!rc && out_write_json(o, "warnings.json", o->warnings, e))
		rc = -1;
	hs_diag_out_free(o);
	return rc;
}

/* Check name and reserve it; fill path with <dir>/entries/<name>. */
static int out_claim(hs_diag_out *o, const char *name, hs_buf *path, hs_error *e)
{
	if (!hs_entry_name_safe(name))
		return hs_err(e, HS_EXIT_FAILURE, "cannot add '%s' to the bundle: unsafe entry name",
			      name ? name : "");
	if (json_object_get(o->names, name))
		return hs_err(e, HS_EXIT_FAILURE, "cannot add '%s' to the bundle: duplicate entry name",
			      name);
	hs_buf_addf(path, "%s/entries/%s", o->dir, name);
	if (out_mkparents(path->data, e))
		return -1;
	json_object_set_new(o->names, name, json_true());
	return 0;
}

FILE *hs_diag_out_begin(hs_diag_out *o, const char *name, hs_error *e)
{
	hs_buf path = HS_BUF_INIT;
	FILE *f = NULL;

	if (out_claim(o, name, &path, e) == 0) {
		f = fopen(path.data, "w");
		if (!f)
			hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s'", path.data);
	}
	hs_buf_release(&path);
	return f;
}

int hs_diag_out_end(hs_diag_out *o, FILE *f, hs_error *e)
{
	int bad;

	(void)o;
	if (!f)
		return 0;
	bad = ferror(f);
	if (fclose(f) || bad)
		return hs_err(e, HS_EXIT_FAILURE, "cannot write an entry into '%s'", o->dir);
	return 0;
}

int hs_diag_out_add(hs_diag_out *o, const char *name, const void *data, size_t len,
		    hs_error *e)
{
	FILE *f = hs_diag_out_begin(o, name, e);

	if (!f)
		return -1;
	if (len && fwrite(data, 1, len, f) != len) {
		fclose(f);
		return hs_err(e, HS_EXIT_FAILURE, "cannot write '%s' into '%s'", name, o->dir);
	}
	return hs_diag_out_end(o, f, e);
}

int hs_diag_out_add_json(hs_diag_out *o, const char *name, const json_t *doc, hs_error *e)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	hs_buf b = HS_BUF_INIT;
	int rc;

	if (!s)
		return hs_err(e, HS_EXIT_FAILURE, "cannot encode '%s' as JSON", name);
	hs_buf_adds(&b, s);
	hs_buf_addc(&b, '\n');
	free(s);
	rc = hs_diag_out_add(o, name, b.data, b.len, e);
	hs_buf_release(&b);
	return rc;
}

int hs_diag_out_set_result(hs_diag_out *o, json_t *data, hs_error *e)
{
	json_decref(o->result);
	o->result = data ? data : json_object();
	return out_write_json(o, "result.json", o->result, e);
}

int hs_diag_out_finding(hs_diag_out *o, enum hs_diag_severity sev, const char *title,
			json_t *evidence, const char *runbook_section, hs_error *e)
{
	json_t *f = json_object();

	json_object_set_new(f, "severity", json_string(hs_diag_severity_name(sev)));
	json_object_set_new(f, "title", json_string(title ? title : ""));
	json_object_set_new(f, "evidence", evidence ? evidence : json_null());
	json_object_set_new(f, "runbook_section",
			    runbook_section ? json_string(runbook_section) : json_null());
	json_array_append_new(o->findings, f);
	return out_write_json(o, "findings.json", o->findings, e);
}

int hs_diag_out_warn(hs_diag_out *o, hs_error *e, const char *fmt, ...)
{
	hs_buf b = HS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	hs_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_array_append_new(o->warnings, json_stringn(b.data ? b.data : "", b.len));
	hs_buf_release(&b);
	return out_write_json(o, "warnings.json", o->warnings, e);
}
