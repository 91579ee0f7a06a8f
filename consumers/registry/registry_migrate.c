#include "registry_migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_array.h"
#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_pg.h"

/* ---- the directory ---- */

int registry_migration_parse_name(const char *file, int *version, char *name, size_t name_size) {
  size_t len = strlen(file);
  if (len < 9 || strcmp(file + len - 4, ".sql") != 0) return -1; /* "001_x.sql" at least */
  for (int i = 0; i < 3; i++)
    if (file[i] < '0' || file[i] > '9') return -1;
  if (file[3] != '_') return -1;
  size_t nlen = len - 8;
  for (size_t i = 4; i < len - 4; i++) {
    char c = file[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return -1;
  }
  if (nlen + 1 > name_size) return -1;
  memcpy(name, file + 4, nlen);
  name[nlen] = '\0';
  *version = (file[0] - '0') * 100 + (file[1] - '0') * 10 + (file[2] - '0');
  return *version > 0 ? 0 : -1;
}

void registry_migrations_free(registry_migrations_t *m) {
  if (!m) return;
  for (size_t i = 0; i < m->count; i++) {
    free(m->items[i].file);
    free(m->items[i].name);
    free(m->items[i].sql);
  }
  free(m->items);
  m->items = NULL;
  m->count = 0;
}

static int by_version(const void *a, const void *b) {
  const registry_migration_t *x = a, *y = b;
  return (x->version > y->version) - (x->version < y->version);
}

static int read_file(const char *path, char **text, size_t *len, char *errstr, size_t errstr_size) {
  FILE *fp = fopen(path, "rb");
  char *buf = NULL;
  size_t n = 0, cap = 0;
  if (!fp) goto fail;
  for (;;) {
    if (RH_ARRAY_RESERVE(buf, n + 4096 + 1, cap, 16384)) {
      errno = ENOMEM;
      goto fail;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, fp);
    n += got;
    if (got == 0) break;
  }
  if (ferror(fp)) goto fail;
  fclose(fp);
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
fail:
  snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
  if (fp) fclose(fp);
  free(buf);
  return -1;
}

int registry_migrations_load(const char *dir, registry_migrations_t *out, char *errstr, size_t errstr_size) {
  memset(out, 0, sizeof(*out));
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(errstr, errstr_size, "migrations directory %s: %s", dir, strerror(errno));
    return -1;
  }
  size_t cap = 0;
  struct dirent *e;
  int rc = -1;
  while ((e = readdir(d))) {
    const char *fn = e->d_name;
    size_t len = strlen(fn);
    if (fn[0] == '.' || len < 4 || strcmp(fn + len - 4, ".sql") != 0) continue;
    int version;
    char name[256];
    if (registry_migration_parse_name(fn, &version, name, sizeof(name))) {
      snprintf(errstr, errstr_size, "%s/%s: a migration file is named NNN_name.sql (001..999, "
               "name of a-z, 0-9 and _)", dir, fn);
      goto cleanup;
    }
    if (RH_ARRAY_RESERVE(out->items, out->count + 1, cap, 16)) {
      snprintf(errstr, errstr_size, "out of memory");
      goto cleanup;
    }
    registry_migration_t *mg = &out->items[out->count];
    memset(mg, 0, sizeof(*mg));
    out->count++;
    mg->version = version;
    mg->file = strdup(fn);
    mg->name = strdup(name);
    if (!mg->file || !mg->name) {
      snprintf(errstr, errstr_size, "out of memory");
      goto cleanup;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, fn);
    if (read_file(path, &mg->sql, &mg->sql_len, errstr, errstr_size)) goto cleanup;
    if (mg->sql_len == 0) {
      snprintf(errstr, errstr_size, "%s: empty migration", path);
      goto cleanup;
    }
    if (strlen(mg->sql) != mg->sql_len) {
      snprintf(errstr, errstr_size, "%s: holds a NUL byte; a migration is SQL text", path);
      goto cleanup;
    }
    rh_sha256_t *h = rh_sha256_new();
    if (!h) {
      snprintf(errstr, errstr_size, "out of memory");
      goto cleanup;
    }
    rh_sha256_update(h, mg->sql, mg->sql_len);
    rh_sha256_final(h, mg->sha256);
  }
  if (out->count == 0) {
    snprintf(errstr, errstr_size, "migrations directory %s holds no NNN_name.sql file", dir);
    goto cleanup;
  }
  qsort(out->items, out->count, sizeof(*out->items), by_version);
  for (size_t i = 1; i < out->count; i++)
    if (out->items[i].version == out->items[i - 1].version) {
      snprintf(errstr, errstr_size, "%s: %s and %s have the same version %03d", dir,
               out->items[i - 1].file, out->items[i].file, out->items[i].version);
      goto cleanup;
    }
  rc = 0;
cleanup:
  closedir(d);
  if (rc) registry_migrations_free(out);
  return rc;
}

