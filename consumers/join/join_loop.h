/*
 * join_loop: the riskhub-join service (docs/join.md): one consumer in the
 * join's group over every feed topic and the departments' manifests topics, one transactional
 * producer, and per poll batch one Kafka transaction holding the outputs and
 * the consumed offsets (send_offsets_to_transaction). The registry lives in
 * memory (rh_regmap) and follows PostgreSQL's change log between
 * transactions. The join writes no rows: riskhub-ledger writes the warnings
 * rows from the alert topics (docs/ledger.md).
 *
 * Failure handling: an abortable Kafka error aborts the transaction, forgets
 * its ids and counts and rewinds the consumer to what was committed; a fatal
 * one that is not a fence, or a commit that does not end, replaces the
 * producer (join_producer.h, a few times at most); a fence stops with
 * RH_EXIT_SOFTWARE. PostgreSQL away: the transaction is
 * aborted, the partitions are paused (kept: the consumer keeps polling),
 * the join reconnects with back-off and goes on where it was committed.
 */
#ifndef JOIN_LOOP_H
#define JOIN_LOOP_H

#include <signal.h>

#include "join_transform.h"
#include "rh_config.h"
#include "rh_metrics.h"

typedef struct {
  const rh_config_t *cfg;
  const char *schemas_dir;
  const char *group;    /* NULL: "<prefix>riskhub-join" */
  const char *instance; /* transactional.id "<prefix>riskhub-join.<instance>" */
  int idle_exit_ms;     /* > 0: exit when the broker said for this long that every
                           assigned partition is at its end (rh_end.h) */
  int wait_s;           /* < 0: wait for a service forever; else give up (69) */
  int batch_max;        /* messages a transaction at most */
  int batch_ms;         /* a transaction stays open at most this long */
  volatile sig_atomic_t *stop;
  rh_metrics_t *metrics; /* --metrics: what /metrics shows (join_metrics.h); NULL none */
} join_opts_t;

/* Timings for the summary line and the benchmark. */
typedef struct {
  double registry_load_s;   /* the first load */
  size_t registry_bytes;    /* the map's memory after it */
  double busy_s;            /* first record consumed .. last transaction committed */
  uint64_t transactions, aborts;
  /* where the busy time went (seconds): consuming and transforming records,
   * sending offsets and committing */
  double transform_s, commit_s;
} join_stats_t;

/* Run until *stop, the idle time, or a fatal error. Returns an RH_EXIT_ code
 * (docs/join.md, "Exits"): RH_EXIT_OK only when nothing remains for this
 * instance and everything it wrote is visible (the LSO check, join_lso.h);
 * RH_EXIT_UNAVAILABLE when records remain or could not be counted;
 * RH_EXIT_SOFTWARE for a hanging transaction. Totals (what was committed) and
 * stats filled in any case. */
int join_run(const join_opts_t *o, join_counts_t *totals, join_stats_t *stats);

#endif
