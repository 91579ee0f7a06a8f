/*
 * join_lso: no hanging transaction goes unnoticed (docs/join.md, "The LSO
 * check"; ../shared/docs/broker-freeze.md, section 5, fix 2).
 *
 * Every record the join's transactions wrote (committed or aborted: after the
 * marker either way) must end up below the last stable offset (LSO) of its
 * partition within a few seconds. A partition whose LSO stays below the end
 * of what the join wrote there holds a transaction nobody will close (a
 * coordinator that forgot a producer id): read_committed readers see nothing
 * after it, for good.
 *
 * - join_lso_stage() notes a delivered record of the open transaction;
 *   join_lso_end_txn() turns the staged records into targets (after a commit
 *   or an abort); join_lso_target() adds one directly (the start-up check).
 * - join_lso_judge() is the decision (pure): a target against the broker's
 *   answer. join_lso_answer() applies it to target i; join_lso_sweep() drops
 *   the targets that were reached.
 * - join_lso_query() asks the broker (rh_kafka_watermarks on a read_committed
 *   handle: the LSO as "high"; bounded also when a leader was killed).
 *
 * Ownership: join_lso_t is the caller's (join_lso_init / join_lso_free);
 * topic names are copied. Threads: one thread at a time (the join's main
 * thread; join_lso_stage is called from delivery reports, which librdkafka
 * serves in that thread). Failure: -1 only for memory; a broker that does not
 * answer makes a target UNKNOWN, never OK and never HANGING.
 */
#ifndef JOIN_LSO_H
#define JOIN_LSO_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#define JOIN_LSO_TOPIC_MAX 256

typedef enum {
  JOIN_LSO_OK,      /* the LSO reached the target */
  JOIN_LSO_WAITING, /* below, for less than the window so far */
  JOIN_LSO_UNKNOWN, /* the broker did not answer (the window starts again) */
  JOIN_LSO_HANGING  /* below for the whole window: a hanging transaction */
} join_lso_verdict_t;

typedef struct {
  char topic[JOIN_LSO_TOPIC_MAX];
  int32_t partition;
  int64_t end;         /* offset after the last record the join wrote there */
  int64_t lso;         /* last answer, -1 none yet */
  int64_t below_since; /* ms of the first answer below end in a row, -1 none */
  join_lso_verdict_t verdict;
} join_lso_part_t;

typedef struct {
  join_lso_part_t *parts; /* the targets not reached yet */
  size_t n, cap;
  join_lso_part_t *txn; /* the open transaction's records (end only) */
  size_t ntxn, txn_cap;
} join_lso_t;

void join_lso_init(join_lso_t *l);
void join_lso_free(join_lso_t *l);

/* A record of the open transaction landed at offset. 0, -1 out of memory. */
int join_lso_stage(join_lso_t *l, const char *topic, int32_t partition, int64_t offset);
/* The open transaction ended (committed or aborted): its records are targets. */
int join_lso_end_txn(join_lso_t *l);
/* The LSO of topic/partition must reach end (kept as the larger of two). */
int join_lso_target(join_lso_t *l, const char *topic, int32_t partition, int64_t end);

/* The decision. lso < 0: no answer. *below_since is the state kept between
 * answers (-1 at first). window_ms: how long below counts as hanging. */
join_lso_verdict_t join_lso_judge(int64_t end, int64_t lso, int64_t *below_since,
                                  int64_t now_ms, int64_t window_ms);
/* Apply an answer to target i; returns (and stores) the verdict. */
join_lso_verdict_t join_lso_answer(join_lso_t *l, size_t i, int64_t lso, int64_t now_ms,
                                   int64_t window_ms);
/* Drop the targets judged OK. */
void join_lso_sweep(join_lso_t *l);

typedef struct {
  size_t pending, hanging, unknown; /* after the sweep */
} join_lso_summary_t;

/* Ask the broker for every target's LSO (timeout_ms each; rk read_committed),
 * judge, sweep. */
void join_lso_query(join_lso_t *l, rd_kafka_t *rk, int timeout_ms, int64_t now_ms,
                    int64_t window_ms, join_lso_summary_t *sum);

#endif
