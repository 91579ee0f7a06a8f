/* status_scale_read: see status_scale_read.h. */
#include "status_scale_read.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "rh_avro_codec.h"
#include "rh_err.h"
#include "rh_kafka.h"
#include "rh_kafka_read.h"
#include "rh_log.h"
#include "rh_scale.h"

#define LOG_BAD_MAX 5 /* undecodable messages logged one by one, then only counted */

typedef struct {
  const status_report_t *r;
  status_scale_t *s;
  rh_scale_codec_t codec;
  rh_avro_decoder_t *dec;
  bool oom;
} reader_t;

static int on_message(void *arg, const rd_kafka_message_t *m) {
  reader_t *x = arg;
  char why[256];
  rh_scale_record_t rec;
  if (!m->payload ||
      rh_scale_decode(&x->codec, x->dec, m->payload, m->len, &rec, why, sizeof why)) {
    if (++x->s->undecodable <= LOG_BAD_MAX)
      rh_log_warn("%s [%d] offset %" PRId64 ": skipped: %s", rd_kafka_topic_name(m->rkt),
                  (int)m->partition, m->offset, m->payload ? why : "empty message");
    return 0;
  }
  if (status_scale_add(x->s, x->r, &rec)) {
    x->oom = true;
    return -1;
  }
  return 0;
}

int status_scale_read(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                      const status_report_t *r, status_scale_t *s, char *errstr,
                      size_t errstr_size) {
  char topic[256];
  const char *names[1] = {topic};
  reader_t x = {.r = r, .s = s};
  int rc = -1;
  if (rh_config_topic(cfg, RH_SCALE_TOPIC, topic, sizeof topic)) {
    rh_errf(errstr, errstr_size, "the topic name of the scale risks is too long");
    return -1;
  }
  if (rh_scale_codec_init(&x.codec, schemas, errstr, errstr_size)) return -1;
  if (!(x.dec = rh_avro_decoder_new(schemas))) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  /* as status_read: an empty fetch returns at once */
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(cfg, errstr, errstr_size);
  if (!conf) goto out;
  if (!rh_config_kafka_get(cfg, "fetch.wait.max.ms") &&
      (rh_kafka_conf_set(conf, "fetch.wait.max.ms", "10", errstr, errstr_size) ||
       rh_kafka_conf_set(conf, "fetch.error.backoff.ms", "10", errstr, errstr_size))) {
    rd_kafka_conf_destroy(conf);
    goto out;
  }
  if (rh_kafka_read_topics(conf, names, 1, NULL, on_message, &x, NULL, errstr, errstr_size)) {
    if (x.oom) rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  s->read = true;
  rc = 0;
out:
  rh_avro_decoder_destroy(x.dec);
  rh_scale_codec_free(&x.codec);
  return rc;
}
