/*
 * profile.h - what to capture and where from (SPEC "Profiles").
 *
 * A profile is a YAML file (`-p FILE`) or the built-in Flow C profile
 * (src/profile_default.c, the text `hivesnap profile init` prints).  It is
 * parsed with libyaml into the typed struct below.  Every section is
 * optional: a NULL section pointer means the source is not configured and
 * its status in an archive is "skipped".
 *
 * Parsing rules (the same for files and the built-in text):
 *  - `${VAR}` and `${VAR:-default}` in scalar values are expanded from the
 *    environment before the value is typed; `$${` is a literal `${`.  An
 *    unset ${VAR} without a default, and a malformed reference, are errors.
 *    (`:-` uses the default when VAR is unset or empty, as in sh.)
 *  - unknown keys, duplicate keys, values of the wrong type, missing
 *    required values and bad enum values are errors naming the file, line
 *    and key path, exit HS_EXIT_DATA:
 *      profile 'p.yaml' line 12: key 'redis.dbs[0].db': expected an integer 0-15
 *    Values are never echoed in errors (they may be secrets).
 *
 * Ownership: the struct and every string and array in it belong to the
 * hs_profile; hs_profile_free() releases all of it.  Callers only read.
 * Strings that may hold credentials are marked SECRET: never log or print
 * them as they are; pass them through hs_uri_redact() (src/uri.h) first.
 * Counts are size_t and arrays are NULL when the count is 0.
 */
#ifndef HS_PROFILE_H
#define HS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A list of strings (names, globs, patterns). */
typedef struct hs_strlist {
	char **v;
	size_t n;
} hs_strlist;

/* One key/value pair of a string map, kept in file order. */
typedef struct hs_kv {
	char *key;
	char *value;
} hs_kv;

typedef struct hs_kvlist {
	hs_kv *v;
	size_t n;
} hs_kvlist;

/* ------------------------------------------------------------------ mongo */

enum hs_read_pref {
	HS_READ_PRIMARY = 0,        /* "primary" (default) */
	HS_READ_PRIMARY_PREFERRED,  /* "primaryPreferred" */
	HS_READ_SECONDARY,          /* "secondary" */
	HS_READ_SECONDARY_PREFERRED, /* "secondaryPreferred" */
	HS_READ_NEAREST             /* "nearest" */
};

/* Who puts a collection's documents in _id order (mongo.sort, --mongo-sort). */
enum hs_mongo_sort {
	HS_MONGO_SORT_AUTO,      /* "auto": client on FerretDB, server otherwise (default) */
	HS_MONGO_SORT_SERVER,    /* "server": find with sort {_id: 1} */
	HS_MONGO_SORT_CLIENT     /* "client": natural order, sorted by hivesnap on disk */
};

typedef struct hs_profile_mongo_db {
	char *name;              /* database name, required */
	bool all_collections;    /* `collections: "*"` or key absent: every collection */
	hs_strlist collections;  /* explicit collection names when !all_collections */
	hs_strlist exclude;      /* fnmatch(3) globs of collection names to leave out */
	hs_kvlist filters;       /* collection name -> filter, canonical/relaxed Extended JSON text */
} hs_profile_mongo_db;

typedef struct hs_profile_mongo {
	char *uri;               /* SECRET. required: mongodb:// or mongodb+srv:// */
	enum hs_read_pref read_preference;
	int parallel;            /* collections captured at once, 1-64, default 4 */
	enum hs_mongo_sort sort; /* default auto */
	hs_profile_mongo_db *databases; /* at least one */
	size_t n_databases;
} hs_profile_mongo;

/* ------------------------------------------------------------------ redis */

typedef struct hs_profile_redis_db {
	int db;                  /* 0-15, required */
	hs_strlist patterns;     /* SCAN MATCH globs; default ["*"] */
} hs_profile_redis_db;

typedef struct hs_profile_redis {
	char *uri;               /* SECRET. required: redis:// or rediss:// (hiredis 0.14: no TLS) */
	hs_profile_redis_db *dbs; /* default: one entry, db 0, pattern "*" */
	size_t n_dbs;
	int scan_count;          /* SCAN COUNT hint, 1-100000, default 1000 */
	int batch;               /* commands per pipeline, 1-100000, default 500 */
} hs_profile_redis;

/* ------------------------------------------------------------------ kafka */

