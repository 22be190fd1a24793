/* uri.c - redact credentials in URIs (see uri.h). */
#include "uri.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Query parameter names (lowercased substrings) whose values are secrets. */
static const char *const hs_uri_secret_words[] = {
	"password", "passwd", "pwd", "token", "secret", "apikey", "api_key", "api-key",
	"access_key", "accesskey", "signature", "credential", "private_key",
	"authmechanismproperties", NULL
};

/* True when s[i..] starts a "scheme://" (scheme = ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")). */
static bool hs_uri_scheme_at(const char *s, size_t i, size_t *after)
{
	size_t j = i;

	if (!isalpha((unsigned char)s[j]))
		return false;
	while (isalnum((unsigned char)s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.')
		j++;
	if (strncmp(s + j, "://", 3) != 0)
		return false;
	*after = j + 3;
	return true;
}

/* End of the URI that starts at i: a ',' followed by another scheme://, or the end. */
static size_t hs_uri_end(const char *s, size_t i)
{
	size_t after;

	for (; s[i]; i++)
		if (s[i] == ',' && hs_uri_scheme_at(s, i + 1, &after))
			return i;
	return i;
}

static bool hs_uri_secret_name(const char *name, size_t len)
{
	char low[64];
	size_t i;

	if (len >= sizeof(low))
		return true; /* absurdly long name: redact rather than guess */
	for (i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[len] = '\0';
	for (i = 0; hs_uri_secret_words[i]; i++)
		if (strstr(low, hs_uri_secret_words[i]))
			return true;
	return false;
}

/*
 * Redact one URI s[from..end): the userinfo password, then secret query
 * parameters.  The userinfo ends at the last '@' before the query, so an
 * unescaped '@' or '/' in a password is still covered.
 */
static void hs_uri_redact_one(const char *s, size_t from, size_t end, hs_buf *out)
{
	size_t q = from, at = 0, i, colon = 0;
	bool have_at = false, have_colon = false;

	while (q < end && s[q] != '?' && s[q] != '#')
		q++;
	for (i = from; i < q; i++)
		if (s[i] == '@') {
			at = i;
			have_at = true;
		}
	if (have_at) {
		for (i = from; i < at; i++)
			if (s[i] == ':') {
				colon = i;
				have_colon = true;
				break;
			}
	}
	if (have_colon) {
		hs_buf_add(out, s + from, colon + 1 - from);
		hs_buf_adds(out, "***");
		hs_buf_add(out, s + at, q - at);
	} else {
		hs_buf_add(out, s + from, q - from);
	}
	if (q >= end)
		return;
	if (s[q] == '#') {
		hs_buf_add(out, s + q, end - q);
		return;
	}
	/* query: name=value pairs separated by & or ; up to # */
	hs_buf_addc(out, '?');
	i = q + 1;
	while (i < end && s[i] != '#') {
		size_t p = i, eq = 0;
		bool have_eq = false;

		while (p < end && s[p] != '&' && s[p] != ';' && s[p] != '#') {
			if (s[p] == '=' && !have_eq) {
				eq = p;
				have_eq = true;
			}
			p++;
		}
		if (have_eq && hs_uri_secret_name(s + i, eq - i)) {
			hs_buf_add(out, s + i, eq + 1 - i);
			hs_buf_adds(out, "***");
		} else {
			hs_buf_add(out, s + i, p - i);
		}
		i = p;
		if (i < end && (s[i] == '&' || s[i] == ';')) {
			hs_buf_addc(out, s[i]);
			i++;
		}
	}
	if (i < end)
		hs_buf_add(out, s + i, end - i);
}

void hs_uri_redact(const char *uri, hs_buf *out)
{
	size_t i = 0, after, end;

	if (!uri) {
		hs_buf_adds(out, "(none)");
		return;
	}
	if (!hs_uri_scheme_at(uri, 0, &after)) {
		/* no scheme: "user:pass@host:port" or a plain host list */
		hs_uri_redact_one(uri, 0, strlen(uri), out);
		return;
	}
	while (uri[i]) {
		if (!hs_uri_scheme_at(uri, i, &after)) {
			/* cannot happen: every segment starts at a scheme */
			hs_buf_adds(out, uri + i);
			return;
		}
		hs_buf_add(out, uri + i, after - i);
		end = hs_uri_end(uri, after);
		hs_uri_redact_one(uri, after, end, out);
		i = end;
		if (uri[i] == ',') {
			hs_buf_addc(out, ',');
			i++;
		}
	}
}

char *hs_uri_redact_dup(const char *uri)
{
	hs_buf b = HS_BUF_INIT;

	hs_uri_redact(uri, &b);
	return hs_buf_detach(&b, NULL);
}
