#include "rh_clock.h"
#include "rh_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_log.h"

const char *rh_pg_env_conninfo(void) {
  const char *v = getenv("RH_PG_CONNINFO");
  return v && *v ? v : RH_PG_DEFAULT_CONNINFO;
}

/* libpq messages end with a newline and may span lines; keep the first line of
 * the last non-empty message, scrubbed. */
static void set_error(char *errstr, size_t errstr_size, const char *prefix, const char *msg) {
  char line[512];
  snprintf(line, sizeof(line), "%s", msg ? msg : "");
  char *nl;
  while ((nl = strrchr(line, '\n')) && nl[1] == '\0') *nl = '\0';
  for (char *p = line; *p; p++)
    if (*p == '\n') *p = ' ';
  snprintf(errstr, errstr_size, "%s%s", prefix, line);
  rh_log_scrub(errstr);
}

/* Server notices and asynchronous messages ("FATAL: terminating connection
 * due to administrator command") go to the log, one line, scrubbed, instead of
 * libpq's bare stderr. */
static void notice_to_log(void *arg, const char *message) {
  (void)arg;
  char line[512];
  set_error(line, sizeof line, "PostgreSQL: ", message);
  rh_log_info("%s", line);
}

PGconn *rh_pg_connect(const char *conninfo, int wait_ms, char *errstr, size_t errstr_size) {
  return rh_pg_connect_as(conninfo, NULL, wait_ms, errstr, errstr_size);
}

/* A refusal of the password (SQLSTATE 28P01 is not in a PGconn's error): say
 * where libpq looked for it. */
static int add_password_hint(PGconn *conn, char *errstr, size_t errstr_size) {
  if (!strstr(errstr, "password") && !strstr(errstr, "authentication")) return 0;
  const char *user = PQuser(conn);
  const char *file = getenv("PGPASSFILE");
  size_t n = strlen(errstr);
  snprintf(errstr + n, errstr_size - n,
           " (role %s: its password is looked for in %s; docs/security.md, \"PostgreSQL\")",
           user && *user ? user : "(default)", file && *file ? file : "~/.pgpass");
  return 1;
}

PGconn *rh_pg_connect_as(const char *conninfo, const char *role, int wait_ms, char *errstr,
                         size_t errstr_size) {
  long long deadline = rh_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
  int backoff = 100;
  /* dbname first, expanded as a connection string; the role after it wins */
  const char *const keys[] = {"dbname", role ? "user" : NULL, NULL};
  const char *const values[] = {conninfo, role, NULL};
  for (;;) {
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (conn && PQstatus(conn) == CONNECTION_OK) {
      PQsetNoticeProcessor(conn, notice_to_log, NULL);
      return conn;
    }
    if (conn) {
      char prefix[300];
      const char *host = PQhost(conn), *port = PQport(conn);
      snprintf(prefix, sizeof(prefix), "cannot connect to PostgreSQL at %s:%s: ",
               host && *host ? host : "(default)", port && *port ? port : "(default)");
      set_error(errstr, errstr_size, prefix, PQerrorMessage(conn));
      /* a password refused is not a server away: no retrying */
      int refused = add_password_hint(conn, errstr, errstr_size);
      PQfinish(conn);
      if (refused) return NULL;
    } else {
      snprintf(errstr, errstr_size, "cannot connect to PostgreSQL: out of memory");
    }
    long long left = deadline - rh_mono_ms();
    if (left <= 0) return NULL;
    rh_log_debug("%s; retrying", errstr);
    struct timespec ts = {0, (long)(backoff < left ? backoff : left) * 1000000L};
    nanosleep(&ts, NULL);
    if (backoff < 2000) backoff *= 2;
  }
}

/* A failed statement: SQLSTATE, the primary message and where (table,
 * column, constraint), never the DETAIL line: PostgreSQL's DETAIL quotes the
 * row's values ("Key (name)=(...)", "Failing row contains (...)"), which may
 * be a person's name. */
static int result_ok(PGconn *conn, PGresult *res, char *errstr, size_t errstr_size) {
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return 1;
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  char prefix[64], msg[512];
  snprintf(prefix, sizeof(prefix), "PostgreSQL error%s%s: ", state ? " " : "", state ? state : "");
  if (primary) {
    const char *table = PQresultErrorField(res, PG_DIAG_TABLE_NAME);
    const char *column = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
    const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    snprintf(msg, sizeof(msg), "%s%s%s%s%s%s%s", primary, table ? " (table " : "",
             table ? table : "", column ? ", column " : "", column ? column : "",
             constraint ? ", constraint " : "", constraint ? constraint : "");
    if (table && msg[strlen(msg) - 1] != ')') strncat(msg, ")", sizeof(msg) - strlen(msg) - 1);
    set_error(errstr, errstr_size, prefix, msg);
  } else {
    set_error(errstr, errstr_size, prefix, res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  }
  return 0;
}

int rh_pg_result_check(PGconn *conn, PGresult *res, char *errstr, size_t errstr_size) {
  return result_ok(conn, res, errstr, errstr_size) ? 0 : -1;
}

int rh_pg_exec(PGconn *conn, const char *sql, char *errstr, size_t errstr_size) {
  PGresult *res = PQexec(conn, sql);
  int ok = result_ok(conn, res, errstr, errstr_size);
  PQclear(res);
  return ok ? 0 : -1;
}

PGresult *rh_pg_exec_params(PGconn *conn, const char *sql, int nparams,
                            const char *const *params, char *errstr, size_t errstr_size) {
  PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
  if (result_ok(conn, res, errstr, errstr_size)) return res;
  PQclear(res);
  return NULL;
}

int rh_pg_connection_lost(PGconn *conn) { return !conn || PQstatus(conn) == CONNECTION_BAD; }
