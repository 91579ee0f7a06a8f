/* rh_regmap_load: the registry from PostgreSQL into the map, and its live
 * changes (see rh_regmap.h: rh_regmap_load, rh_regmap_catch_up,
 * rh_regmap_listen, rh_regmap_poll_notify). Rows arrive with COPY ... TO
 * STDOUT in text format (rh_copy); the map is changed only through
 * rh_regmap_internal.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_copy.h"
#include "rh_err.h"
#include "rh_log.h"
#include "rh_pg.h"
#include "rh_regmap.h"
#include "rh_regmap_internal.h"

/* ---- PostgreSQL -------------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "<what>: PostgreSQL error SQLSTATE: first line of the message", scrubbed */
static void pg_error(char *errstr, size_t errstr_size, const char *what, PGconn *conn,
                     const PGresult *res) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res)
                                                      : PQerrorMessage(conn);
  char line[512];
  snprintf(line, sizeof(line), "%s", msg && *msg ? msg : "unknown error");
  line[strcspn(line, "\n")] = '\0';
  if (rh_pg_connection_lost(conn))
    rh_errf(errstr, errstr_size, "%s: PostgreSQL connection lost: %s", what, line);
  else
    rh_errf(errstr, errstr_size, "%s: PostgreSQL error%s%s: %s%s", what, state ? " " : "",
            state ? state : "", line,
            state && strcmp(state, "42P01") == 0
                ? " (is the database migrated? riskhub-registry migrate)"
                : "");
  if (errstr) rh_log_scrub(errstr);
}

static int exec_cmd(PGconn *conn, const char *sql, const char *what, char *errstr,
                    size_t errstr_size) {
  PGresult *r = PQexec(conn, sql);
  ExecStatusType st = PQresultStatus(r);
  if (r && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
    PQclear(r);
    return 0;
  }
  pg_error(errstr, errstr_size, what, conn, r);
  PQclear(r);
  return -1;
}

/* the single bigint a query returns */
static int exec_int64(PGconn *conn, const char *sql, const char *what, int64_t *out,
                      char *errstr, size_t errstr_size) {
  PGresult *r = PQexec(conn, sql);
  if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) != 1) {
    pg_error(errstr, errstr_size, what, conn, r);
    PQclear(r);
    return -1;
  }
  *out = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  return 0;
}

static int begin_snapshot(PGconn *conn, const char *what, char *errstr, size_t errstr_size) {
  PGTransactionStatusType ts = PQtransactionStatus(conn);
  if (ts != PQTRANS_IDLE) {
    if (ts == PQTRANS_UNKNOWN || rh_pg_connection_lost(conn))
      rh_errf(errstr, errstr_size, "%s: PostgreSQL connection lost", what);
    else
      rh_errf(errstr, errstr_size, "%s: the connection is inside a transaction", what);
    return -1;
  }
  return exec_cmd(conn,
                  "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;"
                  "SET LOCAL client_encoding = 'UTF8'",
                  what, errstr, errstr_size);
}

/* after a failure in our own transaction: leave the connection idle unless
 * it is gone (a caller's transaction is never touched: begin_snapshot
 * refuses to start inside one) */
static void end_failed(PGconn *conn, bool began) {
  if (began && !rh_pg_connection_lost(conn) && PQtransactionStatus(conn) != PQTRANS_IDLE)
    PQclear(PQexec(conn, "ROLLBACK"));
}

typedef int (*row_fn)(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size);

/* Run COPY (...) TO STDOUT and hand each row, split into nfields fields, to
 * fn. On a failure (of fn or the server) the remaining rows are drained so
 * that the connection stays usable. */
