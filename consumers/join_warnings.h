/*
 * join_warnings: the township alerts of one transaction as rows of
 * PostgreSQL's warnings table (migration 003), the state the verification
 * loop starts from (PUSHED, with the visit and comparison deadlines of the
 * config). Written with ONE statement per transaction, before the Kafka
 * commit: INSERT ... SELECT FROM unnest(arrays) ON CONFLICT (alert_id) DO
 * NOTHING, so a retried transaction writes nothing twice and a warning is
 * never in Kafka without its row (docs/join.md, "State").
 */
#ifndef JOIN_WARNINGS_H
#define JOIN_WARNINGS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "rh_alert.h"
#include "rh_config.h"

typedef struct join_warnings join_warnings_t;

join_warnings_t *join_warnings_new(const rh_config_t *cfg);
void join_warnings_destroy(join_warnings_t *w);
/* Queue one alert's row (copied). 0, or -1 out of memory. */
int join_warnings_add(join_warnings_t *w, const rh_alert_t *a);
size_t join_warnings_count(const join_warnings_t *w);
/* Insert the queued rows; the queue is emptied on success. 0, or -1 with
 * errstr (see rh_pg_connection_lost). */
int join_warnings_flush(join_warnings_t *w, PGconn *pg, char *errstr, size_t errstr_size);
/* Forget the queued rows (an aborted transaction). */
void join_warnings_clear(join_warnings_t *w);

#endif
