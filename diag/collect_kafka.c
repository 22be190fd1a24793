/*
 * collect_kafka.c - the "kafka" diag collector: per profile consumer group
 * (names, or globs matched over ListConsumerGroups) its state, members and,
 * per committed partition, the committed offset, the log-end offset and
 * the lag, into diag/kafka/groups.json; the topics in scope (the profile's,
 * plus every topic a group commits to) with their partitions, leaders,
 * replicas and watermarks into diag/kafka/topics.json.
 *
 * Findings: a group's total lag over thresholds.consumer_lag_max (warning;
 * critical at 10 times it), runbook "Kafka Operations"; the brokers
 * unreachable (critical; the collector fails), "Check Dependencies".
 * Every broker call is bounded by kafka.timeout_ms and by what is left of
 * the collector's budget.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "diag.h"
#include "sources/kafka/kafka_common.h"

typedef struct kf_run {
	const hs_diag_ctx *ctx;
	hs_diag_out *o;
	const hs_profile_kafka *pk;
	rd_kafka_t *rk;
	const struct rd_kafka_metadata *md;
	int tmo;                 /* per call, ms */
	json_t *groups;          /* name -> group document */
	json_t *topics;          /* name -> true: topics in scope */
} kf_run;

static bool kf_configured(const hs_profile *p)
{
	return p && p->kafka;
}

/* The profile's diag thresholds, or the defaults when it has no diag section. */
static const hs_profile_thresholds *kf_thresholds(const hs_profile *p)
{
	static const hs_profile_thresholds def = { 1000, 0.95, 0.9, 3, 1000 };

	return p->diag ? &p->diag->thresholds : &def;
}

static bool kf_is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* A new empty group document. */
static json_t *kf_group_new(const char *name)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:I}", "group", name, "state", "Unknown", "members", json_array(),
			 "partitions", json_array(), "total_lag", (json_int_t)0);
}

/* The groups: every profile name that is not a glob, plus listed groups matching a glob. */
static int kf_select(kf_run *run, hs_error *e)
{
	const hs_strlist *pat = &run->pk->groups;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_AdminOptions_t *ao = NULL;
	rd_kafka_event_t *ev = NULL;
	bool globs = pat->n == 0;
	size_t i, j, cnt = 0;
	int rc = -1;

	for (i = 0; i < pat->n; i++) {
		if (kf_is_glob(pat->v[i]))
			globs = true;
		else if (!json_object_get(run->groups, pat->v[i]))
			json_object_set_new(run->groups, pat->v[i], kf_group_new(pat->v[i]));
	}
	if (globs) {
		const rd_kafka_ListConsumerGroups_result_t *res;
		const rd_kafka_ConsumerGroupListing_t **ls;

		q = rd_kafka_queue_new(run->rk);
		ao = hs_kafka_admin_options(run->rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, run->tmo);
		rd_kafka_ListConsumerGroups(run->rk, ao, q);
		if (hs_kafka_admin_wait(q, run->tmo, "cannot list consumer groups", &ev, e))
			goto out;
		res = rd_kafka_event_ListConsumerGroups_result(ev);
		ls = rd_kafka_ListConsumerGroups_result_valid(res, &cnt);
		for (i = 0; i < cnt; i++) {
			const char *g = rd_kafka_ConsumerGroupListing_group_id(ls[i]);

			for (j = 0; j < pat->n || (pat->n == 0 && j == 0); j++) {
				if (!pat->n || (kf_is_glob(pat->v[j]) && !fnmatch(pat->v[j], g, 0))) {
					if (!json_object_get(run->groups, g))
						json_object_set_new(run->groups, g, kf_group_new(g));
					break;
				}
			}
		}
	}
	rc = 0;
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (ao)
		rd_kafka_AdminOptions_destroy(ao);
	if (q)
		rd_kafka_queue_destroy(q);
	return rc;
}

