/*
 * status_scale_read: the county topic <prefix>riskhub.scale-risks read for
 * riskhub-status (docs/status.md, "Scale risks"): from the beginning to the
 * end, read_committed, by partition assignment (rh_kafka_read_topics: no
 * group, nothing committed), every ScaleRisk version into a status_scale_t
 * (status_scale_add). A topic that does not exist holds no scale risks; a
 * message that is not a ScaleRisk is counted (s->undecodable) and skipped.
 *
 * The topic is read whatever --source says: the scale risks are on the topic
 * only (riskhub-scale writes no ledger table).
 */
#ifndef STATUS_SCALE_READ_H
#define STATUS_SCALE_READ_H

#include <stddef.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "status_report.h"
#include "status_scale.h"

/* 0 (s->read set), or -1 with errstr: the broker away or the read failing,
 * "out of memory", or the schemas lacking riskhub.ScaleRisk. */
int status_scale_read(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                      const status_report_t *r, status_scale_t *s, char *errstr,
                      size_t errstr_size);

#endif
