/* alerts_states: see alerts_states.h. */
#include "alerts_states.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_parse.h"
#include "rh_pg.h"
#include "rh_verify.h"

static int by_id(const void *a, const void *b) {
  return strcmp(((const alerts_state_t *)a)->alert_id, ((const alerts_state_t *)b)->alert_id);
}

void alerts_states_free(alerts_states_t *s) {
  if (!s) return;
  free(s->v);
  s->v = NULL;
  s->n = 0;
  s->loaded = false;
}

int alerts_states_add(alerts_states_t *s, const char *alert_id, const char *state, bool has_due,
                      int32_t visit_due) {
  if (!alert_id || strlen(alert_id) > ALERTS_STATE_ID_MAX) return -1;
  alerts_state_t *nv = realloc(s->v, (s->n + 1) * sizeof *nv);
  if (!nv) return -1;
  s->v = nv;
  alerts_state_t *e = &s->v[s->n++];
  memset(e, 0, sizeof *e);
  snprintf(e->alert_id, sizeof e->alert_id, "%s", alert_id);
  snprintf(e->state, sizeof e->state, "%s", state ? state : "");
  e->has_due = has_due;
  e->visit_due = has_due ? visit_due : 0;
  return 0;
}

void alerts_states_sort(alerts_states_t *s) {
  if (s->n > 1) qsort(s->v, s->n, sizeof *s->v, by_id);
}

const alerts_state_t *alerts_states_get(const alerts_states_t *s, const char *alert_id) {
  if (!s || !s->n || !alert_id || strlen(alert_id) > ALERTS_STATE_ID_MAX) return NULL;
  alerts_state_t key;
  snprintf(key.alert_id, sizeof key.alert_id, "%s", alert_id);
  return bsearch(&key, s->v, s->n, sizeof *s->v, by_id);
}

int alerts_states_mark(alerts_states_t *s, const char *alert_id) {
  alerts_state_t *e = (alerts_state_t *)alerts_states_get(s, alert_id);
  if (!e) return 0;
  e->seen = true;
  return 1;
}

int alerts_state_overdue_days(const alerts_state_t *e, int32_t today) {
  if (!e || !e->has_due || !rh_verify_state_open(e->state) || e->visit_due >= today) return 0;
  return (int)(today - e->visit_due);
}

/* Alert ids are hex digits: anything else is left out of the literal. */
static int plain_hex(const char *s) {
  if (!s || !*s || strlen(s) > ALERTS_STATE_ID_MAX) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
      return 0;
  return 1;
}

/* rows of (alert_id, state, visit_due) into s */
static int take_rows(PGresult *res, int32_t today, alerts_states_t *s, char *errstr,
                     size_t errstr_size) {
  for (int r = 0; r < PQntuples(res); r++) {
    int32_t due = 0;
    const char *d = PQgetvalue(res, r, 2);
    bool has_due = !PQgetisnull(res, r, 2) && rh_parse_date(d, strlen(d), &due) == 0;
    if (alerts_states_add(s, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), has_due, due)) {
      rh_errf(errstr, errstr_size, "out of memory");
      alerts_states_free(s);
      return -1;
    }
  }
  alerts_states_sort(s);
  s->today = today;
  s->loaded = true;
  return 0;
}

/* SELECT ... WHERE <column> = ANY($1::text[]) [more] into s. */
static int load(PGconn *conn, const char *sql, int nparams, const char *const *params,
                int32_t today, alerts_states_t *s, char *errstr, size_t errstr_size) {
  char why[512];
  PGresult *res = rh_pg_exec_params(conn, sql, nparams, params, why, sizeof why);
  if (!res) {
    rh_errf(errstr, errstr_size, "reading the warnings' states from the ledger: %s", why);
    return -1;
  }
  int rc = take_rows(res, today, s, errstr, errstr_size);
  PQclear(res);
  return rc;
}

/* {a,b,c} of the words given (hex ids, or digit codes: no quoting needed). */
static char *literal(const char *const *words, size_t n) {
  size_t len = 3;
  for (size_t i = 0; i < n; i++)
    if (words[i]) len += strlen(words[i]) + 1;
  char *arr = malloc(len), *p = arr;
  if (!arr) return NULL;
  *p++ = '{';
  for (size_t i = 0; i < n; i++) {
    const char *w = words[i];
    if (!w) continue;
    if (p > arr + 1) *p++ = ',';
    size_t l = strlen(w);
    memcpy(p, w, l);
    p += l;
  }
  *p++ = '}';
  *p = '\0';
  return arr;
}

int alerts_states_load(PGconn *conn, const alerts_item_t *items, size_t n, int32_t today,
                       alerts_states_t *s, char *errstr, size_t errstr_size) {
  alerts_states_free(s);
  const char **ids = calloc(n ? n : 1, sizeof *ids);
  if (!ids) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (items[i].a.household_id && plain_hex(items[i].a.alert_id)) ids[k++] = items[i].a.alert_id;
  if (!k) {
    free(ids);
    s->today = today;
    s->loaded = true;
    return 0;
  }
  char *lit = literal(ids, k);
  free(ids);
  if (!lit) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  const char *params[1] = {lit};
  int rc = load(conn,
                "SELECT alert_id, state, visit_due FROM township_warnings "
                "WHERE alert_id = ANY($1::text[])",
                1, params, today, s, errstr, errstr_size);
  free(lit);
  return rc;
}

int alerts_states_load_overdue(PGconn *conn, const char *const *codes, size_t ncodes,
                               int32_t today, const char *period, int64_t from_ms,
                               alerts_states_t *s, char *errstr, size_t errstr_size) {
  alerts_states_free(s);
  char *lit = literal(codes, ncodes);
  if (!lit) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  int y, m, d;
  char day[16], from[32];
  rh_date_from_days(today, &y, &m, &d);
  snprintf(day, sizeof day, "%04d-%02d-%02d", y, m, d);
  snprintf(from, sizeof from, "%lld", (long long)from_ms);
  const char *params[4] = {lit, day, period ? period : "", from};
  /* open: the states rh_verify_state_open names (the same list) */
  int rc = load(conn,
                "SELECT alert_id, state, visit_due FROM township_warnings "
                "WHERE township_code = ANY($1::text[]) AND visit_due < $2::date "
                "AND state IN ('PUSHED', 'RECEIVED', 'VERIFYING', 'UNREACHABLE') "
                "AND ($3 = '' OR period = $3) AND ($4::bigint < 0 OR raised_at IS NULL "
                "OR raised_at >= to_timestamp($4::bigint / 1000.0))",
                4, params, today, s, errstr, errstr_size);
  free(lit);
  return rc;
}
