/*
 * k8s_common.h - the Kubernetes source's shared parts: an API client over
 * http.h (requests described by verb/group/resource so errors can name
 * them and a 403 can name the missing RBAC permission), paginated lists,
 * and pure object helpers (stripping server-managed fields, the ConfigMaps
 * and Secrets a pod template references).  Used by snapshot/k8s.c,
 * restore/k8s.c and src/cmd_rollback.c.
 */
#ifndef HS_K8S_COMMON_H
#define HS_K8S_COMMON_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "http.h"
#include "kubeconfig.h"

typedef struct hs_k8s_client {
	hs_kubeconfig *kc;        /* owned */
	hs_http_client *http;     /* owned */
	int retries_429;          /* how often a 429 is retried (default 3) */
	int timeout_ms;           /* one request's timeout */
	int64_t deadline_ms;      /* hs_now_ms() after which no request runs; 0: none.
	                             Before it each request's timeout is cut to what is
	                             left, and a 429 is not retried past it. */
} hs_k8s_client;

/*
 * One API request.  group "" is the core API (/api/v1), else
 * /apis/<group>/<version>.  ns NULL = cluster-scoped; name NULL = the
 * collection; sub a subresource ("status", "log") or NULL; query an
 * already-encoded query string without '?' or NULL.  verb is the RBAC verb
 * ("get", "list", "update", "patch", "create") used in errors.
 */
typedef struct hs_k8s_req {
	const char *verb;
	const char *group;
	const char *version;
	const char *resource;
	const char *ns;
	const char *name;
	const char *sub;
	const char *query;
} hs_k8s_req;

/*
 * Connect: load the kubeconfig (path/context may be NULL, see
 * hs_kubeconfig_load) and make the HTTP client with timeout_ms per request.
 */
int hs_k8s_client_new(hs_k8s_client **out, const char *kubeconfig, const char *context,
		      int timeout_ms, hs_error *e);
void hs_k8s_client_free(hs_k8s_client *c);

/*
 * Perform a request; body (JSON text) may be NULL.  On a 2xx the response
 * body is parsed into *out (NULL allowed: not parsed) unless raw is given,
 * which then receives the bytes (max_bytes bounded).  Non-2xx statuses map
 * to errors naming verb and resource (see k8s_client.c); a 404 is
 * HS_EXIT_FAILURE with *status set so callers can treat it as "absent".
 */
int hs_k8s_call(hs_k8s_client *c, const hs_k8s_req *rq, const char *method,
		const char *content_type, const char *body, json_t **out, hs_buf *raw,
		size_t max_bytes, long *status, hs_error *e);

/*
 * List a collection with limit/continue pages: the items appended to a new
 * array *items, and the list's resourceVersion (new string) in *rv.
 */
int hs_k8s_list(hs_k8s_client *c, const hs_k8s_req *rq, json_t **items, char **rv, hs_error *e);

/*
 * The error text for an HTTP status (pure; unit-tested): names verb,
 * resource (group-qualified), namespace/name and the API's Status message;
 * reason and message are the Status's (either may be NULL).  A 403 names
 * the missing RBAC permission only when the authorizer refused the request
 * (hs_k8s_authz_denied); any other 403 (an admission plugin's, e.g. a
 * namespace being terminated) quotes the server's message.
 */
int hs_k8s_status_error(const hs_k8s_req *rq, long status, const char *reason, const char *message,
			const char *user, hs_error *e);

/*
 * True when a 403's Status says the authorizer (RBAC, or any other
 * authorizer) denied the request: reason "Forbidden" and the message the
 * API server writes then, `<res> is forbidden: User "U" cannot VERB ...`.
 * False for the other Forbidden errors (admission: "unable to create new
 * content in namespace X because it is being terminated", ...).
 */
bool hs_k8s_authz_denied(const char *reason, const char *message);

/*
 * Strip server-managed fields so the object is `kubectl apply`-able:
 * metadata uid, resourceVersion, generation, creationTimestamp,
 * managedFields, selfLink, ownerReferences, deletion*, the
 * last-applied-configuration annotation (and empty annotations), and
 * status unless keep_status.
 */
void hs_k8s_strip(json_t *obj, bool keep_status);

/*
 * The ConfigMaps (volumes, projected volumes, env valueFrom, envFrom) a
 * pod template (or pod spec holder: an object with "spec") references,
 * as a sorted array of names; and the Secrets as a sorted array of
 * {"name", "keys": [referenced keys]} (no values ever).
 */
