/* push_publish: see push_publish.h. */
#include "push_publish.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_kafka_read.h"
#include "rh_log.h"

int push_job_id(push_job_t *j) {
  rh_sha256_t *h = rh_outbound_push_id_begin();
  if (!h) return -1;
  for (size_t i = 0; i < j->rows.n; i++) rh_outbound_push_id_add(h, &j->rows.v[i]);
  rh_sha256_final(h, j->content);
  push_job_chain(j, NULL, NULL);
  return 0;
}

void push_job_chain(push_job_t *j, const char *last, const char *last_previous) {
  const char *dept = j->item.department->code;
  j->state = PUSH_PENDING;
  j->previous[0] = '\0';
  if (last) {
    char same[RH_SHA256_HEXSZ];
    rh_outbound_push_id_chain(dept, j->item.kind, j->period, last_previous, j->content, same);
    if (strcmp(same, last) == 0) {
      snprintf(j->push_id, sizeof j->push_id, "%s", last);
      snprintf(j->previous, sizeof j->previous, "%s", last_previous ? last_previous : "");
      j->state = PUSH_ALREADY;
      return;
    }
    snprintf(j->previous, sizeof j->previous, "%s", last);
  }
  rh_outbound_push_id_chain(dept, j->item.kind, j->period, j->previous, j->content, j->push_id);
}


typedef struct {
  rh_outbound_codec_t *codec;
  rh_avro_decoder_t *dec;
  push_job_t *jobs;
  size_t n;
  const char *const *topics;
  char (*last)[2][RH_SHA256_HEXSZ]; /* a job: the last manifest's id, its previous id */
} seen_t;

/* A manifest on the topics: the last one of a job's (department, kind,
 * period) is remembered (read in order: one partition). */
static int seen_one(void *arg, const rd_kafka_message_t *m) {
  seen_t *s = arg;
  char type[16], err[256];
  if (rh_kafka_header_get(m, RH_OUTBOUND_HEADER, type, sizeof type) ||
      strcmp(type, RH_OUTBOUND_TYPE_MANIFEST) != 0)
    return 0;
  rh_outbound_manifest_t man;
  if (rh_outbound_manifest_decode(s->codec, s->dec, m->payload, m->len, &man, err, sizeof err)) {
    rh_log_warn("push: %s [%" PRId32 "] @%" PRId64 ": %s (ignored)", rd_kafka_topic_name(m->rkt),
                m->partition, m->offset, err);
    return 0;
  }
  for (size_t i = 0; i < s->n; i++) {
    const push_job_t *j = &s->jobs[i];
    if (strcmp(rd_kafka_topic_name(m->rkt), s->topics[i]) != 0 ||
        strcmp(man.department, j->item.department->code) != 0 ||
        strcmp(man.kind, rh_outbound_kind_name(j->item.kind)) != 0 ||
        strcmp(man.period, j->period) != 0)
      continue;
    snprintf(s->last[i][0], RH_SHA256_HEXSZ, "%s", man.push_id);
    snprintf(s->last[i][1], RH_SHA256_HEXSZ, "%s", man.previous_push_id);
  }
  return 0;
}

static int send_one(rh_producer_t *p, const char *topic, const char *key, const char *type,
                    const rh_avro_buf_t *buf, char *err, size_t err_size) {
  rd_kafka_headers_t *h = rd_kafka_headers_new(1);
  rd_kafka_header_add(h, RH_OUTBOUND_HEADER, -1, type, -1);
  return rh_producer_send(p, topic, 0, key, strlen(key), buf->data, buf->len, h, NULL, err,
                          err_size);
}

