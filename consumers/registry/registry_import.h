/*
 * registry_import: load the household registry (households.csv, members.csv,
 * applications.csv as riskhub-gen writes them, docs/data.md) into PostgreSQL
 * (`riskhub-registry import DIR`, docs/registry.md).
 *
 * All or nothing, in ONE transaction:
 *   1. Each file is read with rh_csv (UTF-8 or GBK, detected unless forced),
 *      columns found by header name, every row validated (registry_row.h), and
 *      across files: no household number and no ID number twice, a member's
 *      household and an application's household exist, each household's
 *      head_id_number is a member of that household with relation head and
 *      the household has exactly one head, no (period, household) applied twice,
 *      at least one household.
 *   2. While the files are read, valid rows stream with COPY FROM STDIN (text
 *      format) into temporary staging tables; once a problem is found nothing
 *      more is sent, but validation goes on to the end so that every bad row
 *      is reported: "members.csv:17: id_number: wrong check character
 *      (411024********001X)" — masked IDs only, never a name; the first
 *      max_errors lines and a count of the rest. Then the transaction is rolled
 *      back: nothing is loaded.
 *   3. Otherwise the staging tables are merged into households, members and
 *      applications: an upsert that leaves unchanged rows alone (no update, so
 *      no registry_changes row), then the rows that vanished from the files
 *      are deleted — members before their households. Applications are
 *      replaced per period: the periods present in applications.csv are made
 *      equal to the file, other periods are kept (history), except that the
 *      applications of a household that left the registry go with it.
 *   3a. Before the merge, the shrink guard (registry_guard.h) measures what
 *      it would delete; more than cfg->registry.max_delete_share of the
 *      households, or every household of a township or village, refuses the
 *      import (RH_EXIT_REFUSED, rolled back, the counts and places on the
 *      report) unless allow_shrink. A database without households is never
 *      refused.
 *   4. COMMIT. The triggers of migration 002 log one registry_changes row a
 *      household or member inserted, updated or deleted, and NOTIFY
 *      riskhub_registry.
 * An advisory transaction lock (RH_IMPORT_LOCK_KEY) lets one import run at a
 * time; a second waits.
 *
 * A first import (the three tables empty under the lock, not dry_run) skips
 * staging, guard and merge: it drops the tables' keys and indexes (as the
 * catalog has them), COPYs the rows straight into the tables and, when all
 * was valid, builds the indexes and adds the keys again before COMMIT — in
 * the same transaction (docs/registry.md, "A first import").
 *
 * With dry_run nothing is changed: the files are validated, staged and the
 * shrink guard run in the database, then the transaction is rolled back (no
 * merge). With dry_run and offline no database is used: validation only.
 *
 * Ownership: the caller owns opts and result; the import owns its connection.
 * Nothing here prints a full ID number or a name (the report passes through
 * rh_log_scrub as a last defence).
 */
#ifndef REGISTRY_IMPORT_H
#define REGISTRY_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "registry_row.h"
#include "rh_config.h"
#include "rh_encoding.h"

/* 'rhim' */
#define RH_IMPORT_LOCK_KEY 0x7268696dLL
/* The import needs migrations up to this version (tables, change log, roles and
 * the first import's functions of 007). */
#define RH_IMPORT_MIN_SCHEMA 7
#define RH_IMPORT_DEFAULT_MAX_ERRORS 50

typedef struct {
  const rh_config_t *cfg; /* townships; the connection string unless conninfo is set */
  const char *conninfo;   /* NULL: cfg->pg_conninfo */
  const char *dir;        /* holds households.csv, members.csv, applications.csv */
  rh_encoding_t encoding; /* RH_ENC_AUTO to detect per file */
  int wait_ms;            /* how long to wait for the database to come up */
  bool dry_run;           /* change nothing: validate, stage, run the guard, roll back */
  bool offline;           /* with dry_run: no database (validation only, no guard) */
  bool allow_shrink;      /* the shrink guard reports but does not refuse */
  size_t max_errors;      /* problems printed (0: RH_IMPORT_DEFAULT_MAX_ERRORS) */
  FILE *report;           /* where problems go (NULL: stderr) */
  int max_year;           /* latest birth year accepted (0: this year); for tests */
} registry_import_opts_t;

typedef struct {
  uint64_t rows, inserted, updated, deleted, unchanged;
} registry_import_counts_t;

typedef struct {
  registry_import_counts_t counts[REGISTRY_FILE_COUNT];
  uint64_t problems;                  /* every problem found, printed or not */
  uint64_t bad_rows[REGISTRY_FILE_COUNT];
  uint64_t changes;                   /* registry_changes rows this import wrote */
  double read_seconds, merge_seconds, total_seconds;
  bool guard_ran;                     /* the shrink guard measured the database */
  int guard_verdict;                  /* registry_guard_judge(): 0 pass, else why it tripped */
  char summary[2048]; /* on success: lines for stdout */
  char error[1024];   /* otherwise: one line for stderr */
} registry_import_result_t;

/* Returns an exit code (rh_exit.h): RH_EXIT_OK (loaded, or valid and passed
 * by the guard with dry_run); RH_EXIT_REFUSED (bad rows or a file that cannot
 * be parsed: the report lists them; or refused by the shrink guard: the report
 * has the counts and places; nothing loaded); RH_EXIT_IOERR (a file missing or
 * unreadable); RH_EXIT_UNAVAILABLE (database not reachable within wait_ms, or
 * lost on the way: nothing loaded); RH_EXIT_CONFIG (database not migrated);
 * RH_EXIT_SOFTWARE (the database refused what validation accepted). */
int registry_import(const registry_import_opts_t *o, registry_import_result_t *res);

#endif