/* ---- the database ---- */

int registry_migrate_db_version(PGconn *conn, int *version, char *errstr, size_t errstr_size) {
  PGresult *r = rh_pg_exec_params(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0,
                                  NULL, errstr, errstr_size);
  if (!r) return -1;
  int exists = PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  if (!exists) return 1;
  r = rh_pg_exec_params(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL,
                        errstr, errstr_size);
  if (!r) return -1;
  *version = atoi(PQgetvalue(r, 0, 0));
  PQclear(r);
  return 0;
}

static const registry_migration_t *find_version(const registry_migrations_t *m, int version) {
  for (size_t i = 0; i < m->count; i++)
    if (m->items[i].version == version) return &m->items[i];
  return NULL;
}

/* An error from the database: unavailable if the connection went, else `otherwise`. */
static int db_error(PGconn *conn, int otherwise) {
  return rh_pg_connection_lost(conn) ? RH_EXIT_UNAVAILABLE : otherwise;
}

int registry_migrate_run(const registry_migrate_opts_t *o, const registry_migrations_t *m, registry_migrate_result_t *res) {
  memset(res, 0, sizeof(*res));
  char err[768];
  int rc = RH_EXIT_SOFTWARE;
  PGresult *r = NULL;
  char *applied = calloc(m->count ? m->count : 1, 1); /* applied[i]: m->items[i] is */
  if (!applied) {
    snprintf(res->error, sizeof(res->error), "out of memory");
    return RH_EXIT_SOFTWARE;
  }
  PGconn *conn = rh_pg_connect(o->conninfo, o->wait_ms, err, sizeof(err));
  if (!conn) {
    snprintf(res->error, sizeof(res->error), "%s", err);
    free(applied);
    return RH_EXIT_UNAVAILABLE;
  }
  PQsetClientEncoding(conn, "UTF8");
  if (rh_pg_exec(conn, "SET client_min_messages = warning; "
                       "SET application_name = 'riskhub-registry migrate'", err, sizeof(err)))
    goto db_fail;

  /* one run at a time */
  char key[32];
  snprintf(key, sizeof(key), "%lld", REGISTRY_MIGRATE_LOCK_KEY);
  const char *kp[1] = {key};
  if (!(r = rh_pg_exec_params(conn, "SELECT pg_try_advisory_lock($1::bigint)", 1, kp, err,
                              sizeof(err))))
    goto db_fail;
  if (PQgetvalue(r, 0, 0)[0] != 't') {
    rh_log_info("another riskhub-registry migrate is running; waiting for it");
    PQclear(r);
    if (!(r = rh_pg_exec_params(conn, "SELECT pg_advisory_lock($1::bigint)", 1, kp, err,
                                sizeof(err))))
      goto db_fail;
  }
  PQclear(r);
  r = NULL;

  if (rh_pg_exec(conn,
                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
                 " version integer PRIMARY KEY,"
                 " name text NOT NULL,"
                 " sha256 text NOT NULL,"
                 " applied_at timestamptz NOT NULL DEFAULT now())",
                 err, sizeof(err)))
    goto db_fail;
  if (!(r = rh_pg_exec_params(conn, "SELECT version, name, sha256 FROM schema_migrations "
                              "ORDER BY version", 0, NULL, err, sizeof(err))))
    goto db_fail;

  /* compare the database with the directory before touching anything */
  int nrows = PQntuples(r), highest = 0;
  for (int i = 0; i < nrows; i++) {
    int v = atoi(PQgetvalue(r, i, 0));
    const char *name = PQgetvalue(r, i, 1), *sha = PQgetvalue(r, i, 2);
    const registry_migration_t *f = find_version(m, v);
    if (!f) {
      snprintf(res->error, sizeof(res->error),
               "the database has migration %03d_%s applied, but there is no file for version "
               "%03d (a newer riskhub migrated this database, or this is the wrong directory)",
               v, name, v);
      rc = RH_EXIT_CONFIG;
      goto cleanup;
    }
    if (strcmp(f->name, name) != 0) {
      snprintf(res->error, sizeof(res->error),
               "migration %s: version %03d was applied as %03d_%s.sql; an applied migration "
               "must not be renamed", f->file, v, v, name);
      rc = RH_EXIT_CONFIG;
      goto cleanup;
    }
    if (strcmp(f->sha256, sha) != 0) {
      snprintf(res->error, sizeof(res->error),
               "migration %s was changed after it was applied (SHA-256 %.12s... in the "
               "database, %.12s... now): never edit an applied migration, add a new one",
               f->file, sha, f->sha256);
      rc = RH_EXIT_CONFIG;
      goto cleanup;
    }
    applied[f - m->items] = 1;
    res->already++;
    if (v > highest) highest = v;
  }
  PQclear(r);
  r = NULL;
  /* out of order: a file below the highest applied version that is not applied */
  for (size_t i = 0; i < m->count; i++) {
    const registry_migration_t *f = &m->items[i];
    if (f->version < highest && !applied[i]) {
      snprintf(res->error, sizeof(res->error),
               "migration %s is not applied, but a later one (version %03d) is: migrations run "
               "in order, so give it a number above %03d", f->file, highest, highest);
      rc = RH_EXIT_CONFIG;
      goto cleanup;
    }
  }

  res->version = highest;
  for (size_t i = 0; i < m->count; i++) {
    const registry_migration_t *f = &m->items[i];
    if (f->version <= highest) continue;
    long long t0 = rh_mono_ms();
    if (rh_pg_exec(conn, "BEGIN", err, sizeof(err))) goto db_fail;
    if (rh_pg_exec(conn, f->sql, err, sizeof(err))) {
      snprintf(res->error, sizeof(res->error), "migration %s failed (rolled back; %zu applied "
               "before it stay): %s", f->file, res->applied, err);
      rc = db_error(conn, RH_EXIT_CONFIG);
      if (rc != RH_EXIT_UNAVAILABLE) rh_pg_exec(conn, "ROLLBACK", err, sizeof(err));
      goto cleanup;
    }
    char vbuf[16];
    snprintf(vbuf, sizeof(vbuf), "%d", f->version);
    const char *p[3] = {vbuf, f->name, f->sha256};
    PGresult *ins = rh_pg_exec_params(conn, "INSERT INTO schema_migrations (version, name, sha256) "
                                      "VALUES ($1::integer, $2, $3)", 3, p, err, sizeof(err));
    if (!ins) goto db_fail;
    PQclear(ins);
    if (rh_pg_exec(conn, "COMMIT", err, sizeof(err))) goto db_fail;
    res->applied++;
    res->version = f->version;
    if (o->out) fprintf(o->out, "applied %s (%lld ms)\n", f->file, rh_mono_ms() - t0);
  }
  if (o->out) {
    if (res->applied)
      fprintf(o->out, "migrate: applied %zu migration%s, database at version %03d\n",
              res->applied, res->applied == 1 ? "" : "s", res->version);
    else
      fprintf(o->out, "migrate: nothing to apply, database at version %03d (%zu migration%s "
              "applied)\n", res->version, res->already, res->already == 1 ? "" : "s");
  }
  rc = RH_EXIT_OK;
  goto cleanup;

db_fail:
  snprintf(res->error, sizeof(res->error), "%s", err);
  rc = db_error(conn, RH_EXIT_SOFTWARE);
cleanup:
  PQclear(r);
  free(applied);
  PQfinish(conn); /* ends the session: releases the advisory lock */
  return rc;
}
