/*
 * cmd_rollback.c - `hivesnap rollback ARCHIVE --deployment NS/NAME
 * [--revision N] [--with-configmaps] [--to-context CTX] [--execute]`.
 *
 * `kubectl rollout undo` semantics with the pod template taken from the
 * archive, so it works after the ReplicaSet is gone:
 *   - default revision: the highest archived revision other than the live
 *     Deployment's current one (kubectl: "the previous revision");
 *   - the template's pod-template-hash label is dropped;
 *   - annotations as kubectl sets them: the live Deployment's of kubectl's
 *     skip list (revision, last-applied, ...) plus the ReplicaSet's other
 *     ones, as archived with the revision;
 *   - a paused Deployment is refused (exit 5); a live template equal to
 *     the revision's is "nothing to do" (exit 0).
 * --with-configmaps restores, before the Deployment, the ConfigMaps the
 * revision references as they were when the archive captured that
 * revision as current; the plan says for each whether this archive holds
 * it that way or not.  The archive is verified whole first, and its
 * content checked before anything connects: the entry's path decides
 * (a revision's number is its file's; a template naming a namespace other
 * than the Deployment's, or a ConfigMap object disagreeing with its path,
 * is exit 65; a template naming the Deployment's own loses that field).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "sources/k8s/k8s_common.h"
#include "log.h"
#include "profile.h"
#include "textsafe.h"

const char hs_cmd_rollback_usage[] =
	"usage: hivesnap rollback ARCHIVE --deployment NS/NAME [--revision N] [--with-configmaps]\n"
	"                         [--to-context CTX] [-p PROFILE] [--json] [--execute]\n"
	"\n"
	"Roll a Deployment back to a revision held in the archive (kubectl rollout undo\n"
	"semantics; works after the ReplicaSet is gone).  Without --execute, only the\n"
	"plan is printed: nothing is changed.\n\n"
	"  --deployment NS/NAME  the Deployment\n"
	"  --revision N          the revision (default: the one before the live current one)\n"
	"  --with-configmaps     also restore the ConfigMaps as they were at that revision\n"
	"  --to-context CTX      kubeconfig context (default: the profile's, else current)\n"
	"  --execute             carry the plan out\n\n"
	"Exit: 0 done or nothing to do, 3 failed, 4 bad archive, 5 Deployment paused,\n"
	"64 usage, 65 an archived object disagrees with its entry's path.\n";

typedef struct hs_rb {
	const char *archive;
	char *ns;
	char *name;
	long revision;            /* 0 = default */
	bool with_cms;
	bool execute;
	const char *context;
	hs_k8s_client *cl;
	json_t *entries;          /* archive entries of the namespace */
	json_t *steps;            /* the plan */
	json_t *cms;              /* [{name, obj|null}] to restore */
} hs_rb;

/* Parse NS/NAME. */
static int hs_rb_target(hs_rb *rb, const char *arg, hs_error *e)
{
	const char *slash = strchr(arg, '/');

	if (!slash || slash == arg || !slash[1] || strchr(slash + 1, '/'))
		return hs_err(e, HS_EXIT_USAGE, "rollback: --deployment takes NS/NAME, not '%s'", arg);
	rb->ns = hs_xstrndup(arg, (size_t)(slash - arg));
	rb->name = hs_xstrdup(slash + 1);
	return 0;
}

static void hs_rb_step(hs_rb *rb, const char *target, const char *action, const char *detail)
{
	json_array_append_new(rb->steps, json_pack("{s:s, s:s, s:s}", "target", target, "action", action,
						   "detail", detail ? detail : ""));
}

/*
 * The archived revisions of the Deployment: revision number -> entry, in
 * *out; and every ConfigMap entry of the namespace checked.  The entry's
 * path decides: a revision's number is its file's, its template names no
 * other namespace, and a ConfigMap object agrees with its path; else 65,
 * before anything connects (src/sources/k8s/k8s_entry.c).
 */
