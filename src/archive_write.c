/*
 * archive_write.c - the archive writer of format v1 (see archive.h).
 *
 * Layout of the work: entries hash and spool their bytes on their own
 * (memory up to HS_AW_SPOOL_MEM, then an unlinked file in the archive's
 * folder); hs_entry_commit() takes the writer's mutex and appends the tar
 * header, the spooled bytes and the padding to the zstd stream, which
 * writes to the temporary archive file.  A failure while the stream is
 * being written leaves it unusable: the writer is then marked broken and
 * every later call fails, so a damaged archive never gets its final name.
 */
#include "archive.h"
#include "clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "buf.h"
#include "cleanup.h"
#include "digest.h"
#include "output.h"
#include "tar.h"

#ifndef HIVESNAP_VERSION
#define HIVESNAP_VERSION "0.0.0"
#endif

#define HS_AW_SPOOL_MEM (1024 * 1024)
#define HS_AW_COPY_CHUNK (256 * 1024)
#define HS_AW_INDEX_MAGIC 0x184D2A5Eu

struct hs_archive_writer {
	char *final_path;        /* base_path with counter (output.h) */
	char *base_path;         /* the path hs_aw_open() was given */
	unsigned counter;        /* 1: base_path itself */
	bool numbered;           /* opts->number_on_collision */
	char *tmp_path;          /* NULL once renamed or removed */
	int tmp_slot;            /* its hs_cleanup slot, or -1 */
	char *dir;               /* folder of final_path, for spools and fsync */
	int fd;
	ZSTD_CCtx *cctx;
	unsigned char *zout;
	size_t zout_cap;
	pthread_mutex_t lock;
	int64_t created_s;
	int64_t created_ms;
	char *kind;              /* "snapshot" or "bundle", as in the header */
	json_t *entries;         /* manifest "entries", in archive order */
	json_t *names;           /* committed names (and reserved ones) -> true */
	json_t *sources;         /* hs_aw_source records */
	json_t *meta;            /* hs_aw_set_meta: extra top-level manifest keys */
	hs_buf sums;             /* SHA256SUMS lines so far */
	bool broken;             /* the stream is damaged: refuse everything */
	bool finished;
};

struct hs_entry {
	hs_archive_writer *w;
	char *name;
	char *source;
	hs_sha256 *sha;
	hs_buf mem;
	int spool;               /* -1 while the bytes fit in mem */
	uint64_t size;
	bool failed;
};

/* Is s (NUL-terminated) valid UTF-8, without overlongs or surrogates? */
static bool hs_aw_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p;
		size_t n, i;
		unsigned long cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		p += n + 1;
	}
	return true;
}

