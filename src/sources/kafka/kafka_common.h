/*
 * kafka_common.h - what the Kafka capture (snapshot/kafka.c) and restore
 * (restore/kafka.c) share: a bounded librdkafka client made from the
 * profile, Admin API waiting with a deadline, the archive's entry names,
 * the offsets.csv line format, and the pure decision of which offset a
 * restore sets for one partition (unit-tested without a broker).
 *
 * Every call to the broker is bounded by the profile's kafka.timeout_ms: a
 * broker that does not answer is an error naming the brokers and the time
 * waited, never a hang.  librdkafka's own log lines go to hs_debug(), never
 * straight to stderr.  kafka.config values whose key names a secret
 * (hs_profile_secret_key) never appear in an error or log.
 */
#ifndef HS_KAFKA_COMMON_H
#define HS_KAFKA_COMMON_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "profile.h"
#include "source.h"

#define HS_KAFKA_DEFAULT_TIMEOUT_MS 10000

/*
 * Create a client of type (RD_KAFKA_PRODUCER for the Admin API and
 * watermarks, RD_KAFKA_CONSUMER for reading records) for brokers, with the
 * profile's kafka.config passed through (pk may be NULL) and every socket
 * and request bounded by timeout_ms.  The caller frees *out with
 * hs_kafka_client_free().  A rejected property is HS_EXIT_DATA naming the
 * key (and librdkafka's reason unless the key is a secret).
 */
int hs_kafka_client_new(rd_kafka_t **out, rd_kafka_type_t type, const char *brokers,
			const hs_profile_kafka *pk, int timeout_ms, hs_error *e);
void hs_kafka_client_free(rd_kafka_t *rk);

/*
 * Fetch the cluster metadata (all topics) within timeout_ms: the first
 * call of every run, so that an unreachable broker is one clear error.
 * The caller frees *md with rd_kafka_metadata_destroy().
 */
int hs_kafka_metadata(rd_kafka_t *rk, const char *brokers, int timeout_ms,
		      const struct rd_kafka_metadata **md, hs_error *e);

/* One record whose timestamp is wanted: (topic, partition, offset at). */
typedef struct hs_kafka_ts_req {
	const char *topic;
	int32_t partition;
	int64_t at;
	/* out */
	int64_t ts_ms;           /* -1: no record at exactly `at`, or no timestamp */
	bool done;               /* false: the budget ran out first */
} hs_kafka_ts_req;

/*
 * Read the timestamps of the records at w[i].at within budget_ms in all:
 * one consumer (group.id "hivesnap-timestamps", which never joins, commits
 * or appears in a listing) assigns every partition at once and polls until
 * each delivered its record or the time is spent.  Sets *left to the
 * number of requests not done.  -1 only when the consumer cannot be made.
 */
int hs_kafka_read_timestamps(const char *brokers, const hs_profile_kafka *pk, int timeout_ms,
			     int budget_ms, hs_kafka_ts_req *w, size_t n, size_t *left, hs_error *e);

/* New AdminOptions for op with the request and operation timeouts set. */
rd_kafka_AdminOptions_t *hs_kafka_admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op,
						int timeout_ms);

/*
 * Wait on q for the result of one Admin API call, at most timeout_ms plus
 * a small margin.  A timeout or a request-level error is HS_EXIT_FAILURE
 * "<what>: <reason>".  The caller destroys *out (rd_kafka_event_destroy).
 */
int hs_kafka_admin_wait(rd_kafka_queue_t *q, int timeout_ms, const char *what,
			rd_kafka_event_t **out, hs_error *e);

/*
 * ListConsumerGroupOffsets for one group within timeout_ms (the one wrapper
 * capture and restore share).  *pl is the group's committed partitions
 * (an element may carry its own err; offset < 0: nothing committed); it
 * points into *ev, which the caller destroys with rd_kafka_event_destroy().
 * A request or group-level error is HS_EXIT_FAILURE "cannot list the
 * offsets of group '<group>': <reason>", and *ev is NULL.
 */
