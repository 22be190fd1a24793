/*
 * hs_redis_restore - run the restore command outside the command table:
 *
 *     hs_redis_restore [-p PROFILE] ARCHIVE [restore flags...]
 *
 * The Redis integration tests use it while `restore` is not yet listed in
 * src/commands.c; it runs the same hs_cmd_restore() the CLI will, with the
 * same exit codes and the error on stderr as "hivesnap: <message>".
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "log.h"
#include "profile.h"
#include "progress.h"

int main(int argc, char **argv)
{
	hs_ctx ctx = { 0 };
	hs_error e;
	int rc, i, n = 0;
	char *args[256];

	hs_error_init(&e);
	hs_progress_enable(false);
	ctx.out = stdout;
	ctx.quiet = true;
	args[n++] = (char *)"restore";
	for (i = 1; i < argc && n < 255; i++) {
		if ((!strcmp(argv[i], "-p") || !strcmp(argv[i], "--profile")) && i + 1 < argc)
			ctx.profile_path = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			ctx.json = true;
		else
			args[n++] = argv[i];
	}
	args[n] = NULL;
	if (hs_cli_load_profile(&ctx, &e)) {
		fprintf(stderr, "hivesnap: %s\n", e.msg);
		return e.code ? e.code : 3;
	}
	rc = hs_cmd_restore(n, args, &ctx, &e);
	if (rc < 0) {
		fprintf(stderr, "hivesnap: %s\n", e.msg);
		rc = e.code ? e.code : 3;
	}
	fflush(stdout);
	hs_profile_free(ctx.profile);
	return rc;
}
