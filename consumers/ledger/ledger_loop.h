/*
 * ledger_loop: the riskhub-ledger service (docs/ledger.md). One consumer in
 * the ledger's group over alerts.<township> and checks.<township> of the
 * config (read_committed); per poll batch one PostgreSQL transaction with the
 * rows and the positions (ledger_batch.h). Positions come from PostgreSQL on
 * every assignment and after every outage, never from Kafka's committed
 * offsets (the ledger commits its offsets to Kafka too, after PostgreSQL, only
 * so that the group's lag shows in Kafka's tools).
 *
 * Failure handling: PostgreSQL away: the batch is dropped (nothing of it was
 * committed), the partitions are paused, the ledger reconnects with back-off
 * and seeks to what PostgreSQL holds. Kafka away: nothing arrives, the idle
 * clock stops (rh_end.h). A statement error: exit RH_EXIT_SOFTWARE.
 */
#ifndef LEDGER_LOOP_H
#define LEDGER_LOOP_H

#include <signal.h>
#include <stdint.h>

#include "rh_config.h"
#include "rh_metrics.h"

typedef struct {
  const rh_config_t *cfg;
  const char *schemas_dir;
  const char *group;    /* NULL: "<prefix>riskhub-ledger"; also the ledger_offsets consumer */
  const char *instance; /* group.instance.id "<group>.<instance>" */
  int idle_exit_ms;     /* > 0: exit when the broker said for this long that every
                           assigned partition is at its end */
  int wait_s;           /* < 0: wait for a service forever; else give up (69) */
  int batch_max;        /* records a transaction at most */
  int batch_ms;         /* a batch is collected at most this long */
  volatile sig_atomic_t *stop;
  rh_metrics_t *metrics; /* --metrics: what /metrics shows (ledger_metrics.h); NULL none */
} ledger_opts_t;

typedef struct {
  uint64_t records;      /* records committed (rows and skipped) */
  uint64_t warnings;     /* warnings rows inserted */
  uint64_t checks;       /* check_results rows inserted */
  uint64_t unmatched;    /* unmatched_alerts rows inserted */
  uint64_t manifests;    /* list_manifests rows inserted */
  uint64_t steps;        /* warning_steps rows inserted (the townships' home visits) */
  uint64_t steps_refused; /* of which not applied */
  uint64_t steps_late;    /* steps refused so (no warning yet), applied later */
  uint64_t withdrawn;     /* withdrawals new to the ledger (corrected lists) */
  uint64_t withdraw_refused; /* of which changed nothing (unknown alert, outcome given) */
  uint64_t existing;     /* rows that were there already */
  uint64_t skipped;      /* records that give no row */
  uint64_t transactions, refused, outages;
  double busy_s;         /* first record read .. last commit */
  double write_s;        /* of which in PostgreSQL */
} ledger_stats_t;

/* Run until *stop, the idle time, or an error. RH_EXIT_OK only when nothing
 * remains for this instance; RH_EXIT_UNAVAILABLE when records remain, could
 * not be counted, or a service stayed away longer than wait_s;
 * RH_EXIT_SOFTWARE for a statement error; RH_EXIT_CONFIG for the schemas or a
 * database without the ledger's tables. stats filled in any case. */
int ledger_run(const ledger_opts_t *o, ledger_stats_t *stats);

#endif
