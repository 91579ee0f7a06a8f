/* scale_rows: see scale_rows.h. */
#include "scale_rows.h"

#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_pg.h"
#include "rh_period.h"
#include "rh_period.h"

static const char WARNINGS[] =
    "SELECT w.period, h.township_code, h.village, w.risk, w.household_id, w.alert_id"
    "  FROM warnings w JOIN households h ON h.household_id = w.household_id"
    " WHERE w.state <> 'WITHDRAWN' AND w.period BETWEEN $1 AND $2"
    "   AND w.risk = ANY ($3::text[])";

static const char PLACES[] =
    "SELECT township_code, village, count(*) FROM households GROUP BY township_code, village";

int scale_rows_load(PGconn *conn, const rh_config_t *cfg, const char *period, scale_rows_t *out,
                    char *errstr, size_t errstr_size) {
  memset(out, 0, sizeof *out);
  char first[16];
  rh_period_before(period, cfg->scale.baseline_months, first);
  /* the rules' risks as a PostgreSQL array literal: risk codes are [A-Z_]+ */
  char risks[1024] = "{";
  size_t used = 1;
  for (size_t i = 0; i < cfg->scale.rule_count; i++)
    for (size_t k = 0; k < cfg->scale.rules[i].risk_count; k++) {
      const char *risk = cfg->scale.rules[i].risks[k];
      size_t len = strlen(risk);
      if (used + len + 3 > sizeof risks) break;
      if (used > 1) risks[used++] = ',';
      memcpy(risks + used, risk, len);
      used += len;
    }
  risks[used++] = '}';
  risks[used] = '\0';
  const char *params[3] = {first, period, risks};
  if (rh_pg_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", errstr, errstr_size) ||
      !(out->wres = rh_pg_exec_params(conn, WARNINGS, 3, params, errstr, errstr_size)) ||
      !(out->pres = rh_pg_exec_params(conn, PLACES, 0, NULL, errstr, errstr_size)) ||
      rh_pg_exec(conn, "COMMIT", errstr, errstr_size)) {
    scale_rows_free(out);
    return -1;
  }
  size_t n = (size_t)PQntuples(out->wres), np = (size_t)PQntuples(out->pres);
  out->warnings = calloc(n ? n : 1, sizeof *out->warnings);
  out->places = calloc(np ? np : 1, sizeof *out->places);
  if (!out->warnings || !out->places) {
    scale_rows_free(out);
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    scale_warning_t *w = &out->warnings[i];
    const char **f[] = {&w->period, &w->township, &w->village, &w->risk, &w->household_id,
                        &w->alert_id};
    for (int c = 0; c < 6; c++) *f[c] = PQgetvalue(out->wres, (int)i, c);
  }
  for (size_t i = 0; i < np; i++) {
    out->places[i].township = PQgetvalue(out->pres, (int)i, 0);
    out->places[i].village = PQgetvalue(out->pres, (int)i, 1);
    out->places[i].households = strtoll(PQgetvalue(out->pres, (int)i, 2), NULL, 10);
  }
  out->n = n;
  out->np = np;
  return 0;
}

void scale_rows_free(scale_rows_t *r) {
  if (r->wres) PQclear(r->wres);
  if (r->pres) PQclear(r->pres);
  free(r->warnings);
  free(r->places);
  memset(r, 0, sizeof *r);
}
