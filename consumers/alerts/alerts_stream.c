/* alerts_stream: see alerts_stream.h. */
#include "alerts_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alerts_consume.h"
#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_paths.h"

#define FOLLOW_BATCH_MS 1000
#define POLL_MS 200

typedef struct {
  const alerts_run_opts_t *o;
  const alerts_stream_kind_t *k;
  const alerts_args_t *a;
  const alerts_plan_t *p;
  alerts_consumer_t *c;
  rh_avro_schemas_t *set;
  rh_avro_decoder_t *dec;
  bool codec_ok;
  alerts_fmt_t fmt;
  int out_fd; /* --output: opened at start, truncated at the first write */
  FILE *out;
  bool out_sync; /* a regular file: fsync after each batch */
  const char *destination;
  size_t pending;           /* versions written to the stream since the last flush */
  int64_t batch_started_ms; /* monotonic, of the first pending one */
  uint64_t written, counts[ALERTS_STREAM_MAX_STATUS], skipped, batches;
  int rc;
  bool failed;
} run_t;

static void fail(run_t *r, int rc) {
  if (!r->failed) r->rc = rc;
  r->failed = true;
}

static int out_open_early(run_t *r) {
  struct stat st;
  if (!r->a->output) {
    r->out_sync = fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode);
    return 0;
  }
  r->out_fd = open(r->a->output, O_WRONLY | O_CREAT | O_CLOEXEC, r->k->out_mode);
  if (r->out_fd < 0) {
    rh_log_error("--output %s: %s", r->a->output, strerror(errno));
    return -1;
  }
  r->out_sync = fstat(r->out_fd, &st) == 0 && S_ISREG(st.st_mode);
  return 0;
}

/* The stream, truncated and begun (csv: the header) at the first write. */
static FILE *out_stream(run_t *r) {
  if (r->out) return r->out;
  if (!r->a->output) {
    r->out = stdout;
  } else {
    if (r->out_sync && ftruncate(r->out_fd, 0)) return NULL;
    if (!(r->out = fdopen(r->out_fd, "w"))) return NULL;
    r->out_fd = -1; /* the stream owns it */
  }
  if (r->k->format->begin(r->out, &r->fmt)) return NULL;
  return r->out;
}

/* What was written since the last flush onto the disk, then its offsets
 * committed. final: the end of the run (the table says when nothing came). */
static void flush(run_t *r, bool final) {
  char err[1024];
  if (r->failed) return;
  if (r->pending || final) {
    FILE *out = out_stream(r);
    if (!out || (final && !r->written && !r->a->follow &&
                 r->k->format->nothing(out, &r->fmt)) ||
        fflush(out) || (r->out_sync && fsync(fileno(out)) && errno != EINVAL)) {
      rh_log_error("writing the output to %s: %s; offsets not committed", r->destination,
                   strerror(errno));
      fail(r, RH_EXIT_IOERR);
      return;
    }
  }
  if (alerts_consumer_commit(r->c, err, sizeof err)) {
    rh_log_error("%s: %s were written but the group's offsets not committed; the next run "
                 "shows them again",
                 err, r->k->what);
    fail(r, RH_EXIT_UNAVAILABLE);
    return;
  }
  if (r->pending) r->batches++;
  r->pending = 0;
}

static void on_revoke(void *arg) { flush(arg, false); }

/* One message: decoded, kept by the window, written. */
static void handle(run_t *r, const rd_kafka_message_t *m) {
  char err[512];
  const char *topic = rd_kafka_topic_name(m->rkt);
  const alerts_stream_kind_t *k = r->k;
  if (!m->payload || k->decode(k->codec, r->dec, m->payload, m->len, k->rec, err, sizeof err)) {
    rh_log_warn("%s [%d] offset %" PRId64 ": not a %s, skipped: %s", topic, (int)m->partition,
                m->offset, k->record, m->payload ? err : "empty message");
    r->skipped++;
  } else {
    const char *period;
    int64_t created_at;
    int status;
    k->meta(k->rec, &period, &created_at, &status);
    if ((!r->p->period[0] || strcmp(period, r->p->period) == 0) &&
        (r->p->from_ms < 0 || created_at >= r->p->from_ms)) {
      FILE *out = out_stream(r);
      if (!out || k->format->one(out, &r->fmt, k->rec)) {
        rh_log_error("writing the output to %s: %s; offsets not committed", r->destination,
                     strerror(errno));
        fail(r, RH_EXIT_IOERR);
        return;
      }
      if (!r->pending++) r->batch_started_ms = rh_mono_ms();
      r->written++;
      if (status >= 0 && status < ALERTS_STREAM_MAX_STATUS) r->counts[status]++;
    }
  }
  if (alerts_consumer_mark(r->c, m)) {
    rh_log_error("out of memory");
    fail(r, RH_EXIT_SOFTWARE);
  }
}

