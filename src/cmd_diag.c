/*
 * cmd_diag.c - `hivesnap diag`: run the diag collectors (each in a child
 * process of its own, killed at its timeout: diag/runner.h) and write what
 * they found, redacted, into one bundle (diag/bundle.h).  summary.md is
 * printed (findings first), or a JSON report with --json.
 *
 * Findings never change the exit code (they are the content): 0 when every
 * collector that ran was ok, 2 when the bundle was written but one failed
 * or timed out, 3 when nothing was written.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive.h"
#include "buf.h"
#include "diag/bundle.h"
#include "commands.h"
#include "diag/diag.h"
#include "lock.h"
#include "output.h"
#include "log.h"
#include "profile.h"
#include "diag/runner.h"

const char hs_cmd_diag_usage[] =
	"usage: hivesnap diag [-p PROFILE] [-o FILE | --output-dir DIR] [--since DURATION]\n"
	"                     [--no-redact] [--only LIST] [--skip LIST] [--timeout DURATION]\n"
	"                     [--label TEXT] [--quiet] [--json]\n\n"
	"Collect a support bundle: health endpoints, dependency reachability, Prometheus\n"
	"queries and alerts, Redis, MongoDB, Kafka and Kubernetes state and logs, with\n"
	"findings that name the runbook section to follow.  Every text entry is redacted.\n\n"
	"  -p, --profile FILE   profile (default: the built-in Flow C profile)\n"
	"  -o, --output FILE    write the bundle to FILE (must not exist)\n"
	"  --output-dir DIR     write <profile>-<label>-YYYYMMDDTHHMMSSZ.tar.zst into DIR\n"
	"                       (default: the current folder); when that name is taken\n"
	"                       (two runs in one second) ...Z-2.tar.zst, -3, ...\n"
	"  --since DURATION     logs and events of the last DURATION (default 1h)\n"
	"  --no-redact          do not redact (the bundle may then hold secrets)\n"
	"  --only LIST          comma list of collectors to run (names below)\n"
	"  --skip LIST          comma list of collectors not to run\n"
	"  --timeout DURATION   every collector's time budget (default: each its own);\n"
	"                       a collector still running then is killed (status timeout)\n"
	"  --label TEXT         label for the file name and header (default diag)\n"
	"  -q, --quiet          only warnings and errors on stderr\n"
	"  --json               print {archive, status, checks, findings} instead of the summary\n\n"
	"Collectors: health, deps, prometheus, redis, mongo, kafka, k8s (each runs when the\n"
	"profile configures what it reads; docs/diag.md says what each collects).\n\n"
	"Each collector runs in a process of its own, at most 4 at once; the whole run ends\n"
	"by the longest budget plus 5 s.  The output folder is locked while writing.\n\n"
	"Exit: 0 bundle written, every collector ok (findings do not change it), 2 bundle\n"
	"written but a collector failed or timed out, 3 nothing written, 64 usage, 65 bad\n"
	"profile, 75 another hivesnap is writing into that folder.\n";

static bool hs_diag_label_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* The collectors' names, comma-separated, for error messages. */
static void hs_diag_known(hs_buf *b)
{
	for (size_t i = 0; hs_diag_collectors[i]; i++)
		hs_buf_addf(b, "%s%s", i ? "," : "", hs_diag_collectors[i]->name);
	if (!b->len)
		hs_buf_adds(b, "none in this build");
}

/*
 * Parse a comma list of collector names into a mask over the table
 * (bit i = hs_diag_collectors[i]).  Unknown names are usage errors.
 */
static int hs_diag_parse_list(const char *opt, const char *list, uint64_t *mask, hs_error *e)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ","), i;
		bool found = false;

		for (i = 0; hs_diag_collectors[i] && i < 64; i++) {
			if (strlen(hs_diag_collectors[i]->name) == n &&
			    !strncmp(hs_diag_collectors[i]->name, p, n)) {
				*mask |= (uint64_t)1 << i;
				found = true;
			}
		}
		if (!found) {
			hs_buf known = HS_BUF_INIT;

			hs_diag_known(&known);
			hs_err(e, HS_EXIT_USAGE, "diag: %s: unknown collector '%.*s' (known: %s)", opt, (int)n, p,
			       known.data);
			hs_buf_release(&known);
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask)
		return hs_err(e, HS_EXIT_USAGE, "diag: %s needs at least one collector name", opt);
	return 0;
}

