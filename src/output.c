/* output.c - the output path and lock folder of an archive-writing command (output.h). */
#include "output.h"

#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

void hs_output_name(hs_buf *out, const char *dir, const char *profile, const char *label, time_t t)
{
	struct tm tm;
	char stamp[32];

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	hs_buf_addf(out, "%s%s%s-%s%s%s.tar.zst", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", profile,
		    label ? label : "", label ? "-" : "", stamp);
}

int hs_output_resolve(const char *output, const char *outdir, const char *profile,
		      const char *label, time_t t, hs_buf *path, hs_buf *lockdir, hs_error *e)
{
	struct stat st;

	if (output) {
		const char *slash = strrchr(output, '/');

		hs_buf_adds(path, output);
		if (!slash)
			hs_buf_adds(lockdir, ".");
		else
			hs_buf_add(lockdir, output, slash == output ? 1 : (size_t)(slash - output));
		return 0;
	}
	if (!outdir)
		outdir = ".";
	if (stat(outdir, &st) || !S_ISDIR(st.st_mode))
		return hs_err(e, HS_EXIT_FAILURE, "output folder '%s' is not a folder", outdir);
	hs_output_name(path, outdir, profile, label, t);
	hs_buf_adds(lockdir, outdir);
	return 0;
}

void hs_output_numbered(hs_buf *out, const char *path, unsigned n)
{
	static const char ext[] = ".tar.zst";
	size_t len = strlen(path), el = sizeof(ext) - 1;

	if (n <= 1) {
		hs_buf_adds(out, path);
		return;
	}
	if (len >= el && !strcmp(path + len - el, ext)) {
		hs_buf_add(out, path, len - el);
		hs_buf_addf(out, "-%u%s", n, ext);
	} else {
		hs_buf_addf(out, "%s-%u", path, n);
	}
}

static bool hs_output_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

unsigned hs_output_name_counter(const char *name, size_t *stem_len)
{
	static const char ext[] = ".tar.zst";
	size_t len = strlen(name), el = sizeof(ext) - 1, end, j;
	unsigned long v = 0;
	const char *stamp;

	if (stem_len)
		*stem_len = len;
	if (len < el || strcmp(name + len - el, ext))
		return 1;
	end = len - el;
	if (stem_len)
		*stem_len = end;
	/* "-YYYYMMDDTHHMMSSZ-N": the digits of N, then the stamp before them */
	for (j = end; j > 0 && name[j - 1] >= '0' && name[j - 1] <= '9'; j--)
		;
	if (j == end || end - j > 9 || name[j] == '0' || j < 18 || name[j - 1] != '-')
		return 1;
	stamp = name + j - 17;
	if (stamp[-1] != '-' || !hs_output_digits(stamp, 8) || stamp[8] != 'T' ||
	    !hs_output_digits(stamp + 9, 6) || stamp[15] != 'Z')
		return 1;
	for (; j < end; j++)
		v = v * 10 + (unsigned long)(name[j] - '0');
	if (v < 2)
		return 1;
	if (stem_len)
		*stem_len = (size_t)(stamp + 16 - name);
	return (unsigned)v;
}

int hs_output_free_name(const char *path, bool numbered, unsigned *n, hs_buf *out, hs_error *e)
{
	struct stat st;

	if (!numbered || *n < 1)
		*n = 1;
	for (;; ++*n) {
		if (*n > HS_OUTPUT_COUNTER_MAX)
			return hs_err(e, HS_EXIT_FAILURE,
				      "cannot write '%s': file exists, and so do its numbered names up to -%u",
				      path, HS_OUTPUT_COUNTER_MAX);
		hs_buf_reset(out);
		hs_output_numbered(out, path, *n);
		if (lstat(out->data, &st))
			return 0;
		if (!numbered)
			return hs_err(e, HS_EXIT_FAILURE, "cannot write '%s': file exists", path);
	}
}
