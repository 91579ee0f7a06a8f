/*
 * status_run: riskhub-status from its options to its exit code (the command
 * line is main.c's): read the ledger in PostgreSQL (status_ledger, the
 * default) or Kafka's topics (status_read), compute the figures
 * (status_report), build the grids and write them in the chosen format.
 *
 * Exit codes (common/rh_exit.h, docs/status.md):
 *   0  (RH_EXIT_OK) every list of the period (all three months of a quarter)
 *      arrived on time
 *   1  (RH_EXIT_ROWS_REJECTED, "done, with problems") the report was made, and
 *      some list is late, missing, or not in yet (pending)
 *   69 PostgreSQL (--source topics: the broker) is away (nothing written)
 *   70 internal error (out of memory, a query failing)
 *   74 the output could not be written
 *   78 the schemas could not be loaded, or the database lacks the ledger's
 *      tables (riskhub-registry migrate)
 */
#ifndef STATUS_RUN_H
#define STATUS_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rh_config.h"

typedef enum { STATUS_FMT_TABLE = 0, STATUS_FMT_CSV, STATUS_FMT_MARKDOWN, STATUS_FMT_XLSX } status_format_t;

typedef enum { STATUS_SOURCE_LEDGER = 0, STATUS_SOURCE_TOPICS } status_source_t;

/* STATUS_TABLE_VERIFICATION: the verification at the household by township and by
 * department (two grids), read from the ledger only (with --source topics: left
 * out of "all", refused alone). STATUS_TABLE_SCALE: the scale risks, read from
 * the county topic riskhub.scale-risks whatever the source (status_scale_read.h);
 * with --source ledger a broker that cannot be reached leaves the grid empty
 * with a note (the ledger's report needs no broker), with --source topics it
 * is exit 69 as for the other topics. STATUS_TABLE_IDENTITY: the identity
 * discrepancies open per township and kind, read from the townships' topics
 * identity.* the same way (status_identity_read.h). */
enum { STATUS_TABLE_LISTS = 1, STATUS_TABLE_TOWNSHIPS = 2, STATUS_TABLE_VERIFICATION = 4,
       STATUS_TABLE_SCALE = 8, STATUS_TABLE_IDENTITY = 16, STATUS_TABLE_ALL = 31 };

/* With --source ledger and no --broker-wait: how long the scale risks' (and
 * the identity discrepancies') read waits for a broker that cannot be reached before the report goes on without
 * them (rh_kafka_read_set_metadata_wait). */
#define STATUS_SCALE_LEDGER_WAIT_MS 5000

typedef struct {
  const rh_config_t *cfg;
  const char *schemas_dir;
  int first_year, first_month; /* the period, or a quarter's first month */
  int nmonths;                 /* 1 or 3 */
  int quarter;                 /* 1..4 with nmonths 3, else 0 */
  int64_t as_of_ms;
  bool as_of_now;              /* as-of is now or later: warnings' states as they are */
  int utc_offset_min;
  status_format_t format;
  unsigned tables;             /* STATUS_TABLE_* */
  const char *out;             /* file to write; NULL: standard output (not for xlsx) */
  status_source_t source;      /* the ledger (default) or the topics */
  bool broker_wait_set;        /* --broker-wait was given (main.c set the wait) */
} status_opts_t;

/* Runs the report; messages go to the log (stderr). Returns the exit code. */
int status_run(const status_opts_t *o);

/* "table", "csv", "markdown" (or "md"), "xlsx" -> format. 0 or -1. */
int status_format_parse(const char *s, status_format_t *out);

#endif
