/*
 * ledger_offsets: where riskhub-ledger stands in each partition, as
 * PostgreSQL's ledger_offsets table says (migration 005): the next offset to
 * read. The ledger seeks there on every assignment and after every outage,
 * never to Kafka's committed offsets (docs/ledger.md). The same list type
 * holds a batch's span in each partition (first offset read, next offset).
 *
 * Ownership: ledger_offsets_t is the caller's (init / free); topic names are
 * copied. One thread. Failure: -1 for memory, or with errstr for PostgreSQL
 * (rh_pg_connection_lost tells an outage from a statement error).
 */
#ifndef LEDGER_OFFSETS_H
#define LEDGER_OFFSETS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  char topic[256];
  int32_t partition;
  int64_t first; /* a batch's span: the first offset read; else unused (-1) */
  int64_t next;  /* the next offset to read */
} ledger_pos_t;

typedef struct {
  ledger_pos_t *p;
  size_t n, cap;
} ledger_offsets_t;

void ledger_offsets_init(ledger_offsets_t *o);
void ledger_offsets_free(ledger_offsets_t *o);
void ledger_offsets_clear(ledger_offsets_t *o);
/* The next offset of topic/partition, -1 when none is known. */
int64_t ledger_offsets_get(const ledger_offsets_t *o, const char *topic, int32_t partition);
/* Set the next offset (added if new). 0 or -1. */
int ledger_offsets_set(ledger_offsets_t *o, const char *topic, int32_t partition, int64_t next);
/* A batch read offset `offset` of topic/partition: the span's first stays, its
 * next becomes offset + 1. 0 or -1. */
int ledger_offsets_span(ledger_offsets_t *o, const char *topic, int32_t partition, int64_t offset);

/* Replace o with what ledger_offsets holds for consumer. 0, or -1 with errstr. */
int ledger_offsets_load(ledger_offsets_t *o, PGconn *pg, const char *consumer, char *errstr,
                        size_t errstr_size);

/* Inside the batch's transaction: store each span's next offset for consumer,
 * but only where the stored one is not beyond the span's first offset (a
 * partition another instance wrote further meanwhile is refused). 0 all
 * stored, 1 refused (roll back), -1 with errstr. */
int ledger_offsets_store(const ledger_offsets_t *spans, PGconn *pg, const char *consumer,
                         char *errstr, size_t errstr_size);

#endif
