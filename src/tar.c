/*
 * tar.c - pax/ustar header formatting and parsing (see tar.h).
 */
#include "tar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Field offsets and widths of the ustar header (POSIX.1-1988 + pax). */
enum {
	HS_TAR_NAME = 0, HS_TAR_NAME_LEN = 100,
	HS_TAR_MODE = 100,
	HS_TAR_UID = 108,
	HS_TAR_GID = 116,
	HS_TAR_SIZE = 124, HS_TAR_SIZE_LEN = 12,
	HS_TAR_MTIME = 136,
	HS_TAR_CHKSUM = 148, HS_TAR_CHKSUM_LEN = 8,
	HS_TAR_TYPEFLAG = 156,
	HS_TAR_MAGIC = 257,
	HS_TAR_VERSION = 263,
	HS_TAR_PREFIX = 345, HS_TAR_PREFIX_LEN = 155
};

/* 8 GiB: the first size that does not fit 11 octal digits. */
#define HS_TAR_OCTAL_SIZE_LIMIT ((uint64_t)1 << 33)

/* Write v as width-1 zero-padded octal digits and a NUL. */
static void hs_tar_octal(unsigned char *field, size_t width, uint64_t v)
{
	size_t i = width - 1;

	field[i] = '\0';
	while (i > 0) {
		field[--i] = (unsigned char)('0' + (v & 7));
		v >>= 3;
	}
}