/* The --json report: {archive, status, exit_code, checks, findings}. */
static void hs_diag_print_json(FILE *out, const char *path, int code, const hs_diag_bundle *b)
{
	json_t *r = json_pack("{s:s, s:s, s:i, s:O, s:O}", "archive", path, "status",
			      code == HS_EXIT_OK ? "ok" : "partial", "exit_code", code, "checks",
			      hs_diag_bundle_checks(b), "findings", hs_diag_bundle_findings(b));

	json_dumpf(r, out, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', out);
	json_decref(r);
}

int hs_cmd_diag(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "output-dir", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },
		{ "no-redact", no_argument, NULL, 'R' },
		{ "only", required_argument, NULL, 'O' },
		{ "skip", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	const char *output = NULL, *outdir = NULL, *label = "diag", *only = NULL, *skip = NULL;
	int64_t since_s = 3600, timeout_s = 0;
	bool redact = true;
	uint64_t only_mask = 0, skip_mask = 0;
	hs_buf path = HS_BUF_INIT, lockdir = HS_BUF_INIT;
	hs_lock *lock = NULL;
	hs_diag_bundle *bundle = NULL;
	hs_diag_bundle_opts bo;
	hs_diag_runner_opts ro;
	hs_diag_run *runs = NULL;
	char *workdir = NULL;
	size_t n = 0, i, nrun = 0, nbad = 0;
	time_t now = time(NULL);
	int rc = -1, c;

	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'd':
			outdir = optarg;
			break;
		case 's':
			if (hs_duration_parse(optarg, &since_s) || since_s <= 0)
				return hs_cli_usage_error(e, "diag", "--since takes a duration such as 30m or 2h");
			break;
		case 'R':
			redact = false;
			break;
		case 'O':
			only = optarg;
			break;
		case 'S':
			skip = optarg;
			break;
		case 't':
			if (hs_duration_parse(optarg, &timeout_s) || timeout_s <= 0 || timeout_s > 3600)
				return hs_cli_usage_error(e, "diag",
							  "--timeout takes a duration from 1s to 1h such as 20s");
			break;
		case 'l':
			label = optarg;
			break;
		default:
			return hs_cli_usage_error(e, "diag", "unknown option or missing argument");
		}
	}
	if (optind < argc)
		return hs_cli_usage_error(e, "diag", "takes no arguments");
	if (output && outdir)
		return hs_cli_usage_error(e, "diag", "-o and --output-dir exclude each other");
	if (!hs_diag_label_ok(label))
		return hs_cli_usage_error(e, "diag", "--label takes 1-64 characters of A-Z a-z 0-9 . _ -");
	if (only && hs_diag_parse_list("--only", only, &only_mask, e))
		return -1;
	if (skip && hs_diag_parse_list("--skip", skip, &skip_mask, e))
		return -1;

	/* which collectors run, and with what budget */
	for (n = 0; hs_diag_collectors[n]; n++)
		;
	runs = hs_xcalloc(n ? n : 1, sizeof(*runs));
	for (i = 0; i < n; i++) {
		const hs_diag_collector *col = hs_diag_collectors[i];
		hs_diag_run *r = &runs[i];

		r->col = col;
		r->budget_ms = timeout_s ? (int)(timeout_s * 1000) : col->timeout_ms > 0 ? col->timeout_ms : 30000;
		if (only && !(only_mask & ((uint64_t)1 << i))) {
			r->status = HS_DIAG_SKIPPED;
			r->error = hs_xstrdup("not in --only");
		} else if (skip_mask & ((uint64_t)1 << i)) {
			r->status = HS_DIAG_SKIPPED;
			r->error = hs_xstrdup("excluded by --skip");
		} else if (!col->configured(ctx->profile)) {
			if (only) {
				hs_err(e, HS_EXIT_USAGE, "diag: collector '%s' is not configured in profile '%s'",
				       col->name, hs_profile_name(ctx->profile));
				goto out;
			}
			r->status = HS_DIAG_SKIPPED;
			r->error = hs_xstrdup("not configured in the profile");
		} else {
			nrun++;
		}
	}
	if (!nrun) {
		hs_err(e, HS_EXIT_FAILURE, "nothing written: no diag collector is configured in profile '%s'%s",
		       hs_profile_name(ctx->profile), skip ? " (or all are excluded by --skip)" : "");
		goto out;
	}

	/* where: the same naming and locking as snapshot */
	if (hs_output_resolve(output, outdir, hs_profile_name(ctx->profile), label, now, &path, &lockdir, e))
		goto out;
	if (hs_lock_acquire(lockdir.data, &lock, e))
		goto out;
	{
		/* what runs killed with SIGKILL left here (we hold the lock) */
		unsigned stale = 0;
		hs_error cerr;

		hs_error_init(&cerr);
		if (hs_aw_clean_stale(lockdir.data, &stale, &cerr))
			hs_warn(NULL, "%s", cerr.msg);
		stale += hs_diag_workdir_clean_stale(lockdir.data);
		if (stale)
			hs_info(NULL, "removed %u temporary file%s or folder%s left by dead runs in '%s'", stale,
				stale == 1 ? "" : "s", stale == 1 ? "" : "s", lockdir.data);
	}
	/* SIGINT/SIGTERM from here on: children killed, temp files removed, exit 3 */
	hs_diag_signals_install();

	memset(&bo, 0, sizeof(bo));
	bo.profile = ctx->profile;
	bo.label = label;
	bo.created_at = (int64_t)now;
	bo.since_s = since_s;
	bo.redact = redact;
	/* with --output-dir a taken name gets a counter, "-2.tar.zst" (output.h); -o never does */
	bo.number_on_collision = output == NULL;
	/* an existing -o file fails before any collecting (an unwritable folder failed at the lock) */
	if (hs_diag_bundle_open(&bundle, path.data, &bo, e))
		goto out;
	if (strcmp(path.data, hs_diag_bundle_path(bundle))) {
		hs_info(NULL, "'%s' exists: the bundle is '%s'", path.data, hs_diag_bundle_path(bundle));
		hs_buf_reset(&path);
		hs_buf_adds(&path, hs_diag_bundle_path(bundle));
	}
	if (!redact)
		hs_warn(NULL, "--no-redact: the bundle may hold passwords and tokens");
	if (hs_diag_workdir_new(lockdir.data, &workdir, e))
		goto out;

	memset(&ro, 0, sizeof(ro));
	ro.profile = ctx->profile;
	ro.since_s = since_s;
	hs_info(NULL, "running %zu diag collectors", nrun);
	if (hs_diag_runner_run(runs, n, workdir, &ro, e))
		goto out;
	if (hs_diag_bundle_write(bundle, runs, n, e))
		goto out;
	for (i = 0; i < n; i++) {
		/* the redacted error text, from the bundle's checks */
		const json_t *chk = json_array_get(hs_diag_bundle_checks(bundle), i);

		if (runs[i].status != HS_DIAG_FAILED && runs[i].status != HS_DIAG_TIMEOUT)
			continue;
		nbad++;
		hs_warn(runs[i].col->name, "collector %s: %s", hs_diag_status_name(runs[i].status),
			json_string_value(json_object_get(chk, "error")) ?
				json_string_value(json_object_get(chk, "error")) : "no reason given");
	}
	rc = nbad ? HS_EXIT_PARTIAL : HS_EXIT_OK;
	hs_buf_reset(&path); /* the name the file took */
	hs_buf_adds(&path, hs_diag_bundle_path(bundle));
	hs_info(NULL, "bundle written: %s (%zu collectors, %zu failed or timed out)", path.data, nrun, nbad);
	if (ctx->json)
		hs_diag_print_json(ctx->out, path.data, rc, bundle);
	else
		fputs(hs_diag_bundle_summary(bundle), ctx->out);
out:
	hs_diag_bundle_free(bundle);
	hs_diag_workdir_remove(workdir);
	free(workdir);
	hs_diag_signals_restore();
	hs_lock_release(lock);
	for (i = 0; i < n; i++)
		hs_diag_run_release(&runs[i]);
	free(runs);
	hs_buf_release(&path);
	hs_buf_release(&lockdir);
	return rc;
}
