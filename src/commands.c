/*
 * commands.c - the command table.  One line per command; the handler lives
 * in src/cmd_<name>.c.  Only commands that work are listed.
 */
#include "cli.h"
#include "commands.h"

const hs_cmd hs_commands[] = {
	{ "version", hs_cmd_version, HS_CMD_JSON, "print the version and the libraries in use",
	  hs_cmd_version_usage },
	{ "profile", hs_cmd_profile, HS_CMD_PROFILE | HS_CMD_PROFILE_LAZY | HS_CMD_JSON, "show, write or check a profile",
	  hs_cmd_profile_usage },
	{ "inspect", hs_cmd_inspect, HS_CMD_JSON, "show an archive's header, sources, status and sizes",
	  hs_cmd_inspect_usage },
	{ "ls", hs_cmd_ls, HS_CMD_JSON, "list an archive's entries with size and sha256", hs_cmd_ls_usage },
	{ "cat", hs_cmd_cat, HS_CMD_JSON, "write one entry to stdout (BSON as Extended JSON with --json)",
	  hs_cmd_cat_usage },
	{ "verify", hs_cmd_verify, HS_CMD_JSON, "check archives: structure, header, manifest, every checksum",
	  hs_cmd_verify_usage },
	{ "extract", hs_cmd_extract, 0, "verify an archive, then write its entries under a folder",
	  hs_cmd_extract_usage },
	{ "snapshot", hs_cmd_snapshot, HS_CMD_PROFILE | HS_CMD_JSON | HS_CMD_QUIET, "capture the configured sources into one archive", hs_cmd_snapshot_usage },
	{ "restore", hs_cmd_restore, HS_CMD_PROFILE | HS_CMD_JSON | HS_CMD_QUIET, "replay an archive into the targets (plan only without --execute)", hs_cmd_restore_usage },
	{ "rollback", hs_cmd_rollback, HS_CMD_PROFILE | HS_CMD_JSON | HS_CMD_QUIET, "roll a Deployment back to an archived revision (plan only without --execute)", hs_cmd_rollback_usage },
	{ "diff", hs_cmd_diff, HS_CMD_PROFILE | HS_CMD_PROFILE_LAZY | HS_CMD_JSON, "what changed between two archives (exit 0 equal, 1 different)", hs_cmd_diff_usage },
	{ "list", hs_cmd_list, HS_CMD_JSON, "list the archives of a backup folder, newest first", hs_cmd_list_usage },
	{ "prune", hs_cmd_prune, HS_CMD_JSON, "remove the archives of a backup folder no --keep-… rule keeps", hs_cmd_prune_usage },
	{ "unsilence", hs_cmd_unsilence, HS_CMD_PROFILE, "expire the Alertmanager silence snapshot --silence made", hs_cmd_unsilence_usage },
	{ "diag", hs_cmd_diag, HS_CMD_PROFILE | HS_CMD_JSON | HS_CMD_QUIET, "collect a redacted support bundle with findings (health, metrics, logs)", hs_cmd_diag_usage },
	{ NULL, NULL, 0, NULL, NULL }
};
