/* join_transform, join_idset and rh_avro_wire_first_string: one feed record in,
 * the join's outputs captured by a fake sink (no Kafka, no PostgreSQL), with
 * the shipped config and schemas and a registry built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "join_idset.h"
#include "rh_kafka_read.h"
#include "join_transform.h"
#include "rh_alert.h"
#include "rh_feedrecord.h"
#include "rh_hash.h"
#include "rh_idnum.h"
#include "rh_rules.h"
#include "rh_test.h"

typedef struct {
  char topic[128], key[64];
  unsigned char value[4096];
  size_t value_len;
  char error[512], src_topic[128], src_partition[16], src_offset[24];
} out_t;

typedef struct {
  out_t out[8];
  int n, fail_send;
} capture_t;

static int cap_send(void *arg, const char *topic, const void *key, size_t key_len,
                    const void *value, size_t value_len, rd_kafka_headers_t *h, char *errstr,
                    size_t errstr_size) {
  capture_t *c = arg;
  if (c->fail_send) {
    if (h) rd_kafka_headers_destroy(h);
    snprintf(errstr, errstr_size, "injected send failure");
    return -1;
  }
  assert_true(c->n < 8);
  out_t *o = &c->out[c->n++];
  snprintf(o->topic, sizeof o->topic, "%s", topic);
  snprintf(o->key, sizeof o->key, "%.*s", (int)key_len, (const char *)key);
  assert_true(value_len <= sizeof o->value);
  memcpy(o->value, value, value_len);
  o->value_len = value_len;
  if (h) {
    const void *v;
    size_t n;
    struct { const char *name; char *dst; size_t size; } want[] = {
        {"error", o->error, sizeof o->error}, {"source.topic", o->src_topic, sizeof o->src_topic},
        {"source.partition", o->src_partition, sizeof o->src_partition},
        {"source.offset", o->src_offset, sizeof o->src_offset}};
    for (size_t i = 0; i < 4; i++)
      if (rd_kafka_header_get_last(h, want[i].name, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR)
        snprintf(want[i].dst, want[i].size, "%.*s", (int)n, (const char *)v);
    rd_kafka_headers_destroy(h);
  }
  return 0;
}

typedef struct {
  rh_config_t *cfg;
  rh_avro_schemas_t *schemas;
  rh_regmap_t *map;
  join_idset_t *ids;
  join_transform_t t;
  capture_t cap;
  join_sink_t sink;
  rh_feedrecord_codec_t frc;
  avro_value_t scratch;
  rh_avro_buf_t buf;
  rh_alert_codec_t alc;
  avro_value_t alv;
  rh_avro_decoder_t *dec;
  char ordinary_id[19], monitored_id[19], outsider_id[19];
} fx_t;

/* A valid ID number from 17 digits. */
static void make_id(const char *first17, char out[19]) {
  memcpy(out, first17, 17);
  out[17] = rh_id_check_char(first17);
  out[18] = '\0';
}

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  char err[1024], path[4096];
  rh_test_path(path, sizeof path, "config/riskhub.yaml");
  unsetenv("RH_TOPIC_PREFIX");
  if (!(f->cfg = rh_config_load(path, err, sizeof err))) fail_msg("%s", err);
  rh_test_path(path, sizeof path, "schemas");
  f->schemas = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(f->schemas, path, err, sizeof err)) fail_msg("%s", err);
  f->map = rh_regmap_new();
  make_id("41102419800101001", f->ordinary_id);
  make_id("41102419750202002", f->monitored_id);
  make_id("41102419900303003", f->outsider_id);
  rh_regmap_household_row_t h1 = {.household_id = "411024100-001-0001", .township_code = "411024100",
                                  .village = "王庄村", .type = RH_REGMAP_HH_ORDINARY,
                                  .income_per_capita_fen = 2000000, .head_id_number = f->ordinary_id};
  rh_regmap_household_row_t h2 = {.household_id = "411024105-002-0003", .township_code = "411024105",
                                  .village = "李村", .type = RH_REGMAP_HH_MONITORED,
                                  .category = RH_REGMAP_CAT_MARGINAL,
                                  .income_per_capita_fen = 700000, .head_id_number = f->monitored_id};
  if (rh_regmap_put_household(f->map, &h1, err, sizeof err) ||
      rh_regmap_put_household(f->map, &h2, err, sizeof err) ||
      rh_regmap_put_person(f->map, f->ordinary_id, h1.household_id, "测试甲", RH_REGMAP_REL_HEAD, err,
                           sizeof err) ||
      rh_regmap_put_person(f->map, f->monitored_id, h2.household_id, "测试乙", RH_REGMAP_REL_HEAD, err,
                           sizeof err))
    fail_msg("%s", err);
  f->ids = join_idset_new(16);
  if (join_transform_init(&f->t, f->cfg, f->schemas, f->ids, err, sizeof err)) fail_msg("%s", err);
  f->t.map = f->map;
  f->sink = (join_sink_t){cap_send, &f->cap};
  const rh_avro_schema_t *fr = rh_avro_schemas_get(f->schemas, "riskhub.FeedRecord");
  const rh_avro_schema_t *al = rh_avro_schemas_get(f->schemas, "riskhub.Alert");
  if (rh_feedrecord_codec_init(&f->frc, fr, err, sizeof err) ||
      rh_avro_schema_value_new(fr, &f->scratch, err, sizeof err) ||
      rh_alert_codec_init(&f->alc, al, err, sizeof err) ||
      rh_avro_schema_value_new(al, &f->alv, err, sizeof err))
    fail_msg("%s", err);
  rh_avro_buf_init(&f->buf);
  f->dec = rh_avro_decoder_new(f->schemas);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  join_transform_free(&f->t);
  join_idset_destroy(f->ids);
  rh_regmap_destroy(f->map);
  rh_feedrecord_codec_free(&f->frc);
  rh_alert_codec_free(&f->alc);
  avro_value_decref(&f->scratch);
  avro_value_decref(&f->alv);
  rh_avro_buf_free(&f->buf);
  rh_avro_decoder_destroy(f->dec);
  rh_avro_schemas_destroy(f->schemas);
  rh_config_destroy(f->cfg);
  free(f);
  return 0;
}

