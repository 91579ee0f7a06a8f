/* status_ledger: see status_ledger.h and docs/status.md. */
#include "status_ledger.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_clock.h"
#include "rh_err.h"
#include "rh_pg.h"

#define PG_WAIT_MS 10000

/* The months as a text[] literal: {"2026-10","2026-11"} */
static void months_literal(const status_report_t *r, char *out, size_t size) {
  size_t n = (size_t)snprintf(out, size, "{");
  for (int m = 0; m < r->nmonths && n < size; m++)
    n += (size_t)snprintf(out + n, size - n, "%s\"%s\"", m ? "," : "", r->period[m]);
  if (n < size) snprintf(out + n, size - n, "}");
}

static int64_t num(const PGresult *res, int row, int col) {
  return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* The township's row in the report, or -1 (a code not in the config). */
static long township_row(const status_report_t *r, const char *code) {
  for (size_t i = 0; i < r->cfg->township_count; i++)
    if (strcmp(r->cfg->townships[i].code, code) == 0) return (long)i;
  return -1;
}

#define MS(col) "(extract(epoch FROM " col ") * 1000)::bigint"
#define AS_OF(col) col " <= to_timestamp($2::bigint / 1000.0)"

static const char MANIFESTS_SQL[] =
    "SELECT department, feed, period, batch_id, " MS("finished_at") ", rows_total, "
    "rows_accepted, rows_rejected FROM list_manifests WHERE period = ANY($1::text[]) "
    "ORDER BY topic, partition, \"offset\"";

/* per township and month, and per township over the whole range (period NULL) */
static const char WARNINGS_SQL[] =
    "SELECT township_code, period, count(*), count(DISTINCT household_id) FROM warnings "
    "WHERE period = ANY($1::text[]) AND " AS_OF("coalesce(raised_at, created_at)")
    " GROUP BY GROUPING SETS ((township_code, period), (township_code))";

/* the current results only (migration 013, issue 11): those not replaced by
 * a result created by as-of */
static const char CHECKS_SQL[] =
    "SELECT township_code, period, count(*), count(*) FILTER (WHERE matched) FROM check_results c "
    "WHERE period = ANY($1::text[]) AND " AS_OF("created_at") " AND NOT EXISTS (SELECT 1 FROM "
    "check_results s WHERE s.supersedes = c.check_id AND " AS_OF("s.created_at") ")"
    " GROUP BY GROUPING SETS ((township_code, period), (township_code))";

static const char UNMATCHED_SQL[] =
    "SELECT '', period, count(*), 0 FROM unmatched_alerts "
    "WHERE period = ANY($1::text[]) AND " AS_OF("raised_at")
    " GROUP BY GROUPING SETS ((period), ())";

/* The verification figures (status_verify.h): warnings of the months raised by
 * as-of, counted per township, department, state and visit_due (days since
 * 1970). As of now ($3 true): the state the warning has (warnings.state, moved
 * by the ledger's steps and by the web page). As of a past instant: the last
 * move made by then, replayed: the ledger's applied steps (applied_at <=
 * as-of, refused IS NULL; the outcome as the state it leaves) and the web
 * page's visits (web_visits, recorded_at <= as-of); no move: PUSHED. Two moves
 * at the same instant: the web page's, then the later step (topic order). */
static const char VERIFY_SQL[] =
    "WITH w AS (SELECT alert_id, township_code, department, state, visit_due FROM warnings "
    "  WHERE period = ANY($1::text[]) AND " AS_OF("coalesce(raised_at, created_at)") "), "
    "ev AS (SELECT s.alert_id, s.applied_at AS at, 0 AS src, s.\"offset\" AS seq, "
    "         CASE s.outcome WHEN 'NOT_INCLUDED' THEN 'DISMISSED' ELSE s.outcome END AS state "
    "    FROM warning_steps s JOIN w ON w.alert_id = s.alert_id "
    "   WHERE NOT $3::boolean AND s.refused IS NULL AND " AS_OF("s.applied_at")
    "  UNION ALL "
    "  SELECT v.alert_id, v.recorded_at, 1, v.visit_id, v.outcome "
    "    FROM web_visits v JOIN w ON w.alert_id = v.alert_id "
    "   WHERE NOT $3::boolean AND " AS_OF("v.recorded_at") "), "
    "last AS (SELECT DISTINCT ON (alert_id) alert_id, state FROM ev "
    "          ORDER BY alert_id, at DESC, src DESC, seq DESC) "
    "SELECT w.township_code, coalesce(w.department, ''), "
    "       CASE WHEN $3::boolean THEN w.state ELSE coalesce(last.state, 'PUSHED') END, "
    "       w.visit_due - DATE '1970-01-01', count(*) "
    "  FROM w LEFT JOIN last ON last.alert_id = w.alert_id GROUP BY 1, 2, 3, 4";

static const char LAST_WRITE_SQL[] =
    "SELECT " MS("max(updated_at)") " FROM ledger_offsets WHERE consumer = $1";

typedef struct {
  uint64_t warnings, households, checks, matched;
} counts_t;

/* sql uses $1..$n of params */
static PGresult *query(PGconn *pg, const char *sql, int n, const char *const *params,
                       char *errstr, size_t errstr_size) {
  return rh_pg_exec_params(pg, sql, n, params, errstr, errstr_size);
}

/* The verification figures into v (VERIFY_SQL). 0, or -1 with errstr. */
static int read_verification(PGconn *pg, const char *const *params, status_verify_t *v,
                             char *errstr, size_t errstr_size) {
  const char *p[3] = {params[0], params[1], v->as_of_now ? "true" : "false"};
  PGresult *res = query(pg, VERIFY_SQL, 3, p, errstr, errstr_size);
  if (!res) return -1;
  for (int i = 0; i < PQntuples(res); i++) {
    bool has_due = !PQgetisnull(res, i, 3);
    status_verify_add(v, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
                      has_due, has_due ? (int32_t)num(res, i, 3) : 0, (uint64_t)num(res, i, 4));
  }
  PQclear(res);
  return 0;
}

status_ledger_rc_t status_ledger_read(const rh_config_t *cfg, const char *consumer,
                                      status_report_t *r, status_verify_t *v,
                                      status_ledger_stats_t *st, char *errstr,
                                      size_t errstr_size) {
  int64_t t0 = rh_mono_ms();
  memset(st, 0, sizeof *st);
  PGconn *pg = rh_pg_connect_as(cfg->pg_conninfo, RH_PG_ROLE_STATUS, PG_WAIT_MS, errstr, errstr_size);
  if (!pg) return STATUS_LEDGER_UNAVAILABLE;
  status_ledger_rc_t rc = STATUS_LEDGER_FAILED;
  PGresult *res = NULL;
  counts_t *c = NULL;
  char months[64], as_of[24];
  months_literal(r, months, sizeof months);
  snprintf(as_of, sizeof as_of, "%" PRId64, r->as_of_ms);
  const char *const params[2] = {months, as_of};
  size_t slots = r->nrows * (size_t)(r->nmonths + 1);

  if (rh_pg_exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", errstr, errstr_size))
    goto out;
  if (!(res = query(pg, MANIFESTS_SQL, 1, params, errstr, errstr_size))) goto out;
  for (int i = 0; i < PQntuples(res); i++) {
    if (status_report_add_manifest(r, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                   PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), num(res, i, 4),
                                   num(res, i, 5), num(res, i, 6), num(res, i, 7))) {
      rh_errf(errstr, errstr_size, "out of memory");
      goto out;
    }
    st->manifests++;
  }
  PQclear(res);

  if (!(c = calloc(slots, sizeof *c))) {
    rh_errf(errstr, errstr_size, "out of memory");
    res = NULL;
    goto out;
  }
  const char *const sqls[3] = {WARNINGS_SQL, CHECKS_SQL, UNMATCHED_SQL};
  for (int q = 0; q < 3; q++) {
    if (!(res = query(pg, sqls[q], 2, params, errstr, errstr_size))) goto out;
    for (int i = 0; i < PQntuples(res); i++) {
      long row = q == 2 ? (long)STATUS_UNMATCHED(r) : township_row(r, PQgetvalue(res, i, 0));
      int m = PQgetisnull(res, i, 1) ? r->nmonths : status_report_month(r, PQgetvalue(res, i, 1));
      if (row < 0 || m < 0) continue; /* a township not in the config */
      counts_t *x = &c[(size_t)row * (size_t)(r->nmonths + 1) + (size_t)m];
      if (q == 1) {
        x->checks = (uint64_t)num(res, i, 2);
        x->matched = (uint64_t)num(res, i, 3);
      } else {
        x->warnings = (uint64_t)num(res, i, 2);
        x->households = (uint64_t)num(res, i, 3);
      }
    }
    PQclear(res);
  }
  for (size_t row = 0; row < r->nrows; row++)
    for (int m = 0; m <= r->nmonths; m++) {
      const counts_t *x = &c[row * (size_t)(r->nmonths + 1) + (size_t)m];
      status_report_set_tally(r, row, m, x->warnings, x->households, x->checks, x->matched);
    }

  res = NULL;
  if (v && read_verification(pg, params, v, errstr, errstr_size)) goto out;
  if (!(res = query(pg, LAST_WRITE_SQL, 1, &consumer, errstr, errstr_size))) goto out;
  st->last_write_ms = PQntuples(res) ? num(res, 0, 0) : 0;
  PQclear(res);
  res = NULL;
  rc = STATUS_LEDGER_OK;
out:
  if (rc != STATUS_LEDGER_OK) {
    if (rh_pg_connection_lost(pg)) rc = STATUS_LEDGER_UNAVAILABLE;
    else if (strstr(errstr, "does not exist")) rc = STATUS_LEDGER_SCHEMA;
  }
  free(c);
  PQfinish(pg);
  st->seconds = (double)(rh_mono_ms() - t0) / 1000.0;
  return rc;
}
