/*
 * kafka.c - restore consumer-group offsets from kafka/groups/<group>.json
 * (SPEC: "Kafka offsets (group must be Empty/Dead)"); docs/kafka.md.
 *
 * plan: read the archive's group documents, connect to the target
 * (--to-kafka or the profile's brokers), refuse with exit 5 any group that
 * still has members (naming them), and decide per partition the offset to
 * commit: the archived one clamped into the live [log-start, log-end], or
 * with --kafka-by-time, where the live record at offset-1 is missing or has
 * another timestamp than the archived one, the first offset whose
 * timestamp is >= the archived timestamp (offsets-for-times).
 * apply: check the groups are still inactive, AlterConsumerGroupOffsets per
 * group, then read the offsets back: a partition that did not take is an
 * error with its reason.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/kafka/kafka_common.h"
#include "log.h"

/* One partition of a group, planned. */
typedef struct hs_kr_part {
	char *topic;
	int32_t partition;
	int64_t archived;
	int64_t ts_ms;           /* archived timestamp of the record at archived-1, -1 none */
	int64_t live;            /* live committed offset, -1 none */
	int64_t low, high;
	int64_t live_ts_ms;
	int64_t time_offset;
	int64_t target;
	enum hs_kafka_method method;
	bool skip;               /* the topic or partition is missing on the target */
} hs_kr_part;

typedef struct hs_kr_group {
	char *name;
	hs_kr_part *parts;
	size_t n;
} hs_kr_group;

typedef struct hs_kr_state {
	char *brokers;
	int timeout_ms;
	hs_kr_group *groups;
	size_t n;
} hs_kr_state;

static void hs_kr_state_free(hs_kr_state *st)
{
	size_t i, k;

	if (!st)
		return;
	for (i = 0; i < st->n; i++) {
		for (k = 0; k < st->groups[i].n; k++)
			free(st->groups[i].parts[k].topic);
		free(st->groups[i].parts);
		free(st->groups[i].name);
	}
	free(st->groups);
	free(st->brokers);
	free(st);
}

/* --include/--exclude globs apply to group names. */
static bool hs_kr_selected(const hs_restore_opts *o, const char *group)
{
	size_t i;
	bool in = !o->include || !o->include[0];

	for (i = 0; o->include && o->include[i]; i++)
		if (!fnmatch(o->include[i], group, 0))
			in = true;
	for (i = 0; o->exclude && o->exclude[i]; i++)
		if (!fnmatch(o->exclude[i], group, 0))
			in = false;
	return in;
}

/* Parse one group document of the archive into g. */
static int hs_kr_parse_group(const char *entry, const json_t *doc, hs_kr_group *g, hs_error *e)
{
	const json_t *offs = json_object_get(doc, "offsets"), *o;
	const char *name = json_string_value(json_object_get(doc, "group"));
	size_t i;

	if (!name || !json_is_array(offs))
		return hs_err(e, HS_EXIT_DATA, "cannot read '%s': not a kafka group document", entry);
	g->name = hs_xstrdup(name);
	g->parts = hs_xcalloc(json_array_size(offs) ? json_array_size(offs) : 1, sizeof(*g->parts));
	json_array_foreach(offs, i, o) {
		const char *topic = json_string_value(json_object_get(o, "topic"));
		const json_t *part = json_object_get(o, "partition"), *off = json_object_get(o, "offset");
		const json_t *ts = json_object_get(o, "timestamp_ms");
		hs_kr_part *p = &g->parts[g->n];

		if (!topic || !json_is_integer(part) || !json_is_integer(off) || json_integer_value(off) < 0 ||
		    json_integer_value(part) < 0 || json_integer_value(part) > INT32_MAX ||
		    (ts && !json_is_null(ts) && !json_is_integer(ts)))
			return hs_err(e, HS_EXIT_DATA, "cannot read '%s': offset %zu is malformed", entry, i);
		p->topic = hs_xstrdup(topic);
		p->partition = (int32_t)json_integer_value(part);
		p->archived = json_integer_value(off);
		p->ts_ms = json_is_integer(ts) ? json_integer_value(ts) : -1;
		p->live = p->low = p->high = p->live_ts_ms = p->time_offset = -1;
		g->n++;
	}
	return 0;
}

