/* replay_run: see replay_run.h. */
#include "replay_run.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "replay_archive.h"
#include "replay_batches.h"
#include "replay_cause.h"
#include "replay_compare.h"
#include "replay_expect.h"
#include "replay_kafka.h"
#include "replay_report.h"
#include "replay_store.h"
#include "replay_wire.h"
#include "rh_avro_codec.h"
#include "rh_clock.h"
#include "rh_err.h"
#include "rh_exit.h"
#include "rh_feedrecord.h"
#include "rh_log.h"
#include "rh_pg.h"
#include "rh_regmap.h"

/* Outputs of a month are never older than its first batch: the published
 * topics are read from the first manifest's started_at less this margin
 * (clocks of the producing and joining hosts may disagree). */
#define SINCE_MARGIN_MS (24LL * 3600 * 1000)
#define PG_WAIT_MS 10000

int replay_period_valid(const char *s) {
  if (!s || strlen(s) != 7 || s[4] != '-') return 0;
  for (int i = 0; i < 7; i++)
    if (i != 4 && (s[i] < '0' || s[i] > '9')) return 0;
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  return month >= 1 && month <= 12;
}

static double mono_s(void) { return (double)rh_mono_ms() / 1000.0; }

/* ---- the registry, loaded in a thread ---- */

typedef struct {
  PGconn *pg;
  rh_regmap_t *map;
  double seconds;
  char err[512];
} loader_t;

static void *load_registry(void *arg) {
  loader_t *l = arg;
  double t0 = mono_s();
  l->map = rh_regmap_load(l->pg, l->err, sizeof l->err);
  l->seconds = mono_s() - t0;
  return NULL;
}

/* ---- the run ---- */

typedef struct run run_t;

/* One thread joining the records of its share of the partitions. */
typedef struct {
  run_t *x;
  size_t q; /* its queue of the records reader, and its shard of the expect */
  replay_claim_cache_t cache;
  rh_avro_decoder_t *dec;
  rh_feedrecord_codec_t frc;
  avro_value_t frv;
  uint64_t read, unreadable;
  pthread_t th;
  bool running;
  int rc;
  char err[1024];
} worker_t;

struct run {
  const replay_opts_t *o;
  const char *period, *dept, *feed;
  rh_avro_schemas_t *schemas;
  const rh_avro_schema_t *fr_schema;
  replay_report_t rep;
  bool rep_ready;
  replay_batches_t *batches;
  replay_expect_t *expect;
  replay_compare_t *compare;
  replay_archive_writer_t *archive;
  PGconn *pg;
  loader_t loader;
  pthread_t thread;
  bool thread_running;
  char err[1024]; /* the failing callback's (main thread) */
  int err_rc;     /* and its exit code */
  uint64_t manifests_read, records_read, published_read;
  worker_t *workers;
  size_t nworkers;
  pthread_mutex_t lock; /* the archive writer, between workers */
  volatile int stop;    /* a worker failed: the others stop */
  replay_reader_t *records_reader;
};

static int fail(run_t *x, int rc, const char *prefix, const char *what) {
  rh_errf(x->err, sizeof x->err, "%s%s", prefix, what);
  x->err_rc = rc;
  return -1;
}

static int on_manifest(void *arg, const replay_msg_t *m) {
  run_t *x = arg;
  char e[512];
  x->manifests_read++;
  int r = replay_batches_add(x->batches, m, e, sizeof e);
  if (r < 0) return fail(x, RH_EXIT_SOFTWARE, "", e);
  if (r == 1 && x->archive && replay_archive_add(x->archive, REPLAY_AR_MANIFESTS, m, e, sizeof e))
    return fail(x, RH_EXIT_IOERR, "archive: ", e);
  return 0;
}

static int wfail(worker_t *w, int rc, const char *prefix, const char *what) {
  rh_errf(w->err, sizeof w->err, "%s%s", prefix, what);
  w->rc = rc;
  return -1;
}

