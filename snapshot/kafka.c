/*
 * kafka.c - the Kafka source: capture consumer-group offsets into
 * kafka/groups/<group>.json, kafka/offsets.csv and kafka/topics.json.
 * Restore lives in restore/kafka.c; docs/kafka.md has the design.
 *
 * Flow, every broker call bounded by kafka.timeout_ms: metadata (the
 * reachability check and the topics' partitions); the groups, named or
 * matched by globs over ListConsumerGroups; DescribeConsumerGroups (state,
 * members, assignments); ListConsumerGroupOffsets per group (the "offsets
 * time" of the watermark is taken just before); the low and high
 * watermarks of every partition in scope; then, within
 * kafka.timestamp_budget_ms in all, the timestamp of the last consumed
 * record (committed offset - 1) of each partition, read by a consumer that
 * assigns those offsets and never joins a group or commits.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sources/kafka/kafka_common.h"
#include "clock.h"
#include "log.h"

/* One committed offset of a group. */
typedef struct hs_kafka_off {
	char *topic;
	int32_t partition;
	int64_t offset;
	char *metadata;
	int64_t low, high;       /* -1 when unknown */
	int64_t ts_ms;           /* timestamp of the record at offset-1; -1 unknown */
	const char *ts_note;     /* why there is no timestamp, NULL when there is one */
} hs_kafka_off;

typedef struct hs_kafka_grp {
	char *name;
	const char *state;
	bool simple;
	char *assignor;
	json_t *members;
	hs_kafka_off *offs;
	size_t n_offs;
	bool failed;
} hs_kafka_grp;

/* One partition in scope with its watermarks. */
typedef struct hs_kafka_tp {
	char *topic;
	int32_t partition;
	int64_t low, high;
	bool ok;
} hs_kafka_tp;

typedef struct hs_kafka_run {
	hs_capture *c;
	const hs_profile_kafka *pk;
	rd_kafka_t *rk;
	const struct rd_kafka_metadata *md;
	hs_kafka_grp *groups;
	size_t n_groups;
	hs_kafka_tp *tps;
	size_t n_tps;
	hs_buf warn;             /* warnings joined for the manifest */
} hs_kafka_run;

static bool hs_kafka_configured(const hs_profile *p)
{
	return p && p->kafka;
}

static void hs_kafka_warn(hs_kafka_run *run, const char *fmt, ...) HS_PRINTF(2, 3);

/* Log a warning and keep it for the manifest's error text (partial). */
static void hs_kafka_warn(hs_kafka_run *run, const char *fmt, ...)
{
	hs_buf b = HS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	hs_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	hs_warn("kafka", "%s", b.data);
	hs_buf_addf(&run->warn, "%s%s", run->warn.len ? "; " : "", b.data);
	hs_buf_release(&b);
}

static int hs_kafka_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hs_kafka_off_cmp(const void *a, const void *b)
{
	const hs_kafka_off *x = a, *y = b;
	int r = strcmp(x->topic, y->topic);

	return r ? r : (x->partition > y->partition) - (x->partition < y->partition);
}

static int hs_kafka_tp_cmp(const void *a, const void *b)
{
	const hs_kafka_tp *x = a, *y = b;
	int r = strcmp(x->topic, y->topic);

	return r ? r : (x->partition > y->partition) - (x->partition < y->partition);
}

static hs_kafka_tp *hs_kafka_tp_find(hs_kafka_run *run, const char *topic, int32_t partition)
{
	hs_kafka_tp key;

	key.topic = (char *)topic;
	key.partition = partition;
	return bsearch(&key, run->tps, run->n_tps, sizeof(*run->tps), hs_kafka_tp_cmp);
}

static bool hs_kafka_is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Add name to the list unless it is there already. */
static void hs_kafka_names_add(char ***v, size_t *n, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i], name))
			return;
	*v = hs_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = hs_xstrdup(name);
}

/*
 * The groups to capture: every name of the profile that is not a glob,
 * plus the groups ListConsumerGroups reports that match a glob.
 */