static int hs_kr_no_target(hs_error *e)
{
	return hs_err(e, HS_EXIT_USAGE, "no kafka target: give --to-kafka BROKERS or configure kafka in the profile");
}

/* Free what hs_kr_parse_group() filled in g, also when it failed half-way. */
static void hs_kr_group_release(hs_kr_group *g)
{
	size_t k;

	for (k = 0; k < g->n; k++)
		free(g->parts[k].topic);
	free(g->parts);
	free(g->name);
	memset(g, 0, sizeof(*g));
}

/*
 * Read rd's current entry, a kafka/groups/<group>.json called name, and
 * parse it into *g (zeroed first; hs_kr_group_release frees it, also after
 * a failure): the reader's error, or 65 naming the entry.
 */
static int hs_kr_read_group(hs_reader *rd, const char *name, hs_kr_group *g, hs_error *e)
{
	hs_buf data = HS_BUF_INIT;
	json_t *doc = NULL;
	json_error_t jerr;
	char chunk[16384];
	ssize_t got;
	int rc = -1;

	memset(g, 0, sizeof(*g));
	while ((got = hs_reader_read(rd, chunk, sizeof(chunk), e)) > 0)
		hs_buf_add(&data, chunk, (size_t)got);
	if (got < 0)
		goto out;
	doc = json_loadb(data.data ? data.data : "", data.len, 0, &jerr);
	if (!doc) {
		hs_err(e, HS_EXIT_DATA, "cannot read '%s': %s", name, jerr.text);
		goto out;
	}
	rc = hs_kr_parse_group(name, doc, g, e);
out:
	json_decref(doc);
	hs_buf_release(&data);
	return rc;
}

/* A kafka/groups/<group>.json entry name. */
static bool hs_kr_group_entry(const char *name)
{
	size_t len = strlen(name);

	return !strncmp(name, "kafka/groups/", 13) && len >= 5 && !strcmp(name + len - 5, ".json");
}

/*
 * Keep one kafka/groups/<group>.json entry (the reader is positioned at
 * its data) in st, unless --include/--exclude leave the group out.
 */
static int hs_kr_load_entry(hs_restore *r, hs_kr_state *st, hs_reader *rd, const char *name, hs_error *e)
{
	hs_kr_group g;

	if (hs_kr_read_group(rd, name, &g, e)) {
		hs_kr_group_release(&g);
		return -1;
	}
	if (!hs_kr_selected(r->opts, g.name)) {
		hs_kr_group_release(&g);
		return 0;
	}
	st->groups = hs_xrealloc(st->groups, (st->n + 1) * sizeof(*st->groups));
	st->groups[st->n++] = g;
	return 0;
}

/* `verify`: each group document as the verifying pass of restore reads it (nothing kept). */
int hs_kafka_entry_check(const char *archive, hs_reader *rd, const hs_reader_entry *ent, hs_error *e)
{
	hs_kr_group g;
	int rc;

	(void)archive;
	if (!hs_kr_group_entry(ent->name))
		return 0;
	rc = hs_kr_read_group(rd, ent->name, &g, e);
	hs_kr_group_release(&g);
	return rc;
}

/*
 * The verifying pass of restore offers every entry (src/restore_scan.c):
 * the groups are read as the archive is verified, so the plan needs no
 * pass of its own.  Nothing connects here.
 */
int hs_kafka_restore_scan(hs_restore *r, hs_reader *rd, const hs_reader_entry *ent, hs_error *e)
{
	if (!r->state) {
		/* no target is a usage error, before anything the entries say */
		if (!r->opts->to_kafka && !(r->profile && r->profile->kafka))
			return hs_kr_no_target(e);
		r->state = hs_xcalloc(1, sizeof(hs_kr_state));
	}
	if (!hs_kr_group_entry(ent->name))
		return 0;
	return hs_kr_load_entry(r, r->state, rd, ent->name, e);
}

