/*
 * archive_read.c - the archive reader of format v1 (see archive.h).
 *
 * One pass over the file with bounded buffers: the file is fed through
 * ZSTD_decompressStream, the decompressed bytes are parsed as tar, every
 * entry is hashed as it is read.  The index frame, when the file ends with
 * one, is read first, so entries are checked against it as they come;
 * everything is checked against manifest.json and SHA256SUMS at the end.
 * Whatever is wrong, the error names the archive and, where there is one,
 * the entry, and uses HS_EXIT_INTEGRITY (HS_EXIT_DATA for a newer format).
 */
#include "archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "buf.h"
#include "digest.h"
#include "log.h"
#include "tar.h"

#define HS_RD_INDEX_MAGIC 0x184D2A5Eu
#define HS_RD_ZSTD_MAGIC 0xFD2FB528u
/* Largest manifest.json / SHA256SUMS / index copy the reader holds in memory. */
#define HS_RD_META_MAX ((size_t)64 * 1024 * 1024)
/* Largest hivesnap.json header. */
#define HS_RD_HEADER_MAX ((size_t)1024 * 1024)
/*
 * Decompression bomb limits (docs/design.md "Safety"): at most this many
 * decompressed bytes in all (HIVESNAP_MAX_BYTES), and, once more than
 * HS_RD_RATIO_FLOOR bytes have come out, at most this many decompressed
 * bytes per compressed byte read (HIVESNAP_MAX_EXPANSION).  0 disables.
 */
#define HS_RD_MAX_BYTES_DEFAULT ((uint64_t)1 << 40)
#define HS_RD_MAX_RATIO_DEFAULT 1000u
#define HS_RD_RATIO_FLOOR ((uint64_t)1 << 30)

struct hs_reader {
	char *path;
	int fd;
	uint64_t file_size;
	uint64_t data_end;       /* where the zstd data ends (the index frame starts) */
	uint64_t file_off;       /* next file offset to feed */

	ZSTD_DCtx *dctx;
	unsigned char *zin, *zout;
	size_t zin_cap, zin_len, zin_pos;
	size_t zout_cap, zout_len, zout_pos;
	size_t zret;             /* last ZSTD_decompressStream result: 0 at a frame end */
	bool zlast_full;         /* the last call filled the output: more may be pending */
	uint64_t zout_total;     /* decompressed bytes so far */
	uint64_t max_bytes;      /* bomb limits, 0 = none */
	uint64_t max_ratio;

	char *index_bytes;       /* the index frame's manifest copy */
	size_t index_len;
	json_t *index;           /* parsed, or NULL */
	json_t *index_map;       /* name -> index entry */

	json_t *header;
	char *header_bytes;
	size_t header_len;

	/* the current entry */
	char *cur_name;
	uint64_t cur_size;
	uint64_t cur_left;
	hs_sha256 *cur_sha;
	bool cur_open;           /* an entry is current */
	bool cur_done;           /* its end was reached and checked */
	const char *cur_mem;     /* held in memory (manifest.json, SHA256SUMS) */
	size_t cur_mem_pos;

	json_t *seen;            /* name -> {"size", "sha256"} */
	size_t nseen;
	char *manifest_bytes;
	size_t manifest_len;
	json_t *manifest;
	char *sums_bytes;
	size_t sums_len;
	const char *last_name;   /* "manifest.json" or "SHA256SUMS" when just read */
	bool at_end;
	bool failed;
};

/* Copy a name for an error message: control bytes (and all of a non-UTF-8
 * name's bytes >= 0x80) as '?', long names cut. */
static const char *hs_rd_pname(const char *name, char *out, size_t n)
{
	json_t *utf8 = json_string(name);
	size_t i, j = 0;

	for (i = 0; name[i] && j + 4 < n; i++) {
		unsigned char c = (unsigned char)name[i];

		out[j++] = (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) ? '?' : name[i];
	}
	json_decref(utf8);
	if (name[i]) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
	return out;
}

