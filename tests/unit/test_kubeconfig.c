/* Unit tests of the kubeconfig parser: contexts, TLS material, tokens, refused users. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sources/k8s/kubeconfig.h"

/* "-----BEGIN CERTIFICATE-----\nAAA\n" in base64 and its length */
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkFBQQo="
#define CA_PEM "-----BEGIN CERTIFICATE-----\nAAA\n"

static const char kc_two[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"clusters:\n"
	"- name: prod\n"
	"  cluster:\n"
	"    server: https://prod.example:6443/\n"
	"    certificate-authority-data: " CA_B64 "\n"
	"- name: dev\n"
	"  cluster:\n"
	"    server: https://dev.example:6443\n"
	"    certificate-authority: ca/dev.crt\n"
	"    insecure-skip-tls-verify: true\n"
	"users:\n"
	"- name: admin\n"
	"  user:\n"
	"    client-certificate: /etc/k/admin.crt\n"
	"    client-key: keys/admin.key\n"
	"- name: bot\n"
	"  user:\n"
	"    token: s3cr3t-token\n"
	"- name: gke\n"
	"  user:\n"
	"    exec:\n"
	"      apiVersion: client.authentication.k8s.io/v1beta1\n"
	"      command: gke-gcloud-auth-plugin\n"
	"- name: oidc\n"
	"  user:\n"
	"    auth-provider: {name: oidc}\n"
	"- name: halfcert\n"
	"  user:\n"
	"    client-certificate-data: " CA_B64 "\n"
	"contexts:\n"
	"- name: prod-admin\n"
	"  context: {cluster: prod, user: admin, namespace: neural-hive-orchestration}\n"
	"- name: dev-bot\n"
	"  context: {cluster: dev, user: bot}\n"
	"- name: gke\n"
	"  context: {cluster: prod, user: gke}\n"
	"- name: oidc\n"
	"  context: {cluster: prod, user: oidc}\n"
	"- name: ghost\n"
	"  context: {cluster: nowhere, user: bot}\n"
	"- name: half\n"
	"  context: {cluster: prod, user: halfcert}\n"
	"current-context: prod-admin\n";

static int parse(const char *ctx, const char *base, hs_kubeconfig **k, hs_error *e)
{
	hs_error_init(e);
	return hs_kubeconfig_parse(kc_two, strlen(kc_two), ctx, base, k, e);
}

static void test_current_context(void **state)
{
	hs_kubeconfig *k = NULL;
	hs_error e;

	(void)state;
	assert_int_equal(parse(NULL, "/home/u/.kube", &k, &e), 0);
	assert_string_equal(k->context, "prod-admin");
	assert_string_equal(k->cluster, "prod");
	assert_string_equal(k->user, "admin");
	assert_string_equal(k->server, "https://prod.example:6443");
	assert_string_equal(k->ns, "neural-hive-orchestration");
	assert_int_equal(k->ca_len, strlen(CA_PEM));
	assert_memory_equal(k->ca_data, CA_PEM, strlen(CA_PEM));
	assert_null(k->ca_file);
	assert_string_equal(k->cert_file, "/etc/k/admin.crt");
	assert_string_equal(k->key_file, "/home/u/.kube/keys/admin.key");
	assert_null(k->token);
	assert_false(k->insecure);
	hs_kubeconfig_free(k);
}

static void test_named_context_token_insecure(void **state)
{
	hs_kubeconfig *k = NULL;
	hs_error e;

	(void)state;
	assert_int_equal(parse("dev-bot", "/cfg", &k, &e), 0);
	assert_string_equal(k->server, "https://dev.example:6443");
	assert_string_equal(k->ca_file, "/cfg/ca/dev.crt");
	assert_string_equal(k->token, "s3cr3t-token");
	assert_true(k->insecure);
	assert_null(k->cert_file);
	assert_null(k->ns);
	hs_kubeconfig_free(k);
}

static void test_refused_users(void **state)
{
	hs_kubeconfig *k = NULL;
	hs_error e;

	(void)state;
	assert_int_equal(parse("gke", NULL, &k, &e), -1);
	assert_null(k);
	assert_int_equal(e.code, HS_EXIT_PRECOND);
	assert_non_null(strstr(e.msg, "'gke'"));
	assert_non_null(strstr(e.msg, "exec credential plugin: not supported"));
	assert_int_equal(parse("oidc", NULL, &k, &e), -1);
	assert_int_equal(e.code, HS_EXIT_PRECOND);
	assert_non_null(strstr(e.msg, "auth-provider: not supported"));
}

static void test_missing_things(void **state)
{
	hs_kubeconfig *k = NULL;
	hs_error e;

	(void)state;
	assert_int_equal(parse("nope", NULL, &k, &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_string_equal(e.msg, "kubeconfig has no context 'nope'");
	assert_int_equal(parse("ghost", NULL, &k, &e), -1);
	assert_string_equal(e.msg, "kubeconfig has no cluster 'nowhere' (context 'ghost')");
	assert_int_equal(parse("half", NULL, &k, &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_non_null(strstr(e.msg, "'halfcert' has a client certificate without a key"));
	hs_error_init(&e);
	assert_int_equal(hs_kubeconfig_parse("clusters: [\n", 12, NULL, NULL, &k, &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_non_null(strstr(e.msg, "malformed kubeconfig"));
	hs_error_init(&e);
	assert_int_equal(hs_kubeconfig_parse("kind: Config\n", 13, NULL, NULL, &k, &e), -1);
	assert_string_equal(e.msg, "kubeconfig has no current-context and none was given");
}

static void test_token_file_and_in_cluster(void **state)
{
	char dir[] = "/tmp/hs-kc-XXXXXX";
	char path[256], kc[512];
	hs_kubeconfig *k = NULL;
	hs_error e;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("tok-from-file\n", f);
	fclose(f);
	snprintf(kc, sizeof(kc),
		 "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
		 "users: [{name: u, user: {tokenFile: token}}]\n"
		 "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		 "current-context: x\n");
	hs_error_init(&e);
	assert_int_equal(hs_kubeconfig_parse(kc, strlen(kc), NULL, dir, &k, &e), 0);
	assert_string_equal(k->token, "tok-from-file");
	hs_kubeconfig_free(k);
	k = NULL;

	/* the service account folder, as a pod sees it */
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(hs_kubeconfig_in_cluster(dir, &k, &e), 0);
	assert_string_equal(k->server, "https://10.0.0.1:443");
	assert_string_equal(k->token, "tok-from-file");
	assert_non_null(strstr(k->ca_file, "/ca.crt"));
	hs_kubeconfig_free(k);
	k = NULL;
	unsetenv("KUBERNETES_SERVICE_HOST");
	hs_error_init(&e);
	assert_int_equal(hs_kubeconfig_in_cluster(dir, &k, &e), -1);
	assert_int_equal(e.code, HS_EXIT_PRECOND);
	unlink(path);
	rmdir(dir);
	hs_kubeconfig_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_current_context),
		cmocka_unit_test(test_named_context_token_insecure),
		cmocka_unit_test(test_refused_users),
		cmocka_unit_test(test_missing_things),
		cmocka_unit_test(test_token_file_and_in_cluster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
