/*
 * rh_pg: the libpq idioms riskhub programs share.
 *
 * - rh_pg_connect(): connect, waiting and retrying (with back-off) for up to
 *   wait_ms while the server is away; errors name host and port, never the
 *   password (they pass through rh_log_scrub()).
 * - rh_pg_exec() / rh_pg_exec_params(): run SQL and turn a failed result into an
 *   errstr with the server's message and SQLSTATE.
 *
 * Ownership: rh_pg_connect returns a PGconn the caller closes with PQfinish.
 * rh_pg_exec_params returns a PGresult the caller frees with PQclear (NULL on
 * error, errstr filled). None of these functions logs on its own.
 */
#ifndef RH_PG_H
#define RH_PG_H

#include <libpq-fe.h>
#include <stddef.h>

/* The local cluster that scripts/postgres.sh starts. */
#define RH_PG_DEFAULT_CONNINFO "host=127.0.0.1 port=15432 dbname=riskhub user=riskhub"

/* RH_PG_CONNINFO from the environment, else the default. Static string. */
const char *rh_pg_env_conninfo(void);

/* The role of each program (migration 007_roles.sql grants each only its part;
 * docs/security.md, "PostgreSQL"). The schema's owner (`riskhub`) is used by
 * `riskhub-registry migrate` alone; no service connects as it. */
#define RH_PG_ROLE_IMPORT "riskhub_import"     /* riskhub-registry import */
#define RH_PG_ROLE_JOIN "riskhub_join"         /* riskhub-join: reads the registry */
#define RH_PG_ROLE_LEDGER "riskhub_ledger"     /* riskhub-ledger: writes the ledger */
#define RH_PG_ROLE_STATUS "riskhub_status"     /* riskhub-status, -health, -selftest */
#define RH_PG_ROLE_TOWNSHIP "riskhub_township" /* riskhub-alerts: several townships */
/* riskhub-alerts of one township: RH_PG_ROLE_TOWN_PREFIX<code>, a member of
 * riskhub_towns that sees its own township's households only (migration 008) */
#define RH_PG_ROLE_TOWN_PREFIX "riskhub_town_"
#define RH_PG_ROLE_AUDIT "riskhub_audit"       /* riskhub-replay: reads, writes nothing */
#define RH_PG_ROLE_WEB "riskhub_web"           /* riskhub-web: warnings, its accounts, visits (migration 009) */
#define RH_PG_ROLE_PUSH "riskhub_push"         /* riskhub-push: the months' pushes (migration 012) */
#define RH_PG_ROLE_SCALE "riskhub_scale"       /* riskhub-scale: the scale risks (migration 018) */
#define RH_PG_ROLE_IDENTITY "riskhub_identity" /* riskhub-identity: the registry (migration 019) */

/* Connect; on failure retry with back-off (100 ms doubling to 2 s) until wait_ms
 * has passed (0 = one try). NULL on failure with errstr filled, e.g.
 * "cannot connect to PostgreSQL at 127.0.0.1:15432: Connection refused". */
PGconn *rh_pg_connect(const char *conninfo, int wait_ms, char *errstr, size_t errstr_size);

/* rh_pg_connect as role: the conninfo's user (if any) is replaced by role (NULL:
 * kept). The password comes from ~/.pgpass or PGPASSFILE, as libpq finds it. An
 * authentication failure names the role and where its password is looked for. */
PGconn *rh_pg_connect_as(const char *conninfo, const char *role, int wait_ms, char *errstr,
                         size_t errstr_size);

/* Run one or more statements that return no rows. 0 ok, -1 with errstr. */
int rh_pg_exec(PGconn *conn, const char *sql, char *errstr, size_t errstr_size);

/* Run one parameterised statement (text parameters). Returns the result if its
 * status is COMMAND_OK or TUPLES_OK; otherwise NULL with errstr. */
PGresult *rh_pg_exec_params(PGconn *conn, const char *sql, int nparams,
                            const char *const *params, char *errstr, size_t errstr_size);

/* 0 if res (of an asynchronous query, say) is COMMAND_OK or TUPLES_OK;
 * otherwise -1 with errstr as rh_pg_exec words it. res is not freed. */
int rh_pg_result_check(PGconn *conn, PGresult *res, char *errstr, size_t errstr_size);

/* Non-zero if the connection is broken (server gone), so the caller should
 * reconnect and retry rather than treat the error as a bad statement. */
int rh_pg_connection_lost(PGconn *conn);

#endif
