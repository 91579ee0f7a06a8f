/* identity_source: see identity_source.h. */
#include "identity_source.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rh_avro_value.h"
#include "rh_err.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_kafka_read.h"
#include "rh_log.h"

typedef struct {
  const rh_config_feed_t *feed;
  const char *period, *carrier;
  const rh_manifest_keys_t *keys;
  rh_avro_decoder_t *dec;
  const rh_avro_schema_t *schema;
  avro_value_t v;
  identity_batch_t *out;
  bool oom;
} manifests_t;

static const char *str_of(avro_value_t *v, const char *name) {
  avro_value_t f;
  const char *s = NULL;
  size_t len;
  if (avro_value_get_by_name(v, name, &f, NULL) || avro_value_get_string(&f, &s, &len)) return NULL;
  return s;
}

static int64_t long_of(avro_value_t *v, const char *name) {
  avro_value_t f;
  int64_t x = -1;
  if (avro_value_get_by_name(v, name, &f, NULL) || avro_value_get_long(&f, &x)) return -1;
  return x;
}

/* A manifest of the department: the feed's and the month's believed one that
 * finished last is kept. */
static int manifest_one(void *arg, const rd_kafka_message_t *m) {
  manifests_t *s = arg;
  char err[512];
  if (rh_avro_decode(s->dec, m->payload, m->len, s->schema, &s->v, NULL, err, sizeof err) !=
      RH_AVRO_OK)
    return 0; /* not a manifest: the join and the ledger say so; nothing to compare here */
  const char *dept = str_of(&s->v, "department"), *feed = str_of(&s->v, "feed");
  const char *period = str_of(&s->v, "period"), *batch = str_of(&s->v, "batch_id");
  if (!dept || !feed || !period || !batch || strcmp(dept, s->feed->department->code) != 0 ||
      strcmp(feed, s->feed->code) != 0 || strcmp(period, s->period) != 0)
    return 0;
  int refused = rh_manifest_check(s->keys, &s->v, s->carrier, err, sizeof err);
  if (refused < 0) return s->oom = true, -1;
  if (refused) {
    s->out->refused++;
    rh_log_warn("%s [%" PRId32 "] @%" PRId64 ": a manifest of %s/%s %s that is not believed: %s",
                s->carrier, m->partition, m->offset, dept, feed, period, err);
    return 0;
  }
  int64_t finished = long_of(&s->v, "finished_at");
  if (s->out->found && finished < s->out->finished_at) return 0;
  s->out->found = true;
  s->out->finished_at = finished;
  s->out->rows_accepted = long_of(&s->v, "rows_accepted");
  snprintf(s->out->batch_id, sizeof s->out->batch_id, "%s", batch);
  return 0;
}

int identity_source_batch(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                          const rh_manifest_keys_t *keys, const rh_config_feed_t *feed,
                          const char *period, identity_batch_t *out, char *errstr,
                          size_t errstr_size) {
  char err[1024];
  memset(out, 0, sizeof *out);
  manifests_t s = {.feed = feed, .period = period, .carrier = feed->department->manifests_topic,
                   .keys = keys, .out = out};
  if (!(s.schema = rh_avro_schemas_get(schemas, "riskhub.BatchManifest")))
    return rh_kafka_fail(RH_EXIT_CONFIG, "the schemas hold no riskhub.BatchManifest", errstr,
                         errstr_size);
  if (rh_avro_schema_value_new(s.schema, &s.v, errstr, errstr_size) != RH_AVRO_OK)
    return RH_EXIT_SOFTWARE;
  int rc = RH_EXIT_OK;
  if (!(s.dec = rh_avro_decoder_new(schemas))) {
    rc = rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size);
    goto out;
  }
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(cfg, err, sizeof err);
  const char *topics[1] = {s.carrier};
  if (!conf || rh_kafka_read_topics(conf, topics, 1, NULL, manifest_one, &s, NULL, err,
                                    sizeof err))
    rc = s.oom ? rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size)
               : rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
out:
  rh_avro_decoder_destroy(s.dec);
  avro_value_decref(&s.v);
  return rc;
}

typedef struct {
  const identity_batch_t *batch;
  rh_feedrecord_codec_t codec;
  rh_avro_decoder_t *dec;
  avro_value_t v;
  identity_record_fn *fn;
  void *arg;
  int64_t n;
  bool stopped;
} records_t;

static int record_one(void *arg, const rd_kafka_message_t *m) {
  records_t *s = arg;
  char err[512];
  rh_feedrecord_t r;
  int rc = rh_feedrecord_decode(&s->codec, m->payload, m->len, &r, err, sizeof err);
  if (rc == RH_FEEDRECORD_FALLBACK)
    rc = rh_avro_decode(s->dec, m->payload, m->len, s->codec.schema, &s->v, NULL, err,
                        sizeof err) == RH_AVRO_OK
             ? rh_feedrecord_from_value(&s->codec, &s->v, &r, err, sizeof err)
             : -1;
  if (rc != 0 || strcmp(r.batch_id, s->batch->batch_id) != 0) return 0; /* another list's */
  s->n++;
  if (s->fn(s->arg, &r)) return s->stopped = true, -1;
  return 0;
}

int identity_source_records(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                            const rh_config_feed_t *feed, const identity_batch_t *batch,
                            identity_record_fn *fn, void *arg, char *errstr, size_t errstr_size) {
  char err[1024];
  records_t s = {.batch = batch, .fn = fn, .arg = arg};
  const rh_avro_schema_t *schema = rh_avro_schemas_get(schemas, "riskhub.FeedRecord");
  if (!schema)
    return rh_kafka_fail(RH_EXIT_CONFIG, "the schemas hold no riskhub.FeedRecord", errstr,
                         errstr_size);
  if (rh_feedrecord_codec_init(&s.codec, schema, errstr, errstr_size)) return RH_EXIT_CONFIG;
  int rc = RH_EXIT_OK;
  if (rh_avro_schema_value_new(schema, &s.v, errstr, errstr_size) != RH_AVRO_OK) {
    rh_feedrecord_codec_free(&s.codec);
    return RH_EXIT_SOFTWARE;
  }
  if (!(s.dec = rh_avro_decoder_new(schemas))) {
    rc = rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size);
    goto out;
  }
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(cfg, err, sizeof err);
  const char *topics[1] = {feed->topic};
  if (!conf || rh_kafka_read_topics(conf, topics, 1, NULL, record_one, &s, NULL, err, sizeof err)) {
    rc = s.stopped ? rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size)
                   : rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
    goto out;
  }
  if (s.n != batch->rows_accepted) {
    rh_errf(errstr, errstr_size,
            "%s: the list %.16s of %s/%s has %" PRId64 " records on the topic, its manifest "
            "accepted %" PRId64 ": not compared",
            feed->topic, batch->batch_id, feed->department->code, feed->code, s.n,
            batch->rows_accepted);
    rc = RH_EXIT_REFUSED;
  }
out:
  rh_avro_decoder_destroy(s.dec);
  avro_value_decref(&s.v);
  rh_feedrecord_codec_free(&s.codec);
  return rc;
}
