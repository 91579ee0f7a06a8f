/* verify_ledger: see verify_ledger.h. */
#include "verify_ledger.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_i18n.h"
#include "rh_pg.h"
#include "rh_verify.h"

typedef struct {
  const char *alert_id, *household_id, *state;
} warning_t;

static int by_alert(const void *a, const void *b) {
  return strcmp(((const warning_t *)a)->alert_id, ((const warning_t *)b)->alert_id);
}

/* The alert ids of the rows still accepted, as a text[] literal (alert ids
 * are hex: no quoting needed, but quote anyway). NULL out of memory. */
static char *ids_literal(const verify_rows_t *rows) {
  size_t cap = 3;
  for (size_t i = 0; i < rows->n; i++)
    if (!rows->v[i].why) cap += 2 * strlen(rows->v[i].alert_id) + 3;
  char *s = malloc(cap), *p = s;
  if (!s) return NULL;
  *p++ = '{';
  bool first = true;
  for (size_t i = 0; i < rows->n; i++) {
    if (rows->v[i].why) continue;
    if (!first) *p++ = ',';
    first = false;
    *p++ = '"';
    for (const char *c = rows->v[i].alert_id; *c; c++) {
      if (*c == '"' || *c == '\\') *p++ = '\\';
      *p++ = *c;
    }
    *p++ = '"';
  }
  *p++ = '}';
  *p = '\0';
  return s;
}

/* The row of kept (sorted by id) whose id is id, or -1. */
static int kept_row(const PGresult *kept, const char *id) {
  int lo = 0, hi = PQntuples(kept);
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2, c = strcmp(PQgetvalue(kept, mid, 0), id);
    if (c == 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

int verify_ledger_check(const rh_config_t *cfg, const char *township, verify_rows_t *rows,
                        int *noperm, char *errstr, size_t errstr_size) {
  char role[64], msg[512];
  *noperm = 0;
  snprintf(role, sizeof role, "%s%s", RH_PG_ROLE_TOWN_PREFIX, township);
  PGconn *pg = rh_pg_connect_as(cfg->pg_conninfo, role, 10000, errstr, errstr_size);
  if (!pg) {
    *noperm = strstr(errstr, "authentication") || strstr(errstr, "password") ||
              strstr(errstr, "does not exist");
    return -1;
  }
  char *lit = ids_literal(rows);
  if (!lit) {
    PQfinish(pg);
    rh_errf(errstr, errstr_size, "out of memory");
    return -2;
  }
  const char *p[1] = {lit};
  PGresult *res = rh_pg_exec_params(pg,
                                    "SELECT alert_id, household_id, state FROM "
                                    "township_warnings WHERE alert_id = ANY($1::text[]) "
                                    "ORDER BY alert_id",
                                    1, p, errstr, errstr_size);
  if (!res) {
    free(lit);
    *noperm = strstr(errstr, "permission denied") != NULL;
    PQfinish(pg);
    return -1;
  }
  /* the steps of these warnings the ledger holds */
  PGresult *kept = rh_pg_exec_params(pg,
                                     "SELECT verification_id, refused FROM township_steps "
                                     "WHERE alert_id = ANY($1::text[]) ORDER BY 1",
                                     1, p, errstr, errstr_size);
  free(lit);
  if (!kept) {
    *noperm = strstr(errstr, "permission denied") != NULL;
    PQclear(res);
    PQfinish(pg);
    return -1;
  }
  int nw = PQntuples(res);
  warning_t *w = calloc((size_t)nw + 1, sizeof *w);
  if (!w) {
    PQclear(res);
    PQclear(kept);
    PQfinish(pg);
    rh_errf(errstr, errstr_size, "out of memory");
    return -2;
  }
  for (int i = 0; i < nw; i++)
    w[i] = (warning_t){PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2)};
  int rc = 0;
  for (size_t i = 0; i < rows->n && rc == 0; i++) {
    verify_row_t *r = &rows->v[i];
    if (r->why) continue;
    for (size_t j = 0; j < i; j++)
      if (!rows->v[j].why && strcmp(rows->v[j].id, r->id) == 0) {
        snprintf(msg, sizeof msg, _("the same step as line %lu"), rows->v[j].line);
        rc = verify_rows_refuse(r, rows->cols.outcome, msg);
        break;
      }
    if (r->why || rc) continue;
    int k = kept_row(kept, r->id);
    if (k >= 0 && !PQgetisnull(kept, k, 1)) { /* given before, and refused then */
      snprintf(msg, sizeof msg, _("the ledger refused this step when it was given before: %s"),
               _(PQgetvalue(kept, k, 1)));
      rc = verify_rows_refuse(r, rows->cols.outcome, msg);
      continue;
    }
    if (k >= 0) { /* given before: the ledger has it (and its state) */
      r->already = true;
      continue;
    }
    warning_t key = {.alert_id = r->alert_id};
    warning_t *x = nw ? bsearch(&key, w, (size_t)nw, sizeof *w, by_alert) : NULL;
    if (!x) {
      /* the cell is echoed only when it is an alert id (hex): a name pasted
       * there is not repeated */
      bool hex = strspn(r->alert_id, "0123456789abcdef") == strlen(r->alert_id);
      snprintf(msg, sizeof msg,
               _("warning %.12s… is not one of township %s's in the ledger (check the "
                 "alert_id: it is riskhub-alerts' own)"),
               hex ? r->alert_id : "?", township);
      rc = verify_rows_refuse(r, rows->cols.alert_id, msg);
      continue;
    }
    const char *no = rh_verify_refusal(x->state, (rh_verify_outcome_t)r->outcome);
    if (no) {
      snprintf(msg, sizeof msg, _("%s cannot follow %s: %s"),
               rh_verify_outcome_code((rh_verify_outcome_t)r->outcome), x->state, _(no));
      rc = verify_rows_refuse(r, rows->cols.outcome, msg);
      continue;
    }
    /* the next row of this warning follows this one */
    x->state = rh_verify_state_after((rh_verify_outcome_t)r->outcome);
    if (!(r->household_id = strdup(x->household_id))) rc = -1;
  }
  free(w);
  PQclear(res);
  PQclear(kept);
  PQfinish(pg);
  if (rc) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -2;
  }
  return 0;
}