/* A medical-insurance/high-self-pay record of id with amount (yuan). */
static join_input_t record(fx_t *f, const char *dept, const char *feed, const char *id,
                           int64_t amount_yuan, int64_t offset) {
  static const rh_fact_t facts[] = {{"disease", "test disease"}};
  rh_feedrecord_t r = {.id_number = id, .name = "测试", .department = dept, .feed = feed,
                       .kind = "SIGNAL", .period = "2026-10", .batch_id = "b0b0", .row_number = 2,
                       .has_amount = true, .amount_fen = amount_yuan * 100, .risk = "ILLNESS",
                       .facts = facts, .fact_count = 1, .produced_at = 1};
  char err[512];
  rh_avro_buf_clear(&f->buf);
  if (rh_feedrecord_encode(&f->frc, &r, &f->scratch, &f->buf, err, sizeof err)) fail_msg("%s", err);
  return (join_input_t){.topic = "feed.medical-insurance.high-self-pay", .partition = 1,
                        .offset = offset, .key = id, .key_len = 18, .value = f->buf.data,
                        .value_len = f->buf.len};
}

static void decode_alert(fx_t *f, const out_t *o, rh_alert_t *a) {
  char err[512];
  const rh_avro_schema_t *al = rh_avro_schemas_get(f->schemas, "riskhub.Alert");
  assert_int_equal(rh_avro_decode(f->dec, o->value, o->value_len, al, &f->alv, NULL, err, sizeof err),
                   RH_AVRO_OK);
  assert_int_equal(rh_alert_from_value(&f->alc, &f->alv, a, err, sizeof err), 0);
}

static int handle(fx_t *f, const join_input_t *in) {
  char err[512];
  return join_transform_message(&f->t, in, &f->sink, 1700000000000, err, sizeof err);
}

static void test_matched_alert(void **state) {
  fx_t *f = *state;
  join_input_t in = record(f, "medical-insurance", "high-self-pay", f->ordinary_id, 12000, 41);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 1);
  assert_string_equal(f->cap.out[0].topic, "alerts.411024100");
  assert_string_equal(f->cap.out[0].key, "411024100-001-0001");
  rh_alert_t a;
  decode_alert(f, &f->cap.out[0], &a);
  char want_id[RH_SHA256_HEXSZ];
  rh_alert_id(f->ordinary_id, "medical-insurance", "high-self-pay", "2026-10",
              "illness-high-self-pay-ordinary", want_id);
  assert_string_equal(a.alert_id, want_id);
  assert_string_equal(a.situation, "MAY_NEED_MONITORING");
  assert_string_equal(a.rule_id, "illness-high-self-pay-ordinary");
  assert_string_equal(a.severity, "high");
  assert_string_equal(a.risk, "ILLNESS");
  assert_string_equal(a.household_type, "ordinary");
  assert_null(a.monitoring_category);
  assert_string_equal(a.person_name, "测试甲"); /* the registry's name, not the department's */
  assert_string_equal(a.relation_to_head, "head");
  assert_string_equal(a.village, "王庄村");
  assert_int_equal(a.amount_fen, 1200000);
  assert_int_equal(a.fact_count, 1);
  assert_string_equal(a.source.topic, "feed.medical-insurance.high-self-pay");
  assert_int_equal(a.source.partition, 1);
  assert_int_equal(a.source.offset, 41);
  assert_string_equal(a.source.batch_id, "b0b0");
  assert_int_equal(f->t.counts.alerts, 1);
  assert_int_equal(f->t.counts.records, 1);
}

