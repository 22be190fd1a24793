/*
 * cmd_prune.c - `hivesnap prune DIR --keep-… [--dry-run] [--json]`: apply
 * a keep policy to a backup folder (restic's semantics, see retention.h)
 * and say for every archive whether it is kept and why.  Holds the folder
 * lock like snapshot does, so it never races a run writing there.
 *
 * --json prints schemas/prune.schema.json.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "lock.h"
#include "retention.h"
#include "textsafe.h"

const char hs_cmd_prune_usage[] =
	"usage: hivesnap prune DIR [--keep-last N] [--keep-hourly N] [--keep-daily N]\n"
	"                          [--keep-weekly N] [--keep-monthly N] [--dry-run] [--json]\n\n"
	"Remove the archives of a backup folder that no keep rule keeps, and say\n"
	"for each archive what happens and why.  Rules work as restic's: walking\n"
	"from the newest archive, --keep-last N keeps the N newest, and\n"
	"--keep-hourly/daily/weekly/monthly N keep the newest archive of each of\n"
	"the N newest hours/days/ISO weeks/months (UTC) that have one.  Partial\n"
	"and failed archives never count towards a rule; they are removed after\n"
	"the complete ones.  Files that are not readable hivesnap archives are\n"
	"left alone.  At least one rule is required.\n\n"
	"  --dry-run   only say what would be removed\n"
	"  --json      print the decisions as JSON (schemas/prune.schema.json)\n\n"
	"Exit: 0 ok, 3 folder unreadable or an archive could not be removed,\n"
	"64 usage, 75 another hivesnap holds the folder's lock.\n";

int hs_cmd_prune(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option opts[] = {
		{ "keep-last", required_argument, NULL, 'L' },
		{ "keep-hourly", required_argument, NULL, 'H' },
		{ "keep-daily", required_argument, NULL, 'D' },
		{ "keep-weekly", required_argument, NULL, 'W' },
		{ "keep-monthly", required_argument, NULL, 'M' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	hs_keep_policy pol = { 0, 0, 0, 0, 0 };
	hs_lock *lock = NULL;
	json_t *report = NULL, *a;
	bool dry_run = false;
	const char *dir;
	char what[160];
	size_t i;
	int c, li = 0, rc = -1, *slot;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, &li)) != -1) {
		switch (c) {
		case 'L': slot = &pol.last; break;
		case 'H': slot = &pol.hourly; break;
		case 'D': slot = &pol.daily; break;
		case 'W': slot = &pol.weekly; break;
		case 'M': slot = &pol.monthly; break;
		case 'n': dry_run = true; continue;
		default:
			snprintf(what, sizeof(what), "unknown option or missing argument '%s'", argv[optind - 1]);
			return hs_cli_usage_error(e, "prune", what);
		}
		snprintf(what, sizeof(what), "--%s", opts[li].name);
		if (hs_keep_parse(what, optarg, slot, e))
			return -1;
	}
	if (argc - optind != 1)
		return hs_cli_usage_error(e, "prune", "needs exactly one DIR");
	if (!hs_keep_policy_any(&pol))
		return hs_cli_usage_error(e, "prune", "needs at least one --keep-… rule above 0");
	dir = argv[optind];

	if (hs_lock_acquire(dir, &lock, e))
		goto out;
	rc = hs_retention_run(dir, &pol, dry_run, &report, e);
	if (!report)
		goto out;
	if (ctx->json) {
		json_dumpf(report, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', ctx->out);
	} else {
		json_array_foreach(json_object_get(report, "archives"), i, a) {
			const char *act = json_string_value(json_object_get(a, "action"));

			hs_text_fprintf(ctx->out, "%-12s %s  %s\n",
				strcmp(act, "keep") == 0 ? "keep" : dry_run ? "would remove" : "remove",
				json_string_value(json_object_get(a, "name")),
				json_string_value(json_object_get(a, "reason")));
		}
		fprintf(ctx->out, "%s %" JSON_INTEGER_FORMAT " archives (%" JSON_INTEGER_FORMAT
			" bytes), kept %" JSON_INTEGER_FORMAT "\n", dry_run ? "would remove" : "removed",
			json_integer_value(json_object_get(report, "removed")),
			json_integer_value(json_object_get(report, "removed_bytes")),
			json_integer_value(json_object_get(report, "kept")));
	}
out:
	json_decref(report);
	hs_lock_release(lock);
	return rc;
}