/* Write v in GNU/star base-256 form: 0x80, then big-endian bytes. */
static void hs_tar_base256(unsigned char *field, size_t width, uint64_t v)
{
	size_t i = width;

	while (i > 1) {
		field[--i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	field[0] = 0x80;
}

/* Sum of the header's bytes, the checksum field counted as spaces. */
static unsigned long hs_tar_checksum(const unsigned char *block, long *signed_sum)
{
	unsigned long sum = 0;
	long ssum = 0;
	size_t i;

	for (i = 0; i < HS_TAR_BLOCK; i++) {
		unsigned char c = (i >= HS_TAR_CHKSUM && i < HS_TAR_CHKSUM + HS_TAR_CHKSUM_LEN) ? ' ' : block[i];

		sum += c;
		ssum += (signed char)c;
	}
	if (signed_sum)
		*signed_sum = ssum;
	return sum;
}

/* Fill a ustar header block for a regular file or a pax header. */
static void hs_tar_block(unsigned char *b, const char *name, size_t name_len, char typeflag,
			 uint64_t size, int64_t mtime)
{
	unsigned long sum;

	memset(b, 0, HS_TAR_BLOCK);
	memcpy(b + HS_TAR_NAME, name, name_len < HS_TAR_NAME_LEN ? name_len : HS_TAR_NAME_LEN);
	hs_tar_octal(b + HS_TAR_MODE, 8, 0600);
	hs_tar_octal(b + HS_TAR_UID, 8, 0);
	hs_tar_octal(b + HS_TAR_GID, 8, 0);
	if (size < HS_TAR_OCTAL_SIZE_LIMIT)
		hs_tar_octal(b + HS_TAR_SIZE, HS_TAR_SIZE_LEN, size);
	else
		hs_tar_base256(b + HS_TAR_SIZE, HS_TAR_SIZE_LEN, size);
	hs_tar_octal(b + HS_TAR_MTIME, 12, mtime > 0 ? (uint64_t)mtime : 0);
	b[HS_TAR_TYPEFLAG] = (unsigned char)typeflag;
	memcpy(b + HS_TAR_MAGIC, "ustar", 6);
	memcpy(b + HS_TAR_VERSION, "00", 2);
	sum = hs_tar_checksum(b, NULL);
	hs_tar_octal(b + HS_TAR_CHKSUM, 7, sum);
	b[HS_TAR_CHKSUM + 7] = ' ';
}

static size_t hs_tar_ndigits(size_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Append one pax record "LEN key=value\n"; LEN counts the whole record. */
static void hs_tar_pax_record(hs_buf *out, const char *key, const char *value)
{
	size_t base = strlen(key) + strlen(value) + 3;
	size_t d = hs_tar_ndigits(base);

	if (hs_tar_ndigits(base + d) > d)
		d++;
	hs_buf_addf(out, "%zu %s=%s\n", base + d, key, value);
}

size_t hs_tar_padding(uint64_t size)
{
	return (size_t)((HS_TAR_BLOCK - size % HS_TAR_BLOCK) % HS_TAR_BLOCK);
}

void hs_tar_format_header(hs_buf *out, const char *name, uint64_t size, int64_t mtime)
{
	size_t name_len = strlen(name);
	unsigned char block[HS_TAR_BLOCK];

	if (name_len > HS_TAR_NAME_LEN || size >= HS_TAR_OCTAL_SIZE_LIMIT) {
		hs_buf pax = HS_BUF_INIT;
		hs_buf pname = HS_BUF_INIT;
		const char *base = strrchr(name, '/');
		char num[32];

		if (name_len > HS_TAR_NAME_LEN)
			hs_tar_pax_record(&pax, "path", name);
		if (size >= HS_TAR_OCTAL_SIZE_LIMIT) {
			snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
			hs_tar_pax_record(&pax, "size", num);
		}
		hs_buf_adds(&pname, "PaxHeaders/");
		hs_buf_adds(&pname, base ? base + 1 : name);
		hs_tar_block(block, pname.data, pname.len, 'x', pax.len, mtime);
		hs_buf_add(out, block, sizeof(block));
		hs_buf_add(out, pax.data, pax.len);
		memset(block, 0, sizeof(block));
		hs_buf_add(out, block, hs_tar_padding(pax.len));
		hs_buf_release(&pax);
		hs_buf_release(&pname);
	}
	hs_tar_block(block, name, name_len, '0', size, mtime);
	hs_buf_add(out, block, sizeof(block));
}

void hs_tar_format_end(hs_buf *out)
{
	unsigned char zero[2 * HS_TAR_BLOCK];

	memset(zero, 0, sizeof(zero));
	hs_buf_add(out, zero, sizeof(zero));
}

/*
 * Parse an octal field: optional leading spaces, digits, then NULs or
 * spaces to the end of the field.  An empty field is an error.
 */
static int hs_tar_parse_octal(const unsigned char *f, size_t width, uint64_t *v)
{
	size_t i = 0;
	uint64_t x = 0;
	bool digits = false;

	while (i < width && f[i] == ' ')
		i++;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++) {
		if (x >> 61)
			return -1;
		x = (x << 3) | (uint64_t)(f[i] - '0');
		digits = true;
	}
	for (; i < width; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	if (!digits)
		return -1;
	*v = x;
	return 0;
}

int hs_tar_parse_header(const unsigned char *block, hs_tar_header *h, hs_error *e)
{
	unsigned long sum;
	long ssum;
	uint64_t stored;
	size_t i, n, p;
	bool posix;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < HS_TAR_BLOCK && !block[i]; i++)
		;
	if (i == HS_TAR_BLOCK) {
		h->zero = true;
		return 0;
	}
	if (memcmp(block + HS_TAR_MAGIC, "ustar", 5))
		return hs_err(e, HS_EXIT_INTEGRITY, "not a ustar/pax tar header");
	sum = hs_tar_checksum(block, &ssum);
	if (hs_tar_parse_octal(block + HS_TAR_CHKSUM, HS_TAR_CHKSUM_LEN, &stored) ||
	    (stored != sum && (long)stored != ssum))
		return hs_err(e, HS_EXIT_INTEGRITY, "bad tar header checksum");
	posix = block[HS_TAR_MAGIC + 5] == '\0';

	h->typeflag = block[HS_TAR_TYPEFLAG] ? (char)block[HS_TAR_TYPEFLAG] : '0';

	p = 0;
	if (posix && block[HS_TAR_PREFIX]) {
		for (n = 0; n < HS_TAR_PREFIX_LEN && block[HS_TAR_PREFIX + n]; n++)
			;
		memcpy(h->name, block + HS_TAR_PREFIX, n);
		p = n;
		h->name[p++] = '/';
	}
	for (n = 0; n < HS_TAR_NAME_LEN && block[HS_TAR_NAME + n]; n++)
		;
	memcpy(h->name + p, block + HS_TAR_NAME, n);
	h->name[p + n] = '\0';

	if (block[HS_TAR_SIZE] & 0x80) {
		uint64_t v = 0;

		if (block[HS_TAR_SIZE] != 0x80)
			return hs_err(e, HS_EXIT_INTEGRITY, "bad tar header size field");
		for (i = 1; i < HS_TAR_SIZE_LEN; i++) {
			if (v >> 56)
				return hs_err(e, HS_EXIT_INTEGRITY, "bad tar header size field");
			v = (v << 8) | block[HS_TAR_SIZE + i];
		}
		h->size = v;
	} else if (hs_tar_parse_octal(block + HS_TAR_SIZE, HS_TAR_SIZE_LEN, &h->size)) {
		return hs_err(e, HS_EXIT_INTEGRITY, "bad tar header size field");
	}
	return 0;
}

/* Parse a decimal number that fills [s, s + n) entirely. */
static int hs_tar_parse_dec(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!n || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

int hs_tar_parse_pax(const char *data, size_t len, char **path, uint64_t *size,
		     bool *has_size, hs_error *e)
{
	size_t off = 0;

	*path = NULL;
	*has_size = false;
	while (off < len) {
		const char *rec = data + off, *sp, *eq;
		size_t left = len - off;
		uint64_t rlen;

		sp = memchr(rec, ' ', left < 20 ? left : 20);
		if (!sp || hs_tar_parse_dec(rec, (size_t)(sp - rec), &rlen) ||
		    rlen > left || rlen < (uint64_t)(sp - rec) + 4 || rec[rlen - 1] != '\n')
			goto bad;
		eq = memchr(sp + 1, '=', (size_t)(rec + rlen - 1 - (sp + 1)));
		if (!eq || eq == sp + 1)
			goto bad;
		{
			const char *key = sp + 1, *val = eq + 1;
			size_t klen = (size_t)(eq - key), vlen = (size_t)(rec + rlen - 1 - val);

			if (klen == 4 && !memcmp(key, "path", 4)) {
				if (memchr(val, '\0', vlen))
					goto bad;
				free(*path);
				*path = hs_xstrndup(val, vlen);
			} else if (klen == 4 && !memcmp(key, "size", 4)) {
				if (hs_tar_parse_dec(val, vlen, size))
					goto bad;
				*has_size = true;
			}
		}
		off += (size_t)rlen;
	}
	return 0;
bad:
	free(*path);
	*path = NULL;
	*has_size = false;
	return hs_err(e, HS_EXIT_INTEGRITY, "malformed pax extended header");
}