/* DescribeConsumerGroups: state and members of every selected group. */
static int kf_describe(kf_run *run, hs_error *e)
{
	size_t n = json_object_size(run->groups), i = 0, cnt, k, j;
	const char **names = hs_xcalloc(n ? n : 1, sizeof(*names));
	rd_kafka_queue_t *q = rd_kafka_queue_new(run->rk);
	rd_kafka_AdminOptions_t *ao = hs_kafka_admin_options(run->rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
							      run->tmo);
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_ConsumerGroupDescription_t **ds;
	const char *key;
	json_t *v;
	int rc = -1;

	json_object_foreach(run->groups, key, v)
		names[i++] = key;
	rd_kafka_DescribeConsumerGroups(run->rk, names, n, ao, q);
	if (hs_kafka_admin_wait(q, run->tmo, "cannot describe consumer groups", &ev, e))
		goto out;
	ds = rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev), &cnt);
	for (k = 0; k < cnt; k++) {
		json_t *g = json_object_get(run->groups, rd_kafka_ConsumerGroupDescription_group_id(ds[k]));
		const rd_kafka_error_t *err = rd_kafka_ConsumerGroupDescription_error(ds[k]);
		json_t *members;

		if (!g)
			continue;
		if (err) {
			json_object_set_new(g, "error", json_string(rd_kafka_error_string(err)));
			continue;
		}
		json_object_set_new(g, "state",
				    json_string(hs_kafka_state_name(rd_kafka_ConsumerGroupDescription_state(ds[k]))));
		members = json_object_get(g, "members");
		for (j = 0; j < rd_kafka_ConsumerGroupDescription_member_count(ds[k]); j++) {
			const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(ds[k], j);
			const rd_kafka_MemberAssignment_t *a = rd_kafka_MemberDescription_assignment(m);
			const rd_kafka_topic_partition_list_t *pl = a ? rd_kafka_MemberAssignment_partitions(a) : NULL;

			json_array_append_new(members, json_pack("{s:s?, s:s?, s:s?, s:i}", "member_id",
								 rd_kafka_MemberDescription_consumer_id(m),
								 "client_id", rd_kafka_MemberDescription_client_id(m),
								 "host", rd_kafka_MemberDescription_host(m),
								 "assigned_partitions", pl ? pl->cnt : 0));
		}
	}
	rc = 0;
out:
	free(names);
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(ao);
	rd_kafka_queue_destroy(q);
	return rc;
}

/* The watermarks of a partition; false when they cannot be read. */
static bool kf_watermarks(kf_run *run, const char *topic, int32_t part, int64_t *low, int64_t *high)
{
	*low = *high = -1;
	return rd_kafka_query_watermark_offsets(run->rk, topic, part, low, high, run->tmo) ==
	       RD_KAFKA_RESP_ERR_NO_ERROR;
}

static int kf_part_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int r = strcmp(json_string_value(json_object_get(x, "topic")), json_string_value(json_object_get(y, "topic")));
	json_int_t px = json_integer_value(json_object_get(x, "partition"));
	json_int_t py = json_integer_value(json_object_get(y, "partition"));

	return r ? r : (px > py) - (px < py);
}

/* Sort an array of {"topic", "partition", ...} by topic, then partition. */
static void kf_sort_parts(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v = hs_xcalloc(n ? n : 1, sizeof(*v));

	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), kf_part_cmp);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/* ListConsumerGroupOffsets for one group, with the lag of each partition. */
static int kf_offsets(kf_run *run, const char *name, json_t *g, hs_error *e)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(run->rk);
	rd_kafka_AdminOptions_t *ao = hs_kafka_admin_options(run->rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
							      run->tmo);
	rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(name, NULL);
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_group_result_t **gr;
	const rd_kafka_topic_partition_list_t *pl;
	json_t *parts = json_object_get(g, "partitions");
	hs_buf what = HS_BUF_INIT;
	json_int_t total = 0;
	size_t cnt;
	int i, rc = -1;

	hs_buf_addf(&what, "cannot list the offsets of group '%s'", name);
	rd_kafka_ListConsumerGroupOffsets(run->rk, &req, 1, ao, q);
	if (hs_kafka_admin_wait(q, run->tmo, what.data, &ev, e))
		goto out;
	gr = rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev),
							    &cnt);
	if (cnt != 1 || rd_kafka_group_result_error(gr[0])) {
		json_object_set_new(g, "error", json_string(cnt != 1 ? "no result"
						: rd_kafka_error_string(rd_kafka_group_result_error(gr[0]))));
		rc = 0;
		goto out;
	}
	pl = rd_kafka_group_result_partitions(gr[0]);
	for (i = 0; pl && i < pl->cnt; i++) {
		const rd_kafka_topic_partition_t *tp = &pl->elems[i];
		int64_t low, high;
		json_t *p;

		if (tp->err || tp->offset < 0)
			continue;
		json_object_set_new(run->topics, tp->topic, json_true());
		p = json_pack("{s:s, s:i, s:I}", "topic", tp->topic, "partition", (int)tp->partition, "committed",
			      (json_int_t)tp->offset);
		if (kf_watermarks(run, tp->topic, tp->partition, &low, &high)) {
			json_int_t lag = high > tp->offset ? high - tp->offset : 0;

			json_object_set_new(p, "log_start", json_integer(low));
			json_object_set_new(p, "log_end", json_integer(high));
			json_object_set_new(p, "lag", json_integer(lag));
			total += lag;
		} else {
			json_object_set_new(p, "log_end", json_null());
			json_object_set_new(p, "lag", json_null());
		}
		json_array_append_new(parts, p);
	}
	kf_sort_parts(parts);
	json_object_set_new(g, "total_lag", json_integer(total));
	rc = 0;