static int on_record(void *arg, const replay_msg_t *m) {
  worker_t *w = arg;
  run_t *x = w->x;
  char e[512];
  size_t blen = 0;
  w->read++;
  const char *bid = replay_wire_feed_batch_id(m->value, m->value_len, x->fr_schema->fingerprint,
                                              &blen);
  if (!bid) { /* an older writer schema, or not a FeedRecord */
    rh_feedrecord_t r;
    char why[256];
    if (rh_avro_decode(w->dec, m->value, m->value_len, x->fr_schema, &w->frv, NULL, why,
                       sizeof why) != RH_AVRO_OK ||
        rh_feedrecord_from_value(&w->frc, &w->frv, &r, why, sizeof why)) {
      w->unreadable++;
      return 0;
    }
    bid = r.batch_id;
    blen = strlen(bid);
  }
  long b = replay_batches_claim(x->batches, &w->cache, m->topic, m->partition, m->offset, bid,
                                blen);
  if (b < 0) return 0; /* a record of another batch inside the range */
  if (x->archive) {
    pthread_mutex_lock(&x->lock);
    int r = replay_archive_add(x->archive, REPLAY_AR_RECORDS, m, e, sizeof e);
    pthread_mutex_unlock(&x->lock);
    if (r) return wfail(w, RH_EXIT_IOERR, "archive: ", e);
  }
  if (replay_expect_record(x->expect, w->q, m, (size_t)b, e, sizeof e))
    return wfail(w, RH_EXIT_SOFTWARE, "", e);
  return 0;
}

static int worker_init(run_t *x, worker_t *w, size_t q, char *e, size_t es) {
  memset(w, 0, sizeof *w);
  w->x = x;
  w->q = q;
  if (rh_feedrecord_codec_init(&w->frc, x->fr_schema, e, es) ||
      rh_avro_schema_value_new(x->fr_schema, &w->frv, e, es))
    return -1;
  if (!(w->dec = rh_avro_decoder_new(x->schemas))) {
    rh_errf(e, es, "out of memory");
    return -1;
  }
  return 0;
}

static void worker_free(worker_t *w) {
  if (w->running) pthread_join(w->th, NULL);
  w->running = false;
  replay_claim_cache_free(&w->cache);
  rh_feedrecord_codec_free(&w->frc);
  if (w->frv.iface) avro_value_decref(&w->frv);
  rh_avro_decoder_destroy(w->dec);
  w->dec = NULL;
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  char e[1024];
  if (replay_reader_drain(w->x->records_reader, w->q, on_record, w, NULL, &w->x->stop, w->err, e,
                          sizeof e)) {
    if (!w->rc) w->rc = RH_EXIT_UNAVAILABLE;
    if (strcmp(e, "stopped") != 0) snprintf(w->err, sizeof w->err, "%s", e);
    w->x->stop = 1;
  }
  return NULL;
}

static int on_published(void *arg, const replay_msg_t *m) {
  run_t *x = arg;
  char e[512];
  bool relevant = false;
  x->published_read++;
  if (replay_compare_published(x->compare, m, &relevant, e, sizeof e))
    return fail(x, RH_EXIT_SOFTWARE, "", e);
  if (relevant && x->archive) {
    size_t plen = strlen(x->o->cfg->topic_prefix);
    replay_stream_t s = strncmp(m->topic + plen, "checks.", 7) == 0 ? REPLAY_AR_CHECKS
                                                                       : REPLAY_AR_ALERTS;
    if (replay_archive_add(x->archive, s, m, e, sizeof e))
      return fail(x, RH_EXIT_IOERR, "archive: ", e);
  }
  return 0;
}

static void cleanup(run_t *x) {
  if (x->thread_running) {
    pthread_join(x->thread, NULL);
    x->thread_running = false;
  }
  if (x->workers) {
    x->stop = 1;
    for (size_t i = 0; i < x->nworkers; i++) worker_free(&x->workers[i]);
    free(x->workers);
    x->workers = NULL;
  }
  replay_reader_destroy(x->records_reader);
  x->records_reader = NULL;
  pthread_mutex_destroy(&x->lock);
  rh_regmap_destroy(x->loader.map);
  replay_archive_abandon(x->archive);
  replay_compare_destroy(x->compare);
  replay_expect_destroy(x->expect);
  replay_batches_destroy(x->batches);
  if (x->rep_ready) replay_report_free(&x->rep);
  rh_avro_schemas_destroy(x->schemas);
  if (x->pg) PQfinish(x->pg);
}