static void test_threshold_depends_on_household(void **state) {
  fx_t *f = *state;
  /* 8,000 yuan: below the ordinary threshold (10,000), above the monitored one (6,000) */
  join_input_t in = record(f, "medical-insurance", "high-self-pay", f->ordinary_id, 8000, 1);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 0);
  assert_int_equal(f->t.counts.no_rule, 1);
  in = record(f, "medical-insurance", "high-self-pay", f->monitored_id, 8000, 2);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 1);
  assert_string_equal(f->cap.out[0].topic, "alerts.411024105");
  rh_alert_t a;
  decode_alert(f, &f->cap.out[0], &a);
  assert_string_equal(a.situation, "AT_NEW_RISK");
  assert_string_equal(a.rule_id, "illness-high-self-pay-monitored");
  assert_string_equal(a.monitoring_category, "marginal");
}

/* Alerts of two townships in a row, under a topic prefix: each goes to its
 * own "<prefix>alerts.<township>" (the topic is written in place an alert). */
static void test_alerts_topic_per_township(void **state) {
  fx_t *f = *state;
  char err[1024], path[4096];
  rh_test_path(path, sizeof path, "config/riskhub.yaml");
  setenv("RH_TOPIC_PREFIX", "rhtest-unit-1a2b.", 1);
  rh_config_t *cfg = rh_config_load(path, err, sizeof err);
  unsetenv("RH_TOPIC_PREFIX");
  if (!cfg) fail_msg("%s", err);
  join_transform_t t;
  if (join_transform_init(&t, cfg, f->schemas, f->ids, err, sizeof err)) fail_msg("%s", err);
  t.map = f->map;
  const char *ids[] = {f->monitored_id, f->ordinary_id, f->monitored_id};
  const char *want[] = {"rhtest-unit-1a2b.alerts.411024105", "rhtest-unit-1a2b.alerts.411024100",
                        "rhtest-unit-1a2b.alerts.411024105"};
  for (int i = 0; i < 3; i++) {
    join_input_t in = record(f, "medical-insurance", "high-self-pay", ids[i], 12000 + i, i);
    in.topic = "rhtest-unit-1a2b.feed.medical-insurance.high-self-pay";
    /* the third is the first's alert again (same id): a duplicate, not sent */
    assert_int_equal(join_transform_message(&t, &in, &f->sink, 1700000000000, err, sizeof err), 0);
  }
  assert_int_equal(f->cap.n, 2);
  for (int i = 0; i < 2; i++) assert_string_equal(f->cap.out[i].topic, want[i]);
  assert_int_equal(t.counts.duplicates, 1);
  /* the next township again, after the other */
  join_idset_rollback(f->ids);
  join_input_t in = record(f, "medical-insurance", "high-self-pay", f->monitored_id, 12000, 9);
  in.topic = "rhtest-unit-1a2b.feed.medical-insurance.high-self-pay";
  assert_int_equal(join_transform_message(&t, &in, &f->sink, 1700000000000, err, sizeof err), 0);
  assert_int_equal(f->cap.n, 3);
  assert_string_equal(f->cap.out[2].topic, want[2]);
  join_transform_free(&t);
  rh_config_destroy(cfg);
}

static void test_unmatched(void **state) {
  fx_t *f = *state;
  join_input_t in = record(f, "medical-insurance", "high-self-pay", f->outsider_id, 50000, 7);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 1);
  assert_string_equal(f->cap.out[0].topic, "alerts.unmatched");
  assert_string_equal(f->cap.out[0].key, f->outsider_id);
  rh_alert_t a;
  decode_alert(f, &f->cap.out[0], &a);
  assert_string_equal(a.situation, "UNMATCHED");
  assert_string_equal(a.rule_id, "unmatched");
  assert_string_equal(a.reason, "not in the household registry");
  assert_null(a.household_id);
  assert_null(a.township_code);
  assert_int_equal(f->t.counts.unmatched, 1);
}

