/*
 * verify_run: one run of riskhub-verify (docs/verify.md): the rows read and
 * checked on their own (verify_rows), against the ledger (verify_ledger),
 * the accepted ones published in one transaction (verify_publish); every
 * refusal said on stderr as "<file>:<line>:<column>: <why>" and, for a file,
 * written to <report dir>/<file name>.rejects.csv (0600: line, column,
 * alert_id, reason), only once the rest is published.
 *
 * Exit (rh_exit.h): 0 every filled-in row published (or none to publish);
 * 1 published, some rows refused; 65 the file (or the command line's step)
 * refused, nothing published; 69 PostgreSQL or the broker away, nothing
 * published; 77 the township's party refused; 74 the rejects file; 78
 * configuration or schemas.
 */
#ifndef VERIFY_RUN_H
#define VERIFY_RUN_H

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_encoding.h"
#include "verify_rows.h"

typedef struct {
  const rh_config_t *cfg;
  const rh_avro_schemas_t *schemas;
  const char *township; /* a configured township's code */
  const char *input;    /* the filled-in CSV; NULL: one step from `one` */
  verify_input_t one;   /* the command line's step */
  const char *by;       /* --by */
  rh_encoding_t encoding;
  const char *report_dir; /* NULL: beside the input */
  int timeout_ms;
} verify_run_opts_t;

int verify_run(const verify_run_opts_t *o);

#endif
