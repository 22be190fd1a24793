/*
 * fuzz_k8s.c - libFuzzer target: Kubernetes API JSON as hivesnap handles it.
 *
 * The input is split at HS_FUZZ_SEP into two JSON documents A and B
 * (objects as the API server returns them, or as they are archived), then:
 *  - hs_diff_k8s on A and B as a ConfigMap (data/binaryData key by key,
 *    unified diff of changed values) and as a Deployment (spec leaves,
 *    arrays matched by name);
 *  - src/sources/k8s/k8s_object.c on A: hs_k8s_strip (with and without status),
 *    the ConfigMaps and Secrets a pod template references (A's
 *    spec.template and A itself), the rollback annotations of A and B;
 *  - restore/k8s.c: hs_k8s_cm_diff(A, B);
 *  - src/sources/k8s/k8s_client.c: hs_k8s_status_error with A's Status "code",
 *    "reason" and "message" (an API error answer);
 *  - src/sources/k8s/k8s_entry.c: A as a ConfigMap entry's object and as a
 *    rollback revision entry (the content checks).
 * The API list pages (hs_k8s_list) are parsed by a static function behind
 * an HTTP request; see docs/fuzzing.md.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "diff.h"
#include "error.h"
#include "fuzz_common.h"
#include "sources/k8s/k8s_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const hs_k8s_req rq = { "get", "apps", "v1", "deployments", "flowc", "api", NULL, NULL };
	const uint8_t *a, *b;
	size_t na, nb;
	json_t *ja, *jb, *x;
	json_error_t jerr;
	hs_buf out = HS_BUF_INIT;
	hs_error e;

	hs_fuzz_split(data, size, &a, &na, &b, &nb);
	(void)hs_fuzz_diff(hs_diff_k8s, a, na, b, nb, "k8s/flowc/configmaps/app.json", NULL);
	(void)hs_fuzz_diff(hs_diff_k8s, a, na, b, nb, "k8s/flowc/deployments/api.json", NULL);

	ja = json_loadb((const char *)a, na, 0, &jerr);
	jb = json_loadb((const char *)b, nb, 0, &jerr);
	if (json_is_object(ja)) {
		x = json_deep_copy(ja);
		hs_k8s_strip(x, true);
		json_decref(x);
		x = json_deep_copy(ja);
		hs_k8s_strip(x, false);
		json_decref(x);
		json_decref(hs_k8s_template_configmaps(json_object_get(json_object_get(ja, "spec"), "template")));
		json_decref(hs_k8s_template_secrets(json_object_get(json_object_get(ja, "spec"), "template")));
		json_decref(hs_k8s_template_configmaps(ja));
		json_decref(hs_k8s_template_secrets(ja));
		json_decref(hs_k8s_rollback_annotations(ja, json_is_object(jb) ? jb : ja));
		json_decref(hs_k8s_rollback_annotations(NULL, ja));
		(void)hs_k8s_cm_diff(ja, json_is_object(jb) ? jb : ja, &out);
		hs_error_init(&e);
		(void)hs_k8s_status_error(&rq, (long)json_integer_value(json_object_get(ja, "code")),
					  json_string_value(json_object_get(ja, "reason")),
					  json_string_value(json_object_get(ja, "message")), "fuzz-user", &e);
		(void)hs_k8s_cm_object_check("a", "k8s/flowc/configmaps/app.json", ja, "flowc", "app", &e);
		{
			long rev;

			x = json_deep_copy(ja);
			(void)hs_k8s_revision_check("a", "k8s/flowc/deployments/api/revisions/3.json", x, "flowc", &rev,
						    &e);
			json_decref(x);
		}
	}
	hs_buf_release(&out);
	json_decref(ja);
	json_decref(jb);
	return 0;
}