static uint32_t hs_rd_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* pread exactly n bytes at off. */
static int hs_rd_pread(hs_reader *r, void *buf, size_t n, uint64_t off, hs_error *e)
{
	char *p = buf;

	while (n) {
		ssize_t k = pread(r->fd, p, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot read '%s'", r->path);
		if (k == 0)
			return hs_err(e, HS_EXIT_INTEGRITY, "'%s': truncated", r->path);
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/*
 * Parse a limit from the environment variable var: a decimal number, for a
 * size optionally followed by K, M, G or T (powers of 1024).  Unset or
 * empty keeps *out; "0" means no limit.
 */
static int hs_rd_limit_env(const char *var, bool size, uint64_t *out, hs_error *e)
{
	static const char units[] = "KMGT";
	const char *s = getenv(var);
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (size && *end && !end[1] && strchr(units, *end)) {
		shift = 10u * (unsigned)(strchr(units, *end) - units + 1);
		end++;
	}
	if (s[0] < '0' || s[0] > '9' || *end || errno || (shift && v > (UINT64_MAX >> shift)))
		return hs_err(e, HS_EXIT_USAGE, "%s='%s': not a %s", var, s,
			      size ? "size in bytes (e.g. 1099511627776 or 1T)" : "whole number");
	*out = (uint64_t)v << shift;
	return 0;
}

/*
 * Refuse a decompression bomb as soon as it shows: too many bytes in all,
 * or too many per compressed byte read once past HS_RD_RATIO_FLOOR.
 */
static int hs_rd_bomb_check(const hs_reader *r, hs_error *e)
{
	uint64_t in = r->file_off - (r->zin_len - r->zin_pos);

	if (r->max_bytes && r->zout_total > r->max_bytes)
		return hs_err(e, HS_EXIT_INTEGRITY,
			      "'%s': refusing to decompress more than %llu bytes (a decompression bomb? HIVESNAP_MAX_BYTES sets the limit)",
			      r->path, (unsigned long long)r->max_bytes);
	if (r->max_ratio && r->zout_total > HS_RD_RATIO_FLOOR && in &&
	    r->zout_total / in > r->max_ratio)
		return hs_err(e, HS_EXIT_INTEGRITY,
			      "'%s': refusing to decompress: %llu bytes from %llu compressed, more than %llu:1 (a decompression bomb? HIVESNAP_MAX_EXPANSION sets the limit)",
			      r->path, (unsigned long long)r->zout_total, (unsigned long long)in,
			      (unsigned long long)r->max_ratio);
	return 0;
}

/*
 * Make decompressed bytes available in zout.  Returns 1 when there are
 * some, 0 at the clean end of the zstd data, -1 on damage or truncation.
 */
static int hs_rd_fill(hs_reader *r, hs_error *e)
{
	while (r->zout_pos == r->zout_len) {
		ZSTD_inBuffer in;
		ZSTD_outBuffer out;
		size_t ret;

		if (r->zin_pos == r->zin_len && r->file_off < r->data_end) {
			size_t want = r->data_end - r->file_off < r->zin_cap ?
					      (size_t)(r->data_end - r->file_off) : r->zin_cap;

			if (hs_rd_pread(r, r->zin, want, r->file_off, e))
				return -1;
			r->file_off += want;
			r->zin_len = want;
			r->zin_pos = 0;
		}
		if (r->zin_pos == r->zin_len && !r->zlast_full) {
			if (r->zret != 0)
				return hs_err(e, HS_EXIT_INTEGRITY, "'%s': truncated (the zstd stream ends early)",
					      r->path);
			return 0;
		}
		in.src = r->zin;
		in.size = r->zin_len;
		in.pos = r->zin_pos;
		out.dst = r->zout;
		out.size = r->zout_cap;
		out.pos = 0;
		ret = ZSTD_decompressStream(r->dctx, &out, &in);
		if (ZSTD_isError(ret)) {
			if (r->zret == 0)
				return hs_err(e, HS_EXIT_INTEGRITY, "'%s': garbage after the zstd stream",
					      r->path);
			return hs_err(e, HS_EXIT_INTEGRITY, "'%s': corrupt zstd data (%s)", r->path,
				      ZSTD_getErrorName(ret));
		}
		r->zin_pos = in.pos;
		r->zret = ret;
		r->zlast_full = out.pos == out.size;
		r->zout_len = out.pos;
		r->zout_pos = 0;
		r->zout_total += out.pos;
		if (hs_rd_bomb_check(r, e))
			return -1;
	}
	return 1;
}

/* Up to n decompressed bytes; 0 at the end of the data. */
static ssize_t hs_rd_some(hs_reader *r, void *buf, size_t n, hs_error *e)
{
	size_t k;
	int f = hs_rd_fill(r, e);

	if (f <= 0)
		return f;
	k = r->zout_len - r->zout_pos;
	if (k > n)
		k = n;
	memcpy(buf, r->zout + r->zout_pos, k);
	r->zout_pos += k;
	return (ssize_t)k;
}

/* Exactly n decompressed bytes (buf may be NULL to skip them). */
static int hs_rd_exact(hs_reader *r, void *buf, size_t n, hs_error *e)
{
	char scratch[4096];
	char *p = buf;

	while (n) {
		size_t want = n;
		ssize_t k;

		if (!p && want > sizeof(scratch))
			want = sizeof(scratch);
		k = hs_rd_some(r, p ? p : scratch, want, e);
		if (k < 0)
			return -1;
		if (k == 0)
			return hs_err(e, HS_EXIT_INTEGRITY, "'%s': truncated (the tar stream ends early)",
				      r->path);
		if (p)
			p += k;
		n -= (size_t)k;
	}
	return 0;
}

static bool hs_rd_hex64(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 64)
		return false;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * Check that doc has the manifest's shape, as far as the reader relies on
 * it, and build name -> entry in *map (when map is not NULL).
 */
static int hs_rd_check_manifest(const json_t *doc, json_t **map)
{
	const json_t *entries = json_object_get(doc, "entries");
	json_t *m = json_object(), *ent;
	size_t i;

	if (!json_is_object(doc) ||
	    strcmp(json_string_value(json_object_get(doc, "format")) ?
			   json_string_value(json_object_get(doc, "format")) : "", "hivesnap-manifest") ||
	    !json_is_array(entries))
		goto bad;
	json_array_foreach(entries, i, ent) {
		const char *name = json_string_value(json_object_get(ent, "name"));
		const json_t *size = json_object_get(ent, "size");
		const json_t *src = json_object_get(ent, "source");

		if (!name || !json_is_integer(size) || json_integer_value(size) < 0 ||
		    !hs_rd_hex64(json_string_value(json_object_get(ent, "sha256"))) ||
		    (src && !json_is_string(src) && !json_is_null(src)) || json_object_get(m, name))
			goto bad;
		json_object_set(m, name, ent);
	}
	if (map)
		*map = m;
	else
		json_decref(m);
	return 0;
bad:
	json_decref(m);
	return -1;
}

/*
 * Look at the end of the file for the index frame:
 * LE32 magic, LE32 size, manifest copy, LE32 length, "HSNX".
 */
static int hs_rd_read_index(hs_reader *r, hs_error *e)
{
	unsigned char tail[8], head[8];
	uint32_t len;

	r->data_end = r->file_size;
	if (r->file_size < 16)
		return 0;
	if (hs_rd_pread(r, tail, 8, r->file_size - 8, e))
		return -1;
	if (memcmp(tail + 4, "HSNX", 4))
		return 0;
	len = hs_rd_le32(tail);
	if ((uint64_t)len + 16 > r->file_size || len > HS_RD_META_MAX)
		return hs_err(e, HS_EXIT_INTEGRITY, "'%s': index frame is damaged (bad length)", r->path);
	if (hs_rd_pread(r, head, 8, r->file_size - 16 - len, e))
		return -1;
	if (hs_rd_le32(head) != HS_RD_INDEX_MAGIC || hs_rd_le32(head + 4) != len + 8)
		return hs_err(e, HS_EXIT_INTEGRITY, "'%s': index frame is damaged (bad frame header)",
			      r->path);
	r->index_bytes = hs_xmalloc(len + 1);
	if (hs_rd_pread(r, r->index_bytes, len, r->file_size - 8 - len, e))
		return -1;
	r->index_bytes[len] = '\0';
	r->index_len = len;
	r->data_end = r->file_size - 16 - len;
	return 0;
}

/* Record a finished entry's size and checksum; check it against the index. */
static int hs_rd_seen(hs_reader *r, const char *name, uint64_t size, const char *hex, hs_error *e)
{
	char pn[256];

	json_object_set_new(r->seen, name,
			    json_pack("{s:I, s:s}", "size", (json_int_t)size, "sha256", hex));
	r->nseen++;
	if (r->index_map && strcmp(name, "manifest.json") && strcmp(name, "SHA256SUMS")) {
		const char *want = json_string_value(
			json_object_get(json_object_get(r->index_map, name), "sha256"));

		if (!want || strcmp(want, hex))
			return hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': checksum mismatch", r->path,
				      hs_rd_pname(name, pn, sizeof(pn)));
	}
	return 0;
}

/* What a typeflag is, for the refusal message. */
static const char *hs_rd_type_name(char t)
{
	switch (t) {
	case '1': return "hard link";
	case '2': return "symbolic link";
	case '3': return "character device";
	case '4': return "block device";
	case '5': return "directory";
	case '6': return "fifo";
	case '7': return "contiguous file";
	case 'L': return "GNU long name";
	case 'K': return "GNU long link name";
	default: return "entry of unknown type";
	}
}

/*
 * Read the next tar header (with its pax extended header, if any).
 * Returns 1 with *name (caller frees) and *size set, 0 at the end-of-archive
 * marker, -1 on error.
 */
static int hs_rd_tar_header(hs_reader *r, char **name, uint64_t *size, hs_error *e)
{
	unsigned char block[HS_TAR_BLOCK];
	hs_tar_header h;
	char *pax_path = NULL, *pax = NULL;
	uint64_t pax_size = 0;
	bool has_pax = false, has_size = false;
	char pn[256];
	int rc = -1;

	*name = NULL;
	for (;;) {
		if (hs_rd_exact(r, block, sizeof(block), e))
			goto out;
		if (hs_tar_parse_header(block, &h, e)) {
			hs_err_prefix(e, "'%s'", r->path);
			goto out;
		}
		if (h.zero) {
			if (has_pax) {
				hs_err(e, HS_EXIT_INTEGRITY, "'%s': pax header without an entry", r->path);
				goto out;
			}
			rc = 0;
			goto out;
		}
		if (h.typeflag != 'x')
			break;
		if (has_pax || h.size > HS_TAR_PAX_MAX) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': malformed pax extended header", r->path);
			goto out;
		}
		pax = hs_xmalloc((size_t)h.size + 1);
		if (hs_rd_exact(r, pax, (size_t)h.size, e) ||
		    hs_rd_exact(r, NULL, hs_tar_padding(h.size), e))
			goto out;
		if (hs_tar_parse_pax(pax, (size_t)h.size, &pax_path, &pax_size, &has_size, e)) {
			hs_err_prefix(e, "'%s'", r->path);
			goto out;
		}
		free(pax);
		pax = NULL;
		has_pax = true;
	}
	if (pax_path && strlen(pax_path) > 4096) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': unsafe name", r->path,
		       hs_rd_pname(pax_path, pn, sizeof(pn)));
		goto out;
	}
	*name = pax_path ? pax_path : hs_xstrdup(h.name);
	pax_path = NULL;
	*size = has_size ? pax_size : h.size;
	if (h.typeflag == 'g') {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': pax global header is not allowed", r->path);
		goto out;
	}
	if (h.typeflag != '0') {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': %s is not allowed (regular files only)",
		       r->path, hs_rd_pname(*name, pn, sizeof(pn)), hs_rd_type_name(h.typeflag));
		goto out;
	}
	rc = 1;
