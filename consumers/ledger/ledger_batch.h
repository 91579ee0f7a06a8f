/*
 * ledger_batch: the rows of one batch of records read from the join's topics
 * (docs/ledger.md), and their one PostgreSQL transaction:
 *
 *   alerts.<township>  Alert        -> a warnings row (migration 003), state
 *                                      PUSHED, deadlines from the config
 *   checks.<township>  CheckResult  -> a check_results row (migration 005)
 *   alerts.unmatched   Alert        -> an unmatched_alerts row (migration 006:
 *                                      id, period, risk, when; no person)
 *   feed.<dept>.manifests BatchManifest-> a list_manifests row (migration 006),
 *                                      keyed by topic, partition, offset
 *   verifications.<township> Verification -> a warning_steps row, applied to
 *                                      its warning (ledger_steps.h; migration 010)
 *   alerts.* Alert with withdraws set -> a withdrawal (ledger_withdraw.h;
 *                                      migration 014)
 *
 *   BEGIN; INSERT warnings ...; INSERT check_results ... (both ON CONFLICT DO
 *   NOTHING); store the batch's span in every partition (ledger_offsets);
 *   COMMIT
 *
 * A record that gives no row (undecodable, or an alert without a household:
 * the join never writes one to a township topic) is skipped with the reason:
 * its offset still counts as read, so it cannot block the partition.
 *
 * Ownership: ledger_batch_new returns an object the caller frees with
 * ledger_batch_destroy; cfg and schemas are borrowed and outlive it. One
 * thread. Failure: -1 for memory; writes as below.
 */
#ifndef LEDGER_BATCH_H
#define LEDGER_BATCH_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_offsets.h"
#include "rh_avro_schema.h"
#include "rh_config.h"

typedef enum {
  LEDGER_ROW_WARNING,
  LEDGER_ROW_CHECK,
  LEDGER_ROW_UNMATCHED,
  LEDGER_ROW_MANIFEST,
  LEDGER_ROW_STEP,
  LEDGER_ROW_WITHDRAWAL,
  LEDGER_ROW_SKIPPED
} ledger_row_t;

typedef struct ledger_batch ledger_batch_t;

/* NULL with errstr (schemas without Alert or CheckResult, memory). */
ledger_batch_t *ledger_batch_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                 char *errstr, size_t errstr_size);
void ledger_batch_destroy(ledger_batch_t *b);

/* Add one record read from topic (the full name) at partition/offset. Returns
 * its kind (why says why when SKIPPED), or -1 out of memory. */
int ledger_batch_add(ledger_batch_t *b, const char *topic, int32_t partition, int64_t offset,
                     const void *value, size_t len, char *why, size_t why_size);

/* Records added since the last clear (rows and skipped). */
size_t ledger_batch_records(const ledger_batch_t *b);
/* Where the batch read, per partition (first offset, next offset). */
const ledger_offsets_t *ledger_batch_spans(const ledger_batch_t *b);

typedef struct {
  uint64_t warnings, checks; /* rows inserted */
  uint64_t unmatched;        /* unmatched_alerts rows inserted */
  uint64_t manifests;        /* list_manifests rows inserted */
  uint64_t steps;            /* warning_steps rows inserted (steps new to the ledger) */
  uint64_t steps_refused;    /* of which not applied (ledger_steps.h) */
  uint64_t withdrawn;        /* withdrawals new to the ledger (ledger_withdraw.h) */
  uint64_t withdraw_refused; /* of which changed nothing */
  uint64_t withdrawn_late;   /* warnings that took a withdrawal read before them */
  uint64_t steps_late;       /* steps read before their warning, applied now */
  uint64_t existing;         /* rows that were there already (ON CONFLICT) */
} ledger_written_t;

typedef enum {
  LEDGER_WRITE_OK,       /* committed: rows and offsets */
  LEDGER_WRITE_REFUSED,  /* rolled back: a partition was written further by another instance */
  LEDGER_WRITE_ERROR     /* errstr; rolled back (or the connection is gone) */
} ledger_write_t;

/* The batch's one transaction, as consumer (the ledger_offsets key). */
ledger_write_t ledger_batch_write(ledger_batch_t *b, PGconn *pg, const char *consumer,
                                  ledger_written_t *w, char *errstr, size_t errstr_size);

/* Forget everything added (after a write, or to drop the batch). */
void ledger_batch_clear(ledger_batch_t *b);

#endif