out:
	hs_buf_release(&what);
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_ListConsumerGroupOffsets_destroy(req);
	rd_kafka_AdminOptions_destroy(ao);
	rd_kafka_queue_destroy(q);
	return rc;
}

/* diag/kafka/topics.json: the topics in scope from the metadata, with watermarks. */
static json_t *kf_topics(kf_run *run)
{
	json_t *arr = json_array(), *v;
	const char *name;

	json_object_foreach(run->topics, name, v) {
		const struct rd_kafka_metadata_topic *mt = NULL;
		json_t *parts = json_array();

		for (int j = 0; j < run->md->topic_cnt; j++)
			if (!strcmp(run->md->topics[j].topic, name))
				mt = &run->md->topics[j];
		if (!mt || mt->err) {
			json_array_append_new(arr, json_pack("{s:s, s:b, s:o}", "name", name, "exists", 0,
							     "partitions", parts));
			continue;
		}
		for (int j = 0; j < mt->partition_cnt; j++) {
			const struct rd_kafka_metadata_partition *mp = &mt->partitions[j];
			json_t *rep = json_array(), *isr = json_array();
			int64_t low, high;
			bool ok = kf_watermarks(run, name, mp->id, &low, &high);

			for (int k = 0; k < mp->replica_cnt; k++)
				json_array_append_new(rep, json_integer(mp->replicas[k]));
			for (int k = 0; k < mp->isr_cnt; k++)
				json_array_append_new(isr, json_integer(mp->isrs[k]));
			json_array_append_new(parts, json_pack("{s:i, s:i, s:o, s:o, s:o, s:o}", "partition",
							       (int)mp->id, "leader", (int)mp->leader, "replicas",
							       rep, "isr", isr, "low",
							       ok ? json_integer(low) : json_null(), "high",
							       ok ? json_integer(high) : json_null()));
		}
		json_array_append_new(arr, json_pack("{s:s, s:b, s:o}", "name", name, "exists", 1, "partitions",
						     parts));
	}
	return arr;
}

/* A finding for each group whose total lag is over the threshold. */
static int kf_findings(kf_run *run, hs_error *e)
{
	int64_t max = kf_thresholds(run->ctx->profile)->consumer_lag_max;
	const char *name;
	json_t *g;

	json_object_foreach(run->groups, name, g) {
		json_int_t lag = json_integer_value(json_object_get(g, "total_lag"));
		hs_buf t = HS_BUF_INIT;
		json_t *ev, *p, *worst;
		size_t i;
		int rc;

		if (lag <= max)
			continue;
		worst = json_array();
		json_array_foreach(json_object_get(g, "partitions"), i, p)
			if (json_integer_value(json_object_get(p, "lag")) > 0 && json_array_size(worst) < 20)
				json_array_append(worst, p);
		ev = json_pack("{s:s, s:I, s:I, s:O, s:i, s:o}", "group", name, "total_lag", lag, "threshold",
			       (json_int_t)max, "state", json_object_get(g, "state"), "members",
			       (int)json_array_size(json_object_get(g, "members")), "partitions", worst);
		hs_buf_addf(&t, "Kafka consumer lag %lld over %lld for group %s", (long long)lag, (long long)max,
			    name);
		rc = hs_diag_out_finding(run->o, lag > max * 10 ? HS_SEV_CRITICAL : HS_SEV_WARNING, t.data, ev,
					 "Kafka Operations", e);
		hs_buf_release(&t);
		if (rc)
			return -1;
	}
	return 0;
}

