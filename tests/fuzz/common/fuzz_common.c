/*
 * fuzz_common.c - see fuzz_common.h.
 */
#include "fuzz_common.h"

#include <stdint.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "archive.h"
#include "diff.h"
#include "digest.h"
#include "error.h"
#include "tar.h"

const char hs_fuzz_header_json[] =
	"{\n"
	"  \"created_at\": \"2026-11-18T11:06:40Z\",\n"
	"  \"format\": \"hivesnap-archive\",\n"
	"  \"host\": \"vm\",\n"
	"  \"kind\": \"snapshot\",\n"
	"  \"label\": \"fixture\",\n"
	"  \"profile\": \"flowc\",\n"
	"  \"tool\": {\n"
	"    \"name\": \"hivesnap\",\n"
	"    \"version\": \"0.1.0\"\n"
	"  },\n"
	"  \"version\": 1\n"
	"}\n";

static const char hs_fuzz_bson[] =
	"\x16\x00\x00\x00\x07_id\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
static const char hs_fuzz_jsonl[] = "{\"key\":\"a\",\"type\":\"string\",\"expire_at_ms\":null,\"value\":\"b\"}\n";
static const char hs_fuzz_csv[] = "g,orders,0,42\n";

const hs_fuzz_entry hs_fuzz_payload[] = {
	{ "mongo/neural_hive/execution_tickets.bson", hs_fuzz_bson, 22, "mongo" },
	{ "redis/db0.jsonl", hs_fuzz_jsonl, sizeof(hs_fuzz_jsonl) - 1, "redis" },
	{ "kafka/offsets.csv", hs_fuzz_csv, sizeof(hs_fuzz_csv) - 1, "kafka" },
};
const size_t hs_fuzz_n_payload = sizeof(hs_fuzz_payload) / sizeof(hs_fuzz_payload[0]);

int hs_fuzz_memfd(const void *data, size_t n, char *path, size_t plen)
{
	int fd = memfd_create("hs-fuzz", MFD_CLOEXEC);
	const char *p = data;

	if (fd < 0)
		return -1;
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k <= 0) {
			close(fd);
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return fd;
}

FILE *hs_fuzz_fmem(const void *data, size_t n)
{
	char path[64];
	int fd = hs_fuzz_memfd(data, n, path, sizeof(path));
	FILE *f;

	if (fd < 0)
		return NULL;
	if (lseek(fd, 0, SEEK_SET) < 0 || !(f = fdopen(fd, "rb"))) {
		close(fd);
		return NULL;
	}
	return f;
}

void hs_fuzz_split(const uint8_t *data, size_t n, const uint8_t **a, size_t *na,
		   const uint8_t **b, size_t *nb)
{
	size_t sl = sizeof(HS_FUZZ_SEP) - 1;
	const uint8_t *s = n >= sl ? memmem(data, n, HS_FUZZ_SEP, sl) : NULL;

	*a = data;
	if (!s) {
		*na = n;
		*b = data + n;
		*nb = 0;
		return;
	}
	*na = (size_t)(s - data);
	*b = s + sl;
	*nb = n - *na - sl;
}

char *hs_fuzz_strndup(const void *data, size_t n)
{
	char *s = hs_xmalloc(n + 1);

	if (n)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

int hs_fuzz_diff(hs_fuzz_diff_fn diff, const void *a, size_t na, const void *b, size_t nb,
		 const char *name, long long counts[3])
{
	static const hs_diff_opts opts = { true, 50, 5 };
	FILE *fa = hs_fuzz_fmem(a, na), *fb = hs_fuzz_fmem(b, nb);
	json_t *out = json_pack("{s:i,s:i,s:i,s:[]}", "added", 0, "removed", 0, "changed", 0, "items");
	hs_error e;
	int rc = -1;

	hs_error_init(&e);
	if (fa && fb)
		rc = diff(fa, fb, name, &opts, out, &e);
	if (counts) {
		counts[0] = json_integer_value(json_object_get(out, "added"));
		counts[1] = json_integer_value(json_object_get(out, "removed"));
		counts[2] = json_integer_value(json_object_get(out, "changed"));
	}
	json_decref(out);
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return rc;
}

void hs_fuzz_read_archive(const char *path)
{
	hs_error e;
	hs_reader *r = NULL;
	hs_reader_entry ent;
	json_t *m = NULL, *h = NULL;
	char buf[4096];
	size_t hl;

	hs_error_init(&e);
	if (!hs_archive_manifest(path, &m, &h, &e)) {
		json_decref(m);
		json_decref(h);
	}
	hs_error_init(&e);
	if (hs_reader_open(&r, path, &e))
		goto out;
	(void)hs_reader_header(r);
	(void)hs_reader_header_bytes(r, &hl);
	(void)hs_reader_index(r);
	while (hs_reader_next(r, &ent, &e) == 1) {
		ssize_t k;

		while ((k = hs_reader_read(r, buf, sizeof(buf), &e)) > 0)
			;
		if (k < 0)
			break;
	}
	(void)hs_reader_manifest(r);
out:
	hs_reader_free(r);
}

/* Append one regular-file entry to a tar stream. */
static void hs_fuzz_tar_add(hs_buf *tar, const char *name, const void *data, size_t len)
{
	static const char zeros[HS_TAR_BLOCK];

	hs_tar_format_header(tar, name, len, 1795000000);
	hs_buf_add(tar, data, len);
	hs_buf_add(tar, zeros, hs_tar_padding(len));
}

/* See fuzz_common.h. */
char *hs_fuzz_manifest(const hs_fuzz_entry *ents, size_t n, size_t bad, size_t *len)
{
	json_t *doc = json_object(), *arr = json_array(), *sources = json_object();
	char hex[HS_SHA256_HEX];
	hs_buf b = HS_BUF_INIT;
	char *s;
	size_t i;

	for (i = 0; i < n; i++) {
		hs_sha256_hex(ents[i].data, ents[i].len, hex);
		if (i == bad)
			hex[0] = hex[0] == '0' ? '1' : '0';
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:I,s:o}", "items", (json_int_t)0,
						     "name", ents[i].name, "sha256", hex, "size",
						     (json_int_t)ents[i].len, "source",
						     ents[i].source ? json_string(ents[i].source) : json_null()));
		if (ents[i].source)
			json_object_set_new(sources, ents[i].source,
					    json_pack("{s:s,s:n}", "status", "ok", "error"));
	}
	json_object_set_new(doc, "format", json_string("hivesnap-manifest"));
	json_object_set_new(doc, "kind", json_string("snapshot"));
	json_object_set_new(doc, "created_at", json_string("2026-11-18T11:06:40.000Z"));
	json_object_set_new(doc, "completed_at", json_string("2026-11-18T11:06:41.000Z"));
	json_object_set_new(doc, "entries", arr);
	json_object_set_new(doc, "sources", sources);
	s = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(doc);
	hs_buf_adds(&b, s);
	hs_buf_addc(&b, '\n');
	free(s);
	return hs_buf_detach(&b, len);
}

