/* ledger_withdraw: see ledger_withdraw.h. */
#include "ledger_withdraw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_arrays.h"
#include "rh_err.h"
#include "rh_pg.h"

enum { X_ID, X_ALERT, X_TOWNSHIP, X_BY, X_AT, X_TOPIC, X_PART, X_OFFSET, X_MERGED, X_NCOL };

struct ledger_withdraw {
  ledger_arrays_t town, unmatched;
};

ledger_withdraw_t *ledger_withdraw_new(void) {
  ledger_withdraw_t *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  ledger_arrays_init(&w->town, X_NCOL);
  ledger_arrays_init(&w->unmatched, X_NCOL);
  return w;
}

void ledger_withdraw_destroy(ledger_withdraw_t *w) {
  if (!w) return;
  ledger_arrays_free(&w->town);
  ledger_arrays_free(&w->unmatched);
  free(w);
}

void ledger_withdraw_clear(ledger_withdraw_t *w) {
  ledger_arrays_clear(&w->town);
  ledger_arrays_clear(&w->unmatched);
}

size_t ledger_withdraw_rows(const ledger_withdraw_t *w) {
  return w->town.rows + w->unmatched.rows;
}

int ledger_withdraw_add(ledger_withdraw_t *w, const rh_alert_t *a, bool unmatched,
                        const char *topic, int32_t partition, int64_t offset, char *why,
                        size_t why_size) {
  if (!a->alert_id || strlen(a->alert_id) != 64 || !a->withdraws || !*a->withdraws) {
    rh_errf(why, why_size, "a withdrawal without its id or the alert it withdraws");
    return 1;
  }
  if (!unmatched && (!a->township_code || !a->household_id)) {
    rh_errf(why, why_size, "a withdrawal without a township or household");
    return 1;
  }
  char by[200], at[24], part[16], off[24];
  snprintf(by, sizeof by, "%s/%s %.12s", a->department ? a->department : "?",
           a->feed ? a->feed : "?", a->source.batch_id ? a->source.batch_id : "?");
  snprintf(at, sizeof at, "%" PRId64, a->created_at);
  snprintf(part, sizeof part, "%" PRId32, partition);
  snprintf(off, sizeof off, "%" PRId64, offset);
  if (a->merged_into && (unmatched || strlen(a->merged_into) != 64)) {
    rh_errf(why, why_size, "a merge without the warning it is merged into");
    return 1;
  }
  const char *v[X_NCOL] = {a->alert_id, a->withdraws, a->township_code, by, at, topic, part, off,
                           a->merged_into ? a->merged_into : ""};
  return ledger_arrays_add(unmatched ? &w->unmatched : &w->town, v) ? -1 : 0;
}

#define OPEN_STATES "('PUSHED', 'RECEIVED', 'VERIFYING', 'UNREACHABLE')"

/* the steps first (once, by the withdrawal's id), then the open warnings they
 * leave WITHDRAWN; one statement: the rows it reads are those of the
 * transaction so far (this batch's warnings included) */
#define TOWN_SQL                                                                                   \
  "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "   \
  "$6::text[], $7::text[], $8::text[], $9::text[]) AS u(v, a, t, b, ra, tp, pa, o, m)), "          \
  "ins AS (INSERT INTO warning_steps (verification_id, alert_id, township_code, outcome, "         \
  "recorded_by, recorded_at, source, topic, partition, \"offset\", state_before, refused, "        \
  "merged_into) "                                                                                  \
  "SELECT u.v, u.a, u.t, 'WITHDRAWN', u.b, to_timestamp(u.ra::bigint / 1000.0), 'withdrawal', "    \
  "u.tp, u.pa::int, u.o::bigint, w.state, "                                                        \
  "CASE WHEN w.alert_id IS NULL AND u.m <> '' THEN NULL "                                          \
  "WHEN w.alert_id IS NULL THEN 'no such warning' "                                                \
  "WHEN w.state = 'WITHDRAWN' THEN 'already withdrawn' "                                           \
  "WHEN w.state NOT IN " OPEN_STATES " THEN 'an outcome was given: ' || w.state END, "             \
  "NULLIF(u.m, '') "                                                                               \
  "FROM u LEFT JOIN warnings w ON w.alert_id = u.a "                                               \
  "ON CONFLICT (verification_id) DO NOTHING RETURNING alert_id, refused), "                        \
  "upd AS (UPDATE warnings SET state = 'WITHDRAWN' FROM ins "                                      \
  "WHERE warnings.alert_id = ins.alert_id AND ins.refused IS NULL "                                \
  "AND warnings.state IN " OPEN_STATES " RETURNING 1) "                                            \
  "SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM ins WHERE refused IS NOT NULL), "      \
  "(SELECT count(*) FROM upd)"

/* applied to the unmatched alert if the ledger has it; else kept in
 * unmatched_withdrawals_held (migration 017) for the batch that stores it */
