/*
 * alerts_run: one run of riskhub-alerts (docs/alerts.md): read the alert
 * topics (alerts_consume), decode each Alert (rh_avro_codec, rh_alert), keep
 * a batch (alerts_store), and for each batch, in this order:
 *   1. --unmasked: record the export in PostgreSQL and commit the row
 *      (alerts_audit); if that fails, stop: nothing of the batch is written;
 *   2. table: the household heads from the registry (alerts_heads; best
 *      effort: without the database the table says so and goes on);
 *   3. write the batch (alerts_format), flush, and fsync a file;
 *   4. group mode: commit the consumer offsets of the batch.
 * A one-shot run is one batch (everything to the end of the topics); --follow
 * writes a batch whenever it caught up with the topics, after 1 s, or at
 * 10,000 alerts, and before a rebalance takes partitions away.
 *
 * The output file (--output) is checked for writing at start but truncated
 * only when the first batch is written, so a run that fails before (e.g. the
 * export record could not be written) leaves an old file as it was.
 *
 * Returns an exit code of rh_exit.h and prints one summary line on stderr:
 *   riskhub-alerts: alerts=N households=N unmatched=N skipped=N batches=N
 *                   exports=N masked=yes|no
 */
#ifndef ALERTS_RUN_H
#define ALERTS_RUN_H

#include <signal.h>

#include "alerts_opts.h"
#include "rh_config.h"

typedef struct {
  const rh_config_t *cfg;
  const alerts_args_t *args;
  const alerts_plan_t *plan;
  const char *os_user;   /* for the export record */
  const char *hostname;
  volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM: write what was read, then exit 0 */
} alerts_run_opts_t;

int alerts_run(const alerts_run_opts_t *o);

#endif