/* Wait for the registry; 0, or an exit code. */
static int registry_ready(run_t *x) {
  if (x->thread_running) {
    pthread_join(x->thread, NULL);
    x->thread_running = false;
  }
  if (!x->loader.map) {
    rh_log_error("%s", x->loader.err);
    return rh_pg_connection_lost(x->pg) ? RH_EXIT_UNAVAILABLE : RH_EXIT_SOFTWARE;
  }
  replay_expect_set_registry(x->expect, x->loader.map);
  return 0;
}

/* The broker or the archive, stream by stream. */
typedef struct {
  replay_reader_t *manifests, *published;
} readers_t;

static void readers_destroy(readers_t *r) {
  replay_reader_destroy(r->manifests);
  replay_reader_destroy(r->published);
}

static int broker_manifests(run_t *x, readers_t *rd, char *e, size_t es) {
  char topic[RH_CONFIG_TOPIC_PREFIX_MAX + 32];
  replay_part_t *parts = NULL;
  size_t n = 0;
  rh_config_topic(x->o->cfg, "feed.manifests", topic, sizeof topic);
  const char *names[1] = {topic};
  if (!(rd->manifests = replay_reader_new(x->o->cfg, "manifests", 1, e, es)) ||
      replay_reader_parts(rd->manifests, names, 1, 1, -1, &parts, &n, e, es) ||
      replay_reader_start(rd->manifests, parts, n, e, es)) {
    free(parts);
    return RH_EXIT_UNAVAILABLE;
  }
  free(parts);
  if (n == 0) rh_log_warn("%s does not exist: no batches", topic);
  if (replay_reader_drain(rd->manifests, 0, on_manifest, x, NULL, NULL, x->err, e, es))
    return x->err_rc ? x->err_rc : RH_EXIT_UNAVAILABLE;
  replay_reader_destroy(rd->manifests);
  rd->manifests = NULL;
  return 0;
}

static int broker_assign_rest(run_t *x, readers_t *rd, char *e, size_t es) {
  replay_part_t *plan = NULL, *parts = NULL;
  size_t np = 0, n = 0;
  if (replay_batches_plan(x->batches, &plan, &np)) {
    rh_errf(e, es, "out of memory");
    return RH_EXIT_SOFTWARE;
  }
  int rc = 0;
  if (!(x->records_reader = replay_reader_new(x->o->cfg, "feed records", x->nworkers, e, es)) ||
      replay_reader_start(x->records_reader, plan, np, e, es))
    rc = RH_EXIT_UNAVAILABLE;
  replay_batches_free_plan(plan);
  if (rc) return rc;
  char alerts[RH_CONFIG_TOPIC_PREFIX_MAX + 16], checks[RH_CONFIG_TOPIC_PREFIX_MAX + 16];
  rh_config_topic(x->o->cfg, "alerts.", alerts, sizeof alerts);
  rh_config_topic(x->o->cfg, "checks.", checks, sizeof checks);
  const char *pre[2] = {alerts, checks};
  int64_t earliest = replay_batches_earliest(x->batches);
  int64_t since = earliest >= 0 ? (earliest > SINCE_MARGIN_MS ? earliest - SINCE_MARGIN_MS : 0)
                                : -1;
  if (!(rd->published = replay_reader_new(x->o->cfg, "published outputs", 1, e, es)) ||
      replay_reader_parts(rd->published, pre, 2, 0, since, &parts, &n, e, es) ||
      replay_reader_start(rd->published, parts, n, e, es))
    rc = RH_EXIT_UNAVAILABLE;
  free(parts);
  return rc;
}

static int archive_stream(run_t *x, replay_stream_t s, replay_msg_fn *fn, void *arg,
                          const char *fn_err, const int *fn_rc, uint64_t expect, char *e,
                          size_t es) {
  uint64_t n = 0;
  if (replay_archive_read(x->o->from_archive_dir, s, x->schemas, fn, arg, &n, fn_err, e, es))
    return *fn_rc ? *fn_rc : RH_EXIT_IOERR;
  if (n != expect) {
    rh_errf(e, es, "%s/%s: %" PRIu64 " records, archive.json says %" PRIu64,
            x->o->from_archive_dir, replay_archive_file(s), n, expect);
    return RH_EXIT_REFUSED;
  }
  return 0;
}

