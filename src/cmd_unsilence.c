/*
 * cmd_unsilence.c - `hivesnap unsilence ID|ARCHIVE`: expire the
 * Alertmanager silence `snapshot --silence` created.  Its id is in
 * snapshot's output and log, and in the archive's manifest ("silence"),
 * read from the index frame (cheap: the archive is not read through).  The
 * Alertmanager is the profile's diag.alertmanager.url, else the one the
 * manifest names when that URL carries no redacted credentials.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive.h"
#include "buf.h"
#include "commands.h"
#include "profile.h"
#include "silence.h"
#include "textsafe.h"

const char hs_cmd_unsilence_usage[] =
	"usage: hivesnap unsilence [-p PROFILE] ID|ARCHIVE\n\n"
	"Expire the Alertmanager silence 'snapshot --silence' created: the one with\n"
	"this id (a UUID), or the one recorded in the manifest of ARCHIVE (an\n"
	"existing file).  The Alertmanager is the profile's diag.alertmanager.url,\n"
	"else the one the archive's manifest names.\n\n"
	"Exit: 0 expired (also when it already was: Alertmanager accepts that),\n"
	"3 Alertmanager unreachable or refused (unknown silence) or the archive\n"
	"cannot be read, 4 not a hivesnap archive or corrupt, 64 usage, 65 bad\n"
	"profile, an archive without a silence, no Alertmanager URL.\n";

/* An Alertmanager silence id: a UUID. */
static bool hs_silence_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n == 36 && strspn(s, "0123456789abcdefABCDEF-") == n;
}

/*
 * The silence recorded in archive's manifest: *id and *am_url (may be
 * NULL when redacted) are new strings the caller frees.  An archive
 * without one, or with a malformed one, is HS_EXIT_DATA.
 */
static int hs_unsilence_from_archive(const char *archive, char **id, char **am_url, hs_error *e)
{
	json_t *manifest = NULL, *header = NULL, *sil;
	const char *sid, *url;
	int rc = -1;

	*id = *am_url = NULL;
	if (hs_archive_manifest(archive, &manifest, &header, e))
		goto out;
	sil = json_object_get(manifest, "silence");
	if (!sil) {
		hs_err(e, HS_EXIT_DATA, "archive '%s' records no silence (it was not made with snapshot --silence)",
		       archive);
		goto out;
	}
	sid = json_string_value(json_object_get(sil, "id"));
	if (!hs_silence_id_ok(sid)) {
		hs_err(e, HS_EXIT_DATA, "archive '%s': the manifest's silence has no valid id", archive);
		goto out;
	}
	*id = hs_xstrdup(sid);
	url = json_string_value(json_object_get(sil, "alertmanager"));
	if (url && *url && !strstr(url, "***"))
		*am_url = hs_xstrdup(url);
	rc = 0;
out:
	json_decref(manifest);
	json_decref(header);
	return rc;
}

int hs_cmd_unsilence(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	const char *arg, *url;
	char *id = NULL, *archive_url = NULL;
	char what[160];
	struct stat st;
	int rc = -1;

	opterr = 0;
	if (getopt_long(argc, argv, "", opts, NULL) != -1) {
		snprintf(what, sizeof(what), "unknown option '%s'", argv[optind - 1]);
		return hs_cli_usage_error(e, "unsilence", what);
	}
	if (argc - optind != 1)
		return hs_cli_usage_error(e, "unsilence", "needs exactly one silence ID or ARCHIVE");
	arg = argv[optind];
	if (stat(arg, &st) == 0 && !S_ISDIR(st.st_mode)) {
		if (hs_unsilence_from_archive(arg, &id, &archive_url, e))
			goto out;
	} else if (hs_silence_id_ok(arg)) {
		id = hs_xstrdup(arg);
	} else {
		hs_cli_usage_error(e, "unsilence",
				   "takes the silence id (a UUID) snapshot --silence printed, or an archive");
		goto out;
	}
	url = ctx->profile->diag ? ctx->profile->diag->alertmanager_url : NULL;
	if (!url)
		url = archive_url;
	if (!url) {
		hs_err(e, HS_EXIT_DATA, "profile '%s' has no diag.alertmanager.url", hs_profile_name(ctx->profile));
		goto out;
	}
	if (hs_silence_expire(url, id, e))
		goto out;
	hs_text_fprintf(ctx->out, "expired silence %s\n", id);
	rc = 0;
out:
	free(id);
	free(archive_url);
	return rc;
}
