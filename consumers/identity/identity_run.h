/*
 * identity_run: riskhub-identity's run (docs/identity.md): the month's
 * identity list of every identity feed (identity_source), the registry
 * (rh_regmap_load as riskhub_identity), the discrepancies (identity_find),
 * then identity_publish; one line a township with discrepancies on stdout,
 * and a summary. Only committed versions are counted sent. Returns the exit
 * code.
 */
#ifndef IDENTITY_RUN_H
#define IDENTITY_RUN_H

#include "rh_avro_schema.h"
#include "rh_config.h"

typedef struct {
  const rh_config_t *cfg;
  const rh_avro_schemas_t *schemas;
  const char *period;
  int timeout_ms;
} identity_run_opts_t;

int identity_run(const identity_run_opts_t *o);

#endif
