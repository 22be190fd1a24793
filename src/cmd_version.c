/* cmd_version.c - `hivesnap version`: the tool's and its libraries' versions. */
#include <bson/bson.h>
#include <curl/curl.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <mongoc/mongoc.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <yaml.h>
#include <zstd.h>

#include "archive.h"
#include "commands.h"

const char hs_cmd_version_usage[] =
	"usage: hivesnap version [--json]\n\n"
	"Print hivesnap's version, the archive format version it writes and reads,\n"
	"and the versions of the libraries it runs with.\n";

int hs_cmd_version(int argc, char **argv, hs_ctx *ctx, hs_error *e)
{
	char hiredis_v[32];
	json_t *doc = NULL, *libs;
	int rc = -1;

	if (argc > 1)
		return hs_cli_usage_error(e, "version", "takes no arguments");
	snprintf(hiredis_v, sizeof(hiredis_v), "%d.%d.%d", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
	libs = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "libmongoc", mongoc_get_version(), "libbson", bson_get_version(),
			 "hiredis", hiredis_v, "librdkafka", rd_kafka_version_str(),
			 "zstd", ZSTD_versionString(), "libcurl", curl_version_info(CURLVERSION_NOW)->version,
			 "jansson", JANSSON_VERSION, "openssl", OpenSSL_version(OPENSSL_VERSION));
	json_object_set_new(libs, "libyaml", json_string(yaml_get_version_string()));
	doc = json_pack("{s:s, s:s, s:i, s:o}", "name", "hivesnap", "version", HIVESNAP_VERSION,
			"archive_format_version", HS_FORMAT_VERSION, "libraries", libs);
	if (!doc)
		return hs_err(e, HS_EXIT_FAILURE, "cannot build version report");
	if (ctx->json) {
		if (json_dumpf(doc, ctx->out, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
			goto out;
		fputc('\n', ctx->out);
	} else {
		const char *k;
		json_t *v;

		fprintf(ctx->out, "hivesnap %s (archive format v%d)\n", HIVESNAP_VERSION, HS_FORMAT_VERSION);
		json_object_foreach(libs, k, v)
			fprintf(ctx->out, "  %-10s %s\n", k, json_string_value(v));
	}
	rc = 0;
out:
	json_decref(doc);
	if (rc)
		hs_err(e, HS_EXIT_FAILURE, "cannot write version report");
	return rc;
}
