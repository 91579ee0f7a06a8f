/*
 * produce_watch: automatic publishing from a department's drop folder.
 *
 * Files named <department>.<feed>.<period>.csv (e.g.
 * health.major-disease.2026-10.csv; codes never contain a dot) are published as
 * batches (batch.h), oldest first. A file is taken only once it has not
 * changed for settle_ms (a department's system may still be writing it).
 *
 *   published (also with rejected rows)  → DIR/done/<name>, with <name>.summary.txt
 *                                          and <name>.rejects.csv beside it
 *   already published (a committed        → DIR/done/<name>, nothing sent; its
 *     manifest of the same batch id)         .summary.txt says "already published"
 *                                          and when (unless batch.republish)
 *   refused (bad name, header, encoding) → DIR/failed/<name>, with <name>.reason.txt
 *   broker away / not all acknowledged   → left in place, retried with back-off
 *
 * A crash or restart mid-file leaves the file in place: its transaction was
 * never committed, so nothing of it is visible to read_committed readers, and
 * the next run publishes it whole under the same batch id. Files other than
 * *.csv, hidden files and the done/ and failed/ folders are ignored.
 */
#ifndef PRODUCE_WATCH_H
#define PRODUCE_WATCH_H

#include <signal.h>
#include <stdbool.h>

#include "produce_batch.h"
#include "rh_metrics.h"

typedef struct {
  produce_batch_opts_t batch; /* template: feed, period, input are set per file; department
                                 too, unless set: then the folder is that department's and
                                 a file of another goes to failed/ */
  const char *dir;
  int poll_ms;   /* default 2000 */
  int settle_ms; /* default 2000 */
  bool once;     /* process what is there, then return */
  volatile sig_atomic_t *stop;
  rh_metrics_t *metrics; /* --metrics: what /metrics shows (produce_metrics.h); NULL none */
} produce_watch_opts_t;

/* Parse "<department>.<feed>.<period>.csv" into the three parts (written into
 * the caller's buffers). 0 ok, -1 with errstr. */
int produce_watch_parse_name(const char *name, char *dept, size_t dept_size, char *feed,
                        size_t feed_size, char *period, size_t period_size, char *errstr,
                        size_t errstr_size);

/* Runs until *stop (or, with once, until nothing is left to do). Returns
 * RH_EXIT_OK, or RH_EXIT_IOERR if the folder cannot be used, or (with once)
 * RH_EXIT_UNAVAILABLE if files were left for a retry. */
int produce_watch_run(const produce_watch_opts_t *o);

#endif