bool hs_entry_name_safe(const char *name)
{
	const char *p = name, *comp = name;
	size_t n = 0;

	if (!name || !*name)
		return false;
	for (;; p++, n++) {
		unsigned char c = (unsigned char)*p;

		if (n > 4096)
			return false;
		if (c == '/' || c == '\0') {
			size_t clen = (size_t)(p - comp);

			if (clen == 0 || (clen == 1 && comp[0] == '.') ||
			    (clen == 2 && comp[0] == '.' && comp[1] == '.'))
				return false;
			if (!c)
				break;
			comp = p + 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			return false;
	}
	return hs_aw_utf8(name);
}

/* Format unix milliseconds as RFC 3339 UTC, with or without milliseconds. */
static void hs_aw_time(char *out, size_t n, int64_t ms, bool with_ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	int r;

	gmtime_r(&s, &tm);
	if (with_ms)
		r = snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	else
		r = snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	/* callers pass 32 bytes; a year past 9999 would not fit: say nothing rather than half */
	if (r < 0 || (size_t)r >= n)
		out[0] = '\0';
}

/* Write all of buf to fd, retrying short writes and EINTR. */
static int hs_aw_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Feed bytes to the zstd stream (mode ZSTD_e_continue or ZSTD_e_end) and
 * write whatever it produces.  With ZSTD_e_end, loops until the frame is
 * complete.  Called with the lock held.
 */
static int hs_aw_zfeed(hs_archive_writer *w, const void *data, size_t len, ZSTD_EndDirective mode,
		       hs_error *e)
{
	ZSTD_inBuffer in = { data, len, 0 };

	for (;;) {
		ZSTD_outBuffer out = { w->zout, w->zout_cap, 0 };
		size_t rem = ZSTD_compressStream2(w->cctx, &out, &in, mode);

		if (ZSTD_isError(rem)) {
			w->broken = true;
			return hs_err(e, HS_EXIT_FAILURE, "cannot write '%s': zstd: %s", w->final_path,
				      ZSTD_getErrorName(rem));
		}
		if (out.pos && hs_aw_write_all(w->fd, w->zout, out.pos)) {
			w->broken = true;
			return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s'", w->final_path);
		}
		if (mode == ZSTD_e_end ? rem == 0 : in.pos == in.size)
			return 0;
	}
}

static void hs_aw_remove_tmp(hs_archive_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	if (w->tmp_path) {
		unlink(w->tmp_path);
		hs_cleanup_remove(w->tmp_slot);
		w->tmp_slot = -1;
		free(w->tmp_path);
		w->tmp_path = NULL;
	}
}

/* Serialise a JSON document the way every JSON entry is written. */
static char *hs_aw_dump_json(const json_t *doc, size_t *len)
{
	hs_buf b = HS_BUF_INIT;
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!s)
		return NULL;
	hs_buf_adds(&b, s);
	hs_buf_addc(&b, '\n');
	free(s);
	return hs_buf_detach(&b, len);
}

/*
 * Append one entry to the tar stream (lock held): header, data (from memory
 * or from the spool file), padding.  Adds the SHA256SUMS line, and the
 * manifest record when record is true.
 */
static int hs_aw_append(hs_archive_writer *w, const char *name, const char *source,
			const void *mem, int spool, uint64_t size, const char *hex, uint64_t items,
			bool record, hs_error *e)
{
	hs_buf hdr = HS_BUF_INIT;
	unsigned char *chunk = NULL;
	static const unsigned char zero[HS_TAR_BLOCK];
	int rc = -1;

	if (w->broken || w->finished) {
		hs_err(e, HS_EXIT_FAILURE, "cannot add '%s' to '%s': the archive is %s", name,
		       w->final_path, w->broken ? "damaged by an earlier error" : "finished");
		goto out;
	}
	if (json_object_get(w->names, name)) {
		hs_err(e, HS_EXIT_FAILURE, "cannot add '%s' to '%s': duplicate entry name", name,
		       w->final_path);
		goto out;
	}
	hs_tar_format_header(&hdr, name, size, w->created_s);
	if (hs_aw_zfeed(w, hdr.data, hdr.len, ZSTD_e_continue, e))
		goto out;
	if (spool < 0) {
		if (hs_aw_zfeed(w, mem, (size_t)size, ZSTD_e_continue, e))
			goto out;
	} else {
		uint64_t off = 0;

		chunk = hs_xmalloc(HS_AW_COPY_CHUNK);
		while (off < size) {
			size_t want = size - off < HS_AW_COPY_CHUNK ? (size_t)(size - off) : HS_AW_COPY_CHUNK;
			ssize_t n = pread(spool, chunk, want, (off_t)off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				w->broken = true;
				hs_err_errno(e, HS_EXIT_FAILURE, n < 0 ? errno : EIO,
					     "cannot read back the spool of entry '%s'", name);
				goto out;
			}
			if (hs_aw_zfeed(w, chunk, (size_t)n, ZSTD_e_continue, e))
				goto out;
			off += (uint64_t)n;
		}
	}
	if (hs_aw_zfeed(w, zero, hs_tar_padding(size), ZSTD_e_continue, e))
		goto out;
	json_object_set_new(w->names, name, json_true());
	hs_buf_addf(&w->sums, "%s  %s\n", hex, name);
	if (record)
		json_array_append_new(w->entries,
				      json_pack("{s:s, s:I, s:s, s:s?, s:I}", "name", name, "size",
						(json_int_t)size, "sha256", hex, "source", source, "items",
						(json_int_t)items));
	rc = 0;
out:
	free(chunk);
	hs_buf_release(&hdr);
	return rc;
}

