/* ledger_loop: see ledger_loop.h and docs/ledger.md. */
#include "ledger_loop.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_batch.h"
#include "ledger_offsets.h"
#include "rh_avro_schema.h"
#include "rh_clock.h"
#include "rh_end.h"
#include "rh_err.h"
#include "rh_exit.h"
#include "rh_idle.h"
#include "rh_kafka.h"
#include "ledger_metrics.h"
#include "rh_log.h"
#include "rh_metrics_kafka.h"
#include "rh_pg.h"

#define NAME_LEN 256
#define QUERY_TIMEOUT_MS 2000
/* a partition of the subscription held by no member this long at an idle exit: exit 69 */
#define COVER_WAIT_MS 60000

typedef struct {
  const ledger_opts_t *o;
  const rh_config_t *cfg;
  rh_avro_schemas_t *schemas;
  PGconn *pg;
  rd_kafka_t *consumer;
  rd_kafka_t *probe; /* read_committed, no group: the watermark queries */
  ledger_batch_t *batch;
  ledger_offsets_t pos; /* where PostgreSQL says the ledger stands */
  rh_end_t end;
  char group[NAME_LEN];
  ledger_stats_t st;
  int64_t first_ms, last_commit_ms;
  bool revoked; /* partitions went while a batch was collected: it is dropped */
  int fatal;
} ledger_t;

static bool stopping(const ledger_t *l) { return l->o->stop && *l->o->stop; }

/* /metrics and /healthz (ledger_metrics.h): the page now, with the service's
 * problem (NULL: healthy) */
static void show(ledger_t *l, const char *problem) {
  if (!l->o->metrics) return;
  rh_metrics_health(l->o->metrics, problem);
  ledger_metrics_publish(l->o->metrics, &l->st);
}

/* ---- positions ---- */

/* The list's offsets set from what PostgreSQL holds (beginning where nothing). */
static void set_offsets(ledger_t *l, rd_kafka_topic_partition_list_t *parts) {
  for (int i = 0; i < parts->cnt; i++) {
    int64_t next = ledger_offsets_get(&l->pos, parts->elems[i].topic, parts->elems[i].partition);
    parts->elems[i].offset = next >= 0 ? next : RD_KAFKA_OFFSET_BEGINNING;
  }
}

static int64_t at_pos(void *arg, const char *topic, int32_t partition) {
  return ledger_offsets_get(&((ledger_t *)arg)->pos, topic, partition);
}

/* Read the positions again and seek every assigned partition there. 0, or -1
 * (PostgreSQL failed: the next write fails too and waits for it). */
static int reposition(ledger_t *l) {
  char err[512];
  rh_end_forget(&l->end);
  if (ledger_offsets_load(&l->pos, l->pg, l->group, err, sizeof err)) {
    rh_log_warn("reading the positions: %s", err);
    return -1;
  }
  rd_kafka_topic_partition_list_t *parts = NULL;
  if (rd_kafka_assignment(l->consumer, &parts) || !parts) return -1;
  int rc = 0;
  if (parts->cnt) {
    set_offsets(l, parts);
    rd_kafka_error_t *e = rd_kafka_seek_partitions(l->consumer, parts, 10000);
    if (e) {
      rh_log_error("seeking to the positions in PostgreSQL: %s", rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
      l->fatal = 1;
      rc = -1;
    }
  }
  rd_kafka_topic_partition_list_destroy(parts);
  return rc;
}

/* ---- rebalances: every assignment starts where PostgreSQL says ---- */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
  ledger_t *l = opaque;
  char e[512];
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    /* PostgreSQL away: the positions known (the next write then fails, waits
     * and seeks again; another instance's progress is caught by the offsets
     * check of the write) */
    if (l->pg && !rh_pg_connection_lost(l->pg) &&
        ledger_offsets_load(&l->pos, l->pg, l->group, e, sizeof e))
      rh_log_warn("reading the positions at the assignment: %s", e);
    set_offsets(l, parts);
    rh_log_info("assigned %d partitions; positions from PostgreSQL", parts->cnt);
    rd_kafka_assign(rk, parts);
    if (rh_end_assign(&l->end, parts)) {
      rh_log_error("out of memory noting the assignment");
      l->fatal = 1;
    }
  } else {
    rh_log_info("%d partitions revoked", parts->cnt);
    l->revoked = true;
    rd_kafka_assign(rk, NULL);
    rh_end_revoke(&l->end);
  }
}

