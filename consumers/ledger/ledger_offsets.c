/* ledger_offsets: see ledger_offsets.h and docs/ledger.md. */
#include "ledger_offsets.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_arrays.h"
#include "rh_array.h"
#include "rh_err.h"
#include "rh_pg.h"

void ledger_offsets_init(ledger_offsets_t *o) { memset(o, 0, sizeof *o); }

void ledger_offsets_free(ledger_offsets_t *o) {
  free(o->p);
  memset(o, 0, sizeof *o);
}

void ledger_offsets_clear(ledger_offsets_t *o) { o->n = 0; }

static ledger_pos_t *find(const ledger_offsets_t *o, const char *topic, int32_t partition) {
  for (size_t i = 0; i < o->n; i++)
    if (o->p[i].partition == partition && strcmp(o->p[i].topic, topic) == 0) return &o->p[i];
  return NULL;
}

static ledger_pos_t *add(ledger_offsets_t *o, const char *topic, int32_t partition) {
  if (strlen(topic) >= sizeof o->p[0].topic) return NULL;
  if (RH_ARRAY_RESERVE(o->p, o->n + 1, o->cap, 64)) return NULL;
  ledger_pos_t *p = &o->p[o->n++];
  snprintf(p->topic, sizeof p->topic, "%s", topic);
  p->partition = partition;
  p->first = p->next = -1;
  return p;
}

int64_t ledger_offsets_get(const ledger_offsets_t *o, const char *topic, int32_t partition) {
  const ledger_pos_t *p = find(o, topic, partition);
  return p ? p->next : -1;
}

int ledger_offsets_set(ledger_offsets_t *o, const char *topic, int32_t partition, int64_t next) {
  ledger_pos_t *p = find(o, topic, partition);
  if (!p && !(p = add(o, topic, partition))) return -1;
  p->next = next;
  return 0;
}

int ledger_offsets_span(ledger_offsets_t *o, const char *topic, int32_t partition, int64_t offset) {
  ledger_pos_t *p = find(o, topic, partition);
  if (!p) {
    if (!(p = add(o, topic, partition))) return -1;
    p->first = offset;
  }
  p->next = offset + 1;
  return 0;
}

int ledger_offsets_load(ledger_offsets_t *o, PGconn *pg, const char *consumer, char *errstr,
                        size_t errstr_size) {
  const char *params[1] = {consumer};
  PGresult *r = rh_pg_exec_params(pg,
                                  "SELECT topic, partition, next_offset FROM ledger_offsets "
                                  "WHERE consumer = $1",
                                  1, params, errstr, errstr_size);
  if (!r) return -1;
  ledger_offsets_clear(o);
  int rc = 0;
  for (int i = 0; i < PQntuples(r) && rc == 0; i++)
    if (ledger_offsets_set(o, PQgetvalue(r, i, 0), (int32_t)atol(PQgetvalue(r, i, 1)),
                           strtoll(PQgetvalue(r, i, 2), NULL, 10))) {
      rh_errf(errstr, errstr_size, "out of memory");
      rc = -1;
    }
  PQclear(r);
  return rc;
}

#define STORE_SQL                                                                             \
  "WITH u AS (SELECT * FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) "      \
  "AS u(topic, part, first, next)) "                                                          \
  "INSERT INTO ledger_offsets AS o (consumer, topic, partition, next_offset) "                \
  "SELECT $1, topic, part, next FROM u "                                                      \
  "ON CONFLICT (consumer, topic, partition) DO UPDATE "                                       \
  "SET next_offset = EXCLUDED.next_offset, updated_at = now() "                               \
  "WHERE o.next_offset <= (SELECT u.first FROM u WHERE u.topic = EXCLUDED.topic "            \
  "AND u.part = EXCLUDED.partition)"

int ledger_offsets_store(const ledger_offsets_t *spans, PGconn *pg, const char *consumer,
                         char *errstr, size_t errstr_size) {
  if (spans->n == 0) return 0;
  ledger_arrays_t a;
  ledger_arrays_init(&a, 4);
  int rc = -1;
  char part[16], first[24], next[24];
  for (size_t i = 0; i < spans->n; i++) {
    snprintf(part, sizeof part, "%d", (int)spans->p[i].partition);
    snprintf(first, sizeof first, "%" PRId64, spans->p[i].first);
    snprintf(next, sizeof next, "%" PRId64, spans->p[i].next);
    const char *v[4] = {spans->p[i].topic, part, first, next};
    if (ledger_arrays_add(&a, v)) goto oom;
  }
  const char *params[5] = {consumer};
  for (int i = 0; i < 4; i++)
    if (!(params[i + 1] = ledger_arrays_literal(&a, i))) goto oom;
  PGresult *r = rh_pg_exec_params(pg, STORE_SQL, 5, params, errstr, errstr_size);
  if (r) {
    rc = strtoull(PQcmdTuples(r), NULL, 10) == spans->n ? 0 : 1;
    PQclear(r);
  }
  ledger_arrays_free(&a);
  return rc;
oom:
  ledger_arrays_free(&a);
  rh_errf(errstr, errstr_size, "out of memory");
  return -1;
}
