/*
 * web_db: riskhub-web's PostgreSQL connections, as riskhub_web (migration
 * 009), a few kept open and lent to the request threads one at a time.
 * Connected when first needed, so the server starts and says "waiting for
 * PostgreSQL" while the database is away; a connection found broken is
 * dropped when given back.
 */
#ifndef WEB_DB_H
#define WEB_DB_H

#include <libpq-fe.h>
#include <stddef.h>

typedef struct web_db web_db_t;

/* A pool of at most size connections to conninfo; NULL only out of memory. */
web_db_t *web_db_new(const char *conninfo, int size);
/* A connection (waiting up to wait_ms for one to be free), or NULL with err
 * ("PostgreSQL unavailable: ..."). Give it back with web_db_give. */
PGconn *web_db_take(web_db_t *db, int wait_ms, char *err, size_t errsz);
void web_db_give(web_db_t *db, PGconn *c);
void web_db_free(web_db_t *db);

#endif