out:
	if (rc != 1) {
		free(*name);
		*name = NULL;
	}
	free(pax_path);
	free(pax);
	return rc;
}

/* Read a whole small entry (and its padding) into memory, hashing it. */
static int hs_rd_slurp(hs_reader *r, const char *name, uint64_t size, size_t max, char **out,
		       hs_error *e)
{
	char hex[HS_SHA256_HEX];
	char *p;

	if (size > max)
		return hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': too large (%llu bytes)", r->path,
			      name, (unsigned long long)size);
	p = hs_xmalloc((size_t)size + 1);
	if (hs_rd_exact(r, p, (size_t)size, e) || hs_rd_exact(r, NULL, hs_tar_padding(size), e)) {
		free(p);
		return -1;
	}
	p[size] = '\0';
	hs_sha256_hex(p, (size_t)size, hex);
	*out = p;
	return hs_rd_seen(r, name, size, hex, e);
}

/* Finish the current streamed entry: padding, checksum. */
static int hs_rd_entry_end(hs_reader *r, hs_error *e)
{
	char hex[HS_SHA256_HEX];

	if (r->cur_done)
		return 0;
	r->cur_done = true;
	if (r->cur_mem)
		return 0;
	if (hs_rd_exact(r, NULL, hs_tar_padding(r->cur_size), e))
		return -1;
	hs_sha256_final(r->cur_sha, hex);
	hs_sha256_free(r->cur_sha);
	r->cur_sha = NULL;
	return hs_rd_seen(r, r->cur_name, r->cur_size, hex, e);
}