int hs_kafka_list_offsets(rd_kafka_t *rk, int timeout_ms, const char *group, rd_kafka_event_t **ev,
			  const rd_kafka_topic_partition_list_t **pl, hs_error *e);

/*
 * DescribeConsumerGroups for names[0..n) within timeout_ms: *ds (*cnt
 * descriptions, each with its own error) points into *ev, which the
 * caller destroys.  A request-level error is HS_EXIT_FAILURE "cannot
 * describe consumer groups: <reason>".
 */
int hs_kafka_describe_groups(rd_kafka_t *rk, int timeout_ms, const char **names, size_t n,
			     rd_kafka_event_t **ev, const rd_kafka_ConsumerGroupDescription_t ***ds, size_t *cnt,
			     hs_error *e);

/* The state names the archive uses ("Stable", "Empty", "Dead", ...). */
const char *hs_kafka_state_name(rd_kafka_consumer_group_state_t s);

/*
 * The archive entry of a group: kafka/groups/<name>.json, where bytes
 * other than A-Z a-z 0-9 . _ - are written %XX (and a name of only dots
 * is escaped whole), so that any group id gives one safe entry name.  The
 * group's real name is the "group" field of the entry.
 */
void hs_kafka_group_entry(hs_buf *out, const char *group);

/*
 * Append one offsets.csv field: as it is, or in double quotes (quotes
 * doubled) when it holds a comma, quote, CR or LF, as Jackson's CSV
 * reader in kafka-consumer-groups expects.
 */
void hs_kafka_csv_field(hs_buf *out, const char *s);
/* Append the line "group,topic,partition,offset\n". */
void hs_kafka_csv_line(hs_buf *out, const char *group, const char *topic, int32_t partition,
		       int64_t offset);

/* ---------------------------------------------------------------- restore planning */

enum hs_kafka_method {
	HS_KAFKA_BY_OFFSET = 0,  /* the archived offset as it is */
	HS_KAFKA_CLAMPED,        /* the archived offset moved into [log-start, log-end] */
	HS_KAFKA_BY_TIME         /* translated through the captured record timestamp */
};

/* What is known about one partition when a restore is planned. */
typedef struct hs_kafka_part_in {
	int64_t archived;        /* committed offset in the archive */
	int64_t ts_ms;           /* archived timestamp of the record at archived-1; -1 none */
	int64_t low, high;       /* live log-start and log-end */
	int64_t live_ts_ms;      /* live timestamp of the record at archived-1; -1 when
	                            there is none (or it was not read) */
	int64_t time_offset;     /* live offsets-for-times(ts_ms); -1: no such record
	                            (every record is older: log-end) */
	bool by_time;            /* --kafka-by-time */
} hs_kafka_part_in;

/*
 * Decide the offset to commit for one partition.  By time is used only
 * with by_time, when the archive has the timestamp and the live record at
 * archived-1 is missing or has another timestamp (the topic was recreated
 * or truncated); the result is the first live offset whose timestamp is
 * >= ts_ms (at least once: the last consumed record may be delivered
 * again).  Otherwise the archived offset, clamped into [low, high].
 * Returns the method and sets *target.  Pure.
 */
enum hs_kafka_method hs_kafka_decide(const hs_kafka_part_in *in, int64_t *target);
const char *hs_kafka_method_name(enum hs_kafka_method m);

/* The restore hooks (restore/kafka.c). */
int hs_kafka_restore_scan(hs_restore *r, hs_reader *rd, const hs_reader_entry *ent, hs_error *e);
/* verify's content check (source.h entry_check; restore/kafka.c). */
int hs_kafka_entry_check(const char *archive, hs_reader *rd, const hs_reader_entry *ent, hs_error *e);
int hs_kafka_restore_plan(hs_restore *r, hs_error *e);
int hs_kafka_restore_apply(hs_restore *r, hs_error *e);
void hs_kafka_restore_release(hs_restore *r);

#endif