/* Add a whole in-memory entry under the lock (header, manifest, sums). */
static int hs_aw_add_locked(hs_archive_writer *w, const char *name, const char *source,
			    const void *data, size_t len, uint64_t items, bool record, hs_error *e)
{
	char hex[HS_SHA256_HEX];

	hs_sha256_hex(data, len, hex);
	return hs_aw_append(w, name, source, data, -1, len, hex, items, record, e);
}

static bool hs_aw_reserved(const char *name)
{
	return !strcmp(name, "hivesnap.json") || !strcmp(name, "manifest.json") ||
	       !strcmp(name, "SHA256SUMS");
}

int hs_aw_open(hs_archive_writer **out, const char *final_path, const hs_archive_opts *opts,
	       hs_error *e)
{
	hs_archive_writer *w = NULL;
	const char *slash;
	char host[256], when[40];
	json_t *header = NULL;
	char *bytes = NULL;
	size_t len = 0;
	long ncpu;
	int level, threads, rc = -1;

	*out = NULL;
	if (!final_path || !*final_path)
		return hs_err(e, HS_EXIT_FAILURE, "no archive path given");
	{
		/* a taken name fails, or takes a counter (the link decides for good) */
		hs_buf name = HS_BUF_INIT;
		unsigned n = 1;

		if (hs_output_free_name(final_path, opts && opts->number_on_collision, &n, &name, e)) {
			hs_buf_release(&name);
			return -1;
		}
		w = hs_xcalloc(1, sizeof(*w));
		w->final_path = hs_buf_detach(&name, NULL);
		w->counter = n;
	}
	w->base_path = hs_xstrdup(final_path);
	w->numbered = opts && opts->number_on_collision;
	w->fd = -1;
	w->tmp_slot = -1;
	pthread_mutex_init(&w->lock, NULL);
	w->kind = hs_xstrdup(opts && opts->kind ? opts->kind : "snapshot");
	slash = strrchr(final_path, '/');
	w->dir = slash ? hs_xstrndup(final_path, slash == final_path ? 1 : (size_t)(slash - final_path))
		       : hs_xstrdup(".");
	w->entries = json_array();
	w->names = json_object();
	w->sources = json_object();
	w->meta = json_object();
	{
		hs_buf tmp = HS_BUF_INIT;

		hs_buf_addf(&tmp, "%s.tmp-%ld-XXXXXX", w->final_path, (long)getpid());
		w->tmp_path = hs_buf_detach(&tmp, NULL);
	}
	w->fd = mkstemp(w->tmp_path);
	if (w->fd < 0) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create a temporary file for '%s'", final_path);
		free(w->tmp_path);
		w->tmp_path = NULL;
		goto out;
	}
	w->tmp_slot = hs_cleanup_add(w->tmp_path);
	if (fchmod(w->fd, 0600)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot set the mode of '%s'", w->tmp_path);
		goto out;
	}

	if (opts && opts->created_at > 0) {
		w->created_s = opts->created_at;
		w->created_ms = opts->created_at * 1000;
	} else {
		w->created_ms = hs_now_ms();
		w->created_s = w->created_ms / 1000;
	}
	level = opts && opts->zstd_level ? opts->zstd_level : 3;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	threads = opts && opts->zstd_threads ? opts->zstd_threads : (ncpu > 0 ? (int)ncpu : 1);
	w->cctx = ZSTD_createCCtx();
	if (!w->cctx) {
		hs_err(e, HS_EXIT_FAILURE, "cannot write '%s': zstd context allocation failed", final_path);
		goto out;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level))) {
		hs_err(e, HS_EXIT_FAILURE, "cannot write '%s': zstd level %d is not supported", final_path,
		       level);
		goto out;
	}
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	/*
	 * Fails harmlessly on a libzstd built without threads: stay single.
	 * Jobs of 4 MiB instead of zstd's default (4 windows, 8 MiB at level 3)
	 * keep the writer's peak RSS under 64 MiB with two workers instead of
	 * ~110 MiB, at the same ratio (docs/BENCHMARKS.md).
	 */
	if (threads > 1 && !ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_nbWorkers, threads)))
		ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_jobSize, 4 << 20);
	w->zout_cap = ZSTD_CStreamOutSize();
	w->zout = hs_xmalloc(w->zout_cap);

	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	hs_aw_time(when, sizeof(when), w->created_s * 1000, false);
	header = json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:s}, s:s?, s:s?, s:s}", "format",
			   HS_FORMAT_NAME, "version", HS_FORMAT_VERSION, "kind",
			   w->kind, "created_at", when, "tool", "name",
			   "hivesnap", "version", HIVESNAP_VERSION, "profile",
			   opts ? opts->profile : NULL, "label", opts ? opts->label : NULL, "host", host);
	if (!header || !(bytes = hs_aw_dump_json(header, &len))) {
		hs_err(e, HS_EXIT_FAILURE, "cannot write '%s': header is not valid UTF-8", final_path);
		goto out;
	}
	if (hs_aw_add_locked(w, "hivesnap.json", NULL, bytes, len, 0, true, e))
		goto out;
	*out = w;
	w = NULL;
	rc = 0;
