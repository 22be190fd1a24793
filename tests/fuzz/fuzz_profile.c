/*
 * fuzz_profile.c - libFuzzer target: profile YAML (hs_profile_parse, no I/O).
 *
 * A parsed profile is also turned into JSON (redacted and not), as
 * `profile show` does, so every field the parser filled is walked.  A few
 * environment variables exist for ${VAR} expansion to find.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "profile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("HS_FUZZ_VAR", "value", 1);
	setenv("HS_FUZZ_EMPTY", "", 1);
	setenv("HS_FUZZ_URI", "redis://:secret@127.0.0.1:6379/0", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_profile *p = NULL;
	hs_error e;

	hs_error_init(&e);
	if (hs_profile_parse(&p, (const char *)data, size, "fuzz.yaml", &e) == 0) {
		json_decref(hs_profile_to_json(p, true));
		json_decref(hs_profile_to_json(p, false));
		(void)hs_profile_name(p);
	}
	hs_profile_free(p);
	return 0;
}