static int hs_kafka_select_groups(hs_kafka_run *run, char ***out, size_t *n_out, hs_error *e)
{
	const hs_strlist *pat = &run->pk->groups;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_AdminOptions_t *o = NULL;
	rd_kafka_event_t *ev = NULL;
	char **names = NULL;
	size_t n = 0, i, j, cnt = 0;
	bool globs = pat->n == 0;
	int rc = -1;

	for (i = 0; i < pat->n; i++) {
		if (hs_kafka_is_glob(pat->v[i]))
			globs = true;
		else
			hs_kafka_names_add(&names, &n, pat->v[i]);
	}
	if (globs) {
		const rd_kafka_ListConsumerGroups_result_t *res;
		const rd_kafka_ConsumerGroupListing_t **ls;

		q = rd_kafka_queue_new(run->rk);
		o = hs_kafka_admin_options(run->rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, run->pk->timeout_ms);
		rd_kafka_ListConsumerGroups(run->rk, o, q);
		if (hs_kafka_admin_wait(q, run->pk->timeout_ms, "cannot list consumer groups", &ev, e))
			goto out;
		res = rd_kafka_event_ListConsumerGroups_result(ev);
		ls = rd_kafka_ListConsumerGroups_result_valid(res, &cnt);
		for (i = 0; i < cnt; i++) {
			const char *g = rd_kafka_ConsumerGroupListing_group_id(ls[i]);

			for (j = 0; j < pat->n || (pat->n == 0 && j == 0); j++) {
				if (!pat->n || (hs_kafka_is_glob(pat->v[j]) && !fnmatch(pat->v[j], g, 0))) {
					hs_kafka_names_add(&names, &n, g);
					break;
				}
			}
		}
		rd_kafka_ListConsumerGroups_result_errors(res, &cnt);
		if (cnt)
			hs_kafka_warn(run, "%zu broker(s) did not list their consumer groups", cnt);
	}
	if (n)
		qsort(names, n, sizeof(*names), hs_kafka_str_cmp);
	*out = names;
	*n_out = n;
	names = NULL;
	rc = 0;
out:
	if (names) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	if (o)
		rd_kafka_AdminOptions_destroy(o);
	if (q)
		rd_kafka_queue_destroy(q);
	return rc;
}

static int hs_kafka_member_cmp(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "member_id"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "member_id"));

	return strcmp(x ? x : "", y ? y : "");
}

/* The members of a group description as a JSON array, sorted by member id. */
static json_t *hs_kafka_members_json(const rd_kafka_ConsumerGroupDescription_t *d)
{
	size_t i, j, n = rd_kafka_ConsumerGroupDescription_member_count(d);
	json_t **tmp = hs_xcalloc(n ? n : 1, sizeof(*tmp));
	json_t *arr = json_array();

	for (i = 0; i < n; i++) {
		const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, i);
		const rd_kafka_MemberAssignment_t *a = rd_kafka_MemberDescription_assignment(m);
		const rd_kafka_topic_partition_list_t *pl = a ? rd_kafka_MemberAssignment_partitions(a) : NULL;
		json_t *asg = json_array();

		for (j = 0; pl && j < (size_t)pl->cnt; j++)
			json_array_append_new(asg, json_pack("{s:s, s:i}", "topic", pl->elems[j].topic,
							     "partition", (int)pl->elems[j].partition));
		tmp[i] = json_pack("{s:s?, s:s?, s:s?, s:s?, s:o}", "member_id",
				   rd_kafka_MemberDescription_consumer_id(m), "client_id",
				   rd_kafka_MemberDescription_client_id(m), "host",
				   rd_kafka_MemberDescription_host(m), "group_instance_id",
				   rd_kafka_MemberDescription_group_instance_id(m), "assignment", asg);
	}
	if (n)
		qsort(tmp, n, sizeof(*tmp), hs_kafka_member_cmp);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, tmp[i]);
	free(tmp);
	return arr;
}

