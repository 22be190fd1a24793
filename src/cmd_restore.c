/*
 * cmd_restore.c - `hivesnap restore`: replay an archive into the targets.
 *
 * Order of work (SPEC "Safety and integrity"):
 *   1. the whole archive is verified (checksums, header, manifest, entry
 *      list) before any target is reached: a bad archive changes nothing
 *      anywhere.  The pass that verifies it also hands the sources that
 *      plan from their entries (kafka, redis, k8s) those entries as it reads them
 *      (src/restore_scan.c), so their plans need no pass of their own;
 *      an error found before the archive is known good yields to the
 *      archive's own error, if it has one;
 *   2. every selected source plans, in the SPEC's restore order kafka,
 *      redis, mongo, k8s: it connects to its target, runs its preflight
 *      checks (a refused precondition is exit 5) and lists what it would do,
 *      changing nothing;
 *   3. the plans are printed; without --execute that is all;
 *   4. with --execute the sources apply their plans in the same order; a
 *      failed step stops the run, and the report says what was applied and
 *      what was not.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "buf.h"
#include "clock.h"
#include "commands.h"
#include "sources/k8s/k8s_common.h"
#include "log.h"
#include "restore_scan.h"
#include "source.h"
#include "textsafe.h"

const char hs_cmd_restore_usage[] =
	"usage: hivesnap restore ARCHIVE [--only SOURCES] [--include PATTERN]... [--exclude PATTERN]...\n"
	"                        [--mongo-mode insert|upsert|replace] [--map-ns SRC=DST]...\n"
	"                        [--map-k8s-ns SRC=DST]...\n"
	"                        [--redis-mode merge|replace] [--redis-ttl absolute|relative|none]\n"
	"                        [--to-mongo URI] [--to-redis URI] [--to-kafka BROKERS] [--to-context CTX]\n"
	"                        [--kafka-by-time] [--force] [--restart] [--stop-on-error] [--allow-system]\n"
	"                        [-p PROFILE] [--execute] [--json]\n\n"
	"Replay an archive into the targets of the profile (or the --to-* ones).\n"
	"Without --execute, only the plan is printed: nothing is changed.\n\n"
	"The archive is verified whole first; then every source checks its target\n"
	"and plans (order: kafka, redis, mongo, k8s); with --execute the plans are\n"
	"carried out in that order, and a failed step stops the run.\n\n"
	"  --only SOURCES          comma list of mongo,redis,kafka,k8s\n"
	"  --include/--exclude P   namespace/key/object globs (repeatable)\n"
	"  --mongo-mode MODE       insert (skip existing _id; default), upsert, replace\n"
	"  --map-ns SRC=DST        restore MongoDB namespace SRC into DST ('*' allowed)\n"
	"  --map-k8s-ns SRC=DST    restore the ConfigMaps of Kubernetes namespace SRC into DST\n"
	"  --redis-mode MODE       merge (default) or replace (also delete live keys of the\n"
	"                          profile's patterns that are not in the archive)\n"
	"  --redis-ttl MODE        absolute (default: expired keys are skipped), relative, none\n"
	"  --kafka-by-time         translate offsets by record timestamp where needed\n"
	"  --force                 overwrite objects changed since the snapshot\n"
	"  --restart               restart Deployments that use a restored ConfigMap\n"
	"  --stop-on-error         stop at the first failed item instead of counting it\n"
	"  --allow-system          restore MongoDB namespaces of the databases admin, local,\n"
	"                          config and system.* collections (refused without it: exit 5)\n"
	"  --execute               carry the plan out\n\n"
	"Exit: 0 done (or planned), 2 done but some items failed (counted in the report; without\n"
	"--stop-on-error), 3 stopped, 4 bad archive, 5 precondition refused, 64 usage, 65 newer format\n"
	"or bad data (e.g. a Kubernetes object naming another namespace than its entry).\n";

/* The SPEC's restore order. */
static const char *const hs_restore_order[] = { "kafka", "redis", "mongo", "k8s", NULL };

typedef struct hs_strv {
	const char **v;
	size_t n;
} hs_strv;

static void hs_strv_push(hs_strv *s, const char *x)
{
	s->v = hs_xrealloc(s->v, (s->n + 2) * sizeof(*s->v));
	s->v[s->n++] = x;
	s->v[s->n] = NULL;
}

