/*
 * rh_idle: the clocks of a service's quiet polls (riskhub-join,
 * riskhub-ledger; docs/join.md, "Exits"):
 *
 * - the idle clock of --idle-exit-ms runs only while a broker that answers
 *   says that every assigned partition is at its end (rh_end_check); any
 *   record, any partition behind, any unanswered check stops it;
 * - the away clock of --wait-s runs while the broker does not answer (after an
 *   assignment came: before it nothing is known) and stops when it answers.
 *
 * The input is checked at most every probe_ms (a quarter of --idle-exit-ms,
 * 50 ms to 1 s), and only when one of the clocks is wanted.
 *
 * Ownership: rh_idle_t is the caller's, plain data (no free). Threads: the
 * service's main thread. Logs: WARN when the broker stops answering ("the
 * idle clock is paused"), INFO when it answers again, ERROR at an away exit;
 * nothing personal (topic names and counts).
 */
#ifndef RH_IDLE_H
#define RH_IDLE_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

#include "rh_end.h"

typedef struct {
  int idle_exit_ms;   /* > 0: exit once idle this long */
  int wait_s;         /* >= 0: exit once the broker is away longer */
  int probe_ms;       /* how often the input is checked */
  int64_t last_probe; /* rh_mono_ms of the last check */
  int64_t idle_since; /* -1: not idle */
  int64_t away_since; /* -1: the broker answers */
  const char *group;  /* set: an exit first asks that every partition of the
                         subscription is held by a member (rh_cover) */
  int64_t uncovered_since; /* -1: none seen unheld */
  bool rejoined;           /* subscribed again for this episode */
  int cover_wait_ms;  /* unheld this long: exit RH_IDLE_AWAY (not all written) */
} rh_idle_t;

typedef enum {
  RH_IDLE_GO_ON = 0, /* keep polling */
  RH_IDLE_EXIT,      /* idle for idle_exit_ms: the service exits 0 if all else is well */
  RH_IDLE_AWAY       /* the broker away for longer than wait_s: exit RH_EXIT_UNAVAILABLE */
} rh_idle_verdict_t;

void rh_idle_init(rh_idle_t *c, int idle_exit_ms, int wait_s);

/* Before an idle exit, ask that every partition of the consumer's
 * subscription is assigned to a member of group (rh_cover.h): while some is
 * assigned to none, the service is not idle (a topic made after the group
 * balanced: librdkafka is told of it and rebalances); still so after
 * wait_ms, the verdict is RH_IDLE_AWAY with an error saying what was not
 * written. group is borrowed. */
void rh_idle_cover(rh_idle_t *c, const char *group, int wait_ms);

/* A record came: the idle clock stops. */
void rh_idle_busy(rh_idle_t *c);

/* A poll that gave no record: m is NULL or an event (logged: a partition's
 * EOF is not, a topic not created yet at DEBUG, anything else at WARN; then
 * destroyed). Checks the input through probe (a read_committed handle that
 * does not fetch, timeout_ms a query) when due, and moves the clocks. */
rh_idle_verdict_t rh_idle_quiet(rh_idle_t *c, const rh_end_t *e, rd_kafka_t *probe,
                                int timeout_ms, rd_kafka_message_t *m);

/* One poll of the consumer (poll_ms), noted in e: a record is returned in
 * *rec (the caller's to destroy; the idle clock stops), anything else (no
 * message, an event) goes through rh_idle_quiet and *rec is NULL. */
rh_idle_verdict_t rh_idle_poll(rh_idle_t *c, rh_end_t *e, rd_kafka_t *consumer, int poll_ms,
                               rd_kafka_t *probe, int timeout_ms, rd_kafka_message_t **rec);

/* What a service's poll loop does with a verdict: false go on; true stop,
 * with *idle = true (RH_IDLE_EXIT: the service exits 0 if all else is well)
 * or *rc = RH_EXIT_UNAVAILABLE (RH_IDLE_AWAY). */
bool rh_idle_stops(rh_idle_verdict_t v, int *rc, bool *idle);

/* The clocks' step (pure but for its logs): a check said st at now (ms);
 * known: an assignment was received; why: the check's message. */
rh_idle_verdict_t rh_idle_step(rh_idle_t *c, rh_end_state_t st, bool known, int64_t now,
                               const char *why);

#endif