static int hs_rb_revisions(hs_rb *rb, json_t **out, hs_error *e)
{
	json_t *revs = json_object(), *doc;
	hs_buf prefix = HS_BUF_INIT;
	const char *entry;
	int ret = -1;

	hs_buf_addf(&prefix, "k8s/%s/deployments/%s/revisions/", rb->ns, rb->name);
	json_object_foreach(rb->entries, entry, doc) {
		char *ns = NULL, *name = NULL;
		int n = hs_k8s_cm_entry(rb->archive, entry, &ns, &name, e);

		if (n == 1)
			n = hs_k8s_cm_object_check(rb->archive, entry, doc, ns, name, e) ? -1 : 0;
		free(ns);
		free(name);
		if (n < 0)
			goto out;
		if (!strncmp(entry, prefix.data, prefix.len) && !strchr(entry + prefix.len, '/')) {
			char key[32];
			long rev;

			if (hs_k8s_revision_check(rb->archive, entry, doc, rb->ns, &rev, e) < 0)
				goto out;
			snprintf(key, sizeof(key), "%ld", rev);
			json_object_set(revs, key, doc);
		}
	}
	*out = revs;
	revs = NULL;
	ret = 0;
out:
	json_decref(revs);
	hs_buf_release(&prefix);
	return ret;
}

/* "1, 2, 3" of the archived revisions, for errors. */
static void hs_rb_list(const json_t *revs, hs_buf *b)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)revs, k, v)
		hs_buf_addf(b, "%s%s", b->len ? ", " : "", k);
	if (!b->len)
		hs_buf_adds(b, "none");
}

/* The template to apply: the archived one without pod-template-hash. */
static json_t *hs_rb_template(const json_t *rev)
{
	json_t *t = json_deep_copy(json_object_get(rev, "template"));
	json_t *labels = json_object_get(json_object_get(t, "metadata"), "labels");

	json_object_del(labels, "pod-template-hash");
	return t;
}

/* With --with-configmaps: what the archive holds of each referenced ConfigMap. */
static void hs_rb_plan_cms(hs_rb *rb, const json_t *rev, long target)
{
	json_t *names = json_object_get(rev, "configmaps"), *n;
	bool current = json_is_true(json_object_get(rev, "current"));
	hs_buf entry = HS_BUF_INIT, t = HS_BUF_INIT, d = HS_BUF_INIT;
	size_t i;

	if (!json_array_size(names)) {
		hs_buf_addf(&t, "%s/deployment/%s", rb->ns, rb->name);
		hs_rb_step(rb, t.data, "configmaps", "the revision references no ConfigMap");
	}
	json_array_foreach(names, i, n) {
		json_t *cm;

		hs_buf_reset(&entry);
		hs_buf_reset(&t);
		hs_buf_reset(&d);
		hs_buf_addf(&entry, "k8s/%s/configmaps/%s.json", rb->ns, json_string_value(n));
		hs_buf_addf(&t, "%s/configmap/%s", rb->ns, json_string_value(n));
		cm = json_object_get(rb->entries, entry.data);
		if (current && cm) {
			json_t *obj = json_deep_copy(cm);

			hs_k8s_strip(obj, false);
			hs_k8s_set_target(obj, rb->ns, json_string_value(n));   /* checked to agree with its entry */
			hs_buf_addf(&d, "as at revision %ld, from %s", target, rb->archive);
			hs_rb_step(rb, t.data, "restore", d.data);
			json_array_append_new(rb->cms, json_pack("{s:s, s:o}", "name", json_string_value(n), "obj", obj));
		} else {
			hs_buf_addf(&d, "no archive given holds it as at revision %ld (%s captured revision %ld as %s); "
				    "left as is", target, rb->archive, target, current ? "current but not this ConfigMap"
				    : "a past revision");
			hs_rb_step(rb, t.data, "keep", d.data);
		}
	}
	hs_buf_release(&entry);
	hs_buf_release(&t);
	hs_buf_release(&d);
}