/* The collector (see the top of this file). */
static int kf_collect(const hs_diag_ctx *ctx, hs_diag_out *o, hs_error *e)
{
	kf_run run;
	json_t *arr = NULL, *doc = NULL, *topics = NULL, *res, *sum = json_array(), *g;
	const char *name;
	int64_t t0 = hs_now_ms(), left;
	size_t i;
	int rc = -1;

	memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	run.o = o;
	run.pk = ctx->profile->kafka;
	run.groups = json_object();
	run.topics = json_object();
	run.tmo = run.pk->timeout_ms > 0 ? run.pk->timeout_ms : HS_KAFKA_DEFAULT_TIMEOUT_MS;
	/* one call may take at most a third of the budget: an unreachable broker still leaves time */
	left = ctx->timeout_ms > 0 ? ctx->timeout_ms / 3 : run.tmo;
	if (left < run.tmo)
		run.tmo = left > 500 ? (int)left : 500;
	for (i = 0; i < run.pk->topics.n; i++)
		json_object_set_new(run.topics, run.pk->topics.v[i], json_true());
	if (hs_kafka_client_new(&run.rk, RD_KAFKA_PRODUCER, run.pk->brokers, run.pk, run.tmo, e))
		goto out;
	if (hs_kafka_metadata(run.rk, run.pk->brokers, run.tmo, &run.md, e)) {
		hs_error fe;

		hs_error_init(&fe);
		hs_diag_out_finding(o, HS_SEV_CRITICAL, "Kafka unreachable",
				    json_pack("{s:s, s:s}", "brokers", run.pk->brokers, "error", e->msg),
				    "Check Dependencies", &fe);
		goto out;
	}
	if (kf_select(&run, e))
		goto out;
	if (json_object_size(run.groups) && kf_describe(&run, e))
		goto out;
	json_object_foreach(run.groups, name, g)
		if (kf_offsets(&run, name, g, e))
			goto out;
	arr = json_array();
	json_object_foreach(run.groups, name, g) {
		json_array_append(arr, g);
		json_array_append_new(sum, json_pack("{s:s, s:O, s:i, s:O}", "group", name, "state",
						     json_object_get(g, "state"), "members",
						     (int)json_array_size(json_object_get(g, "members")), "total_lag",
						     json_object_get(g, "total_lag")));
	}
	doc = json_pack("{s:O, s:I}", "groups", arr, "threshold",
			(json_int_t)kf_thresholds(ctx->profile)->consumer_lag_max);
	if (hs_diag_out_add_json(o, "diag/kafka/groups.json", doc, e))
		goto out;
	json_decref(doc);
	doc = NULL;
	topics = kf_topics(&run);
	doc = json_pack("{s:O}", "topics", topics);
	if (hs_diag_out_add_json(o, "diag/kafka/topics.json", doc, e))
		goto out;
	if (kf_findings(&run, e))
		goto out;
	rc = 0;
out:
	res = json_pack("{s:s, s:O, s:I, s:I}", "brokers", run.pk->brokers, "groups", sum, "topics",
			(json_int_t)json_object_size(run.topics), "elapsed_ms", (json_int_t)(hs_now_ms() - t0));
	if (res) {
		hs_error re;

		hs_error_init(&re);
		hs_diag_out_set_result(o, res, &re);
	}
	json_decref(sum);
	json_decref(arr);
	json_decref(doc);
	json_decref(topics);
	json_decref(run.groups);
	json_decref(run.topics);
	if (run.md)
		rd_kafka_metadata_destroy(run.md);
	hs_kafka_client_free(run.rk);
	return rc;
}

const hs_diag_collector hs_diag_collector_kafka = {
	.name = "kafka",
	.title = "Kafka: consumer groups' state, members and lag; topics",
	.configured = kf_configured,
	.run = kf_collect,
	.timeout_ms = 30000,
};
