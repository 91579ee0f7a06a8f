/* status_scale_read: see status_scale_read.h. */
#include "status_scale_read.h"

#include <stdio.h>

#include "rh_err.h"
#include "rh_scale.h"
#include "status_topic_read.h"

typedef struct {
  const status_report_t *r;
  status_scale_t *s;
  rh_scale_codec_t codec;
} reader_t;

static int on_value(void *arg, rh_avro_decoder_t *dec, const void *data, size_t len, char *why,
                    size_t why_size) {
  reader_t *x = arg;
  rh_scale_record_t rec;
  if (rh_scale_decode(&x->codec, dec, data, len, &rec, why, why_size)) return 1;
  return status_scale_add(x->s, x->r, &rec) ? -1 : 0;
}

int status_scale_read(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                      const status_report_t *r, status_scale_t *s, char *errstr,
                      size_t errstr_size) {
  char topic[256];
  const char *names[1] = {topic};
  reader_t x = {.r = r, .s = s};
  if (rh_config_topic(cfg, RH_SCALE_TOPIC, topic, sizeof topic)) {
    rh_errf(errstr, errstr_size, "the topic name of the scale risks is too long");
    return -1;
  }
  if (rh_scale_codec_init(&x.codec, schemas, errstr, errstr_size)) return -1;
  int rc = status_topics_read(cfg, schemas, names, 1, on_value, &x, &s->undecodable, errstr,
                              errstr_size);
  rh_scale_codec_free(&x.codec);
  s->read = rc == 0;
  return rc;
}
