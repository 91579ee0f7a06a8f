/* rh_idle: see rh_idle.h. */
#include "rh_idle.h"

#include "rh_clock.h"
#include "rh_cover.h"
#include "rh_exit.h"
#include "rh_log.h"

void rh_idle_init(rh_idle_t *c, int idle_exit_ms, int wait_s) {
  int probe_ms = idle_exit_ms > 0 && idle_exit_ms / 4 < 1000 ? idle_exit_ms / 4 : 1000;
  *c = (rh_idle_t){.idle_exit_ms = idle_exit_ms, .wait_s = wait_s,
                   .probe_ms = probe_ms < 50 ? 50 : probe_ms, .last_probe = 0,
                   .idle_since = -1, .away_since = -1, .uncovered_since = -1};
}

void rh_idle_cover(rh_idle_t *c, const char *group, int wait_ms) {
  c->group = group;
  c->cover_wait_ms = wait_ms;
}

/* An idle exit once every partition of the subscription is held (rh_idle_cover). */
static rh_idle_verdict_t covered_exit(rh_idle_t *c, rd_kafka_t *consumer) {
  char err[512];
  rh_cover_t cv;
  if (rh_cover_check(consumer, c->group, 10000, &cv, err, sizeof err)) {
    rh_log_warn("not known whether every partition of the subscription is assigned (%s); "
                "all the assigned ones are at their end", err);
    return RH_IDLE_EXIT;
  }
  int64_t now = rh_mono_ms();
  if (!cv.none) {
    if (c->uncovered_since >= 0) rh_log_info("every partition of the subscription is assigned");
    c->uncovered_since = -1;
    c->rejoined = false;
    if (cv.others)
      rh_log_info("%zu of the subscription's %zu partitions are assigned to other members of "
                  "group %s: they write those",
                  cv.others, cv.total, c->group);
    return RH_IDLE_EXIT;
  }
  if (c->uncovered_since < 0) {
    c->uncovered_since = now;
    rh_log_warn("%zu of the subscription's %zu partitions are assigned to no member of group %s "
                "(%s first): not all written; %s",
                cv.none, cv.total, c->group, cv.example,
                cv.balancing ? "waiting for the group to balance" : "joining the group again");
  }
  if (!cv.balancing && !c->rejoined) {
    c->rejoined = true;
    /* the same subscription again: the group balances with the topics as they are now */
    rd_kafka_topic_partition_list_t *sub = NULL;
    if (!rd_kafka_subscription(consumer, &sub) && sub) {
      rd_kafka_resp_err_t e = rd_kafka_subscribe(consumer, sub);
      if (e) rh_log_warn("subscribing again: %s", rd_kafka_err2str(e));
    }
    if (sub) rd_kafka_topic_partition_list_destroy(sub);
  }
  c->idle_since = -1;
  if (now - c->uncovered_since >= c->cover_wait_ms) {
    rh_log_error("%zu partitions of the subscription (%s first) still assigned to no member "
                 "after %d ms: their records are not written",
                 cv.none, cv.example, c->cover_wait_ms);
    return RH_IDLE_AWAY;
  }
  return RH_IDLE_GO_ON;
}

void rh_idle_busy(rh_idle_t *c) { c->idle_since = -1; }

rh_idle_verdict_t rh_idle_step(rh_idle_t *c, rh_end_state_t st, bool known, int64_t now,
                               const char *why) {
  if (st != RH_END_AT_END && st != RH_END_UNKNOWN) rh_log_debug("not idle: %s", why);
  if (st != RH_END_AT_END)
    c->idle_since = -1;
  else if (c->idle_since < 0)
    c->idle_since = now;
  if (st == RH_END_UNKNOWN && known) {
    if (c->away_since < 0) {
      rh_log_warn("%s; the idle clock is paused", why);
      c->away_since = now;
    }
  } else if (st != RH_END_UNKNOWN) {
    if (c->away_since >= 0) rh_log_info("the broker answers again");
    c->away_since = -1;
  }
  if (c->wait_s >= 0 && c->away_since >= 0 && now - c->away_since >= (int64_t)c->wait_s * 1000) {
    rh_log_error("Kafka away for more than %d s: %s", c->wait_s, why);
    return RH_IDLE_AWAY;
  }
  if (c->idle_exit_ms > 0 && c->idle_since >= 0 && now - c->idle_since >= c->idle_exit_ms)
    return RH_IDLE_EXIT;
  return RH_IDLE_GO_ON;
}

rh_idle_verdict_t rh_idle_quiet(rh_idle_t *c, const rh_end_t *e, rd_kafka_t *probe,
                                int timeout_ms, rd_kafka_message_t *m) {
  if (m && m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    rh_log_debug("consumer: %s", rd_kafka_message_errstr(m)); /* not created yet */
  else if (m && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
    rh_log_warn("consumer: %s", rd_kafka_message_errstr(m));
  if (m) rd_kafka_message_destroy(m);
  if ((c->idle_exit_ms <= 0 && c->wait_s < 0) || rh_mono_ms() - c->last_probe < c->probe_ms)
    return RH_IDLE_GO_ON;
  char err[1024];
  rh_end_state_t st = rh_end_check(e, probe, timeout_ms, err, sizeof err);
  c->last_probe = rh_mono_ms();
  return rh_idle_step(c, st, e->known, c->last_probe, err);
}

rh_idle_verdict_t rh_idle_poll(rh_idle_t *c, rh_end_t *e, rd_kafka_t *consumer, int poll_ms,
                               rd_kafka_t *probe, int timeout_ms, rd_kafka_message_t **rec) {
  rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, poll_ms);
  rh_end_note(e, m);
  *rec = NULL;
  if (m && !m->err) {
    rh_idle_busy(c);
    *rec = m;
    return RH_IDLE_GO_ON;
  }
  rh_idle_verdict_t v = rh_idle_quiet(c, e, probe, timeout_ms, m);
  return v == RH_IDLE_EXIT && c->group ? covered_exit(c, consumer) : v;
}

bool rh_idle_stops(rh_idle_verdict_t v, int *rc, bool *idle) {
  if (v == RH_IDLE_AWAY) *rc = RH_EXIT_UNAVAILABLE;
  else if (v == RH_IDLE_EXIT) *idle = true;
  return v != RH_IDLE_GO_ON;
}
