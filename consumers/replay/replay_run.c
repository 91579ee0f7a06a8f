/* replay_run: see replay_run.h. */
#include "replay_run.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rh_archive.h"
#include "replay_batches.h"
#include "replay_cause.h"
#include "replay_compare.h"
#include "replay_expect.h"
#include "replay_kafka.h"
#include "replay_records.h"
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

/* Debug log: since the last call, this process's CPU and the machine's, in
 * cores (the replay is CPU-bound on a small machine: docs/replay.md). */
static void cpu_note(const char *what) {
  static double last_self, last_busy, last_total, last_wall;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double self = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  unsigned long long u, n, sy, id, io, irq, sirq;
  double busy = 0, total = 0;
  FILE *fp = fopen("/proc/stat", "r");
  if (fp && fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu", &u, &n, &sy, &id, &io, &irq,
                   &sirq) == 7) {
    busy = (double)(u + n + sy + irq + sirq) / 100.0;
    total = busy + (double)(id + io) / 100.0;
  }
  if (fp) fclose(fp);
  double wall = mono_s(), dt = wall - last_wall;
  if (last_wall > 0 && dt > 0)
    rh_log_debug("CPU %s: %.2f s, this process %.2f cores, the machine %.2f of %.2f busy", what,
                 dt, (self - last_self) / dt, (busy - last_busy) / dt, (total - last_total) / dt);
  last_self = self, last_busy = busy, last_total = total, last_wall = wall;
}

