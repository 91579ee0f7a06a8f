/*
 * health_probe: what riskhub-health asks the broker (docs/operations.md, "The
 * hub's health"). It only reads: metadata, watermarks, the timestamp of the
 * first record of an open transaction (never its key or value), the consumer
 * groups and their committed offsets. It joins no group and commits nothing.
 *
 * - health_probe_topics(): the namespace's riskhub topic-partitions
 *   (health_judge_hub_topic) with their leaders, sorted;
 * - health_probe_sample(): one sample of every partition: the high watermark
 *   from a read_uncommitted handle, the last stable offset from a
 *   read_committed one (rh_kafka_query_handle);
 * - health_probe_txn_age(): for a partition whose LSO is below its HW, the
 *   timestamp of the record at the LSO (the first record of the oldest open
 *   transaction there);
 * - health_probe_lag(): the namespace's riskhub groups (ListConsumerGroups,
 *   health_judge_hub_group), their committed offsets (ListConsumerGroupOffsets,
 *   health_probe_group_offsets: again while a coordinator moves)
 *   against the LSOs of the last sample, summed per group and topic: the
 *   topics a group committed offsets on, and for <prefix>riskhub-join (also
 *   before it exists) every input topic of the join. Where
 *   offsets lie between the committed one and the LSO, reader (read_committed,
 *   enable.partition.eof, the legacy consumer: no group) fetches from the
 *   committed offset to find the first record left (health_judge_lag_read):
 *   commit markers alone are no lag;
 * - health_probe_retention(): the retention.ms of each topic of a class
 *   (DescribeConfigs) against the configuration's topics.retention.
 *
 * Ownership: health_state_t is the caller's (health_state_free). Threads: one
 * at a time. Failure: -1 with errstr when the broker does not answer (or for
 * memory: errstr says "out of memory").
 */
#ifndef HEALTH_PROBE_H
#define HEALTH_PROBE_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "health_judge.h"
#include "rh_config.h"

typedef struct {
  char topic[256];
  int32_t partition;
  int32_t leader;       /* broker id, -1 none */
  int64_t low;          /* low watermark (last sample) */
  int64_t hw0, lso0;    /* first sample, -1 none */
  int64_t hw, lso;      /* last sample, -1 none */
  int64_t txn_ts_ms;    /* timestamp of the record at lso when lso < hw, -1 unknown */
  int64_t age_ms;       /* now - txn_ts_ms, -1 unknown */
  health_txn_t txn;     /* the verdict (health_run) */
} health_part_t;

typedef struct {
  char group[256];
  char topic[256];
  int partitions; /* the topic's partitions */
  int committed;  /* of which the group committed an offset for */
  int64_t lag;    /* records (offsets) to read up to the LSO, summed */
} health_lag_t;

typedef struct {
  char topic[256];
  rh_topic_class_t cls;
  int64_t want_ms; /* the configuration's topics.retention.<class>, -1 forever */
  int64_t have_ms; /* the topic's retention.ms, -1 forever, -2 not known */
  bool short_;     /* health_judge_retention_short */
} health_retention_t;

typedef struct {
  health_part_t *parts;
  size_t n, cap;
  health_lag_t *lags; /* sorted by group, topic */
  size_t nlags, lags_cap;
  size_t groups; /* riskhub groups of the namespace found */
  health_retention_t *rets; /* the topics of a class (rh_config_topic_class), sorted */
  size_t nrets, rets_cap;
  /* the monthly archive (health_archive.h), when archive.dir is set */
  const char *archive_dir;      /* NULL: not set, not checked */
  char archive_error[600];      /* "" or why the ledger's months are not known */
  size_t archive_months;        /* months of the ledger */
  size_t archive_done;          /* of which archived */
  char (*archive_overdue)[8];   /* months past due without their archive */
  size_t archive_noverdue;
} health_state_t;

void health_state_free(health_state_t *s);

int health_probe_topics(rd_kafka_t *rk, const char *prefix, health_state_t *s, int timeout_ms,
                        char *errstr, size_t errstr_size);
/* first: fill (hw0, lso0), else (low, hw, lso). ru/rc: read_uncommitted and
 * read_committed handles. */
int health_probe_sample(rd_kafka_t *ru, rd_kafka_t *rc, health_state_t *s, int first,
                        int timeout_ms, char *errstr, size_t errstr_size);
/* ru: a read_uncommitted handle with enable.partition.eof (the legacy
 * consumer: no group; every open partition at once). A record not read
 * within timeout_ms leaves the age unknown. -1 only for memory. */
int health_probe_txn_age(rd_kafka_t *ru, health_state_t *s, int64_t now_wall_ms,
                          int timeout_ms);
/* The committed offset of group on every partition of s (-1 none) into
 * committed[0..s->n): ListConsumerGroupOffsets, asked again while the group's
 * coordinator moves (NOT_COORDINATOR and the like) for up to timeout_ms. rk:
 * rh_kafka_admin_handle() (a handle without a group crashes librdkafka when
 * the coordinator moved, rh_kafka.h). */
int health_probe_group_offsets(rd_kafka_t *rk, const health_state_t *s, const char *group,
                               int64_t *committed, int timeout_ms, char *errstr,
                               size_t errstr_size);
/* The retention.ms of every topic of s that has a class (DescribeConfigs)
 * against want (the configuration's topics section), into s->rets. rk:
 * rh_kafka_admin_handle(). */
int health_probe_retention(rd_kafka_t *rk, const char *prefix, const rh_config_topics_t *want,
                           health_state_t *s, int timeout_ms, char *errstr, size_t errstr_size);
/* rk: rh_kafka_admin_handle(); reader: a read_committed query handle. */
int health_probe_lag(rd_kafka_t *rk, rd_kafka_t *reader, const char *prefix, health_state_t *s, int timeout_ms,
                     char *errstr, size_t errstr_size);

#endif
