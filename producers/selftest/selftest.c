#include "selftest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_clock.h"
#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_exit.h"
#include "rh_feedrecord.h"
#include "rh_idnum.h"
#include "rh_kafka.h"
#include "rh_log.h"
#include "rh_pg.h"
#include "rh_synth.h"

#define SELFTEST_PARTITIONS 3

/* Record i of the run: regenerated identically when reading back. */
typedef struct {
  char id[RH_ID_BUFSZ];
  char name[32];
  char village[32];
  char disease[32];
  rh_fact_t facts[1];
  rh_feedrecord_t r;
} sample_t;

static void make_sample(const selftest_opts_t *o, const char *batch_id, size_t i,
                        sample_t *s) {
  static const char *const diseases[] = {"尿毒症", "白血病", "肺癌", "脑卒中"};
  rh_rng_t rng;
  rh_rng_seed(&rng, o->seed * 1000003u + i);
  rh_synth_id(&rng, o->cfg->county_code, 1940, 2015, -1, s->id);
  rh_synth_name(&rng, s->name, sizeof(s->name));
  const rh_config_township_t *t = &o->cfg->townships[i % o->cfg->township_count];
  snprintf(s->village, sizeof(s->village), "%u村", rh_rng_below(&rng, 30) + 1);
  snprintf(s->disease, sizeof(s->disease), "%s", diseases[rh_rng_below(&rng, 4)]);
  s->facts[0] = (rh_fact_t){"disease", s->disease};
  s->r = (rh_feedrecord_t){
      .id_number = s->id, .name = s->name, .department = "health", .feed = "major-disease",
      .kind = "SIGNAL", .period = "2026-10", .batch_id = batch_id,
      .row_number = (int64_t)i + 2, .township_code = t->code, .village = s->village,
      .has_event_date = true, .event_date = 20362 + (int32_t)(i % 31),
      .has_amount = true, .amount_fen = (int64_t)rh_rng_below(&rng, 5000000),
      .risk = "ILLNESS", .facts = s->facts, .fact_count = 1, .produced_at = 0};
}

static int same_record(const rh_feedrecord_t *a, const rh_feedrecord_t *b) {
#define S(f) ((a->f == NULL) != (b->f == NULL) || (a->f && strcmp(a->f, b->f)))
  if (S(id_number) || S(name) || S(department) || S(feed) || S(kind) || S(period) ||
      S(batch_id) || S(township_code) || S(village) || S(risk) || S(risk_subtype))
    return 0;
#undef S
  if (a->row_number != b->row_number || a->has_event_date != b->has_event_date ||
      a->event_date != b->event_date || a->has_amount != b->has_amount ||
      a->amount_fen != b->amount_fen || a->fact_count != b->fact_count)
    return 0;
  for (size_t i = 0; i < a->fact_count; i++)
    if (strcmp(a->facts[i].name, b->facts[i].name) || strcmp(a->facts[i].value, b->facts[i].value))
      return 0;
  return 1;
}

typedef struct {
  int64_t lo[SELFTEST_PARTITIONS], hi[SELFTEST_PARTITIONS];
} ranges_t;

static void on_delivery(void *ctx, const rd_kafka_message_t *m) {
  ranges_t *r = ctx;
  if (m->err || m->partition < 0 || m->partition >= SELFTEST_PARTITIONS) return;
  if (r->lo[m->partition] < 0 || m->offset < r->lo[m->partition]) r->lo[m->partition] = m->offset;
  if (m->offset > r->hi[m->partition]) r->hi[m->partition] = m->offset;
}

static int check_postgres(const selftest_opts_t *o) {
  char err[512];
  PGconn *c = rh_pg_connect_as(o->cfg->pg_conninfo, RH_PG_ROLE_STATUS, o->timeout_ms, err, sizeof(err));
  if (!c) {
    fprintf(stderr, "riskhub-selftest: PostgreSQL unavailable: %s\n", err);
    return RH_EXIT_UNAVAILABLE;
  }
  int rc = RH_EXIT_SOFTWARE;
  PGresult *r = NULL;
  const char *params[1] = {"健康检查"};
  if (rh_pg_exec(c, "CREATE TEMP TABLE selftest (t text)", err, sizeof(err)) ||
      !(r = rh_pg_exec_params(c, "INSERT INTO selftest VALUES ($1) RETURNING t, "
                                 "current_setting('server_version')", 1, params, err, sizeof(err)))) {
    fprintf(stderr, "riskhub-selftest: PostgreSQL: %s\n", err);
    goto done;
  }
  if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), params[0]) != 0) {
    fprintf(stderr, "riskhub-selftest: PostgreSQL returned other text than it was given\n");
    goto done;
  }
  printf("PostgreSQL %s at %s:%s: UTF-8 text written and read back\n", PQgetvalue(r, 0, 1),
         PQhost(c), PQport(c));
  rc = RH_EXIT_OK;
