/* receive_run: see receive_run.h. */
#include "receive_run.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rh_clock.h"
#include "rh_err.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_log.h"
#include "rh_outbound.h"
#include "rh_parse.h"

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

typedef struct {
  char topic[256];
  rh_outbound_kind_t kind;
  bool exists, eof;
  bool assigned; /* its partition given to the consumer */
  bool open; /* a push's records are being read */
  receive_file_t file;
  rh_sha256_t *h; /* the push id over the records read (rh_outbound_push_id_*) */
} part_t;

/* A month YYYY-MM (it names the file). */
static bool period_valid(const char *s) {
  int y, m;
  return rh_parse_period(s, &y, &m) == 0;
}

/* The push ends (written or not): its part file and hash let go. */
static void part_close(part_t *p, bool discard) {
  if (discard) receive_file_discard(&p->file);
  if (p->h) {
    char ignored[RH_SHA256_HEXSZ];
    rh_sha256_final(p->h, ignored);
  }
  p->h = NULL;
  p->open = false;
}

static int part_open(part_t *p, const receive_run_opts_t *o, const char *push_id) {
  char err[1024];
  if (!(p->h = rh_outbound_push_id_begin())) {
    fprintf(stderr, "riskhub-receive: out of memory\n");
    return RH_EXIT_SOFTWARE;
  }
  if (receive_file_begin(&p->file, o->cfg, o->dir, o->department, p->kind, o->enc, push_id, err,
                         sizeof err)) {
    fprintf(stderr, "riskhub-receive: %s\n", err);
    part_close(p, false);
    return RH_EXIT_IOERR;
  }
  p->open = true;
  return 0;
}

typedef struct {
  const receive_run_opts_t *o;
  rd_kafka_t *rk;
  rh_outbound_codec_t codec;
  rh_avro_decoder_t *dec;
  part_t parts[RH_OUTBOUND_KIND_COUNT];
  size_t nparts, nassigned;
  size_t written, again;
} recv_t;

static bool refused_err(rd_kafka_resp_err_t e) {
  return e == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
         e == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
         e == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
         e == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED ||
         e == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED;
}

/* Which of the topics exist (a metadata request a topic: one the party may
 * not describe is named as refused, not left out). 0, or an exit code. */
static int look(recv_t *r) {
  int rc = 0;
  for (size_t i = 0; i < r->nparts && !rc; i++) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(r->rk, r->parts[i].topic, NULL);
    rd_kafka_resp_err_t e = rkt ? rd_kafka_metadata(r->rk, 0, rkt, &md, 10000)
                                : rd_kafka_last_error();
    if (rkt) rd_kafka_topic_destroy(rkt);
    if (e) {
      fprintf(stderr, "riskhub-receive: the broker: %s\n", rd_kafka_err2str(e));
      return refused_err(e) ? RH_EXIT_NOPERM : RH_EXIT_UNAVAILABLE;
    }
    for (int t = 0; t < md->topic_cnt; t++) {
      if (strcmp(md->topics[t].topic, r->parts[i].topic) != 0) continue;
      if (refused_err(md->topics[t].err)) {
        fprintf(stderr, "riskhub-receive: %s: %s\n", r->parts[i].topic,
                rd_kafka_err2str(md->topics[t].err));
        rc = RH_EXIT_NOPERM;
      } else if (!md->topics[t].err && md->topics[t].partition_cnt == 1) {
        r->parts[i].exists = true;
      } else if (!md->topics[t].err && md->topics[t].partition_cnt > 1) {
        /* riskhub-push makes them with one: a push and its manifest in one
         * ordered log; partition 0 alone would miss pushes, say so */
        fprintf(stderr, "riskhub-receive: %s has %d partitions, not 1 (a push and its "
                "manifest must be one ordered log: docs/outbound.md); nothing read\n",
                r->parts[i].topic, md->topics[t].partition_cnt);
        rc = RH_EXIT_CONFIG;
      }
    }
    rd_kafka_metadata_destroy(md);
  }
  return rc;
}

static int commit(recv_t *r, const rd_kafka_message_t *m) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt), m->partition)->offset =
      m->offset + 1;
  rd_kafka_resp_err_t e = rd_kafka_commit(r->rk, l, 0);
  rd_kafka_topic_partition_list_destroy(l);
  if (e) {
    fprintf(stderr, "riskhub-receive: committing %s [%" PRId32 "] @%" PRId64 ": %s\n",
            rd_kafka_topic_name(m->rkt), m->partition, m->offset + 1, rd_kafka_err2str(e));
    return refused_err(e) ? RH_EXIT_NOPERM : RH_EXIT_UNAVAILABLE;
  }
  return 0;
}

