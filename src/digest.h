/*
 * digest.h - streaming SHA-256 over OpenSSL's EVP interface.
 *
 * hs_sha256_new() returns a context the caller frees with hs_sha256_free()
 * (NULL is a no-op); allocation failure aborts like hs_xmalloc.  Digests
 * are reported as 64 lowercase hex digits and a NUL.
 */
#ifndef HS_DIGEST_H
#define HS_DIGEST_H

#include <stddef.h>

#define HS_SHA256_HEX 65

typedef struct hs_sha256 hs_sha256;

hs_sha256 *hs_sha256_new(void);
void hs_sha256_update(hs_sha256 *s, const void *data, size_t len);
/* Write the digest of everything fed so far to hex; s must not be fed again. */
void hs_sha256_final(hs_sha256 *s, char hex[HS_SHA256_HEX]);
void hs_sha256_free(hs_sha256 *s);

/* One shot: the SHA-256 of data as hex. */
void hs_sha256_hex(const void *data, size_t len, char hex[HS_SHA256_HEX]);

#endif