json_t *hs_k8s_template_configmaps(const json_t *tmpl);
json_t *hs_k8s_template_secrets(const json_t *tmpl);

/*
 * The annotations `kubectl rollout undo` gives a Deployment: deploy's
 * (may be NULL) of kubectl's skip list (last-applied, revision, ...),
 * then every other one of rs (a ReplicaSet, or an archived revision with
 * an "annotations" object).  A new object.
 */
json_t *hs_k8s_rollback_annotations(const json_t *deploy, const json_t *rs);

/* True when list (profile names) is empty-or-has "*" or contains name. */
bool hs_k8s_selected(const char *const *names, size_t n, const char *name, bool empty_means_all);

/*
 * The archive verified whole and, in the same pass, every entry under
 * prefix ending in ".json", parsed: a new object entry name -> JSON
 * (restore/k8s.c; for rollback).
 */
int hs_k8s_archive_load(const char *path, const char *prefix, json_t **out, hs_error *e);

/*
 * Key-level diff of a ConfigMap's data+binaryData from live to archived,
 * appended to out as "+k" (restore adds), "-k" (restore removes), "~k"
 * (value differs); returns the number of differing keys.
 */
size_t hs_k8s_cm_diff(const json_t *archived, const json_t *live, hs_buf *out);

/*
 * Content checks (src/sources/k8s/k8s_entry.c): the entry's path decides where an
 * object goes; an object that disagrees with its path is bad data (65).
 *
 * hs_k8s_cm_entry: an entry under k8s/<x>/configmaps/: 1 with *ns and
 * *name (new strings, the caller frees) when it is
 * k8s/<ns>/configmaps/<name>.json with valid Kubernetes names; -1 (65,
 * naming archive and entry) when it is under configmaps/ but not that;
 * 0 for any other entry.
 */
int hs_k8s_cm_entry(const char *archive, const char *entry, char **ns, char **name, hs_error *e);

/*
 * The entry's ConfigMap object agrees with its path: a JSON object whose
 * kind ("ConfigMap"), apiVersion ("v1"), metadata.namespace (ns) and
 * metadata.name (name) are each absent or equal; else 65.
 */
int hs_k8s_cm_object_check(const char *archive, const char *entry, const json_t *obj, const char *ns,
			   const char *name, hs_error *e);

/* Set obj's metadata.namespace and metadata.name: what is written is the target's. */
void hs_k8s_set_target(json_t *obj, const char *ns, const char *name);

/* A namespace name (DNS-1123 label); an object name (DNS-1123 subdomain). */
bool hs_k8s_valid_ns(const char *s);
bool hs_k8s_valid_name(const char *s);

/*
 * --map-k8s-ns SRC=DST rules (NULL-terminated, may be NULL): each two
 * valid namespace names, no SRC twice; else 64.  hs_k8s_ns_map: the
 * target namespace of src (a rule's DST, else src itself; not a copy).
 */
int hs_k8s_ns_rules_check(const char *const *rules, hs_error *e);
const char *hs_k8s_ns_map(const char *const *rules, const char *src);

/*
 * A rollback revision entry ".../revisions/<N>.json" of the Deployment in
 * namespace ns: N a revision number, rev an object whose revision is N,
 * with an object template, configmaps a list of strings, and a template
 * metadata.namespace absent or ns (then removed: a pod template has no
 * namespace of its own); *revision = N.  Else 65.  rev is changed.
 */
int hs_k8s_revision_check(const char *archive, const char *entry, json_t *rev, const char *ns, long *revision,
			  hs_error *e);

/* ConfigMap restore (restore/k8s.c), hooked into hs_source_k8s. */
struct hs_restore;
struct hs_reader;
struct hs_reader_entry;
int hs_k8s_restore_scan(struct hs_restore *r, struct hs_reader *rd, const struct hs_reader_entry *ent, hs_error *e);
int hs_k8s_restore_plan(struct hs_restore *r, hs_error *e);
int hs_k8s_restore_apply(struct hs_restore *r, hs_error *e);
void hs_k8s_restore_release(struct hs_restore *r);
/* verify's content check (source.h entry_check; restore/k8s.c). */
int hs_k8s_entry_check(const char *archive, struct hs_reader *rd, const struct hs_reader_entry *ent, hs_error *e);

#endif
