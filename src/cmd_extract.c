/*
 * cmd_extract.c - `hivesnap extract ARCHIVE DIR [GLOB] [--force]`.
 *
 * Safe extraction, in three steps:
 *   1. verify the whole archive (hs_archive_verify): a bad archive writes
 *      nothing, DIR is not even created;
 *   2. check every path that will be written, before writing any: no
 *      component may be a symbolic link or a non-directory, and an existing
 *      file is an error unless --force (then it must be a regular file);
 *   3. read the archive again and write the matching entries.
 * Nothing is ever written outside DIR: every path component is opened with
 * openat(O_NOFOLLOW) relative to DIR's descriptor, created with mkdirat
 * (mode 0700); each file is written to a temporary name in its folder (mode
 * 0600) and renamed into place, without replacing an existing file unless
 * --force.  After a full extraction `sha256sum -c SHA256SUMS` passes in DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "commands.h"
#include "textsafe.h"

const char hs_cmd_extract_usage[] =
	"usage: hivesnap extract ARCHIVE DIR [GLOB] [--force]\n\n"
	"Verify the whole archive, then write its entries (or those whose name\n"
	"matches the shell pattern GLOB; '*' also matches '/') as files under DIR,\n"
	"which is created (mode 0700) if missing.  A bad archive writes nothing.\n"
	"Nothing is written outside DIR: a path through a symbolic link is refused.\n"
	"Files are written mode 0600 under a temporary name, then renamed.  After a\n"
	"full extraction, 'sha256sum -c SHA256SUMS' passes inside DIR.\n\n"
	"  -f, --force   replace files that already exist (without it, an existing\n"
	"                file is an error and nothing is written)\n\n"
	"Exit: 0 ok, 3 cannot read the archive or write DIR, or a file exists,\n"
	"4 not a hivesnap archive, corrupt, truncated or tampered with, 64 usage,\n"
	"65 newer format version.\n";

#define HS_EXTRACT_CHUNK (64 * 1024)

typedef struct hs_extract {
	const char *archive;
	const char *dir;
	int dirfd;
	bool force;
	unsigned tmp_seq;
	char *buf;           /* HS_EXTRACT_CHUNK bytes */
} hs_extract;

/* Is comp in the folder fd a symbolic link?  (O_DIRECTORY|O_NOFOLLOW on one gives ENOTDIR.) */
static bool hs_extract_is_link(int fd, const char *comp)
{
	struct stat st;

	return fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

/*
 * Open the folder that holds name, relative to x->dirfd, one component at a
 * time with O_NOFOLLOW.  With create, missing folders are made (0700); else
 * a missing folder gives *out = -1 and returns 0 (nothing below exists).
 * *base points into name at the last component.  The caller closes *out.
 */
static int hs_extract_parent(hs_extract *x, const char *name, bool create, int *out,
			     const char **base, hs_error *e)
{
	char *copy = hs_xstrdup(name), *comp = copy, *slash;
	int fd = -1, next, rc = -1;

	*out = -1;
	fd = dup(x->dirfd);
	if (fd < 0) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot open '%s'", x->dir);
		goto out;
	}
	while ((slash = strchr(comp, '/'))) {
		*slash = '\0';
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0700) != 0 && errno != EEXIST) {
				hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create '%s/%s'", x->dir, copy);
				goto out;
			}
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int err = errno;

			if (err == ENOENT && !create) {
				rc = 0;
				goto out;
			}
			if (err == ELOOP || (err == ENOTDIR && hs_extract_is_link(fd, comp)))
				hs_err(e, HS_EXIT_FAILURE, "refusing to extract '%s': '%s/%s' is a symbolic link",
				       name, x->dir, copy);
			else if (err == ENOTDIR)
				hs_err(e, HS_EXIT_FAILURE, "refusing to extract '%s': '%s/%s' is not a directory",
				       name, x->dir, copy);
			else
				hs_err_errno(e, HS_EXIT_FAILURE, err, "cannot open '%s/%s'", x->dir, copy);
			goto out;
		}
		close(fd);
		fd = next;
		*slash = '/';
		comp = slash + 1;
	}
	*base = name + (comp - copy);
	*out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

