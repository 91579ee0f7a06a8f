/* status_read: see status_read.h. */
#include "status_read.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_kafka_read.h"
#include "rh_avro_codec.h"
#include "rh_avro_value.h"
#include "rh_clock.h"
#include "rh_err.h"
#include "rh_kafka.h"
#include "rh_log.h"
#include "rh_manifest.h"

#define TOPIC_MAX 256
#define LOG_BAD_MAX 5 /* undecodable messages logged one by one, then only counted */

typedef enum { T_MANIFESTS, T_ALERTS, T_CHECKS } topic_kind_t;

typedef struct {
  char name[TOPIC_MAX];
  topic_kind_t kind;
  size_t row; /* township index, or STATUS_UNMATCHED */
} topic_t;

enum { M_BATCH, M_DEPT, M_FEED, M_PERIOD, M_TOTAL, M_ACCEPTED, M_REJECTED, M_FINISHED, M_N };
enum { A_ID, A_HOUSEHOLD, A_PERIOD, A_CREATED, A_WITHDRAWS, A_N };
enum { C_ID, C_PERIOD, C_MATCHED, C_CREATED, C_SUPERSEDES, C_N };

typedef struct {
  status_report_t *r;
  status_read_stats_t *st;
  topic_t *topics;
  size_t ntopics;
  rh_avro_decoder_t *dec;
  const rh_avro_schema_t *bm, *al, *cr;
  avro_value_t bmv, alv, crv;
  int mi[M_N], ai[A_N], ci[C_N];
  bool oom;
  const rh_config_t *cfg;
  rh_manifest_keys_t *keys; /* the departments' public keys (signed lists) */
} reader_t;

static const char *const M_NAMES[M_N] = {"batch_id",      "department",    "feed",
                                         "period",        "rows_total",    "rows_accepted",
                                         "rows_rejected", "finished_at"};
static const char *const A_NAMES[A_N] = {"alert_id", "household_id", "period", "created_at",
                                         "withdraws"};
static const char *const C_NAMES[C_N] = {"check_id", "period", "matched", "created_at",
                                         "supersedes"};

static void bad(reader_t *x, const rd_kafka_message_t *m, const char *why) {
  x->st->undecodable++;
  if (x->st->undecodable <= LOG_BAD_MAX)
    rh_log_warn("%s [%d] offset %" PRId64 ": skipped: %s", rd_kafka_topic_name(m->rkt),
                (int)m->partition, m->offset, why);
}

static const char *str(avro_value_t *v, int idx) {
  const char *s = NULL;
  size_t len;
  if (rh_avro_get_str(v, idx, &s, &len)) return NULL;
  return s;
}

static int64_t lng(avro_value_t *v, int idx, bool *ok) {
  int64_t x = 0;
  if (rh_avro_get_long(v, idx, NULL, &x)) *ok = false;
  return x;
}

