/*
 * retention.c - scan a backup folder; restic-style keep policies.
 * See retention.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "output.h"
#include "retention.h"

static char *hs_dup_or_null(const char *s)
{
	return s ? hs_xstrdup(s) : NULL;
}

/* Seconds since the epoch of an RFC 3339 UTC time ("...Z"); -1 if malformed. */
static int64_t hs_rfc3339_to_epoch(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, se;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (int64_t)timegm(&tm);
}

/* Fill b from the archive's header and manifest; unreadable on any error. */
static void hs_backup_read(hs_backup *b)
{
	json_t *manifest = NULL, *header = NULL, *srcs, *v;
	const char *key;
	hs_error e;

	hs_error_init(&e);
	if (hs_archive_manifest(b->path, &manifest, &header, &e)) {
		b->status = hs_xstrdup("unreadable");
		b->error = hs_xstrdup(e.msg);
		goto out;
	}
	b->created_at = hs_dup_or_null(json_string_value(json_object_get(header, "created_at")));
	b->created = hs_rfc3339_to_epoch(b->created_at);
	b->kind = hs_dup_or_null(json_string_value(json_object_get(header, "kind")));
	b->label = hs_dup_or_null(json_string_value(json_object_get(header, "label")));
	b->profile = hs_dup_or_null(json_string_value(json_object_get(header, "profile")));
	b->status = hs_dup_or_null(json_string_value(json_object_get(manifest, "status")));
	if (!b->status)
		b->status = hs_xstrdup("unreadable");
	b->sources = json_object();
	srcs = json_object_get(manifest, "sources");
	json_object_foreach(srcs, key, v) {
		const char *st = json_string_value(json_object_get(v, "status"));

		json_object_set_new(b->sources, key, st ? json_string(st) : json_null());
	}
out:
	json_decref(manifest);
	json_decref(header);
}

/* See retention.h. */
int hs_backup_cmp(const hs_backup *a, const hs_backup *b)
{
	size_t la, lb;
	unsigned na, nb;
	int c;

	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	/* the name without its collision counter, then the counter: "-2" is newer */
	na = hs_output_name_counter(a->name, &la);
	nb = hs_output_name_counter(b->name, &lb);
	c = memcmp(a->name, b->name, la < lb ? la : lb);
	if (!c && la != lb)
		c = la < lb ? -1 : 1;
	if (c)
		return -c;
	if (na != nb)
		return na > nb ? -1 : 1;
	return -strcmp(a->name, b->name);
}

static int hs_backup_qcmp(const void *pa, const void *pb)
{
	return hs_backup_cmp(pa, pb);
}

static bool hs_has_suffix(const char *s, const char *suf)
{
	size_t ls = strlen(s), lf = strlen(suf);

	return ls >= lf && strcmp(s + ls - lf, suf) == 0;
}

/* Scan dir; see retention.h. */
int hs_backupdir_scan(const char *dir, hs_backup **out, size_t *n, hs_error *e)
{
	DIR *d = NULL;
	struct dirent *de;
	hs_backup *v = NULL;
	size_t len = 0, cap = 0;
	hs_buf path = HS_BUF_INIT;
	int rc = -1;

	*out = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d) {
		hs_err(e, HS_EXIT_FAILURE, "cannot read folder '%s': %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		struct stat st;
		hs_backup *b;

		if (de->d_name[0] == '.' || !hs_has_suffix(de->d_name, ".tar.zst"))
			continue;
		hs_buf_reset(&path);
		hs_buf_addf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name);
		if (lstat(path.data, &st) || !S_ISREG(st.st_mode))
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			v = hs_xrealloc(v, cap * sizeof(*v));
		}
		b = &v[len++];
		memset(b, 0, sizeof(*b));
		b->name = hs_xstrdup(de->d_name);
		b->path = hs_xstrdup(path.data);
		b->size = (int64_t)st.st_size;
		b->created = (int64_t)st.st_mtime;
		b->keep = true;
		hs_backup_read(b);
		if (!b->created_at || b->created < 0)
			b->created = (int64_t)st.st_mtime;
	}
	if (len)
		qsort(v, len, sizeof(*v), hs_backup_qcmp);
	*out = v;
	*n = len;
	v = NULL;
	rc = 0;
out:
	if (d)
		closedir(d);
	hs_backups_free(v, len);
	hs_buf_release(&path);
	return rc;
}

void hs_backups_free(hs_backup *b, size_t n)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < n; i++) {
		free(b[i].name);
		free(b[i].path);
		free(b[i].created_at);
		free(b[i].kind);
		free(b[i].label);
		free(b[i].profile);
		free(b[i].status);
		free(b[i].error);
		json_decref(b[i].sources);
	}
	free(b);
}

bool hs_keep_policy_any(const hs_keep_policy *p)
{
	return p->last > 0 || p->hourly > 0 || p->daily > 0 || p->weekly > 0 || p->monthly > 0;
}

/* The period of t (UTC) for rule r: 1 hour, 2 day, 3 ISO week, 4 month. */
static void hs_period(int r, int64_t t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	switch (r) {
	case 1:
		strftime(out, outsz, "%Y-%m-%dT%H", &tm);
		break;
	case 2:
		strftime(out, outsz, "%Y-%m-%d", &tm);
		break;
	case 3:
		strftime(out, outsz, "%G-W%V", &tm);
		break;
	default:
		strftime(out, outsz, "%Y-%m", &tm);
		break;
	}
}