/* The topics that exist and are not read yet: their partition added to the
 * consumer's (incrementally: the others keep their position). 0, or 69. */
static int assign_new(recv_t *r) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
  for (size_t i = 0; i < r->nparts; i++)
    if (r->parts[i].exists && !r->parts[i].assigned)
      rd_kafka_topic_partition_list_add(l, r->parts[i].topic, 0)->offset = RD_KAFKA_OFFSET_STORED;
  rd_kafka_error_t *e = l->cnt ? rd_kafka_incremental_assign(r->rk, l) : NULL;
  rd_kafka_topic_partition_list_destroy(l);
  if (e) {
    fprintf(stderr, "riskhub-receive: assign: %s\n", rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return RH_EXIT_UNAVAILABLE;
  }
  for (size_t i = 0; i < r->nparts; i++)
    if (r->parts[i].exists && !r->parts[i].assigned) {
      r->parts[i].assigned = true;
      r->nassigned++;
    }
  return 0;
}

static part_t *part_of(recv_t *r, const char *topic) {
  for (size_t i = 0; i < r->nparts; i++)
    if (strcmp(r->parts[i].topic, topic) == 0) return &r->parts[i];
  return NULL;
}

/* One message of a push. 0, or an exit code (with its message said). */
static int take(recv_t *r, const rd_kafka_message_t *m) {
  const receive_run_opts_t *o = r->o;
  char err[1024], type[16];
  const char *topic = rd_kafka_topic_name(m->rkt);
  part_t *p = part_of(r, topic);
  if (!p) return 0;
  p->eof = false;
  if (rh_kafka_header_get(m, RH_OUTBOUND_HEADER, type, sizeof type)) type[0] = '\0';
  if (strcmp(type, RH_OUTBOUND_TYPE_RECORD) == 0) {
    rh_outbound_record_t rec;
    if (rh_outbound_record_decode(&r->codec, r->dec, m->payload, m->len, &rec, err, sizeof err)) {
      fprintf(stderr, "riskhub-receive: %s @%" PRId64 ": %s; nothing written\n", topic,
              m->offset, err);
      return RH_EXIT_REFUSED;
    }
    if (!rh_outbound_push_id_valid(rec.push_id)) {
      fprintf(stderr, "riskhub-receive: %s @%" PRId64 ": a record whose push id is not 64 hex "
              "digits; nothing written\n", topic, m->offset);
      return RH_EXIT_REFUSED;
    }
    if (p->open && strcmp(p->file.push_id, rec.push_id) != 0) {
      fprintf(stderr, "riskhub-receive: %s @%" PRId64 ": push %.16s began before push %.16s had "
              "its manifest; no file written\n", topic, m->offset, rec.push_id, p->file.push_id);
      return RH_EXIT_REFUSED;
    }
    int rc;
    if (!p->open && (rc = part_open(p, o, rec.push_id))) return rc;
    rh_outbound_push_id_add(p->h, &rec);
    if (receive_file_row(&p->file, &rec, err, sizeof err)) {
      fprintf(stderr, "riskhub-receive: %s; no file written\n", err);
      return RH_EXIT_IOERR;
    }
    return 0;
  }
  if (strcmp(type, RH_OUTBOUND_TYPE_MANIFEST) != 0) {
    fprintf(stderr, "riskhub-receive: %s @%" PRId64 ": neither a record nor a manifest of a "
            "push; nothing written\n", topic, m->offset);
    return RH_EXIT_REFUSED;
  }
  rh_outbound_manifest_t man;
  if (rh_outbound_manifest_decode(&r->codec, r->dec, m->payload, m->len, &man, err, sizeof err)) {
    fprintf(stderr, "riskhub-receive: %s @%" PRId64 ": %s; nothing written\n", topic, m->offset,
            err);
    return RH_EXIT_REFUSED;
  }
  /* the manifest's fields name the file and the journal's line: checked */
  if (!rh_outbound_push_id_valid(man.push_id) || !period_valid(man.period) ||
      (man.previous_push_id[0] && !rh_outbound_push_id_valid(man.previous_push_id))) {
    fprintf(stderr, "riskhub-receive: %s @%" PRId64 ": a manifest whose push id, previous push "
            "id or period (YYYY-MM) is malformed; no file written\n", topic, m->offset);
    return RH_EXIT_REFUSED;
  }
  if (!p->open) {
    if (man.record_count != 0) {
      fprintf(stderr, "riskhub-receive: %s @%" PRId64 ": push %.16s: its manifest counts %" PRId64
              " records, none was read; no file written\n", topic, m->offset, man.push_id,
              man.record_count);
      return RH_EXIT_REFUSED;
    }
    int rc;
    if ((rc = part_open(p, o, man.push_id))) return rc;
  }
  if (strcmp(man.push_id, p->file.push_id) != 0 || (int64_t)p->file.rows != man.record_count ||
      strcmp(man.department, o->department) != 0 ||
      strcmp(man.kind, rh_outbound_kind_name(p->kind)) != 0) {
    fprintf(stderr, "riskhub-receive: %s @%" PRId64 ": push %.16s: %zu records read for push "
            "%.16s, its manifest counts %" PRId64 " (%s %s); no file written\n", topic, m->offset,
            man.push_id, p->file.rows, p->file.push_id, man.record_count, man.department,
            man.kind);
    part_close(p, true);
    return RH_EXIT_REFUSED;
  }
  /* the id recomputed over the records read: what the bureau sent, whole */
  char id[RH_SHA256_HEXSZ];
  rh_outbound_push_id_end(p->h, o->department, p->kind, man.period, man.previous_push_id, id);
  p->h = NULL;
  if (strcmp(id, man.push_id) != 0) {
    fprintf(stderr, "riskhub-receive: %s @%" PRId64 ": push %.16s: the records read give the id "
            "%.16s, not the manifest's; no file written\n", topic, m->offset, man.push_id, id);
    part_close(p, true);
    return RH_EXIT_REFUSED;
  }
  bool written;
  int rc = receive_file_finish(&p->file, man.period, &written, err, sizeof err);
  part_close(p, false);
  if (rc) {
    fprintf(stderr, "riskhub-receive: %s; not committed\n", err);
    return RH_EXIT_IOERR;
  }
  if ((rc = commit(r, m))) return rc;
  if (written) r->written++;
  else r->again++;
  printf("riskhub-receive: %s %s %s: %s, %" PRId64 " persons%s\n", o->department, man.kind,
         man.period, p->file.final, man.record_count,
         written ? "" : " (written before; not again)");
  fflush(stdout);
  return 0;
}

