/*
 * replay_batches: the batches of the month being replayed, from their
 * BatchManifests on the departments' feed.<dept>.manifests (docs/replay.md, "What is read").
 *
 * A manifest is kept when its period is the replay's and its department /
 * feed pass the filters. Each kept manifest is one batch (a list published
 * twice has two manifests with the same batch id and two sets of offsets:
 * two batches here). Its records are found by the offset ranges it names,
 * filtered by batch id, since the ranges of concurrent batches may
 * interleave: replay_batches_find() says which batch a record belongs to.
 *
 * Order (replay_batches_sort): as the manifests were written (message
 * timestamp, then partition, then offset): the order in which the live join
 * met the check lists (only the first list of a check feed and month gives
 * results). Batch indexes are stable after sorting.
 *
 * Ownership: the set owns its batches and their strings; pointers stay
 * valid until replay_batches_destroy(). Not thread-safe, except
 * replay_batches_claim (below), which only reads.
 */
#ifndef REPLAY_BATCHES_H
#define REPLAY_BATCHES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_msg.h"
#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_hash.h"

typedef struct {
  int32_t partition;
  int64_t first, last; /* offsets, inclusive */
  int64_t count;       /* records of the batch in the range, as the manifest says */
  int64_t seen;        /* records of the batch found in the range (replay_batches_add_seen) */
} replay_range_t;

typedef struct {
  char batch_id[RH_SHA256_HEXSZ];
  char *department, *feed, *kind, *period, *topic, *source_name;
  int64_t rows_total, rows_accepted, rows_rejected, started_at, finished_at;
  replay_range_t *ranges;
  size_t nranges;
  const rh_config_feed_t *cfg_feed; /* NULL: not a feed of the configuration */
  /* the manifest message itself */
  int32_t m_partition;
  int64_t m_offset, m_timestamp;
  uint64_t records; /* records of the batch read (replay_batches_add_seen) */
  char records_sha256[RH_SHA256_HEXSZ]; /* as the manifest signs it; "" unsigned (v1) */
  size_t range_base; /* its first range's index among all batches' ranges */
} replay_batch_t;

typedef struct replay_batches replay_batches_t;

/* A manifest of the month that is not believed (rh_manifest_check: not
 * signed by its department, forged or altered): not a batch, reported. */
#define REPLAY_FORGED_KEPT 64 /* described one by one; more are only counted */
typedef struct {
  char department[65], feed[65]; /* as the manifest says ('?' for odd characters) */
  char topic[256];                /* where it was; "" for a batch's own department's topic */
  int32_t partition;
  int64_t offset;
  char reason[400];
} replay_forged_t;

/* dept / feed: filters, NULL for all. schemas must hold riskhub.BatchManifest
 * and outlive the set. NULL with errstr. */
replay_batches_t *replay_batches_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                     const char *period, const char *dept, const char *feed,
                                     char *errstr, size_t errstr_size);
void replay_batches_destroy(replay_batches_t *b);

/* One message of a manifests topic (m->topic, its carrier). 1 kept, 0 not (another period, filtered
 * out, not a BatchManifest: counted in *unreadable; refused: counted and
 * described, replay_batches_forged), -1 out of memory. */
int replay_batches_add(replay_batches_t *b, const rh_msg_t *m, char *errstr,
                       size_t errstr_size);

/* Sort into manifest order (above). Call once all are added. */
void replay_batches_sort(replay_batches_t *b);

size_t replay_batches_count(const replay_batches_t *b);
replay_batch_t *replay_batches_at(replay_batches_t *b, size_t i);

/* The month's manifests that were refused (*n: how many are described in the
 * returned array, at most REPLAY_FORGED_KEPT); the return's count is all. */
uint64_t replay_batches_forged(const replay_batches_t *b, const replay_forged_t **list,
                               size_t *n);

/* Manifests-topic messages that could not be decoded. */
uint64_t replay_batches_unreadable(const replay_batches_t *b);

/* The earliest started_at of the period's manifests, filters or not (the
 * published outputs of the month cannot be older); -1 if there is none. */
int64_t replay_batches_earliest(const replay_batches_t *b);

/* A caller's cache for replay_batches_claim (the batches of the last topic
 * asked for): one per thread, zeroed before the first use, freed with
 * replay_claim_cache_free. */
typedef struct {
  char name[512];
  size_t *cand;
  size_t ncand, cap;
  int valid;
} replay_claim_cache_t;
void replay_claim_cache_free(replay_claim_cache_t *c);

/* The batch that a record at topic/partition/offset with batch id bid belongs
 * to (its range holds the offset), or -1 if none; *range (may be NULL) = the
 * range's index among all ranges (replay_batches_ranges). Only reads the
 * set: thread-safe with a cache a thread, once all batches are added and
 * sorted. The caller counts what it claimed, by range, and adds the counts
 * up with replay_batches_add_seen. */
long replay_batches_claim(replay_batches_t *b, replay_claim_cache_t *cache, const char *topic,
                          int32_t partition, int64_t offset, const char *bid, size_t bid_len,
                          size_t *range);

/* All batches' ranges (the size of a counts array for replay_batches_add_seen). */
size_t replay_batches_ranges(const replay_batches_t *b);

/* Add counts[i] records to range i (and to its batch's records). */
void replay_batches_add_seen(replay_batches_t *b, const uint64_t *counts);

/* What to read: per topic and partition, from the lowest first offset to the
 * highest last offset of the batches. *out is malloc'd (free it with
 * replay_batches_free_plan); n parts. -1 out of memory. */
typedef struct {
  const char *topic; /* a batch's */
  int32_t partition;
  int64_t first, last;
} replay_part_t;
int replay_batches_plan(const replay_batches_t *b, replay_part_t **out, size_t *n);
void replay_batches_free_plan(replay_part_t *p);

#endif