out:
	free(bytes);
	json_decref(header);
	hs_aw_free(w);
	return rc;
}

int hs_entry_begin(hs_archive_writer *w, const char *name, const char *source, hs_entry **out,
		   hs_error *e)
{
	hs_entry *en;
	bool dup;

	*out = NULL;
	if (!hs_entry_name_safe(name))
		return hs_err(e, HS_EXIT_FAILURE, "cannot add '%s': unsafe entry name", name ? name : "");
	if (hs_aw_reserved(name))
		return hs_err(e, HS_EXIT_FAILURE, "cannot add '%s': the name is reserved", name);
	pthread_mutex_lock(&w->lock);
	dup = json_object_get(w->names, name) != NULL;
	pthread_mutex_unlock(&w->lock);
	if (dup)
		return hs_err(e, HS_EXIT_FAILURE, "cannot add '%s' to '%s': duplicate entry name", name,
			      w->final_path);
	en = hs_xcalloc(1, sizeof(*en));
	en->w = w;
	en->name = hs_xstrdup(name);
	en->source = source ? hs_xstrdup(source) : NULL;
	en->sha = hs_sha256_new();
	en->spool = -1;
	hs_buf_init(&en->mem);
	*out = en;
	return 0;
}

/* Move an entry's bytes from memory to an unlinked file in the archive's folder. */
static int hs_entry_spill(hs_entry *en, hs_error *e)
{
	hs_buf path = HS_BUF_INIT;
	int fd, rc = -1;

	hs_buf_addf(&path, "%s/.hivesnap-spool-%ld-XXXXXX", en->w->dir, (long)getpid());
	fd = mkstemp(path.data);
	if (fd < 0) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot spool entry '%s' in '%s'", en->name,
			     en->w->dir);
		goto out;
	}
	unlink(path.data);
	en->spool = fd;
	if (hs_aw_write_all(fd, en->mem.data, en->mem.len)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot spool entry '%s' in '%s'", en->name,
			     en->w->dir);
		goto out;
	}
	hs_buf_release(&en->mem);
	rc = 0;
out:
	hs_buf_release(&path);
	return rc;
}

