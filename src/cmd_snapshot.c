/*
 * cmd_snapshot.c - `hivesnap snapshot`: capture every configured source
 * into one archive.
 *
 * Each selected source captures in turn into the same archive writer; its
 * outcome goes into the manifest.  When a source fails, nothing is written
 * (exit 3) unless --allow-partial is given, in which case the archive is
 * finished with that source marked failed (exit 2).  If every source
 * failed, nothing is written either way.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive.h"
#include "clock.h"
#include "buf.h"
#include "cleanup.h"
#include "commands.h"
#include "lock.h"
#include "output.h"
#include "log.h"
#include "metrics.h"
#include "profile.h"
#include "retention.h"
#include "silence.h"
#include "source.h"

const char hs_cmd_snapshot_usage[] =
	"usage: hivesnap snapshot [-p PROFILE] [-o FILE | --output-dir DIR] [--only SOURCES]\n"
	"                         [--label TEXT] [--allow-partial] [--parallel N] [--quiet] [--json]\n"
	"                         [--mongo-sort auto|server|client]\n"
	"                         [--keep-last N] [--keep-hourly N] [--keep-daily N]\n"
	"                         [--keep-weekly N] [--keep-monthly N] [--metrics-file PATH]\n"
	"                         [--silence DURATION]\n\n"
	"Capture the sources the profile configures into one archive.\n\n"
	"  -p, --profile FILE   profile (default: the built-in Flow C profile)\n"
	"  -o, --output FILE    write the archive to FILE (must not exist)\n"
	"  --output-dir DIR     write <profile>-<label->YYYYMMDDTHHMMSSZ.tar.zst into DIR\n"
	"                       (default: the current folder); when that name is taken\n"
	"                       (two runs in one second) ...Z-2.tar.zst, -3, ...\n"
	"  --only SOURCES       comma list of mongo,redis,kafka,k8s\n"
	"  --label TEXT         a label for the file name and header ([A-Za-z0-9._-])\n"
	"  --allow-partial      keep the archive when a source fails (exit 2)\n"
	"  --parallel N         collections/keys read in parallel per source\n"
	"  --mongo-sort WHO     who puts documents in _id order: server (find sorted), client\n"
	"                       (natural order, sorted on disk by hivesnap) or auto (client on\n"
	"                       FerretDB, else server); default: the profile's mongo.sort\n"
	"  --keep-last/hourly/daily/weekly/monthly N\n"
	"                       with --output-dir, after a successful snapshot remove the\n"
	"                       archives no rule keeps (as 'hivesnap prune')\n"
	"  --metrics-file PATH  write the run's metrics there (Prometheus text format for\n"
	"                       node_exporter's textfile collector, replaced atomically)\n"
	"  --silence DURATION   before capturing, silence the profile's alerts (silence.matchers)\n"
	"                       in diag.alertmanager.url for DURATION (e.g. 2h); the id is logged\n"
	"                       and in --json; 'hivesnap unsilence ID' ends it.  Expired again\n"
	"                       when nothing is written\n"
	"  -q, --quiet          no progress\n"
	"  --json               print the result as JSON\n\n"
	"The output folder is locked (flock on DIR/.hivesnap.lock) for the whole run.\n"
	"The archive is written to <name>.tmp-<pid>-XXXXXX and renamed when complete.\n"
	"SIGINT or SIGTERM stop the run with exit 3, removing the temporary file and\n"
	"the lock file.  A run removes the temporary files of dead runs (killed with\n"
	"SIGKILL, power loss) from the folder before it starts; a live run's are kept.\n\n"
	"Exit: 0 ok, 2 partial (with --allow-partial), 3 nothing written, 64 usage, 65 bad profile,\n"
	"75 another hivesnap is writing into that folder (try again later).\n";

static bool hs_label_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/*
 * The --metrics-file of argv, found before option parsing so that a run
 * refused for its flags still reports (getopt_long's rules: "--metrics-file
 * PATH", "--metrics-file=PATH" or an abbreviation down to "--m"; nothing
 * after "--").  NULL when absent or without a value.
 */
static const char *hs_snapshot_metrics_arg(int argc, char **argv)
{
	static const char opt[] = "--metrics-file";
	const char *found = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);

		if (!strcmp(a, "--"))
			break;
		if (n < 3 || n > sizeof(opt) - 1 || strncmp(a, opt, n))
			continue;
		if (eq)
			found = *(eq + 1) ? eq + 1 : NULL;
		else
			found = i + 1 < argc ? argv[++i] : NULL;
	}
	return found;
}