/* ---- PostgreSQL ---- */

/* Connect (waiting up to --wait-s, for ever by default). 0, -1 gave up or
 * stopped. */
static int pg_connect(ledger_t *l) {
  char err[512];
  int64_t deadline = l->o->wait_s < 0 ? INT64_MAX : rh_mono_ms() + (int64_t)l->o->wait_s * 1000;
  bool logged = false;
  while (!stopping(l)) {
    if (l->pg) PQfinish(l->pg);
    if ((l->pg = rh_pg_connect_as(l->cfg->pg_conninfo, RH_PG_ROLE_LEDGER, 0, err, sizeof err)) != NULL) {
      if (logged) rh_log_info("PostgreSQL is back");
      if (logged) show(l, NULL);
      return 0;
    }
    if (!logged) {
      rh_log_warn("%s; waiting for PostgreSQL (nothing written, no position moves)", err);
      logged = true;
    }
    char why[600];
    snprintf(why, sizeof why, "waiting for PostgreSQL: %s", err);
    show(l, why);
    if (rh_mono_ms() >= deadline) {
      rh_log_error("PostgreSQL away for more than %d s: %s", l->o->wait_s, err);
      return -1;
    }
    /* keep the group membership while waiting (partitions paused; what was
     * fetched before is read again after the seek) */
    rh_consumer_wait(l->consumer, 1000, l->o->stop);
  }
  return -1;
}

static void pause_all(ledger_t *l, bool pause) {
  rd_kafka_topic_partition_list_t *parts = NULL;
  if (rd_kafka_assignment(l->consumer, &parts) || !parts) return;
  if (pause)
    rd_kafka_pause_partitions(l->consumer, parts);
  else
    rd_kafka_resume_partitions(l->consumer, parts);
  rd_kafka_topic_partition_list_destroy(parts);
}

/* PostgreSQL went away under a batch: nothing of it was committed. Wait,
 * then go on from what PostgreSQL holds. 0 or -1 (gave up, stopped). */
static int pg_outage(ledger_t *l, const char *why) {
  l->st.outages++;
  rh_log_warn("PostgreSQL: %s; the batch is dropped and read again later", why);
  ledger_batch_clear(l->batch);
  rh_end_forget(&l->end);
  pause_all(l, true);
  int rc = pg_connect(l);
  pause_all(l, false);
  if (rc == 0 && reposition(l) == 0) rh_log_info("going on from the positions in PostgreSQL");
  return rc;
}

/* ---- one batch ---- */

/* Kafka's committed offsets follow PostgreSQL's, for the group's lag in
 * Kafka's tools only: the ledger never reads them. */
static void commit_to_kafka(ledger_t *l, const ledger_offsets_t *spans) {
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new((int)spans->n);
  for (size_t i = 0; i < spans->n; i++)
    rd_kafka_topic_partition_list_add(parts, spans->p[i].topic, spans->p[i].partition)->offset =
        spans->p[i].next;
  rd_kafka_commit(l->consumer, parts, 1);
  rd_kafka_topic_partition_list_destroy(parts);
}

/* Collect a batch from first (already polled) on, then write it. 0, or -1 to
 * stop (l->fatal, or PostgreSQL gave up). */