/* DescribeConsumerGroups for all selected groups at once. */
static int hs_kafka_describe(hs_kafka_run *run, hs_error *e)
{
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_ConsumerGroupDescription_t **ds;
	const char **names = hs_xcalloc(run->n_groups, sizeof(*names));
	size_t i, j, cnt;
	int rc = -1;

	for (i = 0; i < run->n_groups; i++)
		names[i] = run->groups[i].name;
	if (hs_kafka_describe_groups(run->rk, run->pk->timeout_ms, names, run->n_groups, &ev, &ds, &cnt, e))
		goto out;
	for (i = 0; i < cnt; i++) {
		const char *id = rd_kafka_ConsumerGroupDescription_group_id(ds[i]);
		const rd_kafka_error_t *err = rd_kafka_ConsumerGroupDescription_error(ds[i]);
		const char *as;
		hs_kafka_grp *g = NULL;

		for (j = 0; j < run->n_groups; j++)
			if (!strcmp(run->groups[j].name, id))
				g = &run->groups[j];
		if (!g)
			continue;
		if (err) {
			hs_kafka_warn(run, "cannot describe group '%s': %s", id, rd_kafka_error_string(err));
			g->failed = true;
			continue;
		}
		g->state = hs_kafka_state_name(rd_kafka_ConsumerGroupDescription_state(ds[i]));
		g->simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(ds[i]);
		as = rd_kafka_ConsumerGroupDescription_partition_assignor(ds[i]);
		g->assignor = as && *as ? hs_xstrdup(as) : NULL;
		g->members = hs_kafka_members_json(ds[i]);
	}
	rc = 0;
out:
	free(names);
	if (ev)
		rd_kafka_event_destroy(ev);
	return rc;
}

/* True when topic is in the profile's topic list (or the list is empty). */
static bool hs_kafka_topic_in_scope(const hs_profile_kafka *pk, const char *topic)
{
	size_t i;

	if (!pk->topics.n)
		return true;
	for (i = 0; i < pk->topics.n; i++)
		if (!strcmp(pk->topics.v[i], topic))
			return true;
	return false;
}

/* ListConsumerGroupOffsets for one group: every committed partition in scope. */
static int hs_kafka_group_offsets(hs_kafka_run *run, hs_kafka_grp *g, hs_error *e)
{
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_topic_partition_list_t *pl;
	int i, rc = -1;

	if (hs_kafka_list_offsets(run->rk, run->pk->timeout_ms, g->name, &ev, &pl, e))
		goto out;
	for (i = 0; pl && i < pl->cnt; i++) {
		const rd_kafka_topic_partition_t *tp = &pl->elems[i];
		hs_kafka_off *f;

		if (tp->err) {
			hs_kafka_warn(run, "group '%s' topic '%s' partition %d: %s", g->name, tp->topic,
				      (int)tp->partition, rd_kafka_err2str(tp->err));
			continue;
		}
		if (tp->offset < 0 || !hs_kafka_topic_in_scope(run->pk, tp->topic))
			continue;
		g->offs = hs_xrealloc(g->offs, (g->n_offs + 1) * sizeof(*g->offs));
		f = &g->offs[g->n_offs++];
		memset(f, 0, sizeof(*f));
		f->topic = hs_xstrdup(tp->topic);
		f->partition = tp->partition;
		f->offset = tp->offset;
		f->metadata = hs_xstrndup(tp->metadata ? (const char *)tp->metadata : "",
					  tp->metadata ? tp->metadata_size : 0);
		f->low = f->high = f->ts_ms = -1;
		f->ts_note = "not read";
	}
	if (g->n_offs)
		qsort(g->offs, g->n_offs, sizeof(*g->offs), hs_kafka_off_cmp);
	rc = 0;
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	return rc;
}

/*
 * The partitions in scope (the profile's topics, or every topic a group
 * commits to) from the metadata, with their watermarks.
 */