done:
  PQclear(r);
  PQfinish(c);
  return rc;
}

int selftest_run(const selftest_opts_t *o) {
  char err[512];
  /* The topic and the consumer group in the configuration's topic namespace. */
  char topic[256], group[256];
  if (rh_config_topic(o->cfg, o->topic, topic, sizeof(topic)) ||
      rh_config_topic(o->cfg, "riskhub-selftest", group, sizeof(group))) {
    fprintf(stderr, "riskhub-selftest: topic name too long: %s%s\n", o->cfg->topic_prefix,
            o->topic);
    return RH_EXIT_USAGE;
  }
  int rc = check_postgres(o);
  if (rc) return rc;

  rh_avro_schemas_t *set = rh_avro_schemas_new();
  rh_avro_decoder_t *dec = NULL;
  rh_producer_t *p = NULL;
  rd_kafka_t *consumer = NULL;
  rh_feedrecord_codec_t codec = {0};
  avro_value_t value = {0}, back = {0};
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  ranges_t ranges;
  char *seen = calloc(o->records ? o->records : 1, 1);
  rc = RH_EXIT_CONFIG;
  for (int i = 0; i < SELFTEST_PARTITIONS; i++) ranges.lo[i] = -1, ranges.hi[i] = -1;
  if (!set || !seen) {
    fprintf(stderr, "riskhub-selftest: out of memory\n");
    rc = RH_EXIT_SOFTWARE;
    goto done;
  }
  if (rh_avro_schemas_load_dir(set, o->schemas_dir, err, sizeof(err))) {
    fprintf(stderr, "riskhub-selftest: schemas: %s\n", err);
    goto done;
  }
  const rh_avro_schema_t *fr = rh_avro_schemas_get(set, "riskhub.FeedRecord");
  if (rh_feedrecord_codec_init(&codec, fr, err, sizeof(err)) ||
      rh_avro_schema_value_new(fr, &value, err, sizeof(err)) ||
      rh_avro_schema_value_new(fr, &back, err, sizeof(err)) || !(dec = rh_avro_decoder_new(set))) {
    fprintf(stderr, "riskhub-selftest: schemas: %s\n", err);
    goto done;
  }

  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(o->cfg, err, sizeof(err));
  if (!conf || !(p = rh_producer_new(conf, on_delivery, &ranges, err, sizeof(err)))) {
    fprintf(stderr, "riskhub-selftest: %s: %s\n", o->cfg->source, err);
    goto done;
  }
  rc = RH_EXIT_UNAVAILABLE;
  const char *topics[1] = {topic};
  if (rh_kafka_create_topics(rh_producer_handle(p), topics, 1, SELFTEST_PARTITIONS, 1,
                             o->timeout_ms, err, sizeof(err))) {
    fprintf(stderr, "riskhub-selftest: broker %s unavailable: %s\n", o->cfg->kafka_bootstrap, err);
    goto done;
  }

  if (rh_kafka_warm_topics(rh_producer_handle(p), topics, 1, o->timeout_ms, err, sizeof(err))) {
    fprintf(stderr, "riskhub-selftest: broker %s: %s\n", o->cfg->kafka_bootstrap, err);
    goto done;
  }

  char batch_id[40];
  snprintf(batch_id, sizeof(batch_id), "selftest-%" PRIu64, o->seed);
  int64_t t0 = rh_wall_ms();
  size_t bytes = 0;
  sample_t s;
  for (size_t i = 0; i < o->records; i++) {
    make_sample(o, batch_id, i, &s);
    s.r.produced_at = rh_wall_ms();
    rh_avro_buf_clear(&buf);
    if (rh_feedrecord_to_value(&codec, &s.r, &value, err, sizeof(err)) ||
        rh_avro_encode(fr, &value, &buf, err, sizeof(err))) {
      fprintf(stderr, "riskhub-selftest: encoding record %zu: %s\n", i, err);
      rc = RH_EXIT_SOFTWARE;
      goto done;
    }
    char idx[24];
    snprintf(idx, sizeof(idx), "%zu", i);
    rd_kafka_headers_t *h = rd_kafka_headers_new(2);
    rd_kafka_header_add(h, "selftest.index", -1, idx, -1);
    rd_kafka_header_add(h, "batch_id", -1, batch_id, -1);
    if (rh_producer_send(p, topic, RD_KAFKA_PARTITION_UA, s.id, RH_ID_LEN, buf.data, buf.len,
                         h, NULL, err, sizeof(err))) {
      fprintf(stderr, "riskhub-selftest: %s\n", err);
      goto done;
    }
    bytes += buf.len;
  }
  if (rh_producer_flush(p, o->timeout_ms, err, sizeof(err))) {
    fprintf(stderr, "riskhub-selftest: delivery failed: %s\n", err);
    goto done;
  }
  int64_t t1 = rh_wall_ms();
  printf("Kafka %s: %zu FeedRecords (%zu bytes, single-object encoding, schema %s) published "
         "to %s and acknowledged in %" PRId64 " ms\n",
         o->cfg->kafka_bootstrap, o->records, bytes, fr->fingerprint_hex, topic, t1 - t0);

  /* read exactly the offsets that were acknowledged, read_committed */
  conf = rh_kafka_conf_from_config(o->cfg, err, sizeof(err));
  if (!conf || !(consumer = rh_consumer_new(conf, group, err, sizeof(err)))) {
    fprintf(stderr, "riskhub-selftest: %s\n", err);
    goto done;
  }
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(SELFTEST_PARTITIONS);
  int pending = 0;
  for (int i = 0; i < SELFTEST_PARTITIONS; i++) {
    if (ranges.lo[i] < 0) continue;
    rd_kafka_topic_partition_list_add(parts, topic, i)->offset = ranges.lo[i];
    pending++;
  }
  rd_kafka_assign(consumer, parts);
  rd_kafka_topic_partition_list_destroy(parts);

  size_t got = 0, mismatched = 0;
  int64_t deadline = rh_wall_ms() + o->timeout_ms;
  while (pending > 0 && rh_wall_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 200);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      rd_kafka_message_destroy(m);
      continue;
    }
    if (m->err) {
      fprintf(stderr, "riskhub-selftest: reading back: %s\n", rd_kafka_message_errstr(m));
      rd_kafka_message_destroy(m);
      goto done;
    }
    char idx[24];
    if (m->offset == ranges.hi[m->partition]) pending--;
    if (m->offset > ranges.hi[m->partition] ||
        rh_kafka_header_get(m, "selftest.index", idx, sizeof(idx)) != 0) {
      rd_kafka_message_destroy(m);
      continue;
    }
    size_t i = strtoull(idx, NULL, 10);
    rh_feedrecord_t out;
    if (i >= o->records ||
        rh_avro_decode(dec, m->payload, m->len, fr, &back, NULL, err, sizeof(err)) ||
        rh_feedrecord_from_value(&codec, &back, &out, err, sizeof(err))) {
      mismatched++;
    } else {
      make_sample(o, batch_id, i, &s);
      if (!same_record(&s.r, &out) || seen[i]) mismatched++;
      seen[i] = 1;
      got++;
    }
    rd_kafka_message_destroy(m);
  }
  int64_t t2 = rh_wall_ms();
  if (got != o->records || mismatched) {
    fprintf(stderr, "riskhub-selftest: read back %zu of %zu records, %zu different\n", got,
            o->records, mismatched);
    rc = RH_EXIT_SOFTWARE;
    goto done;
  }
  printf("Kafka %s: read back all %zu records read_committed in %" PRId64
         " ms; every one decodes to what was sent\n",
         o->cfg->kafka_bootstrap, got, t2 - t1);
  for (size_t i = 0; i < 3 && i < o->records; i++) {
    make_sample(o, batch_id, i, &s);
    char masked[RH_ID_BUFSZ];
    rh_id_mask(s.id, masked);
    printf("  sample %zu: %s %s/%s %s %s amount %.2f yuan, %s\n", i + 1, masked,
           s.r.department, s.r.feed, s.r.township_code, s.r.village, s.r.amount_fen / 100.0,
           s.disease);
  }
  rc = RH_EXIT_OK;
done:
  if (consumer) {
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
  }
  rh_producer_destroy(p);
  rh_avro_buf_free(&buf);
  if (value.iface) avro_value_decref(&value);
  if (back.iface) avro_value_decref(&back);
  rh_feedrecord_codec_free(&codec);
  rh_avro_decoder_destroy(dec);
  rh_avro_schemas_destroy(set);
  free(seen);
  return rc;
}