static void test_duplicate_and_rollback(void **state) {
  fx_t *f = *state;
  join_input_t in = record(f, "medical-insurance", "high-self-pay", f->ordinary_id, 12000, 1);
  assert_int_equal(handle(f, &in), 0);
  in = record(f, "medical-insurance", "high-self-pay", f->ordinary_id, 15000, 9); /* same rule */
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 1);
  assert_int_equal(f->t.counts.duplicates, 1);
  /* the transaction aborts: the id is forgotten, the retry publishes it */
  assert_int_equal(join_idset_pending(f->ids), 1);
  join_idset_rollback(f->ids);
  assert_int_equal(join_idset_size(f->ids), 0);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 2);
  /* committed: stays through a later rollback */
  join_idset_commit(f->ids);
  join_idset_rollback(f->ids);
  assert_int_equal(join_idset_size(f->ids), 1);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 2);
}

static void test_send_failure_is_reported(void **state) {
  fx_t *f = *state;
  char err[512] = "";
  f->cap.fail_send = 1;
  join_input_t in = record(f, "medical-insurance", "high-self-pay", f->ordinary_id, 12000, 1);
  assert_int_equal(join_transform_message(&f->t, &in, &f->sink, 1, err, sizeof err), -1);
  assert_non_null(strstr(err, "injected"));
  assert_int_equal(f->t.counts.alerts, 0);
}

static void test_dead_letters(void **state) {
  fx_t *f = *state;
  /* garbage */
  join_input_t in = {.topic = "feed.medical-insurance.high-self-pay", .partition = 2, .offset = 5,
                     .value = "not avro at all", .value_len = 15};
  assert_int_equal(handle(f, &in), 0);
  /* truncated */
  join_input_t good = record(f, "medical-insurance", "high-self-pay", f->ordinary_id, 12000, 6);
  join_input_t cut = good;
  cut.value_len = good.value_len - 3;
  assert_int_equal(handle(f, &cut), 0);
  /* a record of another feed on this topic */
  join_input_t other = record(f, "health", "major-disease", f->ordinary_id, 12000, 7);
  assert_int_equal(handle(f, &other), 0);
  /* a topic that is no feed of the config */
  join_input_t unknown = good;
  unknown.topic = "feed.nobody.nothing";
  assert_int_equal(handle(f, &unknown), 0);
  assert_int_equal(f->cap.n, 4);
  assert_int_equal(f->t.counts.dlq, 4);
  assert_int_equal(f->t.counts.alerts, 0);
  for (int i = 0; i < 4; i++) {
    assert_string_equal(f->cap.out[i].topic, "riskhub.dlq");
    assert_true(f->cap.out[i].error[0] != '\0');
  }
  assert_memory_equal(f->cap.out[0].value, "not avro at all", 15); /* bytes as consumed */
  assert_string_equal(f->cap.out[0].src_topic, "feed.medical-insurance.high-self-pay");
  assert_string_equal(f->cap.out[0].src_partition, "2");
  assert_string_equal(f->cap.out[0].src_offset, "5");
  assert_non_null(strstr(f->cap.out[1].error, "not a FeedRecord"));
  assert_non_null(strstr(f->cap.out[2].error, "health/major-disease"));
  assert_non_null(strstr(f->cap.out[3].error, "not a feed"));
  /* no full ID number in a reason */
  for (int i = 0; i < 4; i++) assert_null(strstr(f->cap.out[i].error, f->ordinary_id));
}

static void test_first_string(void **state) {
  fx_t *f = *state;
  join_input_t in = record(f, "medical-insurance", "high-self-pay", f->ordinary_id, 12000, 1);
  assert_int_equal(handle(f, &in), 0);
  rh_alert_t a;
  decode_alert(f, &f->cap.out[0], &a);
  size_t n = 0;
  const char *s = rh_avro_wire_first_string(f->cap.out[0].value, f->cap.out[0].value_len, &n);
  assert_non_null(s);
  assert_int_equal(n, 64);
  assert_memory_equal(s, a.alert_id, 64);
  assert_null(rh_avro_wire_first_string("xx", 2, &n));
  unsigned char bad[12] = {0xC3, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x7e, 'a'}; /* length 63 > 1 */
  assert_null(rh_avro_wire_first_string(bad, sizeof bad, &n));
}