static int hs_kafka_watermarks(hs_kafka_run *run, hs_error *e)
{
	char **topics = NULL;
	size_t n = 0, i, k;
	int j, rc = -1;

	for (i = 0; i < run->pk->topics.n; i++)
		hs_kafka_names_add(&topics, &n, run->pk->topics.v[i]);
	if (!run->pk->topics.n)
		for (i = 0; i < run->n_groups; i++)
			for (k = 0; k < run->groups[i].n_offs; k++)
				hs_kafka_names_add(&topics, &n, run->groups[i].offs[k].topic);
	for (i = 0; i < n; i++) {
		const struct rd_kafka_metadata_topic *mt = NULL;

		for (j = 0; j < run->md->topic_cnt; j++)
			if (!strcmp(run->md->topics[j].topic, topics[i]))
				mt = &run->md->topics[j];
		if (!mt || mt->err) {
			hs_kafka_warn(run, "topic '%s' does not exist on the brokers", topics[i]);
			continue;
		}
		for (j = 0; j < mt->partition_cnt; j++) {
			hs_kafka_tp *tp;
			rd_kafka_resp_err_t err;

			run->tps = hs_xrealloc(run->tps, (run->n_tps + 1) * sizeof(*run->tps));
			tp = &run->tps[run->n_tps++];
			tp->topic = hs_xstrdup(topics[i]);
			tp->partition = mt->partitions[j].id;
			tp->low = tp->high = -1;
			err = rd_kafka_query_watermark_offsets(run->rk, tp->topic, tp->partition, &tp->low,
							       &tp->high, run->pk->timeout_ms);
			tp->ok = !err;
			if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT) {
				hs_err(e, HS_EXIT_FAILURE, "cannot read the watermarks of '%s' partition %d: %s",
				       tp->topic, (int)tp->partition, rd_kafka_err2str(err));
				goto out;
			}
			if (err)
				hs_kafka_warn(run, "cannot read the watermarks of '%s' partition %d: %s", tp->topic,
					      (int)tp->partition, rd_kafka_err2str(err));
		}
	}
	if (run->n_tps)
		qsort(run->tps, run->n_tps, sizeof(*run->tps), hs_kafka_tp_cmp);
	for (i = 0; i < run->n_groups; i++) {
		for (k = 0; k < run->groups[i].n_offs; k++) {
			hs_kafka_off *f = &run->groups[i].offs[k];
			hs_kafka_tp *tp = hs_kafka_tp_find(run, f->topic, f->partition);

			if (tp && tp->ok) {
				f->low = tp->low;
				f->high = tp->high;
			}
		}
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(topics[i]);
	free(topics);
	return rc;
}

/*
 * Read the timestamps of the records at committed offset - 1 within the
 * budget (hs_kafka_read_timestamps).  Missing timestamps are not an error:
 * the archive says why for each.
 */
static void hs_kafka_timestamps(hs_kafka_run *run)
{
	int budget = run->pk->timestamp_budget_ms;
	hs_kafka_ts_req *w = NULL;
	size_t nw = 0, left = 0, i, k, g;
	hs_error e;

	for (g = 0; g < run->n_groups; g++) {
		for (k = 0; k < run->groups[g].n_offs; k++) {
			hs_kafka_off *f = &run->groups[g].offs[k];
			bool dup = false;

			if (budget <= 0) {
				f->ts_note = "timestamp_budget_ms is 0";
				continue;
			}
			if (f->low < 0 || f->offset - 1 < f->low || f->offset - 1 >= f->high) {
				f->ts_note = "no record at offset-1";
				continue;
			}
			for (i = 0; i < nw; i++)
				if (!strcmp(w[i].topic, f->topic) && w[i].partition == f->partition &&
				    w[i].at == f->offset - 1)
					dup = true;
			if (dup)
				continue;
			w = hs_xrealloc(w, (nw + 1) * sizeof(*w));
			memset(&w[nw], 0, sizeof(*w));
			w[nw].topic = f->topic;
			w[nw].partition = f->partition;
			w[nw].at = f->offset - 1;
			nw++;
		}
	}
	if (!nw)
		goto out;
	hs_error_init(&e);
	if (hs_kafka_read_timestamps(run->pk->brokers, run->pk, run->pk->timeout_ms, budget, w, nw, &left, &e)) {
		hs_kafka_warn(run, "record timestamps not read: %s", e.msg);
		goto out;
	}
	if (left)
		hs_kafka_warn(run, "timestamp_budget_ms (%d) spent: %zu of %zu record timestamps not read", budget,
			      left, nw);
	for (g = 0; g < run->n_groups; g++) {
		for (k = 0; k < run->groups[g].n_offs; k++) {
			hs_kafka_off *f = &run->groups[g].offs[k];

			for (i = 0; i < nw; i++) {
				if (strcmp(w[i].topic, f->topic) || w[i].partition != f->partition ||
				    w[i].at != f->offset - 1)
					continue;
				f->ts_ms = w[i].ts_ms;
				f->ts_note = !w[i].done ? "timestamp budget spent"
					   : w[i].ts_ms < 0 ? "record at offset-1 not readable (compacted or no timestamp)"
					   : NULL;
			}
		}
	}
out:
	free(w);
}

