/* alerts_run: see alerts_run.h. */
#include "alerts_run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alerts_audit.h"
#include "alerts_consume.h"
#include "alerts_format.h"
#include "alerts_heads.h"
#include "alerts_states.h"
#include "alerts_store.h"
#include "rh_file.h"
#include "rh_alert.h"
#include "rh_archive.h"
#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_clock.h"
#include "rh_err.h"
#include "rh_hash.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_parse.h"
#include "rh_paths.h"
#include "rh_period.h"
#include "rh_pg.h"

#define FOLLOW_BATCH_MAX 10000
#define FOLLOW_BATCH_MS 1000
#define POLL_MS 200

typedef struct {
  const alerts_run_opts_t *o;
  const alerts_args_t *a;
  const alerts_plan_t *p;
  alerts_consumer_t *c;
  /* decoding */
  rh_avro_schemas_t *set;
  const rh_avro_schema_t *reader;
  rh_avro_decoder_t *dec;
  rh_alert_codec_t codec;
  avro_value_t val;
  bool val_ok;
  /* the batch */
  alerts_store_t store;
  int64_t batch_started_ms;
  /* output */
  alerts_fmt_t fmt;
  alerts_heads_t heads;
  alerts_states_t states;  /* the batch's warnings in the ledger */
  alerts_states_t overdue; /* --overdue: the ledger's overdue warnings, the run's filter */
  bool states_warned;
  int32_t today;           /* the county's day */
  int out_fd;         /* --output: opened at start, truncated at the first write */
  FILE *out;
  bool out_sync;      /* a regular file: fsync after each batch */
  const char *destination; /* "stdout" or the file (absolute) */
  char *abs_output;
  size_t written;     /* alerts written so far */
  /* PostgreSQL: the export record, and the heads for the table */
  PGconn *pg;
  bool pg_tried, heads_warned;
  char pg_why[512];        /* why r->pg is NULL after trying */
  alerts_audit_info_t audit;
  const char *codes[ALERTS_MAX_TOWNSHIPS];
  char run_id[33];
  /* a --period window: the keys of the month's alerts the broker gave (the
   * archive then adds only the others) */
  uint64_t *seen;
  size_t nseen, cseen;
  uint64_t archived; /* alerts added from the monthly archive */
  /* counts */
  uint64_t households, unmatched, skipped, batches, exports;
  /* a failure that ends the run: its exit code */
  int rc;
  bool failed;
} run_t;

static void fail(run_t *r, int rc) {
  if (!r->failed) r->rc = rc;
  r->failed = true;
}

