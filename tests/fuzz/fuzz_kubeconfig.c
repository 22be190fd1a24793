/*
 * fuzz_kubeconfig.c - libFuzzer target: kubeconfig YAML (hs_kubeconfig_parse).
 *
 * Parsed once for the current context and once for a context named
 * "fuzz".  Relative file references (certificate-authority, tokenFile,
 * ...) resolve against an empty temporary folder.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"
#include "sources/k8s/kubeconfig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char hs_fuzz_dir[64] = "/nonexistent";

/* Remove the (empty) folder at exit. */
static void hs_fuzz_cleanup(void)
{
	rmdir(hs_fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/tmp/hs-fuzz-kc.XXXXXX";

	if (mkdtemp(tmpl)) {
		snprintf(hs_fuzz_dir, sizeof(hs_fuzz_dir), "%s", tmpl);
		atexit(hs_fuzz_cleanup);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const contexts[] = { NULL, "fuzz" };
	size_t i;

	for (i = 0; i < 2; i++) {
		hs_kubeconfig *k = NULL;
		hs_error e;

		hs_error_init(&e);
		(void)hs_kubeconfig_parse((const char *)data, size, contexts[i], hs_fuzz_dir, &k, &e);
		hs_kubeconfig_free(k);
	}
	return 0;
}