/* kafka/groups/<group>.json */
static json_t *hs_kafka_group_json(const hs_kafka_grp *g, int64_t at_ms)
{
	json_t *offs = json_array();
	size_t i;

	for (i = 0; i < g->n_offs; i++) {
		const hs_kafka_off *f = &g->offs[i];
		json_t *o = json_pack("{s:s, s:i, s:I, s:s}", "topic", f->topic, "partition", (int)f->partition,
				      "offset", (json_int_t)f->offset, "metadata", f->metadata);

		json_object_set_new(o, "log_start", f->low >= 0 ? json_integer(f->low) : json_null());
		json_object_set_new(o, "log_end", f->high >= 0 ? json_integer(f->high) : json_null());
		json_object_set_new(o, "lag", f->high >= 0 ? json_integer(f->high > f->offset ? f->high - f->offset : 0)
							   : json_null());
		json_object_set_new(o, "timestamp_offset", json_integer(f->offset - 1));
		json_object_set_new(o, "timestamp_ms", f->ts_ms >= 0 ? json_integer(f->ts_ms) : json_null());
		if (f->ts_note)
			json_object_set_new(o, "timestamp_note", json_string(f->ts_note));
		json_array_append_new(offs, o);
	}
	return json_pack("{s:s, s:s, s:b, s:s?, s:O, s:o, s:I}", "group", g->name, "state",
			 g->state ? g->state : "Unknown", "simple", g->simple, "partition_assignor", g->assignor,
			 "members", g->members ? g->members : json_array(), "offsets", offs, "offsets_time_ms",
			 (json_int_t)at_ms);
}

/* kafka/topics.json */
static json_t *hs_kafka_topics_json(const hs_kafka_run *run, size_t *n_topics)
{
	json_t *topics = json_array(), *cur = NULL;
	const char *last = NULL;
	size_t i;

	*n_topics = 0;
	for (i = 0; i < run->n_tps; i++) {
		const hs_kafka_tp *tp = &run->tps[i];

		if (!last || strcmp(last, tp->topic)) {
			cur = json_array();
			json_array_append_new(topics, json_pack("{s:s, s:o}", "name", tp->topic, "partitions", cur));
			last = tp->topic;
			(*n_topics)++;
		}
		json_array_append_new(cur, json_pack("{s:i, s:o, s:o}", "partition", (int)tp->partition, "low",
						     tp->ok ? json_integer(tp->low) : json_null(), "high",
						     tp->ok ? json_integer(tp->high) : json_null()));
	}
	return json_pack("{s:o}", "topics", topics);
}

static void hs_kafka_run_release(hs_kafka_run *run)
{
	size_t i, k;

	for (i = 0; i < run->n_groups; i++) {
		hs_kafka_grp *g = &run->groups[i];

		for (k = 0; k < g->n_offs; k++) {
			free(g->offs[k].topic);
			free(g->offs[k].metadata);
		}
		free(g->offs);
		free(g->name);
		free(g->assignor);
		json_decref(g->members);
	}
	free(run->groups);
	for (i = 0; i < run->n_tps; i++)
		free(run->tps[i].topic);
	free(run->tps);
	if (run->md)
		rd_kafka_metadata_destroy(run->md);
	hs_kafka_client_free(run->rk);
	hs_buf_release(&run->warn);
}

/* Is the cluster still answering?  0 yes, -1 no (a quick metadata call). */
static int hs_kafka_metadata_ok(hs_kafka_run *run)
{
	const struct rd_kafka_metadata *md = NULL;

	if (rd_kafka_metadata(run->rk, 0, NULL, &md, run->pk->timeout_ms))
		return -1;
	rd_kafka_metadata_destroy(md);
	return 0;
}

/*
 * The source's capture: the steps of the comment at the top, then one entry
 * per group, offsets.csv and topics.json.  A group that cannot be described
 * or listed makes the source partial; an unreachable cluster fails it.
 */