static void make_run_id(char out[33]) {
  unsigned char b[16];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
    uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)rh_mono_ms();
    for (size_t i = 0; i < sizeof b; i++) b[i] = (unsigned char)(x >> ((i % 8) * 8)) ^ (unsigned char)i;
  }
  for (size_t i = 0; i < sizeof b; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* The configured connection string with a connect timeout, so that a
 * firewalled server does not hang the run (libpq waits for ever by default). */
static char *conninfo_with_timeout(const char *conninfo, int seconds) {
  char *s = NULL;
  if (strstr(conninfo, "connect_timeout") || strncmp(conninfo, "postgres", 8) == 0)
    return strdup(conninfo);
  if (asprintf(&s, "%s connect_timeout=%d", conninfo, seconds) < 0) return NULL;
  return s;
}

static PGconn *pg_connect(run_t *r, int wait_ms, char *err, size_t errsz) {
  char *ci = conninfo_with_timeout(r->o->cfg->pg_conninfo, 5);
  if (!ci) {
    rh_errf(err, errsz, "out of memory");
    return NULL;
  }
  /* one township: its own role, which sees its own households only (migration
   * 008); several (the bureau's --all): riskhub_township */
  char role[64];
  if (r->p->township_count == 1)
    snprintf(role, sizeof role, "%s%s", RH_PG_ROLE_TOWN_PREFIX, r->p->townships[0]->code);
  else
    snprintf(role, sizeof role, "%s", RH_PG_ROLE_TOWNSHIP);
  PGconn *conn = rh_pg_connect_as(ci, role, wait_ms, err, errsz);
  free(ci);
  return conn;
}

/* ---- output ---------------------------------------------------------------------- */

static int out_open_early(run_t *r) {
  if (!r->a->output) {
    struct stat st;
    r->out_sync = fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode);
    return 0;
  }
  /* 0600: the output holds names (and with --unmasked, ID numbers) */
  r->out_fd = open(r->a->output, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  /* an existing file keeps its mode under O_CREAT: made 0600 too */
  if (r->out_fd >= 0 && rh_file_private_fd(r->out_fd) != 0) {
    close(r->out_fd);
    r->out_fd = -1;
  }
  if (r->out_fd < 0) {
    rh_log_error("--output %s: %s", r->a->output, strerror(errno));
    return -1;
  }
  struct stat st;
  r->out_sync = fstat(r->out_fd, &st) == 0 && S_ISREG(st.st_mode);
  return 0;
}

/* The stream, truncated and begun at the first write. */
static FILE *out_stream(run_t *r) {
  if (r->out) return r->out;
  if (!r->a->output) {
    r->out = stdout;
  } else {
    if (r->out_sync && ftruncate(r->out_fd, 0)) {
      rh_log_error("--output %s: %s", r->a->output, strerror(errno));
      return NULL;
    }
    r->out = fdopen(r->out_fd, "w");
    if (!r->out) {
      rh_log_error("--output %s: %s", r->a->output, strerror(errno));
      return NULL;
    }
    r->out_fd = -1; /* the stream owns it */
  }
  if (alerts_format_begin(r->out, &r->fmt)) return NULL;
  return r->out;
}

static int out_sync(run_t *r) {
  if (fflush(r->out)) return -1;
  if (r->out_sync && fsync(fileno(r->out)) && errno != EINVAL) return -1;
  return 0;
}

/* ---- a batch --------------------------------------------------------------------- */

/* PostgreSQL for a batch's lookups (heads, states): connected once, without
 * waiting; NULL when it is not there (r->pg_why says why). */
static PGconn *lookup_pg(run_t *r) {
  if (!r->pg && !r->pg_tried) {
    r->pg_tried = true;
    r->pg = pg_connect(r, 0, r->pg_why, sizeof r->pg_why);
  }
  if (!r->pg && !r->pg_why[0]) snprintf(r->pg_why, sizeof r->pg_why, "PostgreSQL away");
  return r->pg;
}

/* Say once (*warned) that a lookup is skipped, and why. */
static void lookup_skipped(bool *warned, const char *what, const char *why, const char *so) {
  if (!*warned) rh_log_warn("%s are not looked up (%s); %s", what, why, so);
  *warned = true;
}

#define HEADS_SO "the table shows a head only when the head is among the persons concerned"
#define STATES_SO "the state is left empty"

static void load_heads(run_t *r) {
  if (r->fmt.format != ALERTS_FMT_TABLE || r->a->no_registry) return;
  char err[1024];
  if (!lookup_pg(r)) {
    lookup_skipped(&r->heads_warned, "household heads", r->pg_why, HEADS_SO);
    return;
  }
  if (alerts_heads_load(r->pg, r->store.items, r->store.n, &r->heads, err, sizeof err))
    lookup_skipped(&r->heads_warned, "household heads", err, HEADS_SO);
}

/* The batch's warnings' states from the ledger (not with --overdue, whose
 * set already holds them; not with --no-registry). */
static void load_states(run_t *r) {
  if (r->a->overdue || r->a->no_registry || !r->p->township_count) return;
  char err[1024];
  if (!lookup_pg(r)) {
    lookup_skipped(&r->states_warned, "the warnings' states", r->pg_why, STATES_SO);
    return;
  }
  if (alerts_states_load(r->pg, r->store.items, r->store.n, r->today, &r->states, err,
                         sizeof err))
    lookup_skipped(&r->states_warned, "the warnings' states", err, STATES_SO);
}

static void count_groups(run_t *r) {
  for (size_t i = 0; i < r->store.n; i++) {
    const alerts_item_t *it = &r->store.items[i];
    if (!it->a.household_id) {
      r->unmatched++;
      continue;
    }
    if (i == 0 || !alerts_same_group(&r->store.items[i - 1], it)) r->households++;
  }
}

/* Write the batch (record first when unmasked), then commit its offsets.
 * final: the last batch of the run (the table says so when nothing came). */
static void flush(run_t *r, bool final) {
  char err[1024];
  if (r->failed) return;
  size_t n = r->store.n;
  if (n) alerts_store_sort(&r->store);
  if (n && r->a->unmasked) {
    long long id = -1;
    alerts_audit_status_t st =
        alerts_audit_record(r->pg, &r->audit, r->store.items, n, &id, err, sizeof err);
    if (st != ALERTS_AUDIT_OK) {
      rh_log_error("%s: the %zu alerts are NOT written (no unmasked output without its record)",
                   err, n);
      fail(r, st == ALERTS_AUDIT_AWAY ? RH_EXIT_UNAVAILABLE
              : st == ALERTS_AUDIT_NOT_MIGRATED ? RH_EXIT_CONFIG : RH_EXIT_SOFTWARE);
      return;
    }
    r->exports++;
    rh_log_info("unmasked export recorded: unmasked_exports.export_id=%lld (%zu alerts)", id, n);
  }
  if (n) {
    load_heads(r);
    load_states(r);
  }
  if (n || final) {
    FILE *out = out_stream(r);
    if (!out || alerts_format_batch(out, &r->fmt, r->store.items, n) ||
        (final && !n && !r->written && !r->a->follow && alerts_format_nothing(out, &r->fmt)) ||
        out_sync(r)) {
      rh_log_error("writing the output to %s: %s; offsets not committed", r->destination,
                   strerror(errno));
      fail(r, RH_EXIT_IOERR);
      return;
    }
  }
  if (alerts_consumer_commit(r->c, err, sizeof err)) {
    rh_log_error("%s: the %zu alerts were written but the group's offsets not committed; the "
                 "next run shows them again",
                 err, n);
    fail(r, RH_EXIT_UNAVAILABLE);
    return;
  }
  if (n) {
    count_groups(r);
    r->written += n;
    r->batches++;
  }
  alerts_store_clear(&r->store);
}

static void on_revoke(void *arg) { flush(arg, false); }

/* ---- a message -------------------------------------------------------------------- */

/* An alert id's key (rh_hex_key64; 0 for an id that is not hex). */
static uint64_t id_key(const char *id) {
  uint64_t k;
  rh_hex_key64(id, &k);
  return k;
}

static int cmp_key(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* One message's alert into the batch, when it passes the window; an
 * archived one only if the broker did not give it. 1 kept, 0 not, -1 the run
 * failed (fail() called). */
static int take(run_t *r, const char *topic, int32_t partition, int64_t offset,
                const void *payload, size_t len, bool archived) {
  char err[512];
  rh_avro_status_t st =
      rh_avro_decode(r->dec, payload, len, r->reader, &r->val, NULL, err, sizeof err);
  if (st == RH_AVRO_EUNKNOWN) {
    /* a newer writer (schema): do not skip it, the next riskhub shows it */
    rh_log_error("%s [%d] offset %" PRId64 ": %s: written with a schema this program does not "
                 "know; update schemas/ and run again (nothing from there on was read)",
                 topic, (int)partition, offset, err);
    fail(r, RH_EXIT_CONFIG);
    return -1;
  }
  rh_alert_t a;
  if (st != RH_AVRO_OK || rh_alert_from_value(&r->codec, &r->val, &a, err, sizeof err)) {
    rh_log_warn("%s [%d] offset %" PRId64 ": not an Alert, skipped: %s", topic, (int)partition,
                offset, err);
    r->skipped++;
    return 0;
  }
  /* a withdrawal (docs/join.md, "Corrections") is not a warning to visit: the
   * warning it withdraws shows the ledger's state WITHDRAWN */
  if (a.withdraws) return 0;
  /* --overdue: seen on the broker, whether or not the window shows it */
  bool wanted = !r->a->overdue || alerts_states_mark(&r->overdue, a.alert_id);
  if (r->p->period[0] && (!a.period || strcmp(a.period, r->p->period) != 0)) return 0;
  if (r->p->from_ms >= 0 && a.created_at < r->p->from_ms) return 0;
  if (!wanted) return 0;
  uint64_t k = id_key(a.alert_id);
  if (archived && r->nseen && bsearch(&k, r->seen, r->nseen, sizeof k, cmp_key)) return 0;
  if (!archived && r->p->period[0] && r->p->window) {
    if (r->nseen == r->cseen) {
      size_t cap = r->cseen ? 2 * r->cseen : 1024;
      uint64_t *p = realloc(r->seen, cap * sizeof *p);
      if (!p) {
        rh_log_error("out of memory");
        fail(r, RH_EXIT_SOFTWARE);
        return -1;
      }
      r->seen = p;
      r->cseen = cap;
    }
    r->seen[r->nseen++] = k;
  }
  if (alerts_store_add(&r->store, &a, topic, partition, offset, err, sizeof err)) {
    rh_log_error("%s", err);
    fail(r, RH_EXIT_SOFTWARE);
    return -1;
  }
  if (r->store.n == 1) r->batch_started_ms = rh_mono_ms();
  return 1;
}

static void handle(run_t *r, rd_kafka_message_t *m) {
  if (take(r, rd_kafka_topic_name(m->rkt), m->partition, m->offset, m->payload, m->len, false) <
      0)
    return;
  if (alerts_consumer_mark(r->c, m)) {
    rh_log_error("out of memory");
    fail(r, RH_EXIT_SOFTWARE);
  }
}

static int on_archived(void *arg, const rh_msg_t *m) {
  run_t *r = arg;
  bool ours = false;
  for (size_t i = 0; i < r->p->topic_count && !ours; i++)
    ours = strcmp(r->p->topics[i], m->topic) == 0;
  if (!ours) return 0;
  int k = take(r, m->topic, m->partition, m->offset, m->value, m->value_len, true);
  if (k > 0) r->archived++;
  return k < 0;
}

/* A --period window (one-shot): the month's alerts the broker no longer has,
 * from the monthly archive (archive.dir/YYYY-MM, riskhub-replay
 * --archive-due), if it was made. An archive that fails its checksums ends
 * the run (65): nothing is written. */
static void add_archived(run_t *r) {
  const rh_config_t *cfg = r->o->cfg;
  char dir[4096], err[1024];
  if (!r->p->window || !r->p->period[0] || r->a->follow) return;
  rh_archive_info_t info;
  int refused = 0;
  int got = rh_archive_open_month(cfg, r->p->period, dir, sizeof dir, &info, &refused, err,
                                  sizeof err);
  if (got < 0) {
    rh_log_error("the monthly archive: %s; nothing is written", err);
    fail(r, refused ? RH_EXIT_REFUSED : RH_EXIT_IOERR);
    return;
  }
  if (got == 0) return; /* none, or another namespace's */
  if (r->nseen) qsort(r->seen, r->nseen, sizeof *r->seen, cmp_key);
  uint64_t n = 0;
  if (rh_archive_read(dir, RH_ARCHIVE_ALERTS, r->set, on_archived, r, &n, "an alert", err,
                      sizeof err)) {
    if (!r->failed) {
      rh_log_error("the monthly archive %s: %s; nothing is written", dir, err);
      fail(r, RH_EXIT_IOERR);
    }
    return;
  }
  if (r->archived)
    rh_log_warn("%" PRIu64 " alerts of %s are no longer on the broker: shown from the monthly "
                "archive %s",
                r->archived, r->p->period, dir);
}

/* ---- --overdue -------------------------------------------------------------------- */

/* The ledger's overdue warnings of the townships asked for: the run shows
 * these and no other. The ledger must be there (nothing is guessed). */
static int load_overdue(run_t *r) {
  char err[1024];
  if (!r->pg) {
    r->pg_tried = true;
    r->pg = pg_connect(r, r->a->wait_s * 1000, err, sizeof err);
  }
  if (!r->pg) {
    rh_log_error("--overdue: the warnings ledger cannot be read: %s; nothing is written", err);
    return RH_EXIT_UNAVAILABLE;
  }
  for (size_t i = 0; i < r->p->township_count; i++) r->codes[i] = r->p->townships[i]->code;
  if (alerts_states_load_overdue(r->pg, r->codes, r->p->township_count, r->today, r->p->period,
                                 r->p->from_ms, &r->overdue, err, sizeof err)) {
    rh_log_error("--overdue: %s; nothing is written", err);
    return strstr(err, "42P01") || strstr(err, "does not exist") ? RH_EXIT_CONFIG
           : PQstatus(r->pg) != CONNECTION_OK                   ? RH_EXIT_UNAVAILABLE
                                                                : RH_EXIT_SOFTWARE;
  }
  rh_log_info("--overdue: %zu warnings of the ledger are past their visit day and still open",
              r->overdue.n);
  return RH_EXIT_OK;
}

/* Overdue warnings the broker no longer has (retention, or a topic deleted):
 * the township must still hear of them, so they are named (ids only). */
static void report_overdue_unseen(run_t *r) {
  if (!r->a->overdue) return;
  size_t unseen = 0;
  char ids[256];
  size_t k = 0;
  ids[0] = '\0';
  for (size_t i = 0; i < r->overdue.n; i++) {
    if (r->overdue.v[i].seen) continue;
    if (unseen++ < 5 && k < sizeof ids - 24)
      k += (size_t)snprintf(ids + k, sizeof ids - k, "%s%.16s", k ? ", " : "",
                            r->overdue.v[i].alert_id);
  }
  if (unseen)
    rh_log_warn("--overdue: %zu overdue warnings of the ledger were not found on the broker "
                "(past the topics' retention; riskhub-replay --period or the monthly archive "
                "has them): %s%s",
                unseen, ids, unseen > 5 ? ", ..." : "");
}

/* ---- setup ----------------------------------------------------------------------- */

static int setup_decoding(run_t *r) {
  char err[1024];
  const char *dir = r->a->schemas_dir ? r->a->schemas_dir : rh_path_schemas();
  r->set = rh_avro_schemas_new();
  if (!r->set || rh_avro_schemas_load_dir(r->set, dir, err, sizeof err)) {
    rh_log_error("schemas %s: %s", dir, r->set ? err : "out of memory");
    return -1;
  }
  r->reader = rh_avro_schemas_get(r->set, "riskhub.Alert");
  if (!r->reader) {
    rh_log_error("schemas %s: no riskhub.Alert", dir);
    return -1;
  }
  if (rh_alert_codec_init(&r->codec, r->reader, err, sizeof err) ||
      rh_avro_schema_value_new(r->reader, &r->val, err, sizeof err)) {
    rh_log_error("schemas %s: %s", dir, err);
    return -1;
  }
  r->val_ok = true;
  if (!(r->dec = rh_avro_decoder_new(r->set))) {
    rh_log_error("out of memory");
    return -1;
  }
  return 0;
}

int alerts_run(const alerts_run_opts_t *o) {
  run_t *r = calloc(1, sizeof *r);
  if (!r) {
    rh_log_error("out of memory");
    return RH_EXIT_SOFTWARE;
  }
  r->o = o;
  r->a = o->args;
  r->p = o->plan;
  r->out_fd = -1;
  alerts_store_init(&r->store);
  r->today = rh_period_local_days(rh_wall_ms(), RH_PERIOD_UTC_OFFSET_CN);
  if (r->a->overdue_on) /* checked by alerts_args_parse */
    rh_parse_date(r->a->overdue_on, strlen(r->a->overdue_on), &r->today);
  r->fmt = (alerts_fmt_t){.format = r->a->format, .unmasked = r->a->unmasked,
                          .bom = !r->a->no_bom, .cfg = o->cfg, .heads = &r->heads,
                          .states = r->a->overdue ? &r->overdue : &r->states};
  char err[1024];
  int rc = RH_EXIT_OK;
  bool masked = !r->a->unmasked;

  if (setup_decoding(r)) {
    rc = RH_EXIT_CONFIG;
    goto out;
  }
  /* the record names the file absolutely (a relative name says little later) */
  char cwd[4096];
  if (r->a->output && r->a->output[0] != '/' && getcwd(cwd, sizeof cwd) &&
      asprintf(&r->abs_output, "%s/%s", cwd, r->a->output) < 0)
    r->abs_output = NULL;
  r->destination = r->abs_output ? r->abs_output : r->a->output ? r->a->output : "stdout";
  if (r->a->unmasked) {
    /* no unmasked output without its record: the database must be there first */
    make_run_id(r->run_id);
    for (size_t i = 0; i < r->p->township_count; i++) r->codes[i] = r->p->townships[i]->code;
    r->audit = (alerts_audit_info_t){
        .run_id = r->run_id, .os_user = o->os_user, .operator_name = r->a->operator_name,
        .hostname = o->hostname, .townships = r->codes, .township_count = r->p->township_count,
        .unmatched = r->p->unmatched, .group = r->p->window ? NULL : r->p->group,
        .from_date = r->p->from_date[0] ? r->p->from_date : NULL,
        .period = r->p->period[0] ? r->p->period : NULL,
        .format = alerts_format_name(r->a->format), .destination = r->destination};
    r->pg_tried = true;
    r->pg = pg_connect(r, r->a->wait_s * 1000, err, sizeof err);
    if (!r->pg) {
      rh_log_error("--unmasked: the export cannot be recorded: %s; nothing is written", err);
      rc = RH_EXIT_UNAVAILABLE;
      goto out;
    }
    alerts_audit_status_t st = alerts_audit_check(r->pg, err, sizeof err);
    if (st != ALERTS_AUDIT_OK) {
      rh_log_error("--unmasked: %s; nothing is written", err);
      rc = st == ALERTS_AUDIT_AWAY ? RH_EXIT_UNAVAILABLE
         : st == ALERTS_AUDIT_NOT_MIGRATED ? RH_EXIT_CONFIG : RH_EXIT_SOFTWARE;
      goto out;
    }
  }

  if (r->a->overdue && (rc = load_overdue(r)) != RH_EXIT_OK) goto out;

  /* checked for writing now, truncated when the first batch is written */
  if (out_open_early(r)) {
    rc = RH_EXIT_IOERR;
    goto out;
  }

  alerts_consumer_opts_t co = {
      .cfg = o->cfg, .topics = (const char *const *)r->p->topics, .topic_count = r->p->topic_count,
      .group = r->p->window ? NULL : r->p->group, .window_group = r->p->window_group,
      .from_ms = r->p->from_ms, .follow = r->a->follow, .wait_ms = r->a->wait_s * 1000,
      .on_revoke = on_revoke, .arg = r};
  alerts_c_status_t cst;
  r->c = alerts_consumer_new(&co, &cst, err, sizeof err);
  if (!r->c) {
    rh_log_error("%s", err);
    rc = cst == ALERTS_C_AWAY      ? RH_EXIT_UNAVAILABLE
         : cst == ALERTS_C_REFUSED ? RH_EXIT_NOPERM
                                   : RH_EXIT_SOFTWARE;
    goto out;
  }
  rh_log_info("reading %zu topics %s %s", r->p->topic_count,
              r->p->window ? "as a window, from" : "in group",
              !r->p->window ? r->p->group : r->p->from_date[0] ? r->p->from_date : "the beginning");

  bool poll_failed = false;
  while (!r->failed && !*o->stop && !alerts_consumer_done(r->c)) {
    rd_kafka_message_t *m = NULL;
    alerts_c_status_t st = alerts_consumer_poll(r->c, POLL_MS, &m, err, sizeof err);
    if (st != ALERTS_C_OK) {
      rh_log_error("%s; nothing of this run is written", err);
      rc = st == ALERTS_C_AWAY      ? RH_EXIT_UNAVAILABLE
           : st == ALERTS_C_REFUSED ? RH_EXIT_NOPERM
                                    : RH_EXIT_SOFTWARE;
      poll_failed = true;
      break;
    }
    if (m) {
      handle(r, m);
      rd_kafka_message_destroy(m);
    }
    if (r->a->follow && r->store.n &&
        (alerts_consumer_caught_up(r->c) || r->store.n >= FOLLOW_BATCH_MAX ||
         rh_mono_ms() - r->batch_started_ms >= FOLLOW_BATCH_MS))
      flush(r, false);
  }
  if (!poll_failed && !r->failed && !*o->stop) add_archived(r);
  if (!poll_failed && !r->failed && !*o->stop) report_overdue_unseen(r);
  if (!poll_failed) {
    if (!r->failed && !r->p->window && !alerts_consumer_assigned(r->c) &&
        !alerts_consumer_nothing(r->c) && !r->a->follow && !*o->stop)
      rh_log_info("no partition of the topics was assigned to this run (none exists yet, or "
                  "another member of group %s holds them)",
                  r->p->group);
    flush(r, true);
    rc = r->failed ? r->rc : r->skipped ? RH_EXIT_REFUSED : RH_EXIT_OK;
  }

out:
  fprintf(stderr,
          "riskhub-alerts: alerts=%zu households=%" PRIu64 " unmatched=%" PRIu64
          " skipped=%" PRIu64 " batches=%" PRIu64 " exports=%" PRIu64 " masked=%s\n",
          r->written, r->households, r->unmatched, r->skipped, r->batches, r->exports,
          masked ? "yes" : "no");
  alerts_consumer_destroy(r->c);
  if (r->out && r->out != stdout && fclose(r->out) && rc == RH_EXIT_OK) {
    rh_log_error("closing %s: %s", r->destination, strerror(errno));
    rc = RH_EXIT_IOERR;
  }
  if (r->out_fd >= 0) close(r->out_fd);
  if (r->pg) PQfinish(r->pg);
  alerts_heads_free(&r->heads);
  alerts_states_free(&r->states);
  alerts_states_free(&r->overdue);
  alerts_store_free(&r->store);
  free(r->seen);
  free(r->abs_output);
  if (r->val_ok) avro_value_decref(&r->val);
  rh_alert_codec_free(&r->codec);
  rh_avro_decoder_destroy(r->dec);
  rh_avro_schemas_destroy(r->set);
  free(r);
  return rc;
}
