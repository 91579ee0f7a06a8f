/* join_warnings: see join_warnings.h. Six text arrays built as PostgreSQL
 * array literals (every element quoted and escaped). */
#include "join_warnings.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_pg.h"

enum { COL_ALERT, COL_HOUSEHOLD, COL_TOWNSHIP, COL_PERIOD, COL_RISK, COL_RULE, NCOL };

typedef struct {
  char *data;
  size_t len, cap;
} sbuf_t;

struct join_warnings {
  const rh_config_t *cfg;
  sbuf_t col[NCOL];
  size_t count;      /* queued, not sent */
  size_t in_flight;  /* rows of the chunk sent and not yet confirmed */
  bool sent;         /* a chunk is in flight */
};

join_warnings_t *join_warnings_new(const rh_config_t *cfg) {
  join_warnings_t *w = calloc(1, sizeof *w);
  if (w) w->cfg = cfg;
  return w;
}

void join_warnings_destroy(join_warnings_t *w) {
  if (!w) return;
  for (int i = 0; i < NCOL; i++) free(w->col[i].data);
  free(w);
}

static int put(sbuf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

/* Append one element ("..." with \ and " escaped) to an array literal. */
static int element(sbuf_t *b, const char *s, bool first) {
  if (put(b, first ? "{\"" : ",\"", 2)) return -1;
  for (const char *p = s ? s : ""; *p; p++) {
    if ((*p == '"' || *p == '\\') && put(b, "\\", 1)) return -1;
    if (put(b, p, 1)) return -1;
  }
  return put(b, "\"", 1);
}

int join_warnings_add(join_warnings_t *w, const rh_alert_t *a) {
  const char *v[NCOL] = {a->alert_id, a->household_id, a->township_code,
                         a->period,   a->risk,         a->rule_id};
  size_t saved[NCOL];
  for (int i = 0; i < NCOL; i++) saved[i] = w->col[i].len;
  for (int i = 0; i < NCOL; i++)
    if (element(&w->col[i], v[i], w->count == 0)) {
      for (int k = 0; k < NCOL; k++)
        if (w->col[k].data) w->col[k].len = saved[k], w->col[k].data[saved[k]] = '\0';
      return -1;
    }
  w->count++;
  return 0;
}

size_t join_warnings_count(const join_warnings_t *w) { return w->count + w->in_flight; }

static void drop_queued(join_warnings_t *w) {
  for (int i = 0; i < NCOL; i++) w->col[i].len = 0;
  w->count = 0;
}

#define INSERT_SQL                                                                        \
  "INSERT INTO warnings (alert_id, household_id, township_code, period, risk, rule_id, "  \
  "visit_due, comparison_due) "                                                           \
  "SELECT a, h, t, p, r, ru, current_date + $7::int, current_date + $8::int "             \
  "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) "  \
  "AS u(a, h, t, p, r, ru) ON CONFLICT (alert_id) DO NOTHING"

/* Send the queued rows as one statement, not waiting for it. */
static int send_chunk(join_warnings_t *w, PGconn *pg, char *errstr, size_t errstr_size) {
  char visit[16], comparison[16];
  snprintf(visit, sizeof visit, "%d", w->cfg->deadlines.home_visit_days);
  snprintf(comparison, sizeof comparison, "%d", w->cfg->deadlines.comparison_days);
  const char *params[8];
  for (int i = 0; i < NCOL; i++) {
    if (put(&w->col[i], "}", 1)) {
      rh_errf(errstr, errstr_size, "out of memory");
      return -1;
    }
    params[i] = w->col[i].data;
  }
  params[6] = visit;
  params[7] = comparison;
  /* libpq copies the parameters into its output buffer: ours are free after */
  int ok = PQsendQueryParams(pg, INSERT_SQL, 8, NULL, params, NULL, NULL, 0);
  for (int i = 0; i < NCOL; i++) w->col[i].data[--w->col[i].len] = '\0'; /* drop the } */
  if (!ok) {
    rh_pg_result_check(pg, NULL, errstr, errstr_size);
    return -1;
  }
  w->in_flight = w->count;
  w->sent = true;
  drop_queued(w);
  return 0;
}

/* Collect the chunk in flight: every result until NULL. */
static int collect(join_warnings_t *w, PGconn *pg, char *errstr, size_t errstr_size) {
  int rc = 0;
  PGresult *r;
  while ((r = PQgetResult(pg)) != NULL) {
    if (rc == 0 && rh_pg_result_check(pg, r, errstr, errstr_size)) rc = -1;
    PQclear(r);
  }
  if (rc == 0 && rh_pg_connection_lost(pg)) {
    rh_pg_result_check(pg, NULL, errstr, errstr_size);
    rc = -1;
  }
  w->sent = false;
  w->in_flight = 0;
  return rc;
}

int join_warnings_pump(join_warnings_t *w, PGconn *pg, char *errstr, size_t errstr_size) {
  if (w->sent) {
    if (!PQconsumeInput(pg)) {
      rh_pg_result_check(pg, NULL, errstr, errstr_size);
      w->sent = false;
      w->in_flight = 0;
      return -1;
    }
    if (PQisBusy(pg)) return 0;
    if (collect(w, pg, errstr, errstr_size)) return -1;
  }
  if (w->count >= JOIN_WARNINGS_CHUNK) return send_chunk(w, pg, errstr, errstr_size);
  return 0;
}

int join_warnings_flush(join_warnings_t *w, PGconn *pg, char *errstr, size_t errstr_size) {
  if (w->sent && collect(w, pg, errstr, errstr_size)) return -1;
  if (w->count == 0) return 0;
  if (send_chunk(w, pg, errstr, errstr_size)) return -1;
  return collect(w, pg, errstr, errstr_size);
}

void join_warnings_clear(join_warnings_t *w, PGconn *pg) {
  drop_queued(w);
  if (w->sent && pg && !rh_pg_connection_lost(pg)) {
    PGresult *r;
    while ((r = PQgetResult(pg)) != NULL) PQclear(r);
  }
  w->sent = false;
  w->in_flight = 0;
}
