/*
 * identity_source: the month's identity list of a feed, as the broker holds it
 * (docs/identity.md, "Which list"): the believed manifest (signed by the
 * department, rh_manifest_check) of (department, feed, month) that finished
 * last is the list; its FeedRecords are read back from the feed's topic,
 * read_committed (the records and their manifest are one transaction of
 * riskhub-produce), and must be as many as the manifest accepted.
 */
#ifndef IDENTITY_SOURCE_H
#define IDENTITY_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_feedrecord.h"
#include "rh_hash.h"
#include "rh_manifest.h"

typedef struct {
  bool found;
  char batch_id[RH_SHA256_HEXSZ];
  int64_t rows_accepted, finished_at;
  size_t refused; /* manifests of the feed and month not believed (logged) */
} identity_batch_t;

/* One record of the list; non-zero stops the read (-1 returned). */
typedef int(identity_record_fn)(void *arg, const rh_feedrecord_t *r);

/* The list of feed for period into out (out->found false: none yet). The exit
 * code: 0, 69 (the broker), 77 (refused), 70 (out of memory), with errstr. */
int identity_source_batch(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                          const rh_manifest_keys_t *keys, const rh_config_feed_t *feed,
                          const char *period, identity_batch_t *out, char *errstr,
                          size_t errstr_size);

/* Every FeedRecord of batch on feed's topic, in the topic's order, to fn;
 * 65 (with errstr) when they are not rows_accepted many (a list the broker
 * does not hold whole: retention, or a topic changed by hand). Exit codes as
 * above. */
int identity_source_records(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                            const rh_config_feed_t *feed, const identity_batch_t *batch,
                            identity_record_fn *fn, void *arg, char *errstr, size_t errstr_size);

#endif
