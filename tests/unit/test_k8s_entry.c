/*
 * Unit tests of src/sources/k8s/k8s_entry.c: the content checks that make an
 * entry's path decide where its object goes (names, ConfigMap objects that
 * disagree with their path, --map-k8s-ns rules, rollback revisions).
 */
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

static void test_names(void **state)
{
	char long_label[70], long_name[260];

	(void)state;
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	memset(long_name, 'a', 254);
	long_name[254] = '\0';
	assert_true(hs_k8s_valid_ns("neural-hive-orchestration"));
	assert_true(hs_k8s_valid_ns("a"));
	assert_false(hs_k8s_valid_ns(""));
	assert_false(hs_k8s_valid_ns("-a"));
	assert_false(hs_k8s_valid_ns("a-"));
	assert_false(hs_k8s_valid_ns("Kube"));
	assert_false(hs_k8s_valid_ns("a.b"));
	assert_false(hs_k8s_valid_ns(long_label));
	assert_false(hs_k8s_valid_ns(NULL));
	assert_true(hs_k8s_valid_name("app.config-1"));
	assert_false(hs_k8s_valid_name("a..b"));
	assert_false(hs_k8s_valid_name("."));
	assert_false(hs_k8s_valid_name("a/b"));
	assert_false(hs_k8s_valid_name("a b"));
	assert_false(hs_k8s_valid_name(long_name));
}

