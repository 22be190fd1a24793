/*
 * cmd_unsilence.c - `hivesnap unsilence ID`: expire the Alertmanager
 * silence `snapshot --silence` created (its id is in snapshot's output and
 * log).  The Alertmanager is the profile's diag.alertmanager.url.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "profile.h"
#include "silence.h"

const char hs_cmd_unsilence_usage[] =
	"usage: hivesnap unsilence [-p PROFILE] ID\n\n"
	"Expire the Alertmanager silence with this id (the one 'snapshot --silence'\n"
	"printed), at the profile's diag.alertmanager.url.  Reading the id from an\n"
	"archive is not supported yet.\n\n"
	"Exit: 0 expired, 3 Alertmanager unreachable or refused (unknown or already\n"
	"expired silence), 64 usage, 65 bad profile.\n";

/* An Alertmanager silence id: a UUID. */
static bool hs_silence_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n == 36 && strspn(s, "0123456789abcdefABCDEF-") == n;
}

int hs_cmd_unsilence(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	const char *id, *url;
	char what[160];

	opterr = 0;
	if (getopt_long(argc, argv, "", opts, NULL) != -1) {
		snprintf(what, sizeof(what), "unknown option '%s'", argv[optind - 1]);
		return hs_cli_usage_error(e, "unsilence", what);
	}
	if (argc - optind != 1)
		return hs_cli_usage_error(e, "unsilence", "needs exactly one silence ID");
	id = argv[optind];
	if (!hs_silence_id_ok(id))
		return hs_cli_usage_error(e, "unsilence", "ID must be the silence id (a UUID) snapshot --silence printed");
	url = ctx->profile->diag ? ctx->profile->diag->alertmanager_url : NULL;
	if (!url)
		return hs_err(e, HS_EXIT_DATA, "profile '%s' has no diag.alertmanager.url", hs_profile_name(ctx->profile));
	if (hs_silence_expire(url, id, e))
		return -1;
	fprintf(ctx->out, "expired silence %s\n", id);
	return 0;
}
