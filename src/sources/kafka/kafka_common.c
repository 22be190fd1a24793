/*
 * kafka_common.c - the librdkafka client, Admin API waiting, entry names,
 * the offsets.csv format and the restore decision per partition, shared by
 * snapshot/kafka.c and restore/kafka.c (see kafka_common.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "kafka_common.h"
#include "log.h"

/* librdkafka's log lines (from its threads) go to our debug log. */
static void hs_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level; /* connection errors are reported by the caller, once */
	hs_log(HS_LOG_DEBUG, "kafka", "librdkafka %s: %s", fac, buf);
}

/* Set one property; a rejection names the key, and librdkafka's reason only for non-secrets. */
static int hs_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, hs_error *e)
{
	char err[512];

	if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) == RD_KAFKA_CONF_OK)
		return 0;
	if (hs_profile_secret_key(key))
		return hs_err(e, HS_EXIT_DATA, "kafka property '%s' rejected by librdkafka", key);
	return hs_err(e, HS_EXIT_DATA, "kafka property '%s' rejected by librdkafka: %s", key, err);
}

int hs_kafka_client_new(rd_kafka_t **out, rd_kafka_type_t type, const char *brokers,
			const hs_profile_kafka *pk, int timeout_ms, hs_error *e)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk = NULL;
	char err[512], sock[32], setup[32];
	size_t i;
	int rc = -1;

	*out = NULL;
	snprintf(sock, sizeof(sock), "%d", timeout_ms < 10 ? 10 : timeout_ms > 300000 ? 300000 : timeout_ms);
	snprintf(setup, sizeof(setup), "%d", timeout_ms < 1000 ? 1000 : timeout_ms);
	rd_kafka_conf_set_log_cb(conf, hs_kafka_log_cb);
	if (hs_kafka_conf_set(conf, "client.id", "hivesnap", e) ||
	    hs_kafka_conf_set(conf, "socket.timeout.ms", sock, e) ||
	    hs_kafka_conf_set(conf, "socket.connection.setup.timeout.ms", setup, e) ||
	    hs_kafka_conf_set(conf, "log.connection.close", "false", e))
		goto out;
	if (type == RD_KAFKA_CONSUMER &&
	    (hs_kafka_conf_set(conf, "enable.auto.commit", "false", e) ||
	     hs_kafka_conf_set(conf, "enable.partition.eof", "false", e) ||
	     hs_kafka_conf_set(conf, "enable.auto.offset.store", "false", e) ||
	     hs_kafka_conf_set(conf, "fetch.wait.max.ms", "100", e) ||
	     hs_kafka_conf_set(conf, "fetch.message.max.bytes", "65536", e)))
		goto out;
	for (i = 0; pk && i < pk->config.n; i++)
		if (hs_kafka_conf_set(conf, pk->config.v[i].key, pk->config.v[i].value, e))
			goto out;
	if (hs_kafka_conf_set(conf, "bootstrap.servers", brokers, e))
		goto out;
	rk = rd_kafka_new(type, conf, err, sizeof(err));
	if (!rk) {
		/* the message may quote a property value: keep it out */
		hs_err(e, HS_EXIT_DATA, "cannot create a kafka client for '%s' (check kafka.config)", brokers);
		goto out;
	}
	conf = NULL; /* rd_kafka_new() owns it on success */
	*out = rk;
	rc = 0;
out:
	if (conf)
		rd_kafka_conf_destroy(conf);
	return rc;
}

void hs_kafka_client_free(rd_kafka_t *rk)
{
	if (!rk)
		return;
	/* do not wait for a consumer group leave: we never join one */
	rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

int hs_kafka_metadata(rd_kafka_t *rk, const char *brokers, int timeout_ms,
		      const struct rd_kafka_metadata **md, hs_error *e)
{
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, md, timeout_ms);

	if (err) {
		*md = NULL;
		return hs_err(e, HS_EXIT_FAILURE, "cannot reach kafka brokers '%s' within %d ms: %s", brokers,
			      timeout_ms, rd_kafka_err2str(err));
	}
	return 0;
}

rd_kafka_AdminOptions_t *hs_kafka_admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op, int timeout_ms)
{
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
	char err[256];

	rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, err, sizeof(err));
	if (op == RD_KAFKA_ADMIN_OP_DELETERECORDS || op == RD_KAFKA_ADMIN_OP_CREATETOPICS ||
	    op == RD_KAFKA_ADMIN_OP_DELETETOPICS)
		rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms, err, sizeof(err));
	return o;
}

