/* web_publish: see web_publish.h. */
#include "web_publish.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_kafka.h"

typedef struct {
  pthread_mutex_t lock;
  char code[32], role[64];
  rh_producer_t *p; /* NULL until the first step, or after a failure */
  rh_verification_codec_t codec;
  bool codec_ready;
} slot_t;

struct web_publish {
  const rh_config_t *cfg;
  const rh_avro_schemas_t *schemas;
  int timeout_ms;
  size_t n;
  slot_t *slots;
};

web_publish_t *web_publish_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                               int timeout_ms) {
  web_publish_t *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->slots = calloc(cfg->township_count ? cfg->township_count : 1, sizeof *w->slots);
  if (!w->slots) {
    free(w);
    return NULL;
  }
  w->cfg = cfg;
  w->schemas = schemas;
  w->timeout_ms = timeout_ms;
  w->n = cfg->township_count;
  for (size_t i = 0; i < w->n; i++) {
    pthread_mutex_init(&w->slots[i].lock, NULL);
    snprintf(w->slots[i].code, sizeof w->slots[i].code, "%s", cfg->townships[i].code);
    snprintf(w->slots[i].role, sizeof w->slots[i].role, "town.%s", cfg->townships[i].code);
  }
  return w;
}

void web_publish_free(web_publish_t *w) {
  if (!w) return;
  for (size_t i = 0; i < w->n; i++) {
    rh_producer_destroy(w->slots[i].p);
    if (w->slots[i].codec_ready) rh_verification_codec_free(&w->slots[i].codec);
    pthread_mutex_destroy(&w->slots[i].lock);
  }
  free(w->slots);
  free(w);
}

/* The township's producer, made (and its transactions started) if need be. */
static web_publish_result_t producer(web_publish_t *w, slot_t *s, const char *topic, char *err,
                                     size_t errsz) {
  if (s->p) return WEB_PUBLISH_OK;
  char txid[256];
  snprintf(txid, sizeof txid, "%sriskhub-web.%s", w->cfg->topic_prefix, s->code);
  /* the township's own party: its credentials file (the role names it) */
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config_as(w->cfg, s->role, err, errsz);
  if (!conf) return WEB_PUBLISH_CREDENTIALS;
  if (rh_kafka_conf_transactional(conf, w->cfg, txid, err, errsz)) {
    rd_kafka_conf_destroy(conf);
    return WEB_PUBLISH_FAILED;
  }
  s->p = rh_producer_new(conf, NULL, NULL, err, errsz);
  if (!s->p) return WEB_PUBLISH_FAILED;
  const char *topics[1] = {topic};
  if (rh_kafka_create_topics(rh_producer_handle(s->p), topics, 1, 3, 1, w->timeout_ms, err,
                             errsz) ||
      rh_kafka_warm_topics(rh_producer_handle(s->p), topics, 1, w->timeout_ms, err, errsz) ||
      rh_producer_txn_init(s->p, w->timeout_ms, err, errsz)) {
    rh_producer_destroy(s->p);
    s->p = NULL;
    return WEB_PUBLISH_UNAVAILABLE;
  }
  return WEB_PUBLISH_OK;
}

web_publish_result_t web_publish_step(web_publish_t *w, const rh_verification_t *v, char *err,
                                      size_t errsz) {
  slot_t *s = NULL;
  for (size_t i = 0; i < w->n && !s; i++)
    if (strcmp(w->slots[i].code, v->township_code) == 0) s = &w->slots[i];
  if (!s) {
    snprintf(err, errsz, "township %s is not in the configuration", v->township_code);
    return WEB_PUBLISH_FAILED;
  }
  char topic[256], name[64];
  snprintf(name, sizeof name, "verifications.%s", s->code);
  if (rh_config_topic(w->cfg, name, topic, sizeof topic)) {
    snprintf(err, errsz, "topic name %s%s too long", w->cfg->topic_prefix, name);
    return WEB_PUBLISH_FAILED;
  }
  pthread_mutex_lock(&s->lock);
  web_publish_result_t rc = WEB_PUBLISH_OK;
  rh_avro_buf_t buf;
  rh_avro_buf_init(&buf);
  if (!s->codec_ready) {
    if (rh_verification_codec_init(&s->codec, w->schemas, err, errsz)) {
      rc = WEB_PUBLISH_FAILED;
      goto out;
    }
    s->codec_ready = true;
  }
  if (rh_verification_encode(&s->codec, v, &buf, err, errsz)) {
    rc = WEB_PUBLISH_FAILED;
    goto out;
  }
  if ((rc = producer(w, s, topic, err, errsz))) goto out;
  int fatal = 0;
  char ignored[256];
  if (rh_producer_txn_begin(s->p, err, errsz) ||
      rh_producer_send(s->p, topic, RD_KAFKA_PARTITION_UA, v->household_id,
                       strlen(v->household_id), buf.data, buf.len, NULL, NULL, err, errsz)) {
    rh_producer_txn_abort_once(s->p, w->timeout_ms, ignored, sizeof ignored);
    rc = WEB_PUBLISH_UNAVAILABLE;
  } else if (rh_producer_txn_commit(s->p, w->timeout_ms, &fatal, err, errsz)) {
    if (!fatal) rh_producer_txn_abort_once(s->p, w->timeout_ms, ignored, sizeof ignored);
    rc = WEB_PUBLISH_UNAVAILABLE;
  }
  if (rc) { /* a new producer next time: it fences and aborts what this one left */
    rh_producer_destroy(s->p);
    s->p = NULL;
  }
out:
  rh_avro_buf_free(&buf);
  pthread_mutex_unlock(&s->lock);
  return rc;
}