static void test_idset_keys(void **state) {
  (void)state;
  assert_int_equal(join_idset_key("0123456789abcdefff", 18), UINT64_C(0x0123456789abcdef));
  assert_int_equal(join_idset_key("0000000000000000", 16), 1); /* never 0 */
  assert_int_equal(join_idset_key("0123456789abcdeg", 16), 0);
  assert_int_equal(join_idset_key("0123", 4), 0);
  join_idset_t *s = join_idset_new(4);
  for (uint64_t k = 1; k <= 1000; k++) assert_int_equal(join_idset_add(s, k * 7919), 1);
  assert_int_equal(join_idset_add(s, 7919), 0);
  join_idset_rollback(s);
  assert_int_equal(join_idset_size(s), 0);
  assert_int_equal(join_idset_add_committed(s, 5), 1);
  assert_int_equal(join_idset_add(s, 5), 0);
  join_idset_destroy(s);
}

/* what rh_rules is asked about a registry household (moved here from
 * rh_regmap with the adapter) */
static void test_rule_household(void **state) {
  (void)state;
  rh_regmap_t *m = rh_regmap_new();
  assert_non_null(m);
  char err[256];
  rh_regmap_household_row_t row = {.household_id = "411024100-001-0001",
                                   .township_code = "411024100", .village = "王庄村",
                                   .type = RH_REGMAP_HH_MONITORED,
                                   .category = RH_REGMAP_CAT_MARGINAL, .risk_eliminated = true,
                                   .eliminated_month = 202403, .income_per_capita_fen = 1234567};
  if (rh_regmap_put_household(m, &row, err, sizeof err)) fail_msg("%s", err);
  const rh_regmap_household_t *h = rh_regmap_household(m, row.household_id);
  assert_non_null(h);
  rh_rule_household_t rh;
  join_transform_rule_household(h, &rh);
  assert_string_equal(rh.household_type, "monitored");
  assert_string_equal(rh.monitoring_category, "marginal");
  assert_true(rh.risk_eliminated);
  assert_true(rh.has_income);
  assert_int_equal(rh.income_per_capita_fen, 1234567);
  row.type = RH_REGMAP_HH_POVERTY_ALLEVIATED;
  row.category = RH_REGMAP_CAT_NONE;
  row.risk_eliminated = false;
  if (rh_regmap_put_household(m, &row, err, sizeof err)) fail_msg("%s", err);
  join_transform_rule_household(h, &rh);
  assert_string_equal(rh.household_type, "poverty_alleviated");
  assert_null(rh.monitoring_category);
  assert_false(rh.risk_eliminated);
  join_transform_rule_household(NULL, &rh);
  assert_null(rh.household_type);
  assert_false(rh.has_income);
  rh_regmap_destroy(m);
}

/* One warning per person, feed and month (docs/join.md, "One warning per
 * person"): emergency/disaster-affected has disaster-affected (medium) and
 * disaster-affected-large-loss (high, 10,000 yuan or more). Expected ids from
 * the documented formulas: rh_alert_id; SHA-256 over "riskhub-merge-v1" and
 * the merged alert's id. */
static void merge_id(const char *merged, char out[RH_SHA256_HEXSZ]) {
  const char *parts[2] = {"riskhub-merge-v1", merged};
  rh_sha256_parts(parts, 2, out);
}

static join_input_t disaster(fx_t *f, const char *id, int64_t amount_yuan, int64_t offset) {
  join_input_t in = record(f, "emergency", "disaster-affected", id, amount_yuan, offset);
  in.topic = "feed.emergency.disaster-affected";
  return in;
}

/* The person's two alert ids of the feed and month: medium and high. */
static void disaster_ids(const char *id, char medium[RH_SHA256_HEXSZ],
                         char high[RH_SHA256_HEXSZ]) {
  rh_alert_id(id, "emergency", "disaster-affected", "2026-10", "disaster-affected", medium);
  rh_alert_id(id, "emergency", "disaster-affected", "2026-10", "disaster-affected-large-loss",
              high);
}