static int batch(ledger_t *l, rd_kafka_message_t *first) {
  char why[600], err[1024];
  uint64_t skipped = 0;
  ledger_batch_clear(l->batch);
  l->revoked = false;
  int64_t deadline = rh_mono_ms() + l->o->batch_ms;
  int n = 0;
  rd_kafka_message_t *m = first;
  for (;;) {
    if (m && !m->err) {
      const char *topic = rd_kafka_topic_name(m->rkt);
      int kind = ledger_batch_add(l->batch, topic, m->partition, m->offset, m->payload, m->len,
                                  why, sizeof why);
      if (kind < 0) {
        rd_kafka_message_destroy(m);
        rh_log_error("out of memory");
        l->fatal = 1;
        return -1;
      }
      if (kind == LEDGER_ROW_SKIPPED) {
        skipped++;
        rh_log_warn("%s [%d] offset %" PRId64 ": no row: %s", topic, (int)m->partition,
                    m->offset, why);
      }
      n++;
    } else if (m && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      rh_log_warn("consumer: %s", rd_kafka_message_errstr(m));
    }
    if (m) rd_kafka_message_destroy(m);
    if (l->revoked) {
      rh_log_info("partitions revoked: the batch is dropped (their next owner reads it)");
      ledger_batch_clear(l->batch);
      return 0;
    }
    if (n >= l->o->batch_max || stopping(l)) break;
    int left = (int)(deadline - rh_mono_ms());
    if (left <= 0) break;
    m = rd_kafka_consumer_poll(l->consumer, left < 10 ? left : 10);
    rh_end_note(&l->end, m);
    if (l->fatal) {
      if (m) rd_kafka_message_destroy(m);
      return -1;
    }
  }
  if (ledger_batch_records(l->batch) == 0) return 0;
  ledger_written_t w;
  int64_t t0 = rh_mono_ms();
  ledger_write_t r = ledger_batch_write(l->batch, l->pg, l->group, &w, err, sizeof err);
  l->st.write_s += (double)(rh_mono_ms() - t0) / 1000.0;
  if (r == LEDGER_WRITE_OK) {
    const ledger_offsets_t *spans = ledger_batch_spans(l->batch);
    for (size_t i = 0; i < spans->n; i++)
      if (ledger_offsets_set(&l->pos, spans->p[i].topic, spans->p[i].partition,
                             spans->p[i].next)) {
        rh_log_error("out of memory");
        l->fatal = 1;
        return -1;
      }
    commit_to_kafka(l, spans);
    l->st.records += ledger_batch_records(l->batch);
    l->st.warnings += w.warnings;
    l->st.checks += w.checks;
    l->st.unmatched += w.unmatched;
    l->st.manifests += w.manifests;
    l->st.steps += w.steps;
    l->st.steps_refused += w.steps_refused;
    l->st.steps_late += w.steps_late;
    l->st.withdrawn += w.withdrawn;
    l->st.withdraw_refused += w.withdraw_refused;
    if (w.withdraw_refused)
      rh_log_warn("%" PRIu64 " of %" PRIu64 " withdrawals changed nothing (an alert the ledger "
                  "does not have, already withdrawn, or an outcome given: warning_steps.refused)",
                  w.withdraw_refused, w.withdrawn);
    if (w.steps_late)
      rh_log_info("%" PRIu64 " township step(s) read before their warning applied now",
                  w.steps_late);
    if (w.withdrawn_late)
      rh_log_info("%" PRIu64 " warning(s) took a withdrawal read before them (WITHDRAWN)",
                  w.withdrawn_late);
    l->st.existing += w.existing;
    l->st.skipped += skipped;
    l->st.transactions++;
    l->last_commit_ms = rh_mono_ms();
    ledger_batch_clear(l->batch);
    return 0;
  }
  ledger_batch_clear(l->batch);
  if (r == LEDGER_WRITE_REFUSED) {
    l->st.refused++;
    rh_log_warn("the batch was refused: another instance wrote further in a partition of it; "
                "going on from the positions in PostgreSQL");
    reposition(l);
    return l->fatal ? -1 : 0;
  }
  if (rh_pg_connection_lost(l->pg)) return pg_outage(l, err);
  rh_log_error("%s", err);
  l->fatal = 1;
  return -1;
}