/* path = the writer's name, saying so when a collision numbered it. */
static void hs_snapshot_follow_name(hs_buf *path, const hs_archive_writer *aw)
{
	if (!strcmp(path->data, hs_aw_path(aw)))
		return;
	hs_info(NULL, "'%s' exists: the archive is '%s'", path->data, hs_aw_path(aw));
	hs_buf_reset(path);
	hs_buf_adds(path, hs_aw_path(aw));
}

int hs_cmd_snapshot(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "output-dir", required_argument, NULL, 'd' },
		{ "only", required_argument, NULL, 'O' },
		{ "label", required_argument, NULL, 'l' },
		{ "allow-partial", no_argument, NULL, 'a' },
		{ "parallel", required_argument, NULL, 'P' },
		{ "keep-last", required_argument, NULL, 1001 },
		{ "keep-hourly", required_argument, NULL, 1002 },
		{ "keep-daily", required_argument, NULL, 1003 },
		{ "keep-weekly", required_argument, NULL, 1004 },
		{ "keep-monthly", required_argument, NULL, 1005 },
		{ "metrics-file", required_argument, NULL, 1006 },
		{ "silence", required_argument, NULL, 1007 },
		{ "mongo-sort", required_argument, NULL, 1008 },
		{ NULL, 0, NULL, 0 }
	};
	const char *output = NULL, *outdir = NULL, *label = NULL, *only = NULL;
	hs_snapshot_opts sopts = { 0, 0, false };
	hs_archive_opts aopts;
	hs_archive_writer *aw = NULL;
	hs_lock *lock = NULL;
	int lock_slot = -1;
	hs_buf lockdir = HS_BUF_INIT;
	hs_buf path = HS_BUF_INIT, failed = HS_BUF_INIT;
	json_t *report = NULL, *jsources = NULL;
	hs_keep_policy keep = { 0, 0, 0, 0, 0 };
	int li = 0;
	const char *metrics_file = hs_snapshot_metrics_arg(argc, argv);
	int64_t silence_s = 0;
	int mongo_sort = -1;
	char *silence_id = NULL;
	json_t *silence_rec = NULL;
	bool written = false;
	int64_t started_ms = hs_now_ms();
	unsigned mask = ~0u;
	int nok = 0, nfailed = 0, npartial = 0, nrun = 0;
	int rc = -1, c;
	size_t i;
	time_t now = time(NULL);

	while ((c = getopt_long(argc, argv, "o:", longopts, &li)) != -1) {
		switch (c) {
		case 1006:
			metrics_file = optarg;
			break;
		case 1007:
			if (hs_duration_parse(optarg, &silence_s) || silence_s <= 0) {
				hs_cli_usage_error(e, "snapshot", "--silence takes a duration such as 90m or 2h");
				goto out;
			}
			break;
		case 1008:
			mongo_sort = hs_mongo_sort_parse(optarg);
			if (mongo_sort < 0) {
				hs_cli_usage_error(e, "snapshot", "--mongo-sort takes auto, server or client");
				goto out;
			}
			break;
		case 1001:
		case 1002:
		case 1003:
		case 1004:
		case 1005: {
			int *slot[] = { &keep.last, &keep.hourly, &keep.daily, &keep.weekly, &keep.monthly };
			char opt[32];

			snprintf(opt, sizeof(opt), "--%s", longopts[li].name);
			if (hs_keep_parse(opt, optarg, slot[c - 1001], e))
				goto out;
			break;
		}
		case 'o':
			output = optarg;
			break;
		case 'd':
			outdir = optarg;
			break;
		case 'O':
			only = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 'a':
			sopts.allow_partial = true;
			break;
		case 'P': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 64) {
				hs_cli_usage_error(e, "snapshot", "--parallel takes a number from 1 to 64");
				goto out;
			}
			sopts.parallel = (int)v;
			break;
		}
		default:
			hs_cli_usage_error(e, "snapshot", "unknown option or missing argument");
			goto out;
		}
	}
	if (optind < argc) {
		hs_cli_usage_error(e, "snapshot", "takes no arguments");
		goto out;
	}
	if (output && outdir) {
		hs_cli_usage_error(e, "snapshot", "-o and --output-dir exclude each other");
		goto out;
	}
	if (hs_keep_policy_any(&keep) && !outdir) {
		hs_cli_usage_error(e, "snapshot", "--keep-… rules need --output-dir");
		goto out;
	}
	if (label && !hs_label_ok(label)) {
		hs_cli_usage_error(e, "snapshot", "--label takes 1-64 characters of A-Z a-z 0-9 . _ -");
		goto out;
	}
	if (only && hs_source_parse_list(only, &mask, e))
		goto out;
	/* --mongo-sort wins over the profile's mongo.sort for this run */
	if (mongo_sort >= 0 && ctx->profile->mongo)
		ctx->profile->mongo->sort = (enum hs_mongo_sort)mongo_sort;
	if (!hs_sources[0]) {
		hs_err(e, HS_EXIT_FAILURE, "this build has no sources to capture");
		goto out;
	}

	if (hs_output_resolve(output, outdir, hs_profile_name(ctx->profile), label, now, &path, &lockdir, e))
		goto out;
	/* one run at a time per output folder, held until the end (exit 75) */
	if (hs_lock_acquire(lockdir.data, &lock, e))
		goto out;
	/*
	 * From here a signal removes what this run made (the temporary archive
	 * registers itself; the lock file is lock.h's DIR/.hivesnap.lock) and
	 * exits 3.  Then, under the lock, the temporary files of dead runs go.
	 */
	{
		hs_buf lp = HS_BUF_INIT;
		unsigned stale = 0;
		hs_error cerr;

		hs_buf_addf(&lp, "%s%s.hivesnap.lock", lockdir.data,
			    lockdir.data[lockdir.len - 1] == '/' ? "" : "/");
		lock_slot = hs_cleanup_add(lp.data);
		hs_buf_release(&lp);
		hs_cleanup_install();
		hs_error_init(&cerr);
		if (hs_aw_clean_stale(lockdir.data, &stale, &cerr))
			hs_log(HS_LOG_WARN, NULL, "%s", cerr.msg);
		else if (stale)
			hs_info(NULL, "removed %u temporary file%s left by dead runs in '%s'", stale,
				stale == 1 ? "" : "s", lockdir.data);
	}
	/*
	 * The temporary archive, and with --output-dir its name: a name taken
	 * (a run earlier in the same second) gets a counter, "-2.tar.zst"
	 * (output.h); -o FILE never does.  path follows the writer's name
	 * from here, so the silence, the report and the metrics say the real one.
	 */
	memset(&aopts, 0, sizeof(aopts));
	aopts.kind = "snapshot";
	aopts.profile = hs_profile_name(ctx->profile);
	aopts.label = label;
	aopts.created_at = (int64_t)now;
	aopts.number_on_collision = output == NULL;
	if (hs_aw_open(&aw, path.data, &aopts, e))
		goto out;
	hs_snapshot_follow_name(&path, aw);
	/* maintenance window: silence the alerts before capturing anything */
	if (silence_s > 0) {
		const char *am = ctx->profile->diag ? ctx->profile->diag->alertmanager_url : NULL;

		if (!am) {
			hs_err(e, HS_EXIT_DATA, "--silence: profile '%s' has no diag.alertmanager.url",
			       hs_profile_name(ctx->profile));
			goto out;
		}
		if (hs_silence_create(am, ctx->profile->silence, silence_s, path.data, &silence_id,
				      &silence_rec, e))
			goto out;
		hs_log(HS_LOG_WARN, NULL, "silence %s created for %" PRId64 "s: 'hivesnap unsilence %s' ends it",
		       silence_id, silence_s, silence_id);
	}

	/* the silence's id in the manifest: 'hivesnap unsilence ARCHIVE' ends it */
	if (silence_rec && hs_aw_set_meta(aw, "silence", silence_rec, e))
		goto out;

	jsources = json_object();
	for (i = 0; hs_sources[i]; i++) {
		const hs_source_ops *src = hs_sources[i];
		hs_capture cap;
		hs_error serr;
		int64_t t0, t1;
		const char *status;
		const char *errtext = NULL;

		if (!(mask & (1u << i)))
			continue;
		if (!src->configured(ctx->profile)) {
			if (only) {
				hs_err(e, HS_EXIT_USAGE, "source '%s' is not configured in profile '%s'",
				       src->name, hs_profile_name(ctx->profile));
				goto out;
			}
			if (hs_aw_source(aw, src->name, HS_STATUS_SKIPPED, "not configured in the profile",
					 0, 0, NULL, NULL, e))
				goto out;
			json_object_set_new(jsources, src->name, json_string(HS_STATUS_SKIPPED));
			continue;
		}
		memset(&cap, 0, sizeof(cap));
		cap.profile = ctx->profile;
		cap.opts = &sopts;
		cap.aw = aw;
		cap.progress = hs_progress_new(src->name);
		hs_error_init(&serr);
		hs_info(src->name, "capture started");
		t0 = hs_now_ms();
		nrun++;
		if (src->capture(&cap, &serr) == 0) {
			status = cap.partial ? HS_STATUS_PARTIAL : HS_STATUS_OK;
			errtext = cap.partial && cap.warning[0] ? cap.warning : NULL;
			if (cap.partial)
				npartial++;
			else
				nok++;
		} else {
			status = HS_STATUS_FAILED;
			errtext = serr.msg;
			nfailed++;
			hs_buf_addf(&failed, "%s%s: %s", failed.len ? "; " : "", src->name, serr.msg);
			hs_log(HS_LOG_ERROR, src->name, "capture failed: %s", serr.msg);
		}
		t1 = hs_now_ms();
		hs_progress_done(cap.progress);
		if (strcmp(status, HS_STATUS_FAILED))
			hs_info(src->name, "capture %s in %.1fs", status, (double)(t1 - t0) / 1000.0);
		rc = hs_aw_source(aw, src->name, status, errtext, t0, t1, cap.watermark, cap.details, e);
		json_decref(cap.watermark);
		json_decref(cap.details);
		if (rc)
			goto out;
		rc = -1;
		json_object_set_new(jsources, src->name, json_string(status));
	}
	if (!nrun) {
		hs_err(e, HS_EXIT_FAILURE, "no source is configured in profile '%s'", hs_profile_name(ctx->profile));
		goto out;
	}
	if (nfailed && (!sopts.allow_partial || (!nok && !npartial))) {
		hs_err(e, HS_EXIT_FAILURE, "nothing written: %s%s", failed.data,
		       sopts.allow_partial ? "" : " (--allow-partial keeps the other sources)");
		goto out;
	}
	if (hs_aw_finish(aw, e))
		goto out;
	written = true;
	/* the name the file took: another writer may have won the open-time one */
	hs_snapshot_follow_name(&path, aw);

	rc = (nfailed || npartial) ? HS_EXIT_PARTIAL : HS_EXIT_OK;
	report = json_pack("{s:s, s:s, s:O, s:i}", "archive", path.data, "status",
			   rc == HS_EXIT_OK ? "ok" : "partial", "sources", jsources, "exit_code", rc);
	if (silence_id)
		json_object_set_new(report, "silence", json_string(silence_id));
	/* retention after a successful run only, still under the folder lock */
	if (rc == HS_EXIT_OK && hs_keep_policy_any(&keep)) {
		json_t *pr = NULL, *pruned = json_array(), *a;
		char why[HS_ERROR_MSG_MAX];
		size_t k;

		if (hs_retention_run(outdir, &keep, false, &pr, e)) {
			snprintf(why, sizeof(why), "%s", e->msg);
			hs_err(e, HS_EXIT_FAILURE, "archive '%s' written, but pruning failed: %s", path.data, why);
			rc = -1;
			/* the report still names the archive, with the run's real exit code */
			json_object_set_new(report, "exit_code", json_integer(e->code));
		}
		json_array_foreach(json_object_get(pr, "archives"), k, a) {
			const char *name = json_string_value(json_object_get(a, "name"));

			if (strcmp(json_string_value(json_object_get(a, "action")), "remove"))
				continue;
			hs_info("retention", "removed %s (%s)", name,
				json_string_value(json_object_get(a, "reason")));
			json_array_append_new(pruned, json_string(name));
		}
		json_object_set_new(report, "pruned", pruned);
		json_decref(pr);
	}
	if (ctx->json) {
		json_dumpf(report, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', ctx->out);
	} else {
		fprintf(ctx->out, "%s\n", path.data);
	}
out:
	/*
	 * the run's metrics, whatever ended it: bad flags (64) and a locked
	 * folder (75) too; the last success timestamp moves only on exit 0
	 */
	if (metrics_file) {
		hs_run_metrics m = { hs_profile_name(ctx->profile), started_ms, hs_now_ms(),
				     rc >= 0 ? rc : e->code, written ? path.data : NULL, jsources };
		hs_error merr;

		hs_error_init(&merr);
		if (hs_metrics_write(metrics_file, &m, &merr))
			hs_log(HS_LOG_ERROR, NULL, "%s", merr.msg);
	}
	/* nothing written: the maintenance does not go ahead, so neither does the silence */
	if (silence_id && rc < 0 && !written) {
		const char *am = ctx->profile->diag->alertmanager_url;
		hs_error serr2;

		hs_error_init(&serr2);
		if (hs_silence_expire(am, silence_id, &serr2))
			hs_log(HS_LOG_ERROR, NULL, "%s", serr2.msg);
		else
			hs_info(NULL, "silence %s expired: nothing was written", silence_id);
	}
	free(silence_id);
	json_decref(silence_rec);
	hs_aw_free(aw);
	/* forget the lock file before it goes: a new run may create it again */
	hs_cleanup_remove(lock_slot);
	hs_lock_release(lock);
	hs_buf_release(&lockdir);
	json_decref(report);
	json_decref(jsources);
	hs_buf_release(&path);
	hs_buf_release(&failed);
	return rc;
}