int hs_kafka_admin_wait(rd_kafka_queue_t *q, int timeout_ms, const char *what, rd_kafka_event_t **out,
			hs_error *e)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 2000);

	*out = NULL;
	if (!ev)
		return hs_err(e, HS_EXIT_FAILURE, "%s: no answer within %d ms", what, timeout_ms);
	if (rd_kafka_event_error(ev)) {
		hs_err(e, HS_EXIT_FAILURE, "%s: %s", what, rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		return -1;
	}
	*out = ev;
	return 0;
}

int hs_kafka_list_offsets(rd_kafka_t *rk, int timeout_ms, const char *group, rd_kafka_event_t **ev,
			  const rd_kafka_topic_partition_list_t **pl, hs_error *e)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = hs_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_ms);
	rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
	const rd_kafka_group_result_t **gr;
	hs_buf what = HS_BUF_INIT;
	size_t cnt;
	int rc = -1;

	*ev = NULL;
	*pl = NULL;
	hs_buf_addf(&what, "cannot list the offsets of group '%s'", group);
	rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, q);
	if (hs_kafka_admin_wait(q, timeout_ms, what.data, ev, e))
		goto out;
	gr = rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(*ev),
							    &cnt);
	if (cnt != 1 || rd_kafka_group_result_error(gr[0])) {
		hs_err(e, HS_EXIT_FAILURE, "%s: %s", what.data,
		       cnt == 1 ? rd_kafka_error_string(rd_kafka_group_result_error(gr[0])) : "no result");
		rd_kafka_event_destroy(*ev);
		*ev = NULL;
		goto out;
	}
	*pl = rd_kafka_group_result_partitions(gr[0]);
	rc = 0;
out:
	hs_buf_release(&what);
	rd_kafka_ListConsumerGroupOffsets_destroy(req);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	return rc;
}

int hs_kafka_describe_groups(rd_kafka_t *rk, int timeout_ms, const char **names, size_t n,
			     rd_kafka_event_t **ev, const rd_kafka_ConsumerGroupDescription_t ***ds, size_t *cnt,
			     hs_error *e)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = hs_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms);
	int rc = -1;

	*ev = NULL;
	*ds = NULL;
	*cnt = 0;
	rd_kafka_DescribeConsumerGroups(rk, names, n, o, q);
	if (hs_kafka_admin_wait(q, timeout_ms, "cannot describe consumer groups", ev, e))
		goto out;
	*ds = rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(*ev), cnt);
	rc = 0;
out:
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	return rc;
}

const char *hs_kafka_state_name(rd_kafka_consumer_group_state_t s)
{
	switch (s) {
	case RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE: return "PreparingRebalance";
	case RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE: return "CompletingRebalance";
	case RD_KAFKA_CONSUMER_GROUP_STATE_STABLE: return "Stable";
	case RD_KAFKA_CONSUMER_GROUP_STATE_DEAD: return "Dead";
	case RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY: return "Empty";
	default: return "Unknown";
	}
}

void hs_kafka_group_entry(hs_buf *out, const char *group)
{
	const unsigned char *p;
	bool dots = true;

	for (p = (const unsigned char *)group; *p; p++)
		if (*p != '.')
			dots = false;
	hs_buf_adds(out, "kafka/groups/");
	for (p = (const unsigned char *)group; *p; p++) {
		if (!dots && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			      *p == '.' || *p == '_' || *p == '-'))
			hs_buf_addc(out, (char)*p);
		else
			hs_buf_addf(out, "%%%02X", *p);
	}
	if (!*group)
		hs_buf_adds(out, "%");
	hs_buf_adds(out, ".json");
}

void hs_kafka_csv_field(hs_buf *out, const char *s)
{
	const char *p;

	if (!strpbrk(s, ",\"\r\n")) {
		hs_buf_adds(out, s);
		return;
	}
	hs_buf_addc(out, '"');
	for (p = s; *p; p++) {
		if (*p == '"')
			hs_buf_addc(out, '"');
		hs_buf_addc(out, *p);
	}
	hs_buf_addc(out, '"');
}

void hs_kafka_csv_line(hs_buf *out, const char *group, const char *topic, int32_t partition, int64_t offset)
{
	hs_kafka_csv_field(out, group);
	hs_buf_addc(out, ',');
	hs_kafka_csv_field(out, topic);
	hs_buf_addf(out, ",%d,%lld\n", (int)partition, (long long)offset);
}

enum hs_kafka_method hs_kafka_decide(const hs_kafka_part_in *in, int64_t *target)
{
	int64_t t;