/* ---- start ---- */

static int start_kafka(ledger_t *l) {
  char err[512];
  const rh_config_t *cfg = l->cfg;
  if (!(l->probe = rh_kafka_query_handle(cfg, "read_committed", err, sizeof err))) {
    rh_log_error("%s", err);
    return RH_EXIT_CONFIG;
  }
  /* the broker answers (else the group never forms and nothing else would say so) */
  int64_t deadline = l->o->wait_s < 0 ? INT64_MAX : rh_mono_ms() + (int64_t)l->o->wait_s * 1000;
  bool logged = false;
  for (;;) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t me = rd_kafka_metadata(l->probe, 0, NULL, &md, 5000);
    if (md) rd_kafka_metadata_destroy(md);
    if (!me) break;
    if (stopping(l) || rh_mono_ms() >= deadline) {
      rh_log_error("Kafka: %s", rd_kafka_err2str(me));
      return RH_EXIT_UNAVAILABLE;
    }
    if (!logged) rh_log_warn("Kafka: %s; waiting for the broker", rd_kafka_err2str(me));
    logged = true;
  }
  rd_kafka_conf_t *cc = rh_kafka_conf_from_config(cfg, err, sizeof err);
  char member[NAME_LEN * 2 + 2];
  snprintf(member, sizeof member, "%s.%s", l->group, l->o->instance);
  if (!cc ||
      (!rh_config_kafka_get(cfg, "topic.metadata.refresh.interval.ms") &&
       rh_kafka_conf_set(cc, "topic.metadata.refresh.interval.ms", "5000", err, sizeof err)) ||
      (!rh_config_kafka_get(cfg, "group.instance.id") &&
       rh_kafka_conf_set(cc, "group.instance.id", member, err, sizeof err))) {
    if (cc) rd_kafka_conf_destroy(cc);
    rh_log_error("%s", err);
    return RH_EXIT_CONFIG;
  }
  if (l->o->metrics && rh_metrics_kafka_attach(l->o->metrics, cc, 5000, err, sizeof err)) {
    rd_kafka_conf_destroy(cc);
    rh_log_error("%s", err);
    return RH_EXIT_CONFIG;
  }
  rd_kafka_conf_set_rebalance_cb(cc, rebalance_cb);
  rd_kafka_conf_set_opaque(cc, l);
  if (!(l->consumer = rh_consumer_new(cc, l->group, err, sizeof err))) {
    rh_log_error("%s", err);
    return RH_EXIT_CONFIG;
  }
  /* alerts.<township>, checks.<township> and verifications.<township>;
   * alerts.unmatched and the departments' feed.<dept>.manifests for the
   * reports (migration 006). The verifications topics are made here when a
   * township has not published yet: a subscription to a topic that does not
   * exist sees it only at a metadata refresh after it is made. */
  rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(
      (int)(3 * cfg->township_count + cfg->department_count + 1));
  char name[NAME_LEN], topic[NAME_LEN];
  char **verif = calloc(cfg->township_count + 1, sizeof *verif);
  size_t nverif = 0;
  if (!verif) {
    rd_kafka_topic_partition_list_destroy(sub);
    rh_log_error("out of memory");
    return RH_EXIT_SOFTWARE;
  }
  for (size_t i = 0; i < cfg->township_count; i++)
    for (int k = 0; k < 3; k++) {
      static const char *const kinds[3] = {"alerts", "checks", "verifications"};
      snprintf(name, sizeof name, "%s.%s", kinds[k], cfg->townships[i].code);
      if (rh_config_topic(cfg, name, topic, sizeof topic) == 0) {
        rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
        if (k == 2 && (verif[nverif] = strdup(topic))) nverif++;
      }
    }
  if (rh_config_topic(cfg, "alerts.unmatched", topic, sizeof topic) == 0)
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
  for (size_t i = 0; i < cfg->department_count; i++)
    rd_kafka_topic_partition_list_add(sub, cfg->departments[i].manifests_topic,
                                      RD_KAFKA_PARTITION_UA);
  /* made, and known to this consumer's metadata before it joins the group:
   * librdkafka leaves out of the first join a subscribed topic its metadata
   * lacks, and a static member (group.instance.id) that rejoins within the
   * session timeout is handed that assignment again: a ledger started right
   * after was never given the verifications partitions and exited "all
   * written" having read none of them (test_verify, 2026-12-06) */
  int made = rh_kafka_create_topics(l->consumer, (const char *const *)verif, nverif, 3, 1, 30000,
                                    err, sizeof err) ||
             rh_kafka_warm_topics(l->consumer, (const char *const *)verif, nverif, 30000, err,
                                  sizeof err);
  for (size_t i = 0; i < nverif; i++) free(verif[i]);
  free(verif);
  if (made) {
    rd_kafka_topic_partition_list_destroy(sub);
    rh_log_error("Kafka: the townships' verifications topics: %s", err);
    return RH_EXIT_UNAVAILABLE;
  }
  rd_kafka_resp_err_t e = rd_kafka_subscribe(l->consumer, sub);
  rd_kafka_topic_partition_list_destroy(sub);
  if (e) {
    rh_log_error("subscribing: %s", rd_kafka_err2str(e));
    return RH_EXIT_UNAVAILABLE;
  }
  return RH_EXIT_OK;
}

