/*
 * push_run: riskhub-push's run: the plan (push_plan), each push's persons from
 * PostgreSQL (push_rows, as riskhub_push), its id, then push_publish; one line
 * a push on stdout (department, kind, month, persons, households, the id's
 * first 16 digits, "sent" or "on the topic already"). Only committed pushes
 * are said sent. Returns the exit code (docs/outbound.md).
 */
#ifndef PUSH_RUN_H
#define PUSH_RUN_H

#include "rh_avro_schema.h"
#include "rh_config.h"

typedef struct {
  const rh_config_t *cfg;
  const rh_avro_schemas_t *schemas;
  const char *period;
  const char *department; /* NULL: every department */
  int timeout_ms;
} push_run_opts_t;

int push_run(const push_run_opts_t *o);

#endif
