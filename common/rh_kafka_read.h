/*
 * rh_kafka_read: read topics from their beginning to their end (or to given
 * offsets), read_committed, by partition assignment: no group is joined and
 * nothing is committed. Used for state that lives in Kafka and is read back
 * at start (the join's published ids and arrived check lists, docs/join.md
 * "State") and for reports that read whole topics (riskhub-status).
 */
#ifndef RH_KAFKA_READ_H
#define RH_KAFKA_READ_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

typedef int(rh_kafka_read_fn)(void *arg, const rd_kafka_message_t *m);

/* Read every committed message of the topics (topics that do not exist are
 * skipped) from the beginning to the end, or, with until (same topics), to
 * the offsets in it (exclusive; a partition missing from until or with an
 * invalid offset is not read). fn returning non-zero stops with -1. conf is
 * taken. 0, or -1 with errstr. *count (if not NULL) = messages read. */
int rh_kafka_read_topics(rd_kafka_conf_t *conf, const char *const *topics, size_t n,
                         const rd_kafka_topic_partition_list_t *until, rh_kafka_read_fn *fn,
                         void *arg, size_t *count, char *errstr, size_t errstr_size);

/* How long rh_kafka_read_topics waits in all for the brokers' first metadata
 * answer while they cannot be reached (refused, timed out) before it fails:
 * ms milliseconds from now on, for the whole process (default 90000, which
 * waits out a broker paused for half a minute; a negative ms restores it). */
void rh_kafka_read_set_metadata_wait(int64_t ms);

#endif