static void test_one_warning_per_person(void **state) {
  fx_t *f = *state;
  char medium[RH_SHA256_HEXSZ], high[RH_SHA256_HEXSZ], mid[RH_SHA256_HEXSZ];
  disaster_ids(f->ordinary_id, medium, high);
  rh_alert_t a;
  /* a medium row: its alert */
  join_input_t in = disaster(f, f->ordinary_id, 3000, 10);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 1);
  decode_alert(f, &f->cap.out[0], &a);
  assert_string_equal(a.alert_id, medium);
  assert_null(a.merged_into);
  /* a high row of the same person: raised, and the medium one merged into it */
  in = disaster(f, f->ordinary_id, 20000, 11);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 3);
  decode_alert(f, &f->cap.out[1], &a);
  assert_string_equal(a.alert_id, high);
  assert_string_equal(a.severity, "high");
  assert_null(a.withdraws);
  decode_alert(f, &f->cap.out[2], &a);
  merge_id(medium, mid);
  assert_string_equal(a.alert_id, mid);
  assert_string_equal(a.situation, "WITHDRAWN");
  assert_string_equal(a.withdraws, medium);
  assert_string_equal(a.merged_into, high);
  assert_string_equal(a.rule_id, "disaster-affected");
  assert_string_equal(f->cap.out[2].topic, "alerts.411024100");
  assert_string_equal(f->cap.out[2].key, "411024100-001-0001");
  assert_false(a.has_amount); /* the medium row's facts are on its own alert */
  /* another medium row */
  in = disaster(f, f->ordinary_id, 4000, 12);
  assert_int_equal(handle(f, &in), 0);
  /* the medium alert id is claimed already: the row is a duplicate of it (a
   * row of the rule an earlier row gave adds nothing: docs/join.md) */
  assert_int_equal(f->cap.n, 3);
  assert_int_equal(f->t.counts.duplicates, 1);
  /* a second high row: a duplicate; nothing */
  in = disaster(f, f->ordinary_id, 30000, 13);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 3);
  assert_int_equal(f->t.counts.alerts, 2);
  assert_int_equal(f->t.counts.merged, 1);
}

static void test_less_severe_row_merged(void **state) {
  fx_t *f = *state;
  char medium[RH_SHA256_HEXSZ], high[RH_SHA256_HEXSZ], mid[RH_SHA256_HEXSZ];
  disaster_ids(f->monitored_id, medium, high);
  join_input_t in = disaster(f, f->monitored_id, 15000, 20);
  assert_int_equal(handle(f, &in), 0);
  in = disaster(f, f->monitored_id, 2000, 21);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 2);
  rh_alert_t a;
  decode_alert(f, &f->cap.out[0], &a);
  assert_string_equal(a.alert_id, high);
  decode_alert(f, &f->cap.out[1], &a);
  merge_id(medium, mid);
  assert_string_equal(a.alert_id, mid);
  assert_string_equal(a.withdraws, medium);
  assert_string_equal(a.merged_into, high);
  assert_string_equal(a.severity, "medium");
  assert_true(a.has_amount); /* the merged row's own facts */
  assert_int_equal(a.amount_fen, 200000);
  assert_int_equal(a.source.offset, 21);
  assert_string_equal(f->cap.out[1].topic, "alerts.411024105");
  /* the same row again (a list published again): nothing more */
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 2);
  /* another person's medium row is an alert of its own */
  in = disaster(f, f->ordinary_id, 2000, 22);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 3);
  decode_alert(f, &f->cap.out[2], &a);
  assert_null(a.withdraws);
  assert_int_equal(f->t.counts.alerts, 2);
  assert_int_equal(f->t.counts.merged, 1);
  /* an aborted transaction forgets the merge with the rest: the retry merges again */
  join_idset_rollback(f->ids);
  f->cap.n = 0;
  in = disaster(f, f->monitored_id, 15000, 20);
  assert_int_equal(handle(f, &in), 0);
  in = disaster(f, f->monitored_id, 2000, 21);
  assert_int_equal(handle(f, &in), 0);
  assert_int_equal(f->cap.n, 2);
  decode_alert(f, &f->cap.out[1], &a);
  assert_string_equal(a.alert_id, mid);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_matched_alert, setup, teardown),
      cmocka_unit_test_setup_teardown(test_threshold_depends_on_household, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unmatched, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alerts_topic_per_township, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicate_and_rollback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_send_failure_is_reported, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dead_letters, setup, teardown),
      cmocka_unit_test_setup_teardown(test_first_string, setup, teardown),
      cmocka_unit_test_setup_teardown(test_one_warning_per_person, setup, teardown),
      cmocka_unit_test_setup_teardown(test_less_severe_row_merged, setup, teardown),
      cmocka_unit_test(test_idset_keys),
      cmocka_unit_test(test_rule_household),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
