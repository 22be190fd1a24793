/*
 * bundle.c - the diag bundle (bundle.h): the collectors' folders, read
 * back after their children ended, redacted on the way into one archive
 * of kind "bundle", with the core's checks, findings, summary and
 * redaction report.
 */
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive.h"
#include "buf.h"
#include "log.h"
#include "output.h"
#include "redact.h"
#include "textsafe.h"

#define HS_BUNDLE_SOURCE "diag"

struct hs_diag_bundle {
	hs_archive_writer *aw;
	hs_redactor *red;            /* NULL with --no-redact */
	hs_diag_bundle_opts o;
	char *path;
	json_t *checks;              /* redacted, after write */
	json_t *findings;            /* redacted, after write */
	hs_buf summary;              /* redacted, after write */
};

/* The core's entries: a collector may not write these names. */
static const char *const hs_bundle_core[] = {
	"diag/checks.json", "diag/findings.json", "diag/summary.md", "diag/redaction.json", NULL
};

int hs_diag_bundle_open(hs_diag_bundle **out, const char *path, const hs_diag_bundle_opts *o,
			hs_error *e)
{
	hs_diag_bundle *b = hs_xcalloc(1, sizeof(*b));
	hs_buf name = HS_BUF_INIT;
	unsigned n = 1;

	*out = NULL;
	b->o = *o;
	if (o->redact && hs_redactor_new(&b->red, o->profile->diag ? &o->profile->diag->redact : NULL, e))
		goto fail;
	if (hs_output_free_name(path, o->number_on_collision, &n, &name, e)) {
		hs_buf_release(&name);
		goto fail;
	}
	b->path = hs_buf_detach(&name, NULL);
	*out = b;
	return 0;
fail:
	hs_diag_bundle_free(b);
	return -1;
}

void hs_diag_bundle_free(hs_diag_bundle *b)
{
	if (!b)
		return;
	hs_aw_free(b->aw);
	hs_redactor_free(b->red);
	json_decref(b->checks);
	json_decref(b->findings);
	hs_buf_release(&b->summary);
	free(b->path);
	free(b);
}

const char *hs_diag_bundle_path(const hs_diag_bundle *b)
{
	return b->path;
}

const json_t *hs_diag_bundle_checks(const hs_diag_bundle *b)
{
	return b->checks;
}

const json_t *hs_diag_bundle_findings(const hs_diag_bundle *b)
{
	return b->findings;
}

const char *hs_diag_bundle_summary(const hs_diag_bundle *b)
{
	return b->summary.data ? b->summary.data : "";
}

/* ------------------------------------------------------------ redaction */

/* Redact len bytes of in into out (a plain copy when redaction is off). */
static void hs_bundle_redact(hs_diag_bundle *b, const char *in, size_t len, hs_buf *out)
{
	if (b->red)
		hs_redact_buf(b->red, in, len, out);
	else
		hs_buf_add(out, in, len);
}

/* A redacted copy of s (NULL stays NULL); the caller frees it. */
static char *hs_bundle_redact_str(hs_diag_bundle *b, const char *s)
{
	hs_buf out = HS_BUF_INIT;

	if (!s)
		return NULL;
	hs_bundle_redact(b, s, strlen(s), &out);
	if (!out.data)
		return hs_xstrdup("");
	return hs_buf_detach(&out, NULL);
}

/* Redact every string value of a JSON tree in place. */
static void hs_bundle_redact_tree(hs_diag_bundle *b, json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!b->red)
		return;
	if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			if (json_is_string(v)) {
				hs_buf out = HS_BUF_INIT;

				hs_redact_buf(b->red, json_string_value(v), json_string_length(v), &out);
				json_object_set_new(j, k, json_stringn(out.data ? out.data : "", out.len));
				hs_buf_release(&out);
			} else {
				hs_bundle_redact_tree(b, v);
			}
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			if (json_is_string(v)) {
				hs_buf out = HS_BUF_INIT;

				hs_redact_buf(b->red, json_string_value(v), json_string_length(v), &out);
				json_array_set_new(j, i, json_stringn(out.data ? out.data : "", out.len));
				hs_buf_release(&out);
			} else {
				hs_bundle_redact_tree(b, v);
			}
		}
	}
}

/* hs_redact_sink writing into an archive entry. */
static int hs_bundle_sink(void *arg, const void *data, size_t len, hs_error *e)
{
	return hs_entry_write(arg, data, len, e);
}

