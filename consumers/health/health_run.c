/* health_run: see health_run.h. */
#include "health_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health_archive.h"
#include "health_probe.h"
#include "health_report.h"
#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_log.h"

/* The producers' transaction timeout: the option, else the config's
 * kafka.transaction.timeout.ms, else riskhub's 60 s. */
static int64_t txn_timeout(const health_opts_t *o) {
  return o->txn_timeout_ms >= 0 ? o->txn_timeout_ms : rh_config_txn_timeout_ms(o->cfg);
}

int health_run(const health_opts_t *o) {
  char err[512];
  int rc = RH_EXIT_UNAVAILABLE;
  health_state_t s = {0};
  const char *prefix = o->cfg->topic_prefix;
  rd_kafka_t *unc = rh_kafka_query_handle(o->cfg, "read_uncommitted", err, sizeof err);
  rd_kafka_t *com = unc ? rh_kafka_query_handle(o->cfg, "read_committed", err, sizeof err) : NULL;
  rd_kafka_t *adm = com ? rh_kafka_admin_handle(o->cfg, err, sizeof err) : NULL;
  if (!unc || !com || !adm) {
    rh_log_error("%s", err);
    rc = RH_EXIT_CONFIG; /* a kafka: property librdkafka refused */
    goto out;
  }
  if (health_probe_topics(unc, prefix, &s, o->timeout_ms, err, sizeof err) ||
      health_probe_sample(unc, com, &s, 1, o->timeout_ms, err, sizeof err))
    goto failed;
  int64_t t0 = rh_mono_ms();
  /* a window without anything open needs no wait */
  bool any = false;
  for (size_t i = 0; i < s.n; i++) any |= s.parts[i].lso0 < s.parts[i].hw0;
  if (any) rh_sleep_ms(o->window_ms); /* no signal handler here: whole */
  int64_t window = rh_mono_ms() - t0;
  if (health_probe_sample(unc, com, &s, 0, o->timeout_ms, err, sizeof err)) goto failed;
  health_summary_t sum = {.prefix = prefix, .window_ms = window,
                          .limit_ms = txn_timeout(o) + HEALTH_ABORT_GRACE_MS,
                          .max_lag = o->max_lag, .now_wall_ms = rh_wall_ms()};
  if (health_probe_txn_age(unc, &s, sum.now_wall_ms, o->timeout_ms)) {
    snprintf(err, sizeof err, "out of memory");
    goto failed;
  }
  for (size_t i = 0; i < s.n; i++) {
    health_part_t *p = &s.parts[i];
    /* a window without anything open at the start says nothing of age:
     * only the record's timestamp can make it hanging then */
    p->txn = health_judge_txn(p->lso0, p->hw0, p->lso, p->hw, p->age_ms, any ? window : 0,
                              sum.limit_ms);
    if (p->txn == HEALTH_TXN_OPEN) sum.open++;
    if (p->txn == HEALTH_TXN_HANGING) sum.hanging++;
  }
  if (health_probe_lag(adm, com, prefix, &s, o->timeout_ms, err, sizeof err)) goto failed;
  for (size_t i = 0; i < s.nlags; i++)
    if (o->max_lag >= 0 && s.lags[i].lag > o->max_lag) sum.lag_over++;
  if (health_probe_retention(adm, prefix, &o->cfg->topics, &s, o->timeout_ms, err, sizeof err))
    goto failed;
  for (size_t i = 0; i < s.nrets; i++) sum.retention_short += s.rets[i].short_;
  if (health_probe_archive(o->cfg, sum.now_wall_ms, o->timeout_ms, &s)) {
    snprintf(err, sizeof err, "out of memory");
    goto failed;
  }
  sum.archive_overdue = s.archive_noverdue;
  sum.config_path = o->config_path;
  if ((o->json ? health_report_json : health_report_table)(stdout, &s, &sum) ||
      fflush(stdout)) {
    rh_log_error("the report could not be written");
    rc = RH_EXIT_IOERR;
    goto out;
  }
  rc = health_summary_unhealthy(&sum) ? RH_EXIT_UNHEALTHY
     : *s.archive_error              ? RH_EXIT_UNAVAILABLE
                                     : RH_EXIT_OK;
  if (*s.archive_error) rh_log_error("the monthly archive is not known: %s", s.archive_error);
  goto out;
failed:
  if (strstr(err, "out of memory")) {
    rc = RH_EXIT_SOFTWARE;
  } else {
    rh_log_error("the broker did not answer: %s", err);
    rc = RH_EXIT_UNAVAILABLE;
  }
out:
  health_state_free(&s);
  if (adm) rd_kafka_destroy(adm);
  if (com) rd_kafka_destroy(com);
  if (unc) rd_kafka_destroy(unc);
  return rc;
}
