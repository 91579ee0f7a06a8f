/*
 * scale_run: riskhub-scale's run: the month's live warnings and the
 * registry's places from PostgreSQL (scale_rows, as riskhub_scale), the
 * places that cross a scale rule (scale_judge), then scale_publish; one line a
 * scale risk on stdout, and a summary. Only committed versions are said sent.
 * Returns the exit code (docs/scale.md).
 */
#ifndef SCALE_RUN_H
#define SCALE_RUN_H

#include "rh_avro_schema.h"
#include "rh_config.h"

typedef struct {
  const rh_config_t *cfg;
  const rh_avro_schemas_t *schemas;
  const char *period;
  int timeout_ms;
} scale_run_opts_t;

int scale_run(const scale_run_opts_t *o);

#endif
