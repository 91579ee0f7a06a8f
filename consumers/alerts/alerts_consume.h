/*
 * alerts_consume: how riskhub-alerts reads the alert topics (docs/alerts.md,
 * "Reading").
 *
 * Two modes, both read_committed:
 *   - group (a dashboard): subscribe in the dashboard's own consumer group,
 *     from the group's committed offsets (a new group starts at the beginning);
 *     offsets are committed only by alerts_consumer_commit, which the caller
 *     calls after the output was written. Before partitions are taken away in
 *     a rebalance, on_revoke is called (the caller writes what it holds and
 *     commits).
 *   - window (--from / --period): assign every partition, from the first
 *     offset whose timestamp is at or after from_ms (or the beginning); never
 *     joins the group, never commits.
 * One-shot (not follow): alerts_consumer_done() says when every assigned
 * partition reached its end (the last stable offset: what was committed when
 * the read got there). Topics that do not exist yet hold nothing: a one-shot
 * read of them is done at once; --follow subscribes to them anyway and reads
 * them once the join creates them.
 *
 * Ownership: the consumer owns its librdkafka handle; messages handed out by
 * alerts_consumer_poll are the caller's (rd_kafka_message_destroy).
 * alerts_consumer_destroy(NULL) does nothing. Not thread-safe.
 */
#ifndef ALERTS_CONSUME_H
#define ALERTS_CONSUME_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"

typedef void(alerts_revoke_fn)(void *arg);

typedef struct {
  const rh_config_t *cfg;
  const char *const *topics; /* full names (prefix included) */
  size_t topic_count;
  const char *group;         /* group mode: the consumer group; NULL: window mode */
  const char *window_group;  /* window mode: a group.id librdkafka needs (never joined) */
  int64_t from_ms;           /* window: first timestamp (UTC ms) to read; -1: from the beginning */
  bool follow;               /* keep waiting at the end */
  int wait_ms;               /* give up (ALERTS_C_AWAY) after the broker was away this long */
  alerts_revoke_fn *on_revoke;
  void *arg;
} alerts_consumer_opts_t;

typedef enum {
  ALERTS_C_OK = 0,
  ALERTS_C_AWAY, /* broker away / no progress for wait_ms: exit 69 */
  ALERTS_C_ERROR, /* a fatal Kafka error or a configuration property refused: exit 70 / 78 */
  ALERTS_C_REFUSED /* the brokers refuse this party a topic (another township's): exit 77 */
} alerts_c_status_t;

typedef struct alerts_consumer_s alerts_consumer_t;

/* Connect, read the topics' metadata and subscribe (group) or assign
 * (window). NULL with *status and errstr on failure. */
alerts_consumer_t *alerts_consumer_new(const alerts_consumer_opts_t *o, alerts_c_status_t *status,
                                       char *errstr, size_t errstr_size);

/* Wait up to timeout_ms for the next alert message: ALERTS_C_OK with *out the
 * message or NULL (nothing yet, or an event such as the end of a partition
 * was handled). ALERTS_C_AWAY / ALERTS_C_ERROR with errstr otherwise. */
alerts_c_status_t alerts_consumer_poll(alerts_consumer_t *c, int timeout_ms,
                                       rd_kafka_message_t **out, char *errstr,
                                       size_t errstr_size);

/* One-shot: every assigned partition is at its end (or there was nothing to
 * read). Always false with follow. */
bool alerts_consumer_done(const alerts_consumer_t *c);

/* Every assigned partition is at its end right now (follow: a moment to write
 * what arrived). */
bool alerts_consumer_caught_up(const alerts_consumer_t *c);

/* Remember that m was handled: its offset + 1 is committed by the next
 * alerts_consumer_commit. 0, or -1 out of memory. */
int alerts_consumer_mark(alerts_consumer_t *c, const rd_kafka_message_t *m);

/* Group mode: commit the marked offsets (synchronously) and forget them.
 * Window mode: forget them. 0, or -1 with errstr. */
int alerts_consumer_commit(alerts_consumer_t *c, char *errstr, size_t errstr_size);

/* One-shot and nothing to read at all (no topic exists; a window with no
 * record in it): done without asking the broker for more. */
bool alerts_consumer_nothing(const alerts_consumer_t *c);

/* Number of partitions assigned now (window: those with something to read). */
size_t alerts_consumer_assigned(const alerts_consumer_t *c);

/* Leave the group (nothing is committed here) and free everything. */
void alerts_consumer_destroy(alerts_consumer_t *c);

#endif