/*
 * Refuse (exit 5) when a group has members: describe all groups, list
 * every active one with its members' client ids and hosts.
 */
static int hs_kr_preflight(rd_kafka_t *rk, const hs_kr_state *st, hs_error *e)
{
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_ConsumerGroupDescription_t **ds;
	const char **names = NULL;
	hs_buf bad = HS_BUF_INIT;
	size_t i, j, cnt;
	int rc = -1;

	if (!st->n)
		return 0;
	names = hs_xcalloc(st->n, sizeof(*names));
	for (i = 0; i < st->n; i++)
		names[i] = st->groups[i].name;
	if (hs_kafka_describe_groups(rk, st->timeout_ms, names, st->n, &ev, &ds, &cnt, e))
		goto out;
	for (i = 0; i < cnt; i++) {
		rd_kafka_consumer_group_state_t s = rd_kafka_ConsumerGroupDescription_state(ds[i]);
		size_t nm = rd_kafka_ConsumerGroupDescription_member_count(ds[i]);

		if (rd_kafka_ConsumerGroupDescription_error(ds[i])) {
			hs_err(e, HS_EXIT_FAILURE, "cannot describe group '%s': %s",
			       rd_kafka_ConsumerGroupDescription_group_id(ds[i]),
			       rd_kafka_error_string(rd_kafka_ConsumerGroupDescription_error(ds[i])));
			goto out;
		}
		if ((s == RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY || s == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD) && !nm)
			continue;
		hs_buf_addf(&bad, "%sgroup '%s' is %s with %zu member(s):", bad.len ? "; " : "",
			    rd_kafka_ConsumerGroupDescription_group_id(ds[i]), hs_kafka_state_name(s), nm);
		for (j = 0; j < nm; j++) {
			const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(ds[i], j);

			hs_buf_addf(&bad, "%s client '%s' on %s", j ? "," : "", rd_kafka_MemberDescription_client_id(m),
				    rd_kafka_MemberDescription_host(m));
		}
	}
	if (bad.len) {
		hs_err(e, HS_EXIT_PRECOND, "%s (stop its consumers first)", bad.data);
		goto out;
	}
	rc = 0;
out:
	hs_buf_release(&bad);
	free(names);
	if (ev)
		rd_kafka_event_destroy(ev);
	return rc;
}

/*
 * The live committed offsets of group (ListConsumerGroupOffsets); calls
 * fn for each committed partition.
 */
static int hs_kr_committed(rd_kafka_t *rk, int timeout_ms, const char *group,
			   void (*fn)(void *arg, const char *topic, int32_t partition, int64_t offset),
			   void *arg, hs_error *e)
{
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_topic_partition_list_t *pl;
	int i;

	if (hs_kafka_list_offsets(rk, timeout_ms, group, &ev, &pl, e))
		return -1;
	for (i = 0; pl && i < pl->cnt; i++)
		if (!pl->elems[i].err && pl->elems[i].offset >= 0)
			fn(arg, pl->elems[i].topic, pl->elems[i].partition, pl->elems[i].offset);
	rd_kafka_event_destroy(ev);
	return 0;
}

/* hs_kr_committed callback: note a partition's live committed offset. */
static void hs_kr_set_live(void *arg, const char *topic, int32_t partition, int64_t offset)
{
	hs_kr_group *g = arg;
	size_t k;

	for (k = 0; k < g->n; k++)
		if (g->parts[k].partition == partition && !strcmp(g->parts[k].topic, topic))
			g->parts[k].live = offset;
}

