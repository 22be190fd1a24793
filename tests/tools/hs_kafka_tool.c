/*
 * hs_kafka_tool.c - small Kafka chores for the integration tests, on the
 * brokers in $HIVESNAP_KAFKA_BROKERS:
 *
 *   hs_kafka_tool create TOPIC PARTITIONS
 *   hs_kafka_tool delete-topic TOPIC
 *   hs_kafka_tool produce TOPIC PARTITION COUNT [TS_BASE_MS TS_STEP_MS]
 *   hs_kafka_tool commit GROUP TOPIC PARTITION OFFSET
 *   hs_kafka_tool committed GROUP TOPIC PARTITION      prints the offset or -1
 *   hs_kafka_tool delete-records TOPIC PARTITION BEFORE_OFFSET
 *   hs_kafka_tool delete-group GROUP
 *   hs_kafka_tool member GROUP TOPIC READY_FILE        joins GROUP, writes READY_FILE
 *                                                    once assigned, stays until SIGTERM
 *
 * Exit 0 on success, 1 with a message on stderr otherwise.
 */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t hs_stop;

static void hs_on_signal(int sig)
{
	(void)sig;
	hs_stop = 1;
}

static int hs_fail(const char *what, const char *why)
{
	fprintf(stderr, "hs_kafka_tool: %s: %s\n", what, why);
	return 1;
}

static rd_kafka_t *hs_client(rd_kafka_type_t type, const char *group)
{
	const char *brokers = getenv("HIVESNAP_KAFKA_BROKERS");
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];
	rd_kafka_t *rk;

	if (!brokers)
		brokers = "127.0.0.1:19092";
	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "client.id", "hs_kafka_tool", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) ||
	    (group && (rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err)) ||
		       rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err)) ||
		       rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err))))) {
		rd_kafka_conf_destroy(conf);
		hs_fail("config", err);
		return NULL;
	}
	rk = rd_kafka_new(type, conf, err, sizeof(err));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		hs_fail("client", err);
	}
	return rk;
}

/* Wait for one admin result; 0 when the request itself succeeded. */
static rd_kafka_event_t *hs_wait(rd_kafka_queue_t *q, const char *what)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);

	if (!ev) {
		hs_fail(what, "timed out");
		return NULL;
	}
	if (rd_kafka_event_error(ev)) {
		hs_fail(what, rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		return NULL;
	}
	return ev;
}