static int copy_rows(PGconn *conn, const char *sql, int nfields, row_fn fn, void *ctx,
                     const char *what, uint64_t *nrows, char *errstr, size_t errstr_size) {
  PGresult *r = PQexec(conn, sql);
  if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
    pg_error(errstr, errstr_size, what, conn, r);
    PQclear(r);
    return -1;
  }
  PQclear(r);
  int failed = 0;
  uint64_t rows = 0;
  char *fields[16];
  size_t lens[16];
  for (;;) {
    char *buf = NULL;
    int n = PQgetCopyData(conn, &buf, 0);
    if (n == -1) break;
    if (n < 0) {
      if (!failed) pg_error(errstr, errstr_size, what, conn, NULL);
      failed = 1;
      break;
    }
    if (!failed) {
      rows++;
      if (rh_copy_split(buf, (size_t)n, fields, lens, nfields) != nfields) {
        rh_errf(errstr, errstr_size, "%s: row %llu: not %d fields", what,
                (unsigned long long)rows, nfields);
        failed = 1;
      } else if (fn(ctx, fields, lens, errstr, errstr_size)) {
        failed = 1;
      }
    }
    PQfreemem(buf);
  }
  while ((r = PQgetResult(conn)) != NULL) {
    if (!failed && PQresultStatus(r) != PGRES_COMMAND_OK) {
      pg_error(errstr, errstr_size, what, conn, r);
      failed = 1;
    }
    PQclear(r);
  }
  if (!failed && rh_pg_connection_lost(conn)) {
    pg_error(errstr, errstr_size, what, conn, NULL);
    failed = 1;
  }
  if (nrows) *nrows += rows;
  return failed ? -1 : 0;
}

/* ---- rows ------------------------------------------------------------------- */

#define HH_COLUMNS                                                                             \
  "household_id, township_code, village, household_type, monitoring_category, "              \
  "risk_eliminated, to_char(eliminated_month, 'YYYYMM'), (income_per_capita * 100)::bigint, " \
  "head_id_number"
#define HH_NFIELDS 9
#define PS_COLUMNS "id_number, household_id, name, relation"
#define PS_NFIELDS 4