static int on_message(void *arg, const rd_kafka_message_t *m) {
  reader_t *x = arg;
  const char *tn = rd_kafka_topic_name(m->rkt);
  const topic_t *t = NULL;
  for (size_t i = 0; i < x->ntopics && !t; i++)
    if (strcmp(x->topics[i].name, tn) == 0) t = &x->topics[i];
  if (!t) return 0;
  char why[256];
  bool ok = true;
  int rc = 0;
  if (!m->payload) {
    bad(x, m, "empty message");
    return 0;
  }
  switch (t->kind) {
  case T_MANIFESTS: {
    x->st->manifests++;
    if (rh_avro_decode(x->dec, m->payload, m->len, x->bm, &x->bmv, NULL, why, sizeof why)) {
      bad(x, m, why);
      return 0;
    }
    avro_value_t *v = &x->bmv;
    const char *b = str(v, x->mi[M_BATCH]), *d = str(v, x->mi[M_DEPT]),
               *f = str(v, x->mi[M_FEED]), *p = str(v, x->mi[M_PERIOD]);
    int64_t tot = lng(v, x->mi[M_TOTAL], &ok), acc = lng(v, x->mi[M_ACCEPTED], &ok),
            rej = lng(v, x->mi[M_REJECTED], &ok), fin = lng(v, x->mi[M_FINISHED], &ok);
    if (!b || !d || !f || !p || !ok) {
      bad(x, m, "a BatchManifest field is missing");
      return 0;
    }
    /* a list counts only signed by its department (a forged manifest turned a
     * late list on time, issue 12); one of no feed of the configuration is
     * left to the report, which counts none */
    if (rh_config_feed_find(x->cfg, d, f)) {
      int verdict = rh_manifest_check(x->keys, &x->bmv, tn, why, sizeof why);
      if (verdict < 0) {
        x->oom = true;
        return -1;
      }
      if (verdict) {
        if (++x->st->refused <= LOG_BAD_MAX)
          rh_log_warn("%s [%d] offset %" PRId64 ": a manifest of %s/%s not counted: %s", tn,
                      (int)m->partition, m->offset, d, f, why);
        return 0;
      }
    }
    rc = status_report_add_manifest(x->r, d, f, p, b, fin, tot, acc, rej);
    break;
  }
  case T_ALERTS: {
    x->st->alerts++;
    if (rh_avro_decode(x->dec, m->payload, m->len, x->al, &x->alv, NULL, why, sizeof why)) {
      bad(x, m, why);
      return 0;
    }
    avro_value_t *v = &x->alv;
    const char *id = str(v, x->ai[A_ID]), *hh = str(v, x->ai[A_HOUSEHOLD]),
               *p = str(v, x->ai[A_PERIOD]);
    int64_t created = lng(v, x->ai[A_CREATED], &ok);
    if (!id || !p || !ok) {
      bad(x, m, "an Alert field is missing");
      return 0;
    }
    /* a withdrawal (docs/join.md, "Corrections") raises nothing: the warning it
     * withdraws was counted when raised, as the ledger's warnings row is */
    if (str(v, x->ai[A_WITHDRAWS])) {
      return 0;
    }
    rc = status_report_add_alert(x->r, t->row, p, id, hh, created);
    break;
  }
  case T_CHECKS: {
    x->st->checks++;
    if (rh_avro_decode(x->dec, m->payload, m->len, x->cr, &x->crv, NULL, why, sizeof why)) {
      bad(x, m, why);
      return 0;
    }
    avro_value_t *v = &x->crv;
    const char *id = str(v, x->ci[C_ID]), *p = str(v, x->ci[C_PERIOD]);
    bool matched = false;
    int64_t created = lng(v, x->ci[C_CREATED], &ok);
    if (!id || !p || !ok || rh_avro_get_bool(v, x->ci[C_MATCHED], &matched)) {
      bad(x, m, "a CheckResult field is missing");
      return 0;
    }
    rc = status_report_add_check(x->r, t->row, p, id, matched, created, str(v, x->ci[C_SUPERSEDES]));
    break;
  }
  }
  if (rc) x->oom = true;
  return rc;
}

/* A topic to read: full (its whole name, the prefix included) if not NULL,
 * else name in the configuration's namespace. 0, or -1 if too long. */
static int add_topic(reader_t *x, const rh_config_t *cfg, const char *full, const char *name,
                     topic_kind_t kind, size_t row) {
  topic_t *t = &x->topics[x->ntopics];
  if (full ? snprintf(t->name, sizeof t->name, "%s", full) >= (int)sizeof t->name
           : rh_config_topic(cfg, name, t->name, sizeof t->name) != 0)
    return -1;
  t->kind = kind;
  t->row = row;
  x->ntopics++;
  return 0;
}