int push_publish(const rh_config_t *cfg, const rh_avro_schemas_t *schemas, push_job_t *jobs,
                 size_t n, int timeout_ms, char *errstr, size_t errstr_size) {
  char err[1024], ignored[256];
  char (*topics)[256] = calloc(n ? n : 1, sizeof *topics);
  char (*last)[2][RH_SHA256_HEXSZ] = calloc(n ? n : 1, sizeof *last);
  const char **names = calloc(n ? n : 1, sizeof *names);
  rh_outbound_codec_t codec;
  rh_avro_decoder_t *dec = NULL;
  rh_producer_t *p = NULL;
  rh_avro_buf_t buf;
  rh_avro_buf_init(&buf);
  int rc = RH_EXIT_OK;
  bool codec_ready = false;
  if (!topics || !names || !last || !(dec = rh_avro_decoder_new(schemas))) {
    rc = rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size);
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    if (rh_outbound_topic(cfg, jobs[i].item.department->code, jobs[i].item.kind, topics[i],
                          sizeof topics[i])) {
      rc = rh_kafka_fail(RH_EXIT_CONFIG, "a topic name too long", errstr, errstr_size);
      goto out;
    }
    names[i] = topics[i];
  }
  if (rh_outbound_codec_init(&codec, schemas, errstr, errstr_size)) {
    rc = RH_EXIT_CONFIG;
    goto out;
  }
  codec_ready = true;
  /* one partition: a push's records and its manifest in one ordered log, read
   * by one reader; kept as the configuration's topics.retention.outbound says
   * (the class of outbound.*: rh_kafka_create_topics; docs/outbound.md) */
  if (!(p = rh_producer_transactional(cfg, "riskhub-push", names, n, timeout_ms, &rc, errstr,
                                      errstr_size)))
    goto out;
  /* after init_transactions: an earlier run is fenced, its open push aborted */
  rd_kafka_conf_t *rconf = rh_kafka_conf_from_config(cfg, err, sizeof err);
  seen_t seen = {&codec, dec, jobs, n, names, last};
  if (!rconf || rh_kafka_read_topics(rconf, names, n, NULL, seen_one, &seen, NULL, err,
                                     sizeof err)) {
    rc = rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    push_job_chain(&jobs[i], last[i][0][0] ? last[i][0] : NULL, last[i][1]);
  for (size_t i = 0; i < n; i++) {
    push_job_t *j = &jobs[i];
    if (j->state != PUSH_PENDING) continue;
    if (rh_producer_txn_begin(p, err, sizeof err)) {
      rc = rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
      goto out;
    }
    for (size_t r = 0; r < j->rows.n; r++) {
      rh_outbound_record_t rec = j->rows.v[r];
      rec.push_id = j->push_id;
      rh_avro_buf_clear(&buf);
      if (rh_outbound_record_encode(&codec, &rec, &buf, err, sizeof err)) {
        rh_producer_txn_abort_once(p, timeout_ms, ignored, sizeof ignored);
        rc = rh_kafka_fail(RH_EXIT_SOFTWARE, err, errstr, errstr_size);
        goto out;
      }
      if (send_one(p, names[i], rec.household_id, RH_OUTBOUND_TYPE_RECORD, &buf, err,
                   sizeof err)) {
        rh_producer_txn_abort_once(p, timeout_ms, ignored, sizeof ignored);
        rc = rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
        goto out;
      }
    }
    rh_outbound_manifest_t man = {.push_id = j->push_id,
                                  .department = j->item.department->code,
                                  .kind = rh_outbound_kind_name(j->item.kind),
                                  .period = j->period, .record_count = (int64_t)j->rows.n,
                                  .household_count = (int64_t)j->rows.households,
                                  .created_at = rh_wall_ms(),
                                  .previous_push_id = j->previous};
    rh_avro_buf_clear(&buf);
    if (rh_outbound_manifest_encode(&codec, &man, &buf, err, sizeof err)) {
      rh_producer_txn_abort_once(p, timeout_ms, ignored, sizeof ignored);
      rc = rh_kafka_fail(RH_EXIT_SOFTWARE, err, errstr, errstr_size);
      goto out;
    }
    if (send_one(p, names[i], j->push_id, RH_OUTBOUND_TYPE_MANIFEST, &buf, err, sizeof err)) {
      rh_producer_txn_abort_once(p, timeout_ms, ignored, sizeof ignored);
      rc = rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
      goto out;
    }
    int fatal = 0;
    if (rh_producer_txn_commit(p, timeout_ms, &fatal, err, sizeof err)) {
      if (!fatal) rh_producer_txn_abort_once(p, timeout_ms, ignored, sizeof ignored);
      rc = rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
      goto out;
    }
    j->state = PUSH_SENT;
  }
out:
  rh_avro_buf_free(&buf);
  rh_producer_destroy(p);
  rh_avro_decoder_destroy(dec);
  if (codec_ready) rh_outbound_codec_free(&codec);
  free(last);
  free(names);
  free(topics);
  return rc;
}