static int hs_check_enum(const char *flag, const char *v, const char *const *allowed, hs_error *e)
{
	size_t i;

	for (i = 0; allowed[i]; i++)
		if (!strcmp(v, allowed[i]))
			return 0;
	return hs_err(e, HS_EXIT_USAGE, "restore: %s does not take '%s' (see 'hivesnap restore --help')", flag, v);
}

/*
 * An error found before the archive was verified (the header's kind, the
 * selection): the archive's own error, if it has one, replaces it, as if
 * the archive had been verified first.
 */
static void hs_restore_archive_first(const char *archive, hs_error *e)
{
	hs_error ve;

	hs_error_init(&ve);
	if (hs_archive_verify(archive, &ve))
		*e = ve;
}

/* Print one source's plan (or result) as text lines; names from the archive escaped. */
static void hs_print_steps(FILE *out, const char *source, const json_t *steps)
{
	size_t i;
	json_t *step;

	if (!json_is_array(steps) || !json_array_size(steps)) {
		hs_text_fprintf(out, "  %-6s nothing to do\n", source);
		return;
	}
	json_array_foreach(steps, i, step) {
		const char *target = json_string_value(json_object_get(step, "target"));
		const char *action = json_string_value(json_object_get(step, "action"));
		const char *detail = json_string_value(json_object_get(step, "detail"));

		hs_text_fprintf(out, "  %-6s %-40s %-10s %s\n", source, target ? target : "-",
				action ? action : "-", detail ? detail : "");
	}
}