void hs_fuzz_entries(hs_fuzz_entry *ents, const void *header, size_t header_len)
{
	size_t i;

	ents[0].name = "hivesnap.json";
	ents[0].data = header;
	ents[0].len = header_len;
	ents[0].source = NULL;
	for (i = 0; i < hs_fuzz_n_payload; i++)
		ents[i + 1] = hs_fuzz_payload[i];
}

void hs_fuzz_build_archive(const hs_fuzz_parts *parts, hs_buf *out)
{
	hs_buf tar = HS_BUF_INIT, sums = HS_BUF_INIT;
	char hex[HS_SHA256_HEX];
	char *good = NULL;
	size_t good_len = 0, i, bound, z;
	const void *man = parts->manifest, *idx = parts->index;
	size_t man_len = parts->manifest_len, idx_len = parts->index_len;
	unsigned char le[8];
	uint32_t v;

	good = hs_fuzz_manifest(parts->entries, parts->n_entries, SIZE_MAX, &good_len);
	if (!man) {
		man = good;
		man_len = good_len;
	}
	if (!idx) {
		idx = parts->index_valid ? good : man;
		idx_len = parts->index_valid ? good_len : man_len;
	}
	for (i = 0; i < parts->n_entries; i++)
		hs_fuzz_tar_add(&tar, parts->entries[i].name, parts->entries[i].data,
				parts->entries[i].len);
	hs_fuzz_tar_add(&tar, "manifest.json", man, man_len);
	if (parts->sums) {
		hs_buf_add(&sums, parts->sums, parts->sums_len);
	} else {
		for (i = 0; i < parts->n_entries; i++) {
			hs_sha256_hex(parts->entries[i].data, parts->entries[i].len, hex);
			hs_buf_addf(&sums, "%s  %s\n", hex, parts->entries[i].name);
		}
		hs_sha256_hex(man, man_len, hex);
		hs_buf_addf(&sums, "%s  manifest.json\n", hex);
	}
	hs_fuzz_tar_add(&tar, "SHA256SUMS", sums.data ? sums.data : "", sums.len);
	hs_tar_format_end(&tar);

	bound = ZSTD_compressBound(tar.len);
	hs_buf_grow(out, bound);
	z = ZSTD_compress(out->data + out->len, bound, tar.data, tar.len, 1);
	if (!ZSTD_isError(z))
		out->len += z;
	if (!parts->no_index) {
		v = 0x184D2A5Eu;
		memcpy(le, &v, 4);
		v = (uint32_t)idx_len + 8;
		memcpy(le + 4, &v, 4);
		hs_buf_add(out, le, 8);
		hs_buf_add(out, idx, idx_len);
		v = (uint32_t)idx_len;
		memcpy(le, &v, 4);
		hs_buf_add(out, le, 4);
		hs_buf_add(out, "HSNX", 4);
	}
	hs_buf_release(&tar);
	hs_buf_release(&sums);
	free(good);
}

void hs_fuzz_run_parts(const hs_fuzz_parts *parts)
{
	hs_buf arc = HS_BUF_INIT;
	char path[64];
	int fd;

	hs_fuzz_build_archive(parts, &arc);
	fd = hs_fuzz_memfd(arc.data, arc.len, path, sizeof(path));
	if (fd >= 0) {
		hs_fuzz_read_archive(path);
		close(fd);
	}
	hs_buf_release(&arc);
}
