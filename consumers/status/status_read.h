/*
 * status_read: fills a status_report_t from Kafka — the departments' feed.<dept>.manifests
 * (BatchManifest), alerts.<township> and alerts.unmatched (Alert),
 * checks.<township> (CheckResult), every name in the configuration's topic
 * namespace — read from the beginning to the end with
 * isolation.level=read_committed by partition assignment (rh_kafka_read_topics):
 * no consumer group joins, no offsets are committed, nothing is written.
 * Topics that do not exist yet are skipped (nothing arrived).
 *
 * Messages are decoded with the current schemas (older writers resolved,
 * rh_avro_codec); one that cannot be decoded is counted and skipped (the
 * join has sent the feeds' bad records to the DLQ; a bad manifest or alert
 * is reported in the log, never fatal).
 */
#ifndef STATUS_READ_H
#define STATUS_READ_H

#include <stddef.h>
#include <stdint.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "status_report.h"

typedef struct {
  uint64_t manifests, alerts, checks; /* messages read */
  uint64_t undecodable;               /* skipped: not a record of the topic's type */
  uint64_t refused;                   /* manifests not counted: not signed by their department */
  double seconds;
} status_read_stats_t;

/* 0, or -1 with errstr (the broker away or a read failing: the caller exits
 * 69; out of memory). */
int status_read(const rh_config_t *cfg, const rh_avro_schemas_t *schemas, status_report_t *r,
                status_read_stats_t *stats, char *errstr, size_t errstr_size);

#endif