/* The whole of the checks that can only be made at the end. */
static int hs_rd_final_checks(hs_reader *r, hs_error *e)
{
	const json_t *entries, *ent;
	json_t *mmap = NULL;
	json_error_t jerr;
	const char *key;
	json_t *val;
	size_t i, lineno = 0;
	const char *p, *end;
	json_t *listed = NULL;
	char pn[256];
	int rc = -1;

	/* everything after the end-of-archive marker must be zeros (scanned in place) */
	for (;;) {
		int f = hs_rd_fill(r, e);

		if (f < 0)
			goto out;
		if (f == 0)
			break;
		while (r->zout_pos < r->zout_len) {
			static const unsigned char zeros[4096];
			size_t n = r->zout_len - r->zout_pos < sizeof(zeros) ? r->zout_len - r->zout_pos
									       : sizeof(zeros);

			if (memcmp(r->zout + r->zout_pos, zeros, n)) {
				hs_err(e, HS_EXIT_INTEGRITY, "'%s': garbage after the end of the tar stream",
				       r->path);
				goto out;
			}
			r->zout_pos += n;
		}
	}
	if (!r->manifest_bytes) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': manifest.json is missing", r->path);
		goto out;
	}
	if (!r->sums_bytes) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': SHA256SUMS is missing", r->path);
		goto out;
	}
	r->manifest = json_loadb(r->manifest_bytes, r->manifest_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r->manifest || hs_rd_check_manifest(r->manifest, &mmap)) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': manifest.json is not a valid manifest", r->path);
		goto out;
	}
	entries = json_object_get(r->manifest, "entries");
	json_array_foreach(entries, i, ent) {
		const char *name = json_string_value(json_object_get(ent, "name"));
		const json_t *s = json_object_get(r->seen, name);

		hs_rd_pname(name, pn, sizeof(pn));
		if (!s || !strcmp(name, "manifest.json") || !strcmp(name, "SHA256SUMS")) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s' is in the manifest but not in the archive",
			       r->path, pn);
			goto out;
		}
		if (json_integer_value(json_object_get(s, "size")) !=
		    json_integer_value(json_object_get(ent, "size"))) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': size mismatch (%lld bytes, the manifest says %lld)",
			       r->path, pn, (long long)json_integer_value(json_object_get(s, "size")),
			       (long long)json_integer_value(json_object_get(ent, "size")));
			goto out;
		}
		if (strcmp(json_string_value(json_object_get(s, "sha256")),
			   json_string_value(json_object_get(ent, "sha256")))) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': checksum mismatch", r->path, pn);
			goto out;
		}
	}
	json_object_foreach(r->seen, key, val) {
		if (strcmp(key, "manifest.json") && strcmp(key, "SHA256SUMS") && !json_object_get(mmap, key)) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': not in the manifest", r->path,
			       hs_rd_pname(key, pn, sizeof(pn)));
			goto out;
		}
	}

	/* SHA256SUMS: one "<hex>  <name>" line per entry but itself */
	listed = json_object();
	p = r->sums_bytes;
	end = r->sums_bytes + r->sums_len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *name;
		const json_t *s;

		lineno++;
		if (!nl || nl - p < 67 || p[64] != ' ' || p[65] != ' ' || memchr(p, '\0', (size_t)(nl - p))) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': SHA256SUMS line %zu is malformed", r->path, lineno);
			goto out;
		}
		name = hs_xstrndup(p + 66, (size_t)(nl - p - 66));
		s = json_object_get(r->seen, name);
		if (!s || !strcmp(name, "SHA256SUMS") || json_object_get(listed, name) ||
		    strncmp(p, json_string_value(json_object_get(s, "sha256")), 64)) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': SHA256SUMS line %zu does not match entry '%s'",
			       r->path, lineno, hs_rd_pname(name, pn, sizeof(pn)));
			free(name);
			goto out;
		}
		json_object_set_new(listed, name, json_true());
		free(name);
		p = nl + 1;
	}
	json_object_foreach(r->seen, key, val) {
		if (strcmp(key, "SHA256SUMS") && !json_object_get(listed, key)) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': SHA256SUMS does not list entry '%s'", r->path,
			       hs_rd_pname(key, pn, sizeof(pn)));
			goto out;
		}
	}
	if (r->index_bytes &&
	    (r->index_len != r->manifest_len || memcmp(r->index_bytes, r->manifest_bytes, r->index_len))) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': index frame differs from manifest.json", r->path);
		goto out;
	}
	rc = 0;
