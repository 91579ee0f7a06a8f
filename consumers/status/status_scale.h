/*
 * status_scale: the scale risks (规模性返贫风险, docs/scale.md) of the report's
 * month(s) as riskhub-status lists them (docs/status.md, "Scale risks"): of
 * every ScaleRisk version on the county topic riskhub.scale-risks, the LAST
 * version of each scale_risk_id whose period is one of the report's months
 * and that was sent by the as-of (created_at), and of those the ones not
 * CLEARED.
 *
 * The versions of one key follow each other on the topic's one partition; the
 * highest version is taken as the last whatever the order they are added in
 * (a tie: the one added later).
 *
 * Pure: no Kafka (status_scale_read.h reads the topic into it), so the unit
 * tests need no broker. Ownership: the list owns copies of the strings;
 * status_scale_free on a zeroed list is fine. Not thread-safe.
 */
#ifndef STATUS_SCALE_H
#define STATUS_SCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_scale.h"
#include "status_report.h"

typedef struct {
  char id[RH_SCALE_ID_HEXSZ];
  char *rule_id, *period, *place_level, *township_code, *village; /* village "" for a township */
  rh_scale_status_t status;
  int64_t version, households, place_households;
  double baseline;
  int64_t since, created_at; /* UTC ms */
} status_scale_item_t;

typedef struct {
  status_scale_item_t *v; /* the last version of each key (after finish: sorted) */
  size_t n, cap;
  bool read;              /* the topic was read (a missing topic counts as read: none) */
  char why[256];          /* !read: why not (for the report's note) */
  uint64_t versions;      /* versions of the report's months by the as-of */
  uint64_t after_as_of;   /* versions of the report's months sent after the as-of */
  uint64_t undecodable;   /* messages that are not ScaleRisk records (skipped) */
} status_scale_t;

/* One version read from the topic: kept when its period is one of r's months
 * and created_at <= r->as_of_ms, replacing an earlier version of its key.
 * 0, or -1 out of memory. */
int status_scale_add(status_scale_t *s, const status_report_t *r, const rh_scale_record_t *rec);

/* Sort for the report: period, township in the configuration's order (others
 * after, by code), village, rule. */
void status_scale_finish(status_scale_t *s, const rh_config_t *cfg);

/* Keys whose last version is not CLEARED (the ones listed). */
size_t status_scale_open(const status_scale_t *s);

void status_scale_free(status_scale_t *s);

#endif