/* Stream in (to EOF) into en, redacted unless redaction is off. */
static int hs_bundle_stream(hs_diag_bundle *b, FILE *in, hs_entry *en, const char *what,
			    hs_error *e)
{
	char buf[65536];
	size_t n;

	if (b->red)
		return hs_redact_stream(b->red, in, hs_bundle_sink, en, e);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (hs_entry_write(en, buf, n, e))
			return -1;
	if (ferror(in))
		return hs_err(e, HS_EXIT_FAILURE, "cannot read '%s'", what);
	return 0;
}

/* Does an object key name a secret (its scalar value is then masked)? */
static bool hs_bundle_secret_key(const char *k)
{
	static const char *const words[] = { "password", "passwd", "secret", "token", "api_key",
					      "apikey", "authorization", "credential", NULL };
	char low[128];
	size_t i;

	for (i = 0; k[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] + 32 : k[i]);
	low[i] = '\0';
	for (i = 0; words[i]; i++)
		if (strstr(low, words[i]))
			return true;
	return false;
}

/* Mask the scalar values of secret-named keys, recursively. */
static void hs_bundle_mask_keys(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			if (hs_bundle_secret_key(k) && !json_is_object(v) && !json_is_array(v) && !json_is_null(v))
				json_object_set_new(j, k, json_string("***"));
			else
				hs_bundle_mask_keys(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			hs_bundle_mask_keys(v);
	}
}

/*
 * Add a JSON document as a core entry: its strings redacted one by one
 * (so it stays JSON), then the text redacted as a whole (pairs like
 * "password": "x" span two strings).  When the text redaction broke the
 * JSON (a rule such as `token[:=]\S+` eating `token": 0,`), the entry is
 * the string-redacted tree with the values of secret-named keys masked
 * instead: the core's entries are always valid JSON.  *shown (may be NULL)
 * is what stdout may show: the entry parsed back.  doc is modified.
 */
static int hs_bundle_add_json(hs_diag_bundle *b, const char *name, json_t *doc, size_t items,
			      json_t **shown, hs_error *e)
{
	hs_buf out = HS_BUF_INIT;
	json_t *back = NULL;
	char *s = NULL;
	int rc = -1;

	hs_bundle_redact_tree(b, doc);
	s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!s) {
		hs_err(e, HS_EXIT_FAILURE, "cannot encode '%s' as JSON", name);
		goto out;
	}
	hs_bundle_redact(b, s, strlen(s), &out);
	back = json_loadb(out.data ? out.data : "", out.len, JSON_DECODE_ANY, NULL);
	if (!back) {
		hs_bundle_mask_keys(doc);
		free(s);
		s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (!s) {
			hs_err(e, HS_EXIT_FAILURE, "cannot encode '%s' as JSON", name);
			goto out;
		}
		hs_buf_reset(&out);
		hs_buf_adds(&out, s);
		back = json_incref(doc);
	}
	hs_buf_addc(&out, '\n');
	if (hs_aw_add(b->aw, name, HS_BUNDLE_SOURCE, out.data, out.len, items, e))
		goto out;
	if (shown) {
		*shown = back;
		back = NULL;
	}
	rc = 0;
out:
	json_decref(back);
	free(s);
	hs_buf_release(&out);
	return rc;
}

/* ------------------------------------------------------ collector files */

static int hs_bundle_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Collect the regular files under root/rel (relative names, "a/b.json")
 * into *names (a growing array of n strings).  Anything but a regular
 * file or a folder is left out with a warning.
 */