out:
	json_decref(mmap);
	json_decref(listed);
	return rc;
}

/* Drop the current entry's state. */
static void hs_rd_cur_clear(hs_reader *r)
{
	free(r->cur_name);
	r->cur_name = NULL;
	hs_sha256_free(r->cur_sha);
	r->cur_sha = NULL;
	r->cur_open = false;
	r->cur_done = false;
	r->cur_mem = NULL;
	r->cur_mem_pos = 0;
}

/*
 * Advance to the next entry (the header entry included): checks its type,
 * name, place and size.  Returns 1, 0 at the end (final checks passed), -1.
 */
static int hs_rd_advance(hs_reader *r, hs_error *e)
{
	char *name = NULL;
	uint64_t size = 0;
	char pn[256];
	int k;

	hs_rd_cur_clear(r);
	k = hs_rd_tar_header(r, &name, &size, e);
	if (k <= 0) {
		if (k == 0 && hs_rd_final_checks(r, e) == 0) {
			r->at_end = true;
			return 0;
		}
		return -1;
	}
	hs_rd_pname(name, pn, sizeof(pn));
	if (!hs_entry_name_safe(name)) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': unsafe name (absolute, '..', control bytes or not UTF-8)",
		       r->path, pn);
		goto fail;
	}
	if (json_object_get(r->seen, name)) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': duplicate name", r->path, pn);
		goto fail;
	}
	if (r->last_name && !strcmp(r->last_name, "SHA256SUMS")) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s' after SHA256SUMS, which must be the last entry",
		       r->path, pn);
		goto fail;
	}
	if (r->last_name && !strcmp(r->last_name, "manifest.json") && strcmp(name, "SHA256SUMS")) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': manifest.json is not the second-to-last entry", r->path);
		goto fail;
	}
	if (!strcmp(name, "SHA256SUMS") && !r->manifest_bytes) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': manifest.json is missing before SHA256SUMS", r->path);
		goto fail;
	}
	if (r->max_bytes && size > r->max_bytes) {
		hs_err(e, HS_EXIT_INTEGRITY,
		       "'%s': entry '%s': %llu bytes, more than the %llu allowed (HIVESNAP_MAX_BYTES sets the limit)",
		       r->path, pn, (unsigned long long)size, (unsigned long long)r->max_bytes);
		goto fail;
	}
	r->last_name = NULL;
	if (r->index_map && strcmp(name, "manifest.json") && strcmp(name, "SHA256SUMS")) {
		const json_t *ie = json_object_get(r->index_map, name);
		uint64_t want;

		if (!ie) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': not in the manifest", r->path, pn);
			goto fail;
		}
		want = (uint64_t)json_integer_value(json_object_get(ie, "size"));
		if (size > want) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': larger than the manifest says (%llu bytes, not %llu)",
			       r->path, pn, (unsigned long long)size, (unsigned long long)want);
			goto fail;
		}
		if (size != want) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry '%s': size mismatch (%llu bytes, the manifest says %llu)",
			       r->path, pn, (unsigned long long)size, (unsigned long long)want);
			goto fail;
		}
	}
	r->cur_name = name;
	r->cur_size = size;
	r->cur_left = size;
	r->cur_open = true;
	if (!strcmp(name, "manifest.json")) {
		if (hs_rd_slurp(r, name, size, HS_RD_META_MAX, &r->manifest_bytes, e))
			return -1;
		r->manifest_len = (size_t)size;
		r->cur_mem = r->manifest_bytes;
		r->last_name = "manifest.json";
		r->cur_done = true;
	} else if (!strcmp(name, "SHA256SUMS")) {
		if (hs_rd_slurp(r, name, size, HS_RD_META_MAX, &r->sums_bytes, e))
			return -1;
		r->sums_len = (size_t)size;
		r->cur_mem = r->sums_bytes;
		r->last_name = "SHA256SUMS";
		r->cur_done = true;
	} else {
		r->cur_sha = hs_sha256_new();
	}
	return 1;