/* True when the metadata has topic with partition. */
static bool hs_kr_exists(const struct rd_kafka_metadata *md, const char *topic, int32_t partition)
{
	int i, j;

	for (i = 0; i < md->topic_cnt; i++) {
		if (strcmp(md->topics[i].topic, topic) || md->topics[i].err)
			continue;
		for (j = 0; j < md->topics[i].partition_cnt; j++)
			if (md->topics[i].partitions[j].id == partition)
				return true;
	}
	return false;
}

/*
 * --kafka-by-time: the live timestamps at archived-1 of every partition
 * with an archived timestamp, and offsets-for-times for those of a group.
 */
static int hs_kr_by_time(rd_kafka_t *rk, hs_restore *r, hs_kr_state *st, hs_error *e)
{
	const hs_profile_kafka *pk = r->profile ? r->profile->kafka : NULL;
	int budget = pk && pk->timestamp_budget_ms > 0 ? pk->timestamp_budget_ms : st->timeout_ms;
	hs_kafka_ts_req *w = NULL;
	hs_kr_part **back = NULL;
	size_t nw = 0, left, i, k;
	int rc = -1;

	for (i = 0; i < st->n; i++) {
		for (k = 0; k < st->groups[i].n; k++) {
			hs_kr_part *p = &st->groups[i].parts[k];

			if (p->skip || p->ts_ms < 0 || p->archived - 1 < p->low || p->archived - 1 >= p->high)
				continue;
			w = hs_xrealloc(w, (nw + 1) * sizeof(*w));
			back = hs_xrealloc(back, (nw + 1) * sizeof(*back));
			memset(&w[nw], 0, sizeof(*w));
			w[nw].topic = p->topic;
			w[nw].partition = p->partition;
			w[nw].at = p->archived - 1;
			back[nw++] = p;
		}
	}
	/* one request per (topic, partition, offset): the reader matches by partition */
	if (nw && hs_kafka_read_timestamps(st->brokers, pk, st->timeout_ms, budget, w, nw, &left, e))
		goto out;
	for (i = 0; i < nw; i++) {
		back[i]->live_ts_ms = w[i].ts_ms;
		if (!w[i].done)
			hs_warn("kafka", "topic '%s' partition %d: the record at offset %lld was not read in time; "
				"translating by time (at least once)", w[i].topic, (int)w[i].partition,
				(long long)w[i].at);
	}
	for (i = 0; i < st->n; i++) {
		hs_kr_group *g = &st->groups[i];
		rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new((int)g->n + 1);
		rd_kafka_resp_err_t err;

		for (k = 0; k < g->n; k++) {
			hs_kr_part *p = &g->parts[k];

			if (!p->skip && p->ts_ms >= 0 && p->live_ts_ms != p->ts_ms)
				rd_kafka_topic_partition_list_add(pl, p->topic, p->partition)->offset = p->ts_ms;
		}
		if (pl->cnt) {
			int j;

			err = rd_kafka_offsets_for_times(rk, pl, st->timeout_ms);
			if (err) {
				rd_kafka_topic_partition_list_destroy(pl);
				hs_err(e, HS_EXIT_FAILURE, "cannot look offsets up by time for group '%s': %s", g->name,
				       rd_kafka_err2str(err));
				goto out;
			}
			for (j = 0; j < pl->cnt; j++) {
				for (k = 0; k < g->n; k++) {
					hs_kr_part *p = &g->parts[k];

					if (p->partition == pl->elems[j].partition && !strcmp(p->topic, pl->elems[j].topic))
						p->time_offset = pl->elems[j].err ? -1 : pl->elems[j].offset;
				}
			}
		}
		rd_kafka_topic_partition_list_destroy(pl);
	}
	rc = 0;
out:
	free(w);
	free(back);
	return rc;
}

