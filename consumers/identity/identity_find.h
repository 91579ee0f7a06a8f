/*
 * identity_find: the discrepancies of a month's identity lists against the
 * registry (join_identity's comparison, docs/identity.md), collected, each
 * once: every person of a list (the first row of a person stands), then every
 * registry household a list covers, then every person the list files with
 * another registry household (join_identity_list_moved). A person the list files under a
 * household's 户号 whom the registry lacks is MEMBER_MISSING_FROM_REGISTRY
 * only (that says more than NOT_IN_REGISTRY, which is dropped for them).
 */
#ifndef IDENTITY_FIND_H
#define IDENTITY_FIND_H

#include <stddef.h>

#include "join_identity.h"
#include "rh_config.h"
#include "rh_feedrecord.h"
#include "rh_regmap.h"

typedef struct {
  join_identity_discrepancy_t d;
  char id[RH_SHA256_HEXSZ]; /* join_identity_id */
  const rh_config_feed_t *feed;
  char batch_id[RH_SHA256_HEXSZ];
  size_t seq; /* the order found */
} identity_found_t;

typedef struct {
  identity_found_t *v; /* sorted by id after identity_find_done */
  size_t n, cap;
  join_identity_counts_t counts;
  /* the list being read (identity_find_record), its feed and batch */
  join_identity_list_t *list;
  const rh_config_feed_t *feed;
  const char *batch_id, *period;
  size_t duplicates; /* rows of a person named before (the first stands) */
} identity_findings_t;

/* 0, or -1 out of memory. */
int identity_find_init(identity_findings_t *f, const char *period);
void identity_find_free(identity_findings_t *f);

/* A new list (feed, batch): its persons are indexed apart from another list's. */
int identity_find_list(identity_findings_t *f, const rh_config_feed_t *feed, const char *batch_id);

/* One record of the current list. 0, or -1 with errstr (out of memory; an ID
 * number that is not one: the producer lets none through). */
int identity_find_record(identity_findings_t *f, const rh_config_t *cfg, const rh_regmap_t *map,
                         const rh_feedrecord_t *r, char *errstr, size_t errstr_size);

/* The current list's households (call after its last record). 0, or -1. */
int identity_find_households(identity_findings_t *f, const rh_regmap_t *map, char *errstr,
                             size_t errstr_size);

/* Sorted by id, each id once (the first list's stands), NOT_IN_REGISTRY of a
 * MEMBER_MISSING_FROM_REGISTRY dropped. */
void identity_find_done(identity_findings_t *f);

#endif
