/*
 * push_rows: a push's persons, read from PostgreSQL as riskhub_push
 * (migration 012) in the order they are sent: household id, the head first,
 * then ID number (docs/outbound.md, "What each department receives").
 *
 *   applicants              the members of every household in `applications`
 *                           for the month: household id, ID number, name
 *   new-monitoring-objects  the members of every household with an INCLUDED
 *                           step (warning_steps, not refused) the ledger applied
 *                           in the month (county time, UTC+08:00), whose warning
 *                           is still INCLUDED, ASSISTING or RISK_ELIMINATED, and
 *                           none applied in an earlier month: also township
 *                           code and village
 *
 * Ownership: the rows' strings point into the result the struct holds;
 * push_rows_free releases it. One thread.
 */
#ifndef PUSH_ROWS_H
#define PUSH_ROWS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "rh_outbound.h"

typedef struct {
  PGresult *res;
  rh_outbound_record_t *v; /* push_id NULL */
  size_t n, households;
} push_rows_t;

/* 0, or -1 with errstr (the query failed: PostgreSQL's words, no personal data). */
int push_rows_load(PGconn *conn, rh_outbound_kind_t kind, const char *period, push_rows_t *out,
                   char *errstr, size_t errstr_size);
void push_rows_free(push_rows_t *r);

#endif