/* One plan step per partition. */
static json_t *hs_kr_step(const hs_kr_group *g, const hs_kr_part *p)
{
	hs_buf target = HS_BUF_INIT, detail = HS_BUF_INIT;
	const char *action;
	json_t *step;

	hs_buf_addf(&target, "%s %s[%d]", g->name, p->topic, (int)p->partition);
	if (p->skip) {
		action = "skip";
		hs_buf_addf(&detail, "topic or partition missing on the target (archive %lld)", (long long)p->archived);
	} else {
		action = p->method == HS_KAFKA_BY_TIME ? "by-time" : p->method == HS_KAFKA_CLAMPED ? "clamp"
		       : p->live == p->target ? "unchanged" : "set";
		if (p->live >= 0)
			hs_buf_addf(&detail, "live %lld -> %lld", (long long)p->live, (long long)p->target);
		else
			hs_buf_addf(&detail, "none -> %lld", (long long)p->target);
		hs_buf_addf(&detail, " (archive %lld, %s", (long long)p->archived, hs_kafka_method_name(p->method));
		if (p->method == HS_KAFKA_CLAMPED)
			hs_buf_addf(&detail, " into [%lld, %lld]", (long long)p->low, (long long)p->high);
		if (p->method == HS_KAFKA_BY_TIME)
			hs_buf_addf(&detail, " from timestamp %lld", (long long)p->ts_ms);
		hs_buf_addc(&detail, ')');
	}
	step = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:s}", "target", target.data, "action", action,
			 "detail", detail.data, "group", g->name, "topic", p->topic, "partition", (int)p->partition,
			 "archived", (json_int_t)p->archived, "offset", (json_int_t)(p->skip ? -1 : p->target),
			 "method", p->skip ? "skip" : hs_kafka_method_name(p->method));
	json_object_set_new(step, "live", p->live >= 0 ? json_integer(p->live) : json_null());
	hs_buf_release(&target);
	hs_buf_release(&detail);
	return step;
}

/*
 * Plan: from the groups the verifying pass kept, connect, preflight (exit 5
 * on active groups), read live offsets and watermarks (and timestamps with
 * --kafka-by-time), decide each partition and keep it all in r->state for
 * apply.  Changes nothing.
 */
int hs_kafka_restore_plan(hs_restore *r, hs_error *e)
{
	const hs_profile_kafka *pk = r->profile ? r->profile->kafka : NULL;
	/* the groups kept by hs_kafka_restore_scan (none seen: no state yet) */
	hs_kr_state *st = r->state ? r->state : hs_xcalloc(1, sizeof(*st));
	rd_kafka_t *rk = NULL;
	const struct rd_kafka_metadata *md = NULL;
	size_t i, k;
	int rc = -1;

	r->state = NULL;   /* st is the plan's until it succeeds */
	if (!r->opts->to_kafka && !pk) {
		hs_kr_no_target(e);
		goto out;
	}
	st->brokers = hs_xstrdup(r->opts->to_kafka ? r->opts->to_kafka : pk->brokers);
	st->timeout_ms = pk ? pk->timeout_ms : HS_KAFKA_DEFAULT_TIMEOUT_MS;
	if (hs_kafka_client_new(&rk, RD_KAFKA_PRODUCER, st->brokers, pk, st->timeout_ms, e) ||
	    hs_kafka_metadata(rk, st->brokers, st->timeout_ms, &md, e) || hs_kr_preflight(rk, st, e))
		goto out;
	for (i = 0; i < st->n; i++) {
		hs_kr_group *g = &st->groups[i];

		if (hs_kr_committed(rk, st->timeout_ms, g->name, hs_kr_set_live, g, e))
			goto out;
		for (k = 0; k < g->n; k++) {
			hs_kr_part *p = &g->parts[k];
			rd_kafka_resp_err_t err;

			if (!hs_kr_exists(md, p->topic, p->partition)) {
				p->skip = true;
				hs_warn("kafka", "group '%s' topic '%s' partition %d: missing on the target, skipped",
					g->name, p->topic, (int)p->partition);
				continue;
			}
			err = rd_kafka_query_watermark_offsets(rk, p->topic, p->partition, &p->low, &p->high,
							       st->timeout_ms);
			if (err) {
				hs_err(e, HS_EXIT_FAILURE, "cannot read the watermarks of '%s' partition %d: %s",
				       p->topic, (int)p->partition, rd_kafka_err2str(err));
				goto out;
			}
		}
	}
	if (r->opts->kafka_by_time && hs_kr_by_time(rk, r, st, e))
		goto out;
	r->plan = json_array();
	for (i = 0; i < st->n; i++) {
		hs_kr_group *g = &st->groups[i];

		for (k = 0; k < g->n; k++) {
			hs_kr_part *p = &g->parts[k];
			hs_kafka_part_in in;

			if (!p->skip) {
				memset(&in, 0, sizeof(in));
				in.archived = p->archived;
				in.ts_ms = p->ts_ms;
				in.low = p->low;
				in.high = p->high;
				in.live_ts_ms = p->live_ts_ms;
				in.time_offset = p->time_offset;
				in.by_time = r->opts->kafka_by_time;
				p->method = hs_kafka_decide(&in, &p->target);
				if (p->method == HS_KAFKA_CLAMPED)
					hs_warn("kafka", "group '%s' topic '%s' partition %d: archived offset %lld is "
						"outside [%lld, %lld], clamped to %lld", g->name, p->topic,
						(int)p->partition, (long long)p->archived, (long long)p->low,
						(long long)p->high, (long long)p->target);
			}
			json_array_append_new(r->plan, hs_kr_step(g, p));
		}
	}
	r->state = st;
	st = NULL;
	rc = 0;
out:
	if (md)
		rd_kafka_metadata_destroy(md);
	hs_kafka_client_free(rk);
	hs_kr_state_free(st);
	return rc;
}

