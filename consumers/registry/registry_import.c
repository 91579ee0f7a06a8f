#include "registry_import.h"

#include <errno.h>
#include <stdarg.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "registry_guard.h"
#include "registry_migrate.h"
#include "rh_array.h"
#include "rh_csv.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_map.h"
#include "rh_pg.h"

#define COPY_FLUSH (256u * 1024u)
/* Townships and villages the shrink guard names on the report; then a count. */
#define GUARD_PLACES_SHOWN 20

/* What the cross-file checks keep of a household. */
typedef struct {
  char id[REGISTRY_HHID_LEN];
  char head[RH_ID_LEN]; /* head[0] == 0: the head's ID was invalid (already reported) */
  uint32_t line;
  uint16_t heads;        /* members with relation head */
  int8_t head_relation;  /* relation of the member whose ID is head, -1 none found */
  bool bad;              /* its row had a problem (counted in bad_rows) */
} hh_t;

typedef struct {
  const registry_import_opts_t *o;
  registry_import_result_t *res;
  registry_ctx_t ctx;
  FILE *report;
  size_t max_errors, printed;
  bool row_bad; /* the current row had a problem */

  PGconn *conn;
  bool sending;  /* COPY data still worth sending (database in use, no problem yet) */
  int fatal;     /* an exit code that stops the import, 0 if none */
  char *cbuf;
  size_t clen;

  hh_t *hh;
  size_t hh_count, hh_cap;
  rh_map_bytes_t *hh_ix;  /* household_id → index into hh */
  rh_map_bytes_t *mb_ix;  /* id_number → line */
  rh_map_bytes_t *app_ix; /* period + household_id → line */
  bool complete[REGISTRY_FILE_COUNT]; /* the file was read to its end */
  char guard_line[640]; /* the shrink guard's line of the summary */
  bool bulk;            /* a first import: rows go straight into the tables (bulk_begin) */
} imp_t;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the report ---- */

static void problem(void *ud, registry_file_t file, unsigned long line, const char *column,
                    const char *reason) {
  imp_t *im = ud;
  im->res->problems++;
  im->row_bad = true;
  im->sending = false;
  if (im->printed >= im->max_errors) return;
  im->printed++;
  char buf[768];
  if (line && column)
    snprintf(buf, sizeof(buf), "%s:%lu: %s: %s", registry_file_name(file), line, column, reason);
  else if (line)
    snprintf(buf, sizeof(buf), "%s:%lu: %s", registry_file_name(file), line, reason);
  else
    snprintf(buf, sizeof(buf), "%s: %s", registry_file_name(file), reason);
  rh_log_scrub(buf);
  fprintf(im->report, "%s\n", buf);
}

__attribute__((format(printf, 5, 6))) static void problemf(imp_t *im, registry_file_t file,
                                                           unsigned long line,
                                                           const char *column, const char *fmt,
                                                           ...) {
  char reason[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof(reason), fmt, ap);
  va_end(ap);
  problem(im, file, line, column, reason);
}

