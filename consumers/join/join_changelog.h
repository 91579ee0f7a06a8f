/*
 * join_changelog: the published-id state follows the input partitions
 * (docs/join.md, "State"; issue 10, many instances).
 *
 * Every id the join publishes (alert_id, check_id) is a function of one input
 * record, which lives on one input partition: a feed record is keyed by its ID
 * number (so every record of one person, list and month is on one partition
 * of its feed topic), a CheckResult is made when its manifest is consumed from
 * a partition of its department's manifests topic, feed.<dept>.manifests. In
 * the transaction that publishes the id, the
 * join writes one record to the compacted changelog topic
 * <prefix>riskhub-join.published:
 *
 *   partition  a feed partition: its number modulo (the changelog's partition
 *              count - 1); a check id (any manifests partition): the
 *              last partition
 *   key        the id's set key, 16 lowercase hex digits (join_idset_key)
 *   value      "<input topic>/<input partition>", or "*" (seeded: any partition)
 *
 * When the group gives an instance input partitions it reads the changelog
 * partitions they map to, read_committed up to the last stable offset once
 * that equals the high watermark (no transaction of another instance open on
 * it), and loads the ids of exactly those input partitions (and every "*")
 * into the join's id set. Check ids are few (applicant members x check feeds x
 * months): every instance reads them all (join_changelog_checks_catch_up)
 * before it handles a manifest, and keeps them. When partitions are revoked their ids are kept
 * aside with the group's committed offset of that partition: if the next
 * assignment gives the partition back and its committed offset has not moved
 * (no other instance committed anything there) they are taken back as they
 * are, else dropped and read again.
 *
 * The pure parts (key, value, partition, the table of owned partitions) are
 * unit-tested (tests/unit/join/test_join_changelog.c); the Kafka parts by
 * tests/integration/test_join_instances_serial.py.
 */
#ifndef JOIN_CHANGELOG_H
#define JOIN_CHANGELOG_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "join_idset.h"
#include "rh_kafka.h"

#define JOIN_CHANGELOG_NAME "riskhub-join.published"
#define JOIN_CHANGELOG_WILDCARD "*"

/* ---- pure ---- */

/* The record key of a set key: 16 lowercase hex digits and a NUL. */
void join_changelog_key(uint64_t key, char out[17]);

/* The record value naming the input partition. Its length, or -1 if it does
 * not fit. */
int join_changelog_value(const char *topic, int32_t partition, char *out, size_t size);

/* Parse a value: 1 an input partition (topic copied into topic, its size
 * tsize), 0 the wildcard, -1 not a changelog value. */
int join_changelog_parse(const void *value, size_t len, char *topic, size_t tsize,
                         int32_t *partition);

/* The changelog partition of an input partition. */
int32_t join_changelog_partition(int32_t input_partition, int nparts);

/* The input partitions whose ids are in the set: owned (assigned now) or
 * stale (revoked, kept aside until the next assignment decides). */
typedef struct {
  char *topic;
  int32_t partition;
  bool stale;
  int64_t committed; /* the group's committed offset as this instance knows it; <0 none */
  uint64_t *keys;
  size_t nkeys, cap;
} join_owned_part_t;

typedef struct {
  join_owned_part_t *parts;
  size_t n, cap;
} join_owned_t;

join_owned_part_t *join_owned_find(join_owned_t *o, const char *topic, int32_t partition);
/* Find or add (not stale, committed -1). NULL out of memory. */
join_owned_part_t *join_owned_add(join_owned_t *o, const char *topic, int32_t partition);
/* 0, or -1 out of memory. */
int join_owned_note(join_owned_part_t *p, uint64_t key);
/* Forget the partition: its keys leave ids (ids may be NULL). Returns how
 * many keys it had. */
size_t join_owned_drop(join_owned_t *o, const char *topic, int32_t partition, join_idset_t *ids);
/* Every part becomes stale (a revoke). */
void join_owned_revoke(join_owned_t *o);
/* An assignment: each stale part not in assigned is dropped; a stale part in
 * it whose committed offset equals the one in assigned (elem.offset, the
 * group's committed offset fetched at the assignment) is owned again as it is;
 * others are dropped. need[i] is set true for the elements of assigned that
 * must be read from the changelog (need has assigned->cnt entries). Returns
 * the number of those. */
