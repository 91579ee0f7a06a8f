/*
 * identity_publish: the month's discrepancies onto the township topics
 * identity.<township>, exactly once (docs/identity.md, "Exactly once"): as the
 * identity party (svc.identity), transactional id riskhub-identity (a second
 * run fences the first, whose open transaction is aborted), every identity
 * topic read back read_committed for the last version of each key, then every
 * new version in one transaction.
 */
#ifndef IDENTITY_PUBLISH_H
#define IDENTITY_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity_find.h"
#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_discrepancy.h"

/* The last version of a key on the topics (the highest version). */
typedef struct {
  char id[RH_SHA256_HEXSZ];
  char content[RH_SHA256_HEXSZ];
  char topic[256];
  rh_disc_status_t status;
  int64_t version, since;
  /* what a CLOSED version repeats */
  char *kind, *period, *township, *household, *person, *registry_value, *list_value, *department,
      *feed;
} identity_last_t;

/* A version to send. */
typedef struct {
  rh_discrepancy_t rec;
  char topic[256];
  char content[RH_SHA256_HEXSZ];
} identity_item_t;

typedef struct {
  identity_item_t *v;
  size_t n, cap;
  size_t unchanged; /* findings whose last version says the same */
} identity_items_t;

/* What to send for period: OPEN for a finding whose key has no version or a
 * CLOSED one; UPDATED for one whose content changed; CLOSED then OPEN when its
 * township (its topic) changed; CLOSED for a key of the month still open,
 * of a feed in compared[], that was not found. now stamps created_at (and
 * since of an OPEN). 0, or -1 out of memory. */
int identity_decide(const rh_config_t *cfg, const char *period, const identity_findings_t *found,
                    const rh_config_feed_t *const *compared, size_t ncompared,
                    const identity_last_t *last, size_t nlast, int64_t now,
                    identity_items_t *items);
void identity_items_free(identity_items_t *items);

/* A township's figures of a run (the last one: identity.unmatched). */
typedef struct {
  size_t open;                     /* standing after the run (found) */
  size_t opened, updated, closed;  /* versions sent */
} identity_tally_t;

/* Reads the topics, decides and sends. The exit code (0, 69 the broker away,
 * 77 refused, 78 configuration, 70 internal) with errstr; tally (township_count
 * + 1 of them, in the configuration's order, zeroed by the caller) says what
 * was found and sent (sent only when 0 is returned). */
int identity_publish(const rh_config_t *cfg, const rh_avro_schemas_t *schemas, const char *period,
                     const identity_findings_t *found, const rh_config_feed_t *const *compared,
                     size_t ncompared, int timeout_ms, identity_tally_t *tally, char *errstr,
                     size_t errstr_size);

#endif
