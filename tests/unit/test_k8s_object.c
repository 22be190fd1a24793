/* Unit tests of the k8s object helpers: stripping, template references, status errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sources/k8s/k8s_common.h"

static json_t *load(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	if (!j)
		print_error("bad test JSON: %s\n", je.text);
	assert_non_null(j);
	return j;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = load(want_text);

	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);

		print_error("got  %s\nwant %s\n", g, want_text);
		free(g);
	}
	assert_true(json_equal(got, want));
	json_decref(want);
}

static void test_strip_configmap(void **state)
{
	json_t *cm = load("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":\"n\","
			  "\"uid\":\"u\",\"resourceVersion\":\"7\",\"creationTimestamp\":\"t\",\"managedFields\":[{}],"
			  "\"ownerReferences\":[{}],\"labels\":{\"a\":\"b\"},\"annotations\":"
			  "{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"}},\"data\":{\"k\":\"v\"}}");

	(void)state;
	hs_k8s_strip(cm, false);
	assert_json(cm, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":\"n\","
		    "\"labels\":{\"a\":\"b\"}},\"data\":{\"k\":\"v\"}}");
	json_decref(cm);
}

static void test_strip_status(void **state)
{
	json_t *d = load("{\"metadata\":{\"name\":\"d\",\"generation\":3,\"annotations\":{\"x\":\"y\","
			 "\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"}},\"spec\":{},\"status\":{\"r\":1}}");
	json_t *p = json_deep_copy(d);

	(void)state;
	hs_k8s_strip(d, false);
	assert_json(d, "{\"metadata\":{\"name\":\"d\",\"annotations\":{\"x\":\"y\"}},\"spec\":{}}");
	hs_k8s_strip(p, true);
	assert_json(p, "{\"metadata\":{\"name\":\"d\",\"annotations\":{\"x\":\"y\"}},\"spec\":{},\"status\":{\"r\":1}}");
	json_decref(d);
	json_decref(p);
}

static void test_template_references(void **state)
{
	json_t *t = load(
		"{\"metadata\":{},\"spec\":{"
		"\"volumes\":[{\"name\":\"f\",\"configMap\":{\"name\":\"flags\"}},{\"name\":\"s\",\"secret\":{\"secretName\":\"tls\"}},"
		"  {\"name\":\"p\",\"projected\":{\"sources\":[{\"configMap\":{\"name\":\"proj\"}},{\"secret\":{\"name\":\"ps\"}}]}}],"
		"\"initContainers\":[{\"name\":\"i\",\"envFrom\":[{\"configMapRef\":{\"name\":\"init-cm\"}}]}],"
		"\"containers\":[{\"name\":\"c\",\"envFrom\":[{\"configMapRef\":{\"name\":\"app-config\"}},"
		"  {\"secretRef\":{\"name\":\"env-secret\"}}],"
		"  \"env\":[{\"name\":\"A\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"app-config\",\"key\":\"a\"}}},"
		"   {\"name\":\"P\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"db\",\"key\":\"password\"}}},"
		"   {\"name\":\"U\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"db\",\"key\":\"username\"}}},"
		"   {\"name\":\"V\",\"value\":\"plain\"}]}]}}");
	json_t *cms = hs_k8s_template_configmaps(t);
	json_t *sec = hs_k8s_template_secrets(t);

	(void)state;
	assert_json(cms, "[\"app-config\",\"flags\",\"init-cm\",\"proj\"]");
	assert_json(sec, "[{\"name\":\"db\",\"keys\":[\"password\",\"username\"]},{\"name\":\"env-secret\",\"keys\":[]},"
		    "{\"name\":\"ps\",\"keys\":[]},{\"name\":\"tls\",\"keys\":[]}]");
	json_decref(cms);
	json_decref(sec);
	json_decref(t);
	cms = hs_k8s_template_configmaps(NULL);
	assert_int_equal(json_array_size(cms), 0);
	json_decref(cms);
}

static void test_status_errors(void **state)
{
	hs_k8s_req get = { "get", "", "v1", "configmaps", "ns1", "cfg", NULL, NULL };
	hs_k8s_req upd = { "update", "apps", "v1", "deployments", "ns1", "web", NULL, NULL };
	hs_k8s_req lst = { "list", "apps", "v1", "replicasets", "ns1", NULL, NULL, NULL };
	hs_k8s_req log = { "get", "", "v1", "pods", "ns1", "p", "log", NULL };
	hs_error e;

	(void)state;
	hs_error_init(&e);
	/* the authorizer's denial: the RBAC permission, and who the server saw */
	assert_int_equal(hs_k8s_status_error(&upd, 403, "Forbidden", "deployments.apps \"web\" is forbidden: User "
					     "\"system:serviceaccount:ns1:reader\" cannot update resource \"deployments\" "
					     "in API group \"apps\" in the namespace \"ns1\"", "reader", &e), -1);
	assert_int_equal(e.code, HS_EXIT_FAILURE);
	assert_string_equal(e.msg, "cannot update deployments.apps 'ns1/web': forbidden (403): user 'reader' lacks the "
			    "RBAC permission verb=update resource=deployments namespace=ns1 apiGroup=\"apps\" (the API "
			    "server: User \"system:serviceaccount:ns1:reader\" cannot update resource \"deployments\" in "
			    "API group \"apps\" in the namespace \"ns1\")");
	/* any other 403 (here NamespaceLifecycle's, even for system:masters): the server's words, no RBAC */
	hs_k8s_status_error(&get, 403, "Forbidden", "configmaps \"cfg\" is forbidden: unable to create new content "
			    "in namespace ns1 because it is being terminated", "admin", &e);
	assert_string_equal(e.msg, "cannot get configmaps 'ns1/cfg': forbidden (403): configmaps \"cfg\" is forbidden: "
			    "unable to create new content in namespace ns1 because it is being terminated");
	/* the authorizer's words without the Forbidden reason, or no Status at all: no RBAC guess */
	hs_k8s_status_error(&get, 403, NULL, "configmaps is forbidden: User \"u\" cannot get resource", "bot", &e);
	assert_null(strstr(e.msg, "RBAC"));
	hs_k8s_status_error(&log, 403, NULL, NULL, "bot", &e);
	assert_string_equal(e.msg, "cannot get pods/log 'ns1/p': forbidden (403), the API server gave no reason");
	hs_k8s_status_error(&log, 403, "Forbidden", "pods \"p\" is forbidden: User \"bot\" cannot get resource \"pods/log\"",
			    "bot", &e);
	assert_non_null(strstr(e.msg, "verb=get resource=pods/log namespace=ns1 apiGroup=\"\""));
	assert_false(hs_k8s_authz_denied("Forbidden", "x is forbidden: unable to create new content"));
	assert_false(hs_k8s_authz_denied("Invalid", "x is forbidden: User \"u\" cannot get"));
	assert_true(hs_k8s_authz_denied("Forbidden", "x is forbidden: User \"u\" cannot get y: RBAC: role not found"));
	hs_k8s_status_error(&get, 401, NULL, "Unauthorized", "bot", &e);
	assert_string_equal(e.msg, "cannot get configmaps 'ns1/cfg': unauthorized (401): the API server refused the "
			    "credentials of user 'bot' (expired or invalid token or certificate)");
	hs_k8s_status_error(&get, 404, "NotFound", "configmaps \"cfg\" not found", "bot", &e);
	assert_string_equal(e.msg, "cannot get configmaps 'ns1/cfg': not found (404): configmaps \"cfg\" not found");
	hs_k8s_status_error(&lst, 410, NULL, NULL, "bot", &e);
	assert_non_null(strstr(e.msg, "list replicasets.apps in namespace 'ns1': gone (410)"));
	hs_k8s_status_error(&upd, 409, "Conflict", "the object has been modified", "bot", &e);
	assert_non_null(strstr(e.msg, "conflict (409)"));
	hs_k8s_status_error(&lst, 429, NULL, NULL, "bot", &e);
	assert_non_null(strstr(e.msg, "too many requests (429)"));
	hs_k8s_status_error(&log, 503, NULL, "line1\nline2", "bot", &e);
	assert_string_equal(e.msg, "cannot get pods/log 'ns1/p': API server error 503: line1 line2");
}

