/* status_topic_read: see status_topic_read.h. */
#include "status_topic_read.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "rh_err.h"
#include "rh_kafka.h"
#include "rh_kafka_read.h"
#include "rh_log.h"

#define LOG_BAD_MAX 5 /* undecodable messages logged one by one, then only counted */

typedef struct {
  status_topic_fn fn;
  rh_avro_decoder_t *dec;
  void *arg;
  uint64_t *undecodable;
  bool oom;
} reader_t;

static int on_message(void *arg, const rd_kafka_message_t *m) {
  reader_t *x = arg;
  char why[256] = "empty message";
  int rc = m->payload ? x->fn(x->arg, x->dec, m->payload, m->len, why, sizeof why) : 1;
  if (rc < 0) {
    x->oom = true;
    return -1;
  }
  if (rc > 0 && ++*x->undecodable <= LOG_BAD_MAX)
    rh_log_warn("%s [%d] offset %" PRId64 ": skipped: %s", rd_kafka_topic_name(m->rkt),
                (int)m->partition, m->offset, why);
  return 0;
}

int status_topics_read(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                       const char *const *names, size_t n, status_topic_fn fn, void *arg,
                       uint64_t *undecodable, char *errstr, size_t errstr_size) {
  reader_t x = {.fn = fn, .arg = arg, .undecodable = undecodable};
  int rc = -1;
  if (!(x.dec = rh_avro_decoder_new(schemas))) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
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
  if (rh_kafka_read_topics(conf, names, n, NULL, on_message, &x, NULL, errstr, errstr_size)) {
    if (x.oom) rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  rc = 0;
out:
  rh_avro_decoder_destroy(x.dec);
  return rc;
}
