/*
 * Unit tests of the profile parser: a full file, the built-in Flow C
 * profile, every kind of invalid input (with the exact message), ${VAR}
 * expansion, and redaction in the JSON form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "profile.h"

static char *fixture(const char *name)
{
	const char *dir = getenv("HS_FIXTURES");
	hs_buf b = HS_BUF_INIT;

	assert_non_null(dir);
	hs_buf_addf(&b, "%s/profiles/%s", dir, name);
	return hs_buf_detach(&b, NULL);
}

static hs_profile *parse_ok(const char *yaml)
{
	hs_profile *p = NULL;
	hs_error e;

	hs_error_init(&e);
	if (hs_profile_parse(&p, yaml, strlen(yaml), "t.yaml", &e) != 0)
		fail_msg("unexpected error: %s", e.msg);
	assert_non_null(p);
	return p;
}

/* Parse must fail with HS_EXIT_DATA and exactly this message. */
static void parse_fails(const char *yaml, const char *want)
{
	hs_profile *p = (hs_profile *)1;
	hs_error e;

	hs_error_init(&e);
	assert_int_equal(hs_profile_parse(&p, yaml, strlen(yaml), "t.yaml", &e), -1);
	assert_null(p);
	assert_int_equal(e.code, HS_EXIT_DATA);
	if (strcmp(e.msg, want) != 0)
		print_error("got:  %s\nwant: %s\n", e.msg, want);
	assert_string_equal(e.msg, want);
}