int hs_entry_write(hs_entry *en, const void *data, size_t len, hs_error *e)
{
	if (en->failed)
		return hs_err(e, HS_EXIT_FAILURE, "cannot write entry '%s': an earlier write failed",
			      en->name);
	if (!len)
		return 0;
	hs_sha256_update(en->sha, data, len);
	en->size += len;
	if (en->spool < 0 && en->mem.len + len <= HS_AW_SPOOL_MEM) {
		hs_buf_add(&en->mem, data, len);
		return 0;
	}
	if (en->spool < 0 && hs_entry_spill(en, e))
		goto fail;
	if (hs_aw_write_all(en->spool, data, len)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot spool entry '%s' in '%s'", en->name,
			     en->w->dir);
		goto fail;
	}
	return 0;
fail:
	en->failed = true;
	return -1;
}

/* Free an entry and its spool. */
static void hs_entry_free(hs_entry *en)
{
	if (!en)
		return;
	if (en->spool >= 0)
		close(en->spool);
	hs_buf_release(&en->mem);
	hs_sha256_free(en->sha);
	free(en->name);
	free(en->source);
	free(en);
}

int hs_entry_commit(hs_entry *en, uint64_t items, hs_error *e)
{
	hs_archive_writer *w = en->w;
	char hex[HS_SHA256_HEX];
	int rc;

	if (en->failed) {
		rc = hs_err(e, HS_EXIT_FAILURE, "cannot commit entry '%s': an earlier write failed",
			    en->name);
		goto out;
	}
	hs_sha256_final(en->sha, hex);
	pthread_mutex_lock(&w->lock);
	rc = hs_aw_append(w, en->name, en->source, en->mem.data, en->spool, en->size, hex, items, true, e);
	pthread_mutex_unlock(&w->lock);
out:
	hs_entry_free(en);
	return rc;
}

void hs_entry_abort(hs_entry *en)
{
	hs_entry_free(en);
}