typedef struct hs_profile_kafka {
	char *brokers;           /* required: bootstrap.servers, "host:port[,host:port...]" */
	hs_kvlist config;        /* extra librdkafka properties; values may be SECRET
	                            (see hs_profile_secret_key()) */
	hs_strlist groups;       /* consumer group names or fnmatch globs; default ["*"] */
	hs_strlist topics;       /* topics in scope (empty: the topics the groups commit to) */
	int timeout_ms;          /* per Admin API call, 1-600000, default 10000 */
	int timestamp_budget_ms; /* total time to read committed-offset timestamps, 0-600000,
	                            default 5000 (0: do not read them) */
} hs_profile_kafka;

/* -------------------------------------------------------------------- k8s */

typedef struct hs_profile_k8s_logs {
	bool enabled;            /* `logs:` present in the namespace */
	int64_t since_seconds;   /* `since: 1h` (s, m, h, d units; combined like 1h30m); 0 = no limit */
	int64_t tail_lines;      /* 0 = no limit; default 1000 */
	int64_t limit_bytes;     /* 0 = no limit; default 1048576 */
	bool previous;           /* also the previous container's log; default false */
} hs_profile_k8s_logs;

typedef struct hs_profile_k8s_ns {
	char *name;              /* required */
	hs_strlist configmaps;   /* `configmaps: [names]` or `configmaps: {names: [...]}` */
	char *configmap_selector; /* `configmaps: {label_selector: "..."}`, NULL if none */
	hs_strlist deployments;  /* names; "*" = every Deployment */
	hs_strlist hpas;         /* names; "*" = every HPA */
	bool pods;               /* `pods: true` or `pods: "<selector>"`; default false */
	char *pod_selector;      /* NULL = all pods (when pods) */
	bool events;             /* default false */
	hs_profile_k8s_logs logs; /* of the pods selected above */
} hs_profile_k8s_ns;

typedef struct hs_profile_k8s {
	char *kubeconfig;        /* path ("~/" is $HOME); NULL = client decides ($KUBECONFIG,
	                            ~/.kube/config, in-cluster service account) */
	char *context;           /* NULL = the kubeconfig's current context */
	int timeout_ms;          /* per request, 1-600000, default 30000 */
	hs_profile_k8s_ns *namespaces; /* at least one */
	size_t n_namespaces;
} hs_profile_k8s;

/* ------------------------------------------------------------------- diag */

enum hs_health_kind { HS_HEALTH_HTTP = 0, HS_HEALTH_GRPC };

typedef struct hs_profile_health {
	char *name;              /* required, e.g. "orchestrator-dynamic/ready" */
	char *url;               /* SECRET-ish (redact). http: full URL; grpc: host:port */
	enum hs_health_kind kind; /* "http" (default) | "grpc" (grpc.health.v1.Health/Check) */
	int timeout_ms;          /* 1-600000, default 5000 */
} hs_profile_health;

enum hs_dep_kind {
	HS_DEP_MONGO = 0, HS_DEP_REDIS, HS_DEP_KAFKA, HS_DEP_ETCD, HS_DEP_GRPC, HS_DEP_TCP
};

typedef struct hs_profile_dep {
	char *name;              /* required */
	enum hs_dep_kind kind;   /* required */
	char *address;           /* SECRET (redact). YAML key `address` or `url` (one of them,
	                            required): a URI for mongo/redis/etcd, brokers for kafka,
	                            host:port for grpc/tcp */
	int timeout_ms;          /* 1-600000, default 5000 */
} hs_profile_dep;

enum hs_direction { HS_DIR_ABOVE = 0, HS_DIR_BELOW };

typedef struct hs_profile_query {
	char *name;              /* required, [A-Za-z0-9_.-]+ (used in entry names) */
	char *query;             /* PromQL, required */
	enum hs_direction direction; /* "above" (default): value >= warn/crit is bad;
	                                "below": value <= warn/crit is bad */
	bool has_warn, has_crit;
	double warn, crit;
	char *unit;              /* free text for reports, NULL if none */
	char *runbook_section;   /* heading of the runbook a finding points to, NULL if none */
} hs_profile_query;

typedef struct hs_profile_thresholds {
	int64_t consumer_lag_max;      /* Kafka lag per group above which: finding; default 1000 */
	double success_rate_min;       /* 0-1; default 0.95 */
	double redis_memory_ratio_max; /* used_memory / maxmemory; 0-1; default 0.9 */
	int64_t pod_restarts_max;      /* container restarts; default 3 */
	int64_t health_latency_max_ms; /* slow health endpoint; default 1000 */
} hs_profile_thresholds;

