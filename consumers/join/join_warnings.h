/*
 * join_warnings: the township alerts of one transaction as rows of
 * PostgreSQL's warnings table (migration 003), the state the verification
 * loop starts from (PUSHED, with the visit and comparison deadlines of the
 * config). Rows go in chunks of INSERT ... SELECT FROM unnest(arrays) ON
 * CONFLICT (alert_id) DO NOTHING, sent WITHOUT waiting (libpq's asynchronous
 * queries) while the join goes on transforming records, so that the database
 * works in parallel with the join; join_warnings_flush() waits for every
 * chunk before the Kafka commit. So a warning is never in Kafka without its
 * row, and a retried transaction writes nothing twice (docs/join.md,
 * "State"). At most one chunk is in flight at a time.
 */
#ifndef JOIN_WARNINGS_H
#define JOIN_WARNINGS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "rh_alert.h"
#include "rh_config.h"

/* Rows a chunk. */
#define JOIN_WARNINGS_CHUNK 2000

typedef struct join_warnings join_warnings_t;

join_warnings_t *join_warnings_new(const rh_config_t *cfg);
void join_warnings_destroy(join_warnings_t *w);
/* Queue one alert's row (copied). 0, or -1 out of memory. */
int join_warnings_add(join_warnings_t *w, const rh_alert_t *a);
/* Rows queued and not yet confirmed by the database. */
size_t join_warnings_count(const join_warnings_t *w);
/* Without blocking: collect a finished chunk; send the queued rows if a
 * chunk's worth is waiting and nothing is in flight. 0, or -1 with errstr
 * (see rh_pg_connection_lost). */
int join_warnings_pump(join_warnings_t *w, PGconn *pg, char *errstr, size_t errstr_size);
/* Send what is queued and wait until every row is in. 0, or -1 with errstr. */
int join_warnings_flush(join_warnings_t *w, PGconn *pg, char *errstr, size_t errstr_size);
/* Forget the queued rows and wait out a chunk in flight, ignoring its
 * result (an aborted transaction; pg may be NULL or broken). */
void join_warnings_clear(join_warnings_t *w, PGconn *pg);

#endif
