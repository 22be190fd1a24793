/*
 * digest.c - streaming SHA-256 (see digest.h).
 */
#include "digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

struct hs_sha256 {
	EVP_MD_CTX *ctx;
};

/* OpenSSL only fails here on allocation failure: treat it like OOM. */
static void hs_sha256_die(void)
{
	fputs("hivesnap: cannot initialise SHA-256\n", stderr);
	abort();
}

hs_sha256 *hs_sha256_new(void)
{
	hs_sha256 *s = malloc(sizeof(*s));

	if (!s || !(s->ctx = EVP_MD_CTX_new()) || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
		hs_sha256_die();
	return s;
}

void hs_sha256_update(hs_sha256 *s, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(s->ctx, data, len) != 1)
		hs_sha256_die();
}

void hs_sha256_final(hs_sha256 *s, char hex[HS_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_DigestFinal_ex(s->ctx, md, &n) != 1 || n != 32)
		hs_sha256_die();
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

void hs_sha256_free(hs_sha256 *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

void hs_sha256_hex(const void *data, size_t len, char hex[HS_SHA256_HEX])
{
	hs_sha256 *s = hs_sha256_new();

	hs_sha256_update(s, data, len);
	hs_sha256_final(s, hex);
	hs_sha256_free(s);
}
