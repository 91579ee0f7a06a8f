/*
 * alerts_audit: the record of every unmasked export (PIPL art. 28: keep a
 * record of who saw full ID numbers). Table unmasked_exports, migration
 * consumers/registry/migrations/004_exports.sql; docs/alerts.md, "Unmasked exports".
 *
 * riskhub-alerts writes one row per output batch that holds records (a
 * one-shot run: one row; --follow: one per batch), and COMMITS it before the
 * first unmasked byte of that batch is written. If the row cannot be written,
 * the batch is not written either.
 *
 * Ownership: nothing returned needs freeing; the info's strings are borrowed.
 */
#ifndef ALERTS_AUDIT_H
#define ALERTS_AUDIT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "alerts_store.h"

typedef struct {
  const char *run_id;        /* 32 hex digits, one per riskhub-alerts run */
  const char *os_user;       /* the OS account running the program */
  const char *operator_name; /* --operator, or NULL */
  const char *hostname;
  const char *const *townships; /* township codes asked for (--township / --all) */
  size_t township_count;
  bool unmatched;            /* alerts.unmatched too */
  const char *group;         /* consumer group (group mode), or NULL */
  const char *from_date;     /* window: --from as YYYY-MM-DD, or NULL */
  const char *period;        /* window: --period, or NULL */
  const char *format;        /* table | jsonl | csv */
  const char *destination;   /* the output file, or "stdout" */
} alerts_audit_info_t;

typedef enum {
  ALERTS_AUDIT_OK = 0,
  ALERTS_AUDIT_AWAY,        /* PostgreSQL away (connection lost or refused) */
  ALERTS_AUDIT_NOT_MIGRATED,/* no unmasked_exports table: run riskhub-registry migrate */
  ALERTS_AUDIT_FAILED       /* the statement failed otherwise */
} alerts_audit_status_t;

/* Is the table there? (Before anything is read from Kafka.) */
alerts_audit_status_t alerts_audit_check(PGconn *conn, char *errstr, size_t errstr_size);

/* Insert and commit (autocommit) the row for items[0..n) (n > 0): the
 * record count and, as JSON, the topic/partition/first/last offset ranges the
 * records came from. *export_id (if not NULL) = the row's id. On a lost
 * connection it resets the connection once and retries. */
alerts_audit_status_t alerts_audit_record(PGconn *conn, const alerts_audit_info_t *info,
                                          const alerts_item_t *items, size_t n,
                                          long long *export_id, char *errstr,
                                          size_t errstr_size);

/* The ranges JSON for items (tests; used by alerts_audit_record):
 * [{"topic":"alerts.411024100","partition":0,"first":12,"last":40,"count":9},...]
 * sorted by topic and partition. malloc'd string, NULL when out of memory. */
char *alerts_audit_ranges_json(const alerts_item_t *items, size_t n);

#endif
