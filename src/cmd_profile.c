/*
 * cmd_profile.c - `hivesnap profile show|init|check`.
 *
 *   init   prints the built-in Flow C profile (commented YAML) or writes it
 *          to -o FILE, never overwriting a file
 *   show   the effective profile (expanded, defaults filled in, secrets
 *          redacted) as YAML that `profile check` accepts, or --json
 *          (schemas/profile.schema.json)
 *   check  "profile 'X' is valid", or the error (exit 65)
 *
 * The command is HS_CMD_PROFILE_LAZY: init needs no profile (it must work
 * even when the environment the built-in profile expands is broken); show
 * and check load -p FILE (or the built-in profile) first.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"
#include "commands.h"
#include "profile.h"

const char hs_cmd_profile_usage[] =
	"usage: hivesnap profile init [-o FILE]\n"
	"       hivesnap profile show [-p PROFILE] [--json]\n"
	"       hivesnap profile check [-p PROFILE]\n\n"
	"init   print the built-in Flow C profile as commented YAML to start from;\n"
	"       -o FILE writes it to FILE instead (an existing FILE is never replaced)\n"
	"show   print the effective profile: ${VAR} expanded, defaults filled in,\n"
	"       passwords in URIs and secret kafka.config values shown as ***;\n"
	"       --json prints it as JSON (schemas/profile.schema.json)\n"
	"check  validate a profile: prints \"profile 'FILE' is valid\" or the error\n\n"
	"  -p, --profile FILE   profile (default: the built-in Flow C profile)\n\n"
	"${VAR} and ${VAR:-default} are expanded from the environment; $${ is a literal ${.\n"
	"Exit: 0 ok, 3 cannot write, 64 usage, 65 invalid profile.\n";

/* ---------------------------------------------------------------- init */

static int hs_profile_write_new(const char *path, hs_error *e)
{
	const char *p = hs_profile_default_yaml;
	size_t left = strlen(p);
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return hs_err(e, HS_EXIT_FAILURE, "refusing to overwrite '%s': file exists", path);
		return hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot create '%s'", path);
	}
	while (left) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s'", path);
			goto out;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) != 0) {
		hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s'", path);
		goto out;
	}
	rc = 0;
out:
	if (close(fd) != 0 && rc == 0)
		rc = hs_err_errno(e, HS_EXIT_FAILURE, errno, "cannot write '%s'", path);
	if (rc)
		unlink(path);
	return rc;
}

static int hs_profile_init(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { NULL, 0, NULL, 0 } };
	const char *outpath = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			outpath = optarg;
			break;
		case ':':
			return hs_cli_usage_error(e, "profile", "init: -o needs a file name");
		default:
			return hs_cli_usage_error(e, "profile", "init: unknown option");
		}
	}
	if (optind < argc)
		return hs_cli_usage_error(e, "profile", "init: too many arguments");
	if (ctx->profile_path)
		return hs_cli_usage_error(e, "profile", "init takes no -p (it prints the built-in profile)");
	if (ctx->json)
		return hs_cli_usage_error(e, "profile", "init has no --json");
	if (outpath) {
		if (hs_profile_write_new(outpath, e))
			return -1;
		fprintf(stderr, "hivesnap: wrote the Flow C profile to '%s'\n", outpath);
		return 0;
	}
	fputs(hs_profile_default_yaml, ctx->out);
	return 0;
}

/* ---------------------------------------------------------------- show */

static int hs_yaml_write(void *data, unsigned char *buffer, size_t size)
{
	hs_buf_add(data, buffer, size);
	return 1;
}

/* True when a string would read back as something else if left plain. */
static bool hs_yaml_needs_quotes(const char *s)
{
	static const char *const words[] = { "", "~", "null", "Null", "NULL", "true", "false", "yes",
					     "no", "on", "off", "True", "False", "Yes", "No", "On", "Off",
					     "TRUE", "FALSE", NULL };
	char *end;
	size_t i;

	for (i = 0; words[i]; i++)
		if (!strcmp(s, words[i]))
			return true;
	(void)strtod(s, &end);
	return end != s && *end == '\0';
}

static int hs_yaml_scalar(yaml_emitter_t *em, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, -1, 1, 1, style))
		return -1;
	return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

/* Render a number so that it reads back as the same double, as short as possible. */
static void hs_fmt_real(char *dst, size_t n, double v)
{
	int prec;

	for (prec = 6; prec <= 17; prec++) {
		snprintf(dst, n, "%.*g", prec, v);
		if (strtod(dst, NULL) == v)
			return;
	}
}

