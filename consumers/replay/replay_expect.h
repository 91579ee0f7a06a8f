/*
 * replay_expect: what the join's rules give for the month's records
 * (docs/replay.md, "How the replay decides"). It runs the join's OWN code
 * (join_transform.h for every record, join_checks.h for the check lists)
 * with a sink that keeps the outputs in replay_stores instead of producing
 * them, the registry as it is now (rh_regmap), and created_at 0.
 *
 * Dedup as live: an alert id is made once, by the first record that raises
 * it in its partition's offset order, and a re-published batch adds nothing.
 * The records of one ID number share a partition of their feed topic, and an
 * alert id is made of the ID number, the feed and the month, so ids never
 * repeat across partitions: the records can be split by partition into
 * shards, each with its own join_transform, join_idset and store, and the
 * shards run in threads of their own (replay_expect_record is thread-safe
 * for different shards; the registry is only read). Check lists: the first
 * list of a check feed and month gives the results (batches in manifest
 * order, replay_batches_sort), made after every record was read.
 *
 * Usage: new → prepare (after the batches are known and sorted) →
 * set_registry → record()* (each record of a kept batch, each partition in
 * order, a partition always in the same shard) → checks() → merge() (the
 * counts into the report) → stores for replay_compare → destroy.
 *
 * Ownership: borrows cfg, schemas, report and batches; owns the stores.
 */
#ifndef REPLAY_EXPECT_H
#define REPLAY_EXPECT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "join_transform.h"
#include "replay_batches.h"
#include "rh_msg.h"
#include "replay_report.h"
#include "replay_store.h"
#include "rh_regmap.h"

typedef struct replay_expect replay_expect_t;

/* nshards >= 1; expected: records the month holds (sizes the tables). */
replay_expect_t *replay_expect_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                   replay_report_t *rep, replay_batches_t *batches,
                                   size_t nshards, char *errstr, size_t errstr_size);
void replay_expect_destroy(replay_expect_t *e);

/* The report's rows of the batches (batches, rejects, records in the
 * manifests); the tables sized for the records the manifests promise.
 * 0, or -1 out of memory. */
int replay_expect_prepare(replay_expect_t *e, char *errstr, size_t errstr_size);

void replay_expect_set_registry(replay_expect_t *e, const rh_regmap_t *map);

/* The report's feed index of batch i. */
size_t replay_expect_feed_of(const replay_expect_t *e, size_t batch);

/* One record of batch `batch`, in shard `shard`. 0, or -1 with errstr (out
 * of memory). */
int replay_expect_record(replay_expect_t *e, size_t shard, const rh_msg_t *m, size_t batch,
                         char *errstr, size_t errstr_size);

/* Are there check lists among the batches? */
bool replay_expect_has_checks(const replay_expect_t *e);

/* The check lists' results (after every record), applicants of the period
 * from pg (needed only if replay_expect_has_checks). 0, or -1 with errstr. */
int replay_expect_checks(replay_expect_t *e, PGconn *pg, const char *period, char *errstr,
                         size_t errstr_size);

/* Add the shards' counts (records, alerts and check results expected,
 * dead letters) to the report. Once, after checks(). */
void replay_expect_merge(replay_expect_t *e);

/* The stores (one a shard). */
size_t replay_expect_shards(const replay_expect_t *e);
replay_store_t *replay_expect_store(replay_expect_t *e, size_t shard);

/* What the join's code counted, all shards (records, alerts, unmatched,
 * no_rule, duplicates, dlq, check_records, identity, checks). */
void replay_expect_counts(const replay_expect_t *e, join_counts_t *out);

#endif