int hs_aw_add(hs_archive_writer *w, const char *name, const char *source, const void *data,
	      size_t len, uint64_t items, hs_error *e)
{
	int rc;

	if (!hs_entry_name_safe(name))
		return hs_err(e, HS_EXIT_FAILURE, "cannot add '%s': unsafe entry name", name ? name : "");
	if (hs_aw_reserved(name))
		return hs_err(e, HS_EXIT_FAILURE, "cannot add '%s': the name is reserved", name);
	pthread_mutex_lock(&w->lock);
	rc = hs_aw_add_locked(w, name, source, data, len, items, true, e);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int hs_aw_add_json(hs_archive_writer *w, const char *name, const char *source, const json_t *doc,
		   uint64_t items, hs_error *e)
{
	size_t len = 0;
	char *s = hs_aw_dump_json(doc, &len);
	int rc;

	if (!s)
		return hs_err(e, HS_EXIT_FAILURE, "cannot add '%s': cannot serialise the JSON document",
			      name);
	rc = hs_aw_add(w, name, source, s, len, items, e);
	free(s);
	return rc;
}

int hs_aw_source(hs_archive_writer *w, const char *source, const char *status, const char *error,
		 int64_t started_ms, int64_t ended_ms, const json_t *watermark, const json_t *details,
		 hs_error *e)
{
	char t0[40], t1[40];
	json_t *rec;

	if (!source || !*source)
		return hs_err(e, HS_EXIT_FAILURE, "cannot record a source without a name");
	if (!status || (strcmp(status, HS_STATUS_OK) && strcmp(status, HS_STATUS_PARTIAL) &&
			strcmp(status, HS_STATUS_FAILED) && strcmp(status, HS_STATUS_SKIPPED)))
		return hs_err(e, HS_EXIT_FAILURE, "cannot record source '%s': unknown status '%s'", source,
			      status ? status : "");
	hs_aw_time(t0, sizeof(t0), started_ms, true);
	hs_aw_time(t1, sizeof(t1), ended_ms, true);
	rec = json_pack("{s:s, s:s?, s:s?, s:s?, s:O?, s:O?}", "status", status, "error", error,
			"started_at", started_ms > 0 ? t0 : NULL, "ended_at", ended_ms > 0 ? t1 : NULL,
			"watermark", watermark, "details", details);
	if (!rec)
		return hs_err(e, HS_EXIT_FAILURE, "cannot record source '%s': error text is not UTF-8",
			      source);
	pthread_mutex_lock(&w->lock);
	json_object_set_new(w->sources, source, rec);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* Keys of the manifest the writer fills itself: never set by hs_aw_set_meta. */
static bool hs_aw_meta_reserved(const char *key)
{
	static const char *const own[] = { "format", "version", "kind", "created_at", "completed_at",
					   "status", "sources", "entries", "totals", NULL };
	size_t i;

	for (i = 0; own[i]; i++)
		if (!strcmp(key, own[i]))
			return true;
	return false;
}

/*
 * Record an extra top-level manifest key (copied); see archive.h.  The key
 * must be [a-z0-9_], 1-64 bytes, and not one the writer fills itself.
 */
int hs_aw_set_meta(hs_archive_writer *w, const char *key, const json_t *value, hs_error *e)
{
	size_t n = key ? strlen(key) : 0;

	if (!n || n > 64 || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") != n ||
	    hs_aw_meta_reserved(key))
		return hs_err(e, HS_EXIT_FAILURE, "cannot set manifest key '%s': reserved or not [a-z0-9_]",
			      key ? key : "");
	if (!value)
		return hs_err(e, HS_EXIT_FAILURE, "cannot set manifest key '%s': no value", key);
	pthread_mutex_lock(&w->lock);
	if (w->finished) {
		pthread_mutex_unlock(&w->lock);
		return hs_err(e, HS_EXIT_FAILURE, "cannot set manifest key '%s': the archive is finished",
			      key);
	}
	json_object_set_new(w->meta, key, json_deep_copy(value));
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/*
 * Give the temporary file its final name without ever replacing a file:
 * renameat2(RENAME_NOREPLACE), or link() + unlink() where the file system
 * has no RENAME_NOREPLACE.  A name taken since hs_aw_open() (EEXIST) fails,
 * or with a numbered writer moves on to the next free numbered name and
 * tries again: whoever wins a name, nobody's file is replaced.
 */
static int hs_aw_place(hs_archive_writer *w, hs_error *e)
{
	for (;;) {
		hs_buf next = HS_BUF_INIT;
		bool linked = false;
		int err = 0;

		if (renameat2(AT_FDCWD, w->tmp_path, AT_FDCWD, w->final_path, RENAME_NOREPLACE)) {
			err = errno;
			if (err == EINVAL || err == ENOSYS) {
				/* no RENAME_NOREPLACE on this file system: link() never replaces */
				linked = true;
				err = link(w->tmp_path, w->final_path) ? errno : 0;
				if (!err)
					unlink(w->tmp_path);
			}
		}
		if (!err)
			return 0;
		if (err != EEXIST)
			return linked ? hs_err_errno(e, HS_EXIT_FAILURE, err, "cannot link '%s'", w->final_path)
				      : hs_err_errno(e, HS_EXIT_FAILURE, err, "cannot rename '%s'", w->tmp_path);
		if (!w->numbered)
			return hs_err(e, HS_EXIT_FAILURE, "cannot write '%s': file exists", w->final_path);
		w->counter++;
		if (hs_output_free_name(w->base_path, true, &w->counter, &next, e)) {
			hs_buf_release(&next);
			return -1;
		}
		free(w->final_path);
		w->final_path = hs_buf_detach(&next, NULL);
	}
}

const char *hs_aw_path(const hs_archive_writer *w)
{
	return w->final_path;
}

/* Build manifest.json from the recorded entries and sources (lock held). */
static json_t *hs_aw_manifest(hs_archive_writer *w)
{
	json_t *m, *sources = json_deep_copy(w->sources), *ent;
	const char *key;
	json_t *src;
	size_t i;
	uint64_t tb = 0, ti = 0;
	int nok = 0, npartial = 0, nfailed = 0;
	char t0[40], t1[40];

	json_object_foreach(sources, key, src) {
		uint64_t n = 0, items = 0, bytes = 0;
		const char *st = json_string_value(json_object_get(src, "status"));

		json_array_foreach(w->entries, i, ent) {
			const char *es = json_string_value(json_object_get(ent, "source"));

			if (es && !strcmp(es, key)) {
				n++;
				items += (uint64_t)json_integer_value(json_object_get(ent, "items"));
				bytes += (uint64_t)json_integer_value(json_object_get(ent, "size"));
			}
		}
		json_object_set_new(src, "entries", json_integer((json_int_t)n));
		json_object_set_new(src, "items", json_integer((json_int_t)items));
		json_object_set_new(src, "bytes", json_integer((json_int_t)bytes));
		if (!strcmp(st, HS_STATUS_OK))
			nok++;
		else if (!strcmp(st, HS_STATUS_PARTIAL))
			npartial++;
		else if (!strcmp(st, HS_STATUS_FAILED))
			nfailed++;
	}
	json_array_foreach(w->entries, i, ent) {
		tb += (uint64_t)json_integer_value(json_object_get(ent, "size"));
		ti += (uint64_t)json_integer_value(json_object_get(ent, "items"));
	}
	hs_aw_time(t0, sizeof(t0), w->created_ms, true);
	hs_aw_time(t1, sizeof(t1), hs_now_ms(), true);
	m = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:O, s:{s:I, s:I, s:I}}", "format",
		      "hivesnap-manifest", "version", HS_FORMAT_VERSION, "kind",
		      w->kind, "created_at", t0, "completed_at", t1, "status",
		      (!npartial && !nfailed) ? "ok" : (nok || npartial) ? "partial" : "failed",
		      "sources", sources, "entries", w->entries, "totals", "entries",
		      (json_int_t)json_array_size(w->entries), "bytes", (json_int_t)tb, "items",
		      (json_int_t)ti);
	if (m)
		json_object_update_missing(m, w->meta);
	return m;
}

int hs_aw_finish(hs_archive_writer *w, hs_error *e)
{
	json_t *manifest = NULL;
	char *mbytes = NULL;
	size_t mlen = 0;
	hs_buf tail = HS_BUF_INIT;
	unsigned char le[8];
	int dfd = -1, rc = -1;

	pthread_mutex_lock(&w->lock);
	if (w->broken || w->finished) {
		hs_err(e, HS_EXIT_FAILURE, "cannot finish '%s': the archive is %s", w->final_path,
		       w->broken ? "damaged by an earlier error" : "finished");
		goto out;
	}
	manifest = hs_aw_manifest(w);
	mbytes = hs_aw_dump_json(manifest, &mlen);
	if (!mbytes || mlen > UINT32_MAX - 16) {
		hs_err(e, HS_EXIT_FAILURE, "cannot finish '%s': manifest too large", w->final_path);
		goto out;
	}
	if (hs_aw_add_locked(w, "manifest.json", NULL, mbytes, mlen, 0, false, e))
		goto out;
	{
		char hex[HS_SHA256_HEX];
		hs_buf sums = HS_BUF_INIT;

		hs_buf_add(&sums, w->sums.data, w->sums.len);
		hs_sha256_hex(sums.data, sums.len, hex);
		rc = hs_aw_append(w, "SHA256SUMS", NULL, sums.data, -1, sums.len, hex, 0, false, e);
		hs_buf_release(&sums);
		if (rc)
			goto out;
		rc = -1;
	}
	hs_tar_format_end(&tail);
	if (hs_aw_zfeed(w, tail.data, tail.len, ZSTD_e_end, e))
		goto out;

	/* the index frame: magic, size, manifest copy, its length, "HSNX" */
	hs_buf_reset(&tail);
	le[0] = HS_AW_INDEX_MAGIC & 0xff;
	le[1] = (HS_AW_INDEX_MAGIC >> 8) & 0xff;
	le[2] = (HS_AW_INDEX_MAGIC >> 16) & 0xff;
	le[3] = (HS_AW_INDEX_MAGIC >> 24) & 0xff;
	le[4] = (unsigned char)((mlen + 8) & 0xff);
	le[5] = (unsigned char)(((mlen + 8) >> 8) & 0xff);
	le[6] = (unsigned char)(((mlen + 8) >> 16) & 0xff);
	le[7] = (unsigned char)(((mlen + 8) >> 24) & 0xff);
	hs_buf_add(&tail, le, 8);
	hs_buf_add(&tail, mbytes, mlen);
	le[0] = (unsigned char)(mlen & 0xff);
	le[1] = (unsigned char)((mlen >> 8) & 0xff);
	le[2] = (unsigned char)((mlen >> 16) & 0xff);
	le[3] = (unsigned char)((mlen >> 24) & 0xff);
	hs_buf_add(&tail, le, 4);
	hs_buf_add(&tail, "HSNX", 4);
	w->broken = true; /* until the file has its final name */
	if (hs_aw_write_all(w->fd, tail.data, tail.len)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s'", w->final_path);
		goto out;
	}
	if (fsync(w->fd)) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot sync '%s'", w->final_path);
		goto out;
	}
	if (hs_aw_place(w, e))
		goto out;
	hs_cleanup_remove(w->tmp_slot);
	w->tmp_slot = -1;
	free(w->tmp_path);
	w->tmp_path = NULL;
	dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	w->broken = false;
	w->finished = true;
	rc = 0;
out:
	if (rc && !w->finished) {
		/* whatever failed, the stream is unusable now */
		w->broken = true;
		hs_aw_remove_tmp(w);
	}
	pthread_mutex_unlock(&w->lock);
	json_decref(manifest);
	free(mbytes);
	hs_buf_release(&tail);
	return rc;
}