/*
 * Step 2 for one name: may it be written?  Fails (exit 3) when a component
 * is a symbolic link or not a folder, or the file exists (and is not a
 * regular file, or --force was not given).
 */
static int hs_extract_check(hs_extract *x, const char *name, hs_error *e)
{
	const char *base = NULL;
	struct stat st;
	int pfd = -1, rc = -1;

	if (!hs_entry_name_safe(name))
		return hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': unsafe entry name '%s'",
			      x->archive, name);
	if (hs_extract_parent(x, name, false, &pfd, &base, e))
		return -1;
	if (pfd < 0)
		return 0;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT) {
			rc = 0;
		} else {
			hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot check '%s/%s'", x->dir, name);
		}
		goto out;
	}
	if (!x->force) {
		hs_err(e, HS_EXIT_FAILURE, "refusing to overwrite '%s/%s': file exists (use --force)",
		       x->dir, name);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		hs_err(e, HS_EXIT_FAILURE, "refusing to replace '%s/%s': not a regular file", x->dir, name);
		goto out;
	}
	rc = 0;
out:
	if (pfd >= 0)
		close(pfd);
	return rc;
}

/* Write all of p to fd. */
static int hs_extract_write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		p = (const char *)p + k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * Step 3 for one entry: write it to a temporary file next to its final
 * place, then rename it there.  data/len give the bytes of an entry held in
 * memory (the header); else they are read from r.
 */
static int hs_extract_file(hs_extract *x, hs_reader *r, const char *name, const void *data,
			   size_t len, hs_error *e)
{
	const char *base = NULL;
	char tmp[64];
	int pfd = -1, fd = -1, rc = -1, flags;

	if (!hs_entry_name_safe(name))
		return hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': unsafe entry name '%s'",
			      x->archive, name);
	if (hs_extract_parent(x, name, true, &pfd, &base, e))
		return -1;
	do {
		snprintf(tmp, sizeof(tmp), ".hs-extract-%ld-%u", (long)getpid(), x->tmp_seq++);
		fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	} while (fd < 0 && errno == EEXIST);
	if (fd < 0) {
		tmp[0] = '\0';
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create a file in the folder of '%s/%s'",
			     x->dir, name);
		goto out;
	}
	if (data) {
		if (hs_extract_write_all(fd, data, len)) {
			hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s/%s'", x->dir, name);
			goto out;
		}
	} else {
		ssize_t n;

		while ((n = hs_reader_read(r, x->buf, HS_EXTRACT_CHUNK, e)) > 0) {
			if (hs_extract_write_all(fd, x->buf, (size_t)n)) {
				hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s/%s'", x->dir, name);
				goto out;
			}
		}
		if (n < 0)
			goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s/%s'", x->dir, name);
		goto out;
	}
	fd = -1;
	flags = x->force ? 0 : RENAME_NOREPLACE;
	if (renameat2(pfd, tmp, pfd, base, (unsigned)flags) != 0) {
		if (errno == EEXIST)
			hs_err(e, HS_EXIT_FAILURE, "refusing to overwrite '%s/%s': file exists (use --force)",
			       x->dir, name);
		else
			hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot rename into '%s/%s'", x->dir, name);
		goto out;
	}
	tmp[0] = '\0';
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp[0] && pfd >= 0)
		unlinkat(pfd, tmp, 0);
	if (pfd >= 0)
		close(pfd);
	return rc;
}

/*
 * The names to extract, as the keys of an object (a set): every entry the
 * manifest lists plus manifest.json and SHA256SUMS, those matching glob.
 */
