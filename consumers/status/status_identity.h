/*
 * status_identity: the identity discrepancies (docs/identity.md) of the
 * report's month(s) as riskhub-status counts them (docs/status.md, "Identity
 * discrepancies"): of every Discrepancy version on the township topics
 * identity.<township> and identity.unmatched, the LAST version of each
 * discrepancy_id whose period is one of the report's months and that was sent
 * by the as-of (created_at); the keys whose last version is not CLOSED are
 * open, counted per township and kind.
 *
 * A key's versions may be on two townships' topics (the registry moved the
 * person: CLOSED on the old one, OPEN on the new): the highest version is the
 * last whatever the order they are added in (a tie: the one added later), and
 * its township_code says whose it is (a code the configuration does not know,
 * or none: the unmatched row, the county office's).
 *
 * Only counts are kept: no ID number, no name, no value leaves this module.
 *
 * Pure: no Kafka (status_identity_read.h reads the topics into it), so the
 * unit tests need no broker. status_identity_free on a zeroed one is fine.
 * Not thread-safe.
 */
#ifndef STATUS_IDENTITY_H
#define STATUS_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_discrepancy.h"
#include "status_report.h"

typedef struct {
  char id[RH_SHA256_HEXSZ];
  int64_t version;
  rh_disc_status_t status;
  int kind;   /* rh_disc_kind_index; -1: a kind this program does not know */
  size_t row; /* the township's index in the configuration; township_count: unmatched */
} status_identity_item_t;

typedef struct {
  status_identity_item_t *v; /* the last version of each key */
  size_t n, cap;
  size_t nrows;     /* after finish: the configuration's townships + 1 (unmatched, last) */
  uint64_t *counts; /* after finish: [row * STATUS_IDENTITY_NCOUNT + c], c below */
  bool read;        /* the topics were read (topics that do not exist count as read: none) */
  char why[256];    /* !read: why not (for the report's note) */
  uint64_t versions;    /* versions of the report's months by the as-of */
  uint64_t after_as_of; /* versions of the report's months sent after the as-of */
  uint64_t undecodable; /* messages that are not Discrepancy records (skipped) */
} status_identity_t;

/* The counts of a row: open ones of each kind (0 .. RH_DISC_KIND_COUNT - 1),
 * open ones of every kind (also kinds this program does not know), closed. */
enum {
  STATUS_IDENTITY_OPEN = RH_DISC_KIND_COUNT,
  STATUS_IDENTITY_CLOSED,
  STATUS_IDENTITY_NCOUNT
};

/* One version read from a topic: kept when its period is one of r's months
 * and created_at <= r->as_of_ms, replacing an earlier version of its key
 * (cfg: r->cfg). 0, or -1 out of memory. */
int status_identity_add(status_identity_t *s, const status_report_t *r,
                        const rh_discrepancy_t *rec);

/* The counts per row. 0, or -1 out of memory. */
int status_identity_finish(status_identity_t *s, const rh_config_t *cfg);

/* A count of row (after finish; 0 out of range). */
uint64_t status_identity_count(const status_identity_t *s, size_t row, size_t c);

/* Keys whose last version is not CLOSED, every row (after finish). */
uint64_t status_identity_open(const status_identity_t *s);

void status_identity_free(status_identity_t *s);

#endif
