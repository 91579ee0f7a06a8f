/*
 * alerts_store: the alerts of one output batch of riskhub-alerts, copied out of
 * the Avro values they were decoded into, with the place each alert itself
 * came from (topic, partition, offset), and their order for display: grouped
 * by township and household, unmatched persons last.
 *
 * Ownership: the store owns everything in it (an arena of strings); items
 * and their strings stay valid until alerts_store_clear() or
 * alerts_store_free(). alerts_store_free(NULL) does nothing.
 */
#ifndef ALERTS_STORE_H
#define ALERTS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "rh_alert.h"

typedef struct {
  rh_alert_t a;       /* every string (and the facts) owned by the store */
  const char *topic;  /* where this alert is: its own topic, partition, offset */
  int32_t partition;
  int64_t offset;
} alerts_item_t;

typedef struct alerts_block_s alerts_block_t; /* private */

typedef struct {
  alerts_item_t *items;
  size_t n, cap;
  alerts_block_t *blocks; /* private: the arena */
} alerts_store_t;

void alerts_store_init(alerts_store_t *s);
/* Copy a (and its facts) into the store. 0, or -1 (out of memory, errstr). */
int alerts_store_add(alerts_store_t *s, const rh_alert_t *a, const char *topic, int32_t partition,
                     int64_t offset, char *errstr, size_t errstr_size);
/* Forget the items; memory is kept for the next batch. */
void alerts_store_clear(alerts_store_t *s);
void alerts_store_free(alerts_store_t *s);

/* Display order (stable, deterministic): alerts with a household first, by
 * township code, household id, then within a household by severity (high,
 * medium, low, anything else), period, department, feed, person ID number,
 * alert id; then the alerts without a household (UNMATCHED) by person ID
 * number, period, department, feed, alert id. Cannot fail. */
void alerts_store_sort(alerts_store_t *s);

/* Severity rank for ordering: high 3, medium 2, low 1, other/NULL 0. */
int alerts_severity_rank(const char *severity);

/* Do two items belong to the same display group (the same household of the
 * same township; for alerts without a household, the same person)? */
int alerts_same_group(const alerts_item_t *x, const alerts_item_t *y);

#endif
