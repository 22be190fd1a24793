/*
 * profile.h - what to capture and where from (SPEC "Profiles").
 *
 * PLACEHOLDER CONTRACT: the profile issue fills in the typed struct.
 * hs_profile_load(path=NULL) gives the built-in Flow C profile.
 */
#ifndef HS_PROFILE_H
#define HS_PROFILE_H

#include "error.h"

typedef struct hs_profile hs_profile;

/*
 * Load the profile at path (YAML), or the built-in Flow C profile when
 * path is NULL.  ${VAR} and ${VAR:-default} are expanded from the
 * environment.  Errors name the file, line and key (HS_EXIT_DATA).
 * The caller frees *out with hs_profile_free().
 */
int hs_profile_load(hs_profile **out, const char *path, hs_error *e);
void hs_profile_free(hs_profile *p);
/* The profile's name (used in archive names and headers). */
const char *hs_profile_name(const hs_profile *p);

#endif