typedef struct hs_profile_diag {
	hs_profile_health *health;
	size_t n_health;
	hs_profile_dep *dependencies;
	size_t n_dependencies;
	char *prometheus_url;    /* SECRET-ish (redact). NULL: no Prometheus */
	hs_profile_query *queries;
	size_t n_queries;
	char *alertmanager_url;  /* SECRET-ish (redact). NULL: no Alertmanager */
	hs_profile_thresholds thresholds;
	hs_strlist redact;       /* POSIX extended regexes, case-insensitive, checked with
	                            regcomp() at load; matches in bundle text become "***" */
} hs_profile_diag;

/* ---------------------------------------------------------------- silence */

typedef struct hs_profile_matcher {
	char *name;              /* label name */
	char *value;             /* value or regex */
	bool is_regex;           /* =~ or !~ */
	bool is_equal;           /* = or =~ (false for != and !~) */
} hs_profile_matcher;

typedef struct hs_profile_silence {
	hs_profile_matcher *matchers; /* YAML: strings like 'alertname=~"FlowC.*"'; at least one */
	size_t n_matchers;
	char *comment;           /* default "hivesnap snapshot" */
	char *author;            /* default "hivesnap" */
} hs_profile_silence;

/* ---------------------------------------------------------------- profile */

typedef struct hs_profile {
	char *name;              /* required, [A-Za-z0-9_.-]+, used in archive names */
	char *origin;            /* the file path, or "(built-in)" */
	hs_profile_mongo *mongo; /* NULL: not configured */
	hs_profile_redis *redis;
	hs_profile_kafka *kafka;
	hs_profile_k8s *k8s;
	hs_profile_diag *diag;
	hs_profile_silence *silence;
} hs_profile;

/* The display name of the built-in profile in errors and in `origin`. */
#define HS_PROFILE_BUILTIN_NAME "(built-in)"

/*
 * Load the profile at path (YAML), or the built-in Flow C profile when
 * path is NULL.  ${VAR} and ${VAR:-default} are expanded from the
 * environment.  Errors name the file, line and key (HS_EXIT_DATA); a file
 * that cannot be read is HS_EXIT_DATA with the path and strerror.
 * The caller frees *out with hs_profile_free(); *out is NULL on failure.
 */
int hs_profile_load(hs_profile **out, const char *path, hs_error *e);

/*
 * Parse len bytes of profile YAML.  display names the text in errors and
 * becomes p->origin.  No I/O: unit tests and fuzzers call this directly.
 */
int hs_profile_parse(hs_profile **out, const char *data, size_t len, const char *display,
		     hs_error *e);

void hs_profile_free(hs_profile *p);

/* The profile's name (used in archive names and headers). */
const char *hs_profile_name(const hs_profile *p);

/* The built-in Flow C profile: commented YAML, NUL-terminated, static. */
extern const char hs_profile_default_yaml[];

/*
 * Expand ${VAR}, ${VAR:-default} and $${ in s (one scalar value) from the
 * environment into out (appended).  On error returns -1 and fills e with
 * "<reason>" only (no file or line: the caller adds them).
 */
struct hs_buf;
int hs_profile_expand(const char *s, struct hs_buf *out, hs_error *e);

/*
 * Parse a duration such as "90s", "15m", "1h30m", "2d" (units s m h d,
 * plain digits = seconds) into seconds.  Returns 0, or -1 if malformed.
 */
int hs_duration_parse(const char *s, int64_t *seconds);

/* True when a kafka.config key names a secret (password, secret, sasl.jaas, ssl.key ...). */
bool hs_profile_secret_key(const char *key);

/* Names of the enums, as written in YAML. */
const char *hs_read_pref_name(enum hs_read_pref r);
/* "auto", "server", "client"; hs_mongo_sort_parse: -1 for any other name. */
const char *hs_mongo_sort_name(enum hs_mongo_sort s);
int hs_mongo_sort_parse(const char *name);
const char *hs_health_kind_name(enum hs_health_kind k);
const char *hs_dep_kind_name(enum hs_dep_kind k);
const char *hs_direction_name(enum hs_direction d);

/*
 * The effective profile as a JSON document (the shape of
 * schemas/profile.schema.json): every default filled in, absent sections
 * left out.  With redact, SECRET values are redacted (URIs through
 * hs_uri_redact, secret kafka.config values as "***").  Returns a new
 * reference (json_t *, declared void * to keep jansson out of this header);
 * the caller json_decref()s it.
 */
void *hs_profile_to_json(const hs_profile *p, bool redact);

#endif
