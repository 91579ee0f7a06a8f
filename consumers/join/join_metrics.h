/*
 * join_metrics: what riskhub-join shows on /metrics (docs/metrics.md): the
 * records it committed per input topic, what it wrote by kind, its
 * transactions, the dead letters, the registry in memory and the change-log
 * watermark it follows, and the LSO check's targets (hanging transactions).
 * The consumer's lag and librdkafka's summary come from rh_metrics_kafka.
 * Every function takes a NULL m (no --metrics) and then does nothing.
 */
#ifndef JOIN_METRICS_H
#define JOIN_METRICS_H

#include <stdint.h>

#include "join_loop.h"
#include "join_lso.h"
#include "rh_metrics.h"
#include "rh_regmap.h"

/* The join's families, for rh_metrics_start (*n of them). */
const rh_metric_def_t *join_metrics_families(size_t *n);
/* A committed transaction consumed n records of topic. */
void join_metrics_input(rh_metrics_t *m, const char *topic, uint64_t n);
/* Set the rest from the join's state and publish the page. */
void join_metrics_publish(rh_metrics_t *m, const join_counts_t *c, const join_stats_t *st,
                          const rh_regmap_t *map, const join_lso_t *lso);

#endif
