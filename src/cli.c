#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "profile.h"
#include "progress.h"
#include "textsafe.h"

static const char hs_exit_help[] =
	"Exit codes:\n"
	"   0  success (diff: archives equal)\n"
	"   1  diff: archives differ\n"
	"   2  partial: an archive was written but at least one source failed;\n"
	"      restore: done, but some items failed and were counted\n"
	"   3  failure: nothing usable was written / the operation did not happen\n"
	"   4  integrity: not a hivesnap archive, or corrupt, truncated, tampered with or unsafe\n"
	"   5  precondition refused (e.g. Kafka group still has active members)\n"
	"  64  usage error (bad flags)\n"
	"  65  bad input data (invalid profile; archive of a newer format version)\n"
	"  75  another hivesnap holds the lock on that output folder\n";

static void hs_cli_help(FILE *f)
{
	const hs_cmd *c;

	fputs("usage: hivesnap COMMAND [OPTIONS] [ARGS]\n\n"
	      "Offline snapshots of MongoDB collections, Redis keys, Kafka consumer-group\n"
	      "offsets and Kubernetes state in one verifiable archive.\n\nCommands:\n", f);
	for (c = hs_commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\nRun 'hivesnap COMMAND --help' for a command's options.\n"
	      "Logs are logfmt on stderr; --log-level debug|info|warn|error.\n\n", f);
	fputs(hs_exit_help, f);
}

static const hs_cmd *hs_cli_find(const char *name)
{
	const hs_cmd *c;

	for (c = hs_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int hs_cli_load_profile(hs_ctx *ctx, hs_error *e)
{
	if (ctx->profile)
		return 0;
	return hs_profile_load(&ctx->profile, ctx->profile_path, e);
}

int hs_cli_usage_error(hs_error *e, const char *cmd, const char *what)
{
	return hs_err(e, HS_EXIT_USAGE, "%s: %s (see 'hivesnap %s --help')", cmd, what, cmd);
}

static int hs_parse_level(const char *s, enum hs_log_level *out)
{
	static const char *const names[] = { "debug", "info", "warn", "error", "off" };
	int i;

	for (i = 0; i < 5; i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum hs_log_level)i;
			return 0;
		}
	}
	return -1;
}

/*
 * Take the options every command shares out of argv (in place), so that the
 * command's own getopt_long sees only its own.  Returns 0, 1 when --help
 * was asked for, or -1 with e set.
 */
static int hs_cli_common(const hs_cmd *cmd, int *argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	int i, j = 1, help = 0;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;

		if (!strcmp(a, "--")) {
			for (; i < *argc; i++)
				argv[j++] = argv[i];
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help = 1;
		} else if ((cmd->flags & HS_CMD_JSON) && !strcmp(a, "--json")) {
			ctx->json = true;
		} else if ((cmd->flags & HS_CMD_QUIET) && (!strcmp(a, "--quiet") || !strcmp(a, "-q"))) {
			ctx->quiet = true;
		} else if (!strncmp(a, "--log-level", 11) && (a[11] == '=' || a[11] == '\0')) {
			enum hs_log_level lvl;

			val = a[11] == '=' ? a + 12 : (i + 1 < *argc ? argv[++i] : NULL);
			if (!val || hs_parse_level(val, &lvl))
				return hs_cli_usage_error(e, cmd->name,
					"--log-level takes debug, info, warn, error or off");
			hs_log_set_level(lvl);
		} else if ((cmd->flags & HS_CMD_PROFILE) &&
			   (!strcmp(a, "-p") || !strncmp(a, "--profile", 9))) {
			if (!strcmp(a, "-p") || !strcmp(a, "--profile"))
				val = i + 1 < *argc ? argv[++i] : NULL;
			else if (a[9] == '=')
				val = a + 10;
			else {
				argv[j++] = argv[i];
				continue;
			}
			if (!val || !*val)
				return hs_cli_usage_error(e, cmd->name, "-p needs a profile file");
			ctx->profile_path = val;
		} else {
			argv[j++] = argv[i];
		}
	}
	argv[j] = NULL;
	*argc = j;
	return help;
}

/* Flush stdout and report a failed write (full disk, closed pipe). */
static int hs_cli_flush(hs_error *e)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		return hs_err_errno(e, HS_EXIT_FAILURE, errno ? errno : EIO, "cannot write to stdout");
	return 0;
}

int hs_cli_main(int argc, char **argv)
{
	const hs_cmd *cmd;
	hs_ctx ctx;
	hs_error err;
	int rc = HS_EXIT_FAILURE, r;

	memset(&ctx, 0, sizeof(ctx));
	hs_error_init(&err);
	ctx.out = stdout;
	/*
	 * A server that dies while we write to it (hiredis uses plain write())
	 * must be an error we report, not a silent death by SIGPIPE (exit 141)
	 * in the middle of a restore.  A closed stdout becomes EPIPE, reported
	 * as "cannot write to stdout".
	 */
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2) {
		hs_cli_help(stderr);
		return HS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && (cmd = hs_cli_find(argv[2]))) {
			fputs(cmd->usage, stdout);
		} else {
			hs_cli_help(stdout);
		}
		return hs_cli_flush(&err) ? HS_EXIT_FAILURE : HS_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		argv[1] = "version";
	cmd = hs_cli_find(argv[1]);
	if (!cmd) {
		hs_text_fprintf(stderr, "hivesnap: unknown command '%s' (see 'hivesnap --help')\n", argv[1]);
		return HS_EXIT_USAGE;
	}

	argc--;
	argv++;
	r = hs_cli_common(cmd, &argc, argv, &ctx, &err);
	if (r < 0)
		goto fail;
	if (r == 1) {
		fputs(cmd->usage, stdout);
		return hs_cli_flush(&err) ? HS_EXIT_FAILURE : HS_EXIT_OK;
	}
	/* Progress only on a terminal, never under --quiet or cron. */
	hs_progress_enable(!ctx.quiet && isatty(STDERR_FILENO));
	if (ctx.quiet && hs_log_get_level() < HS_LOG_WARN)
		hs_log_set_level(HS_LOG_WARN);

	if ((cmd->flags & HS_CMD_PROFILE) && !(cmd->flags & HS_CMD_PROFILE_LAZY)) {
		if (hs_cli_load_profile(&ctx, &err))
			goto fail;
	}

	optind = 0; /* glibc: full reinitialisation of getopt */
	r = cmd->fn(argc, argv, &ctx, &err);
	if (hs_cli_flush(r < 0 ? NULL : &err) && r >= 0)
		r = -1;
	if (r < 0)
		goto fail;
	rc = r;
	goto out;

fail:
	rc = err.code ? err.code : HS_EXIT_FAILURE;
	/* one line, whatever names from the archive the message holds */
	hs_text_fprintf(stderr, "hivesnap: %s\n", err.msg[0] ? err.msg : "failed");
out:
	hs_profile_free(ctx.profile);
	return rc;
}