static int hs_create(rd_kafka_t *rk, const char *topic, int parts)
{
	char err[256];
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, 1, err, sizeof(err));
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	const rd_kafka_topic_result_t **res;
	size_t cnt;
	int rc = 1;

	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	ev = hs_wait(q, "create");
	if (ev) {
		res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
		if (cnt == 1 && rd_kafka_topic_result_error(res[0]))
			hs_fail("create", rd_kafka_topic_result_error_string(res[0]));
		else
			rc = 0;
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	/* wait until the metadata knows the topic's leaders */
	for (int i = 0; !rc && i < 100; i++) {
		const struct rd_kafka_metadata *md;
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
		bool ok = false;

		if (!rd_kafka_metadata(rk, 0, rkt, &md, 5000)) {
			ok = md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt == parts;
			for (int j = 0; ok && j < md->topics[0].partition_cnt; j++)
				ok = md->topics[0].partitions[j].leader >= 0 && !md->topics[0].partitions[j].err;
			rd_kafka_metadata_destroy(md);
		}
		rd_kafka_topic_destroy(rkt);
		if (ok)
			break;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	return rc;
}

static int hs_delete_topic(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	const rd_kafka_topic_result_t **res;
	size_t cnt;
	int rc = 1;

	rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
	ev = hs_wait(q, "delete-topic");
	if (ev) {
		res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
		if (cnt == 1 && rd_kafka_topic_result_error(res[0]) &&
		    rd_kafka_topic_result_error(res[0]) != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
			hs_fail("delete-topic", rd_kafka_topic_result_error_string(res[0]));
		else
			rc = 0;
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_DeleteTopic_destroy(dt);
	rd_kafka_queue_destroy(q);
	return rc;
}

static int hs_produce(rd_kafka_t *rk, const char *topic, int part, long count, long long ts0, long long step)
{
	char val[64];
	long i;

	for (i = 0; i < count; i++) {
		int n = snprintf(val, sizeof(val), "record-%ld", i);
		rd_kafka_resp_err_t err = rd_kafka_producev(
			rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part), RD_KAFKA_V_VALUE(val, (size_t)n),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_TIMESTAMP(ts0 ? (int64_t)(ts0 + step * i) : 0), RD_KAFKA_V_END);

		if (err)
			return hs_fail("produce", rd_kafka_err2str(err));
		rd_kafka_poll(rk, 0);
	}
	if (rd_kafka_flush(rk, 30000))
		return hs_fail("produce", "flush timed out");
	return 0;
}

static int hs_commit_once(rd_kafka_t *rk, const char *group, const char *topic, int part, long long off,
			  bool *retry)
{
	rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(1);
	rd_kafka_AlterConsumerGroupOffsets_t *req;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	int rc = 1;

	rd_kafka_topic_partition_list_add(pl, topic, part)->offset = off;
	req = rd_kafka_AlterConsumerGroupOffsets_new(group, pl);
	rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, NULL, q);
	ev = hs_wait(q, "commit");
	if (ev) {
		size_t cnt;
		const rd_kafka_group_result_t **gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(
			rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &cnt);
		const rd_kafka_topic_partition_list_t *res = cnt == 1 ? rd_kafka_group_result_partitions(gr[0]) : NULL;

		rd_kafka_resp_err_t perr = res && res->cnt == 1 ? res->elems[0].err : 0;

		if (cnt != 1 || rd_kafka_group_result_error(gr[0])) {
			hs_fail("commit", cnt == 1 ? rd_kafka_error_string(rd_kafka_group_result_error(gr[0])) : "no result");
		} else if (perr == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
			   perr == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
			   perr == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
			*retry = true;
		} else if (perr) {
			hs_fail("commit", rd_kafka_err2str(perr));
		} else
			rc = 0;
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_AlterConsumerGroupOffsets_destroy(req);
	rd_kafka_topic_partition_list_destroy(pl);
	rd_kafka_queue_destroy(q);
	return rc;
}

/* Commit, retrying while a fresh broker is still electing the group coordinator. */
static int hs_commit(rd_kafka_t *rk, const char *group, const char *topic, int part, long long off)
{
	int i, rc = 1;

	for (i = 0; i < 60; i++) {
		bool retry = false;

		rc = hs_commit_once(rk, group, topic, part, off, &retry);
		if (!retry)
			return rc;
		nanosleep(&(struct timespec){ 0, 500000000 }, NULL);
	}
	return hs_fail("commit", "no group coordinator");
}

static int hs_committed(rd_kafka_t *rk, const char *group, const char *topic, int part)
{
	rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(1);
	rd_kafka_ListConsumerGroupOffsets_t *req;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	int rc = 1;

	rd_kafka_topic_partition_list_add(pl, topic, part);
	req = rd_kafka_ListConsumerGroupOffsets_new(group, pl);
	rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, NULL, q);
	ev = hs_wait(q, "committed");
	if (ev) {
		size_t cnt;
		const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
			rd_kafka_event_ListConsumerGroupOffsets_result(ev), &cnt);
		const rd_kafka_topic_partition_list_t *res = cnt == 1 ? rd_kafka_group_result_partitions(gr[0]) : NULL;

		if (!res || res->cnt != 1) {
			hs_fail("committed", "no result");
		} else {
			printf("%lld\n", (long long)(res->elems[0].err ? -1 : res->elems[0].offset));
			rc = 0;
		}
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_ListConsumerGroupOffsets_destroy(req);
	rd_kafka_topic_partition_list_destroy(pl);
	rd_kafka_queue_destroy(q);
	return rc;
}

static int hs_delete_records(rd_kafka_t *rk, const char *topic, int part, long long before)
{
	rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(1);
	rd_kafka_DeleteRecords_t *dr;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	int rc = 1;

	rd_kafka_topic_partition_list_add(pl, topic, part)->offset = before;
	dr = rd_kafka_DeleteRecords_new(pl);
	rd_kafka_DeleteRecords(rk, &dr, 1, NULL, q);
	ev = hs_wait(q, "delete-records");
	if (ev) {
		const rd_kafka_topic_partition_list_t *res =
			rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));

		if (res && res->cnt == 1 && res->elems[0].err)
			hs_fail("delete-records", rd_kafka_err2str(res->elems[0].err));
		else
			rc = 0;
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_DeleteRecords_destroy(dr);
	rd_kafka_topic_partition_list_destroy(pl);
	rd_kafka_queue_destroy(q);
	return rc;
}