/* The records through the join's code: from the archive in this thread,
 * from the broker in the workers. 0 or an exit code. */
static int join_records(run_t *x, uint64_t expect, char *e, size_t es) {
  if (x->o->from_archive_dir) {
    worker_t *w = &x->workers[0];
    int rc = archive_stream(x, REPLAY_AR_RECORDS, on_record, w, w->err, &w->rc, expect, e, es);
    x->records_read = w->read;
    x->rep.records_unreadable = w->unreadable;
    return rc;
  }
  for (size_t i = 0; i < x->nworkers; i++) {
    if (pthread_create(&x->workers[i].th, NULL, worker_main, &x->workers[i]) != 0) {
      x->stop = 1;
      rh_errf(e, es, "cannot start a thread");
      return RH_EXIT_SOFTWARE;
    }
    x->workers[i].running = true;
  }
  int rc = 0;
  for (size_t i = 0; i < x->nworkers; i++) {
    worker_t *w = &x->workers[i];
    pthread_join(w->th, NULL);
    w->running = false;
    x->records_read += w->read;
    x->rep.records_unreadable += w->unreadable;
    if (w->rc && !rc) {
      rc = w->rc;
      rh_errf(e, es, "%s", w->err);
    }
  }
  return rc;
}

/* The archive's description against the command line. 0 or an exit code. */
static int archive_fits(run_t *x, const replay_archive_info_t *ai, char *e, size_t es) {
  const replay_opts_t *o = x->o;
  if (o->period && strcmp(o->period, ai->period) != 0) {
    rh_errf(e, es, "--period %s: the archive %s holds %s", o->period, o->from_archive_dir,
            ai->period);
    return RH_EXIT_USAGE;
  }
  if (ai->department[0] && (!o->department || strcmp(o->department, ai->department) != 0)) {
    rh_errf(e, es, "the archive %s holds department %s only: replay it with --department %s",
            o->from_archive_dir, ai->department, ai->department);
    return RH_EXIT_USAGE;
  }
  if (ai->feed[0] && (!o->feed || strcmp(o->feed, ai->feed) != 0)) {
    rh_errf(e, es, "the archive %s holds feed %s only: replay it with --feed %s",
            o->from_archive_dir, ai->feed, ai->feed);
    return RH_EXIT_USAGE;
  }
  if (strcmp(ai->topic_prefix, o->cfg->topic_prefix) != 0) {
    rh_errf(e, es, "the archive %s was made in the topic namespace '%s', this configuration "
            "is in '%s': set RH_TOPIC_PREFIX (or topic_prefix) to '%s'", o->from_archive_dir,
            ai->topic_prefix, o->cfg->topic_prefix, ai->topic_prefix);
    return RH_EXIT_USAGE;
  }
  return 0;
}

