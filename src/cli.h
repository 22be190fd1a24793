/*
 * cli.h - the command table and the runner (after git.c).
 *
 * main() looks the command up in hs_commands[], the runner parses the
 * options every command shares, enforces the preconditions the command's
 * flags declare, calls it, checks that stdout was written without error
 * (a full disk is an error, not silence) and maps the result to an exit
 * code.  Commands never call exit() and never print errors themselves:
 * they return an exit code (0, 1 for diff, 2 for partial) or -1 with the
 * hs_error filled.
 */
#ifndef HS_CLI_H
#define HS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"

struct hs_profile;

/* Command flags: preconditions the runner enforces. */
enum {
	HS_CMD_PROFILE = 1u << 0, /* accepts -p/--profile; ctx->profile is loaded (built-in when absent) */
	HS_CMD_JSON = 1u << 1,    /* accepts --json; sets ctx->json */
	HS_CMD_QUIET = 1u << 2,   /* accepts --quiet */
	HS_CMD_PROFILE_LAZY = 1u << 3 /* with HS_CMD_PROFILE: the command loads it (hs_cli_load_profile) */
};

typedef struct hs_ctx {
	FILE *out;                   /* where reports go: stdout */
	bool json;                   /* --json given */
	bool quiet;                  /* --quiet given, or stderr is not a terminal */
	const char *profile_path;    /* -p value, NULL for the built-in profile */
	struct hs_profile *profile;  /* loaded by the runner for HS_CMD_PROFILE */
} hs_ctx;

/*
 * A command.  argv[0] is the command name; the shared options (-p, --json,
 * --quiet, --help) have been removed.  Parse the rest with getopt_long
 * (optind is reset).  Return an exit code >= 0, or -1 with e filled.
 */
typedef int (*hs_cmd_fn)(int argc, char **argv, hs_ctx *ctx, hs_error *e);

typedef struct hs_cmd {
	const char *name;
	hs_cmd_fn fn;
	unsigned flags;
	const char *summary;  /* one line for `hivesnap --help` */
	const char *usage;    /* full text for `hivesnap CMD --help` */
} hs_cmd;

/* The table, NULL-terminated, in src/commands.c. */
extern const hs_cmd hs_commands[];

/* Run hivesnap with the process's arguments; returns the exit code. */
int hs_cli_main(int argc, char **argv);

/*
 * Load ctx->profile from ctx->profile_path (or the built-in profile) unless
 * it is loaded already.  For HS_CMD_PROFILE_LAZY commands, which need it
 * only on some paths (profile init must work with a broken environment).
 */
int hs_cli_load_profile(hs_ctx *ctx, hs_error *e);

/*
 * Helper for commands: report an unknown option or a missing argument from
 * getopt_long as a usage error naming the command.
 */
int hs_cli_usage_error(hs_error *e, const char *cmd, const char *what);

#endif
