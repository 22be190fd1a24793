/*
 * silence.h - Alertmanager silences for maintenance windows (API v2).
 *
 * hs_silence_create POSTs /api/v2/silences with the profile's matchers,
 * comment and author, starting now and ending after duration_s; the caller
 * owns *id (free) and, when record is not NULL, *record (json_decref): the
 * manifest's "silence" object {"id", "alertmanager" (the URL with any
 * credentials redacted), "starts_at", "ends_at" (RFC 3339 UTC), "matchers"
 * (as sent: name, value, isRegex, isEqual)}.  hs_silence_expire DELETEs
 * /api/v2/silence/{id}.  URLs in errors are redacted.
 * Errors: Alertmanager unreachable or an HTTP error (3, naming the URL and
 * the status with Alertmanager's message), unknown silence (3).
 */
#ifndef HS_SILENCE_H
#define HS_SILENCE_H

#include <jansson.h>
#include <stdint.h>

#include "error.h"
#include "profile.h"

int hs_silence_create(const char *am_url, const hs_profile_silence *s, int64_t duration_s,
		      const char *note, char **id, json_t **record, hs_error *e);
int hs_silence_expire(const char *am_url, const char *id, hs_error *e);

#endif