int hs_cmd_restore(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option longopts[] = {
		{ "only", required_argument, NULL, 'O' },
		{ "include", required_argument, NULL, 'i' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "mongo-mode", required_argument, NULL, 'M' },
		{ "map-ns", required_argument, NULL, 'm' },
		{ "map-k8s-ns", required_argument, NULL, 'K' },
		{ "redis-mode", required_argument, NULL, 'R' },
		{ "redis-ttl", required_argument, NULL, 'T' },
		{ "to-mongo", required_argument, NULL, '1' },
		{ "to-redis", required_argument, NULL, '2' },
		{ "to-kafka", required_argument, NULL, '3' },
		{ "to-context", required_argument, NULL, '4' },
		{ "kafka-by-time", no_argument, NULL, 'k' },
		{ "allow-system", no_argument, NULL, 'S' },
		{ "force", no_argument, NULL, 'f' },
		{ "restart", no_argument, NULL, 'r' },
		{ "stop-on-error", no_argument, NULL, 's' },
		{ "execute", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const mongo_modes[] = { "insert", "upsert", "replace", NULL };
	static const char *const redis_modes[] = { "merge", "replace", NULL };
	static const char *const ttl_modes[] = { "absolute", "relative", "none", NULL };
	hs_restore_opts o;
	hs_strv inc = { NULL, 0 }, exc = { NULL, 0 }, map = { NULL, 0 }, kmap = { NULL, 0 };
	hs_restore rs[8];
	hs_error serr[8];
	const hs_source_ops *ops[8];
	size_t nsrc = 0, i, applied = 0;
	json_t *manifest = NULL, *header = NULL, *report = NULL, *jsources;
	const char *only = NULL, *archive, *kind;
	unsigned mask = ~0u;
	int rc = -1, c, failed_at = -1;
	int64_t t0;

	memset(&o, 0, sizeof(o));
	memset(rs, 0, sizeof(rs));
	o.mongo_mode = "insert";
	o.redis_mode = "merge";
	o.redis_ttl = "absolute";
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'O': only = optarg; break;
		case 'i': hs_strv_push(&inc, optarg); break;
		case 'x': hs_strv_push(&exc, optarg); break;
		case 'm':
			if (!strchr(optarg, '=') || optarg[0] == '=' || !strchr(optarg, '=')[1]) {
				hs_err(e, HS_EXIT_USAGE, "restore: --map-ns takes SRC=DST, not '%s'", optarg);
				goto out;
			}
			hs_strv_push(&map, optarg);
			break;
		case 'K': hs_strv_push(&kmap, optarg); break;
		case 'M': o.mongo_mode = optarg; break;
		case 'R': o.redis_mode = optarg; break;
		case 'T': o.redis_ttl = optarg; break;
		case '1': o.to_mongo = optarg; break;
		case '2': o.to_redis = optarg; break;
		case '3': o.to_kafka = optarg; break;
		case '4': o.to_context = optarg; break;
		case 'k': o.kafka_by_time = true; break;
		case 'S': o.allow_system = true; break;
		case 'f': o.force = true; break;
		case 'r': o.restart = true; break;
		case 's': o.stop_on_error = true; break;
		case 'e': o.execute = true; break;
		default:
			hs_cli_usage_error(e, "restore", "unknown option or missing argument");
			goto out;
		}
	}
	if (optind + 1 != argc) {
		hs_cli_usage_error(e, "restore", "takes one ARCHIVE");
		goto out;
	}
	archive = argv[optind];
	if (hs_check_enum("--mongo-mode", o.mongo_mode, mongo_modes, e) ||
	    hs_check_enum("--redis-mode", o.redis_mode, redis_modes, e) ||
	    hs_check_enum("--redis-ttl", o.redis_ttl, ttl_modes, e))
		goto out;
	if (only && hs_source_parse_list(only, &mask, e))
		goto out;
	o.include = inc.v;
	o.exclude = exc.v;
	o.map_ns = map.v;
	o.map_k8s_ns = kmap.v;
	if (hs_k8s_ns_rules_check(o.map_k8s_ns, e))
		goto out;

	/* 1. the manifest (from the index frame: fast; else read through) and the selection */
	if (hs_archive_manifest(archive, &manifest, &header, e))
		goto out;
	kind = json_string_value(json_object_get(header, "kind"));
	if (!kind || strcmp(kind, "snapshot")) {
		hs_err(e, HS_EXIT_DATA, "'%s' is a %s, not a snapshot: nothing to restore", archive,
		       kind ? kind : "archive of unknown kind");
		goto unverified;
	}
	for (i = 0; hs_restore_order[i]; i++) {
		const hs_source_ops *src = hs_source_find(hs_restore_order[i]);
		json_t *js = json_object_get(json_object_get(manifest, "sources"), hs_restore_order[i]);
		const char *st = json_string_value(json_object_get(js, "status"));
		size_t idx;

		if (!src)
			continue;
		for (idx = 0; hs_sources[idx] != src; idx++)
			;
		if (!(mask & (1u << idx)))
			continue;
		if (!st || !strcmp(st, HS_STATUS_SKIPPED) || !strcmp(st, HS_STATUS_FAILED)) {
			if (only) {
				hs_err(e, HS_EXIT_FAILURE, "'%s' holds no usable %s data (%s)", archive, src->name,
				       st ? st : "absent");
				goto unverified;
			}
			continue;
		}
		if (!src->restore_plan) {
			if (only) {
				hs_err(e, HS_EXIT_FAILURE, "restoring %s is not supported by this build", src->name);
				goto unverified;
			}
			hs_warn(src->name, "restore not supported by this build; skipped");
			continue;
		}
		ops[nsrc] = src;
		rs[nsrc].profile = ctx->profile;
		rs[nsrc].opts = &o;
		rs[nsrc].archive_path = archive;
		rs[nsrc].manifest = manifest;
		nsrc++;
	}
	if (!nsrc) {
		hs_err(e, HS_EXIT_FAILURE, "nothing to restore from '%s' with this selection", archive);
		goto unverified;
	}
	/* the whole archive, read once: verified, and the scanning sources' entries kept */
	t0 = hs_mono_ms();
	if (hs_restore_scan(archive, rs, ops, nsrc, serr, e))
		goto out;
	hs_debug(NULL, "archive verified in %.2f s", (double)(hs_mono_ms() - t0) / 1000.0);

	/* 2. plan every selected source that the archive holds, in order */
	for (i = 0; i < nsrc; i++) {
		if (ops[i]->restore_scan && serr[i].code)
			*e = serr[i];
		t0 = hs_mono_ms();
		if ((ops[i]->restore_scan && serr[i].code) || ops[i]->restore_plan(&rs[i], e)) {
			hs_err_prefix(e, "%s: preflight", ops[i]->name);
			goto out; /* nothing applied anywhere */
		}
		hs_debug(ops[i]->name, "planned in %.2f s", (double)(hs_mono_ms() - t0) / 1000.0);
	}

	/* 3. the plans */
	if (!ctx->json) {
		hs_text_fprintf(ctx->out, "%s %s\n",
				o.execute ? "Restoring" : "Plan for restoring (dry run; --execute to act):", archive);
		for (i = 0; i < nsrc; i++)
			hs_print_steps(ctx->out, ops[i]->name, rs[i].plan);
		fflush(ctx->out);
	}

	/* 4. act */
	if (o.execute) {
		for (i = 0; i < nsrc; i++) {
			rs[i].progress = hs_progress_new(ops[i]->name);
			t0 = hs_mono_ms();
			c = ops[i]->restore_apply(&rs[i], e);
			hs_progress_done(rs[i].progress);
			rs[i].progress = NULL;
			hs_debug(ops[i]->name, "%s in %.2f s", c ? "stopped" : "applied", (double)(hs_mono_ms() - t0) / 1000.0);
			if (c) {
				failed_at = (int)i;
				break;
			}
			applied++;
			if (!ctx->json) {
				fprintf(ctx->out, "done:\n");
				hs_print_steps(ctx->out, ops[i]->name, rs[i].result);
			}
		}
	}

	jsources = json_array();
	for (i = 0; i < nsrc; i++) {
		const char *status = !o.execute ? "planned" : (int)i < failed_at || failed_at < 0 ? "applied"
			: (int)i == failed_at ? "failed" : "not-applied";

		json_array_append_new(jsources, json_pack("{s:s, s:s, s:O?, s:O?}", "source", ops[i]->name,
							  "status", status, "plan", rs[i].plan, "result",
							  rs[i].result));
	}
	rc = failed_at >= 0 ? -1 : 0;
	/* Items that failed without stopping the run (no --stop-on-error): partial, exit 2. */
	if (o.execute && failed_at < 0) {
		json_int_t nfail = 0;

		for (i = 0; i < nsrc; i++) {
			size_t k;
			json_t *step;

			json_array_foreach(rs[i].result, k, step)
				if (json_is_integer(json_object_get(step, "failed")))
					nfail += json_integer_value(json_object_get(step, "failed"));
		}
		if (nfail > 0) {
			rc = HS_EXIT_PARTIAL;
			hs_log(HS_LOG_WARN, NULL, "restore finished, but %lld items failed (see the report)",
			       (long long)nfail);
		}
	}
	report = json_pack("{s:s, s:b, s:o, s:i}", "archive", archive, "execute", o.execute, "sources",
			   jsources, "exit_code", failed_at >= 0 ? (e->code ? e->code : HS_EXIT_FAILURE) : rc);
	if (ctx->json) {
		json_dumpf(report, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', ctx->out);
	} else if (failed_at >= 0) {
		hs_buf line = HS_BUF_INIT;

		/* what the failed source did before it stopped, when it says */
		if (json_array_size(rs[failed_at].result)) {
			fprintf(ctx->out, "stopped:\n");
			hs_print_steps(ctx->out, ops[failed_at]->name, rs[failed_at].result);
		}
		hs_buf_adds(&line, "applied:");
		for (i = 0; i < applied; i++)
			hs_buf_addf(&line, " %s", ops[i]->name);
		hs_buf_addf(&line, "%s; failed: %s; not applied:", applied ? "" : " nothing", ops[failed_at]->name);
		for (i = (size_t)failed_at + 1; i < nsrc; i++)
			hs_buf_addf(&line, " %s", ops[i]->name);
		fprintf(ctx->out, "%s%s\n", line.data, (size_t)failed_at + 1 < nsrc ? "" : " nothing");
		hs_buf_release(&line);
	}
	if (failed_at >= 0)
		hs_err_prefix(e, "%s: restore stopped", ops[failed_at]->name);
	goto out;
unverified:
	hs_restore_archive_first(archive, e);
out:
	for (i = 0; i < nsrc; i++) {
		if (ops[i]->restore_release)
			ops[i]->restore_release(&rs[i]);
		json_decref(rs[i].plan);
		json_decref(rs[i].result);
	}
	json_decref(report);
	json_decref(manifest);
	json_decref(header);
	free(inc.v);
	free(exc.v);
	free(map.v);
	free(kmap.v);
	return rc;
}