fail:
	free(name);
	return -1;
}

/* Open: index frame, zstd magic, header entry, then the index's shape. */
int hs_reader_open(hs_reader **out, const char *path, hs_error *e)
{
	hs_reader *r;
	struct stat st;
	unsigned char magic[4];
	json_error_t jerr;
	char *hname = NULL;
	uint64_t hsize = 0;
	const char *fmt;
	const json_t *ver;
	char hex[HS_SHA256_HEX];
	hs_error ierr;
	bool index_failed = false;
	int k, rc = -1;

	*out = NULL;
	r = hs_xcalloc(1, sizeof(*r));
	r->fd = -1;
	r->path = hs_xstrdup(path);
	r->zret = 1;
	r->seen = json_object();
	r->max_bytes = HS_RD_MAX_BYTES_DEFAULT;
	r->max_ratio = HS_RD_MAX_RATIO_DEFAULT;
	if (hs_rd_limit_env("HIVESNAP_MAX_BYTES", true, &r->max_bytes, e) ||
	    hs_rd_limit_env("HIVESNAP_MAX_EXPANSION", false, &r->max_ratio, e))
		goto out;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot open '%s'", path);
		goto out;
	}
	hs_debug(NULL, "reading '%s'", path);   /* one line each time an archive is opened */
	if (fstat(r->fd, &st) || !S_ISREG(st.st_mode)) {
		hs_err(e, HS_EXIT_FAILURE, "cannot read '%s': not a regular file", path);
		goto out;
	}
	r->file_size = (uint64_t)st.st_size;
	if (r->file_size < 4 || hs_rd_pread(r, magic, 4, 0, e) || hs_rd_le32(magic) != HS_RD_ZSTD_MAGIC) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': not a hivesnap archive (not zstd compressed)", path);
		goto out;
	}
	/* a damaged index is reported after the header, whose version comes first */
	hs_error_init(&ierr);
	if (hs_rd_read_index(r, &ierr))
		index_failed = true;

	r->dctx = ZSTD_createDCtx();
	if (!r->dctx) {
		hs_err(e, HS_EXIT_FAILURE, "cannot read '%s': zstd context allocation failed", path);
		goto out;
	}
	r->zin_cap = ZSTD_DStreamInSize();
	r->zout_cap = ZSTD_DStreamOutSize();
	r->zin = hs_xmalloc(r->zin_cap);
	r->zout = hs_xmalloc(r->zout_cap);

	k = hs_rd_tar_header(r, &hname, &hsize, e);
	if (k < 0) {
		if (e && e->code == HS_EXIT_INTEGRITY && strstr(e->msg, "tar header"))
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': not a hivesnap archive (no hivesnap.json header)",
			       path);
		goto out;
	}
	if (k == 0 || strcmp(hname, "hivesnap.json")) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': not a hivesnap archive (the first entry is not hivesnap.json)",
		       path);
		goto out;
	}
	if (hsize > HS_RD_HEADER_MAX) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry 'hivesnap.json': too large", path);
		goto out;
	}
	r->header_bytes = hs_xmalloc((size_t)hsize + 1);
	if (hs_rd_exact(r, r->header_bytes, (size_t)hsize, e) ||
	    hs_rd_exact(r, NULL, hs_tar_padding(hsize), e))
		goto out;
	r->header_bytes[hsize] = '\0';
	r->header_len = (size_t)hsize;
	r->header = json_loadb(r->header_bytes, r->header_len, JSON_REJECT_DUPLICATES, &jerr);
	fmt = json_string_value(json_object_get(r->header, "format"));
	if (!json_is_object(r->header) || !fmt || strcmp(fmt, HS_FORMAT_NAME)) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': not a hivesnap archive (hivesnap.json is not a %s header)",
		       path, HS_FORMAT_NAME);
		goto out;
	}
	ver = json_object_get(r->header, "version");
	if (!json_is_integer(ver) || json_integer_value(ver) < 1) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry 'hivesnap.json': bad format version", path);
		goto out;
	}
	if (json_integer_value(ver) > HS_FORMAT_VERSION) {
		hs_err(e, HS_EXIT_DATA,
		       "'%s': archive format version %lld needs a newer hivesnap (this one reads version %d)",
		       path, (long long)json_integer_value(ver), HS_FORMAT_VERSION);
		goto out;
	}
	if (index_failed) {
		if (e)
			*e = ierr;
		goto out;
	}
	if (r->index_bytes) {
		r->index = json_loadb(r->index_bytes, r->index_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!r->index || hs_rd_check_manifest(r->index, &r->index_map)) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': index frame is not a valid manifest", path);
			goto out;
		}
		if (!json_object_get(r->index_map, "hivesnap.json")) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry 'hivesnap.json': not in the manifest", path);
			goto out;
		}
		/* an unsafe name is refused from the index already: inspect and ls see it too */
		{
			const char *iname;
			json_t *iv;
			char pn[256];

			json_object_foreach(r->index_map, iname, iv) {
				if (!hs_entry_name_safe(iname)) {
					hs_err(e, HS_EXIT_INTEGRITY,
					       "'%s': entry '%s': unsafe name (absolute, '..', control bytes or not UTF-8)",
					       path, hs_rd_pname(iname, pn, sizeof(pn)));
					goto out;
				}
			}
		}
		if ((uint64_t)json_integer_value(json_object_get(
			    json_object_get(r->index_map, "hivesnap.json"), "size")) != hsize) {
			hs_err(e, HS_EXIT_INTEGRITY, "'%s': entry 'hivesnap.json': size mismatch", path);
			goto out;
		}
	}
	hs_sha256_hex(r->header_bytes, r->header_len, hex);
	if (hs_rd_seen(r, "hivesnap.json", hsize, hex, e))
		goto out;
	*out = r;
	r = NULL;
	rc = 0;
