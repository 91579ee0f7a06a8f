/*
 * join_checks: the applicant comparisons (docs/join.md, "Records"; issue 4).
 *
 * A check feed's BatchManifest on its department's manifests topic closes that list for its
 * period. Then, for every household that applied in that period
 * (registry table applications) and every member of it, one CheckResult to
 * checks.<township>, keyed by household id: matched with the department's
 * facts and the record's lineage if the member is in the batch, else not
 * matched. The batch's records are read back by the offsets the manifest
 * gives (read_committed, filtered by batch id), so the result never depends
 * on the order in which the join consumed the feed and the manifests.
 *
 * complete / missing_departments: the check feeds (in config order) with no
 * list of the period arrived by then; complete when none.
 * Issue 11: join_checks_manifest issues the results of the period's state at
 * the list's finished_at — its own, then again those of the other check
 * feeds' current lists (read back by their manifests' ranges, kept from the
 * manifests read before); a later list of the same feed and period (a correction) is that feed's current
 * list from then on. Ids and supersedes: join_checkstate.h. A CheckResult id
 * (check_id) already published is not published again, so a list handled again
 * changes nothing. A match is a reason for review, never an exclusion.
 *
 * The list functions below (riskhub-replay) make a list's first issue only.
 */
#ifndef JOIN_CHECKS_H
#define JOIN_CHECKS_H

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "join_transform.h"

typedef struct join_checks join_checks_t;

/* A batch's records in one partition, first..last (BatchManifest.partitions). */
typedef struct {
  int32_t partition;
  int64_t first, last;
} join_range_t;
#define JOIN_RANGES_MAX 1024 /* partitions of a feed topic */

/* The ranges of a decoded BatchManifest into r (at most max): their count, or
 * -1 (none given, or more than max). */
int join_checks_manifest_ranges(avro_value_t *manifest, join_range_t *r, size_t max);

/* One record of a batch read back: 0, or -1 out of memory (the read stops). */
typedef int(join_checks_record_fn)(void *arg, const rh_feedrecord_t *r, int32_t partition,
                                   int64_t offset);
/* Read the records of batch_id in ranges of topic with the join's batch
 * reader (read_committed; an undecodable record is passed over: it went to the
 * DLQ when consumed), fn each. 0, or -1 with errstr (not all read within 30 s). */
int join_checks_read_batch(join_checks_t *c, const char *topic, const join_range_t *ranges,
                           size_t n, const char *batch_id, join_checks_record_fn *fn, void *arg,
                           char *errstr, size_t errstr_size);

/* reader_conf: a Kafka configuration for the batch reader (taken), or NULL
 * for no reader (riskhub-replay, which reads the batch itself and uses the
 * list functions below; join_checks_manifest then fails). NULL with errstr on
 * failure. */
join_checks_t *join_checks_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                               join_idset_t *ids, rd_kafka_conf_t *reader_conf, char *errstr,
                               size_t errstr_size);
void join_checks_destroy(join_checks_t *c);

/* Record that the list of department/feed for period arrived at `at` (its
 * manifest's finished_at; the rebuild at start, and the refresh below).
 * Committed at once. */
int join_checks_note_arrived(join_checks_t *c, const char *department, const char *feed,
                             const char *period, int64_t at);

/* A list's complete/missing_departments name the check lists that had not
 * arrived when it arrived, by the lists' times (issue 11: by the order the
 * join met their manifests, a list that arrived earlier on another partition
 * was named missing). fn is called before any manifest is handled (once a
 * transaction: the chain, rh_chain, is judged by what it reads), to note
 * (join_checks_note_arrived) every believed manifest there is; 0, or -1 with
 * errstr (the transaction is aborted). Without it, the arrivals noted so far. */
typedef int(join_checks_arrivals_fn)(void *arg, join_checks_t *c, char *errstr,
                                     size_t errstr_size);
void join_checks_on_arrivals(join_checks_t *c, join_checks_arrivals_fn *fn, void *arg);

/* Handle one message of a manifests topic. An undecodable one goes to the DLQ
 * (through t). 0 handled, or -1 with errstr: abort the transaction (a send
 * failed, the batch could not be read, or PostgreSQL failed: see
 * rh_pg_connection_lost(pg)). */
int join_checks_manifest(join_checks_t *c, join_transform_t *t, const join_input_t *in,
                         PGconn *pg, const join_sink_t *sink, int64_t now_ms, char *errstr,
                         size_t errstr_size);

/* ---- one list whose records the caller reads (join_checks_manifest does
 * the same with its reader; riskhub-replay from the broker or an archive) ----
 *
 *   res = join_checks_applicants(pg, period, ...);
 *   join_checks_list_begin(c);
 *   for each record of the batch: join_checks_list_record(c, &r, partition, offset);
 *   join_checks_list_results(c, t, feed, period, batch_id, res, sink, now_ms, ...);
 */

/* The applicant members of period (registry tables applications, households,
 * members), one row a member in the order results are made: household_id,
 * township_code, village, id_number, name, relation. The caller PQclears it.
 * NULL with errstr (see rh_pg_connection_lost). */
PGresult *join_checks_applicants(PGconn *pg, const char *period, char *errstr,
                                 size_t errstr_size);

/* Forget the records of the previous list. */
void join_checks_list_begin(join_checks_t *c);

/* One record of the list's batch (the caller filters by batch id); the first
 * record of an ID number is the match. r's strings are copied. 0, or -1 out
 * of memory. */
int join_checks_list_record(join_checks_t *c, const rh_feedrecord_t *r, int32_t partition,
                            int64_t offset);

/* The list of feed for period (batch batch_id, records on feed->topic,
 * finished at arrived_at) is complete: note its arrival, then one CheckResult
 * a row of applicants whose check_id was not published before
 * (t->counts.duplicates otherwise), with complete/missing_departments: the
 * check lists noted with a time after arrived_at, or not at all. Results and
 * counts as join_checks_manifest. 0, or -1 with errstr (a send failed, out of
 * memory). */
int join_checks_list_results(join_checks_t *c, join_transform_t *t, const rh_config_feed_t *feed,
                             const char *period, const char *batch_id, int64_t arrived_at,
                             PGresult *applicants, const join_sink_t *sink, int64_t now_ms,
                             char *errstr, size_t errstr_size);

/* The arrivals noted since the last commit are kept / forgotten. */
void join_checks_commit(join_checks_t *c);
void join_checks_rollback(join_checks_t *c);

/* Decode a BatchManifest's department, feed, kind, period and finished_at (for
 * the rebuild and the refresh), read from the manifests topic of m; a check
 * list's batch id and ranges are kept for its results issued again. 0, or -1 if
 * it is not one or is not believed (signed lists; not on its department's
 * manifests topic), -2 out of memory (the caller fails the read: a chain
 * short of a link would send the next list to the DLQ). Strings copied into
 * the buffers. A believed one is also a link of the chain join_checks_manifest
 * judges by (rh_chain). */
int join_checks_peek_manifest(join_checks_t *c, const rd_kafka_message_t *m, char *dept,
                              char *feed, char *kind, char *period, size_t each_size,
                              int64_t *finished_at);

#endif
