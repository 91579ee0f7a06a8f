/*
 * status_identity_read: the township topics of the identity discrepancies,
 * <prefix>identity.<township> of every township of the configuration and
 * <prefix>identity.unmatched, read for riskhub-status (docs/status.md,
 * "Identity discrepancies") as the scale risks' topic is (status_topic_read.h:
 * read_committed, from the beginning, no group), every Discrepancy version
 * into a status_identity_t (status_identity_add).
 *
 * Read whatever --source says: the discrepancies are on the topics only
 * (riskhub-identity writes no ledger table).
 */
#ifndef STATUS_IDENTITY_READ_H
#define STATUS_IDENTITY_READ_H

#include <stddef.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "status_identity.h"
#include "status_report.h"

/* 0 (s->read set), or -1 with errstr: the broker away or the read failing,
 * "out of memory", or the schemas lacking riskhub.Discrepancy. */
int status_identity_read(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                         const status_report_t *r, status_identity_t *s, char *errstr,
                         size_t errstr_size);

#endif
