/*
 * health_judge: riskhub-health's decisions, pure (docs/operations.md, "The
 * hub's health"): which topics and groups are the hub's, what a partition's
 * two samples of last stable offset (LSO) and high watermark (HW) say about
 * its transactions, how far a group is behind, whether a topic keeps its
 * records as long as the configuration asks, whether a month's archive is
 * overdue.
 *
 * No allocation, no I/O; thread-safe; nothing fails.
 */
#ifndef HEALTH_JUDGE_H
#define HEALTH_JUDGE_H

#include <stdbool.h>
#include <stdint.h>

/* The broker aborts a transaction whose producer outlived its
 * transaction.timeout.ms at its next check, every
 * transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s by
 * default): a transaction is hanging only once it is older than the timeout
 * plus this. */
#define HEALTH_ABORT_GRACE_MS 10000

typedef enum {
  HEALTH_TXN_NONE,   /* LSO == HW: nothing open */
  HEALTH_TXN_OPEN,   /* LSO < HW: a transaction in flight (normal while producers work) */
  HEALTH_TXN_HANGING /* LSO stayed at one value below HW for the whole window, and the
                        transaction there is older than its timeout allows */
} health_txn_t;

/* A riskhub topic of the namespace prefix: prefix followed by feed.*,
 * alerts.*, checks.*, riskhub.* (riskhub.dlq) or riskhub-* (internal
 * topics). Never a topic of another namespace ("rhtest-1a2b.feed.x" is not
 * one of the prefix ""'s) nor Kafka's own (__consumer_offsets). */
bool health_judge_hub_topic(const char *prefix, const char *topic);

/* A riskhub consumer group of the namespace: prefix followed by riskhub
 * (riskhub-join, riskhub-join.reader, riskhub-alerts...). */
bool health_judge_hub_group(const char *prefix, const char *group);

/* An input topic of riskhub-join (its subscription): prefix followed by
 * feed.<department>.<name> ([a-z0-9-]+ each: the feeds, the department's
 * manifests and rejects). The join's
 * group, <prefix>riskhub-join, is listed with all of them, committed on or
 * not: a list the join never read is lag too. */
bool health_judge_join_input(const char *prefix, const char *topic);

/* One partition's transactions from two samples window_ms apart: (lso0, hw0)
 * first, (lso1, hw1) second. age_ms: how long the transaction at lso1 has
 * been open (now - the timestamp of the record at lso1), < 0 unknown: then
 * the window is all that is known of its age. limit_ms: the age beyond which
 * an open transaction hangs (the producers' transaction timeout plus
 * HEALTH_ABORT_GRACE_MS). Offsets < 0 (no answer) give NONE: the caller
 * reports an unreachable broker instead. */
health_txn_t health_judge_txn(int64_t lso0, int64_t hw0, int64_t lso1, int64_t hw1,
                              int64_t age_ms, int64_t window_ms, int64_t limit_ms);

/* Records a group has still to read in one partition: from its committed
 * offset (or, none committed or older than the low watermark, from the low
 * watermark: where a reader with auto.offset.reset=earliest starts) up to the
 * LSO (what a read_committed reader can read). Never negative; -1 when the
 * LSO is unknown. Offsets, not records: transaction markers count. */
int64_t health_judge_lag(int64_t committed, int64_t low, int64_t lso);

/* The lag once the first record a read_committed reader gets from start is
 * known: first = its offset, first >= lso (or the reader reached the end
 * first: pass lso) when nothing is left but commit markers and aborted
 * records; first < 0 when not known (the lag stays lso - start). So a group
 * that read everything has lag 0 even though the commit marker after its
 * last record lies between its committed offset and the LSO. */
int64_t health_judge_lag_read(int64_t start, int64_t lso, int64_t first);

/* Does a topic keep its records shorter than the configuration asks?
 * want_ms/have_ms: retention.ms, -1 forever; have_ms < -1: not known (never
 * short: the report says unknown). */
bool health_judge_retention_short(int64_t want_ms, int64_t have_ms);

/* The nightly archive timer's day: a month is overdue this long after it
 * became due (docker/riskhub-archive.timer runs once a night). */
#define HEALTH_ARCHIVE_SLACK_MS (24LL * 3600 * 1000)

/* Is a month without its archive overdue? due_ms: when it became due (its
 * lists' deadline plus archive.grace, rh_archive_month_due); now_ms: UTC. */
bool health_judge_archive_overdue(int64_t due_ms, int64_t now_ms);

const char *health_judge_txn_name(health_txn_t t); /* "ok", "open", "hanging" */

#endif