static void fatal(imp_t *im, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fatal(imp_t *im, int code, const char *fmt, ...) {
  if (im->fatal) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(im->res->error, sizeof(im->res->error), fmt, ap);
  va_end(ap);
  rh_log_scrub(im->res->error);
  im->fatal = code;
  im->sending = false;
}

/* The server's error without its DETAIL and CONTEXT, which may quote a whole
 * row ("Failing row contains (...)": a name): SQLSTATE, the primary message
 * and the constraint, on one line. For a broken connection, libpq's message. */
static void pg_error(PGconn *conn, const PGresult *r, char *out, size_t size) {
  const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  if (primary) {
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *cons = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    snprintf(out, size, "PostgreSQL error %s: %s%s%s", state ? state : "?", primary,
             cons ? " (constraint " : "", cons ? cons : "");
    if (cons && strlen(out) + 2 < size) strcat(out, ")");
  } else {
    snprintf(out, size, "%s", conn ? PQerrorMessage(conn) : "no connection");
  }
  for (char *p = out; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  size_t n = strlen(out);
  while (n && out[n - 1] == ' ') out[--n] = '\0';
}

static void db_fatal(imp_t *im, const char *what, const char *err) {
  if (rh_pg_connection_lost(im->conn))
    fatal(im, RH_EXIT_UNAVAILABLE, "%s: lost the connection to PostgreSQL (%s); nothing was "
          "loaded", what, err);
  else
    fatal(im, RH_EXIT_SOFTWARE, "%s: %s; nothing was loaded", what, err);
}

/* ---- COPY ---- */

static void copy_flush(imp_t *im) {
  if (!im->clen || !im->sending) {
    im->clen = 0;
    return;
  }
  if (PQputCopyData(im->conn, im->cbuf, (int)im->clen) != 1) {
    char err[512];
    pg_error(im->conn, NULL, err, sizeof(err));
    db_fatal(im, "COPY", err);
  }
  im->clen = 0;
}

static int copy_begin(imp_t *im, registry_file_t f) {
  char sql[512];
  snprintf(sql, sizeof(sql), "COPY %s%s (%s) FROM STDIN", im->bulk ? "" : "stage_",
           registry_table_name(f), registry_columns(f));
  PGresult *r = PQexec(im->conn, sql);
  int ok = PQresultStatus(r) == PGRES_COPY_IN;
  if (!ok) {
    char err[512];
    pg_error(im->conn, r, err, sizeof(err));
    db_fatal(im, "COPY", err);
  }
  PQclear(r);
  im->clen = 0;
  return ok ? 0 : -1;
}

/* End the COPY: commit its data if still sending, else cancel it. */
static void copy_end(imp_t *im, registry_file_t f) {
  bool keep = im->sending;
  if (keep) copy_flush(im);
  keep = keep && im->sending;
  if (PQputCopyEnd(im->conn, keep ? NULL : "import refused") != 1 && keep) {
    char err[512];
    pg_error(im->conn, NULL, err, sizeof(err));
    db_fatal(im, "COPY", err);
  }
  PGresult *r;
  while ((r = PQgetResult(im->conn))) {
    if (keep && PQresultStatus(r) != PGRES_COMMAND_OK) {
      char what[64], err[512], msg[600];
      snprintf(what, sizeof(what), "COPY of %s", registry_file_name(f));
      pg_error(im->conn, r, err, sizeof(err));
      snprintf(msg, sizeof(msg), "the database refused a row that validation accepted: %s", err);
      db_fatal(im, what, msg);
    }
    PQclear(r);
  }
}

static void copy_line(imp_t *im, size_t (*fmt)(const void *, char *), const void *row) {
  if (!im->sending) return;
  im->clen += fmt(row, im->cbuf + im->clen);
  if (im->clen >= COPY_FLUSH) copy_flush(im);
}

static size_t fmt_hh(const void *r, char *b) { return registry_household_copy(r, b); }
static size_t fmt_mb(const void *r, char *b) { return registry_member_copy(r, b); }
static size_t fmt_ap(const void *r, char *b) { return registry_application_copy(r, b); }

/* ---- rows ---- */

static void masked(const char *id18, char out[RH_ID_BUFSZ]) {
  char id[RH_ID_BUFSZ];
  memcpy(id, id18, RH_ID_LEN);
  id[RH_ID_LEN] = '\0';
  rh_id_mask(id, out);
}


static void on_household(imp_t *im, const registry_map_t *m, const rh_csv_row_t *row) {
  registry_household_t h;
  registry_household_parse(&im->ctx, m, row, &h);
  if (h.household_id[0]) {
    uint32_t prev;
    int st = rh_map_bytes_add(im->hh_ix, h.household_id, (uint32_t)im->hh_count, &prev);
    if (st < 0) {
      fatal(im, RH_EXIT_SOFTWARE, "out of memory");
      return;
    }
    if (st == 1) {
      problemf(im, REGISTRY_HOUSEHOLDS, row->line, "household_id",
               "household %s appears twice (first at line %u)", h.household_id,
               im->hh[prev].line);
    } else {
      if (RH_ARRAY_RESERVE(im->hh, im->hh_count + 1, im->hh_cap, 4096)) {
        fatal(im, RH_EXIT_SOFTWARE, "out of memory");
        return;
      }
      hh_t *e = &im->hh[im->hh_count++];
      memcpy(e->id, h.household_id, REGISTRY_HHID_LEN);
      memset(e->head, 0, sizeof(e->head));
      if (h.head_id[0]) memcpy(e->head, h.head_id, RH_ID_LEN);
      e->line = (uint32_t)row->line;
      e->heads = 0;
      e->head_relation = -1;
      e->bad = im->row_bad;
    }
  }
  if (!im->row_bad) copy_line(im, fmt_hh, &h);
}

static void on_member(imp_t *im, const registry_map_t *m, const rh_csv_row_t *row) {
  registry_member_t mb;
  registry_member_parse(&im->ctx, m, row, &mb);
  hh_t *hh = NULL;
  if (mb.household_id[0] && im->complete[REGISTRY_HOUSEHOLDS]) {
    uint32_t i;
    if (rh_map_bytes_get(im->hh_ix, mb.household_id, &i)) hh = &im->hh[i];
    else
      problemf(im, REGISTRY_MEMBERS, row->line, "household_id",
               "household %s is not in households.csv", mb.household_id);
  }
  bool dup = false;
  if (mb.id[0]) {
    uint32_t prev;
    int st = rh_map_bytes_add(im->mb_ix, mb.id, (uint32_t)row->line, &prev);
    if (st < 0) {
      fatal(im, RH_EXIT_SOFTWARE, "out of memory");
      return;
    }
    if (st == 1) {
      char mk[RH_ID_BUFSZ];
      rh_id_mask(mb.id, mk);
      problemf(im, REGISTRY_MEMBERS, row->line, "id_number",
               "the same ID number as line %u (%s): a person is in the registry once", prev, mk);
      dup = true;
    }
  }
  if (hh && !dup) {
    if (mb.relation == RH_REL_HEAD && hh->heads < UINT16_MAX) hh->heads++;
    if (mb.id[0] && hh->head[0] && memcmp(mb.id, hh->head, RH_ID_LEN) == 0)
      hh->head_relation = (int8_t)mb.relation;
  }
  if (!im->row_bad) copy_line(im, fmt_mb, &mb);
}

static void on_application(imp_t *im, const registry_map_t *m, const rh_csv_row_t *row) {
  registry_application_t a;
  registry_application_parse(&im->ctx, m, row, &a);
  if (a.household_id[0] && im->complete[REGISTRY_HOUSEHOLDS] &&
      !rh_map_bytes_get(im->hh_ix, a.household_id, NULL))
    problemf(im, REGISTRY_APPLICATIONS, row->line, "household_id",
             "household %s is not in households.csv", a.household_id);
  if (a.household_id[0] && a.period[0]) {
    char key[7 + REGISTRY_HHID_LEN];
    memcpy(key, a.period, 7);
    memcpy(key + 7, a.household_id, REGISTRY_HHID_LEN);
    uint32_t prev;
    int st = rh_map_bytes_add(im->app_ix, key, (uint32_t)row->line, &prev);
    if (st < 0) {
      fatal(im, RH_EXIT_SOFTWARE, "out of memory");
      return;
    }
    if (st == 1)
      problemf(im, REGISTRY_APPLICATIONS, row->line, "household_id",
               "household %s applied twice in %s (first at line %u)", a.household_id, a.period,
               prev);
  }
  if (!im->row_bad) copy_line(im, fmt_ap, &a);
}

/* After households.csv and members.csv: each household's head. */
static void check_heads(imp_t *im) {
  for (size_t i = 0; i < im->hh_count && !im->fatal; i++) {
    const hh_t *h = &im->hh[i];
    if (!h->head[0]) continue; /* the head's ID itself was bad: reported */
    char mk[RH_ID_BUFSZ];
    masked(h->head, mk);
    uint64_t before = im->res->problems;
    if (h->head_relation < 0)
      problemf(im, REGISTRY_HOUSEHOLDS, h->line, "head_id_number",
               "no member of household %.18s in members.csv has this ID number (%s)", h->id, mk);
    else if (h->head_relation != RH_REL_HEAD)
      problemf(im, REGISTRY_HOUSEHOLDS, h->line, "head_id_number",
               "the member with this ID number (%s) has relation %s, not head",
               mk, registry_relation_codes[(int)h->head_relation]);
    else if (h->heads > 1)
      problemf(im, REGISTRY_HOUSEHOLDS, h->line, "head_id_number",
               "%u members of household %.18s have relation head; a household has one head",
               (unsigned)h->heads, h->id);
    if (im->res->problems > before && !h->bad) im->res->bad_rows[REGISTRY_HOUSEHOLDS]++;
  }
}

/* Read, validate and (while all is well) COPY one file. */
static void read_file(imp_t *im, registry_file_t f) {
  const char *dir = im->o->dir;
  char path[4096], err[512];
  snprintf(path, sizeof(path), "%s/%s", dir, registry_file_name(f));
  rh_csv_reader_t *rd = rh_csv_open(path, im->o->encoding, err, sizeof(err));
  if (!rd) {
    problem(im, f, 0, NULL, err);
    return;
  }
  const rh_csv_row_t *row;
  registry_map_t map;
  int st = rh_csv_next(rd, &row, err, sizeof(err));
  if (st <= 0) {
    problem(im, f, 0, NULL, st < 0 ? err : "empty file");
    goto cleanup;
  }
  if (registry_map_header(&map, f, row, err, sizeof(err))) {
    problem(im, f, row->line, NULL, err);
    goto cleanup;
  }
  bool copying = im->sending && copy_begin(im, f) == 0;
  uint64_t rows = 0;
  while (!im->fatal && (st = rh_csv_next(rd, &row, err, sizeof(err))) == 1) {
    rows++;
    im->row_bad = false;
    switch (f) {
    case REGISTRY_HOUSEHOLDS: on_household(im, &map, row); break;
    case REGISTRY_MEMBERS: on_member(im, &map, row); break;
    default: on_application(im, &map, row); break;
    }
    if (im->row_bad) im->res->bad_rows[f]++;
  }
  if (st < 0) problem(im, f, 0, NULL, err); /* "line 17: ..." from the reader */
  else if (st == 0) im->complete[f] = true;
  im->res->counts[f].rows = rows;
  if (f == REGISTRY_HOUSEHOLDS && st == 0 && rows == 0)
    problem(im, f, 0, NULL, "no households (only a header): an empty registry is not imported");
  if (copying && !(im->fatal && rh_pg_connection_lost(im->conn))) copy_end(im, f);
cleanup:
  rh_csv_close(rd);
}

/* ---- the database ---- */

static PGresult *q(imp_t *im, const char *what, const char *sql) {
  double t0 = now_s();
  PGresult *r = PQexecParams(im->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    char err[512];
    pg_error(im->conn, r, err, sizeof(err));
    PQclear(r);
    r = NULL;
    db_fatal(im, what, err);
  }
  rh_log_debug("%s: %.2f s: %.80s", what, now_s() - t0, sql);
  return r;
}

static int exec(imp_t *im, const char *what, const char *sql) {
  PGresult *r = q(im, what, sql);
  PQclear(r);
  return r ? 0 : -1;
}

static uint64_t u64(const PGresult *r, int col) { return strtoull(PQgetvalue(r, 0, col), NULL, 10); }

/* Key columns of each table (the rest are compared and updated). */
static bool is_key(registry_file_t f, const char *col) {
  switch (f) {
  case REGISTRY_HOUSEHOLDS: return strcmp(col, "household_id") == 0;
  case REGISTRY_MEMBERS: return strcmp(col, "id_number") == 0;
  default: return strcmp(col, "period") == 0 || strcmp(col, "household_id") == 0;
  }
}

/* The changed rows, then the new ones. Unchanged rows are not touched at all:
 * no update, so no registry_changes row, no dead tuple, no row lock. This is
 * the upsert of INSERT ... ON CONFLICT DO UPDATE ... WHERE <differs>, done as
 * an UPDATE joined with the staging table and an INSERT of the keys not yet
 * there, because ON CONFLICT locks every existing row even when its WHERE is
 * false (an unchanged full-size registry took 10 s instead of under 2 s) and
 * costs a speculative insertion a row (+25 % on a first import). The import
 * lock keeps other imports out meanwhile; a row another session inserts
 * between the two statements makes the INSERT fail, and nothing is loaded. */
static int upsert(imp_t *im, registry_file_t f) {
  char set_s[1024] = "", cmp_t[512] = "", cmp_s[512] = "", join[256] = "", sql[8192];
  size_t a = 0, c = 0, d = 0, j = 0;
  const char *t = registry_table_name(f);
  for (size_t i = 0; i < registry_column_count(f); i++) {
    const char *col = registry_column(f, i);
    if (is_key(f, col)) {
      j += (size_t)snprintf(join + j, sizeof(join) - j, "%ss.%s = t.%s", j ? " AND " : "", col, col);
      continue;
    }
    const char *sep = a ? ", " : "";
    a += (size_t)snprintf(set_s + a, sizeof(set_s) - a, "%s%s = s.%s", sep, col, col);
    c += (size_t)snprintf(cmp_t + c, sizeof(cmp_t) - c, "%st.%s", sep, col);
    d += (size_t)snprintf(cmp_s + d, sizeof(cmp_s) - d, "%ss.%s", sep, col);
  }
  snprintf(sql, sizeof(sql),
           "WITH u AS (UPDATE %s t SET %s FROM stage_%s s WHERE %s"
           " AND (%s) IS DISTINCT FROM (%s) RETURNING 1) SELECT count(*) FROM u",
           t, set_s, t, join, cmp_t, cmp_s);
  PGresult *r = q(im, t, sql);
  if (!r) return -1;
  registry_import_counts_t *cn = &im->res->counts[f];
  cn->updated = u64(r, 0);
  PQclear(r);
  snprintf(sql, sizeof(sql),
           "WITH i AS (INSERT INTO %s (%s) SELECT %s FROM stage_%s s"
           " WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE %s) RETURNING 1)"
           " SELECT count(*) FROM i",
           t, registry_columns(f), registry_columns(f), t, t, join);
  if (!(r = q(im, t, sql))) return -1;
  cn->inserted = u64(r, 0);
  PQclear(r);
  return 0;
}

static int delete_vanished(imp_t *im, registry_file_t f) {
  const char *sql;
  switch (f) {
  case REGISTRY_HOUSEHOLDS:
    sql = "WITH d AS (DELETE FROM households t WHERE NOT EXISTS (SELECT 1 FROM stage_households s"
          " WHERE s.household_id = t.household_id) RETURNING 1) SELECT count(*) FROM d";
    break;
  case REGISTRY_MEMBERS:
    sql = "WITH d AS (DELETE FROM members t WHERE NOT EXISTS (SELECT 1 FROM stage_members s"
          " WHERE s.id_number = t.id_number) RETURNING 1) SELECT count(*) FROM d";
    break;
  default:
    /* the periods in the file; other periods' applications of a household
     * that leaves the registry go with it (ON DELETE CASCADE) */
    sql = "WITH d AS (DELETE FROM applications t WHERE"
          " t.period IN (SELECT DISTINCT period FROM stage_applications)"
          " AND NOT EXISTS (SELECT 1 FROM stage_applications s"
          "                 WHERE s.period = t.period AND s.household_id = t.household_id)"
          " RETURNING 1) SELECT count(*) FROM d";
  }
  PGresult *r = q(im, registry_table_name(f), sql);
  if (!r) return -1;
  im->res->counts[f].deleted = u64(r, 0);
  PQclear(r);
  return 0;
}

/* ---- a first import: indexes and keys built after the rows ---- */

/* A first import (the three tables empty) inserts every row: then the keys
 * and indexes are dropped, the rows are COPYed straight into the tables
 * (no staging, no merge), and when every file was read the indexes are
 * built by sorting and the foreign keys checked by one join each as they are
 * made again — instead of a B-tree descent and a foreign-key query a row
 * (24-28 s -> about 10 s for the county). The change log's triggers fire as
 * for any insert. One transaction, so nothing is ever visible without its
 * constraints, and a refused import rolls the drops back too: ALTER TABLE
 * locks the tables (ACCESS EXCLUSIVE) to the commit; readers wait for the
 * import instead of reading empty tables.
 * The DDL is the tables' owner's: the import's role (riskhub_import) owns
 * nothing, so two functions of migration 007 do it as the owner, and only
 * that (registry_first_import_begin: lock, look again, drop and keep what to
 * make again; registry_first_import_end: make it again). Returns 1 if so
 * (im->bulk), 0 if not a first import, -1 on error. */
static int bulk_begin(imp_t *im) {
  static const char empty_sql[] =
      "SELECT NOT EXISTS (SELECT 1 FROM households) AND NOT EXISTS (SELECT 1 FROM members)"
      " AND NOT EXISTS (SELECT 1 FROM applications)";
  PGresult *r = q(im, "first import", empty_sql);
  if (!r) return -1;
  bool empty = PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  if (!empty) return 0;
  /* another writer may add rows between the look and the lock: the function
   * looks again under the lock (taken in the readers' order, rh_regmap_load:
   * the change log, households, members) and drops nothing if so */
  if (!(r = q(im, "first import", "SELECT registry_first_import_begin()"))) return -1;
  im->bulk = PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  return im->bulk ? 1 : 0;
}

/* Make again what bulk_begin dropped: the indexes, then the keys (each
 * foreign key checks every row as it is added: a violation is an error). */
static int bulk_end(imp_t *im) {
  if (exec(im, "settings", "SET LOCAL maintenance_work_mem = '256MB'")) return -1;
  PGresult *r = q(im, "first import", "SELECT registry_first_import_end()");
  if (!r) return -1;
  PQclear(r);
  return 0;
}

static int db_begin(imp_t *im) {
  const registry_import_opts_t *o = im->o;
  char err[768];
  const char *conninfo = o->conninfo ? o->conninfo : o->cfg->pg_conninfo;
  im->conn = rh_pg_connect_as(conninfo, RH_PG_ROLE_IMPORT, o->wait_ms, err, sizeof(err));
  if (!im->conn) {
    fatal(im, RH_EXIT_UNAVAILABLE, "%s; nothing was loaded", err);
    return -1;
  }
  PQsetClientEncoding(im->conn, "UTF8");
  if (exec(im, "settings", "SET application_name = 'riskhub-registry import'")) return -1;
  int version = 0;
  int st = registry_migrate_db_version(im->conn, &version, err, sizeof(err));
  if (st < 0) {
    db_fatal(im, "schema_migrations", err);
    return -1;
  }
  if (st == 1 || version < RH_IMPORT_MIN_SCHEMA) {
    fatal(im, RH_EXIT_CONFIG, "the database is at schema version %03d and the import needs %03d "
          "or later: run riskhub-registry migrate first", st == 1 ? 0 : version,
          RH_IMPORT_MIN_SCHEMA);
    return -1;
  }
  if (exec(im, "BEGIN", "BEGIN") || exec(im, "settings", "SET LOCAL work_mem = '256MB'"))
    return -1;
  char sql[1024];
  snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_xact_lock(%lld)", RH_IMPORT_LOCK_KEY);
  PGresult *r = q(im, "lock", sql);
  if (!r) return -1;
  bool got = PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  if (!got) {
    rh_log_info("another riskhub-registry import is running; waiting for it to finish");
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", RH_IMPORT_LOCK_KEY);
    if (exec(im, "lock", sql)) return -1;
  }
  if (!o->dry_run && bulk_begin(im) < 0) return -1;
  for (int f = 0; f < REGISTRY_FILE_COUNT && !im->bulk; f++) {
    snprintf(sql, sizeof(sql), "CREATE TEMP TABLE stage_%s ON COMMIT DROP AS SELECT %s FROM %s "
             "WITH NO DATA", registry_table_name(f), registry_columns(f), registry_table_name(f));
    if (exec(im, "staging tables", sql)) return -1;
  }
  im->sending = true;
  return 0;
}

/* ---- the shrink guard ---- */

static void report_line(imp_t *im, const char *tag, const char *text) {
  char buf[1024];
  snprintf(buf, sizeof(buf), "%s: %s", tag, text);
  rh_log_scrub(buf);
  fprintf(im->report, "%s\n", buf);
}

/* The guard's lines on the report: what would be deleted, and where. */
static void guard_report(imp_t *im, const registry_guard_t *g, const char *tag,
                         const char *desc) {
  char line[768];
  snprintf(line, sizeof(line), "this import %s", desc);
  report_line(im, tag, line);
  for (size_t i = 0; i < g->place_count && i < GUARD_PLACES_SHOWN; i++) {
    registry_guard_place_line(g, i, im->o->cfg, line, sizeof(line));
    report_line(im, tag, line);
  }
  if (g->place_count > GUARD_PLACES_SHOWN) {
    snprintf(line, sizeof(line), "... and %zu more townships and villages that lose every "
             "household", g->place_count - GUARD_PLACES_SHOWN);
    report_line(im, tag, line);
  }
}

/* Before anything is changed: what the merge would delete. Refuses (fatal
 * RH_EXIT_REFUSED) when the guard trips and --allow-shrink was not given. */
static int run_guard(imp_t *im) {
  const registry_import_opts_t *o = im->o;
  double share = o->cfg->registry.max_delete_share;
  registry_guard_t g;
  char err[512], desc[512];
  double t0 = now_s();
  if (registry_guard_measure(im->conn, &g, err, sizeof(err))) {
    registry_guard_free(&g);
    db_fatal(im, "shrink guard", err);
    return -1;
  }
  rh_log_debug("shrink guard: measured in %.2f s", now_s() - t0);
  int v = registry_guard_judge(&g, share);
  im->res->guard_ran = true;
  im->res->guard_verdict = v;
  registry_guard_describe(&g, share, desc, sizeof(desc));
  if (!g.households_now)
    snprintf(im->guard_line, sizeof(im->guard_line),
             "shrink guard: the database had no households; nothing to guard");
  else if (!v)
    snprintf(im->guard_line, sizeof(im->guard_line),
             "shrink guard: passed: this import %s; no township or village loses every "
             "household", desc);
  else
    snprintf(im->guard_line, sizeof(im->guard_line),
             "shrink guard: let through by --allow-shrink: this import %s; townships and "
             "villages that lose every household: %zu", desc, g.place_count);
  if (v) guard_report(im, &g, o->allow_shrink ? "shrink guard (--allow-shrink)" : "shrink guard",
                      desc);
  if (v && !o->allow_shrink)
    fatal(im, RH_EXIT_REFUSED,
          "%s by the shrink guard: %s%s%s; nothing was changed. Is the export complete? If "
          "the registry really shrank this much, import again with --allow-shrink",
          o->dry_run ? "import --dry-run: the import would be refused" : "import refused",
          v & REGISTRY_GUARD_SHARE ? "more than the allowed share of households would be deleted"
                                   : "",
          v == (REGISTRY_GUARD_SHARE | REGISTRY_GUARD_PLACES) ? ", and " : "",
          v & REGISTRY_GUARD_PLACES ? "a township or village would lose every household" : "");
  registry_guard_free(&g);
  return im->fatal ? -1 : 0;
}

static int db_merge(imp_t *im) {
  /* households first (members reference them), members, applications; then
   * what vanished: applications, members, households */
  if (upsert(im, REGISTRY_HOUSEHOLDS) || upsert(im, REGISTRY_MEMBERS) ||
      upsert(im, REGISTRY_APPLICATIONS) || delete_vanished(im, REGISTRY_APPLICATIONS) ||
      delete_vanished(im, REGISTRY_MEMBERS) || delete_vanished(im, REGISTRY_HOUSEHOLDS))
    return -1;
  /* COMMIT checks the deferred constraint households_head_is_member */
  return exec(im, "COMMIT", "COMMIT");
}

/* ---- the import ---- */

int registry_import(const registry_import_opts_t *o, registry_import_result_t *res) {
  memset(res, 0, sizeof(*res));
  double t0 = now_s();
  imp_t im = {0};
  bool use_db = !o->dry_run || !o->offline;
  im.o = o;
  im.res = res;
  im.report = o->report ? o->report : stderr;
  im.max_errors = o->max_errors ? o->max_errors : RH_IMPORT_DEFAULT_MAX_ERRORS;
  im.ctx.cfg = o->cfg;
  im.ctx.max_year = o->max_year;
  im.ctx.report = problem;
  im.ctx.report_ud = &im;
  if (!o->max_year) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    im.ctx.max_year = tm.tm_year + 1900;
  }
  im.cbuf = malloc(COPY_FLUSH + REGISTRY_COPY_LINE_MAX);
  im.hh_ix = rh_map_bytes_new(REGISTRY_HHID_LEN, 1 << 16);
  im.mb_ix = rh_map_bytes_new(RH_ID_LEN, 1 << 18);
  im.app_ix = rh_map_bytes_new(7 + REGISTRY_HHID_LEN, 1024);
  if (!im.cbuf || !im.hh_ix || !im.mb_ix || !im.app_ix) {
    fatal(&im, RH_EXIT_SOFTWARE, "out of memory");
    goto done;
  }
  /* every file there before the database is touched */
  for (int f = 0; f < REGISTRY_FILE_COUNT; f++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", o->dir, registry_file_name(f));
    if (access(path, R_OK) != 0) {
      fatal(&im, RH_EXIT_IOERR, "%s: %s", path, strerror(errno));
      goto done;
    }
  }
  if (use_db && db_begin(&im)) goto done;

  read_file(&im, REGISTRY_HOUSEHOLDS);
  if (!im.fatal) read_file(&im, REGISTRY_MEMBERS);
  if (!im.fatal && im.complete[REGISTRY_HOUSEHOLDS] && im.complete[REGISTRY_MEMBERS]) check_heads(&im);
  if (!im.fatal) read_file(&im, REGISTRY_APPLICATIONS);
  res->read_seconds = now_s() - t0;
  if (im.fatal || res->problems) goto done;

  if (use_db && im.bulk) {
    /* the rows are in the tables: their keys and indexes, and commit */
    double t1 = now_s();
    rh_log_info("first import into empty tables: keys and indexes built after the rows");
    res->guard_ran = true; /* no households in the database: nothing to guard */
    snprintf(im.guard_line, sizeof(im.guard_line),
             "shrink guard: the database had no households; nothing to guard");
    if (bulk_end(&im) || exec(&im, "COMMIT", "COMMIT")) goto done;
    for (int f = 0; f < REGISTRY_FILE_COUNT; f++) res->counts[f].inserted = res->counts[f].rows;
    res->merge_seconds = now_s() - t1;
  } else if (use_db) {
    double t1 = now_s();
    if (exec(&im, "ANALYZE", "ANALYZE stage_households, stage_members, stage_applications") ||
        run_guard(&im))
      goto done;
    if (!o->dry_run && db_merge(&im)) goto done;
    res->merge_seconds = now_s() - t1;
  }
  for (int f = 0; f < REGISTRY_FILE_COUNT; f++) {
    registry_import_counts_t *c = &res->counts[f];
    if (!o->dry_run) c->unchanged = c->rows - c->inserted - c->updated;
    if (f != REGISTRY_APPLICATIONS) res->changes += c->inserted + c->updated + c->deleted;
  }

done:
  res->total_seconds = now_s() - t0;
  int rc = RH_EXIT_OK;
  if (im.fatal) {
    rc = im.fatal;
  } else if (res->problems) {
    rc = RH_EXIT_REFUSED;
    if (res->problems > im.printed)
      fprintf(im.report, "... and %llu more problem%s not shown\n",
              (unsigned long long)(res->problems - im.printed),
              res->problems - im.printed == 1 ? "" : "s");
    snprintf(res->error, sizeof(res->error),
             "import refused: %llu problem%s (bad rows: households.csv %llu, members.csv %llu, "
             "applications.csv %llu); nothing was loaded",
             (unsigned long long)res->problems, res->problems == 1 ? "" : "s",
             (unsigned long long)res->bad_rows[0], (unsigned long long)res->bad_rows[1],
             (unsigned long long)res->bad_rows[2]);
  } else {
    size_t off = 0;
    for (int f = 0; f < REGISTRY_FILE_COUNT; f++) {
      const registry_import_counts_t *c = &res->counts[f];
      if (o->dry_run)
        off += (size_t)snprintf(res->summary + off, sizeof(res->summary) - off,
                                "%-13s %8llu rows valid\n", registry_table_name(f),
                                (unsigned long long)c->rows);
      else
        off += (size_t)snprintf(res->summary + off, sizeof(res->summary) - off,
                                "%-13s %8llu rows: %llu inserted, %llu updated, %llu deleted, "
                                "%llu unchanged\n", registry_table_name(f),
                                (unsigned long long)c->rows, (unsigned long long)c->inserted,
                                (unsigned long long)c->updated, (unsigned long long)c->deleted,
                                (unsigned long long)c->unchanged);
    }
    if (im.guard_line[0])
      off += (size_t)snprintf(res->summary + off, sizeof(res->summary) - off, "%s\n",
                              im.guard_line);
    if (o->dry_run)
      snprintf(res->summary + off, sizeof(res->summary) - off,
               "import --dry-run: %s is valid; nothing loaded (%.1f s)%s", o->dir,
               res->total_seconds, use_db ? "" : "; --offline: the shrink guard was not run");
    else
      snprintf(res->summary + off, sizeof(res->summary) - off,
               "import: committed in %.1f s (read, validate, COPY %.1f s; merge %.1f s); %llu "
               "registry change%s logged", res->total_seconds, res->read_seconds,
               res->merge_seconds, (unsigned long long)res->changes, res->changes == 1 ? "" : "s");
  }
  /* without COMMIT, closing the connection rolls everything back */
  PQfinish(im.conn);
  free(im.cbuf);
  free(im.hh);
  rh_map_bytes_destroy(im.hh_ix);
  rh_map_bytes_destroy(im.mb_ix);
  rh_map_bytes_destroy(im.app_ix);
  return rc;
}
