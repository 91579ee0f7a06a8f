/*
 * join_end: where the join's input stands (docs/join.md, "Exits").
 *
 * - whether every partition assigned to this instance is at its end, as a
 *   broker that answers says now: the idle clock of --idle-exit-ms runs only
 *   while that is so;
 * - at any other stop, how many records remain, per input topic.
 *
 * A partition is at its end when the consumer reached it (its last partition
 * EOF event came after its last record) at an offset no lower than the last
 * stable offset the broker gives now (rd_kafka_query_watermark_offsets on the
 * read_committed consumer: "high" is the LSO). Records remaining in a
 * partition = LSO - where the join stands there (the EOF offset when at the
 * end, else the group's committed offset, else the low watermark when nothing
 * was ever committed). Offsets, not records: transaction markers after the
 * last committed record count as one each (an upper bound).
 *
 * Ownership: join_end_t is the caller's (join_end_init / join_end_free);
 * names are copied. Threads: the join's main thread (the rebalance callback
 * runs in it). Failure: -1 only for memory; a broker that does not answer
 * within timeout_ms gives JOIN_END_UNKNOWN, never "at end".
 */
#ifndef JOIN_END_H
#define JOIN_END_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  char topic[256];
  int32_t partition;
  int64_t eof; /* offset of the last EOF event after the last record, -1 none */
} join_end_part_t;

typedef struct {
  join_end_part_t *parts; /* the assignment */
  size_t n, cap;
  bool known; /* an assignment was received (and not revoked since) */
} join_end_t;

typedef enum {
  JOIN_END_AT_END,  /* nothing left in the partitions assigned (join_end_report:
                       also none assigned) */
  JOIN_END_BEHIND,  /* records remain */
  JOIN_END_UNKNOWN, /* no assignment yet, or the broker did not answer */
  JOIN_END_NONE     /* join_end_check: no partition assigned to this instance */
} join_end_state_t;

void join_end_init(join_end_t *e);
void join_end_free(join_end_t *e);

/* A new assignment (may be empty); every partition starts "not at its end". */
int join_end_assign(join_end_t *e, const rd_kafka_topic_partition_list_t *parts);
/* The assignment was revoked: nothing is known until the next one. */
void join_end_revoke(join_end_t *e);
/* A consumed message or event: a record clears its partition's EOF, a
 * partition EOF event sets it. */
void join_end_note(join_end_t *e, const rd_kafka_message_t *m);
/* After a rewind (seek): no partition is known to be at its end. */
void join_end_forget(join_end_t *e);

/* Records remaining in one partition (pure): see above. Offsets < 0 mean
 * unknown; lso < 0 gives -1. */
int64_t join_end_remaining_of(int64_t eof, int64_t committed, int64_t low, int64_t lso);

/* Is every assigned partition at its end now? rk: a read_committed handle
 * (best one that does not fetch). One watermark query a partition
 * (timeout_ms each; the first without an answer ends it). With none assigned:
 * JOIN_END_NONE, never AT_END (the partitions another instance holds may come
 * to this one at the next rebalance: it cannot know that nothing is left for
 * it). errstr says why when not AT_END. */
join_end_state_t join_end_check(const join_end_t *e, rd_kafka_t *rk, int timeout_ms,
                                char *errstr, size_t errstr_size);

/* At a stop: log the records remaining per input topic (or that the broker
 * could not be asked) and return the state; *total = records remaining (0 when
 * UNKNOWN). The group's offsets from consumer, the LSOs from probe (a
 * read_committed handle). */
join_end_state_t join_end_report(const join_end_t *e, rd_kafka_t *consumer, rd_kafka_t *probe,
                                 int timeout_ms, uint64_t *total);

#endif
