/*
 * uri.h - credentials out of URIs before they reach a log, an error or a
 * report (SPEC: "Credentials in URIs ... never appear").
 *
 * hs_uri_redact() replaces the password of a URI's userinfo with "***"
 * (mongodb://user:***@h1:27017,h2:27017/db) and the values of query
 * parameters whose name suggests a secret (password, pwd, token, secret,
 * apikey, api_key, access_key, signature, credential, authMechanismProperties ...):
 * https://h/x?token=*** .  It works on mongodb://, mongodb+srv://, redis://,
 * rediss://, http(s):// and any scheme://, on comma host lists, on several
 * comma-separated URIs, and on "user:pass@host" without a scheme.  When in
 * doubt it redacts more, never less.  A user name without a password is
 * kept.  NULL is rendered as "(none)".
 */
#ifndef HS_URI_H
#define HS_URI_H

#include "buf.h"

/* Append the redacted form of uri to out. */
void hs_uri_redact(const char *uri, hs_buf *out);

/* The redacted form of uri as a new string the caller frees. */
char *hs_uri_redact_dup(const char *uri);

#endif