static void hs_bundle_list(const char *root, const char *rel, char ***names, size_t *n,
			   size_t *cap, json_t *warnings)
{
	hs_buf dir = HS_BUF_INIT;
	DIR *d;
	struct dirent *de;

	hs_buf_addf(&dir, "%s%s%s", root, *rel ? "/" : "", rel);
	d = opendir(dir.data);
	if (!d) {
		if (errno != ENOENT)
			json_array_append_new(warnings, json_sprintf("cannot read the folder of entries: %s",
								     strerror(errno)));
		hs_buf_release(&dir);
		return;
	}
	while ((de = readdir(d))) {
		hs_buf full = HS_BUF_INIT, name = HS_BUF_INIT;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		hs_buf_addf(&name, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		hs_buf_addf(&full, "%s/%s", dir.data, de->d_name);
		if (lstat(full.data, &st) == 0 && S_ISDIR(st.st_mode)) {
			hs_bundle_list(root, name.data, names, n, cap, warnings);
		} else if (lstat(full.data, &st) == 0 && S_ISREG(st.st_mode)) {
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 16;
				*names = hs_xrealloc(*names, *cap * sizeof(**names));
			}
			(*names)[(*n)++] = hs_buf_detach(&name, NULL);
		} else {
			json_array_append_new(warnings, json_sprintf("entry '%s' left out: not a regular file",
								     name.data));
		}
		hs_buf_release(&full);
		hs_buf_release(&name);
	}
	closedir(d);
	hs_buf_release(&dir);
}

static bool hs_bundle_is_core(const char *name)
{
	for (size_t i = 0; hs_bundle_core[i]; i++)
		if (!strcmp(hs_bundle_core[i], name))
			return true;
	return false;
}

/*
 * Stream one collector's entries into the archive, in name order.  Names
 * the archive refuses (unsafe, reserved, taken) become warnings; read and
 * write errors fail.
 */
static int hs_bundle_entries(hs_diag_bundle *b, const hs_diag_run *r, json_t *warnings,
			     size_t *count, hs_error *e)
{
	hs_buf root = HS_BUF_INIT;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = -1;

	*count = 0;
	hs_buf_addf(&root, "%s/entries", r->dir);
	hs_bundle_list(root.data, "", &names, &n, &cap, warnings);
	if (n)
		qsort(names, n, sizeof(*names), hs_bundle_cmp);
	for (i = 0; i < n; i++) {
		hs_buf full = HS_BUF_INIT;
		hs_entry *en = NULL;
		hs_error berr;
		FILE *f = NULL;
		int ok;

		if (hs_diag_interrupted()) {
			hs_err(e, HS_EXIT_FAILURE, "interrupted by signal %d: nothing written",
			       hs_diag_interrupted());
			goto out;
		}
		if (!hs_entry_name_safe(names[i]) || hs_bundle_is_core(names[i])) {
			json_array_append_new(warnings, json_sprintf("entry '%s' left out: unsafe or reserved name",
								     names[i]));
			continue;
		}
		hs_error_init(&berr);
		if (hs_entry_begin(b->aw, names[i], r->col->name, &en, &berr)) {
			json_array_append_new(warnings, json_sprintf("entry left out: %s", berr.msg));
			continue;
		}
		hs_buf_addf(&full, "%s/%s", root.data, names[i]);
		f = fopen(full.data, "rb");
		ok = f && hs_bundle_stream(b, f, en, names[i], e) == 0;
		if (!f)
			hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot read '%s'", full.data);
		if (f)
			fclose(f);
		hs_buf_release(&full);
		if (!ok) {
			hs_entry_abort(en);
			goto out;
		}
		if (hs_entry_commit(en, 0, e))
			goto out;
		(*count)++;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	hs_buf_release(&root);
	return rc;
}

/* <dir>/<file> parsed, or NULL when absent or not JSON. */
static json_t *hs_bundle_load(const hs_diag_run *r, const char *file)
{
	hs_buf p = HS_BUF_INIT;
	json_t *j;

	if (!r->dir)
		return NULL;
	hs_buf_addf(&p, "%s/%s", r->dir, file);
	j = json_load_file(p.data, 0, NULL);
	hs_buf_release(&p);
	return j;
}

/* The runbook section to follow when a collector could not collect. */
static const char *hs_bundle_section(const char *collector)
{
	static const char *const map[][2] = {
		{ "health", "Check Service Health" },
		{ "prometheus", "Query Prometheus Metrics" },
		{ "k8s", "View Logs" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], collector))
			return map[i][1];
	return "Check Dependencies";
}

static int hs_bundle_sev_rank(const json_t *f)
{
	const char *s = json_string_value(json_object_get(f, "severity"));

	if (s && !strcmp(s, "critical"))
		return 0;
	if (s && !strcmp(s, "warning"))
		return 1;
	return 2;
}

/* The findings array sorted critical -> warning -> info, stable. */
static json_t *hs_bundle_sort(const json_t *all)
{
	json_t *out = json_array(), *f;
	size_t i;

	for (int rank = 0; rank < 3; rank++)
		json_array_foreach(all, i, f)
			if (hs_bundle_sev_rank(f) == rank)
				json_array_append(out, f);
	return out;
}