static void test_configmap_diff(void **state)
{
	json_t *arch = load("{\"data\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"},\"binaryData\":{\"bin\":\"AA==\"}}");
	json_t *live = load("{\"data\":{\"a\":\"1\",\"b\":\"9\",\"d\":\"4\"}}");
	hs_buf b = HS_BUF_INIT;

	(void)state;
	assert_int_equal(hs_k8s_cm_diff(arch, live, &b), 4);
	assert_string_equal(b.data, "~b +c +bin -d");
	hs_buf_reset(&b);
	assert_int_equal(hs_k8s_cm_diff(arch, arch, &b), 0);
	assert_int_equal(b.len, 0);
	hs_buf_release(&b);
	json_decref(arch);
	json_decref(live);
}

static void test_rollback_annotations(void **state)
{
	json_t *d = load("{\"metadata\":{\"annotations\":{\"deployment.kubernetes.io/revision\":\"3\","
			 "\"team\":\"a\",\"kubernetes.io/change-cause\":\"new\"}}}");
	json_t *rs = load("{\"metadata\":{\"annotations\":{\"deployment.kubernetes.io/revision\":\"1\","
			  "\"deployment.kubernetes.io/desired-replicas\":\"2\",\"kubernetes.io/change-cause\":\"old\"}}}");
	json_t *got = hs_k8s_rollback_annotations(d, rs);

	(void)state;
	assert_json(got, "{\"deployment.kubernetes.io/revision\":\"3\",\"kubernetes.io/change-cause\":\"old\"}");
	json_decref(got);
	got = hs_k8s_rollback_annotations(NULL, rs);
	assert_json(got, "{\"kubernetes.io/change-cause\":\"old\"}");
	json_decref(got);
	json_decref(d);
	json_decref(rs);
}

static void test_selected(void **state)
{
	const char *names[] = { "a", "b" };
	const char *all[] = { "*" };

	(void)state;
	assert_true(hs_k8s_selected(names, 2, "b", false));
	assert_false(hs_k8s_selected(names, 2, "c", true));
	assert_true(hs_k8s_selected(all, 1, "zzz", false));
	assert_false(hs_k8s_selected(NULL, 0, "a", false));
	assert_true(hs_k8s_selected(NULL, 0, "a", true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_configmap),
		cmocka_unit_test(test_strip_status),
		cmocka_unit_test(test_template_references),
		cmocka_unit_test(test_status_errors),
		cmocka_unit_test(test_configmap_diff),
		cmocka_unit_test(test_rollback_annotations),
		cmocka_unit_test(test_selected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
