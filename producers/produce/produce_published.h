/*
 * produce_published: has this batch been published already? (docs/producer.md,
 * "Publishing the same list again")
 *
 * Reads every committed BatchManifest of the department's feed.<dept>.manifests
 * (in the configuration's topic prefix), read_committed and without a group
 * (rh_kafka_read_topics), and
 * keeps those whose batch_id is the one asked for: when each was finished, its
 * counts and the offsets its records went to. Reading all manifests costs one
 * pass over a small topic (a few hundred manifests a month at a county's scale,
 * well under a second); docs/producer.md says where an index would be needed.
 *
 * riskhub-produce calls produce_published_find after rh_producer_txn_init and
 * before beginning its transaction: init has fenced any earlier producer of the
 * same feed (one transactional id a feed) and completed or aborted its open
 * transaction, so every manifest of this batch id that can ever commit is
 * visible to the read, and no other can commit until this producer is fenced.
 *
 * Ownership: produce_published_new returns an object the caller owns
 * (produce_published_destroy; NULL does nothing); it borrows the schema set,
 * which must outlive it. Strings it holds are its own.
 * Threads: one object, one thread.
 * Failure: 0 ok, -1 with errstr (broker unreachable, out of memory). A message
 * of the manifests topic that is not a BatchManifest is skipped and counted, never
 * an error. Nothing here holds personal data (manifests carry none).
 */
#ifndef PRODUCE_PUBLISHED_H
#define PRODUCE_PUBLISHED_H

#include <stddef.h>
#include <stdint.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_hash.h"
#include "rh_manifest.h"

#define PRODUCE_PUBLISHED_RANGES 64 /* partition ranges kept of the first manifest */

typedef struct {
  int32_t partition;
  int64_t first_offset, last_offset, count;
} produce_published_range_t;

/* What is known of the batch's manifests. */
typedef struct {
  size_t found;           /* committed manifests with this batch id */
  uint64_t unreadable;    /* manifests-topic messages that are not BatchManifests */
  /* the first manifest found (the earliest published, by finished_at) */
  int64_t finished_at;    /* UTC ms */
  int64_t rows_total, rows_accepted, rows_rejected;
  char topic[256];
  char source_name[256];
  int32_t m_partition;    /* where the manifest itself is on its manifests topic */
  int64_t m_offset;
  produce_published_range_t ranges[PRODUCE_PUBLISHED_RANGES];
  size_t nranges;         /* ranges kept */
  size_t nranges_all;     /* ranges in the manifest (more than kept: "..." ) */
  int64_t last_finished_at; /* the latest, when found > 1 */
  /* with produce_published_trust: */
  size_t refused;         /* manifests of the feed that do not verify (forged, altered) */
  bool prev_found;        /* a manifest of the feed is believed: the chain's last link */
  int64_t prev_finished_at;
  char prev_link[RH_SHA256_HEXSZ]; /* its link hash (rh_manifest_link) */
} produce_published_info_t;

typedef struct produce_published produce_published_t;

/* An empty lookup for batch_id (64 hex digits). NULL with errstr if the
 * schemas lack BatchManifest or memory is short. */
produce_published_t *produce_published_new(const rh_avro_schemas_t *schemas, const char *batch_id,
                                           char *errstr, size_t errstr_size);
void produce_published_destroy(produce_published_t *p);

/* Believe only manifests that verify (rh_manifest_check against keys when they
 * hold a key of department; else signed by own, the department's own key; with
 * neither, every manifest, as before signed lists), and keep the chain's last
 * link of department/feed: the believed manifest of that feed finished last.
 * A forged manifest with this batch id no longer makes the batch "published
 * already". keys and own are borrowed (either may be NULL). */
void produce_published_trust(produce_published_t *p, const char *department, const char *feed,
                             const rh_manifest_keys_t *keys, const rh_sign_pub_t *own);

/* One message of a manifests topic (its value bytes, where it was). A manifest of
 * this batch is noted; anything else is ignored (undecodable: counted). 0, or
 * -1 only when out of memory. */
int produce_published_add(produce_published_t *p, const void *value, size_t len,
                          int32_t partition, int64_t offset);

/* Read the whole of the department's manifests topic and add every message
 * (each checked as read from that topic). The topic not existing yet is not an
 * error (nothing was published). 0, or -1 with errstr. */
int produce_published_find(produce_published_t *p, const rh_config_t *cfg,
                           const rh_config_department_t *dept, char *errstr,
                           size_t errstr_size);

/* What has been found so far (found == 0: not published). Borrowed. */
const produce_published_info_t *produce_published_info(const produce_published_t *p);

/* For the clerk, one line: when the batch was published (finished_at, local
 * time with its UTC offset), counts, where its records are, and how to send it
 * again. Truncated to out_size. */
void produce_published_describe(const produce_published_info_t *in, char *out, size_t out_size);

#endif
