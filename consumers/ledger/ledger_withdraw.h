/*
 * ledger_withdraw: the join's withdrawals (Alert records with `withdraws` set,
 * situation WITHDRAWN: docs/join.md, "Corrections"; docs/ledger.md), kept and
 * applied in the ledger's PostgreSQL transaction (ledger_batch_write), after
 * the warnings and the townships' steps of the batch:
 *
 *   alerts.<township>: a warning_steps row, outcome WITHDRAWN, keyed by the
 *     withdrawal's id (ON CONFLICT DO NOTHING: applied once), recorded_by the
 *     department's corrected list ("<department>/<feed> <batch id, 12>");
 *     applied when the warning is open (PUSHED, RECEIVED, VERIFYING,
 *     UNREACHABLE): its state becomes WITHDRAWN. Else kept, refused (no such
 *     warning, already withdrawn, or an outcome given: a township's decision
 *     is not undone by a list).
 *   A merge (merged_into set too: one warning per person, feed and month,
 *     docs/join.md, migration 016) is such a step with merged_into: the open
 *     warning merged becomes WITHDRAWN; a row merged before it was raised
 *     (no such warning) is kept applied, naming the warning that stands.
 *   alerts.unmatched: unmatched_alerts.withdrawn_by = the withdrawal's id
 *     (migration 014), once; one naming an alert the ledger does not have yet
 *     is kept in unmatched_withdrawals_held (migration 017) for the batch that
 *     stores the alert (ledger_withdraw_apply_held_unmatched).
 *
 * Ownership: the caller's (new/destroy). One thread.
 */
#ifndef LEDGER_WITHDRAW_H
#define LEDGER_WITHDRAW_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_alert.h"

typedef struct ledger_withdraw ledger_withdraw_t;

ledger_withdraw_t *ledger_withdraw_new(void);
void ledger_withdraw_destroy(ledger_withdraw_t *w);
void ledger_withdraw_clear(ledger_withdraw_t *w);
size_t ledger_withdraw_rows(const ledger_withdraw_t *w);

/* One withdrawal a (a->withdraws set) read from topic at partition/offset,
 * unmatched: read from alerts.unmatched. 0 added, 1 skipped (why says why),
 * -1 out of memory. */
int ledger_withdraw_add(ledger_withdraw_t *w, const rh_alert_t *a, bool unmatched,
                        const char *topic, int32_t partition, int64_t offset, char *why,
                        size_t why_size);

/* A withdrawal read before its alert (the join met the corrected list's
 * manifest before the superseded list's records: a backlog; its step kept
 * refused "no such warning"): the warnings of alert_ids (a text[] literal: the
 * batch's, just stored) that such a step names take it now, if still open:
 * the step applied (refused NULL, state_before set), the warning WITHDRAWN.
 * Inside the caller's transaction, after the warnings. *applied: how many.
 * 0, or -1 with errstr. */
int ledger_withdraw_apply_held(PGconn *pg, const char *alert_ids, uint64_t *applied,
                               char *errstr, size_t errstr_size);
/* The same for alerts.unmatched: a withdrawal read before its unmatched alert
 * is kept in unmatched_withdrawals_held (migration 017); the alerts of
 * alert_ids (the batch's unmatched ones, just stored) take it now
 * (withdrawn_by), and it is deleted there. *applied is added to. 0, or -1. */
int ledger_withdraw_apply_held_unmatched(PGconn *pg, const char *alert_ids, uint64_t *applied,
                                         char *errstr, size_t errstr_size);

/* Inside the caller's transaction. *inserted: withdrawals new to the ledger;
 * *refused: of those, the ones that changed nothing. 0, or -1 with errstr. */
int ledger_withdraw_write(ledger_withdraw_t *w, PGconn *pg, uint64_t *inserted,
                          uint64_t *refused, char *errstr, size_t errstr_size);

#endif