static int setup_decoding(run_t *r) {
  char err[1024];
  const char *dir = r->a->schemas_dir ? r->a->schemas_dir : rh_path_schemas();
  r->set = rh_avro_schemas_new();
  if (!r->set || rh_avro_schemas_load_dir(r->set, dir, err, sizeof err) ||
      r->k->codec_init(r->k->codec, r->set, err, sizeof err)) {
    rh_log_error("schemas %s: %s", dir, r->set ? err : "out of memory");
    return -1;
  }
  r->codec_ok = true;
  if (!(r->dec = rh_avro_decoder_new(r->set))) {
    rh_log_error("out of memory");
    return -1;
  }
  return 0;
}

static int c_status_rc(alerts_c_status_t st) {
  return st == ALERTS_C_AWAY      ? RH_EXIT_UNAVAILABLE
         : st == ALERTS_C_REFUSED ? RH_EXIT_NOPERM
                                  : RH_EXIT_SOFTWARE;
}

int alerts_stream_run(const alerts_run_opts_t *o, const alerts_stream_kind_t *k) {
  run_t *r = calloc(1, sizeof *r);
  if (!r) {
    rh_log_error("out of memory");
    return RH_EXIT_SOFTWARE;
  }
  r->o = o;
  r->k = k;
  r->a = o->args;
  r->p = o->plan;
  r->out_fd = -1;
  r->destination = r->a->output ? r->a->output : "stdout";
  r->fmt = (alerts_fmt_t){.format = r->a->format, .bom = !r->a->no_bom, .cfg = o->cfg};
  char err[1024];
  int rc = RH_EXIT_OK;
  if (setup_decoding(r)) {
    rc = RH_EXIT_CONFIG;
    goto out;
  }
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
  if (!(r->c = alerts_consumer_new(&co, &cst, err, sizeof err))) {
    rh_log_error("%s", err);
    rc = c_status_rc(cst);
    goto out;
  }
  rh_log_info("reading %s (%s%s) %s %s", k->what, r->p->topics[0],
              r->p->topic_count > 1 ? ", ..." : "",
              r->p->window ? "as a window, from" : "in group",
              !r->p->window ? r->p->group : r->p->from_date[0] ? r->p->from_date : "the beginning");
  bool poll_failed = false;
  while (!r->failed && !*o->stop && !alerts_consumer_done(r->c)) {
    rd_kafka_message_t *m = NULL;
    alerts_c_status_t st = alerts_consumer_poll(r->c, POLL_MS, &m, err, sizeof err);
    if (st != ALERTS_C_OK) {
      rh_log_error("%s; the offsets of what is not yet written are not committed", err);
      rc = c_status_rc(st);
      poll_failed = true;
      break;
    }
    if (m) {
      handle(r, m);
      rd_kafka_message_destroy(m);
    }
    if (r->a->follow && r->pending &&
        (alerts_consumer_caught_up(r->c) || rh_mono_ms() - r->batch_started_ms >= FOLLOW_BATCH_MS))
      flush(r, false);
  }
  if (!poll_failed) {
    flush(r, true);
    rc = r->failed ? r->rc : r->skipped ? RH_EXIT_REFUSED : RH_EXIT_OK;
  }
out:
  k->summary(stderr, r->written, r->counts, r->skipped, r->batches);
  alerts_consumer_destroy(r->c);
  if (r->out && r->out != stdout && fclose(r->out) && rc == RH_EXIT_OK) {
    rh_log_error("closing %s: %s", r->destination, strerror(errno));
    rc = RH_EXIT_IOERR;
  }
  if (r->out_fd >= 0) close(r->out_fd);
  rh_avro_decoder_destroy(r->dec);
  if (r->codec_ok) k->codec_free(k->codec);
  rh_avro_schemas_destroy(r->set);
  free(r);
  return rc;
}