int status_read(const rh_config_t *cfg, const rh_avro_schemas_t *schemas, status_report_t *r,
                status_read_stats_t *stats, char *errstr, size_t errstr_size) {
  int rc = -1;
  int64_t t0 = rh_mono_ms();
  reader_t x = {.r = r, .st = stats, .cfg = cfg};
  const char **names = NULL;
  memset(stats, 0, sizeof *stats);
  x.bm = rh_avro_schemas_get(schemas, "riskhub.BatchManifest");
  x.al = rh_avro_schemas_get(schemas, "riskhub.Alert");
  x.cr = rh_avro_schemas_get(schemas, "riskhub.CheckResult");
  if (!x.bm || !x.al || !x.cr) {
    rh_errf(errstr, errstr_size, "the schemas lack BatchManifest, Alert or CheckResult");
    return -1;
  }
  if (!(x.keys = rh_manifest_keys_load(cfg, errstr, errstr_size))) return -1;
  if (rh_avro_field_indexes(x.bm->schema, M_NAMES, x.mi, M_N, errstr, errstr_size) ||
      rh_avro_field_indexes(x.al->schema, A_NAMES, x.ai, A_N, errstr, errstr_size) ||
      rh_avro_field_indexes(x.cr->schema, C_NAMES, x.ci, C_N, errstr, errstr_size)) {
    rh_manifest_keys_free(x.keys);
    return -1;
  }
  size_t cap = 2 + cfg->department_count + 2 * cfg->township_count;
  x.topics = calloc(cap, sizeof *x.topics);
  names = calloc(cap, sizeof *names);
  if (!x.topics || !names || !(x.dec = rh_avro_decoder_new(schemas)) ||
      rh_avro_schema_value_new(x.bm, &x.bmv, errstr, errstr_size) ||
      rh_avro_schema_value_new(x.al, &x.alv, errstr, errstr_size) ||
      rh_avro_schema_value_new(x.cr, &x.crv, errstr, errstr_size)) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  char name[TOPIC_MAX];
  bool long_name = false;
  for (size_t i = 0; i < cfg->department_count && !long_name; i++)
    long_name = add_topic(&x, cfg, cfg->departments[i].manifests_topic, NULL, T_MANIFESTS, i) != 0;
  /* the shared one of before 2026-12, for the months published then */
  char legacy[TOPIC_MAX];
  long_name = long_name || rh_config_legacy_topic(cfg, RH_TOPIC_MANIFESTS, legacy, sizeof legacy) ||
              add_topic(&x, cfg, legacy, NULL, T_MANIFESTS, 0) != 0;
  for (size_t i = 0; i < cfg->township_count && !long_name; i++) {
    snprintf(name, sizeof name, "alerts.%s", cfg->townships[i].code);
    long_name = add_topic(&x, cfg, NULL, name, T_ALERTS, i) != 0;
    snprintf(name, sizeof name, "checks.%s", cfg->townships[i].code);
    long_name = long_name || add_topic(&x, cfg, NULL, name, T_CHECKS, i) != 0;
  }
  if (long_name || add_topic(&x, cfg, NULL, "alerts.unmatched", T_ALERTS, STATUS_UNMATCHED(r))) {
    rh_errf(errstr, errstr_size, "a topic name is too long");
    goto out;
  }
  for (size_t i = 0; i < x.ntopics; i++) names[i] = x.topics[i].name;

  /* as the join's readers: an empty fetch returns at once (the reader stops
   * at the end of each partition) */
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(cfg, errstr, errstr_size);
  if (!conf) goto out;
  if (!rh_config_kafka_get(cfg, "fetch.wait.max.ms") &&
      (rh_kafka_conf_set(conf, "fetch.wait.max.ms", "10", errstr, errstr_size) ||
       rh_kafka_conf_set(conf, "fetch.error.backoff.ms", "10", errstr, errstr_size))) {
    rd_kafka_conf_destroy(conf);
    goto out;
  }
  size_t n = 0;
  if (rh_kafka_read_topics(conf, names, x.ntopics, NULL, on_message, &x, &n, errstr, errstr_size))
    goto out; /* errstr: the broker, or "out of memory" from a callback */
  rc = 0;
out:
  stats->seconds = (double)(rh_mono_ms() - t0) / 1000.0;
  if (x.bmv.iface) avro_value_decref(&x.bmv);
  if (x.alv.iface) avro_value_decref(&x.alv);
  if (x.crv.iface) avro_value_decref(&x.crv);
  rh_avro_decoder_destroy(x.dec);
  rh_manifest_keys_free(x.keys);
  free(x.topics);
  free(names);
  return rc;
}
