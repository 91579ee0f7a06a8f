/* rh_metrics_kafka: see rh_metrics_kafka.h. */
#include "rh_metrics_kafka.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define LAG "riskhub_consumer_lag"
#define RTT "riskhub_kafka_broker_rtt_avg_seconds"
#define ERRS "riskhub_kafka_broker_errors_total"

static rh_metrics_t *g_sink; /* the one reporting consumer's (rh_metrics_kafka.h) */

static const rh_metric_def_t FAMILIES[] = {
    {LAG, RH_METRIC_GAUGE,
     "records after the consumer's position in each assigned partition, "
     "to the last stable offset"},
    {"riskhub_kafka_brokers_up", RH_METRIC_GAUGE,
     "brokers the client is connected to (state UP)"},
    {RTT, RH_METRIC_GAUGE,
     "average request round trip per broker"},
    {ERRS, RH_METRIC_COUNTER,
     "request errors per broker: kind tx, rx or timeout"},
    {"riskhub_kafka_replyq", RH_METRIC_GAUGE,
     "operations waiting in librdkafka's queue to the application"},
    {"riskhub_kafka_rebalances_total", RH_METRIC_COUNTER,
     "the consumer group's rebalances seen by this member"},
    {"riskhub_kafka_assigned_partitions", RH_METRIC_GAUGE,
     "partitions assigned to this member"},
    {"riskhub_kafka_stats_timestamp_seconds", RH_METRIC_GAUGE,
     "when librdkafka made the last statistics report (Unix time)"},
};

static double num(json_t *o, const char *key, double dflt) {
  json_t *v = json_object_get(o, key);
  return json_is_number(v) ? json_number_value(v) : dflt;
}

static const char *str(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

/* Consecutive reports with brokers known and none up, a client each
 * (one reporting consumer per process: see the header). */
static _Thread_local int reports_down;

static void brokers(rh_metrics_t *m, json_t *bs, const char *client) {
  const char *key;
  json_t *b;
  char l[512];
  int up = 0, known = 0;
  json_object_foreach(bs, key, b) {
    /* the brokers themselves, not the bootstrap entries or the coordinator's alias */
    if (num(b, "nodeid", -1) < 0 || strcmp(str(b, "source"), "logical") == 0) continue;
    const char *name = str(b, "nodename");
    known++;
    if (strcmp(str(b, "state"), "UP") == 0) up++;
    json_t *rt = json_object_get(b, "rtt");
    double rtt = json_is_object(rt) ? num(rt, "avg", -1) : -1; /* microseconds */
    if (rtt >= 0)
      rh_metrics_set(m, RTT, rh_metrics_labels(l, sizeof l, 2, "client", client, "broker", name),
                     rtt / 1e6);
    static const char *const kinds[][2] = {{"txerrs", "tx"}, {"rxerrs", "rx"},
                                           {"req_timeouts", "timeout"}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
      rh_metrics_set(m, ERRS,
                     rh_metrics_labels(l, sizeof l, 3, "client", client, "broker", name, "kind",
                                       kinds[k][1]),
                     num(b, kinds[k][0], 0));
  }
  rh_metrics_set(m, "riskhub_kafka_brokers_up", rh_metrics_labels(l, sizeof l, 1, "client", client),
                 up);
  /* one report without a broker may be a reconnection; two in a row (at
   * least statistics.interval.ms apart) are an outage */
  reports_down = known > 0 && up == 0 ? reports_down + 1 : 0;
  if (reports_down >= RH_METRICS_KAFKA_DOWN_REPORTS) {
    char why[200];
    snprintf(why, sizeof why, "Kafka unavailable: none of the %d broker(s) up for %d reports",
             known, reports_down);
    rh_metrics_kafka_problem(m, why);
  } else {
    rh_metrics_kafka_problem(m, NULL);
  }
}

/* librdkafka's consumer_lag counts from the consumer's own committed offset,
 * which a transactional service never has (its offsets are committed in its
 * transactions: committed_offset stays -1001). The lag here counts from the
 * consumer's position: the last stable offset (read_committed; the high
 * watermark under read_uncommitted, which ls_offset then equals) less the
 * next offset the application reads; before the first record, less the log
 * start (the services start at the earliest). -1 unknown. */
static double partition_lag(json_t *p) {
  double end = num(p, "ls_offset", -1), pos = num(p, "app_offset", -1);
  if (pos < 0) pos = num(p, "committed_offset", -1);
  if (pos < 0) pos = num(p, "lo_offset", -1);
  if (end < 0 || pos < 0) return -1;
  return end > pos ? end - pos : 0;
}

static void lags(rh_metrics_t *m, json_t *topics) {
  const char *tname, *pname;
  json_t *t, *p;
  char l[512];
  json_object_foreach(topics, tname, t) {
    json_object_foreach(json_object_get(t, "partitions"), pname, p) {
      /* assigned and fetched only: a revoked partition is "stopped" (its position
       * forgotten, its committed offset stale), one never assigned "none" */
      const char *fs = str(p, "fetch_state");
      if (strcmp(pname, "-1") == 0 || strcmp(fs, "none") == 0 || strcmp(fs, "stopping") == 0 ||
          strcmp(fs, "stopped") == 0)
        continue;
      double lag = partition_lag(p);
      if (lag < 0) continue;
      rh_metrics_set(m, LAG, rh_metrics_labels(l, sizeof l, 2, "topic", tname, "partition", pname),
                     lag);
    }
  }
}

int rh_metrics_kafka_stats(rh_metrics_t *m, const char *json, size_t len) {
  json_error_t je;
  json_t *root = json_loadb(json, len, 0, &je);
  if (!json_is_object(root) || rh_metrics_declare(m, FAMILIES, sizeof FAMILIES / sizeof FAMILIES[0])) {
    json_decref(root);
    return -1;
  }
  char lb[128];
  const char *client = str(root, "type");
  const char *l = rh_metrics_labels(lb, sizeof lb, 1, "client", client);
  rh_metrics_set(m, "riskhub_kafka_replyq", l, num(root, "replyq", 0));
  rh_metrics_set(m, "riskhub_kafka_stats_timestamp_seconds", l, num(root, "time", 0));
  rh_metrics_drop(m, RTT);
  rh_metrics_drop(m, ERRS);
  brokers(m, json_object_get(root, "brokers"), client);
  json_t *cg = json_object_get(root, "cgrp");
  if (json_is_object(cg)) {
    rh_metrics_set(m, "riskhub_kafka_rebalances_total", l, num(cg, "rebalance_cnt", 0));
    rh_metrics_set(m, "riskhub_kafka_assigned_partitions", l, num(cg, "assignment_size", 0));
  }
  rh_metrics_drop(m, LAG);
  lags(m, json_object_get(root, "topics"));
  json_decref(root);
  return 0;
}

static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
  if (g_sink) rh_metrics_kafka_stats(g_sink, json, len);
  return 0; /* librdkafka frees json */
}

int rh_metrics_kafka_attach(rh_metrics_t *m, rd_kafka_conf_t *c, int interval_ms, char *err,
                            size_t errsz) {
  char v[16];
  snprintf(v, sizeof v, "%d", interval_ms);
  if (rd_kafka_conf_set(c, "statistics.interval.ms", v, err, errsz) != RD_KAFKA_CONF_OK) return -1;
  rd_kafka_conf_set_stats_cb(c, stats_cb);
  g_sink = m;
  return 0;
}
