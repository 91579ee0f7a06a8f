/*
 * scale_publish: the month's scale risks onto the county topic
 * riskhub.scale-risks, exactly once (docs/scale.md, "Exactly once"): as the
 * scale party (svc.scale), transactional id riskhub-scale (a second run fences
 * the first, whose open transaction is aborted), the topic read back
 * read_committed for the last version of each key, then every new version in
 * one transaction.
 */
#ifndef SCALE_PUBLISH_H
#define SCALE_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_scale.h"
#include "scale_judge.h"

/* A version to send, or one on the topic already. */
typedef struct {
  rh_scale_record_t rec;
  char id[RH_SCALE_ID_HEXSZ];
  char content[RH_SHA256_HEXSZ];
  bool send; /* false: the topic's last version says the same */
  char *owned[5]; /* a CLEARED version's strings, copied from the last version */
} scale_item_t;

typedef struct {
  scale_item_t *v;
  size_t n;
} scale_items_t;

/* Reads the topic, decides (scale_decide) and sends. The exit code (0, 69
 * the broker away, 77 refused, 78 configuration, 70 internal) with errstr;
 * items are what was decided (sent only when 0 is returned). */
int scale_publish(const rh_config_t *cfg, const rh_avro_schemas_t *schemas, const char *period,
                  const scale_found_list_t *found, int timeout_ms, scale_items_t *items,
                  char *errstr, size_t errstr_size);
void scale_items_free(scale_items_t *items);

/* The last version of a key on the topic. */
typedef struct {
  char id[RH_SCALE_ID_HEXSZ];
  char content[RH_SHA256_HEXSZ];
  rh_scale_status_t status;
  int64_t version, since, place_households;
  char *rule_id, *township, *village, *period, *level;
} scale_last_t;

/* What to send for period, given the month's findings and the last versions
 * on the topic (any months): a RAISED version for a finding whose key has none
 * or a CLEARED one, UPDATED for one whose content changed, nothing for one the
 * same; CLEARED for a key of the month still open whose rule (of cfg) no
 * longer crosses. now stamps created_at (and since of a RAISED one). 0, or -1
 * out of memory. */
int scale_decide(const rh_config_t *cfg, const char *period, const scale_found_list_t *found,
                 const scale_last_t *last, size_t nlast, int64_t now, scale_items_t *items);

#endif