	if (in->by_time && in->ts_ms >= 0 && in->live_ts_ms != in->ts_ms) {
		t = in->time_offset >= 0 ? in->time_offset : in->high;
		if (t < in->low)
			t = in->low;
		if (t > in->high)
			t = in->high;
		*target = t;
		return HS_KAFKA_BY_TIME;
	}
	t = in->archived;
	if (t < in->low) {
		*target = in->low;
		return HS_KAFKA_CLAMPED;
	}
	if (t > in->high) {
		*target = in->high;
		return HS_KAFKA_CLAMPED;
	}
	*target = t;
	return HS_KAFKA_BY_OFFSET;
}

const char *hs_kafka_method_name(enum hs_kafka_method m)
{
	switch (m) {
	case HS_KAFKA_CLAMPED: return "clamped";
	case HS_KAFKA_BY_TIME: return "by-time";
	default: return "by-offset";
	}
}

static int64_t hs_kafka_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Note message m against the active requests; pause a partition once it is answered. */
static void hs_kafka_ts_take(rd_kafka_t *rk, const rd_kafka_message_t *m, hs_kafka_ts_req *w, bool *active,
			     size_t n, size_t *left)
{
	const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
	rd_kafka_topic_partition_list_t *one;
	rd_kafka_timestamp_type_t tt;
	size_t i;

	for (i = 0; topic && i < n; i++) {
		if (!active[i] || w[i].done || w[i].partition != m->partition || strcmp(w[i].topic, topic))
			continue;
		if (m->err && m->err != RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
			return;
		if (!m->err && m->offset < w[i].at)
			return;
		if (!m->err && m->offset == w[i].at) {
			int64_t ts = rd_kafka_message_timestamp(m, &tt);

			w[i].ts_ms = tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
		}
		w[i].done = true;
		(*left)--;
		one = rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(one, w[i].topic, w[i].partition);
		rd_kafka_pause_partitions(rk, one);
		rd_kafka_topic_partition_list_destroy(one);
		return;
	}
}

/*
 * Rounds: a partition can be assigned once at a time, so requests for the
 * same partition at different offsets (two groups on one topic) are read
 * in successive rounds, all within the one budget.
 */
int hs_kafka_read_timestamps(const char *brokers, const hs_profile_kafka *pk, int timeout_ms,
			     int budget_ms, hs_kafka_ts_req *w, size_t n, size_t *left, hs_error *e)
{
	hs_profile_kafka conf;
	hs_kv *kv = NULL;
	rd_kafka_t *rk = NULL;
	rd_kafka_topic_partition_list_t *pl = NULL;
	bool *active = NULL;
	int64_t deadline;
	size_t i, nkv = pk ? pk->config.n : 0;
	int rc = -1;

	*left = n;
	for (i = 0; i < n; i++) {
		w[i].ts_ms = -1;
		w[i].done = false;
	}
	if (!n || budget_ms <= 0)
		return 0;
	memset(&conf, 0, sizeof(conf));
	kv = hs_xcalloc(nkv + 1, sizeof(*kv));
	for (i = 0; i < nkv; i++)
		kv[i] = pk->config.v[i];
	kv[nkv].key = "group.id";
	kv[nkv].value = "hivesnap-timestamps";
	conf.config.v = kv;
	conf.config.n = nkv + 1;
	active = hs_xcalloc(n, sizeof(*active));
	if (hs_kafka_client_new(&rk, RD_KAFKA_CONSUMER, brokers, &conf, timeout_ms, e))
		goto out;
	deadline = hs_kafka_mono_ms() + budget_ms;
	while (*left && hs_kafka_mono_ms() < deadline) {
		size_t in_round = 0;

		pl = rd_kafka_topic_partition_list_new((int)n);
		for (i = 0; i < n; i++) {
			active[i] = false;
			if (w[i].done || rd_kafka_topic_partition_list_find(pl, w[i].topic, w[i].partition))
				continue;
			rd_kafka_topic_partition_list_add(pl, w[i].topic, w[i].partition)->offset = w[i].at;
			active[i] = true;
			in_round++;
		}
		if (rd_kafka_assign(rk, pl)) {
			hs_err(e, HS_EXIT_FAILURE, "cannot assign partitions to read record timestamps");
			goto out;
		}
		while (in_round && hs_kafka_mono_ms() < deadline) {
			rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
			size_t before = *left;

			if (!m)
				continue;
			hs_kafka_ts_take(rk, m, w, active, n, left);
			in_round -= before - *left;
			rd_kafka_message_destroy(m);
		}
		rd_kafka_resume_partitions(rk, pl);
		rd_kafka_assign(rk, NULL);
		rd_kafka_topic_partition_list_destroy(pl);
		pl = NULL;
	}
	rc = 0;
out:
	if (pl)
		rd_kafka_topic_partition_list_destroy(pl);
	hs_kafka_client_free(rk);
	free(active);
	free(kv);
	return rc;
}