#define UNMATCHED_SQL                                                                            \
  "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], " \
  "$6::text[], $7::text[], $8::text[]) AS u(v, a, t, b, ra, tp, pa, o)), "                      \
  "upd AS (UPDATE unmatched_alerts m SET withdrawn_by = u.v FROM u "                            \
  "WHERE m.alert_id = u.a AND m.withdrawn_by IS NULL RETURNING 1), "                            \
  "again AS (SELECT 1 FROM u JOIN unmatched_alerts m ON m.alert_id = u.a "                      \
  "AND m.withdrawn_by = u.v), "                                                                 \
  "held AS (INSERT INTO unmatched_withdrawals_held (withdrawal_id, alert_id, topic, partition, " \
  "\"offset\") SELECT u.v, u.a, u.tp, u.pa::int, u.o::bigint FROM u WHERE NOT EXISTS "          \
  "(SELECT 1 FROM unmatched_alerts m WHERE m.alert_id = u.a) "                                  \
  "ON CONFLICT (withdrawal_id) DO NOTHING RETURNING 1) "                                         \
  "SELECT (SELECT count(*) FROM u) - (SELECT count(*) FROM again), (SELECT count(*) FROM upd), " \
  "(SELECT count(*) FROM held)"

#define UNMATCHED_HELD_SQL                                                                       \
  "WITH h AS (DELETE FROM unmatched_withdrawals_held WHERE alert_id = ANY($1::text[]) "         \
  "RETURNING withdrawal_id, alert_id), "                                                        \
  "upd AS (UPDATE unmatched_alerts m SET withdrawn_by = h.withdrawal_id FROM h "                \
  "WHERE m.alert_id = h.alert_id AND m.withdrawn_by IS NULL RETURNING 1) "                      \
  "SELECT count(*) FROM upd"

#define HELD_SQL                                                                                 \
  "WITH held AS (UPDATE warning_steps s SET refused = NULL, state_before = w.state "            \
  "FROM warnings w WHERE w.alert_id = ANY($1::text[]) AND s.alert_id = w.alert_id "             \
  "AND s.outcome = 'WITHDRAWN' AND s.refused = 'no such warning' "                             \
  "AND w.state IN " OPEN_STATES " RETURNING s.alert_id), "                                      \
  "upd AS (UPDATE warnings SET state = 'WITHDRAWN' "                                           \
  "WHERE alert_id IN (SELECT alert_id FROM held) RETURNING 1) "                                \
  "SELECT count(*) FROM upd"

static int apply_held(PGconn *pg, const char *sql, const char *alert_ids, uint64_t *applied,
                      char *errstr, size_t errstr_size) {
  const char *params[1] = {alert_ids};
  PGresult *r = rh_pg_exec_params(pg, sql, 1, params, errstr, errstr_size);
  if (!r) return -1;
  *applied += strtoull(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  return 0;
}

int ledger_withdraw_apply_held(PGconn *pg, const char *alert_ids, uint64_t *applied,
                               char *errstr, size_t errstr_size) {
  *applied = 0;
  return apply_held(pg, HELD_SQL, alert_ids, applied, errstr, errstr_size);
}

int ledger_withdraw_apply_held_unmatched(PGconn *pg, const char *alert_ids, uint64_t *applied,
                                         char *errstr, size_t errstr_size) {
  return apply_held(pg, UNMATCHED_HELD_SQL, alert_ids, applied, errstr, errstr_size);
}

static int run(PGconn *pg, ledger_arrays_t *a, const char *sql, int ncol, PGresult **out,
               char *errstr, size_t errstr_size) {
  const char *params[X_NCOL];
  for (int i = 0; i < ncol; i++)
    if (!(params[i] = ledger_arrays_literal(a, i))) {
      rh_errf(errstr, errstr_size, "out of memory");
      return -1;
    }
  *out = rh_pg_exec_params(pg, sql, ncol, params, errstr, errstr_size);
  return *out ? 0 : -1;
}

int ledger_withdraw_write(ledger_withdraw_t *w, PGconn *pg, uint64_t *inserted,
                          uint64_t *refused, char *errstr, size_t errstr_size) {
  *inserted = *refused = 0;
  PGresult *r = NULL;
  if (w->town.rows) {
    if (run(pg, &w->town, TOWN_SQL, X_NCOL, &r, errstr, errstr_size)) return -1;
    *inserted += strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    *refused += strtoull(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
  }
  if (w->unmatched.rows) {
    /* the columns up to the offset: ids, and where it was read */
    if (run(pg, &w->unmatched, UNMATCHED_SQL, X_OFFSET + 1, &r, errstr, errstr_size)) return -1;
    uint64_t fresh = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    uint64_t applied = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
    uint64_t held = strtoull(PQgetvalue(r, 0, 2), NULL, 10);
    *inserted += fresh;
    *refused += fresh > applied + held ? fresh - applied - held : 0;
    PQclear(r);
  }
  return 0;
}
