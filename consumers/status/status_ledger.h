/*
 * status_ledger: fills a status_report_t from the warnings ledger in
 * PostgreSQL (riskhub-ledger, docs/ledger.md; migrations 003, 005, 006) — the
 * default source of riskhub-status (issue 14): what the broker's retention
 * has deleted is still counted, and a quarter costs a few indexed queries,
 * not a read of every alert topic from its start.
 *
 *   lists     list_manifests (one row a BatchManifest message), as the
 *             topic path adds them: status_report_add_manifest
 *   townships warnings (distinct alert ids and household ids), check_results
 *             (and matched) per township and month, and over the whole range
 *             (GROUPING SETS): status_report_set_tally
 *   unmatched unmatched_alerts
 *   verification (status_verify.h) warnings' states as of, with
 *             warning_steps and web_visits for a past as-of
 *
 * "As of" as on the topics: a manifest counts from its finished_at, a warning
 * from its raised_at (the Alert's created_at; the row's created_at for rows
 * written before migration 006), a check result from its created_at.
 *
 * The figures are the ledger's: a ledger that has not read the latest
 * records gives lower counts. The stats say when it last committed (the
 * caller prints it; its lag is Kafka's consumer-group lag of the group
 * <prefix>riskhub-ledger, which it commits for that). One read-only
 * transaction (REPEATABLE READ): every query sees the same moment.
 */
#ifndef STATUS_LEDGER_H
#define STATUS_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"
#include "status_report.h"
#include "status_verify.h"

typedef struct {
  uint64_t manifests;     /* list_manifests rows of the months */
  int64_t last_write_ms;  /* the ledger's last commit (ledger_offsets), 0: never */
  double seconds;
} status_ledger_stats_t;

typedef enum {
  STATUS_LEDGER_OK = 0,
  STATUS_LEDGER_UNAVAILABLE, /* PostgreSQL away (exit 69) */
  STATUS_LEDGER_SCHEMA,      /* tables missing: not migrated (exit 78) */
  STATUS_LEDGER_FAILED       /* a query failed otherwise, or memory (exit 70) */
} status_ledger_rc_t;

/* consumer: the ledger's name in ledger_offsets (its group: the topic prefix
 * and "riskhub-ledger"). v: the verification figures too, in the same
 * transaction (warnings, warning_steps, web_visits; migration 011), or NULL.
 * errstr says what failed. */
status_ledger_rc_t status_ledger_read(const rh_config_t *cfg, const char *consumer,
                                      status_report_t *r, status_verify_t *v,
                                      status_ledger_stats_t *st, char *errstr,
                                      size_t errstr_size);

#endif