/* What the read-back compares against. */
typedef struct hs_kr_check {
	const hs_kr_group *g;
	int64_t *got;
} hs_kr_check;

/* hs_kr_committed callback: note what the broker holds after the commit. */
static void hs_kr_read_back(void *arg, const char *topic, int32_t partition, int64_t offset)
{
	hs_kr_check *c = arg;
	size_t k;

	for (k = 0; k < c->g->n; k++)
		if (c->g->parts[k].partition == partition && !strcmp(c->g->parts[k].topic, topic))
			c->got[k] = offset;
}

/* Commit a group's planned offsets, then read them back. */
static int hs_kr_apply_group(rd_kafka_t *rk, const hs_kr_state *st, const hs_kr_group *g, size_t *n_set,
			     hs_error *e)
{
	rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new((int)g->n + 1);
	rd_kafka_AlterConsumerGroupOffsets_t *req = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_AdminOptions_t *o = NULL;
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_group_result_t **gr;
	const rd_kafka_topic_partition_list_t *res;
	hs_buf what = HS_BUF_INIT;
	hs_kr_check chk;
	size_t k, cnt;
	int i, rc = -1;

	chk.g = g;
	chk.got = hs_xcalloc(g->n + 1, sizeof(*chk.got));
	*n_set = 0;
	for (k = 0; k < g->n; k++)
		if (!g->parts[k].skip)
			rd_kafka_topic_partition_list_add(pl, g->parts[k].topic, g->parts[k].partition)->offset =
				g->parts[k].target;
	if (!pl->cnt) {
		rc = 0;
		goto out;
	}
	hs_buf_addf(&what, "cannot commit the offsets of group '%s'", g->name);
	q = rd_kafka_queue_new(rk);
	o = hs_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, st->timeout_ms);
	req = rd_kafka_AlterConsumerGroupOffsets_new(g->name, pl);
	rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, o, q);
	if (hs_kafka_admin_wait(q, st->timeout_ms, what.data, &ev, e))
		goto out;
	gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(ev),
							     &cnt);
	if (cnt != 1 || rd_kafka_group_result_error(gr[0])) {
		hs_err(e, HS_EXIT_FAILURE, "%s: %s", what.data,
		       cnt == 1 ? rd_kafka_error_string(rd_kafka_group_result_error(gr[0])) : "no result");
		goto out;
	}
	res = rd_kafka_group_result_partitions(gr[0]);
	for (i = 0; res && i < res->cnt; i++) {
		if (res->elems[i].err) {
			hs_err(e, HS_EXIT_FAILURE, "group '%s' topic '%s' partition %d: offset not committed: %s",
			       g->name, res->elems[i].topic, (int)res->elems[i].partition,
			       rd_kafka_err2str(res->elems[i].err));
			goto out;
		}
	}
	for (k = 0; k < g->n; k++)
		chk.got[k] = -1;
	if (hs_kr_committed(rk, st->timeout_ms, g->name, hs_kr_read_back, &chk, e))
		goto out;
	for (k = 0; k < g->n; k++) {
		const hs_kr_part *p = &g->parts[k];

		if (p->skip)
			continue;
		if (chk.got[k] != p->target) {
			hs_err(e, HS_EXIT_FAILURE,
			       "group '%s' topic '%s' partition %d: offset did not take (committed %lld, wanted %lld)",
			       g->name, p->topic, (int)p->partition, (long long)chk.got[k], (long long)p->target);
			goto out;
		}
		(*n_set)++;
	}
	rc = 0;
