/* output.c - the output path and lock folder of an archive-writing command (output.h). */
#include "output.h"

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