/*
 * restic's algorithm: walking newest to oldest, each rule with slots left
 * keeps an archive whose period differs from the last one that rule kept
 * (keep-last: every archive is its own period).  Only complete archives
 * are considered.
 */
void hs_retention_apply(const hs_keep_policy *p, hs_backup *b, size_t n)
{
	static const char *const rule[] = { "last", "hourly", "daily", "weekly", "monthly" };
	int left[5] = { p->last, p->hourly, p->daily, p->weekly, p->monthly };
	char lastp[5][32] = { "", "", "", "", "" };
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		hs_buf why = HS_BUF_INIT;
		bool complete = b[i].status && strcmp(b[i].status, "ok") == 0;

		b[i].keep = false;
		if (b[i].status && strcmp(b[i].status, "unreadable") == 0) {
			b[i].keep = true;
			snprintf(b[i].reason, sizeof(b[i].reason), "not a readable hivesnap archive: left alone");
			continue;
		}
		if (!complete) {
			snprintf(b[i].reason, sizeof(b[i].reason), "%s archive: never kept by a rule",
				 b[i].status ? b[i].status : "incomplete");
			continue;
		}
		for (r = 0; r < 5; r++) {
			char per[32];

			if (left[r] <= 0)
				continue;
			if (r == 0)
				snprintf(per, sizeof(per), "%zu", i);
			else
				hs_period(r, b[i].created, per, sizeof(per));
			if (strcmp(per, lastp[r]) == 0)
				continue;
			memcpy(lastp[r], per, sizeof(per));
			left[r]--;
			b[i].keep = true;
			if (r == 0)
				hs_buf_addf(&why, "%slast", why.len ? ", " : "");
			else
				hs_buf_addf(&why, "%s%s %s", why.len ? ", " : "", rule[r], per);
		}
		if (b[i].keep)
			snprintf(b[i].reason, sizeof(b[i].reason), "kept by %s", why.data);
		else
			snprintf(b[i].reason, sizeof(b[i].reason), "no rule keeps it");
		hs_buf_release(&why);
	}
}

/* Removal order: complete archives oldest first, then partial/failed ones. */
size_t hs_retention_order(const hs_backup *b, size_t n, size_t *idx)
{
	size_t k = 0, i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = n; i-- > 0;) {
			bool complete = b[i].status && strcmp(b[i].status, "ok") == 0;

			if (b[i].keep || complete != (pass == 0))
				continue;
			idx[k++] = i;
		}
	}
	return k;
}

int hs_keep_parse(const char *opt, const char *arg, int *out, hs_error *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > 1000000)
		return hs_err(e, HS_EXIT_USAGE, "%s takes a number from 0 to 1000000, not '%s'", opt, arg);
	*out = (int)v;
	return 0;
}

/* Scan, decide, remove; see retention.h. */
int hs_retention_run(const char *dir, const hs_keep_policy *p, bool dry_run, json_t **report,
		     hs_error *e)
{
	hs_backup *b = NULL;
	size_t n = 0, i, k, *order = NULL;
	json_t *rep = NULL, *arr, **items = NULL;
	json_int_t kept = 0, removed = 0, bytes = 0;
	bool failed = false;
	int rc = -1;

	if (report)
		*report = NULL;
	if (hs_backupdir_scan(dir, &b, &n, e))
		goto out;
	hs_retention_apply(p, b, n);
	arr = json_array();
	rep = json_pack("{s:s, s:b, s:o}", "dir", dir, "dry_run", dry_run, "archives", arr);
	items = hs_xcalloc(n ? n : 1, sizeof(*items));
	for (i = 0; i < n; i++) {
		items[i] = json_pack("{s:s, s:o, s:s, s:s, s:s}", "name", b[i].name, "created_at",
				     b[i].created_at ? json_string(b[i].created_at) : json_null(), "status",
				     b[i].status, "action", b[i].keep ? "keep" : "remove", "reason", b[i].reason);
		json_array_append_new(arr, items[i]);
		if (b[i].keep)
			kept++;
	}
	order = hs_xcalloc(n ? n : 1, sizeof(*order));
	k = hs_retention_order(b, n, order);
	for (i = 0; i < k; i++) {
		const hs_backup *x = &b[order[i]];

		if (failed || (!dry_run && unlink(x->path) && errno != ENOENT)) {
			if (!failed)
				hs_err(e, HS_EXIT_FAILURE, "cannot remove archive '%s': %s", x->path,
				       strerror(errno));
			json_object_set_new(items[order[i]], "action", json_string("keep"));
			json_object_set_new(items[order[i]], "reason",
					    json_string(failed ? "not removed: an earlier removal failed" : e->msg));
			failed = true;
			continue;
		}
		removed++;
		bytes += x->size;
	}
	json_object_set_new(rep, "kept", json_integer(kept + (json_int_t)k - removed));
	json_object_set_new(rep, "removed", json_integer(removed));
	json_object_set_new(rep, "removed_bytes", json_integer(bytes));
	rc = removed == (json_int_t)k ? 0 : -1;
out:
	if (report)
		*report = rep;
	else
		json_decref(rep);
	free(items);
	free(order);
	hs_backups_free(b, n);
	return rc;
}
