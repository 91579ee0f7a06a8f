/*
 * ledger_metrics: what riskhub-ledger shows on /metrics (docs/metrics.md):
 * the records it committed, the rows by table, its transactions, refusals and
 * PostgreSQL outages, and when each department's feed last delivered a list
 * (from list_manifests). The consumer's lag and librdkafka's summary come
 * from rh_metrics_kafka. Every function takes a NULL m (no --metrics) and
 * then does nothing.
 */
#ifndef LEDGER_METRICS_H
#define LEDGER_METRICS_H

#include <libpq-fe.h>

#include "ledger_loop.h"
#include "rh_metrics.h"

/* how often the last lists are read from list_manifests */
#define LEDGER_METRICS_LISTS_MS 30000

/* The ledger's families, for rh_metrics_start (*n of them). */
const rh_metric_def_t *ledger_metrics_families(size_t *n);
/* The last list of every department's feed, from list_manifests (pg may be
 * NULL or broken: nothing changes). */
void ledger_metrics_lists(rh_metrics_t *m, PGconn *pg);
/* Set the counters from st and publish the page. */
void ledger_metrics_publish(rh_metrics_t *m, const ledger_stats_t *st);

#endif