out:
	free(chk.got);
	hs_buf_release(&what);
	if (ev)
		rd_kafka_event_destroy(ev);
	if (req)
		rd_kafka_AlterConsumerGroupOffsets_destroy(req);
	if (o)
		rd_kafka_AdminOptions_destroy(o);
	if (q)
		rd_kafka_queue_destroy(q);
	rd_kafka_topic_partition_list_destroy(pl);
	return rc;
}

/*
 * Apply the plan kept in r->state: preflight again (a consumer may have
 * started since), then commit and read back group by group; the result
 * says which groups were restored, which failed and which were not applied.
 */
int hs_kafka_restore_apply(hs_restore *r, hs_error *e)
{
	hs_kr_state *st = r->state;
	const hs_profile_kafka *pk = r->profile ? r->profile->kafka : NULL;
	rd_kafka_t *rk = NULL;
	const struct rd_kafka_metadata *md = NULL;
	size_t i, n_set, next = 0;
	int rc = -1;

	r->result = json_array();
	if (!st)
		return hs_err(e, HS_EXIT_FAILURE, "kafka restore applied without a plan");
	if (hs_kafka_client_new(&rk, RD_KAFKA_PRODUCER, st->brokers, pk, st->timeout_ms, e) ||
	    hs_kafka_metadata(rk, st->brokers, st->timeout_ms, &md, e) || hs_kr_preflight(rk, st, e))
		goto out;
	for (i = 0; i < st->n; i++) {
		const hs_kr_group *g = &st->groups[i];
		hs_buf d = HS_BUF_INIT;

		if (hs_kr_apply_group(rk, st, g, &n_set, e)) {
			next = i + 1;
			json_array_append_new(r->result, json_pack("{s:s, s:s, s:s}", "target", g->name, "action",
								   "failed", "detail", e->msg));
			goto out;
		}
		if (n_set)
			hs_buf_addf(&d, "%zu partition offset(s) committed and read back", n_set);
		else
			hs_buf_adds(&d, "nothing committed (no offsets in the archive for a live partition)");
		json_array_append_new(r->result, json_pack("{s:s, s:s, s:s, s:i}", "target", g->name, "action",
							   "restored", "detail", d.data, "partitions", (int)n_set));
		hs_info("kafka", "group '%s': %s", g->name, d.data);
		hs_progress_add(r->progress, 1, 0);
		hs_buf_release(&d);
	}
	rc = 0;
out:
	for (i = next; rc && i < st->n; i++)
		json_array_append_new(r->result, json_pack("{s:s, s:s, s:s}", "target", st->groups[i].name,
							   "action", "not-applied", "detail", "stopped before"));
	if (md)
		rd_kafka_metadata_destroy(md);
	hs_kafka_client_free(rk);
	return rc;
}

void hs_kafka_restore_release(hs_restore *r)
{
	hs_kr_state_free(r->state);
	r->state = NULL;
}
