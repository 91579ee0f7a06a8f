/* push_rows: see push_rows.h. */
#include "push_rows.h"

#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_pg.h"

static const char APPLICANTS[] =
    "SELECT a.household_id, m.id_number, m.name, NULL, NULL"
    "  FROM applications a JOIN members m ON m.household_id = a.household_id"
    " WHERE a.period = $1"
    " ORDER BY a.household_id, m.relation <> 'head', m.id_number";

/* the month of a step in the county: applied_at at UTC+08:00 */
#define STEP_MONTH(s) "to_char(" s ".applied_at AT TIME ZONE 'UTC' + interval '8 hours', 'YYYY-MM')"
static const char NEW_OBJECTS[] =
    "WITH included AS ("
    "  SELECT DISTINCT w.household_id"
    "    FROM warnings w JOIN warning_steps s ON s.alert_id = w.alert_id"
    "   WHERE s.outcome = 'INCLUDED' AND s.refused IS NULL"
    "     AND w.state IN ('INCLUDED', 'ASSISTING', 'RISK_ELIMINATED')"
    "     AND " STEP_MONTH("s") " = $1"
    "     AND NOT EXISTS (SELECT 1 FROM warnings w2 JOIN warning_steps s2"
    "                         ON s2.alert_id = w2.alert_id"
    "                      WHERE w2.household_id = w.household_id AND s2.outcome = 'INCLUDED'"
    "                        AND s2.refused IS NULL AND " STEP_MONTH("s2") " < $1))"
    "SELECT h.household_id, m.id_number, m.name, h.township_code, h.village"
    "  FROM included i JOIN households h ON h.household_id = i.household_id"
    "  JOIN members m ON m.household_id = h.household_id"
    " ORDER BY h.household_id, m.relation <> 'head', m.id_number";

int push_rows_load(PGconn *conn, rh_outbound_kind_t kind, const char *period, push_rows_t *out,
                   char *errstr, size_t errstr_size) {
  memset(out, 0, sizeof *out);
  const char *params[1] = {period};
  out->res = rh_pg_exec_params(conn, kind == RH_OUTBOUND_APPLICANTS ? APPLICANTS : NEW_OBJECTS,
                               1, params, errstr, errstr_size);
  if (!out->res) return -1;
  size_t n = (size_t)PQntuples(out->res);
  if (n && !(out->v = calloc(n, sizeof *out->v))) {
    push_rows_free(out);
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    rh_outbound_record_t *r = &out->v[i];
    int row = (int)i;
    r->household_id = PQgetvalue(out->res, row, 0);
    r->id_number = PQgetvalue(out->res, row, 1);
    r->name = PQgetvalue(out->res, row, 2);
    r->township_code = PQgetisnull(out->res, row, 3) ? NULL : PQgetvalue(out->res, row, 3);
    r->village = PQgetisnull(out->res, row, 4) ? NULL : PQgetvalue(out->res, row, 4);
    if (i == 0 || strcmp(r->household_id, out->v[i - 1].household_id) != 0) out->households++;
  }
  out->n = n;
  return 0;
}

void push_rows_free(push_rows_t *r) {
  if (r->res) PQclear(r->res);
  free(r->v);
  memset(r, 0, sizeof *r);
}
