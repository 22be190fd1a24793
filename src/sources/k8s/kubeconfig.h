/*
 * kubeconfig.h - how to reach a Kubernetes API server: a kubeconfig's
 * context (current, or named) resolved to server, TLS material and
 * credentials, or the in-cluster service account.
 *
 * The parser takes bytes, so it is unit-testable; relative file paths in
 * the kubeconfig are resolved against base_dir (the kubeconfig's folder),
 * as kubectl does.  `exec` and `auth-provider` users are refused with a
 * "not supported" error (HS_EXIT_PRECOND).
 * Error messages name contexts, clusters, users and files, never a token
 * or key.
 */
#ifndef HS_KUBECONFIG_H
#define HS_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Everything owned by the struct; hs_kubeconfig_free releases it. */
typedef struct hs_kubeconfig {
	char *context;            /* context name ("in-cluster" for the service account) */
	char *cluster;            /* cluster name */
	char *user;               /* user name */
	char *server;             /* https://host:port, no trailing slash */
	char *ns;                 /* the context's namespace, NULL if none */
	char *ca_file;
	unsigned char *ca_data;   /* PEM bytes (decoded from base64) */
	size_t ca_len;
	char *cert_file;
	unsigned char *cert_data;
	size_t cert_len;
	char *key_file;
	unsigned char *key_data;
	size_t key_len;
	char *token;              /* bearer token (from token or tokenFile), NULL if none */
	bool insecure;            /* insecure-skip-tls-verify */
} hs_kubeconfig;

/*
 * Parse a kubeconfig and resolve context (NULL or "" = current-context).
 * A tokenFile is read at parse time (resolved against base_dir, which may
 * be NULL for the current folder).  Errors: HS_EXIT_DATA for malformed
 * YAML or missing entries, HS_EXIT_PRECOND for unsupported users (exec,
 * auth-provider), HS_EXIT_FAILURE for an unreadable file it refers to.
 */
int hs_kubeconfig_parse(const char *bytes, size_t len, const char *context,
			const char *base_dir, hs_kubeconfig **out, hs_error *e);

/*
 * Find and parse the kubeconfig: path if given, else $KUBECONFIG (first
 * existing file of the colon list), else ~/.kube/config, else the
 * in-cluster service account (hs_kubeconfig_in_cluster with the standard
 * folder).  None of those is HS_EXIT_PRECOND.
 */
int hs_kubeconfig_load(const char *path, const char *context, hs_kubeconfig **out, hs_error *e);

/*
 * The in-cluster service account: $KUBERNETES_SERVICE_HOST/PORT and
 * sa_dir/{token,ca.crt,namespace} (sa_dir NULL = the standard
 * /var/run/secrets/kubernetes.io/serviceaccount).
 */
int hs_kubeconfig_in_cluster(const char *sa_dir, hs_kubeconfig **out, hs_error *e);

void hs_kubeconfig_free(hs_kubeconfig *k);

#endif