out:
	free(hname);
	hs_reader_free(r);
	return rc;
}

const json_t *hs_reader_header(const hs_reader *r)
{
	return r->header;
}

const void *hs_reader_header_bytes(const hs_reader *r, size_t *len)
{
	*len = r->header_len;
	return r->header_bytes;
}

const json_t *hs_reader_index(const hs_reader *r)
{
	return r->index;
}

const json_t *hs_reader_manifest(const hs_reader *r)
{
	return r->manifest ? r->manifest : NULL;
}

ssize_t hs_reader_read(hs_reader *r, void *buf, size_t n, hs_error *e)
{
	ssize_t k;

	if (r->failed)
		return hs_err(e, HS_EXIT_INTEGRITY, "'%s': cannot go on after an error", r->path);
	if (!r->cur_open)
		return hs_err(e, HS_EXIT_FAILURE, "'%s': no current entry to read", r->path);
	if (r->cur_mem) {
		size_t left = (size_t)r->cur_size - r->cur_mem_pos;

		if (n > left)
			n = left;
		memcpy(buf, r->cur_mem + r->cur_mem_pos, n);
		r->cur_mem_pos += n;
		return (ssize_t)n;
	}
	if (!r->cur_left) {
		if (hs_rd_entry_end(r, e))
			goto fail;
		return 0;
	}
	if (n > r->cur_left)
		n = (size_t)r->cur_left;
	k = hs_rd_some(r, buf, n, e);
	if (k < 0)
		goto fail;
	if (k == 0) {
		hs_err(e, HS_EXIT_INTEGRITY, "'%s': truncated (the tar stream ends early)", r->path);
		goto fail;
	}
	hs_sha256_update(r->cur_sha, buf, (size_t)k);
	r->cur_left -= (uint64_t)k;
	/* check the checksum with the last byte: never hand out a bad entry's end */
	if (!r->cur_left && hs_rd_entry_end(r, e))
		goto fail;
	return k;
fail:
	r->failed = true;
	return -1;
}

