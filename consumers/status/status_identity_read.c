/* status_identity_read: see status_identity_read.h. */
#include "status_identity_read.h"

#include <stdio.h>

#include "rh_discrepancy.h"
#include "rh_err.h"
#include "status_topic_read.h"

typedef struct {
  const status_report_t *r;
  status_identity_t *s;
  rh_discrepancy_codec_t codec;
} reader_t;

static int on_value(void *arg, rh_avro_decoder_t *dec, const void *data, size_t len, char *why,
                    size_t why_size) {
  reader_t *x = arg;
  rh_discrepancy_t rec;
  if (rh_discrepancy_decode(&x->codec, dec, data, len, &rec, why, why_size)) return 1;
  return status_identity_add(x->s, x->r, &rec) ? -1 : 0;
}

int status_identity_read(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                         const status_report_t *r, status_identity_t *s, char *errstr,
                         size_t errstr_size) {
  rh_disc_topics_t tp;
  reader_t x = {.r = r, .s = s};
  int trc = rh_discrepancy_topics(cfg, &tp);
  if (trc) {
    rh_errf(errstr, errstr_size, "%s",
            trc == -2 ? "the topic name of the identity discrepancies is too long"
                      : "out of memory");
    return -1;
  }
  int rc = -1;
  if (!rh_discrepancy_codec_init(&x.codec, schemas, errstr, errstr_size)) {
    rc = status_topics_read(cfg, schemas, tp.names, tp.n, on_value, &x, &s->undecodable, errstr,
                            errstr_size);
    rh_discrepancy_codec_free(&x.codec);
  }
  rh_discrepancy_topics_free(&tp);
  s->read = rc == 0;
  return rc;
}