static int has(const hs_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- valid */

static void test_full_file(void **state)
{
	hs_profile *p = NULL;
	hs_error e;
	char *path = fixture("full.yaml");

	(void)state;
	unsetenv("HS_TEST_MONGO_PASSWORD");
	setenv("HS_TEST_KAFKA_PASSWORD", "kafka-s3cret", 1);
	hs_error_init(&e);
	if (hs_profile_load(&p, path, &e))
		fail_msg("%s", e.msg);
	assert_string_equal(hs_profile_name(p), "full-test");
	assert_string_equal(p->origin, path);

	assert_non_null(p->mongo);
	assert_string_equal(p->mongo->uri, "mongodb://backup:pw@h1:27017,h2:27017/admin?replicaSet=rs0");
	assert_int_equal(p->mongo->read_preference, HS_READ_SECONDARY_PREFERRED);
	assert_int_equal(p->mongo->parallel, 8);
	assert_int_equal(p->mongo->n_databases, 2);
	assert_false(p->mongo->databases[0].all_collections);
	assert_int_equal(p->mongo->databases[0].collections.n, 2);
	assert_int_equal(p->mongo->databases[0].filters.n, 1);
	assert_string_equal(p->mongo->databases[0].filters.v[0].key, "execution_tickets");
	assert_string_equal(p->mongo->databases[0].filters.v[0].value, "{\"status\": \"RUNNING\"}");
	assert_true(p->mongo->databases[1].all_collections);
	assert_true(has(&p->mongo->databases[1].exclude, "*.bak"));

	assert_int_equal(p->redis->n_dbs, 2);
	assert_int_equal(p->redis->dbs[0].patterns.n, 2);
	assert_int_equal(p->redis->dbs[1].db, 3);
	assert_int_equal(p->redis->dbs[1].patterns.n, 1); /* default "*" */
	assert_string_equal(p->redis->dbs[1].patterns.v[0], "*");
	assert_int_equal(p->redis->scan_count, 200);
	assert_int_equal(p->redis->batch, 50);

	assert_string_equal(p->kafka->brokers, "k1:9092,k2:9092");
	assert_int_equal(p->kafka->config.n, 5);
	assert_string_equal(p->kafka->config.v[3].key, "sasl.password");
	assert_string_equal(p->kafka->config.v[3].value, "kafka-s3cret");
	assert_string_equal(p->kafka->config.v[4].value, "5000");
	assert_true(has(&p->kafka->groups, "worker-*"));
	assert_int_equal(p->kafka->timeout_ms, 2000);
	assert_int_equal(p->kafka->timestamp_budget_ms, 0);

	assert_string_equal(p->k8s->kubeconfig, "/etc/hivesnap/kubeconfig");
	assert_string_equal(p->k8s->context, "prod");
	assert_int_equal(p->k8s->n_namespaces, 2);
	{
		hs_profile_k8s_ns *ns = &p->k8s->namespaces[0];

		assert_string_equal(ns->configmap_selector, "app=orchestrator");
		assert_true(has(&ns->configmaps, "orchestrator-config"));
		assert_true(has(&ns->deployments, "*"));
		assert_true(ns->pods);
		assert_string_equal(ns->pod_selector, "app=orchestrator-dynamic");
		assert_true(ns->events);
		assert_true(ns->logs.enabled);
		assert_int_equal(ns->logs.since_seconds, 5400);
		assert_int_equal(ns->logs.tail_lines, 50);
		assert_int_equal(ns->logs.limit_bytes, 0);
		assert_true(ns->logs.previous);
		ns = &p->k8s->namespaces[1];
		assert_false(ns->pods);
		assert_null(ns->pod_selector);
		assert_false(ns->logs.enabled);
		assert_null(ns->configmap_selector);
	}

	assert_int_equal(p->diag->n_health, 2);
	assert_int_equal(p->diag->health[0].kind, HS_HEALTH_HTTP);
	assert_int_equal(p->diag->health[0].timeout_ms, 5000);
	assert_int_equal(p->diag->health[1].kind, HS_HEALTH_GRPC);
	assert_int_equal(p->diag->health[1].timeout_ms, 250);
	assert_int_equal(p->diag->n_dependencies, 2);
	assert_int_equal(p->diag->dependencies[0].kind, HS_DEP_ETCD);
	assert_string_equal(p->diag->dependencies[0].address, "http://127.0.0.1:2379");
	assert_int_equal(p->diag->dependencies[1].kind, HS_DEP_TCP);
	assert_int_equal(p->diag->n_queries, 2);
	assert_int_equal(p->diag->queries[0].direction, HS_DIR_BELOW);
	assert_true(p->diag->queries[0].has_warn && p->diag->queries[0].has_crit);
	assert_true(p->diag->queries[0].crit == 0.9);
	assert_false(p->diag->queries[1].has_warn);
	assert_null(p->diag->queries[1].runbook_section);
	assert_string_equal(p->diag->alertmanager_url, "http://127.0.0.1:9093");
	assert_int_equal(p->diag->thresholds.consumer_lag_max, 5);
	assert_true(p->diag->thresholds.success_rate_min == 0.5);
	assert_true(p->diag->thresholds.redis_memory_ratio_max == 0.9); /* default */
	assert_int_equal(p->diag->redact.n, 1);

	assert_int_equal(p->silence->n_matchers, 3);
	assert_string_equal(p->silence->matchers[0].name, "alertname");
	assert_string_equal(p->silence->matchers[0].value, "FlowC.*");
	assert_true(p->silence->matchers[0].is_regex && p->silence->matchers[0].is_equal);
	assert_false(p->silence->matchers[1].is_regex || p->silence->matchers[1].is_equal);
	assert_string_equal(p->silence->matchers[1].value, "info");
	assert_string_equal(p->silence->matchers[2].value, "a \"b\"");
	assert_string_equal(p->silence->author, "ops");

	hs_profile_free(p);
	free(path);
	unsetenv("HS_TEST_KAFKA_PASSWORD");
}

static void test_minimal_and_defaults(void **state)
{
	hs_profile *p;

	(void)state;
	p = parse_ok("name: x\n");
	assert_null(p->mongo);
	assert_null(p->redis);
	assert_null(p->kafka);
	assert_null(p->k8s);
	assert_null(p->diag);
	assert_null(p->silence);
	hs_profile_free(p);

	p = parse_ok("name: x\nmongo: {uri: 'mongodb://h', databases: [{name: d}]}\n"
		     "redis: {uri: 'redis://h'}\nkafka: {brokers: 'h:9092'}\n"
		     "silence: {matchers: ['a=b']}\nk8s: {namespaces: [{name: n}]}\n");
	assert_int_equal(p->mongo->parallel, 4);
	assert_int_equal(p->mongo->read_preference, HS_READ_PRIMARY);
	assert_true(p->mongo->databases[0].all_collections);
	assert_int_equal(p->redis->n_dbs, 1);
	assert_int_equal(p->redis->dbs[0].db, 0);
	assert_string_equal(p->redis->dbs[0].patterns.v[0], "*");
	assert_int_equal(p->redis->scan_count, 1000);
	assert_string_equal(p->kafka->groups.v[0], "*");
	assert_int_equal(p->kafka->timeout_ms, 10000);
	assert_string_equal(p->silence->author, "hivesnap");
	assert_null(p->k8s->kubeconfig);
	assert_int_equal(p->k8s->timeout_ms, 30000);
	assert_false(p->k8s->namespaces[0].events);
	hs_profile_free(p);

	setenv("HOME", "/home/op", 1);
	p = parse_ok("name: x\nk8s: {kubeconfig: ~/.kube/prod, namespaces: [{name: n}]}\n");
	assert_string_equal(p->k8s->kubeconfig, "/home/op/.kube/prod");
	hs_profile_free(p);

	/* a null section is an absent one */
	p = parse_ok("name: x\nredis:\nkafka: ~\n");
	assert_null(p->redis);
	assert_null(p->kafka);
	hs_profile_free(p);
}

static void test_builtin(void **state)
{
	hs_profile *p = NULL;
	hs_error e;
	size_t i, n_sections = 0;
	int found_cb = 0;

	(void)state;
	/* the defaults, whatever environment the suite runs in (test.sh exports the peers') */
	unsetenv("HIVESNAP_MONGO_URI");
	unsetenv("HIVESNAP_KAFKA_BROKERS");
	unsetenv("HIVESNAP_PROMETHEUS_URL");
	unsetenv("HIVESNAP_ALERTMANAGER_URL");
	unsetenv("HIVESNAP_ETCD_URL");
	unsetenv("KUBECONFIG");
	setenv("HIVESNAP_REDIS_URI", "redis://:pw@10.0.0.9:6380/0", 1);
	hs_error_init(&e);
	if (hs_profile_load(&p, NULL, &e))
		fail_msg("%s", e.msg);
	assert_string_equal(p->name, "flowc");
	assert_string_equal(p->origin, HS_PROFILE_BUILTIN_NAME);
	assert_string_equal(p->mongo->uri, "mongodb://127.0.0.1:27017");
	assert_string_equal(p->redis->uri, "redis://:pw@10.0.0.9:6380/0");
	assert_string_equal(p->kafka->brokers, "127.0.0.1:9092");
	assert_string_equal(p->mongo->databases[0].name, "neural_hive");
	assert_true(has(&p->mongo->databases[0].collections, "execution_tickets"));
	assert_true(has(&p->mongo->databases[0].collections, "validation_audit"));
	assert_true(has(&p->mongo->databases[0].collections, "workflow_results"));
	assert_int_equal(p->redis->dbs[0].db, 0);
	assert_true(has(&p->redis->dbs[0].patterns, "decision:processed:*"));
	assert_true(has(&p->redis->dbs[0].patterns, "ticket:processed:*"));
	assert_true(has(&p->redis->dbs[0].patterns, "pheromone:*"));
	assert_true(has(&p->redis->dbs[0].patterns, "telemetry:buffer:*"));
	assert_true(has(&p->kafka->topics, "plans.consensus"));
	assert_true(has(&p->kafka->topics, "execution.tickets"));
	assert_true(has(&p->kafka->groups, "orchestrator-consumers"));
	assert_true(has(&p->kafka->groups, "worker-consumers"));
	assert_true(p->k8s->n_namespaces >= 3);
	assert_string_equal(p->k8s->namespaces[0].name, "neural-hive-orchestration");
	assert_true(has(&p->k8s->namespaces[0].deployments, "orchestrator-dynamic"));
	assert_true(has(&p->k8s->namespaces[0].deployments, "execution-ticket-service"));
	assert_true(has(&p->k8s->namespaces[0].configmaps, "orchestrator-config"));
	assert_true(has(&p->k8s->namespaces[0].hpas, "orchestrator-dynamic"));
	assert_string_equal(p->k8s->namespaces[1].name, "neural-hive-execution");
	assert_true(has(&p->k8s->namespaces[1].deployments, "worker-agents"));
	assert_true(has(&p->k8s->namespaces[1].configmaps, "worker-agents-config"));
	assert_true(has(&p->k8s->namespaces[1].hpas, "worker-agents"));
	assert_string_equal(p->k8s->namespaces[2].name, "neural-hive-registry");
	assert_true(has(&p->k8s->namespaces[2].deployments, "service-registry"));
	assert_int_equal(p->diag->n_health, 5);
	assert_string_equal(p->diag->health[1].url, "http://127.0.0.1:8000/ready");
	assert_int_equal(p->diag->health[4].kind, HS_HEALTH_GRPC);
	assert_string_equal(p->diag->health[4].url, "127.0.0.1:50051");
	assert_int_equal(p->diag->n_dependencies, 5);
	assert_int_equal(p->diag->dependencies[3].kind, HS_DEP_ETCD);
	assert_true(p->diag->n_queries >= 8);
	for (i = 0; i < p->diag->n_queries; i++) {
		if (p->diag->queries[i].runbook_section)
			n_sections++;
		if (strstr(p->diag->queries[i].query, "neural_hive_circuit_breaker_state{component=\"orchestrator\"}"))
			found_cb = 1;
	}
	assert_int_equal(n_sections, p->diag->n_queries);
	assert_true(found_cb);
	assert_string_equal(p->diag->prometheus_url, "http://127.0.0.1:9090");
	assert_string_equal(p->diag->alertmanager_url, "http://127.0.0.1:9093");
	assert_string_equal(p->silence->matchers[0].name, "alertname");
	assert_string_equal(p->silence->matchers[0].value, "FlowC.*");
	assert_true(p->silence->matchers[0].is_regex);
	hs_profile_free(p);
	unsetenv("HIVESNAP_REDIS_URI");

	/* the text init prints is the text load parses */
	p = parse_ok(hs_profile_default_yaml);
	assert_string_equal(p->name, "flowc");
	hs_profile_free(p);
}

/* -------------------------------------------------------------- invalid */

static void test_unknown_key(void **state)
{
	(void)state;
	parse_fails("name: x\nkafka:\n  brokers: h:9092\n  group: [a]\n",
		    "profile 't.yaml' line 4: key 'kafka.group': unknown key (expected one of: brokers, "
		    "config, groups, topics, timeout_ms, timestamp_budget_ms)");
	parse_fails("name: x\nnmae: y\n",
		    "profile 't.yaml' line 2: key 'nmae': unknown key (expected one of: name, mongo, "
		    "redis, kafka, k8s, diag, silence)");
	parse_fails("name: x\nname: y\n", "profile 't.yaml' line 2: key 'name': duplicate key");
}

static void test_bad_type(void **state)
{
	char *path = fixture("bad-type.yaml");
	hs_profile *p = NULL;
	hs_buf want = HS_BUF_INIT;
	hs_error e;

	(void)state;
	parse_fails("name: x\nredis:\n  uri: redis://h\n  dbs:\n    - db: 16\n",
		    "profile 't.yaml' line 5: key 'redis.dbs[0].db': expected an integer 0-15");
	parse_fails("name: x\nmongo: {uri: 'mongodb://h', parallel: many, databases: [{name: d}]}\n",
		    "profile 't.yaml' line 2: key 'mongo.parallel': expected an integer 1-64");
	parse_fails("name: x\nkafka: {brokers: [a, b]}\n",
		    "profile 't.yaml' line 2: key 'kafka.brokers': expected a string");
	parse_fails("name: x\nkafka: {brokers: h, topics: t}\n",
		    "profile 't.yaml' line 2: key 'kafka.topics': expected a list of strings");
	parse_fails("name: x\nk8s:\n  namespaces:\n    - name: n\n      events: maybe\n",
		    "profile 't.yaml' line 5: key 'k8s.namespaces[0].events': expected true or false");
	parse_fails("name: x\nk8s:\n  namespaces:\n    - name: n\n      logs: {since: soon}\n",
		    "profile 't.yaml' line 5: key 'k8s.namespaces[0].logs.since': expected a duration like "
		    "30m, 1h or 2d");
	parse_fails("name: x\nredis: [a]\n", "profile 't.yaml' line 2: key 'redis': expected a mapping");
	parse_fails("- a\n- b\n", "profile 't.yaml' line 1: expected a mapping at the top level");
	parse_fails("name: x\nmongo: {uri: 'http://h', databases: [{name: d}]}\n",
		    "profile 't.yaml' line 2: key 'mongo.uri': expected a mongodb:// or mongodb+srv:// URI");
	parse_fails("name: x\nmongo:\n  uri: mongodb://h\n  databases:\n    - name: d\n      filters: {c: 'nope'}\n",
		    "profile 't.yaml' line 6: key 'mongo.databases[0].filters.c': expected an Extended JSON object");
	parse_fails("name: x\ndiag: {redact: ['(unclosed']}\n",
		    "profile 't.yaml' line 2: key 'diag.redact[0]': expected a POSIX extended regular expression");
	parse_fails("name: x\nsilence: {matchers: ['alertname~FlowC']}\n",
		    "profile 't.yaml' line 2: key 'silence.matchers[0]': expected a matcher like "
		    "alertname=~\"FlowC.*\" (ops = != =~ !~)");
	parse_fails("name: 'a b'\n",
		    "profile 't.yaml' line 1: key 'name': expected 1-64 letters, digits, '_', '.' or '-'");

	/* the fixture file: its path and line */
	hs_error_init(&e);
	assert_int_equal(hs_profile_load(&p, path, &e), -1);
	assert_null(p);
	assert_int_equal(e.code, HS_EXIT_DATA);
	hs_buf_addf(&want, "profile '%s' line 6: key 'redis.dbs[1].db': expected an integer 0-15", path);
	assert_string_equal(e.msg, want.data);
	hs_buf_release(&want);
	free(path);
}

static void test_bad_enum(void **state)
{
	(void)state;
	parse_fails("name: x\nmongo:\n  uri: mongodb://h\n  read_preference: fastest\n  databases: [{name: d}]\n",
		    "profile 't.yaml' line 4: key 'mongo.read_preference': expected one of: primary, "
		    "primaryPreferred, secondary, secondaryPreferred, nearest");
	parse_fails("name: x\ndiag:\n  dependencies:\n    - {name: a, kind: postgres, address: h}\n",
		    "profile 't.yaml' line 4: key 'diag.dependencies[0].kind': expected one of: mongo, redis, "
		    "kafka, etcd, grpc, tcp");
	parse_fails("name: x\ndiag:\n  health:\n    - {name: a, url: 'h:1', kind: soap}\n",
		    "profile 't.yaml' line 4: key 'diag.health[0].kind': expected one of: http, grpc");
}

static void test_missing_required(void **state)
{
	(void)state;
	parse_fails("mongo: {uri: 'mongodb://h'}\n", "profile 't.yaml' line 1: key 'name': missing (required)");
	parse_fails("name: x\nmongo:\n  databases: [{name: d}]\n",
		    "profile 't.yaml' line 3: key 'mongo.uri': missing (required)");
	parse_fails("name: x\nmongo:\n  uri: mongodb://h\n",
		    "profile 't.yaml' line 3: key 'mongo.databases': missing (required)");
	parse_fails("name: x\nmongo:\n  uri: mongodb://h\n  databases: []\n",
		    "profile 't.yaml' line 4: key 'mongo.databases': expected a non-empty list");
	parse_fails("name: x\nredis:\n  uri: redis://h\n  dbs:\n    - patterns: [a]\n",
		    "profile 't.yaml' line 5: key 'redis.dbs[0].db': missing (required)");
	parse_fails("name: x\ndiag:\n  health:\n    - name: a\n",
		    "profile 't.yaml' line 4: key 'diag.health[0].url': missing (required)");
	parse_fails("name: x\ndiag:\n  dependencies:\n    - {name: a, kind: tcp}\n",
		    "profile 't.yaml' line 4: key 'diag.dependencies[0].address': missing (required)");
	parse_fails("name: x\nkafka:\n  brokers: ''\n",
		    "profile 't.yaml' line 3: key 'kafka.brokers': expected a non-empty string");
}

static void test_bad_yaml(void **state)
{
	hs_profile *p = NULL;
	hs_error e;
	char *path = fixture("bad-syntax.yaml");

	(void)state;
	parse_fails("name: x\nmongo:\n  uri: [a\n",
		    "profile 't.yaml' line 4: invalid YAML: did not find expected ',' or ']' while parsing a "
		    "flow sequence (line 3)");
	parse_fails("name: x\n  bad: indent\n",
		    "profile 't.yaml' line 2: invalid YAML: mapping values are not allowed in this context");
	parse_fails("", "profile 't.yaml': empty document");
	parse_fails("name: a\n---\nname: b\n", "profile 't.yaml' line 2: more than one YAML document");

	hs_error_init(&e);
	assert_int_equal(hs_profile_load(&p, path, &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_non_null(strstr(e.msg, "line 5: invalid YAML"));
	assert_non_null(strstr(e.msg, path));
	free(path);

	hs_error_init(&e);
	assert_int_equal(hs_profile_load(&p, "/nonexistent/p.yaml", &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_string_equal(e.msg, "cannot read profile '/nonexistent/p.yaml': No such file or directory");
	assert_null(p);
}

/* ------------------------------------------------------------ expansion */

static void expand_ok(const char *in, const char *want)
{
	hs_buf b = HS_BUF_INIT;
	hs_error e;

	hs_error_init(&e);
	if (hs_profile_expand(in, &b, &e))
		fail_msg("expand('%s'): %s", in, e.msg);
	assert_string_equal(b.data ? b.data : "", want);
	hs_buf_release(&b);
}

static void expand_fails(const char *in, const char *want)
{
	hs_buf b = HS_BUF_INIT;
	hs_error e;

	hs_error_init(&e);
	assert_int_equal(hs_profile_expand(in, &b, &e), -1);
	assert_int_equal(e.code, HS_EXIT_DATA);
	assert_string_equal(e.msg, want);
	hs_buf_release(&b);
}

static void test_env_expansion(void **state)
{
	hs_profile *p;

	(void)state;
	setenv("HS_T_HOST", "db.example", 1);
	setenv("HS_T_EMPTY", "", 1);
	unsetenv("HS_T_UNSET");
	expand_ok("mongodb://${HS_T_HOST}:27017", "mongodb://db.example:27017");
	expand_ok("${HS_T_UNSET:-fallback}", "fallback");
	expand_ok("${HS_T_EMPTY:-fallback}", "fallback");
	expand_ok("${HS_T_HOST:-fallback}", "db.example");
	expand_ok("${HS_T_UNSET:-}", "");
	expand_ok("${HS_T_EMPTY}", "");
	expand_ok("$${HS_T_HOST} costs $5 and $$ and ${HS_T_HOST}", "${HS_T_HOST} costs $5 and $$ and db.example");
	expand_ok("a${HS_T_UNSET:-x:y/z}b", "ax:y/zb");
	expand_fails("${HS_T_UNSET}",
		     "environment variable 'HS_T_UNSET' is not set (use ${HS_T_UNSET:-default} for a default)");
	expand_fails("${HS_T_HOST", "malformed variable reference (expected ${NAME} or ${NAME:-default})");
	expand_fails("${}", "malformed variable reference (expected ${NAME} or ${NAME:-default})");
	expand_fails("${1X}", "malformed variable reference (expected ${NAME} or ${NAME:-default})");
	expand_fails("${A-b}", "malformed variable reference (expected ${NAME} or ${NAME:-default})");
	expand_fails("${A:-b", "malformed variable reference (no closing '}')");

	/* in a profile: expanded before typing, errors carry line and key */
	setenv("HS_T_PAR", "12", 1);
	p = parse_ok("name: ${HS_T_NAME:-from-default}\nmongo:\n  uri: mongodb://${HS_T_HOST}\n"
		     "  parallel: ${HS_T_PAR}\n  databases: [{name: '$${literal}'}]\n");
	assert_string_equal(p->name, "from-default");
	assert_string_equal(p->mongo->uri, "mongodb://db.example");
	assert_int_equal(p->mongo->parallel, 12);
	assert_string_equal(p->mongo->databases[0].name, "${literal}");
	hs_profile_free(p);
	parse_fails("name: x\nredis:\n  uri: redis://${HS_T_UNSET}/0\n",
		    "profile 't.yaml' line 3: key 'redis.uri': environment variable 'HS_T_UNSET' is not set "
		    "(use ${HS_T_UNSET:-default} for a default)");
	parse_fails("name: x\nredis:\n  uri: redis://${HS_T_HOST/0\n",
		    "profile 't.yaml' line 3: key 'redis.uri': malformed variable reference (expected ${NAME} "
		    "or ${NAME:-default})");
	/* a secret from the environment never appears in an error */
	setenv("HS_T_SECRET", "hunter2", 1);
	parse_fails("name: x\nmongo: {uri: 'mongodb://h', parallel: '${HS_T_SECRET}', databases: [{name: d}]}\n",
		    "profile 't.yaml' line 2: key 'mongo.parallel': expected an integer 1-64");
	unsetenv("HS_T_SECRET");
	/* bytes from the environment must still be UTF-8 (reports are JSON) */
	setenv("HS_T_BIN", "a\xff\xfe", 1);
	parse_fails("name: x\nk8s: {context: '${HS_T_BIN}', namespaces: [{name: n}]}\n",
		    "profile 't.yaml' line 2: key 'k8s.context': not valid UTF-8 after ${VAR} expansion");
	setenv("HS_T_BIN", "caf\xc3\xa9 \xe2\x82\xac", 1);
	p = parse_ok("name: x\nk8s: {context: '${HS_T_BIN}', namespaces: [{name: n}]}\n");
	assert_string_equal(p->k8s->context, "caf\xc3\xa9 \xe2\x82\xac");
	hs_profile_free(p);
	unsetenv("HS_T_BIN");
	unsetenv("HS_T_HOST");
	unsetenv("HS_T_EMPTY");
	unsetenv("HS_T_PAR");
}

static void test_duration(void **state)
{
	int64_t s = -1;

	(void)state;
	assert_int_equal(hs_duration_parse("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(hs_duration_parse("15m", &s), 0);
	assert_int_equal(s, 900);
	assert_int_equal(hs_duration_parse("1h30m", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(hs_duration_parse("2d", &s), 0);
	assert_int_equal(s, 172800);
	assert_int_equal(hs_duration_parse("", &s), -1);
	assert_int_equal(hs_duration_parse("1w", &s), -1);
	assert_int_equal(hs_duration_parse("h", &s), -1);
	assert_int_equal(hs_duration_parse("-5m", &s), -1);
	assert_int_equal(hs_duration_parse("99999999999999999999d", &s), -1);
}

/* ------------------------------------------------------------- redaction */

static void test_json_redacts_secrets(void **state)
{
	hs_profile *p;
	json_t *j, *r;
	char *text;

	(void)state;
	setenv("HS_T_PW", "Sup3rS3cret", 1);
	p = parse_ok("name: x\nmongo: {uri: 'mongodb://u:${HS_T_PW}@h/db', databases: [{name: d}]}\n"
		     "redis: {uri: 'redis://:${HS_T_PW}@h:6379/0'}\n"
		     "kafka:\n  brokers: h:9092\n  config:\n    sasl.password: ${HS_T_PW}\n"
		     "    sasl.jaas.config: ${HS_T_PW}\n    ssl.key.pem: ${HS_T_PW}\n"
		     "    client.secret: ${HS_T_PW}\n    sasl.username: alice\n"
		     "diag:\n  prometheus: {url: 'https://p/?token=${HS_T_PW}'}\n"
		     "  dependencies: [{name: m, kind: mongo, address: 'mongodb://u:${HS_T_PW}@h'}]\n");
	j = hs_profile_to_json(p, true);
	text = json_dumps(j, 0);
	assert_null(strstr(text, "Sup3rS3cret"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "mongo"), "uri")),
			    "mongodb://u:***@h/db");
	r = json_object_get(json_object_get(j, "kafka"), "config");
	assert_string_equal(json_string_value(json_object_get(r, "sasl.password")), "***");
	assert_string_equal(json_string_value(json_object_get(r, "sasl.jaas.config")), "***");
	assert_string_equal(json_string_value(json_object_get(r, "ssl.key.pem")), "***");
	assert_string_equal(json_string_value(json_object_get(r, "client.secret")), "***");
	assert_string_equal(json_string_value(json_object_get(r, "sasl.username")), "alice");
	free(text);
	json_decref(j);

	/* unredacted on request (for the code that connects) */
	j = hs_profile_to_json(p, false);
	text = json_dumps(j, 0);
	assert_non_null(strstr(text, "Sup3rS3cret"));
	free(text);
	json_decref(j);
	hs_profile_free(p);
	unsetenv("HS_T_PW");

	assert_true(hs_profile_secret_key("ssl.keystore.password"));
	assert_true(hs_profile_secret_key("SASL.JAAS.CONFIG"));
	assert_false(hs_profile_secret_key("security.protocol"));
}

/*
 * A poor man's fuzz run: the built-in text truncated at every offset and
 * with random bytes changed must parse or fail cleanly (ASan/UBSan watch),
 * and every failure must carry a code and a message.
 */
static void test_truncated_and_mutated(void **state)
{
	const char *text = hs_profile_default_yaml;
	size_t len = strlen(text), i;
	uint32_t seed = 12345;
	char *copy = malloc(len + 1);

	(void)state;
	assert_non_null(copy);
	for (i = 0; i < len; i += 4) {
		hs_profile *p = NULL;
		hs_error e;

		hs_error_init(&e);
		if (hs_profile_parse(&p, text, i, "trunc", &e) == 0) {
			assert_non_null(p);
			hs_profile_free(p);
		} else {
			assert_null(p);
			assert_true(e.code == HS_EXIT_DATA);
			assert_true(e.msg[0] != '\0');
		}
	}
	for (i = 0; i < 2000; i++) {
		hs_profile *p = NULL;
		hs_error e;
		int k;

		memcpy(copy, text, len + 1);
		for (k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % len] = (char)(" :-[]{}\"'&*!|>#$\n\t0a"[(seed >> 3) % 20]);
		}
		hs_error_init(&e);
		if (hs_profile_parse(&p, copy, len, "mutated", &e) == 0)
			hs_profile_free(p);
		else
			assert_true(e.code == HS_EXIT_DATA && e.msg[0]);
	}
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_type),
		cmocka_unit_test(test_bad_enum),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_bad_yaml),
		cmocka_unit_test(test_env_expansion),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_json_redacts_secrets),
		cmocka_unit_test(test_truncated_and_mutated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