static int hs_extract_select(const json_t *manifest, const char *glob, json_t **out, hs_error *e,
			     const char *archive)
{
	json_t *set = json_object(), *ent;
	const json_t *entries = json_object_get(manifest, "entries");
	static const char *const tail[] = { "manifest.json", "SHA256SUMS" };
	size_t i;

	if (!json_is_array(entries)) {
		json_decref(set);
		return hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': manifest has no entry list", archive);
	}
	json_array_foreach(entries, i, ent) {
		const char *name = json_string_value(json_object_get(ent, "name"));

		if (!name) {
			json_decref(set);
			return hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': manifest entry %zu has no name",
				      archive, i);
		}
		if (!glob || fnmatch(glob, name, 0) == 0)
			json_object_set_new(set, name, json_true());
	}
	for (i = 0; i < 2; i++)
		if (!glob || fnmatch(glob, tail[i], 0) == 0)
			json_object_set_new(set, tail[i], json_true());
	*out = set;
	return 0;
}

int hs_cmd_extract(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { NULL, 0, NULL, 0 } };
	hs_extract x;
	hs_reader *r = NULL;
	hs_reader_entry ent;
	json_t *manifest = NULL, *header = NULL, *set = NULL;
	const char *glob = NULL, *name;
	json_t *v;
	char what[128];
	size_t left, done = 0;
	int c, k, rc = -1;

	memset(&x, 0, sizeof(x));
	x.dirfd = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c == 'f') {
			x.force = true;
			continue;
		}
		snprintf(what, sizeof(what), "unknown option '%s'", argv[optind - 1]);
		return hs_cli_usage_error(e, "extract", what);
	}
	if (argc - optind < 2 || argc - optind > 3)
		return hs_cli_usage_error(e, "extract", "needs ARCHIVE, DIR and at most one GLOB");
	x.archive = argv[optind];
	x.dir = argv[optind + 1];
	if (argc - optind == 3)
		glob = argv[optind + 2];

	/* 1. the whole archive is good, or nothing happens */
	if (hs_archive_verify(x.archive, e))
		goto out;
	if (hs_archive_manifest(x.archive, &manifest, &header, e))
		goto out;
	if (hs_extract_select(manifest, glob, &set, e, x.archive))
		goto out;

	/* 2. every path can be written, or nothing is */
	if (mkdir(x.dir, 0700) != 0 && errno != EEXIST) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create '%s'", x.dir);
		goto out;
	}
	x.dirfd = open(x.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x.dirfd < 0) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot open '%s'", x.dir);
		goto out;
	}
	json_object_foreach(set, name, v)
		if (hs_extract_check(&x, name, e))
			goto out;

	/* 3. write */
	x.buf = hs_xmalloc(HS_EXTRACT_CHUNK);
	left = json_object_size(set);
	if (hs_reader_open(&r, x.archive, e))
		goto out;
	if (json_object_get(set, "hivesnap.json")) {
		size_t len = 0;
		const void *p = hs_reader_header_bytes(r, &len);

		if (!p) {
			hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': no header bytes", x.archive);
			goto out;
		}
		if (hs_extract_file(&x, r, "hivesnap.json", p, len, e))
			goto out;
		left--;
		done++;
	}
	while (left && (k = hs_reader_next(r, &ent, e)) != 0) {
		if (k < 0)
			goto out;
		if (!json_object_get(set, ent.name))
			continue;
		if (hs_extract_file(&x, r, ent.name, NULL, 0, e))
			goto out;
		left--;
		done++;
	}
	if (left) {
		hs_err(e, HS_EXIT_INTEGRITY, "cannot read '%s': %zu entries of the manifest are missing",
		       x.archive, left);
		goto out;
	}
	hs_text_fprintf(ctx->out, "extracted %zu entries to '%s'\n", done, x.dir);
	rc = 0;
out:
	hs_reader_free(r);
	if (x.dirfd >= 0)
		close(x.dirfd);
	free(x.buf);
	json_decref(set);
	json_decref(manifest);
	json_decref(header);
	return rc;
}
