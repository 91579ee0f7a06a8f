/*
 * rh_ledger: what the warnings ledger's tables (riskhub-ledger, docs/ledger.md;
 * migrations 003, 005, 006) tell the programs that do not write them: the
 * months lists arrived for (list_manifests), for the monthly archive
 * (riskhub-replay --archive-due) and its check (riskhub-health).
 *
 * Ownership: *months is the caller's (free). Thread-safe as libpq is (one
 * connection a thread). Failure: -1 with errstr; rh_pg_connection_lost(pg)
 * then tells PostgreSQL away from a database without the tables.
 */
#ifndef RH_LEDGER_H
#define RH_LEDGER_H

#include <libpq-fe.h>
#include <stddef.h>

/* The distinct periods ("YYYY-MM") of list_manifests, oldest first: *n of
 * them in *months (NULL when none). 0, or -1 with errstr. */
int rh_ledger_months(PGconn *pg, char (**months)[8], size_t *n, char *errstr, size_t errstr_size);

#endif