/* Add the collector's findings (with "collector") to all, and the core's own. */
static void hs_bundle_findings(hs_diag_bundle *b, const hs_diag_run *r, json_t *all)
{
	json_t *fs = hs_bundle_load(r, "findings.json"), *f;
	size_t i;

	json_array_foreach(fs, i, f) {
		const char *sev = json_string_value(json_object_get(f, "severity"));
		json_t *c;

		if (!json_is_object(f) || !json_string_value(json_object_get(f, "title")))
			continue;
		c = json_pack("{s:s, s:s, s:O?, s:O?, s:s}", "severity",
			      sev && (!strcmp(sev, "critical") || !strcmp(sev, "warning")) ? sev : "info",
			      "title", json_string_value(json_object_get(f, "title")), "evidence",
			      json_object_get(f, "evidence"), "runbook_section",
			      json_string_value(json_object_get(f, "runbook_section")) ?
				      json_object_get(f, "runbook_section") : NULL,
			      "collector", r->col->name);
		if (!c)
			continue;
		if (!json_object_get(c, "evidence"))
			json_object_set_new(c, "evidence", json_null());
		if (!json_object_get(c, "runbook_section"))
			json_object_set_new(c, "runbook_section", json_null());
		json_array_append_new(all, c);
	}
	json_decref(fs);
	if (r->status == HS_DIAG_FAILED || r->status == HS_DIAG_TIMEOUT) {
		hs_buf t = HS_BUF_INIT;

		hs_buf_addf(&t, "collector '%s' (%s) %s: %s; its evidence is missing or incomplete",
			    r->col->name, r->col->title,
			    r->status == HS_DIAG_TIMEOUT ? "was stopped" : "failed",
			    r->error ? r->error : "no reason given");
		json_array_append_new(all, json_pack("{s:s, s:s, s:{s:s, s:s, s:s?}, s:s, s:s}",
						     "severity", "warning", "title", t.data, "evidence",
						     "collector", r->col->name, "status",
						     hs_diag_status_name(r->status), "error", r->error,
						     "runbook_section", hs_bundle_section(r->col->name),
						     "collector", r->col->name));
		hs_buf_release(&t);
	}
	(void)b;
}

/* The collector's record for diag/checks.json. */
static json_t *hs_bundle_check(const hs_diag_run *r, json_t *warnings)
{
	json_t *data = hs_bundle_load(r, "result.json");
	json_t *w = hs_bundle_load(r, "warnings.json"), *v;
	json_t *all = json_array();
	size_t i;

	json_array_foreach(w, i, v)
		if (json_is_string(v))
			json_array_append(all, v);
	json_array_extend(all, warnings);
	json_decref(w);
	if (data && !json_is_object(data)) {
		json_decref(data);
		data = NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s?, s:o, s:o}", "name", r->col->name, "title",
			 r->col->title, "status", hs_diag_status_name(r->status), "duration_ms",
			 r->started_ms ? json_integer(r->ended_ms - r->started_ms) : json_null(),
			 "timeout_ms", r->status == HS_DIAG_SKIPPED ? json_null() : json_integer(r->budget_ms),
			 "error", r->error, "warnings", all, "data", data ? data : json_null());
}

/* ------------------------------------------------------------ summary */

/* Markdown table cells: no newlines, '|' escaped, no raw control characters. */
static void hs_bundle_cell(hs_buf *b, const char *s)
{
	const char *run = s;

	/* other controls (ESC, C1: server text is input) as \u001B (textsafe.h), backslashes kept */
	for (; s && *s; s++) {
		if (*s != '|' && *s != '\n' && *s != '\r')
			continue;
		hs_text_escape(b, run, (size_t)(s - run), HS_TEXT_JSON);
		hs_buf_adds(b, *s == '|' ? "\\|" : " ");
		run = s + 1;
	}
	if (s)
		hs_text_escape(b, run, (size_t)(s - run), HS_TEXT_JSON);
}