static void cleanup(ledger_t *l) {
  if (l->consumer) {
    rd_kafka_consumer_close(l->consumer);
    rd_kafka_destroy(l->consumer);
  }
  if (l->probe) rd_kafka_destroy(l->probe);
  ledger_batch_destroy(l->batch);
  ledger_offsets_free(&l->pos);
  rh_end_free(&l->end);
  if (l->pg) PQfinish(l->pg);
  rh_avro_schemas_destroy(l->schemas);
}

/* Every stop after start-up: what remains, and the exit code. */
static int finish(ledger_t *l, int rc, bool idle) {
  uint64_t left = 0;
  rh_end_state_t st = rh_end_report_at(&l->end, at_pos, l, l->probe, 5000, &left);
  if (rc != RH_EXIT_OK) return rc;
  if (st == RH_END_BEHIND) {
    rh_log_error("stopping with %" PRIu64 " records not written (see above): exit %d", left,
                 RH_EXIT_UNAVAILABLE);
    return RH_EXIT_UNAVAILABLE;
  }
  if (st == RH_END_UNKNOWN) {
    rh_log_error("stopping without knowing whether records remain: exit %d", RH_EXIT_UNAVAILABLE);
    return RH_EXIT_UNAVAILABLE;
  }
  if (idle)
    rh_log_info("idle for %d ms with every assigned partition at its end (%zu): all written",
                l->o->idle_exit_ms, l->end.n);
  else
    rh_log_info("stopped with nothing left");
  return RH_EXIT_OK;
}

