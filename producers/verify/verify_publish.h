/*
 * verify_publish: the accepted steps as Verification records to
 * verifications.<township> (key: the household id), in ONE Kafka transaction
 * as the township's own party (transactional.id riskhub-verify.<township>,
 * which fences an earlier run of the same township). Success is said only
 * after the commit: then every step is visible to read_committed readers (the
 * ledger); on any failure none is.
 */
#ifndef VERIFY_PUBLISH_H
#define VERIFY_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "verify_rows.h"

typedef struct {
  const rh_config_t *cfg;
  const rh_avro_schemas_t *schemas;
  const char *township;
  const char *source; /* the file's name, or "command line" */
  int timeout_ms;
} verify_publish_opts_t;

/* Publish every row not refused. RH_EXIT_OK with *published set; else an exit
 * code (RH_EXIT_UNAVAILABLE, RH_EXIT_NOPERM, RH_EXIT_CONFIG, RH_EXIT_SOFTWARE)
 * with errstr, and nothing published. */
int verify_publish(const verify_publish_opts_t *o, const verify_rows_t *rows, size_t *published,
                   char *errstr, size_t errstr_size);

#endif
