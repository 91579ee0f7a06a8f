/*
 * registry_migrate: versioned schema migrations for riskhub's PostgreSQL
 * database (`riskhub-registry migrate`, docs/registry.md).
 *
 * Migrations are SQL files NNN_name.sql (NNN three digits, name [a-z0-9_]+) in
 * one directory (rh_path_migrations()), applied in the order of NNN. Each is
 * applied in its own transaction together with its row in
 *
 *     schema_migrations(version integer PK, name text, sha256 text, applied_at timestamptz)
 *
 * so a migration is either applied and recorded, or neither. A file must not
 * hold BEGIN/COMMIT of its own.
 *
 * A run holds a session-level advisory lock (REGISTRY_MIGRATE_LOCK_KEY) from before
 * it reads schema_migrations until it ends, so two concurrent runs do not race:
 * the second waits, then finds nothing left to apply. Before applying
 * anything it compares the database with the directory and refuses (nothing
 * applied) when:
 *   - an applied migration's file has changed (SHA-256 differs) or was renamed;
 *   - an applied migration has no file (the database is newer than this
 *     riskhub, or the directory is the wrong one);
 *   - a file not yet applied has a version below the highest applied one (it
 *     would run out of order).
 *
 * Ownership: registry_migrations_load fills a list the caller frees with
 * registry_migrations_free (safe on a zeroed or half-filled list). registry_migrate_run
 * owns its connection. Error strings never hold the connection string or a
 * full ID number (rh_pg scrubs the server's messages).
 */
#ifndef REGISTRY_MIGRATE_H
#define REGISTRY_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

#include "rh_hash.h"

/* 'rhmg' */
#define REGISTRY_MIGRATE_LOCK_KEY 0x72686d67LL

typedef struct {
  int version;          /* NNN */
  char *file;           /* "002_registry_changes.sql" */
  char *name;           /* "registry_changes" */
  char *sql;            /* the file's text, NUL-terminated */
  size_t sql_len;
  char sha256[RH_SHA256_HEXSZ]; /* hex SHA-256 of the file's bytes */
} registry_migration_t;

typedef struct {
  registry_migration_t *items; /* by version, ascending */
  size_t count;
} registry_migrations_t;

/* Read every migration in dir. Files that do not end in ".sql" and dot files
 * are ignored; a .sql file whose name is not NNN_name.sql, two files with one
 * version, an empty file or a file that cannot be read is an error. An empty
 * directory is an error too. 0, or -1 with errstr naming the file. */
int registry_migrations_load(const char *dir, registry_migrations_t *out, char *errstr, size_t errstr_size);
void registry_migrations_free(registry_migrations_t *m);

/* Parse a file name: 0 with *version and name (the part between "NNN_" and
 * ".sql", at most name_size-1 bytes) set, or -1 if it is not NNN_name.sql. */
int registry_migration_parse_name(const char *file, int *version, char *name, size_t name_size);

typedef struct {
  const char *conninfo;
  int wait_ms; /* how long to wait for the database to come up */
  FILE *out;   /* one line a migration applied, and the summary (NULL: none) */
} registry_migrate_opts_t;

typedef struct {
  size_t applied;      /* applied by this run */
  size_t already;      /* found applied */
  int version;         /* the database's version afterwards (highest applied), 0 if none */
  char error[1024];    /* when the run did not succeed */
} registry_migrate_result_t;

/* Bring the database up to the last migration. Returns an exit code
 * (rh_exit.h): RH_EXIT_OK (also when nothing was left to apply);
 * RH_EXIT_UNAVAILABLE if the database cannot be reached within wait_ms or the
 * connection is lost; RH_EXIT_CONFIG when the database and the directory
 * disagree (see above) or a migration fails (its transaction rolled back,
 * earlier ones stay applied); res->error says which file and why. */
int registry_migrate_run(const registry_migrate_opts_t *o, const registry_migrations_t *m, registry_migrate_result_t *res);

/* The highest version in conn's schema_migrations: 0 and *version set (0 if
 * the table is empty), 1 if there is no schema_migrations table, -1 on an
 * error (errstr). For programs that need a migrated database. */
int registry_migrate_db_version(PGconn *conn, int *version, char *errstr, size_t errstr_size);

#endif