static int hs_delete_group(rd_kafka_t *rk, const char *group)
{
	rd_kafka_DeleteGroup_t *dg = rd_kafka_DeleteGroup_new(group);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;

	rd_kafka_DeleteGroups(rk, &dg, 1, NULL, q);
	ev = hs_wait(q, "delete-group");
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_DeleteGroup_destroy(dg);
	rd_kafka_queue_destroy(q);
	return ev ? 0 : 1; /* a group that does not exist is fine for cleanup */
}

/* Join GROUP on TOPIC, write READY_FILE once assigned, stay until a signal. */
static int hs_member(const char *group, const char *topic, const char *ready)
{
	rd_kafka_t *rk = hs_client(RD_KAFKA_CONSUMER, group);
	rd_kafka_topic_partition_list_t *sub;
	bool written = false;

	if (!rk)
		return 1;
	rd_kafka_poll_set_consumer(rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, sub)) {
		rd_kafka_topic_partition_list_destroy(sub);
		rd_kafka_destroy(rk);
		return hs_fail("member", "subscribe failed");
	}
	rd_kafka_topic_partition_list_destroy(sub);
	signal(SIGTERM, hs_on_signal);
	signal(SIGINT, hs_on_signal);
	while (!hs_stop) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		rd_kafka_topic_partition_list_t *asg = NULL;

		if (m)
			rd_kafka_message_destroy(m);
		if (!written && !rd_kafka_assignment(rk, &asg) && asg && asg->cnt > 0) {
			FILE *f = fopen(ready, "w");

			if (f) {
				fputs("assigned\n", f);
				fclose(f);
			}
			written = true;
		}
		if (asg)
			rd_kafka_topic_partition_list_destroy(asg);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return 0;
}

int main(int argc, char **argv)
{
	rd_kafka_t *rk;
	int rc = 2;

	if (argc < 2)
		return hs_fail("usage", "see the comment at the top of hs_kafka_tool.c");
	if (!strcmp(argv[1], "member") && argc == 5)
		return hs_member(argv[2], argv[3], argv[4]);
	rk = hs_client(RD_KAFKA_PRODUCER, NULL);
	if (!rk)
		return 1;
	if (!strcmp(argv[1], "create") && argc == 4)
		rc = hs_create(rk, argv[2], atoi(argv[3]));
	else if (!strcmp(argv[1], "delete-topic") && argc == 3)
		rc = hs_delete_topic(rk, argv[2]);
	else if (!strcmp(argv[1], "produce") && (argc == 5 || argc == 7))
		rc = hs_produce(rk, argv[2], atoi(argv[3]), atol(argv[4]), argc == 7 ? atoll(argv[5]) : 0,
				argc == 7 ? atoll(argv[6]) : 0);
	else if (!strcmp(argv[1], "commit") && argc == 6)
		rc = hs_commit(rk, argv[2], argv[3], atoi(argv[4]), atoll(argv[5]));
	else if (!strcmp(argv[1], "committed") && argc == 5)
		rc = hs_committed(rk, argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(argv[1], "delete-records") && argc == 5)
		rc = hs_delete_records(rk, argv[2], atoi(argv[3]), atoll(argv[4]));
	else if (!strcmp(argv[1], "delete-group") && argc == 3)
		rc = hs_delete_group(rk, argv[2]);
	else
		hs_fail("usage", "unknown command or wrong number of arguments");
	rd_kafka_destroy(rk);
	return rc;
}
