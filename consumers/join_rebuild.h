/*
 * join_rebuild: the join's state that lives in Kafka, read back at start
 * (docs/join.md, "State"):
 *   - the ids of every Alert and CheckResult ever published (alerts.*,
 *     checks.*), read_committed to the end, after the producer's
 *     init_transactions fenced (and so aborted) a previous instance's open
 *     transaction;
 *   - which check lists arrived: the manifests the group consumed before
 *     (feed.manifests up to the group's committed offsets).
 */
#ifndef JOIN_REBUILD_H
#define JOIN_REBUILD_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

typedef int(join_read_fn)(void *arg, const rd_kafka_message_t *m);

/* Read every committed message of the topics (topics that do not exist are
 * skipped) from the beginning to the end, or, with until (same topics), to
 * the offsets in it (exclusive; a partition missing from until or with an
 * invalid offset is not read). fn returning non-zero stops with -1. conf is
 * taken. 0, or -1 with errstr. *count (if not NULL) = messages read. */
int join_read_topics(rd_kafka_conf_t *conf, const char *const *topics, size_t n,
                     const rd_kafka_topic_partition_list_t *until, join_read_fn *fn, void *arg,
                     size_t *count, char *errstr, size_t errstr_size);

/* The first field of an Alert or CheckResult (alert_id, check_id: a string)
 * of a single-object message, without decoding the rest: a pointer into
 * value and its length, or NULL if the message is not shaped like that. */
const char *join_first_string(const void *value, size_t len, size_t *out_len);

#endif