int join_owned_assign(join_owned_t *o, const rd_kafka_topic_partition_list_t *assigned,
                      join_idset_t *ids, bool *need);
void join_owned_free(join_owned_t *o);

/* ---- Kafka ---- */

typedef struct join_changelog join_changelog_t;

/* Create <prefix>riskhub-join.published if missing (cleanup.policy compact,
 * as many partitions as the most partitioned feed topic, at least 3) and
 * learn its partition count. rk: an admin-capable handle (the producer's).
 * probe_rc, probe_ru: read_committed (borrowed) and read_uncommitted (taken,
 * also on failure) handles that only query offsets. feed_prefix:
 * "<prefix>feed.". A check id's input is a department's manifests topic
 * (rh_config_topic_class). NULL with errstr. */
join_changelog_t *join_changelog_open(rd_kafka_t *rk, rd_kafka_t *probe_rc, rd_kafka_t *probe_ru,
                                      const char *prefix, const char *feed_prefix, char *errstr,
                                      size_t errstr_size);
void join_changelog_destroy(join_changelog_t *cl);
/* The producer was replaced (join_producer.h): its handle is the one borrowed now. */
void join_changelog_set_handle(join_changelog_t *cl, rd_kafka_t *rk);
const char *join_changelog_topic(const join_changelog_t *cl);
int join_changelog_partitions(const join_changelog_t *cl);

/* Does the changelog hold no record at all (high watermarks all 0)? 1 yes,
 * 0 no, -1 broker error (errstr). */
int join_changelog_is_empty(join_changelog_t *cl, char *errstr, size_t errstr_size);

/* Seed (migration): every key as the wildcard, to every partition, in one
 * transaction of producer. 0, or -1 with errstr. */
int join_changelog_seed(join_changelog_t *cl, rh_producer_t *producer, const uint64_t *keys,
                        size_t n, int txn_timeout_ms, char *errstr, size_t errstr_size);

/* The assignment: committed holds the assigned input partitions with the
 * group's committed offsets (fetched before, read_committed: the previous
 * owner's transaction is settled). Partitions already known (see
 * join_owned_assign) are kept; the others are read from the changelog into
 * ids. conf (a reader configuration) is taken. wait_ms: how long an open
 * transaction on the changelog may keep its LSO below its high watermark.
 * 0, or -1 with errstr. *loaded = ids read. */
int join_changelog_assign(join_changelog_t *cl, const rd_kafka_topic_partition_list_t *committed,
                          join_idset_t *ids, rd_kafka_conf_t *conf, int wait_ms, size_t *loaded,
                          char *errstr, size_t errstr_size);

/* A revoke: the owned partitions become stale (their ids stay in the set
 * until the next assignment decides). */
void join_changelog_revoke(join_changelog_t *cl);

/* Write the ids added to ids since pending index from (the record of topic /
 * partition just handled) to the changelog through producer (in its open
 * transaction). 0, or -1 with errstr. */
int join_changelog_write(join_changelog_t *cl, rh_producer_t *producer, const join_idset_t *ids,
                         size_t from, const char *topic, int32_t partition, char *errstr,
                         size_t errstr_size);

/* After a commit: the group's committed offset of topic/partition is now offset. */
void join_changelog_committed(join_changelog_t *cl, const char *topic, int32_t partition,
                              int64_t offset);

/* Before a manifest is handled: the check ids of every manifests partition
 * (the changelog's last partition), read up to its high watermark of now once
 * every transaction that wrote there before has ended, so that a list
 * published again whose manifest is on another manifests partition (another
 * instance's) gives no result twice. Skipped when the open transaction wrote
 * check ids already (it caught up at its first manifest). conf is taken.
 * 0, or -1 with errstr. */
int join_changelog_checks_catch_up(join_changelog_t *cl, join_idset_t *ids, rd_kafka_conf_t *conf,
                                   int wait_ms, size_t *loaded, char *errstr,
                                   size_t errstr_size);
/* The open transaction ended (committed or aborted). */
void join_changelog_txn_end(join_changelog_t *cl);

/* Ids held for owned and stale partitions (for the log). */
size_t join_changelog_held(const join_changelog_t *cl);

#endif