int hs_reader_next(hs_reader *r, hs_reader_entry *ent, hs_error *e)
{
	int k;

	if (r->failed)
		return hs_err(e, HS_EXIT_INTEGRITY, "'%s': cannot go on after an error", r->path);
	if (r->at_end)
		return 0;
	if (r->cur_open && !r->cur_mem) {
		char buf[16384];
		ssize_t n;

		while ((n = hs_reader_read(r, buf, sizeof(buf), e)) > 0)
			;
		if (n < 0)
			return -1;
	}
	k = hs_rd_advance(r, e);
	if (k < 0) {
		r->failed = true;
		return -1;
	}
	if (k == 0)
		return 0;
	ent->name = r->cur_name;
	ent->size = r->cur_size;
	ent->source = r->index_map ? json_string_value(json_object_get(
					     json_object_get(r->index_map, r->cur_name), "source"))
				   : NULL;
	return 1;
}

void hs_reader_free(hs_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->zin);
	free(r->zout);
	free(r->index_bytes);
	json_decref(r->index);
	json_decref(r->index_map);
	json_decref(r->header);
	free(r->header_bytes);
	hs_rd_cur_clear(r);
	json_decref(r->seen);
	free(r->manifest_bytes);
	json_decref(r->manifest);
	free(r->sums_bytes);
	free(r->path);
	free(r);
}

int hs_archive_verify(const char *path, hs_error *e)
{
	hs_reader *r = NULL;
	hs_reader_entry ent;
	int k, rc = -1;

	if (hs_reader_open(&r, path, e))
		goto out;
	while ((k = hs_reader_next(r, &ent, e)) == 1)
		;
	if (k == 0)
		rc = 0;
out:
	hs_reader_free(r);
	return rc;
}

int hs_archive_manifest(const char *path, json_t **manifest, json_t **header, hs_error *e)
{
	hs_reader *r = NULL;
	hs_reader_entry ent;
	int k, rc = -1;

	if (manifest)
		*manifest = NULL;
	if (header)
		*header = NULL;
	if (hs_reader_open(&r, path, e))
		goto out;
	if (!r->index) {
		while ((k = hs_reader_next(r, &ent, e)) == 1)
			;
		if (k < 0)
			goto out;
	}
	if (manifest)
		*manifest = json_incref(r->index ? r->index : r->manifest);
	if (header)
		*header = json_incref(r->header);
	rc = 0;
out:
	hs_reader_free(r);
	return rc;
}
