/*
 * alerts_scale_run: riskhub-alerts --scale (docs/alerts.md, "Scale risks"):
 * the county topic <prefix>riskhub.scale-risks read as the warnings are
 * (alerts_consume: read_committed; a group that commits after writing, or a
 * window --from / --period without a group; --follow), each ScaleRisk version
 * decoded (rh_scale.h) and written as it comes (alerts_scale_format), in the
 * topic's order (one partition: the versions of a key in order).
 *
 * A batch is written (flushed, a file fsynced) and then its offsets committed:
 * at the end of a one-shot run, and with --follow whenever the run caught up
 * with the topic or a second after the first version of the batch, and before
 * a rebalance takes the partition away. --period keeps the versions of that
 * month (the record's period), --from those sent on or after that day. A
 * record that is not a ScaleRisk is skipped and said (exit 65 at the end).
 * The output file (--output) is checked for writing at start and truncated
 * when the first batch is written. Nothing is looked up in PostgreSQL.
 *
 * Prints one summary line on stderr:
 *   riskhub-alerts: scale versions=N raised=N updated=N cleared=N skipped=N batches=N
 * Returns an exit code of rh_exit.h: 0, 65 (records skipped), 69 (Kafka
 * away), 70, 74 (output), 77 (the brokers refuse the topic or group), 78
 * (schemas without riskhub.ScaleRisk).
 */
#ifndef ALERTS_SCALE_RUN_H
#define ALERTS_SCALE_RUN_H

#include "alerts_run.h"

int alerts_scale_run(const alerts_run_opts_t *o);

#endif