static int parse_i64(const char *s, int64_t *out) {
  if (!s || !*s) return -1;
  bool neg = *s == '-';
  if (neg) s++;
  if (!*s) return -1;
  uint64_t v = 0;
  for (; *s; s++) {
    unsigned d = (unsigned char)*s - '0';
    if (d > 9 || v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  if (v > (uint64_t)INT64_MAX) return -1;
  *out = neg ? -(int64_t)v : (int64_t)v;
  return 0;
}

static int parse_hh(rh_regmap_t *m, char **f, size_t *lens, rh_regmap_hh_rec_t *r, char *errstr,
                    size_t errstr_size) {
  memset(r, 0, sizeof(*r));
  r->key = f[0] ? rh_regmap_pack_household_id(f[0], lens[0]) : 0;
  if (!r->key) {
    rh_errf(errstr, errstr_size, "households: household number not TTTTTTTTT-VVV-HHHH");
    return -1;
  }
  const char *hid = f[0];
  if (!f[1] || !f[2] || !f[3] || !f[5] || !f[7] || !f[8]) {
    rh_errf(errstr, errstr_size, "households: %s: a required column is NULL", hid);
    return -1;
  }
  if (rh_regmap_hhtype_parse(f[3], &r->type) || rh_regmap_category_parse(f[4], &r->category)) {
    rh_errf(errstr, errstr_size, "households: %s: unknown household_type or monitoring_category",
            hid);
    return -1;
  }
  int64_t month = 0;
  if (f[6] && (lens[6] != 6 || parse_i64(f[6], &month))) {
    rh_errf(errstr, errstr_size, "households: %s: eliminated_month not YYYYMM", hid);
    return -1;
  }
  r->eliminated_month = (int32_t)month;
  r->risk_eliminated = f[5][0] == 't';
  if (parse_i64(f[7], &r->income)) {
    rh_errf(errstr, errstr_size, "households: %s: income_per_capita not a number", hid);
    return -1;
  }
  r->head_key = rh_regmap_pack_id(f[8], lens[8]);
  r->township = rh_regmap_intern(m, f[1], lens[1]);
  r->village = r->township ? rh_regmap_intern(m, f[2], lens[2]) : NULL;
  if (!r->village) {
    rh_errf(errstr, errstr_size, "households: out of memory");
    return -1;
  }
  return 0;
}

typedef struct {
  uint64_t key, hh_key;
  const char *name; /* NUL-terminated */
  size_t name_len;
  rh_regmap_relation_t rel;
} ps_rec_t;

/* without the name, which the caller stores where it wants */
static int parse_ps(char **f, size_t *lens, ps_rec_t *r, char *errstr, size_t errstr_size) {
  memset(r, 0, sizeof(*r));
  r->key = f[0] ? rh_regmap_pack_id(f[0], lens[0]) : 0;
  if (!r->key) {
    char masked[RH_ID_BUFSZ];
    rh_id_mask(f[0] ? f[0] : "", masked);
    rh_errf(errstr, errstr_size, "members: ID number %s is not 17 digits and a digit or X",
            masked);
    return -1;
  }
  r->hh_key = f[1] ? rh_regmap_pack_household_id(f[1], lens[1]) : 0;
  if (!r->hh_key || !f[2] || !f[3] || rh_regmap_relation_parse(f[3], &r->rel)) {
    char masked[RH_ID_BUFSZ];
    rh_id_mask(f[0], masked);
    rh_errf(errstr, errstr_size,
            "members: %s: household number, name or relation missing or unknown", masked);
    return -1;
  }
  r->name = f[2];
  r->name_len = lens[2];
  return 0;
}

/* ---- load ----------------------------------------------------------------------- */

static int load_hh_row(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size) {
  rh_regmap_t *m = ctx;
  rh_regmap_hh_rec_t r;
  if (parse_hh(m, f, lens, &r, errstr, errstr_size)) return -1;
  if (rh_map_get(&m->hh_ix, r.key, NULL)) {
    rh_errf(errstr, errstr_size, "households: %s twice", f[0]);
    return -1;
  }
  if (rh_regmap_reserve(m, 1, 0, 0, 0, 0)) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  rh_regmap_hh_apply(m, &r, NULL);
  return 0;
}

static int load_ps_row(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size) {
  rh_regmap_t *m = ctx;
  ps_rec_t r;
  if (parse_ps(f, lens, &r, errstr, errstr_size)) return -1;
  char masked[RH_ID_BUFSZ];
  rh_regmap_household_t *h = rh_regmap_hh_find_key(m, r.hh_key);
  if (!h || rh_map_get(&m->ps_ix, r.key, NULL)) {
    rh_id_mask(f[0], masked);
    rh_errf(errstr, errstr_size, "members: %s: %s", masked,
            h ? "twice" : "household not in households");
    return -1;
  }
  const char *name = rh_regmap_name_put(m, r.name, r.name_len);
  if (!name || rh_regmap_reserve(m, 0, 0, 1, 0, 0)) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  rh_regmap_ps_apply(m, r.key, h, name, r.name_len, true, r.rel, NULL);
  return 0;
}

static rh_regmap_t *load(PGconn *conn, size_t threshold, char *errstr, size_t errstr_size) {
  const char *what = "loading the registry";
  double t0 = now_s();
  rh_regmap_t *m = rh_regmap_new();
  if (!m) {
    rh_errf(errstr, errstr_size, "%s: out of memory", what);
    return NULL;
  }
  rh_regmap_set_reload_threshold(m, threshold);
  bool began = false;
  if (begin_snapshot(conn, what, errstr, errstr_size)) goto fail;
  began = true;
  /* the snapshot is taken by the first statement: the watermark and both
   * tables below are one consistent state */
  if (exec_int64(conn, "SELECT coalesce(max(change_id), 0) FROM registry_changes", what,
                 &m->watermark, errstr, errstr_size))
    goto fail;
  /* size the tables from the planner's estimates (no rehashing on the way) */
  PGresult *est = PQexec(conn,
                         "SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c "
                         "WHERE c.oid IN ('households'::regclass, 'members'::regclass) "
                         "ORDER BY c.relname");
  if (est && PQresultStatus(est) == PGRES_TUPLES_OK && PQntuples(est) == 2) {
    int64_t nh = strtoll(PQgetvalue(est, 0, 0), NULL, 10);
    int64_t np = strtoll(PQgetvalue(est, 1, 0), NULL, 10);
    if (nh > 0 && nh < 100000000) rh_map_reserve(&m->hh_ix, (size_t)nh * 21 / 20);
    if (np > 0 && np < 1000000000) rh_map_reserve(&m->ps_ix, (size_t)np * 21 / 20);
  }
  PQclear(est);
  if (rh_pg_connection_lost(conn)) {
    pg_error(errstr, errstr_size, what, conn, NULL);
    goto fail;
  }
  uint64_t nh = 0, np = 0;
  if (copy_rows(conn, "COPY (SELECT " HH_COLUMNS " FROM households) TO STDOUT", HH_NFIELDS,
                load_hh_row, m, what, &nh, errstr, errstr_size) ||
      copy_rows(conn, "COPY (SELECT " PS_COLUMNS " FROM members) TO STDOUT", PS_NFIELDS,
                load_ps_row, m, what, &np, errstr, errstr_size) ||
      exec_cmd(conn, "COMMIT", what, errstr, errstr_size))
    goto fail;
  rh_log_info("registry loaded: %zu households, %zu persons in %.2f s (up to change %lld)",
              m->hh_live, m->ps_live, now_s() - t0, (long long)m->watermark);
  return m;
fail:
  end_failed(conn, began);
  rh_regmap_destroy(m);
  return NULL;
}

rh_regmap_t *rh_regmap_load(PGconn *conn, char *errstr, size_t errstr_size) {
  if (!conn) {
    rh_errf(errstr, errstr_size, "loading the registry: no connection");
    return NULL;
  }
  return load(conn, RH_REGMAP_RELOAD_CHANGES, errstr, errstr_size);
}

/* ---- catch up -------------------------------------------------------------------- */

typedef struct {
  rh_regmap_t *m;
  /* keys named by the change log, each once: key -> position in keys */
  rh_map_t hh_set, ps_set;
  uint64_t *hh_keys, *ps_keys;
  size_t n_hh, n_ps, cap_hh, cap_ps;
  uint64_t changes, skipped;
  /* current rows of those keys */
  rh_regmap_hh_rec_t *hh_rows;
  ps_rec_t *ps_rows;
  size_t n_hh_rows, n_ps_rows, cap_hh_rows, cap_ps_rows;
  char *names;
  size_t names_len, names_cap;
  /* set when a key's row was read: index into hh_rows/ps_rows, else RH_REGMAP_NONE */
  uint32_t *hh_row_of, *ps_row_of;
} pending_t;

static void pending_free(pending_t *p) {
  rh_map_free(&p->hh_set);
  rh_map_free(&p->ps_set);
  free(p->hh_keys);
  free(p->ps_keys);
  free(p->hh_rows);
  free(p->ps_rows);
  free(p->names);
  free(p->hh_row_of);
  free(p->ps_row_of);
}

static int grow(void **arr, size_t *cap, size_t need, size_t esize) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  void *a = realloc(*arr, c * esize);
  if (!a) return -1;
  *arr = a;
  *cap = c;
  return 0;
}

static int add_key(rh_map_t *set, uint64_t **keys, size_t *n, size_t *cap,
                   uint64_t key) {
  if (rh_map_get(set, key, NULL)) return 0;
  if (grow((void **)keys, cap, *n + 1, sizeof(**keys)) ||
      rh_map_put(set, key, (uint32_t)*n))
    return -1;
  (*keys)[(*n)++] = key;
  return 0;
}

static int change_row(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size) {
  pending_t *p = ctx;
  p->changes++;
  if (!f[1] || !f[2]) {
    p->skipped++;
    return 0;
  }
  int rc = 0;
  if (strcmp(f[1], "households") == 0) {
    uint64_t k = rh_regmap_pack_household_id(f[2], lens[2]);
    if (!k) p->skipped++;
    else rc = add_key(&p->hh_set, &p->hh_keys, &p->n_hh, &p->cap_hh, k);
  } else if (strcmp(f[1], "members") == 0) {
    uint64_t k = rh_regmap_pack_id(f[2], lens[2]);
    if (!k) p->skipped++;
    else rc = add_key(&p->ps_set, &p->ps_keys, &p->n_ps, &p->cap_ps, k);
  } else {
    p->skipped++;
  }
  if (rc) rh_errf(errstr, errstr_size, "registry catch-up: out of memory");
  return rc;
}

static int changed_hh_row(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size) {
  pending_t *p = ctx;
  rh_regmap_hh_rec_t r;
  if (parse_hh(p->m, f, lens, &r, errstr, errstr_size)) return -1;
  uint32_t pos;
  if (!rh_map_get(&p->hh_set, r.key, &pos) || p->hh_row_of[pos] != RH_REGMAP_NONE) {
    rh_errf(errstr, errstr_size, "households: %s: not asked for, or twice", f[0]);
    return -1;
  }
  if (grow((void **)&p->hh_rows, &p->cap_hh_rows, p->n_hh_rows + 1, sizeof(*p->hh_rows))) {
    rh_errf(errstr, errstr_size, "registry catch-up: out of memory");
    return -1;
  }
  p->hh_row_of[pos] = (uint32_t)p->n_hh_rows;
  p->hh_rows[p->n_hh_rows++] = r;
  return 0;
}

static int changed_ps_row(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size) {
  pending_t *p = ctx;
  ps_rec_t r;
  if (parse_ps(f, lens, &r, errstr, errstr_size)) return -1;
  uint32_t pos;
  if (!rh_map_get(&p->ps_set, r.key, &pos) || p->ps_row_of[pos] != RH_REGMAP_NONE) {
    char masked[RH_ID_BUFSZ];
    rh_id_mask(f[0], masked);
    rh_errf(errstr, errstr_size, "members: %s: not asked for, or twice", masked);
    return -1;
  }
  if (grow((void **)&p->ps_rows, &p->cap_ps_rows, p->n_ps_rows + 1, sizeof(*p->ps_rows)) ||
      grow((void **)&p->names, &p->names_cap, p->names_len + r.name_len + 1, 1)) {
    rh_errf(errstr, errstr_size, "registry catch-up: out of memory");
    return -1;
  }
  memcpy(p->names + p->names_len, r.name, r.name_len + 1);
  r.name = (const char *)(uintptr_t)p->names_len; /* an offset until names stops moving */
  p->names_len += r.name_len + 1;
  p->ps_row_of[pos] = (uint32_t)p->n_ps_rows;
  p->ps_rows[p->n_ps_rows++] = r;
  return 0;
}

#define KEYS_PER_QUERY 4000

/* COPY the current rows of keys[from..to) of one table */
static int fetch_rows(PGconn *conn, bool households, pending_t *p, char *errstr,
                      size_t errstr_size) {
  const uint64_t *keys = households ? p->hh_keys : p->ps_keys;
  size_t n = households ? p->n_hh : p->n_ps;
  size_t per_key = RH_REGMAP_HHID_LEN + 1;
  char *sql = malloc(256 + KEYS_PER_QUERY * per_key);
  if (!sql) {
    rh_errf(errstr, errstr_size, "registry catch-up: out of memory");
    return -1;
  }
  int rc = 0;
  for (size_t from = 0; from < n && rc == 0; from += KEYS_PER_QUERY) {
    size_t to = from + KEYS_PER_QUERY < n ? from + KEYS_PER_QUERY : n;
    int len = sprintf(sql, "COPY (SELECT %s FROM %s WHERE %s = ANY ('{",
                      households ? HH_COLUMNS : PS_COLUMNS, households ? "households" : "members",
                      households ? "household_id" : "id_number");
    for (size_t i = from; i < to; i++) {
      /* rebuilt from the packed key: only digits, hyphens and X */
      char k[RH_REGMAP_HHID_BUFSZ];
      if (households) rh_regmap_unpack_household_id(keys[i], k);
      else rh_regmap_unpack_id(keys[i], k);
      len += sprintf(sql + len, "%s%s", i > from ? "," : "", k);
    }
    sprintf(sql + len, "}'::text[])) TO STDOUT");
    rc = copy_rows(conn, sql, households ? HH_NFIELDS : PS_NFIELDS,
                   households ? changed_hh_row : changed_ps_row, p, "registry catch-up", NULL,
                   errstr, errstr_size);
  }
  free(sql);
  return rc;
}

/* Is the change set consistent with the map (every person's household there
 * after the change, every household that goes has no members left)? */
static bool pending_consistent(const pending_t *p) {
  const rh_regmap_t *m = p->m;
  for (size_t i = 0; i < p->n_ps_rows; i++) {
    uint64_t hk = p->ps_rows[i].hh_key;
    uint32_t pos;
    if (rh_map_get(&p->hh_set, hk, &pos)) {
      if (p->hh_row_of[pos] == RH_REGMAP_NONE) return false; /* its household goes */
    } else if (!rh_map_get(&m->hh_ix, hk, NULL)) {
      return false; /* its household is nowhere */
    }
  }
  for (size_t i = 0; i < p->n_hh; i++) {
    if (p->hh_row_of[i] != RH_REGMAP_NONE) continue;
    const rh_regmap_household_t *h = rh_regmap_hh_find_key(m, p->hh_keys[i]);
    if (!h) continue;
    for (const rh_regmap_person_t *mb = rh_regmap_first_member(m, h); mb;
         mb = rh_regmap_next_member(m, mb)) {
      uint32_t pos;
      /* a member stays unless the change set moves or deletes it */
      if (!rh_map_get(&p->ps_set, mb->key, &pos)) return false;
      if (p->ps_row_of[pos] != RH_REGMAP_NONE && p->ps_rows[p->ps_row_of[pos]].hh_key == p->hh_keys[i])
        return false;
    }
  }
  return true;
}

/* Reserve everything the change set needs; then apply it (cannot fail). */
static int pending_apply(pending_t *p, rh_regmap_catchup_t *out) {
  rh_regmap_t *m = p->m;
  size_t new_hh = 0, del_hh = 0, new_ps = 0, del_ps = 0;
  for (size_t i = 0; i < p->n_hh; i++) {
    bool there = rh_map_get(&m->hh_ix, p->hh_keys[i], NULL);
    if (p->hh_row_of[i] == RH_REGMAP_NONE) del_hh += there;
    else new_hh += !there;
  }
  for (size_t i = 0; i < p->n_ps; i++) {
    bool there = rh_map_get(&m->ps_ix, p->ps_keys[i], NULL);
    if (p->ps_row_of[i] == RH_REGMAP_NONE) del_ps += there;
    else new_ps += !there;
  }
  if (rh_regmap_reserve(m, new_hh, del_hh, new_ps, del_ps, p->names_len)) return -1;

  rh_regmap_counts_t ch = {0}, cp = {0};
  for (size_t i = 0; i < p->n_hh_rows; i++) rh_regmap_hh_apply(m, &p->hh_rows[i], &ch);
  for (size_t i = 0; i < p->n_ps; i++)
    if (p->ps_row_of[i] == RH_REGMAP_NONE && rh_regmap_ps_remove(m, p->ps_keys[i])) cp.deleted++;
  for (size_t i = 0; i < p->n_ps_rows; i++) {
    const ps_rec_t *r = &p->ps_rows[i];
    const char *name = p->names + (uintptr_t)r->name;
    rh_regmap_ps_apply(m, r->key, rh_regmap_hh_find_key(m, r->hh_key), name, r->name_len, false, r->rel, &cp);
  }
  for (size_t i = 0; i < p->n_hh; i++)
    if (p->hh_row_of[i] == RH_REGMAP_NONE && rh_regmap_hh_remove(m, p->hh_keys[i])) ch.deleted++;
  if (out) {
    out->households_inserted = ch.inserted;
    out->households_updated = ch.updated;
    out->households_unchanged = ch.unchanged;
    out->households_deleted = ch.deleted;
    out->persons_inserted = cp.inserted;
    out->persons_updated = cp.updated;
    out->persons_unchanged = cp.unchanged;
    out->persons_deleted = cp.deleted;
  }
  return 0;
}

/* Replace m's contents with a fresh load (m unchanged on failure). */
static int reload(rh_regmap_t *m, PGconn *conn, char *errstr, size_t errstr_size) {
  rh_regmap_t *n = load(conn, m->reload_threshold, errstr, errstr_size);
  if (!n) return -1;
  rh_regmap_t tmp = *m;
  *m = *n;
  *n = tmp;
  rh_regmap_destroy(n);
  return 0;
}

int rh_regmap_catch_up(rh_regmap_t *m, PGconn *conn, rh_regmap_catchup_t *out, char *errstr,
                       size_t errstr_size) {
  const char *what = "registry catch-up";
  double t0 = now_s();
  rh_regmap_catchup_t res = {0};
  if (!m || !conn) {
    rh_errf(errstr, errstr_size, "%s: no map or no connection", what);
    return -1;
  }
  pending_t p = {.m = m};
  int rc = -1;
  bool need_reload = false, began = false;
  const char *why = NULL;
  if (rh_map_init(&p.hh_set, 64) || rh_map_init(&p.ps_set, 64)) {
    rh_errf(errstr, errstr_size, "%s: out of memory", what);
    goto cleanup;
  }
  if (begin_snapshot(conn, what, errstr, errstr_size)) goto cleanup;
  began = true;
  int64_t last, oldest;
  if (exec_int64(conn, "SELECT coalesce(max(change_id), 0) FROM registry_changes", what, &last,
                 errstr, errstr_size) ||
      exec_int64(conn, "SELECT coalesce(min(change_id), 0) FROM registry_changes", what,
                 &oldest, errstr, errstr_size))
    goto cleanup;
  if (last < m->watermark) {
    need_reload = true;
    why = "the change log went backwards (a restored database?)";
  } else if (last > m->watermark && oldest > m->watermark + 1) {
    /* nothing at or below the watermark is left: changes right after it
     * may have been pruned (or were only rolled back: a reload is harmless) */
    need_reload = true;
    why = "the change log was pruned past the map's watermark";
  } else if (last > m->watermark) {
    char sql[256];
    snprintf(sql, sizeof(sql),
             "COPY (SELECT change_id, table_name, key FROM registry_changes "
             "WHERE change_id > %lld AND change_id <= %lld ORDER BY change_id LIMIT %zu) "
             "TO STDOUT",
             (long long)m->watermark, (long long)last, m->reload_threshold + 1);
    if (copy_rows(conn, sql, 3, change_row, &p, what, NULL, errstr, errstr_size)) goto cleanup;
    if (p.changes > m->reload_threshold) {
      need_reload = true;
      why = "many changes";
    }
  }
  if (!need_reload && (p.n_hh || p.n_ps)) {
    p.hh_row_of = malloc((p.n_hh + 1) * sizeof(uint32_t));
    p.ps_row_of = malloc((p.n_ps + 1) * sizeof(uint32_t));
    if (!p.hh_row_of || !p.ps_row_of) {
      rh_errf(errstr, errstr_size, "%s: out of memory", what);
      goto cleanup;
    }
    memset(p.hh_row_of, 0xff, (p.n_hh + 1) * sizeof(uint32_t));
    memset(p.ps_row_of, 0xff, (p.n_ps + 1) * sizeof(uint32_t));
    if (fetch_rows(conn, true, &p, errstr, errstr_size) ||
        fetch_rows(conn, false, &p, errstr, errstr_size))
      goto cleanup;
  }
  if (exec_cmd(conn, "COMMIT", what, errstr, errstr_size)) goto cleanup;
  /* everything is read: from here on the database is not needed (except for
   * a reload, which builds a new map before it replaces this one) */
  if (!need_reload && !pending_consistent(&p)) {
    need_reload = true;
    why = "the change log does not agree with the map";
  }
  if (need_reload) {
    rh_log_warn("%s: reloading the whole registry: %s", what, why);
    if (reload(m, conn, errstr, errstr_size)) goto cleanup;
    res.reloaded = true;
    res.changes = p.changes;
  } else {
    if (pending_apply(&p, &res)) {
      rh_errf(errstr, errstr_size, "%s: out of memory", what);
      goto cleanup;
    }
    res.changes = p.changes;
    m->watermark = last;
  }
  res.watermark = m->watermark;
  res.seconds = now_s() - t0;
  if (res.changes || res.reloaded)
    rh_log_info("%s: %llu changes up to %lld: households +%u ~%u -%u, persons +%u ~%u -%u%s "
                "(%.3f s)",
                what, (unsigned long long)res.changes, (long long)res.watermark,
                res.households_inserted, res.households_updated, res.households_deleted,
                res.persons_inserted, res.persons_updated, res.persons_deleted,
                res.reloaded ? ", reloaded" : "", res.seconds);
  if (p.skipped)
    rh_log_warn("%s: %llu change rows name no key of the registry's shape; skipped", what,
                (unsigned long long)p.skipped);
  rc = 0;
cleanup:
  if (rc) end_failed(conn, began);
  pending_free(&p);
  if (out) *out = rc == 0 ? res : (rh_regmap_catchup_t){.watermark = m ? m->watermark : 0};
  return rc;
}

/* ---- notifications ------------------------------------------------------------ */

int rh_regmap_listen(PGconn *conn, char *errstr, size_t errstr_size) {
  if (!conn) {
    rh_errf(errstr, errstr_size, "LISTEN %s: no connection", RH_REGMAP_CHANNEL);
    return -1;
  }
  return exec_cmd(conn, "LISTEN " RH_REGMAP_CHANNEL, "LISTEN " RH_REGMAP_CHANNEL, errstr,
                  errstr_size);
}

int rh_regmap_poll_notify(PGconn *conn) {
  if (rh_pg_connection_lost(conn)) return -1;
  if (!PQconsumeInput(conn) && rh_pg_connection_lost(conn)) return -1;
  int got = 0;
  PGnotify *n;
  while ((n = PQnotifies(conn)) != NULL) {
    if (strcmp(n->relname, RH_REGMAP_CHANNEL) == 0) got = 1;
    PQfreemem(n);
  }
  return got;
}
