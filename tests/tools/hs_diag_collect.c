/*
 * hs_diag_collect - run one diag collector in this process, without the
 * runner or the bundle, for debugging collectors:
 *
 *   hs_diag_collect PROFILE|- NAME DIR [SINCE_S [TIMEOUT_MS]]
 *
 * PROFILE "-" is the built-in profile.  DIR must not exist; it receives
 * what the collector wrote (entries/, result.json, findings.json,
 * warnings.json), unredacted.  Exit 0 when the collector returned 0, 3
 * when it failed (its error on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag/diag.h"

int main(int argc, char **argv)
{
	const hs_diag_collector *c;
	hs_profile *p = NULL;
	hs_diag_out *o = NULL;
	hs_diag_ctx ctx;
	hs_error e;
	struct timespec ts;
	int rc = 3;

	if (argc < 4) {
		fprintf(stderr, "usage: hs_diag_collect PROFILE|- NAME DIR [SINCE_S [TIMEOUT_MS]]\n");
		return 64;
	}
	hs_error_init(&e);
	c = hs_diag_collector_find(argv[2]);
	if (!c) {
		fprintf(stderr, "hs_diag_collect: no collector '%s'\n", argv[2]);
		return 64;
	}
	if (hs_profile_load(&p, strcmp(argv[1], "-") ? argv[1] : NULL, &e))
		goto out;
	memset(&ctx, 0, sizeof(ctx));
	clock_gettime(CLOCK_REALTIME, &ts);
	ctx.profile = p;
	ctx.since_s = argc > 4 ? strtoll(argv[4], NULL, 10) : 3600;
	ctx.timeout_ms = argc > 5 ? atoi(argv[5]) : c->timeout_ms;
	ctx.started_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (hs_diag_out_new(&o, argv[3], &e))
		goto out;
	if (!c->configured(p)) {
		fprintf(stderr, "hs_diag_collect: '%s' is not configured in the profile\n", argv[2]);
		goto out;
	}
	if (c->run(&ctx, o, &e) == 0)
		rc = 0;
out:
	if (rc)
		fprintf(stderr, "hs_diag_collect: %s\n", e.msg);
	if (o) {
		hs_error ce;

		hs_error_init(&ce);
		if (hs_diag_out_close(o, &ce))
			fprintf(stderr, "hs_diag_collect: %s\n", ce.msg);
	}
	hs_profile_free(p);
	return rc;
}