int replay_run(const replay_opts_t *o) {
  run_t x = {.o = o};
  readers_t rd = {0};
  char e[1024] = "", source[4200];
  int rc = RH_EXIT_SOFTWARE;
  double t0 = mono_s();
  replay_archive_info_t ai;
  const rh_config_t *cfg = o->cfg;

  pthread_mutex_init(&x.lock, NULL);
  x.period = o->period;
  if (o->from_archive_dir) {
    int refused = 0;
    if (replay_archive_open(o->from_archive_dir, &ai, &refused, e, sizeof e)) {
      rh_log_error("%s", e);
      pthread_mutex_destroy(&x.lock);
      return refused ? RH_EXIT_REFUSED : RH_EXIT_IOERR;
    }
    if ((rc = archive_fits(&x, &ai, e, sizeof e))) {
      rh_log_error("%s", e);
      pthread_mutex_destroy(&x.lock);
      return rc;
    }
    x.period = ai.period;
    snprintf(source, sizeof source, "archive %s", o->from_archive_dir);
  } else {
    snprintf(source, sizeof source, "broker");
  }
  x.dept = o->department;
  x.feed = o->feed;
  x.nworkers = o->from_archive_dir || o->threads < 1 ? 1 : (size_t)o->threads;

  if (!(x.schemas = rh_avro_schemas_new()) ||
      rh_avro_schemas_load_dir(x.schemas, o->schemas_dir, e, sizeof e) != RH_AVRO_OK ||
      !(x.fr_schema = rh_avro_schemas_get(x.schemas, "riskhub.FeedRecord"))) {
    rh_log_error("schemas: %s", !x.schemas ? "out of memory" : e[0] ? e : "no riskhub.FeedRecord");
    cleanup(&x);
    return RH_EXIT_CONFIG;
  }
  if (!(x.workers = calloc(x.nworkers, sizeof *x.workers))) {
    rh_log_error("out of memory");
    cleanup(&x);
    return RH_EXIT_SOFTWARE;
  }
  for (size_t i = 0; i < x.nworkers; i++)
    if (worker_init(&x, &x.workers[i], i, e, sizeof e)) {
      rh_log_error("schemas: %s", e);
      cleanup(&x);
      return RH_EXIT_CONFIG;
    }
  if (replay_report_init(&x.rep, cfg, x.period, x.dept, x.feed, source)) {
    rh_log_error("out of memory");
    cleanup(&x);
    return RH_EXIT_SOFTWARE;
  }
  x.rep_ready = true;
  if (!(x.batches = replay_batches_new(cfg, x.schemas, x.period, x.dept, x.feed, e, sizeof e)) ||
      !(x.expect = replay_expect_new(cfg, x.schemas, &x.rep, x.batches, x.nworkers, e,
                                     sizeof e)) ||
      !(x.compare = replay_compare_new(cfg, x.schemas, &x.rep, x.batches, x.expect, x.period,
                                       x.dept, x.feed, e, sizeof e))) {
    rh_log_error("starting: %s", e[0] ? e : "out of memory");
    cleanup(&x);
    return RH_EXIT_CONFIG;
  }
  if (o->archive_dir && !(x.archive = replay_archive_create(o->archive_dir, x.schemas, e,
                                                             sizeof e))) {
    rh_log_error("archive: %s", e);
    cleanup(&x);
    return RH_EXIT_IOERR;
  }

  /* 1. the registry in a thread; meanwhile the manifests, and the fetching
   * of the records and of the published outputs begins */
  if (!(x.pg = rh_pg_connect(cfg->pg_conninfo, PG_WAIT_MS, e, sizeof e))) {
    rh_log_error("%s", e);
    cleanup(&x);
    return RH_EXIT_UNAVAILABLE;
  }
  x.loader.pg = x.pg;
  if (pthread_create(&x.thread, NULL, load_registry, &x.loader) != 0) {
    rh_log_error("cannot start a thread");
    cleanup(&x);
    return RH_EXIT_SOFTWARE;
  }
  x.thread_running = true;

  double t_manifests = mono_s();
  if (o->from_archive_dir)
    rc = archive_stream(&x, REPLAY_AR_MANIFESTS, on_manifest, &x, x.err, &x.err_rc,
                        ai.counts[REPLAY_AR_MANIFESTS], e, sizeof e);
  else
    rc = broker_manifests(&x, &rd, e, sizeof e);
  if (rc) goto fail;
  replay_batches_sort(x.batches);
  x.rep.manifests_unreadable = replay_batches_unreadable(x.batches);
  if (replay_expect_prepare(x.expect, e, sizeof e)) {
    rc = RH_EXIT_SOFTWARE;
    goto fail;
  }
  rh_log_info("%zu batches of %s (%" PRIu64 " manifests read) in %.2f s",
              replay_batches_count(x.batches), x.period, x.manifests_read,
              mono_s() - t_manifests);
  if (!o->from_archive_dir && (rc = broker_assign_rest(&x, &rd, e, sizeof e))) goto fail;

  /* 2. the records through the join's code */
  if ((rc = registry_ready(&x))) {
    e[0] = '\0';
    goto fail;
  }
  rh_log_info("registry loaded in %.2f s", x.loader.seconds);
  double t_records = mono_s();
  if ((rc = join_records(&x, o->from_archive_dir ? ai.counts[REPLAY_AR_RECORDS] : 0, e,
                         sizeof e)))
    goto fail;
  replay_reader_destroy(x.records_reader);
  x.records_reader = NULL;
  double t_checks = mono_s();
  if (replay_expect_checks(x.expect, x.pg, x.period, e, sizeof e)) {
    rc = rh_pg_connection_lost(x.pg) ? RH_EXIT_UNAVAILABLE : RH_EXIT_SOFTWARE;
    goto fail;
  }
  replay_expect_merge(x.expect);
  join_counts_t jc;
  replay_expect_counts(x.expect, &jc);
  rh_log_info("%" PRIu64 " records of the batches (%" PRIu64 " read) through the join's code in "
              "%.2f s (%zu threads; check lists %.2f s): %" PRIu64 " alerts, %" PRIu64
              " unmatched, %" PRIu64 " no rule, %" PRIu64 " duplicates, %" PRIu64 " check results",
              jc.records, x.records_read, mono_s() - t_records, x.nworkers, mono_s() - t_checks,
              jc.alerts, jc.unmatched, jc.no_rule, jc.duplicates, jc.checks);

  /* 3. what was published */
  double t_pub = mono_s();
  if (o->from_archive_dir) {
    rc = archive_stream(&x, REPLAY_AR_ALERTS, on_published, &x, x.err, &x.err_rc,
                        ai.counts[REPLAY_AR_ALERTS], e, sizeof e);
    if (!rc)
      rc = archive_stream(&x, REPLAY_AR_CHECKS, on_published, &x, x.err, &x.err_rc,
                          ai.counts[REPLAY_AR_CHECKS], e, sizeof e);
  } else if (replay_reader_drain(rd.published, 0, on_published, &x, NULL, NULL, x.err, e,
                                 sizeof e)) {
    rc = x.err_rc ? x.err_rc : RH_EXIT_UNAVAILABLE;
  }
  if (rc) goto fail;
  if (replay_compare_finish(x.compare, e, sizeof e)) {
    rc = RH_EXIT_SOFTWARE;
    goto fail;
  }
  rh_log_info("%" PRIu64 " published messages compared in %.2f s", x.published_read,
              mono_s() - t_pub);
  readers_destroy(&rd);
  memset(&rd, 0, sizeof rd);

  /* 4. causes, report */
  if (replay_cause_explain(&x.rep, x.pg, e, sizeof e)) {
    rc = rh_pg_connection_lost(x.pg) ? RH_EXIT_UNAVAILABLE : RH_EXIT_SOFTWARE;
    goto fail;
  }
  if (x.archive) {
    replay_archive_info_t info = {0};
    snprintf(info.period, sizeof info.period, "%s", x.period);
    snprintf(info.department, sizeof info.department, "%s", x.dept ? x.dept : "");
    snprintf(info.feed, sizeof info.feed, "%s", x.feed ? x.feed : "");
    snprintf(info.topic_prefix, sizeof info.topic_prefix, "%s", cfg->topic_prefix);
    info.created_at = rh_wall_ms();
    replay_archive_writer_t *w = x.archive;
    x.archive = NULL;
    if (replay_archive_close(w, &info, e, sizeof e)) {
      rc = RH_EXIT_IOERR;
      goto fail;
    }
    rh_log_info("archive written to %s", o->archive_dir);
  }
  replay_report_sort(&x.rep);
  x.rep.seconds = mono_s() - t0;
  int wr = o->format == REPLAY_FORMAT_JSON ? replay_report_print_json(&x.rep, o->out)
                                           : replay_report_print_table(&x.rep, o->out);
  if (wr) {
    rh_log_error("writing the report failed");
    rc = RH_EXIT_IOERR;
  } else {
    rc = replay_report_differences(&x.rep) ? RH_EXIT_SOFTWARE : RH_EXIT_OK;
  }
  cleanup(&x);
  return rc;
fail:
  if (e[0]) rh_log_error("%s", e);
  x.stop = 1;
  readers_destroy(&rd);
  cleanup(&x);
  return rc ? rc : RH_EXIT_SOFTWARE;
}
