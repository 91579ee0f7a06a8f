/*
 * rh_metrics_kafka: librdkafka's statistics (statistics.interval.ms, the
 * stats callback; librdkafka's STATISTICS.md) summarised into rh_metrics
 * (docs/metrics.md): the consumer's lag per assigned partition, the brokers
 * up and their round-trip times and errors, the reply queue, the group's
 * rebalances and assignment; and a health verdict when no broker is up.
 *
 * One consumer per process reports (the service's): the lag and broker
 * families are replaced by each report, and only partitions being fetched
 * have a lag, so a revoked partition's goes with the next report.
 * The callback runs where librdkafka serves the consumer's queue, the
 * service's own thread (rd_kafka_consumer_poll), as rh_metrics wants.
 */
#ifndef RH_METRICS_KAFKA_H
#define RH_METRICS_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "rh_metrics.h"

/* Reports in a row with brokers known and none of them up before the
 * health says "Kafka unavailable: ..." (rh_metrics_kafka_problem); a report
 * with one up clears it. */
#define RH_METRICS_KAFKA_DOWN_REPORTS 2

/* Set statistics.interval.ms to interval_ms on c and route the reports of
 * the handle made from it to m. 0, or -1 with err. */
int rh_metrics_kafka_attach(rh_metrics_t *m, rd_kafka_conf_t *c, int interval_ms, char *err,
                            size_t errsz);

/* Read one report (the JSON text, len bytes) into m. 0, -1 not JSON of the
 * expected shape (m keeps what it had). */
int rh_metrics_kafka_stats(rh_metrics_t *m, const char *json, size_t len);

#endif