static int hs_kafka_capture(hs_capture *c, hs_error *e)
{
	hs_kafka_run run;
	char **names = NULL;
	size_t n_names = 0, i, k, n_parts = 0, n_ts = 0, n_topics = 0, n_failed = 0;
	hs_buf csv = HS_BUF_INIT, entry = HS_BUF_INIT;
	json_t *doc = NULL;
	int64_t at_ms;
	char iso[32];
	time_t at_s;
	struct tm tm;
	int rc = -1;

	memset(&run, 0, sizeof(run));
	run.c = c;
	run.pk = c->profile->kafka;
	if (hs_kafka_client_new(&run.rk, RD_KAFKA_PRODUCER, run.pk->brokers, run.pk, run.pk->timeout_ms, e) ||
	    hs_kafka_metadata(run.rk, run.pk->brokers, run.pk->timeout_ms, &run.md, e) ||
	    hs_kafka_select_groups(&run, &names, &n_names, e))
		goto out;
	run.groups = hs_xcalloc(n_names ? n_names : 1, sizeof(*run.groups));
	for (i = 0; i < n_names; i++) {
		run.groups[i].name = names[i];
		run.n_groups++;
	}
	free(names);
	names = NULL;
	if (!run.n_groups)
		hs_kafka_warn(&run, "no consumer group matches the profile");
	if (run.n_groups && hs_kafka_describe(&run, e))
		goto out;
	at_ms = hs_now_ms();
	for (i = 0; i < run.n_groups; i++) {
		hs_error ge;

		if (run.groups[i].failed)
			continue;
		hs_error_init(&ge);
		if (hs_kafka_group_offsets(&run, &run.groups[i], &ge)) {
			/* a broker that stopped answering fails the source; a group error only that group */
			if (hs_kafka_metadata_ok(&run) < 0) {
				*e = ge;
				goto out;
			}
			hs_kafka_warn(&run, "%s", ge.msg);
			run.groups[i].failed = true;
		}
	}
	if (hs_kafka_watermarks(&run, e))
		goto out;
	hs_kafka_timestamps(&run);

	for (i = 0; i < run.n_groups; i++) {
		const hs_kafka_grp *g = &run.groups[i];

		if (g->failed) {
			n_failed++;
			continue;
		}
		if (!g->n_offs)
			hs_info("kafka", "group '%s' (%s) has no committed offsets in scope", g->name,
				g->state ? g->state : "Unknown");
		doc = hs_kafka_group_json(g, at_ms);
		hs_buf_reset(&entry);
		hs_kafka_group_entry(&entry, g->name);
		if (hs_aw_add_json(c->aw, entry.data, "kafka", doc, g->n_offs, e))
			goto out;
		json_decref(doc);
		doc = NULL;
		for (k = 0; k < g->n_offs; k++) {
			hs_kafka_csv_line(&csv, g->name, g->offs[k].topic, g->offs[k].partition, g->offs[k].offset);
			n_parts++;
			if (g->offs[k].ts_ms >= 0)
				n_ts++;
		}
		hs_progress_add(c->progress, 1, 0);
	}
	if (hs_aw_add(c->aw, "kafka/offsets.csv", "kafka", csv.data ? csv.data : "", csv.len, n_parts, e))
		goto out;
	doc = hs_kafka_topics_json(&run, &n_topics);
	if (hs_aw_add_json(c->aw, "kafka/topics.json", "kafka", doc, n_topics, e))
		goto out;
	json_decref(doc);
	doc = NULL;

	at_s = (time_t)(at_ms / 1000);
	gmtime_r(&at_s, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	c->watermark = json_pack("{s:I, s:s}", "offsets_time_ms", (json_int_t)at_ms, "offsets_time", iso);
	c->details = json_pack("{s:i, s:i, s:i, s:i, s:i}", "groups", (int)(run.n_groups - n_failed), "partitions",
			       (int)n_parts, "topics", (int)n_topics, "timestamps_read", (int)n_ts,
			       "timestamps_missing", (int)(n_parts - n_ts));
	if (run.warn.len) {
		c->partial = n_failed > 0;
		snprintf(c->warning, sizeof(c->warning), "%s", run.warn.data);
	}
	hs_info("kafka", "captured %zu group(s), %zu partition offset(s), %zu topic(s)", run.n_groups - n_failed,
		n_parts, n_topics);
	rc = 0;
out:
	json_decref(doc);
	hs_buf_release(&csv);
	hs_buf_release(&entry);
	if (names) {
		for (i = 0; i < n_names; i++)
			free(names[i]);
		free(names);
	}
	hs_kafka_run_release(&run);
	return rc;
}

const hs_source_ops hs_source_kafka = {
	.name = "kafka",
	.configured = hs_kafka_configured,
	.capture = hs_kafka_capture,
	.restore_scan = hs_kafka_restore_scan,
	.restore_plan = hs_kafka_restore_plan,
	.restore_apply = hs_kafka_restore_apply,
	.restore_release = hs_kafka_restore_release,
	.entry_check = hs_kafka_entry_check,
};