/* Emit one JSON value as YAML events; strings get ${ escaped as $${. */
static int hs_yaml_emit(yaml_emitter_t *em, json_t *j)
{
	yaml_event_t ev;
	char num[64];

	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;

		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		json_object_foreach(j, k, v) {
			if (hs_yaml_scalar(em, k, YAML_ANY_SCALAR_STYLE) || hs_yaml_emit(em, v))
				return -1;
		}
		if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;

		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		json_array_foreach(j, i, v) {
			if (hs_yaml_emit(em, v))
				return -1;
		}
		if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	}
	case JSON_STRING: {
		const char *s = json_string_value(j);
		hs_buf b = HS_BUF_INIT;
		int rc;

		for (; *s; s++) {
			if (s[0] == '$' && s[1] == '{')
				hs_buf_addc(&b, '$');
			hs_buf_addc(&b, *s);
		}
		if (!b.data)
			hs_buf_init(&b);
		rc = hs_yaml_scalar(em, b.data,
				    hs_yaml_needs_quotes(b.data) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
								 : YAML_ANY_SCALAR_STYLE);
		hs_buf_release(&b);
		return rc;
	}
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		return hs_yaml_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
	case JSON_REAL:
		hs_fmt_real(num, sizeof(num), json_real_value(j));
		return hs_yaml_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
	case JSON_TRUE:
		return hs_yaml_scalar(em, "true", YAML_PLAIN_SCALAR_STYLE);
	case JSON_FALSE:
		return hs_yaml_scalar(em, "false", YAML_PLAIN_SCALAR_STYLE);
	case JSON_NULL:
	default:
		return hs_yaml_scalar(em, "null", YAML_PLAIN_SCALAR_STYLE);
	}
}

/* The JSON document as a YAML document in out. */
static int hs_yaml_from_json(json_t *doc, hs_buf *out, hs_error *e)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc = -1;

	if (!yaml_emitter_initialize(&em))
		return hs_err(e, HS_EXIT_FAILURE, "cannot start the YAML emitter");
	yaml_emitter_set_output(&em, hs_yaml_write, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(&em, &ev))
		goto out;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&em, &ev))
		goto out;
	if (hs_yaml_emit(&em, doc))
		goto out;
	if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&em, &ev))
		goto out;
	if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev))
		goto out;
	rc = 0;
out:
	if (rc)
		hs_err(e, HS_EXIT_FAILURE, "cannot render the profile as YAML: %s",
		       em.problem ? em.problem : "emitter error");
	yaml_emitter_delete(&em);
	return rc;
}

static int hs_profile_show(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	json_t *doc = NULL;
	hs_buf yaml = HS_BUF_INIT;
	int rc = -1;

	if (argc > 1)
		return hs_cli_usage_error(e, "profile", argv[1][0] == '-' ? "show: unknown option"
									  : "show: too many arguments");
	doc = hs_profile_to_json(ctx->profile, true);
	if (ctx->json) {
		if (json_dumpf(doc, ctx->out, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0) {
			hs_err(e, HS_EXIT_FAILURE, "cannot write to stdout");
			goto out;
		}
		fputc('\n', ctx->out);
	} else {
		if (hs_yaml_from_json(doc, &yaml, e))
			goto out;
		fprintf(ctx->out, "# effective profile from %s (variables expanded, secrets redacted)\n",
			ctx->profile->origin);
		fputs(yaml.data, ctx->out);
	}
	rc = 0;
out:
	hs_buf_release(&yaml);
	json_decref(doc);
	return rc;
}

/* --------------------------------------------------------------- check */

static int hs_profile_check(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	if (argc > 1)
		return hs_cli_usage_error(e, "profile", argv[1][0] == '-' ? "check: unknown option"
									  : "check: too many arguments");
	if (ctx->json)
		return hs_cli_usage_error(e, "profile", "check has no --json");
	fprintf(ctx->out, "profile '%s' is valid\n", ctx->profile->origin);
	return 0;
}

int hs_cmd_profile(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	const char *sub;

	if (argc < 2)
		return hs_cli_usage_error(e, "profile", "expected show, init or check");
	sub = argv[1];
	if (!strcmp(sub, "init"))
		return hs_profile_init(argc - 1, argv + 1, ctx, e);
	if (ctx->json && strcmp(sub, "show") != 0)
		return hs_cli_usage_error(e, "profile", "--json goes with show");
	if (hs_cli_load_profile(ctx, e))
		return -1;
	if (!strcmp(sub, "show"))
		return hs_profile_show(argc - 1, argv + 1, ctx, e);
	if (!strcmp(sub, "check"))
		return hs_profile_check(argc - 1, argv + 1, ctx, e);
	return hs_cli_usage_error(e, "profile", "expected show, init or check");
}