void hs_aw_free(hs_archive_writer *w)
{
	if (!w)
		return;
	hs_aw_remove_tmp(w);
	ZSTD_freeCCtx(w->cctx);
	free(w->zout);
	pthread_mutex_destroy(&w->lock);
	json_decref(w->entries);
	json_decref(w->names);
	json_decref(w->sources);
	json_decref(w->meta);
	hs_buf_release(&w->sums);
	free(w->final_path);
	free(w->base_path);
	free(w->kind);
	free(w->dir);
	free(w);
}

/*
 * If name is one of this writer's temporary names ("<x>.tar.zst.tmp-<pid>-
 * XXXXXX" or ".hivesnap-spool-<pid>-XXXXXX"), return the pid, else 0.
 */
static long hs_aw_tmp_pid(const char *name)
{
	const char *p = NULL, *q;
	char *end;
	long pid;

	if (!strncmp(name, ".hivesnap-spool-", 16)) {
		p = name + 16;
	} else {
		q = strstr(name, ".tar.zst.tmp-");
		if (!q || q == name)
			return 0;
		p = q + 13;
	}
	if (*p < '1' || *p > '9')
		return 0;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno || pid <= 0 || *end != '-' || strlen(end + 1) != 6 || strchr(end + 1, '/'))
		return 0;
	return pid;
}

int hs_aw_clean_stale(const char *dir, unsigned *removed, hs_error *e)
{
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int rc = -1;

	*removed = 0;
	d = opendir(dir);
	if (!d)
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot read folder '%s'", dir);
	while ((errno = 0, de = readdir(d))) {
		long pid = hs_aw_tmp_pid(de->d_name);

		if (!pid || pid == (long)getpid())
			continue;
		/* alive, or someone else's (EPERM): not ours to touch */
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid())
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			(*removed)++;
		else if (errno != ENOENT) {
			hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot remove stale temporary file '%s/%s'",
				     dir, de->d_name);
			goto out;
		}
	}
	if (errno) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot read folder '%s'", dir);
		goto out;
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}
