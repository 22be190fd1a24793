/*
 * diff.h - per-source comparison of two archive entries, for `hivesnap diff`
 * (src/cmd_diff.c).  Each module compares one kind of entry, streamed from
 * two files the caller owns (the entries' bytes, already verified), and
 * fills a JSON object the caller owns:
 *
 *   {"added": N, "removed": N, "changed": N, "items": [...]}
 *
 * "items" holds at most opts->limit records, and only when opts->details.
 * Memory stays bounded by the largest record, whatever the entry sizes.
 */
#ifndef HS_DIFF_H
#define HS_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "linereader.h"

typedef struct hs_diff_opts {
	bool details;   /* list the changed records, not only count them */
	size_t limit;   /* at most this many records per entry */
	long long ttl_tolerance_ms; /* Redis: expiries this close are equal */
} hs_diff_opts;

/*
 * Redis: merge two redis/db<N>.jsonl entries (sorted by key bytes).  Item
 * records: {"key", "change": "added"|"removed"|"changed", "fields":
 * ["type", "value", "expire_at_ms"] (changed only)}.  Expiries that differ
 * by at most opts->ttl_tolerance_ms are equal (TIME + PTTL moves by a few
 * milliseconds between captures).  name is the entry
 * name, for errors.  A record that is not JSON or out of order is
 * HS_EXIT_DATA.
 */
int hs_diff_redis(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts, json_t *out,
		  hs_error *e);

/*
 * hs_diff_redis, and out also gets "patterns": [{"pattern", "added",
 * "removed", "changed"}]: each added, removed or changed key counted under
 * the first of patterns (the profile's for that db, borrowed; n may be 0)
 * it matches with Redis's glob rules (* ? [a-z] [^a] \x), else under
 * "(other)"; in the order of patterns, "(other)" last, only those with a
 * change.
 */
int hs_diff_redis_by_pattern(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts,
			     char *const *patterns, size_t n_patterns, json_t *out, hs_error *e);

/*
 * hs_diff_redis_by_pattern over two line readers (linereader.h, borrowed):
 * the lines are compared where they lie in the readers' windows, not
 * copied.  A read error is the reader's, prefixed "cannot diff '<name>'".
 * `diff` reads the archives this way; the FILE functions wrap it.
 */
int hs_diff_redis_lr(hs_linereader *a, hs_linereader *b, const char *name, const hs_diff_opts *opts,
		     char *const *patterns, size_t n_patterns, json_t *out, hs_error *e);

/*
 * MongoDB: merge two mongo/<db>/<coll>.bson entries (sorted by _id, see
 * diff_mongo.c for the order).  Item records: {"key": _id as relaxed
 * Extended JSON, "change", "fields": the top-level fields added, removed
 * or changed (changed only)}.  A document that is not BSON, has no _id or
 * is out of order is HS_EXIT_DATA.
 */
int hs_diff_mongo(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts, json_t *out,
		  hs_error *e);

/* hs_diff_mongo over two readers (borrowed): documents taken in their windows. */
int hs_diff_mongo_lr(hs_linereader *a, hs_linereader *b, const char *name, const hs_diff_opts *opts,
		     json_t *out, hs_error *e);

/*
 * Kafka: compare two kafka/groups/<group>.json entries partition by
 * partition.  Item records: {"key": {"topic", "partition"}, "change",
 * "fields" and "delta": {"offset", "lag"} (changed only)}, and for a state
 * or member count change {"key": "state"|"members", "change": "changed",
 * "from", "to"}.  A document that is not a group is HS_EXIT_DATA.
 */
int hs_diff_kafka(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts, json_t *out,
		  hs_error *e);

/*
 * Kubernetes: compare two ConfigMap, Deployment or HPA entries (see
 * diff_k8s.c).  Item records: {"key": "data.<k>" or a path such as
 * "spec.template.spec.containers[api].image", "change", "from"/"to" (the
 * values; ConfigMaps: none), "diff" (a ConfigMap's changed text value as
 * a unified diff)}.  A document that is not an object is HS_EXIT_DATA.
 */
int hs_diff_k8s(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts, json_t *out,
		hs_error *e);

/*
 * The leaf-level diff of two JSON values under path (either may be NULL):
 * objects key by key, arrays of objects that all have a "name" matched by
 * name ("path[name]"), anything else compared whole.  Each difference is
 * counted in out and, with details, appended to out's items as {"key":
 * path, "change", "from", "to"}.  Used by diff_k8s.c and diff_mongo.c.
 */
void hs_diff_json_walk(const json_t *x, const json_t *y, const char *path, const hs_diff_opts *opts,
		       json_t *out);

/*
 * MongoDB: compare two mongo/<db>/<coll>.metadata.json entries: "options"
 * and "indexes" (by index name) field by field; the collection's uuid,
 * which a restore changes, is not compared.
 */
int hs_diff_mongo_metadata(FILE *a, FILE *b, const char *name, const hs_diff_opts *opts, json_t *out,
			   hs_error *e);

#endif