static void test_cm_entry(void **state)
{
	char *ns, *name;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_k8s_cm_entry("A", "k8s/ns1/configmaps/app.json", &ns, &name, &e), 1);
	assert_string_equal(ns, "ns1");
	assert_string_equal(name, "app");
	free(ns);
	free(name);
	/* not ConfigMap entries */
	assert_int_equal(hs_k8s_cm_entry("A", "k8s/ns1/deployments/web.json", &ns, &name, &e), 0);
	assert_int_equal(hs_k8s_cm_entry("A", "k8s/ns1/pods/configmaps.json", &ns, &name, &e), 0);
	assert_int_equal(hs_k8s_cm_entry("A", "redis/configmaps/x.json", &ns, &name, &e), 0);
	assert_int_equal(hs_k8s_cm_entry("A", "k8s/events.json", &ns, &name, &e), 0);
	assert_null(ns);
	/* under configmaps/ but not one ConfigMap's file */
	assert_int_equal(hs_k8s_cm_entry("A", "k8s/ns1/configmaps/sub/x.json", &ns, &name, &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_string_equal(e.msg, "'A' holds 'k8s/ns1/configmaps/sub/x.json' under configmaps/, which is not "
			    "k8s/<namespace>/configmaps/<name>.json");
	assert_int_equal(hs_k8s_cm_entry("A", "k8s/ns1/configmaps/x.yaml", &ns, &name, &e), -1);
	assert_int_equal(hs_k8s_cm_entry("A", "k8s/ns1/configmaps/.json", &ns, &name, &e), -1);
	assert_int_equal(hs_k8s_cm_entry("A", "k8s/Bad_NS/configmaps/x.json", &ns, &name, &e), -1);
	assert_string_equal(e.msg, "'A' holds 'k8s/Bad_NS/configmaps/x.json': 'Bad_NS' is not a valid Kubernetes "
			    "namespace name");
	assert_int_equal(hs_k8s_cm_entry("A", "k8s/ns/configmaps/a%2fb.json", &ns, &name, &e), -1);
	assert_non_null(strstr(e.msg, "'a%2fb' is not a valid Kubernetes ConfigMap name"));
	assert_null(ns);
	assert_null(name);
}

static void test_cm_object(void **state)
{
	const char *entry = "k8s/neural-hive-orchestration/configmaps/cm.json";
	const char *ns = "neural-hive-orchestration";
	json_t *o;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	o = load("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
		 "\"namespace\":\"neural-hive-orchestration\"},\"data\":{\"a\":\"1\"}}");
	assert_int_equal(hs_k8s_cm_object_check("A", entry, o, ns, "cm", &e), 0);
	json_decref(o);
	/* absent namespace/name/kind: taken from the path */
	o = load("{\"data\":{}}");
	assert_int_equal(hs_k8s_cm_object_check("A", entry, o, ns, "cm", &e), 0);
	hs_k8s_set_target(o, "staging", "cm");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "metadata"), "namespace")), "staging");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "metadata"), "name")), "cm");
	json_decref(o);
	/* the case: the path says one namespace, the object another */
	o = load("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\",\"namespace\":\"kube-system\"}}");
	assert_int_equal(hs_k8s_cm_object_check("A", entry, o, ns, "cm", &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_string_equal(e.msg, "'A' holds 'k8s/neural-hive-orchestration/configmaps/cm.json' whose "
			    "metadata.namespace is 'kube-system', not the entry's namespace 'neural-hive-orchestration': "
			    "refused (the entry's path decides where an object goes)");
	json_decref(o);
	o = load("{\"metadata\":{\"name\":\"other\"}}");
	assert_int_equal(hs_k8s_cm_object_check("A", entry, o, ns, "cm", &e), -1);
	assert_non_null(strstr(e.msg, "whose metadata.name is 'other', not the entry's name 'cm'"));
	json_decref(o);
	o = load("{\"metadata\":{\"namespace\":7}}");
	assert_int_equal(hs_k8s_cm_object_check("A", entry, o, ns, "cm", &e), -1);
	assert_non_null(strstr(e.msg, "metadata.namespace is not a string"));
	json_decref(o);
	o = load("{\"kind\":\"Secret\",\"metadata\":{\"name\":\"cm\"}}");
	assert_int_equal(hs_k8s_cm_object_check("A", entry, o, ns, "cm", &e), -1);
	assert_non_null(strstr(e.msg, "whose kind is 'Secret', not 'ConfigMap'"));
	json_decref(o);
	o = load("{\"apiVersion\":\"v2\"}");
	assert_int_equal(hs_k8s_cm_object_check("A", entry, o, ns, "cm", &e), -1);
	json_decref(o);
	o = load("[1]");
	assert_int_equal(hs_k8s_cm_object_check("A", entry, o, ns, "cm", &e), -1);
	assert_non_null(strstr(e.msg, "which is not a JSON object"));
	json_decref(o);
	o = load("{\"metadata\":[]}");
	assert_int_equal(hs_k8s_cm_object_check("A", entry, o, ns, "cm", &e), -1);
	json_decref(o);
}

static void test_ns_rules(void **state)
{
	const char *good[] = { "neural-hive-orchestration=staging", "a=b", NULL };
	const char *twice[] = { "a=b", "a=c", NULL };
	const char *prefix[] = { "a=b", "ab=c", NULL };
	const char *bad1[] = { "a", NULL };
	const char *bad2[] = { "a=", NULL };
	const char *bad3[] = { "=b", NULL };
	const char *bad4[] = { "a=Kube_System", NULL };
	const char *bad5[] = { "a*=b", NULL };
	hs_error e;

	(void)state;
	hs_error_init(&e);
	assert_int_equal(hs_k8s_ns_rules_check(NULL, &e), 0);
	assert_int_equal(hs_k8s_ns_rules_check(good, &e), 0);
	assert_int_equal(hs_k8s_ns_rules_check(prefix, &e), 0);
	assert_int_equal(hs_k8s_ns_rules_check(twice, &e), -1);
	assert_int_equal(e.code, HS_EXIT_USAGE);
	assert_string_equal(e.msg, "restore: --map-k8s-ns maps namespace 'a' twice");
	assert_int_equal(hs_k8s_ns_rules_check(bad1, &e), -1);
	assert_string_equal(e.msg, "restore: --map-k8s-ns takes SRC=DST, two namespace names (lowercase letters, "
			    "digits, '-'), not 'a'");
	assert_int_equal(hs_k8s_ns_rules_check(bad2, &e), -1);
	assert_int_equal(hs_k8s_ns_rules_check(bad3, &e), -1);
	assert_int_equal(hs_k8s_ns_rules_check(bad4, &e), -1);
	assert_int_equal(hs_k8s_ns_rules_check(bad5, &e), -1);
	assert_string_equal(hs_k8s_ns_map(good, "neural-hive-orchestration"), "staging");
	assert_string_equal(hs_k8s_ns_map(good, "a"), "b");
	assert_string_equal(hs_k8s_ns_map(good, "neural-hive"), "neural-hive");
	assert_string_equal(hs_k8s_ns_map(prefix, "ab"), "c");
	assert_string_equal(hs_k8s_ns_map(NULL, "x"), "x");
}

static void test_revision(void **state)
{
	const char *entry = "k8s/ns1/deployments/web/revisions/3.json";
	json_t *r;
	long n;
	hs_error e;

	(void)state;
	hs_error_init(&e);
	r = load("{\"revision\":3,\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}}},\"configmaps\":[\"c\"]}");
	assert_int_equal(hs_k8s_revision_check("A", entry, r, "ns1", &n, &e), 0);
	assert_int_equal(n, 3);
	json_decref(r);
	/* the template's own namespace: the Deployment's is removed, another is refused */
	r = load("{\"revision\":3,\"template\":{\"metadata\":{\"namespace\":\"ns1\",\"labels\":{}}}}");
	assert_int_equal(hs_k8s_revision_check("A", entry, r, "ns1", &n, &e), 0);
	assert_null(json_object_get(json_object_get(json_object_get(r, "template"), "metadata"), "namespace"));
	json_decref(r);
	r = load("{\"revision\":3,\"template\":{\"metadata\":{\"namespace\":\"kube-system\"}}}");
	assert_int_equal(hs_k8s_revision_check("A", entry, r, "ns1", &n, &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_string_equal(e.msg, "'A' holds 'k8s/ns1/deployments/web/revisions/3.json' whose template names "
			    "namespace 'kube-system', not the Deployment's 'ns1': refused (a pod template has no namespace "
			    "of its own)");
	json_decref(r);
	/* the path's revision number is the revision */
	r = load("{\"revision\":5,\"template\":{}}");
	assert_int_equal(hs_k8s_revision_check("A", entry, r, "ns1", &n, &e), -1);
	assert_non_null(strstr(e.msg, "whose revision is not 3, the entry's"));
	json_decref(r);
	r = load("{\"revision\":3,\"template\":{}}");
	assert_int_equal(hs_k8s_revision_check("A", "k8s/ns1/deployments/web/revisions/03.json", r, "ns1", &n, &e), -1);
	assert_int_equal(hs_k8s_revision_check("A", "k8s/ns1/deployments/web/revisions/3x.json", r, "ns1", &n, &e), -1);
	assert_int_equal(hs_k8s_revision_check("A", "k8s/ns1/deployments/web/revisions/0.json", r, "ns1", &n, &e), -1);
	assert_int_equal(hs_k8s_revision_check("A", "k8s/ns1/deployments/web/revisions/.json", r, "ns1", &n, &e), -1);
	json_decref(r);
	r = load("{\"revision\":3}");
	assert_int_equal(hs_k8s_revision_check("A", entry, r, "ns1", &n, &e), -1);
	assert_non_null(strstr(e.msg, "without a pod template"));
	json_decref(r);
	r = load("{\"revision\":3,\"template\":{},\"configmaps\":[1]}");
	assert_int_equal(hs_k8s_revision_check("A", entry, r, "ns1", &n, &e), -1);
	json_decref(r);
	r = load("{\"revision\":3,\"template\":{\"metadata\":{\"namespace\":1}}}");
	assert_int_equal(hs_k8s_revision_check("A", entry, r, "ns1", &n, &e), -1);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cm_entry),
		cmocka_unit_test(test_cm_object),
		cmocka_unit_test(test_ns_rules),
		cmocka_unit_test(test_revision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