/* diag/summary.md: findings first, then the collectors, then how to open the bundle. */
static void hs_bundle_summary(hs_diag_bundle *b, const json_t *checks, const json_t *findings,
			      hs_buf *md)
{
	const char *base = strrchr(b->path, '/') ? strrchr(b->path, '/') + 1 : b->path;
	time_t t = (time_t)b->o.created_at;
	struct tm tm;
	char when[40];
	size_t i, nbad = 0, nrun = 0;
	json_t *c, *f;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_array_foreach(checks, i, c) {
		const char *st = json_string_value(json_object_get(c, "status"));

		if (strcmp(st, "skipped"))
			nrun++;
		if (!strcmp(st, "failed") || !strcmp(st, "timeout"))
			nbad++;
	}
	hs_buf_addf(md, "# hivesnap diag: %s\n\n", hs_profile_name(b->o.profile));
	hs_buf_addf(md, "- when: %s (logs and events of the last ", when);
	if (b->o.since_s % 3600 == 0)
		hs_buf_addf(md, "%lldh)\n", (long long)(b->o.since_s / 3600));
	else if (b->o.since_s % 60 == 0)
		hs_buf_addf(md, "%lldm)\n", (long long)(b->o.since_s / 60));
	else
		hs_buf_addf(md, "%llds)\n", (long long)b->o.since_s);
	hs_buf_addf(md, "- profile: %s (%s)\n", hs_profile_name(b->o.profile),
		    b->o.profile->origin ? b->o.profile->origin : HS_PROFILE_BUILTIN_NAME);
	hs_buf_addf(md, "- bundle: %s\n", base);
	hs_buf_addf(md, "- collectors: %zu run, %zu failed or timed out\n", nrun, nbad);
	hs_buf_addf(md, "- redaction: %s\n\n", b->red ? "on" : "OFF (--no-redact): this bundle may hold secrets");

	hs_buf_addf(md, "## Findings (%zu)\n\n", json_array_size(findings));
	if (!json_array_size(findings))
		hs_buf_adds(md, "None.\n");
	json_array_foreach(findings, i, f) {
		const char *sev = json_string_value(json_object_get(f, "severity"));
		const char *sec = json_string_value(json_object_get(f, "runbook_section"));
		char up[16];
		size_t k;

		for (k = 0; sev[k] && k < sizeof(up) - 1; k++)
			up[k] = (char)(sev[k] >= 'a' && sev[k] <= 'z' ? sev[k] - 32 : sev[k]);
		up[k] = '\0';
		hs_buf_addf(md, "%zu. **%s** [%s] ", i + 1, up,
			    json_string_value(json_object_get(f, "collector")));
		hs_bundle_cell(md, json_string_value(json_object_get(f, "title")));
		if (sec) {
			hs_buf_adds(md, " (runbook: \"");
			hs_bundle_cell(md, sec);
			hs_buf_adds(md, "\")");
		}
		hs_buf_addc(md, '\n');
	}

	hs_buf_adds(md, "\n## Collectors\n\n| collector | status | duration | note |\n|---|---|---|---|\n");
	json_array_foreach(checks, i, c) {
		const json_t *d = json_object_get(c, "duration_ms");
		const json_t *w = json_object_get(c, "warnings");
		const char *err = json_string_value(json_object_get(c, "error"));

		hs_buf_addf(md, "| %s — ", json_string_value(json_object_get(c, "name")));
		hs_bundle_cell(md, json_string_value(json_object_get(c, "title")));
		hs_buf_addf(md, " | %s | ", json_string_value(json_object_get(c, "status")));
		if (json_is_integer(d))
			hs_buf_addf(md, "%.1f s", (double)json_integer_value(d) / 1000.0);
		else
			hs_buf_adds(md, "-");
		hs_buf_adds(md, " | ");
		if (err)
			hs_bundle_cell(md, err);
		else if (json_array_size(w))
			hs_bundle_cell(md, json_string_value(json_array_get(w, 0)));
		if (!err && json_array_size(w) > 1)
			hs_buf_addf(md, " (+%zu more warnings)", json_array_size(w) - 1);
		hs_buf_adds(md, " |\n");
	}

	hs_buf_addf(md, "\n## Opening the bundle\n\n"
		    "    hivesnap ls %s\n"
		    "    hivesnap cat %s diag/findings.json\n"
		    "    hivesnap extract %s DIR     # or: zstd -dc %s | tar -x\n\n"
		    "diag/checks.json has each collector's data; diag/redaction.json says what was redacted.\n",
		    base, base, base, base);
}

/* ------------------------------------------------------------ the whole */

