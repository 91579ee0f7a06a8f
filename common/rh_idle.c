/* rh_idle: see rh_idle.h. */
#include "rh_idle.h"

#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_log.h"

void rh_idle_init(rh_idle_t *c, int idle_exit_ms, int wait_s) {
  int probe_ms = idle_exit_ms > 0 && idle_exit_ms / 4 < 1000 ? idle_exit_ms / 4 : 1000;
  *c = (rh_idle_t){.idle_exit_ms = idle_exit_ms, .wait_s = wait_s,
                   .probe_ms = probe_ms < 50 ? 50 : probe_ms, .last_probe = 0,
                   .idle_since = -1, .away_since = -1};
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
  return rh_idle_quiet(c, e, probe, timeout_ms, m);
}

bool rh_idle_stops(rh_idle_verdict_t v, int *rc, bool *idle) {
  if (v == RH_IDLE_AWAY) *rc = RH_EXIT_UNAVAILABLE;
  else if (v == RH_IDLE_EXIT) *idle = true;
  return v != RH_IDLE_GO_ON;
}
