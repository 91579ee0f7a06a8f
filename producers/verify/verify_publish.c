/* verify_publish: see verify_publish.h. */
#include "verify_publish.h"

#include <stdio.h>
#include <string.h>

#include "rh_clock.h"
#include "rh_err.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_verification.h"
#include "rh_verify.h"


int verify_publish(const verify_publish_opts_t *o, const verify_rows_t *rows, size_t *published,
                   char *errstr, size_t errstr_size) {
  char err[1024], topic[256], name[64], txid[256];
  *published = 0;
  snprintf(name, sizeof name, "verifications.%s", o->township);
  if (rh_config_topic(o->cfg, name, topic, sizeof topic)) {
    rh_errf(errstr, errstr_size, "topic name %s%s too long", o->cfg->topic_prefix, name);
    return RH_EXIT_CONFIG;
  }
  snprintf(txid, sizeof txid, "%sriskhub-verify.%s", o->cfg->topic_prefix, o->township);
  rh_verification_codec_t codec;
  if (rh_verification_codec_init(&codec, o->schemas, errstr, errstr_size)) return RH_EXIT_CONFIG;
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(o->cfg, err, sizeof err);
  if (!conf || rh_kafka_conf_transactional(conf, o->cfg, txid, err, sizeof err)) {
    if (conf) rd_kafka_conf_destroy(conf);
    rh_verification_codec_free(&codec);
    return rh_kafka_fail(RH_EXIT_CONFIG, err, errstr, errstr_size);
  }
  rh_producer_t *p = rh_producer_new(conf, NULL, NULL, err, sizeof err);
  if (!p) {
    rh_verification_codec_free(&codec);
    return rh_kafka_fail(RH_EXIT_CONFIG, err, errstr, errstr_size);
  }
  const char *topics[1] = {topic};
  int rc = RH_EXIT_OK;
  rh_avro_buf_t buf;
  rh_avro_buf_init(&buf);
  if (rh_kafka_create_topics(rh_producer_handle(p), topics, 1, 3, 1, o->timeout_ms, err,
                             sizeof err) ||
      rh_kafka_warm_topics(rh_producer_handle(p), topics, 1, o->timeout_ms, err, sizeof err) ||
      rh_producer_txn_init(p, o->timeout_ms, err, sizeof err) ||
      rh_producer_txn_begin(p, err, sizeof err)) {
    rc = rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
    goto out;
  }
  int64_t now = rh_wall_ms();
  size_t sent = 0;
  for (size_t i = 0; i < rows->n; i++) {
    const verify_row_t *r = &rows->v[i];
    if (r->why || r->already) continue;
    char source[300];
    if (r->line)
      snprintf(source, sizeof source, "%s:%lu", o->source, r->line);
    else
      snprintf(source, sizeof source, "%s", o->source);
    rh_verification_t v = {.verification_id = r->id, .alert_id = r->alert_id,
                           .township_code = o->township, .household_id = r->household_id,
                           .outcome = rh_verify_outcome_code((rh_verify_outcome_t)r->outcome),
                           .reason = r->reason, .note = r->note,
                           .has_visited_on = r->has_visited_on, .visited_on = r->visited_on,
                           .recorded_by = r->recorded_by, .recorded_at = now, .source = source};
    rh_avro_buf_clear(&buf);
    if (rh_verification_encode(&codec, &v, &buf, err, sizeof err)) {
      rh_producer_txn_abort_once(p, o->timeout_ms, err, sizeof err);
      rc = rh_kafka_fail(RH_EXIT_SOFTWARE, err, errstr, errstr_size);
      goto out;
    }
    if (rh_producer_send(p, topic, RD_KAFKA_PARTITION_UA, r->household_id,
                         strlen(r->household_id), buf.data, buf.len, NULL, NULL, err,
                         sizeof err)) {
      char ignored[256];
      rh_producer_txn_abort_once(p, o->timeout_ms, ignored, sizeof ignored);
      rc = rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
      goto out;
    }
    sent++;
  }
  int fatal = 0;
  if (rh_producer_txn_commit(p, o->timeout_ms, &fatal, err, sizeof err)) {
    char ignored[256];
    if (!fatal) rh_producer_txn_abort_once(p, o->timeout_ms, ignored, sizeof ignored);
    rc = rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
    goto out;
  }
  *published = sent;
out:
  rh_avro_buf_free(&buf);
  rh_producer_destroy(p);
  rh_verification_codec_free(&codec);
  return rc;
}
