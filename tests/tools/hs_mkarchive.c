/*
 * hs_mkarchive.c - write a hivesnap archive from files and strings, through
 * the real archive writer.  Used by the CLI tests, the fixture script and
 * the archive benchmark.
 *
 *   hs_mkarchive OUT.tar.zst [--kind K] [--profile P] [--label L]
 *                [--created-at UNIXSECONDS] [--level N] [--threads N]
 *                [--source-status SRC=STATUS[:error text]]... [--no-index]
 *                [--source-details SRC=JSON]...
 *                NAME=@FILE | NAME=TEXT ...
 *
 * The source of an entry is its first path component when that is mongo,
 * redis, kafka, k8s or diag.  Every source that has entries and no
 * --source-status is recorded as ok.  --no-index cuts the index frame off
 * the finished file (an archive without one is valid, only slower to
 * inspect).  --source-details records JSON as the source's "details" in
 * the manifest (e.g. mongo's collection list, as an attacker may write it).
 * Exit 0, or 3 with a one-line error on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "error.h"

#define HS_MK_CHUNK (1024 * 1024)

static const char *const hs_mk_sources[] = { "mongo", "redis", "kafka", "k8s", "diag", NULL };

/* The source an entry name belongs to, or NULL. */
static const char *hs_mk_source_of(const char *name)
{
	size_t i, n = strcspn(name, "/");

	if (!name[n])
		return NULL;
	for (i = 0; hs_mk_sources[i]; i++)
		if (strlen(hs_mk_sources[i]) == n && !strncmp(name, hs_mk_sources[i], n))
			return hs_mk_sources[i];
	return NULL;
}

/* Stream a file into a new entry, in chunks. */
static int hs_mk_add_file(hs_archive_writer *w, const char *name, const char *path, hs_error *e)
{
	hs_entry *en = NULL;
	char *buf = NULL;
	int fd = -1, rc = -1;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot open '%s'", path);
		goto out;
	}
	if (hs_entry_begin(w, name, hs_mk_source_of(name), &en, e))
		goto out;
	buf = hs_xmalloc(HS_MK_CHUNK);
	while ((n = read(fd, buf, HS_MK_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot read '%s'", path);
			goto out;
		}
		if (hs_entry_write(en, buf, (size_t)n, e))
			goto out;
	}
	rc = hs_entry_commit(en, 0, e);
	en = NULL;
out:
	hs_entry_abort(en);
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Cut the index frame (the manifest copy, its length, "HSNX") off path. */
static int hs_mk_strip_index(const char *path, hs_error *e)
{
	unsigned char tail[8];
	struct stat st;
	uint32_t len;
	int fd, rc = -1;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot open '%s'", path);
	if (fstat(fd, &st) || st.st_size < 16 || pread(fd, tail, 8, st.st_size - 8) != 8 ||
	    memcmp(tail + 4, "HSNX", 4)) {
		hs_err(e, HS_EXIT_FAILURE, "'%s' has no index frame", path);
		goto out;
	}
	len = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
	      (uint32_t)tail[3] << 24;
	if (ftruncate(fd, st.st_size - 16 - (off_t)len)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot truncate '%s'", path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "profile", required_argument, NULL, 'p' },
		{ "label", required_argument, NULL, 'l' },
		{ "created-at", required_argument, NULL, 'c' },
		{ "level", required_argument, NULL, 'L' },
		{ "threads", required_argument, NULL, 'T' },
		{ "source-status", required_argument, NULL, 's' },
		{ "no-index", no_argument, NULL, 'n' },
		{ "source-details", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	hs_archive_opts ao;
	hs_archive_writer *w = NULL;
	hs_error e;
	json_t *statuses = json_object(), *used = json_object(), *details = json_object();
	const char *out, *key;
	json_t *val;
	bool no_index = false;
	int c, i, rc = HS_EXIT_FAILURE;

	hs_error_init(&e);
	memset(&ao, 0, sizeof(ao));
	ao.kind = "snapshot";
	ao.profile = "flowc";
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': ao.kind = optarg; break;
		case 'p': ao.profile = optarg; break;
		case 'l': ao.label = optarg; break;
		case 'c': ao.created_at = strtoll(optarg, NULL, 10); break;
		case 'L': ao.zstd_level = atoi(optarg); break;
		case 'T': ao.zstd_threads = atoi(optarg); break;
		case 'n': no_index = true; break;
		case 's': {
			const char *eq = strchr(optarg, '=');

			if (!eq) {
				hs_err(&e, HS_EXIT_FAILURE, "--source-status takes SRC=STATUS[:error]");
				goto out;
			}
			{
				char *src = hs_xstrndup(optarg, (size_t)(eq - optarg));

				json_object_set_new(statuses, src, json_string(eq + 1));
				free(src);
			}
			break;
		}
		case 'd': {
			const char *eq = strchr(optarg, '=');
			json_t *d = eq ? json_loads(eq + 1, JSON_DECODE_ANY, NULL) : NULL;
			char *src;

			if (!d) {
				hs_err(&e, HS_EXIT_FAILURE, "--source-details takes SRC=JSON");
				goto out;
			}
			src = hs_xstrndup(optarg, (size_t)(eq - optarg));
			json_object_set_new(details, src, d);
			free(src);
			break;
		}
		default:
			hs_err(&e, HS_EXIT_FAILURE, "bad flags (see the comment at the top of hs_mkarchive.c)");
			goto out;
		}
	}
	if (optind >= argc) {
		hs_err(&e, HS_EXIT_FAILURE, "usage: hs_mkarchive OUT.tar.zst [options] NAME=@FILE|NAME=TEXT ...");
		goto out;
	}
	out = argv[optind++];
	if (hs_aw_open(&w, out, &ao, &e))
		goto out;
	for (i = optind; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char *name;
		int r;

		if (!eq || eq == argv[i]) {
			hs_err(&e, HS_EXIT_FAILURE, "'%s' is not NAME=@FILE or NAME=TEXT", argv[i]);
			goto out;
		}
		name = hs_xstrndup(argv[i], (size_t)(eq - argv[i]));
		if (eq[1] == '@')
			r = hs_mk_add_file(w, name, eq + 2, &e);
		else
			r = hs_aw_add(w, name, hs_mk_source_of(name), eq + 1, strlen(eq + 1), 0, &e);
		if (!r && hs_mk_source_of(name))
			json_object_set_new(used, hs_mk_source_of(name), json_true());
		free(name);
		if (r)
			goto out;
	}
	json_object_foreach(used, key, val) {
		if (!json_object_get(statuses, key) &&
		    hs_aw_source(w, key, HS_STATUS_OK, NULL, ao.created_at * 1000, ao.created_at * 1000,
				 NULL, json_object_get(details, key), &e))
			goto out;
	}
	json_object_foreach(statuses, key, val) {
		const char *st = json_string_value(val), *colon = strchr(st, ':');
		char *status = hs_xstrndup(st, colon ? (size_t)(colon - st) : strlen(st));
		int r = hs_aw_source(w, key, status, colon ? colon + 1 : NULL, ao.created_at * 1000,
				     ao.created_at * 1000, NULL, json_object_get(details, key), &e);

		free(status);
		if (r)
			goto out;
	}
	if (hs_aw_finish(w, &e))
		goto out;
	if (no_index && hs_mk_strip_index(out, &e))
		goto out;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "hs_mkarchive: %s\n", e.msg);
	hs_aw_free(w);
	json_decref(statuses);
	json_decref(used);
	json_decref(details);
	return rc;
}
