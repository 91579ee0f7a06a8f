/*
 * produce_metrics: what `riskhub-produce --watch --metrics ADDR` shows on
 * /metrics (docs/metrics.md): the files of the drop folder by outcome, the
 * rows published and rejected and the last list of each feed, the files
 * waiting; /healthz fails while the broker is away and files wait for it.
 * Labels are the folder's department and the configuration's feed codes,
 * never a file's own name (a refused file counts without its feed). Every
 * function takes a NULL m (no --metrics) and then does nothing.
 */
#ifndef PRODUCE_METRICS_H
#define PRODUCE_METRICS_H

#include "produce_batch.h"
#include "rh_metrics.h"

/* The watch's families, for rh_metrics_start (*n of them). */
const rh_metric_def_t *produce_metrics_families(size_t *n);
/* A file ended with exit code rc (produce_batch_publish's): dept and feed
 * NULL when it was refused before its feed was known. */
void produce_metrics_file(rh_metrics_t *m, const char *dept, const char *feed, int rc,
                          const produce_batch_result_t *res);
/* The folder's state after a pass: files waiting (still being written or to
 * be retried), and the broker's trouble (NULL: none) as the health. */
void produce_metrics_publish(rh_metrics_t *m, int waiting, const char *trouble);

#endif
