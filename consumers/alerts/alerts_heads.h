/*
 * alerts_heads: the name of each household's head, for the table a township
 * official reads (docs/alerts.md, "Names"). An Alert names the person a
 * department listed, who may be any member; the head's name comes from the
 * registry in PostgreSQL (the view household_heads of migration 007:
 * households.head_id_number -> members.name; the township's role reads the view,
 * not the registry), read for the households of one output batch in one query. The query returns names
 * only: no ID number leaves the database.
 *
 * Ownership: the set owns its strings; alerts_heads_get returns a pointer
 * valid until the next load or alerts_heads_free. alerts_heads_free(NULL) and
 * of a zeroed set are fine.
 */
#ifndef ALERTS_HEADS_H
#define ALERTS_HEADS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "alerts_store.h"

typedef struct {
  char *household_id;
  char *name;
} alerts_head_t;

typedef struct {
  alerts_head_t *v; /* sorted by household_id */
  size_t n;
} alerts_heads_t;

/* Replace the set's contents with the heads of the households of items[0..n)
 * (alerts without a household are skipped). A household the registry does not
 * know (any more) is simply absent. 0, or -1 with errstr (SQLSTATE and the
 * server's message; the set is then empty). */
int alerts_heads_load(PGconn *conn, const alerts_item_t *items, size_t n, alerts_heads_t *h,
                      char *errstr, size_t errstr_size);

/* Add one pair (tests; the loader). 0, or -1 out of memory. Keeps the order
 * only if added in household_id order; alerts_heads_load sorts. */
int alerts_heads_add(alerts_heads_t *h, const char *household_id, const char *name);

/* The head's name, or NULL. h may be NULL. */
const char *alerts_heads_get(const alerts_heads_t *h, const char *household_id);

void alerts_heads_free(alerts_heads_t *h);

#endif