static long rss_mib(void) {
  FILE *fp = fopen("/proc/self/statm", "r");
  long pages = 0, rss = 0;
  if (fp) {
    if (fscanf(fp, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(fp);
  }
  return rss * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

/* ---- the registry, loaded in a thread ---- */

typedef struct {
  PGconn *pg;
  rh_regmap_t *map;
  double seconds;
  char err[512];
} loader_t;

static void *load_registry(void *arg) {
  loader_t *l = arg;
  pthread_setname_np(pthread_self(), "replay-registry");
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
  uint64_t *seen; /* records claimed, by range (replay_batches_add_seen) */
  rh_avro_decoder_t *dec;
  rh_feedrecord_codec_t frc;
  avro_value_t frv;
  uint64_t read, unreadable;
  replay_digests_t digests; /* its records' SHA-256s (replay_records) */
  pthread_t th;
  bool running;
  int rc;
  char err[1024];
} worker_t;

/* One thread comparing its share of the published partitions. The first
 * writes to the run's report, the others to reports of their own, merged
 * when they are done. */
typedef struct {
  run_t *x;
  size_t q;
  replay_report_t own;
  bool own_ready;
  replay_report_t *rep;
  replay_compare_t *cmp;
  uint64_t read;
  pthread_t th;
  bool running;
  int rc;
  char err[1024];
} comparer_t;

struct run {
  const replay_opts_t *o;
  const char *period, *dept, *feed;
  rh_avro_schemas_t *schemas;
  const rh_avro_schema_t *fr_schema;
  replay_report_t rep;
  bool rep_ready;
  replay_batches_t *batches;
  replay_expect_t *expect;
  rh_archive_writer_t *archive;
  PGconn *pg;
  loader_t loader;
  pthread_t thread;
  bool thread_running;
  char err[1024]; /* the failing callback's (main thread) */
  int err_rc;     /* and its exit code */
  uint64_t manifests_read, records_read, published_read;
  uint64_t rejects_kept; /* RejectedRows of the month's batches (archived with them) */
  worker_t *workers;
  size_t nworkers;
  comparer_t *comparers;
  size_t ncomparers;
  pthread_t pub_thread; /* sets the published reader up (broker_published) */
  replay_part_t *pub_parts; /* its parts, started by compare_published */
  size_t pub_nparts;
  replay_reader_t *pub_lister; /* the reader that found them (owns their names) */
  bool pub_running;
  int pub_rc;
  char pub_err[1024];
  pthread_mutex_t lock; /* the archive writer, between threads */
  volatile int stop;    /* a thread failed: the others stop */
  replay_reader_t *records_reader, *published_reader;
};

static int fail(run_t *x, int rc, const char *prefix, const char *what) {
  rh_errf(x->err, sizeof x->err, "%s%s", prefix, what);
  x->err_rc = rc;
  return -1;
}

static int thread_fail(int *rc_out, char *err, size_t size, int rc, const char *prefix,
                       const char *what) {
  rh_errf(err, size, "%s%s", prefix, what);
  *rc_out = rc;
  return -1;
}

static int archive_add(run_t *x, rh_archive_stream_t s, const rh_msg_t *m, char *e, size_t es) {
  pthread_mutex_lock(&x->lock);
  int r = rh_archive_add(x->archive, s, m, e, es);
  pthread_mutex_unlock(&x->lock);
  return r;
}

/* ---- manifests ---- */

static int on_manifest(void *arg, const rh_msg_t *m) {
  run_t *x = arg;
  char e[512];
  x->manifests_read++;
  int r = replay_batches_add(x->batches, m, e, sizeof e);
  if (r < 0) return fail(x, RH_EXIT_SOFTWARE, "", e);
  if (r == 1 && x->archive && archive_add(x, RH_ARCHIVE_MANIFESTS, m, e, sizeof e))
    return fail(x, RH_EXIT_IOERR, "archive: ", e);
  return 0;
}

/* ---- rejects ---- */

/* A RejectedRow (feed.<dept>.rejects, key = batch id): kept when its batch is one
 * of the month's (and, with --archive, archived). */
static int on_reject(void *arg, const rh_msg_t *m) {
  run_t *x = arg;
  char e[512];
  bool ours = false;
  size_t n = replay_batches_count(x->batches);
  for (size_t i = 0; i < n && !ours && m->key; i++) {
    const char *bid = replay_batches_at(x->batches, i)->batch_id;
    ours = m->key_len == strlen(bid) && memcmp(m->key, bid, m->key_len) == 0;
  }
  if (!ours) return 0;
  x->rejects_kept++;
  if (x->archive && archive_add(x, RH_ARCHIVE_REJECTS, m, e, sizeof e))
    return fail(x, RH_EXIT_IOERR, "archive: ", e);
  return 0;
}

/* ---- records ---- */

static int on_record(void *arg, const rh_msg_t *m) {
  worker_t *w = arg;
  run_t *x = w->x;
  char e[512];
  size_t blen = 0;
  w->read++;
  int64_t row = -1;
  const char *bid = replay_wire_feed_batch_id(m->value, m->value_len, x->fr_schema->fingerprint,
                                              &blen);
  if (bid && replay_wire_feed_row(m->value, m->value_len, bid, blen, &row)) bid = NULL;
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
    row = r.row_number;
  }
  size_t range = 0;
  long b = replay_batches_claim(x->batches, &w->cache, m->topic, m->partition, m->offset, bid,
                                blen, &range);
  if (b < 0) return 0; /* a record of another batch inside the range */
  w->seen[range]++;
  if (replay_digests_add(&w->digests, (size_t)b, row, m->value, m->value_len))
    return thread_fail(&w->rc, w->err, sizeof w->err, RH_EXIT_SOFTWARE, "", "out of memory");
  if (x->archive && archive_add(x, RH_ARCHIVE_RECORDS, m, e, sizeof e))
    return thread_fail(&w->rc, w->err, sizeof w->err, RH_EXIT_IOERR, "archive: ", e);
  if (replay_expect_record(x->expect, w->q, m, (size_t)b, e, sizeof e))
    return thread_fail(&w->rc, w->err, sizeof w->err, RH_EXIT_SOFTWARE, "", e);
  return 0;
}

static int worker_init(run_t *x, worker_t *w, size_t q, char *e, size_t es) {
  memset(w, 0, sizeof *w);
  w->x = x;
  w->q = q;
  if (rh_feedrecord_codec_init(&w->frc, x->fr_schema, e, es) ||
      rh_avro_schema_value_new(x->fr_schema, &w->frv, e, es))
    return -1;
  size_t nranges = replay_batches_ranges(x->batches);
  if (!(w->dec = rh_avro_decoder_new(x->schemas)) ||
      !(w->seen = calloc(nranges ? nranges : 1, sizeof *w->seen))) {
    rh_errf(e, es, "out of memory");
    return -1;
  }
  return 0;
}

static void worker_free(worker_t *w) {
  if (w->running) pthread_join(w->th, NULL);
  w->running = false;
  replay_claim_cache_free(&w->cache);
  replay_digests_free(&w->digests);
  free(w->seen);
  w->seen = NULL;
  rh_feedrecord_codec_free(&w->frc);
  if (w->frv.iface) avro_value_decref(&w->frv);
  rh_avro_decoder_destroy(w->dec);
  w->dec = NULL;
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  char e[1024], name[16];
  snprintf(name, sizeof name, "replay-rec-%zu", w->q);
  pthread_setname_np(pthread_self(), name);
  int64_t t_start = rh_mono_ms();
  if (replay_reader_drain(w->x->records_reader, w->q, on_record, w, &w->read, &w->x->stop, w->err,
                          e, sizeof e) &&
      strcmp(e, "stopped") != 0) { /* stopped: another thread failed and says why */
    if (!w->rc) w->rc = RH_EXIT_UNAVAILABLE;
    snprintf(w->err, sizeof w->err, "%s", e);
    w->x->stop = 1;
  }
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  rh_log_debug("records thread %zu: %" PRIu64 " records in %.2f s, CPU %.2f s user %.2f s system",
               w->q, w->read, (double)(rh_mono_ms() - t_start) / 1000.0,
               (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
               (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  return NULL;
}

/* ---- published outputs ---- */

static int on_published(void *arg, const rh_msg_t *m) {
  comparer_t *c = arg;
  run_t *x = c->x;
  char e[512];
  bool relevant = false;
  c->read++;
  if (replay_compare_published(c->cmp, m, &relevant, e, sizeof e))
    return thread_fail(&c->rc, c->err, sizeof c->err, RH_EXIT_SOFTWARE, "", e);
  if (relevant && x->archive) {
    size_t plen = strlen(x->o->cfg->topic_prefix);
    rh_archive_stream_t s = strncmp(m->topic + plen, "checks.", 7) == 0 ? RH_ARCHIVE_CHECKS
                                                                       : RH_ARCHIVE_ALERTS;
    if (archive_add(x, s, m, e, sizeof e))
      return thread_fail(&c->rc, c->err, sizeof c->err, RH_EXIT_IOERR, "archive: ", e);
  }
  return 0;
}

static int comparer_init(run_t *x, comparer_t *c, size_t q, char *e, size_t es) {
  memset(c, 0, sizeof *c);
  c->x = x;
  c->q = q;
  c->rep = &x->rep;
  if (q > 0) {
    if (replay_report_init_like(&c->own, &x->rep)) {
      rh_errf(e, es, "out of memory");
      return -1;
    }
    c->own_ready = true;
    c->rep = &c->own;
  }
  c->cmp = replay_compare_new(x->o->cfg, x->schemas, c->rep, x->batches, x->expect, x->period,
                              x->dept, x->feed, e, es);
  return c->cmp ? 0 : -1;
}

static void comparer_free(comparer_t *c) {
  if (c->running) pthread_join(c->th, NULL);
  c->running = false;
  replay_compare_destroy(c->cmp);
  c->cmp = NULL;
  if (c->own_ready) replay_report_free(&c->own);
  c->own_ready = false;
}

static void *comparer_main(void *arg) {
  comparer_t *c = arg;
  char e[1024], name[16];
  snprintf(name, sizeof name, "replay-cmp-%zu", c->q);
  pthread_setname_np(pthread_self(), name);
  if (replay_reader_drain(c->x->published_reader, c->q, on_published, c, &c->read, &c->x->stop,
                          c->err, e, sizeof e) &&
      strcmp(e, "stopped") != 0) { /* stopped: another thread failed and says why */
    if (!c->rc) c->rc = RH_EXIT_UNAVAILABLE;
    snprintf(c->err, sizeof c->err, "%s", e);
    c->x->stop = 1;
  }
  return NULL;
}

/* ---- the rest ---- */

static void cleanup(run_t *x) {
  x->stop = 1;
  if (x->thread_running) {
    pthread_join(x->thread, NULL);
    x->thread_running = false;
  }
  if (x->pub_running) {
    pthread_join(x->pub_thread, NULL);
    x->pub_running = false;
  }
  free(x->pub_parts);
  x->pub_parts = NULL;
  replay_reader_destroy(x->pub_lister);
  x->pub_lister = NULL;
  for (size_t i = 0; x->workers && i < x->nworkers; i++) worker_free(&x->workers[i]);
  free(x->workers);
  x->workers = NULL;
  for (size_t i = 0; x->comparers && i < x->ncomparers; i++) comparer_free(&x->comparers[i]);
  free(x->comparers);
  x->comparers = NULL;
  replay_reader_destroy(x->records_reader);
  replay_reader_destroy(x->published_reader);
  x->records_reader = x->published_reader = NULL;
  pthread_mutex_destroy(&x->lock);
  rh_regmap_destroy(x->loader.map);
  rh_archive_abandon(x->archive);
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

/* Threads for n parts: --threads, or as many as the parts up to the CPUs
 * (at least 4: parts of one size share out evenly only among as many
 * threads as there are parts). */
static size_t threads_for(const run_t *x, size_t nparts) {
  if (x->o->threads > 0) return (size_t)x->o->threads;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t most = cpus > 4 ? (size_t)cpus : 4;
  if (most > 16) most = 16;
  return nparts == 0 ? 1 : nparts < most ? nparts : most;
}

/* The departments' own topics of a class (RH_TOPIC_MANIFESTS: feed.<dept>.manifests,
 * RH_TOPIC_REJECTS: feed.<dept>.rejects) and the shared one of before
 * 2026-12 (rh_config_legacy_topic), each read to its end through fn.
 * what names the reader in the log. */
static int broker_topics(run_t *x, rh_topic_class_t cls, const char *what, rh_msg_fn *fn,
                         char *e, size_t es) {
  const rh_config_t *cfg = x->o->cfg;
  replay_part_t *parts = NULL;
  size_t n = 0;
  const char **names = calloc(cfg->department_count + 2, sizeof *names);
  char legacy[RH_CONFIG_TOPIC_PREFIX_MAX + 32];
  if (!names) {
    rh_errf(e, es, "out of memory");
    return RH_EXIT_SOFTWARE;
  }
  size_t nt = rh_config_department_topics(cfg, cls, names);
  /* and the shared topic of before 2026-12, for the months published then
   * (skipped where it does not exist) */
  if (rh_config_legacy_topic(cfg, cls, legacy, sizeof legacy) == 0) names[nt++] = legacy;
  replay_reader_t *r = replay_reader_new(cfg, what, 1, REPLAY_AHEAD_FEW, e, es);
  if (!r || replay_reader_parts(r, names, nt, 1, -1, &parts, &n, e, es) ||
      replay_reader_start(r, parts, n, e, es)) {
    free(parts);
    free(names);
    replay_reader_destroy(r);
    return RH_EXIT_UNAVAILABLE;
  }
  free(parts);
  free(names);
  if (n == 0) rh_log_info("no department's %s topic exists: nothing in them", what);
  int rc = replay_reader_drain(r, 0, fn, x, NULL, NULL, x->err, e, es)
               ? (x->err_rc ? x->err_rc : RH_EXIT_UNAVAILABLE)
               : 0;
  replay_reader_destroy(r);
  return rc;
}

/* Start fetching the records; the workers' number follows from their
 * parts. */
static int broker_records(run_t *x, char *e, size_t es) {
  replay_part_t *plan = NULL;
  size_t np = 0;
  if (replay_batches_plan(x->batches, &plan, &np)) {
    rh_errf(e, es, "out of memory");
    return RH_EXIT_SOFTWARE;
  }
  x->nworkers = threads_for(x, np);
  int rc = 0;
  if (!(x->records_reader = replay_reader_new(x->o->cfg, "feed records", x->nworkers,
                                                REPLAY_AHEAD_FEW, e, es)) ||
      replay_reader_start(x->records_reader, plan, np, e, es))
    rc = RH_EXIT_UNAVAILABLE;
  replay_batches_free_plan(plan);
  return rc;
}

/* Set the reader of the published outputs up, from the month's first list
 * less a day (offsets by time: ~0.5 s of round trips, so in a thread of its
 * own while the registry loads and the records are joined); the comparers'
 * number follows from the parts. Fetching starts in compare_published. */
static void *broker_published(void *arg) {
  run_t *x = arg;
  pthread_setname_np(pthread_self(), "replay-pub-setup");
  replay_part_t *parts = NULL;
  size_t n = 0;
  char alerts[RH_CONFIG_TOPIC_PREFIX_MAX + 16], checks[RH_CONFIG_TOPIC_PREFIX_MAX + 16];
  rh_config_topic(x->o->cfg, "alerts.", alerts, sizeof alerts);
  rh_config_topic(x->o->cfg, "checks.", checks, sizeof checks);
  const char *pre[2] = {alerts, checks};
  int64_t earliest = replay_batches_earliest(x->batches);
  int64_t since = earliest >= 0 ? (earliest > SINCE_MARGIN_MS ? earliest - SINCE_MARGIN_MS : 0)
                                : -1;
  /* the parts first, through a reader of one queue: their number is the comparers' */
  replay_reader_t *lister = replay_reader_new(x->o->cfg, "published outputs", 1,
                                              REPLAY_AHEAD_MANY, x->pub_err, sizeof x->pub_err);
  if (!lister || replay_reader_parts(lister, pre, 2, 0, since, &parts, &n, x->pub_err,
                                     sizeof x->pub_err)) {
    x->pub_rc = RH_EXIT_UNAVAILABLE;
  } else {
    x->ncomparers = threads_for(x, n);
    /* started when the records are through (compare_published): fetched
     * meanwhile, the month's outputs would wait in memory */
    if (!(x->published_reader = replay_reader_new(x->o->cfg, "published outputs", x->ncomparers,
                                                  REPLAY_AHEAD_MANY, x->pub_err,
                                                  sizeof x->pub_err)))
      x->pub_rc = RH_EXIT_UNAVAILABLE;
    x->pub_parts = parts; /* their topic names are the lister's: kept with them */
    x->pub_nparts = n;
    x->pub_lister = lister;
    parts = NULL;
    lister = NULL;
  }
  free(parts);
  replay_reader_destroy(lister);
  return NULL;
}

static int archive_stream(run_t *x, rh_archive_stream_t s, rh_msg_fn *fn, void *arg,
                          const char *fn_err, const int *fn_rc, uint64_t expect, char *e,
                          size_t es) {
  uint64_t n = 0;
  if (rh_archive_read(x->o->from_archive_dir, s, x->schemas, fn, arg, &n, fn_err, e, es))
    return *fn_rc ? *fn_rc : RH_EXIT_IOERR;
  if (n != expect) {
    rh_errf(e, es, "%s/%s: %" PRIu64 " records, archive.json says %" PRIu64,
            x->o->from_archive_dir, rh_archive_file(s), n, expect);
    return RH_EXIT_REFUSED;
  }
  return 0;
}

/* Run fn(items[i]) in a thread each and wait for them all; the first
 * failure's exit code and message. */
static int run_threads(void *items, size_t size, size_t n, void *(*fn)(void *),
                       pthread_t *(*th)(void *), bool *(*running)(void *),
                       int (*rc_of)(void *), const char *(*err_of)(void *), volatile int *stop,
                       char *e, size_t es) {
  char *base = items;
  for (size_t i = 0; i < n; i++) {
    void *it = base + i * size;
    if (pthread_create(th(it), NULL, fn, it) != 0) {
      *stop = 1;
      rh_errf(e, es, "cannot start a thread");
      for (size_t k = 0; k < i; k++) {
        void *done = base + k * size;
        pthread_join(*th(done), NULL);
        *running(done) = false;
      }
      return RH_EXIT_SOFTWARE;
    }
    *running(it) = true;
  }
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    void *it = base + i * size;
    pthread_join(*th(it), NULL);
    *running(it) = false;
    if (rc_of(it) && !rc) {
      rc = rc_of(it);
      rh_errf(e, es, "%s", err_of(it));
    }
  }
  return rc;
}

static pthread_t *w_th(void *p) { return &((worker_t *)p)->th; }
static bool *w_running(void *p) { return &((worker_t *)p)->running; }
static int w_rc(void *p) { return ((worker_t *)p)->rc; }
static const char *w_err(void *p) { return ((worker_t *)p)->err; }
static pthread_t *c_th(void *p) { return &((comparer_t *)p)->th; }
static bool *c_running(void *p) { return &((comparer_t *)p)->running; }
static int c_rc(void *p) { return ((comparer_t *)p)->rc; }
static const char *c_err(void *p) { return ((comparer_t *)p)->err; }

/* The records through the join's code: from the archive in this thread,
 * from the broker in the workers. 0 or an exit code. */
static int join_records(run_t *x, uint64_t expect, char *e, size_t es) {
  int rc;
  if (x->o->from_archive_dir) {
    worker_t *w = &x->workers[0];
    rc = archive_stream(x, RH_ARCHIVE_RECORDS, on_record, w, w->err, &w->rc, expect, e, es);
  } else {
    rc = run_threads(x->workers, sizeof *x->workers, x->nworkers, worker_main, w_th, w_running,
                     w_rc, w_err, &x->stop, e, es);
  }
  for (size_t i = 0; i < x->nworkers; i++) {
    x->records_read += x->workers[i].read;
    x->rep.records_unreadable += x->workers[i].unreadable;
    replay_batches_add_seen(x->batches, x->workers[i].seen);
  }
  if (rc) return rc;
  /* the records each signed batch promised, and no other (replay_records) */
  replay_digests_t *parts = calloc(x->nworkers ? x->nworkers : 1, sizeof *parts);
  if (!parts) return RH_EXIT_SOFTWARE;
  for (size_t i = 0; i < x->nworkers; i++) parts[i] = x->workers[i].digests;
  if (replay_digests_verify(parts, x->nworkers, x->batches, &x->rep)) rc = RH_EXIT_SOFTWARE;
  free(parts);
  for (size_t i = 0; i < x->nworkers; i++) replay_digests_free(&x->workers[i].digests);
  return rc;
}

/* The published outputs compared: from the archive in this thread, from the
 * broker in the comparers; their reports merged. 0 or an exit code. */
static int compare_published(run_t *x, const rh_archive_info_t *ai, char *e, size_t es) {
  int rc;
  if (x->pub_running) {
    pthread_join(x->pub_thread, NULL);
    x->pub_running = false;
    if (!x->pub_rc && replay_reader_start(x->published_reader, x->pub_parts, x->pub_nparts,
                                          x->pub_err, sizeof x->pub_err))
      x->pub_rc = RH_EXIT_UNAVAILABLE;
    free(x->pub_parts);
    x->pub_parts = NULL;
    replay_reader_destroy(x->pub_lister);
    x->pub_lister = NULL;
    if (x->pub_rc) {
      rh_errf(e, es, "%s", x->pub_err);
      return x->pub_rc;
    }
  }
  if (!(x->comparers = calloc(x->ncomparers, sizeof *x->comparers))) {
    rh_errf(e, es, "out of memory");
    return RH_EXIT_SOFTWARE;
  }
  for (size_t i = 0; i < x->ncomparers; i++)
    if (comparer_init(x, &x->comparers[i], i, e, es)) return RH_EXIT_SOFTWARE;
  if (x->o->from_archive_dir) {
    comparer_t *c = &x->comparers[0];
    rc = archive_stream(x, RH_ARCHIVE_ALERTS, on_published, c, c->err, &c->rc,
                        ai->counts[RH_ARCHIVE_ALERTS], e, es);
    if (!rc)
      rc = archive_stream(x, RH_ARCHIVE_CHECKS, on_published, c, c->err, &c->rc,
                          ai->counts[RH_ARCHIVE_CHECKS], e, es);
  } else {
    rc = run_threads(x->comparers, sizeof *x->comparers, x->ncomparers, comparer_main, c_th,
                     c_running, c_rc, c_err, &x->stop, e, es);
  }
  for (size_t i = 0; i < x->ncomparers; i++) {
    comparer_t *c = &x->comparers[i];
    x->published_read += c->read;
    if (!rc && c->own_ready && replay_report_merge(&x->rep, &c->own)) {
      rh_errf(e, es, "out of memory");
      rc = RH_EXIT_SOFTWARE;
    }
  }
  if (!rc && replay_compare_finish(x->comparers[0].cmp, e, es)) rc = RH_EXIT_SOFTWARE;
  return rc;
}

/* The archive's description against the command line. 0 or an exit code. */
static int archive_fits(run_t *x, const rh_archive_info_t *ai, char *e, size_t es) {
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

/* The expect and its workers, once the batches are known (their number
 * is the threads'). 0, or -1 with e. */
static int make_threads(run_t *x, char *e, size_t es) {
  if (!(x->expect = replay_expect_new(x->o->cfg, x->schemas, &x->rep, x->batches, x->nworkers, e,
                                      es)) ||
      replay_expect_prepare(x->expect, e, es))
    return -1;
  if (!(x->workers = calloc(x->nworkers, sizeof *x->workers))) {
    rh_errf(e, es, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < x->nworkers; i++)
    if (worker_init(x, &x->workers[i], i, e, es)) return -1;
  return 0;
}

static void fill_result(const replay_report_t *r, replay_result_t *res) {
  replay_feed_t t;
  replay_report_totals(r, &t);
  *res = (replay_result_t){.reported = true, .batches = t.batches, .records = t.records,
                           .records_expected = t.records_expected,
                           .records_not_found = replay_report_records_not_found(r),
                           .alerts_published = t.alerts_published,
                           .checks_published = t.checks_published,
                           .differences = replay_report_differences(r)};
}

int replay_run(const replay_opts_t *o) {
  run_t x = {.o = o};
  char e[1024] = "", source[4200];
  int rc = RH_EXIT_SOFTWARE;
  double t0 = mono_s();
  rh_archive_info_t ai;
  const rh_config_t *cfg = o->cfg;

  pthread_mutex_init(&x.lock, NULL);
  cpu_note("");
  x.period = o->period;
  if (o->from_archive_dir) {
    int refused = 0;
    if (rh_archive_open(o->from_archive_dir, &ai, &refused, e, sizeof e)) {
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
    snprintf(source, sizeof source, "archive %s%s%s", o->from_archive_dir,
             o->source_note ? " " : "", o->source_note ? o->source_note : "");
  } else {
    snprintf(source, sizeof source, "broker");
  }
  x.dept = o->department;
  x.feed = o->feed;

  if (!(x.schemas = rh_avro_schemas_new()) ||
      rh_avro_schemas_load_dir(x.schemas, o->schemas_dir, e, sizeof e) != RH_AVRO_OK ||
      !(x.fr_schema = rh_avro_schemas_get(x.schemas, "riskhub.FeedRecord"))) {
    rh_log_error("schemas: %s", !x.schemas ? "out of memory" : e[0] ? e : "no riskhub.FeedRecord");
    cleanup(&x);
    return RH_EXIT_CONFIG;
  }
  if (replay_report_init(&x.rep, cfg, x.period, x.dept, x.feed, source)) {
    rh_log_error("out of memory");
    cleanup(&x);
    return RH_EXIT_SOFTWARE;
  }
  x.rep_ready = true;
  if (!(x.batches = replay_batches_new(cfg, x.schemas, x.period, x.dept, x.feed, e, sizeof e))) {
    rh_log_error("starting: %s", e);
    cleanup(&x);
    return RH_EXIT_CONFIG;
  }
  if (o->archive_dir && !(x.archive = rh_archive_create(o->archive_dir, x.schemas, e,
                                                             sizeof e))) {
    rh_log_error("archive: %s", e);
    cleanup(&x);
    return RH_EXIT_IOERR;
  }

  /* 1. the registry in a thread; meanwhile the manifests, and the fetching
   * of the records and of the published outputs begins */
  if (!(x.pg = rh_pg_connect_as(cfg->pg_conninfo, RH_PG_ROLE_AUDIT, PG_WAIT_MS, e, sizeof e))) {
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
    rc = archive_stream(&x, RH_ARCHIVE_MANIFESTS, on_manifest, &x, x.err, &x.err_rc,
                        ai.counts[RH_ARCHIVE_MANIFESTS], e, sizeof e);
  else
    rc = broker_topics(&x, RH_TOPIC_MANIFESTS, "manifests", on_manifest, e, sizeof e);
  if (rc) goto fail;
  replay_batches_sort(x.batches);
  x.rep.manifests_unreadable = replay_batches_unreadable(x.batches);
  {
    const replay_forged_t *fl;
    size_t nf;
    x.rep.manifests_forged = replay_batches_forged(x.batches, &fl, &nf);
    if (nf && (x.rep.forged = malloc(nf * sizeof *fl))) {
      memcpy(x.rep.forged, fl, nf * sizeof *fl);
      x.rep.nforged = nf;
    }
  }
  if (o->from_archive_dir ? ai.format >= 2 && (rc = archive_stream(&x, RH_ARCHIVE_REJECTS,
                                                                   on_reject, &x, x.err,
                                                                   &x.err_rc,
                                                                   ai.counts[RH_ARCHIVE_REJECTS],
                                                                   e, sizeof e))
                          : (rc = broker_topics(&x, RH_TOPIC_REJECTS, "rejects", on_reject, e,
                                                sizeof e)))
    goto fail;
  rh_log_info("%zu batches of %s (%" PRIu64 " manifests read) in %.2f s",
              replay_batches_count(x.batches), x.period, x.manifests_read,
              mono_s() - t_manifests);
  if (o->from_archive_dir) {
    x.nworkers = x.ncomparers = 1;
  } else {
    if (pthread_create(&x.pub_thread, NULL, broker_published, &x) != 0) {
      rh_errf(e, sizeof e, "cannot start a thread");
      rc = RH_EXIT_SOFTWARE;
      goto fail;
    }
    x.pub_running = true;
    if ((rc = broker_records(&x, e, sizeof e))) goto fail;
  }
  if (make_threads(&x, e, sizeof e)) {
    rc = RH_EXIT_SOFTWARE;
    goto fail;
  }

  /* 2. the records through the join's code */
  if ((rc = registry_ready(&x))) {
    e[0] = '\0';
    goto fail;
  }
  rh_log_info("registry loaded in %.2f s", x.loader.seconds);
  rh_log_debug("RSS %ld MiB with the registry", rss_mib());
  cpu_note("start to registry");
  double t_records = mono_s();
  if ((rc = join_records(&x, o->from_archive_dir ? ai.counts[RH_ARCHIVE_RECORDS] : 0, e,
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
  rh_log_debug("RSS %ld MiB after the records", rss_mib());
  cpu_note("records");
  join_counts_t jc;
  replay_expect_counts(x.expect, &jc);
  rh_log_info("%" PRIu64 " records of the batches (%" PRIu64 " read) through the join's code in "
              "%.2f s (%zu threads; check lists %.2f s): %" PRIu64 " alerts, %" PRIu64
              " unmatched, %" PRIu64 " no rule, %" PRIu64 " duplicates, %" PRIu64 " check results",
              jc.records, x.records_read, mono_s() - t_records, x.nworkers, mono_s() - t_checks,
              jc.alerts, jc.unmatched, jc.no_rule, jc.duplicates, jc.checks);

  /* 3. what was published */
  double t_pub = mono_s();
  if ((rc = compare_published(&x, &ai, e, sizeof e))) goto fail;
  rh_log_debug("RSS %ld MiB after the comparison", rss_mib());
  cpu_note("comparison");
  rh_log_info("%" PRIu64 " published messages compared in %.2f s (%zu threads)",
              x.published_read, mono_s() - t_pub, x.ncomparers);
  replay_reader_destroy(x.published_reader);
  x.published_reader = NULL;

  /* 4. causes, report */
  if (replay_cause_explain(&x.rep, x.pg, e, sizeof e)) {
    rc = rh_pg_connection_lost(x.pg) ? RH_EXIT_UNAVAILABLE : RH_EXIT_SOFTWARE;
    goto fail;
  }
  if (x.archive) {
    rh_archive_info_t info = {0};
    snprintf(info.period, sizeof info.period, "%s", x.period);
    snprintf(info.department, sizeof info.department, "%s", x.dept ? x.dept : "");
    snprintf(info.feed, sizeof info.feed, "%s", x.feed ? x.feed : "");
    snprintf(info.topic_prefix, sizeof info.topic_prefix, "%s", cfg->topic_prefix);
    info.created_at = rh_wall_ms();
    rh_archive_writer_t *w = x.archive;
    x.archive = NULL;
    if (rh_archive_close(w, &info, e, sizeof e)) {
      rc = RH_EXIT_IOERR;
      goto fail;
    }
    rh_log_info("archive written to %s", o->archive_dir);
  }
  replay_report_sort(&x.rep);
  x.rep.seconds = mono_s() - t0;
  if (o->result) {
    fill_result(&x.rep, o->result);
    o->result->rejects = x.rejects_kept;
  }
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
  cleanup(&x);
  return rc ? rc : RH_EXIT_SOFTWARE;
}