/* Create or replace one ConfigMap (GET, then PUT with the live resourceVersion or POST). */
static int hs_rb_put_cm(hs_rb *rb, const char *name, json_t *obj, hs_error *e)
{
	hs_k8s_req get = { "get", "", "v1", "configmaps", rb->ns, name, NULL, NULL };
	hs_k8s_req put = { "update", "", "v1", "configmaps", rb->ns, name, NULL, NULL };
	hs_k8s_req post = { "create", "", "v1", "configmaps", rb->ns, NULL, NULL, NULL };
	json_t *live = NULL;
	hs_error ge;
	long status = 0;
	char *body;
	int rc;

	hs_error_init(&ge);
	if (hs_k8s_call(rb->cl, &get, "GET", NULL, NULL, &live, NULL, 0, &status, &ge) < 0 && status != 404) {
		*e = ge;
		return -1;
	}
	if (live)
		json_object_set(json_object_get(obj, "metadata"), "resourceVersion",
				json_object_get(json_object_get(live, "metadata"), "resourceVersion"));
	body = json_dumps(obj, JSON_COMPACT);
	rc = hs_k8s_call(rb->cl, live ? &put : &post, live ? "PUT" : "POST", "application/json", body, NULL, NULL,
			 0, NULL, e);
	free(body);
	json_decref(live);
	return rc;
}

/*
 * A call failed while acting: a "failed" step for target with the error,
 * then "not-applied" for the ConfigMaps from index from on and for the
 * Deployment (deployment, NULL when it was not to change or is the one
 * that failed), as the restore reports it.
 */
static void hs_rb_stopped(hs_rb *rb, json_t *done, const char *target, const char *why, size_t from,
			  const char *deployment)
{
	hs_buf t = HS_BUF_INIT;
	json_t *it;
	size_t i;

	json_array_append_new(done, json_pack("{s:s, s:s, s:s}", "target", target, "action", "failed", "detail", why));
	json_array_foreach(rb->cms, i, it) {
		if (i < from)
			continue;
		hs_buf_reset(&t);
		hs_buf_addf(&t, "%s/configmap/%s", rb->ns, json_string_value(json_object_get(it, "name")));
		json_array_append_new(done, json_pack("{s:s, s:s, s:s}", "target", t.data, "action", "not-applied",
						      "detail", "stopped before"));
	}
	if (deployment)
		json_array_append_new(done, json_pack("{s:s, s:s, s:s}", "target", deployment, "action",
						      "not-applied", "detail", "stopped before"));
	hs_buf_release(&t);
}

/* Print steps as the restore command does. */
static void hs_rb_print(FILE *out, const json_t *steps)
{
	json_t *s;
	size_t i;

	json_array_foreach(steps, i, s)
		hs_text_fprintf(out, "  %-6s %-40s %-10s %s\n", "k8s",
				json_string_value(json_object_get(s, "target")),
				json_string_value(json_object_get(s, "action")),
				json_string_value(json_object_get(s, "detail")));
}

/*
 * The command: verify, read the archive, GET the live Deployment, plan,
 * print, and with --execute restore ConfigMaps then patch the Deployment
 * (a JSON patch of spec.template and metadata.annotations, guarded by a
 * test of the resourceVersion seen at plan time).
 */
