/*
 * rh_end: where a consumer's input stands (docs/join.md, "Exits"), for the
 * services that exit honestly when idle (riskhub-join, riskhub-ledger).
 *
 * - whether every partition assigned to this instance is at its end, as a
 *   broker that answers says now: the idle clock of --idle-exit-ms runs only
 *   while that is so;
 * - at any other stop, how many records remain, per input topic.
 *
 * A partition is at its end when the consumer reached it (its last partition
 * EOF event came after its last record) at an offset no lower than the last
 * stable offset the broker gives now (rh_kafka_watermarks on the
 * read_committed consumer: "high" is the LSO). Records remaining in a
 * partition = LSO - where the consumer stands there (the EOF offset when at
 * the end, else its committed offset: the group's in Kafka for the join, the
 * one in PostgreSQL for the ledger; else the low watermark when nothing was
 * ever committed). Offsets, not records: transaction markers after the
 * last committed record count as one each (an upper bound).
 *
 * Ownership: rh_end_t is the caller's (rh_end_init / rh_end_free);
 * names are copied. Threads: the service's main thread (the rebalance callback
 * runs in it). Failure: -1 only for memory; a broker that does not answer
 * within timeout_ms gives RH_END_UNKNOWN, never "at end".
 */
#ifndef RH_END_H
#define RH_END_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  char topic[256];
  int32_t partition;
  int64_t eof; /* offset of the last EOF event after the last record, -1 none */
} rh_end_part_t;

typedef struct {
  rh_end_part_t *parts; /* the assignment */
  size_t n, cap;
  bool known; /* an assignment was received (and not revoked since) */
} rh_end_t;

typedef enum {
  RH_END_AT_END,  /* nothing left in the partitions assigned (rh_end_report:
                       also none assigned) */
  RH_END_BEHIND,  /* records remain */
  RH_END_UNKNOWN, /* no assignment yet, or the broker did not answer */
  RH_END_NONE     /* rh_end_check: no partition assigned to this instance */
} rh_end_state_t;

void rh_end_init(rh_end_t *e);
void rh_end_free(rh_end_t *e);

/* A new assignment (may be empty); every partition starts "not at its end". */
int rh_end_assign(rh_end_t *e, const rd_kafka_topic_partition_list_t *parts);
/* The assignment was revoked: nothing is known until the next one. */
void rh_end_revoke(rh_end_t *e);
/* A consumed message or event: a record clears its partition's EOF, a
 * partition EOF event sets it. */
void rh_end_note(rh_end_t *e, const rd_kafka_message_t *m);
/* After a rewind (seek) of every assigned partition: none is known to be at
 * its end. */
void rh_end_forget(rh_end_t *e);
/* After a rewind of one partition: that one is not known to be at its end.
 * Only the partitions sought again: librdkafka gives a partition's EOF event
 * once an offset, again only after a seek, so a partition forgotten without
 * one would never be at its end again (nor counted so at a stop). */
void rh_end_forget_partition(rh_end_t *e, const char *topic, int32_t partition);

/* Records remaining in one partition (pure): see above. Offsets < 0 mean
 * unknown; lso < 0 gives -1. */
int64_t rh_end_remaining_of(int64_t eof, int64_t committed, int64_t low, int64_t lso);

/* Is every assigned partition at its end now? rk: a read_committed handle
 * (best one that does not fetch). One watermark query a partition
 * (timeout_ms each; the first without an answer, or with an answer later than
 * timeout_ms, ends it: RH_END_UNKNOWN, so that a broker frozen meanwhile
 * never lends the idle clock its frozen time). With none assigned:
 * RH_END_NONE, never AT_END (the partitions another instance holds may come
 * to this one at the next rebalance: it cannot know that nothing is left for
 * it). errstr says why when not AT_END. */
rh_end_state_t rh_end_check(const rh_end_t *e, rd_kafka_t *rk, int timeout_ms,
                                char *errstr, size_t errstr_size);

/* At a stop: log the records remaining per input topic (or that the broker
 * could not be asked) and return the state; *total = records remaining (0 when
 * UNKNOWN). The group's offsets from consumer, the LSOs from probe (a
 * read_committed handle). */
rh_end_state_t rh_end_report(const rh_end_t *e, rd_kafka_t *consumer, rd_kafka_t *probe,
                                 int timeout_ms, uint64_t *total);
/* The same with the committed positions given by the caller (the ledger's
 * offsets in PostgreSQL): at(topic, partition) = the next offset to process,
 * or -1 when nothing was committed there. */
typedef int64_t(rh_end_at_fn)(void *arg, const char *topic, int32_t partition);
rh_end_state_t rh_end_report_at(const rh_end_t *e, rh_end_at_fn *at, void *arg, rd_kafka_t *probe,
                                int timeout_ms, uint64_t *total);

#endif