/* b->path = the writer's name (numbered when another file took the chosen one). */
static void hs_bundle_follow_name(hs_diag_bundle *b)
{
	if (!strcmp(b->path, hs_aw_path(b->aw)))
		return;
	hs_info(NULL, "'%s' exists: the bundle is '%s'", b->path, hs_aw_path(b->aw));
	free(b->path);
	b->path = hs_xstrdup(hs_aw_path(b->aw));
}

int hs_diag_bundle_write(hs_diag_bundle *b, const hs_diag_run *runs, size_t n, hs_error *e)
{
	json_t *checks = json_array(), *all = json_array(), *findings = NULL, *report = NULL;
	hs_buf md = HS_BUF_INIT;
	hs_archive_opts ao;
	size_t i;
	int rc = -1;

	/* only now: no fork() after the writer's threads exist (bundle.h) */
	memset(&ao, 0, sizeof(ao));
	ao.kind = "bundle";
	ao.profile = hs_profile_name(b->o.profile);
	ao.label = b->o.label;
	ao.created_at = b->o.created_at;
	ao.number_on_collision = b->o.number_on_collision;
	if (!b->aw) {
		if (hs_aw_open(&b->aw, b->path, &ao, e))
			goto out;
		hs_bundle_follow_name(b);
	}
	for (i = 0; i < n; i++) {
		const hs_diag_run *r = &runs[i];
		json_t *warnings = json_array(), *details;
		char *err = hs_bundle_redact_str(b, r->error);
		const char *mst;
		size_t count = 0;

		if (hs_diag_interrupted()) {
			json_decref(warnings);
			free(err);
			hs_err(e, HS_EXIT_FAILURE, "interrupted by signal %d: nothing written",
			       hs_diag_interrupted());
			goto out;
		}
		if (r->dir && hs_bundle_entries(b, r, warnings, &count, e)) {
			json_decref(warnings);
			free(err);
			goto out;
		}
		json_array_append_new(checks, hs_bundle_check(r, warnings));
		hs_bundle_findings(b, r, all);
		json_decref(warnings);
		mst = r->status == HS_DIAG_SKIPPED ? HS_STATUS_SKIPPED :
		      (r->status == HS_DIAG_FAILED || r->status == HS_DIAG_TIMEOUT) ? HS_STATUS_FAILED :
										    HS_STATUS_OK;
		details = json_pack("{s:s, s:s}", "diag_status", hs_diag_status_name(r->status), "title",
				    r->col->title);
		rc = hs_aw_source(b->aw, r->col->name, mst, err, r->started_ms, r->ended_ms, NULL, details, e);
		json_decref(details);
		free(err);
		if (rc)
			goto out;
		rc = -1;
		hs_debug(r->col->name, "%zu entries in the bundle", count);
	}
	findings = hs_bundle_sort(all);
	if (hs_bundle_add_json(b, "diag/checks.json", checks, json_array_size(checks), &b->checks, e))
		goto out;
	if (hs_bundle_add_json(b, "diag/findings.json", findings, json_array_size(findings), &b->findings,
			       e))
		goto out;
	hs_bundle_summary(b, b->checks, b->findings, &md);
	hs_bundle_redact(b, md.data, md.len, &b->summary);
	if (!b->summary.data)
		hs_buf_adds(&b->summary, "");
	if (hs_aw_add(b->aw, "diag/summary.md", HS_BUNDLE_SOURCE, b->summary.data, b->summary.len, 0, e))
		goto out;
	if (b->red) {
		report = hs_redactor_report(b->red);
		json_object_set_new(report, "enabled", json_true());
	} else {
		report = json_pack("{s:b, s:{}, s:i}", "enabled", 0, "rules", "total", 0);
	}
	/*
	 * Not redacted: it holds rule names and counts only, and a profile rule
	 * like `token[:=]\S+` would eat `"bearer_token": 0` and break it.
	 */
	if (hs_aw_add_json(b->aw, "diag/redaction.json", HS_BUNDLE_SOURCE, report, 0, e))
		goto out;
	if (hs_aw_finish(b->aw, e))
		goto out;
	hs_bundle_follow_name(b);
	rc = 0;
out:
	json_decref(checks);
	json_decref(all);
	json_decref(findings);
	json_decref(report);
	hs_buf_release(&md);
	return rc;
}