int hs_cmd_rollback(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option longopts[] = {
		{ "deployment", required_argument, NULL, 'd' },
		{ "revision", required_argument, NULL, 'r' },
		{ "with-configmaps", no_argument, NULL, 'c' },
		{ "to-context", required_argument, NULL, 't' },
		{ "execute", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 }
	};
	const hs_profile_k8s *pk = ctx->profile ? ctx->profile->k8s : NULL;
	hs_rb rb;
	hs_buf prefix = HS_BUF_INIT, t = HS_BUF_INIT, d = HS_BUF_INIT, list = HS_BUF_INIT;
	json_t *revs = NULL, *live = NULL, *rev, *tmpl = NULL, *ltmpl = NULL, *ann = NULL, *patch = NULL;
	json_t *report = NULL, *done = json_array();
	hs_k8s_req get;
	const char *cur, *cause, *k;
	long current = 0, target = 0;
	bool nothing, stopped = false;
	char *endp, *body = NULL;
	int c, rc = -1;
	size_t i;

	memset(&rb, 0, sizeof(rb));
	rb.steps = json_array();
	rb.cms = json_array();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (hs_rb_target(&rb, optarg, e) < 0)
				goto out;
			break;
		case 'r':
			rb.revision = strtol(optarg, &endp, 10);
			if (*endp || rb.revision <= 0) {
				hs_err(e, HS_EXIT_USAGE, "rollback: --revision takes a positive number, not '%s'", optarg);
				goto out;
			}
			break;
		case 'c': rb.with_cms = true; break;
		case 't': rb.context = optarg; break;
		case 'x': rb.execute = true; break;
		default:
			hs_cli_usage_error(e, "rollback", "unknown option or missing argument");
			goto out;
		}
	}
	if (optind + 1 != argc) {
		hs_cli_usage_error(e, "rollback", "takes one ARCHIVE");
		goto out;
	}
	if (!rb.ns) {
		hs_cli_usage_error(e, "rollback", "needs --deployment NS/NAME");
		goto out;
	}
	rb.archive = argv[optind];

	/* 1. the archive, whole, before anything else (verified in the pass that loads the namespace) */
	hs_buf_addf(&prefix, "k8s/%s/", rb.ns);
	if (hs_k8s_archive_load(rb.archive, prefix.data, &rb.entries, e) < 0)
		goto out;
	if (hs_rb_revisions(&rb, &revs, e) < 0)
		goto out;
	if (!json_object_size(revs)) {
		hs_err(e, HS_EXIT_FAILURE, "'%s' holds no revision of deployment '%s/%s'", rb.archive, rb.ns, rb.name);
		goto out;
	}

	/* 2. the live Deployment */
	if (hs_k8s_client_new(&rb.cl, pk ? pk->kubeconfig : NULL, rb.context ? rb.context : pk ? pk->context : NULL,
			      pk ? pk->timeout_ms : 0, e) < 0)
		goto out;
	memset(&get, 0, sizeof(get));
	get.verb = "get";
	get.group = "apps";
	get.version = "v1";
	get.resource = "deployments";
	get.ns = rb.ns;
	get.name = rb.name;
	if (hs_k8s_call(rb.cl, &get, "GET", NULL, NULL, &live, NULL, 0, NULL, e) < 0)
		goto out;
	if (json_is_true(json_object_get(json_object_get(live, "spec"), "paused"))) {
		hs_err(e, HS_EXIT_PRECOND, "deployment '%s/%s' is paused: resume it first (kubectl rollout resume) "
		       "and try again", rb.ns, rb.name);
		goto out;
	}
	cur = json_string_value(json_object_get(json_object_get(json_object_get(live, "metadata"), "annotations"),
						"deployment.kubernetes.io/revision"));
	current = cur ? strtol(cur, NULL, 10) : 0;

	/* 3. the revision */
	hs_rb_list(revs, &list);
	if (rb.revision) {
		char key[32];

		snprintf(key, sizeof(key), "%ld", rb.revision);
		if (!json_object_get(revs, key)) {
			hs_err(e, HS_EXIT_FAILURE, "'%s' holds no revision %ld of deployment '%s/%s' (it holds %s)",
			       rb.archive, rb.revision, rb.ns, rb.name, list.data);
			goto out;
		}
		target = rb.revision;
	} else {
		json_t *v;

		json_object_foreach(revs, k, v) {
			long n = strtol(k, NULL, 10);

			if (n != current && n > target)
				target = n;
		}
		if (!target) {
			hs_err(e, HS_EXIT_FAILURE, "no revision of deployment '%s/%s' before the current %ld in '%s' "
			       "(it holds %s)", rb.ns, rb.name, current, rb.archive, list.data);
			goto out;
		}
	}
	{
		char key[32];

		snprintf(key, sizeof(key), "%ld", target);
		rev = json_object_get(revs, key);
	}
	tmpl = hs_rb_template(rev);
	ltmpl = json_deep_copy(json_object_get(json_object_get(live, "spec"), "template"));
	json_object_del(json_object_get(json_object_get(ltmpl, "metadata"), "labels"), "pod-template-hash");
	cause = json_string_value(json_object_get(rev, "change_cause"));

	/* 4. the plan */
	nothing = json_equal(tmpl, ltmpl);
	if (rb.with_cms)
		hs_rb_plan_cms(&rb, rev, target);
	hs_buf_addf(&t, "%s/deployment/%s", rb.ns, rb.name);
	if (nothing) {
		hs_buf_addf(&d, "the live template already is revision %ld's: nothing to do", target);
		hs_rb_step(&rb, t.data, "unchanged", d.data);
	} else {
		hs_buf_addf(&d, "revision %ld -> %ld (%s)", current, target, cause ? cause : "no change-cause");
		hs_rb_step(&rb, t.data, "rollback", d.data);
	}
	if (!ctx->json) {
		hs_text_fprintf(ctx->out, "%s %s from %s\n", rb.execute ? "Rolling back" :
			"Plan for rolling back (dry run; --execute to act):", t.data, rb.archive);
		hs_rb_print(ctx->out, rb.steps);
		fflush(ctx->out);
	}

	/* 5. act: ConfigMaps first, so the new pods start with them */
	if (rb.execute) {
		json_t *it;

		json_array_foreach(rb.cms, i, it) {
			hs_buf_reset(&d);
			hs_buf_addf(&d, "%s/configmap/%s", rb.ns, json_string_value(json_object_get(it, "name")));
			if (hs_rb_put_cm(&rb, json_string_value(json_object_get(it, "name")), json_object_get(it, "obj"),
					 e) < 0) {
				hs_rb_stopped(&rb, done, d.data, e->msg, i + 1, nothing ? NULL : t.data);
				stopped = true;
				break;
			}
			json_array_append_new(done, json_pack("{s:s, s:s, s:s}", "target", d.data, "action", "restored",
							      "detail", ""));
		}
		if (!nothing && !stopped) {
			hs_k8s_req pr = get;

			if (json_is_object(json_object_get(rev, "annotations"))) {
				ann = hs_k8s_rollback_annotations(live, rev);
			} else {
				/* an archive without the ReplicaSet's annotations: keep the live ones */
				ann = json_deep_copy(json_object_get(json_object_get(live, "metadata"), "annotations"));
				if (!ann)
					ann = json_object();
				if (cause)
					json_object_set_new(ann, "kubernetes.io/change-cause", json_string(cause));
				else
					json_object_del(ann, "kubernetes.io/change-cause");
			}
			patch = json_pack("[{s:s, s:s, s:O}, {s:s, s:s, s:O}, {s:s, s:s, s:O}]",
					  "op", "test", "path", "/metadata/resourceVersion", "value",
					  json_object_get(json_object_get(live, "metadata"), "resourceVersion"),
					  "op", "replace", "path", "/spec/template", "value", tmpl,
					  "op", "add", "path", "/metadata/annotations", "value", ann);
			body = json_dumps(patch, JSON_COMPACT);
			pr.verb = "patch";
			if (hs_k8s_call(rb.cl, &pr, "PATCH", "application/json-patch+json", body, NULL, NULL, 0, NULL,
					e) < 0) {
				hs_rb_stopped(&rb, done, t.data, e->msg, SIZE_MAX, NULL);
				stopped = true;
			} else {
				hs_buf_reset(&d);
				hs_buf_addf(&d, "to revision %ld", target);
				json_array_append_new(done, json_pack("{s:s, s:s, s:s}", "target", t.data, "action",
								      "rolled-back", "detail", d.data));
			}
		}
		if (!ctx->json) {
			/* after a failed call: what was done, what failed, what was not */
			fprintf(ctx->out, "%s:\n", stopped ? "stopped" : "done");
			if (!json_array_size(done))
				fprintf(ctx->out, "  k8s    nothing to do\n");
			hs_rb_print(ctx->out, done);
		}
	}
	if (ctx->json) {
		report = json_pack("{s:s, s:s, s:I, s:I, s:b, s:b, s:O, s:O, s:i}", "archive", rb.archive, "deployment",
				   t.data, "current_revision", (json_int_t)current, "revision", (json_int_t)target,
				   "execute", rb.execute, "nothing_to_do", nothing, "plan", rb.steps, "result", done,
				   "exit_code", stopped ? e->code : 0);
		json_dumpf(report, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', ctx->out);
	}
	if (stopped)
		goto out;
	rc = 0;
out:
	if (rc < 0 && rb.ns && e->code != HS_EXIT_USAGE)
		hs_err_prefix(e, "rollback '%s/%s'", rb.ns, rb.name);
	free(body);
	json_decref(report);
	json_decref(done);
	json_decref(patch);
	json_decref(ann);
	json_decref(tmpl);
	json_decref(ltmpl);
	json_decref(live);
	json_decref(revs);
	json_decref(rb.entries);
	json_decref(rb.steps);
	json_decref(rb.cms);
	hs_k8s_client_free(rb.cl);
	free(rb.ns);
	free(rb.name);
	hs_buf_release(&prefix);
	hs_buf_release(&t);
	hs_buf_release(&d);
	hs_buf_release(&list);
	return rc;
}