int receive_run(const receive_run_opts_t *o) {
  char err[1024], group[256];
  recv_t r = {.o = o};
  int rc = RH_EXIT_OK;
  bool codec_ready = false;
  const rh_config_department_t *d = NULL;
  for (size_t i = 0; i < o->cfg->department_count; i++)
    if (strcmp(o->cfg->departments[i].code, o->department) == 0) d = &o->cfg->departments[i];
  for (int k = 0; k < RH_OUTBOUND_KIND_COUNT; k++) {
    if (!rh_outbound_receives(d, (rh_outbound_kind_t)k)) continue;
    part_t *p = &r.parts[r.nparts++];
    p->kind = (rh_outbound_kind_t)k;
    p->file.cd = (iconv_t)-1;
    if (rh_outbound_topic(o->cfg, o->department, p->kind, p->topic, sizeof p->topic)) {
      fprintf(stderr, "riskhub-receive: a topic name too long\n");
      return RH_EXIT_CONFIG;
    }
  }
  /* one receiver of the folder at a time (the --watch unit and a run by hand
   * would remove each other's part files, double a file, move offsets back);
   * held to the process's end, the sweep included */
  int lock = receive_lock(o->dir, o->department, err, sizeof err);
  if (lock == -2) {
    fprintf(stderr, "riskhub-receive: %s: another riskhub-receive of %s is running on this "
            "folder (its lock .riskhub-receive.%s.lock); nothing done\n", o->dir,
            o->department, o->department);
    return RH_EXIT_TEMPFAIL;
  }
  if (lock < 0) {
    fprintf(stderr, "riskhub-receive: %s\n", err);
    return RH_EXIT_IOERR;
  }
  receive_file_sweep(o->dir, o->department);
  if (rh_outbound_codec_init(&r.codec, o->schemas, err, sizeof err)) {
    fprintf(stderr, "riskhub-receive: schemas: %s\n", err);
    rc = RH_EXIT_CONFIG;
    goto out;
  }
  codec_ready = true;
  if (!(r.dec = rh_avro_decoder_new(o->schemas))) {
    rc = RH_EXIT_SOFTWARE;
    goto out;
  }
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(o->cfg, err, sizeof err);
  if (!conf || rh_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err) ||
      rh_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err)) {
    if (conf) rd_kafka_conf_destroy(conf);
    fprintf(stderr, "riskhub-receive: %s\n", err);
    rc = RH_EXIT_CONFIG;
    goto out;
  }
  snprintf(group, sizeof group, "%sriskhub-receive.%s", o->cfg->topic_prefix, o->department);
  if (!(r.rk = rh_consumer_new(conf, group, err, sizeof err))) {
    fprintf(stderr, "riskhub-receive: %s\n", err);
    rc = RH_EXIT_CONFIG;
    goto out;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  /* the topics riskhub-push makes with its first push: with --watch, waited
   * for, each read as soon as it exists (not only once all do) */
  for (;;) {
    if ((rc = look(&r))) goto out;
    bool any = false;
    for (size_t i = 0; i < r.nparts; i++) any |= r.parts[i].exists;
    if (any || !o->watch || stop_flag) break;
    rh_consumer_wait(NULL, 5000, &stop_flag);
  }
  if ((rc = assign_new(&r))) goto out;
  if (!r.nassigned) {
    printf("riskhub-receive: %s: nothing pushed yet\n", o->department);
    goto out;
  }
  int64_t deadline = rh_mono_ms() + o->timeout_ms;
  int64_t next_look = rh_mono_ms() + 5000;
  while (!stop_flag) {
    if (o->watch && r.nassigned < r.nparts && rh_mono_ms() >= next_look) {
      next_look = rh_mono_ms() + 5000;
      if ((rc = look(&r)) || (rc = assign_new(&r))) break;
    }
    rd_kafka_message_t *m = rd_kafka_consumer_poll(r.rk, 500);
    if (!m) {
      if (!o->watch && rh_mono_ms() > deadline) {
        fprintf(stderr, "riskhub-receive: the end of the topics not reached in %d ms\n",
                o->timeout_ms);
        rc = RH_EXIT_UNAVAILABLE;
        break;
      }
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      part_t *p = part_of(&r, rd_kafka_topic_name(m->rkt));
      if (p) p->eof = true;
      if (p && p->open) {
        /* read_committed: a push's records and its manifest are one
         * transaction, so records at the end without their manifest will not
         * get one; said at once, not after --timeout-ms */
        fprintf(stderr, "riskhub-receive: %s @%" PRId64 ": push %.16s has records but no "
                "manifest at the end of the topic; no file written\n", p->topic, m->offset,
                p->file.push_id);
        rd_kafka_message_destroy(m);
        rc = RH_EXIT_REFUSED;
        break;
      }
      rd_kafka_message_destroy(m);
      bool all = true;
      for (size_t i = 0; i < r.nparts; i++)
        if (r.parts[i].exists) all &= r.parts[i].eof && !r.parts[i].open;
      if (all && !o->watch) break;
      continue;
    }
    if (m->err) {
      rd_kafka_resp_err_t me = m->err;
      fprintf(stderr, "riskhub-receive: %s\n", rd_kafka_message_errstr(m));
      rd_kafka_message_destroy(m);
      if (refused_err(me)) {
        rc = RH_EXIT_NOPERM;
        break;
      }
      continue;
    }
    deadline = rh_mono_ms() + o->timeout_ms;
    rc = take(&r, m);
    rd_kafka_message_destroy(m);
    if (rc) break;
  }
  for (size_t i = 0; i < r.nparts; i++)
    if (r.parts[i].open) {
      if (rc == RH_EXIT_OK && !stop_flag && !o->watch) {
        fprintf(stderr, "riskhub-receive: %s: push %.16s has records but no manifest; no file "
                "written\n", r.parts[i].topic, r.parts[i].file.push_id);
        rc = RH_EXIT_REFUSED;
      }
      part_close(&r.parts[i], true);
    }
  if (rc == RH_EXIT_OK)
    printf("riskhub-receive: %s: %zu files written, %zu written before\n", o->department,
           r.written, r.again);
out:
  if (r.rk) {
    rd_kafka_consumer_close(r.rk);
    rd_kafka_destroy(r.rk);
  }
  rh_avro_decoder_destroy(r.dec);
  if (codec_ready) rh_outbound_codec_free(&r.codec);
  close(lock); /* after the consumer: its offsets committed or not, under the lock */
  return rc;
}
