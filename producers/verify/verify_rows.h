/*
 * verify_rows: the steps a township reports (docs/verify.md): read from the
 * CSV it filled in (the riskhub-alerts export with its outcome columns), or
 * one from the command line, and checked on their own (UTF-8 text, an
 * outcome that is one, a configured reason where one is due, a real date not
 * in the future, required for every outcome but VERIFYING, who recorded it, a
 * note with no ID number). What the ledger holds is
 * checked after (verify_ledger.h).
 *
 * Each refused row keeps where (line and column; 0 for the command line) and
 * why, in the township official's language (gettext), never the content of a
 * cell beyond the outcome or reason typed.
 *
 * Ownership: verify_rows_t owns its rows and their strings (verify_rows_free).
 */
#ifndef VERIFY_ROWS_H
#define VERIFY_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"
#include "rh_encoding.h"
#include "rh_hash.h"

typedef struct {
  unsigned long line; /* CSV line, 0: the command line */
  int column;         /* 1-based column of the refusal (0: the row as a whole) */
  char *alert_id, *reason, *note, *recorded_by;
  int outcome; /* rh_verify_outcome_t */
  bool has_visited_on;
  int32_t visited_on; /* days since 1970-01-01 */
  char visited_text[16];
  char *household_id; /* from the ledger (verify_ledger) */
  char id[RH_SHA256_HEXSZ];
  char *why; /* NULL: accepted so far; else why refused */
  bool already; /* the ledger holds this very step (a file given again): not sent */
} verify_row_t;

/* What one row says, as text (NULL or "" for empty). */
typedef struct {
  const char *alert_id, *outcome, *reason, *visited_on, *recorded_by, *note;
} verify_input_t;

/* Column numbers of an input's cells for messages (the command line: its
 * options, 1..6 in this order). */
typedef struct {
  int alert_id, outcome, reason, visited_on, recorded_by, note;
} verify_columns_t;

typedef struct {
  verify_row_t *v;
  size_t n, cap;
  size_t blank; /* rows whose outcome was left empty (not verified yet) */
  verify_columns_t cols; /* where each value is (verify_ledger's refusals) */
} verify_rows_t;

/* Add one row (copied) and check it on its own; today: days since 1970-01-01
 * (a visit after it is refused); by: --by, who recorded rows whose cell is
 * empty (NULL: none). 0, or -1 out of memory. */
int verify_rows_add(verify_rows_t *rows, const rh_config_t *cfg, unsigned long line,
                    const verify_input_t *in, const verify_columns_t *cols, const char *by,
                    int32_t today);

/* Read path (the filled-in CSV). 0 with rows added (blank ones counted); -1
 * with errstr when the file is refused as a whole (unreadable, broken, no
 * alert_id or outcome column: "<path>:<line>:<column>: ..."); -2 out of memory. */
int verify_rows_read_csv(verify_rows_t *rows, const rh_config_t *cfg, const char *path,
                         rh_encoding_t enc, const char *by, int32_t today, char *errstr,
                         size_t errstr_size);

/* Refuse row r (why copied; column 0 for the row). 0, or -1 out of memory. */
int verify_rows_refuse(verify_row_t *r, int column, const char *why);

size_t verify_rows_refused(const verify_rows_t *rows);
void verify_rows_free(verify_rows_t *rows);

#endif