int ledger_run(const ledger_opts_t *o, ledger_stats_t *stats) {
  char err[1024];
  ledger_t l = {.o = o, .cfg = o->cfg};
  memset(stats, 0, sizeof *stats);
  rh_end_init(&l.end);
  ledger_offsets_init(&l.pos);
  if (o->group)
    snprintf(l.group, sizeof l.group, "%s", o->group);
  else
    snprintf(l.group, sizeof l.group, "%sriskhub-ledger", o->cfg->topic_prefix);

  /* a batch is collected up to --batch-ms, then written in one PostgreSQL
   * transaction: only longer than both is the loop stuck */
  if (o->metrics) rh_metrics_stale_ms(o->metrics, (int64_t)o->batch_ms + 120000);
  if (!(l.schemas = rh_avro_schemas_new()) ||
      rh_avro_schemas_load_dir(l.schemas, o->schemas_dir, err, sizeof err) ||
      !(l.batch = ledger_batch_new(o->cfg, l.schemas, err, sizeof err))) {
    rh_log_error("schemas: %s", l.schemas ? err : "out of memory");
    cleanup(&l);
    return RH_EXIT_CONFIG;
  }
  /* the positions, before Kafka: PostgreSQL says where to start */
  for (;;) {
    if (pg_connect(&l)) {
      if (stopping(&l)) rh_log_warn("stopped before Kafka was reached: records remaining not known");
      cleanup(&l);
      return RH_EXIT_UNAVAILABLE;
    }
    /* the tables of migrations 003, 005, 006, 011 and 013, before anything is read */
    if (ledger_offsets_load(&l.pos, l.pg, l.group, err, sizeof err) == 0 &&
        rh_pg_exec(l.pg,
                   "SELECT raised_at, department, feed FROM warnings LIMIT 0; "
                   "SELECT 1 FROM check_results, unmatched_alerts, list_manifests LIMIT 0; "
                   "SELECT supersedes, superseded_by FROM check_results LIMIT 0",
                   err, sizeof err) == 0)
      break;
    if (!rh_pg_connection_lost(l.pg)) {
      rh_log_error("%s (has `riskhub-registry migrate` been run on this database?)", err);
      cleanup(&l);
      return RH_EXIT_CONFIG;
    }
  }
  int rc = start_kafka(&l);
  if (rc != RH_EXIT_OK) {
    cleanup(&l);
    return rc;
  }
  rh_log_info("ledger: %zu positions in PostgreSQL for %s; consuming", l.pos.n, l.group);

  int64_t last_report = rh_mono_ms(), last_shown = 0, last_lists = 0;
  show(&l, NULL);
  rh_idle_t clock; /* --idle-exit-ms and --wait-s */
  rh_idle_init(&clock, o->idle_exit_ms, o->wait_s);
  rh_idle_cover(&clock, l.group, COVER_WAIT_MS);
  bool idle = false;
  uint64_t reported = 0;
  while (!stopping(&l) && !l.fatal) {
    if (o->metrics && rh_mono_ms() - last_lists >= LEDGER_METRICS_LISTS_MS) {
      ledger_metrics_lists(o->metrics, l.pg);
      last_lists = rh_mono_ms();
    }
    if (o->metrics && rh_mono_ms() - last_shown >= 1000) {
      show(&l, NULL);
      last_shown = rh_mono_ms();
    }
    rd_kafka_message_t *m;
    rh_idle_verdict_t v = rh_idle_poll(&clock, &l.end, l.consumer, 100, l.probe, QUERY_TIMEOUT_MS, &m);
    if (rh_idle_stops(v, &rc, &idle)) break;
    if (!m) continue;
    if (!l.first_ms) l.first_ms = rh_mono_ms();
    if (batch(&l, m)) {
      rc = l.fatal ? RH_EXIT_SOFTWARE : stopping(&l) ? RH_EXIT_OK : RH_EXIT_UNAVAILABLE;
      break;
    }
    if (rh_mono_ms() - last_report >= 10000) {
      rh_log_info("records %" PRIu64 " (+%" PRIu64 "), warnings %" PRIu64 ", checks %" PRIu64,
                  l.st.records, l.st.records - reported, l.st.warnings, l.st.checks);
      reported = l.st.records;
      last_report = rh_mono_ms();
    }
  }
  show(&l, "stopping");
  rc = finish(&l, rc, idle);
  l.st.busy_s = l.first_ms && l.last_commit_ms > l.first_ms
                    ? (double)(l.last_commit_ms - l.first_ms) / 1000.0
                    : 0.0;
  *stats = l.st;
  cleanup(&l);
  return rc;
}
