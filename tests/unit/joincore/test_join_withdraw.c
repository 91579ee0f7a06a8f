/* join_withdraw: the diff of a superseded and a corrected signal list (no
 * Kafka, no PostgreSQL): the shipped config and schemas, a registry built by
 * hand, outputs captured by a fake sink. The expected ids are computed here
 * from the documented formulas (rh_alert_id; SHA-256 over "riskhub-withdraw-v1",
 * the withdrawn id and the batch id), not by join_withdraw_id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "join_idset.h"
#include "join_transform.h"
#include "join_withdraw.h"
#include "rh_alert.h"
#include "rh_hash.h"
#include "rh_idnum.h"
#include "rh_test.h"

typedef struct {
  char topic[128], key[64];
  unsigned char value[4096];
  size_t value_len;
} out_t;

typedef struct {
  out_t out[8];
  int n;
} capture_t;

static int cap_send(void *arg, const char *topic, const void *key, size_t key_len,
                    const void *value, size_t value_len, rd_kafka_headers_t *h, char *errstr,
                    size_t errstr_size) {
  (void)errstr, (void)errstr_size;
  capture_t *c = arg;
  if (h) rd_kafka_headers_destroy(h);
  assert_true(c->n < 8 && value_len <= sizeof c->out[0].value);
  out_t *o = &c->out[c->n++];
  snprintf(o->topic, sizeof o->topic, "%s", topic);
  snprintf(o->key, sizeof o->key, "%.*s", (int)key_len, (const char *)key);
  memcpy(o->value, value, value_len);
  o->value_len = value_len;
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
  rh_alert_codec_t alc;
  avro_value_t alv;
  rh_avro_decoder_t *dec;
  const rh_config_feed_t *feed;
  char ordinary_id[19], monitored_id[19], outsider_id[19];
} fx_t;

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
  const rh_avro_schema_t *al = rh_avro_schemas_get(f->schemas, "riskhub.Alert");
  if (rh_alert_codec_init(&f->alc, al, err, sizeof err) ||
      rh_avro_schema_value_new(al, &f->alv, err, sizeof err))
    fail_msg("%s", err);
  f->dec = rh_avro_decoder_new(f->schemas);
  f->feed = rh_config_feed_find(f->cfg, "medical-insurance", "high-self-pay");
  assert_non_null(f->feed);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  join_transform_free(&f->t);
  join_idset_destroy(f->ids);
  rh_regmap_destroy(f->map);
  rh_alert_codec_free(&f->alc);
  avro_value_decref(&f->alv);
  rh_avro_decoder_destroy(f->dec);
  rh_avro_schemas_destroy(f->schemas);
  rh_config_destroy(f->cfg);
  free(f);
  return 0;
}

static rh_feedrecord_t rec(const char *id, int64_t amount_yuan, const char *batch) {
  static const rh_fact_t facts[] = {{"disease", "test disease"}};
  return (rh_feedrecord_t){.id_number = id, .name = "测试", .department = "medical-insurance",
                           .feed = "high-self-pay", .kind = "SIGNAL", .period = "2026-10",
                           .batch_id = batch, .row_number = 2, .has_amount = true,
                           .amount_fen = amount_yuan * 100, .risk = "ILLNESS", .facts = facts,
                           .fact_count = 1, .produced_at = 1};
}

static const rh_lineage_t WHERE = {"feed.medical-insurance.manifests", 0, 7, "b1"};

/* new, then old records through one diff of batch "b1"; the number sent */
static int run(fx_t *f, const rh_feedrecord_t *nw, size_t nn, const rh_feedrecord_t *old,
               size_t no) {
  char err[512];
  join_withdraw_diff_t *d = join_withdraw_diff_new(f->feed, "b1", &WHERE);
  assert_non_null(d);
  for (size_t i = 0; i < nn; i++) assert_int_equal(join_withdraw_diff_new_record(d, &f->t, &nw[i]), 0);
  int before = f->cap.n;
  for (size_t i = 0; i < no; i++)
    if (join_withdraw_diff_old_record(d, &f->t, &old[i], &f->sink, 1700000000000, err, sizeof err))
      fail_msg("%s", err);
  join_withdraw_diff_destroy(d);
  return f->cap.n - before;
}

static void want_withdrawal(fx_t *f, const out_t *o, const char *person, const char *rule,
                            const char *topic, const char *key) {
  char err[512], withdrawn[RH_SHA256_HEXSZ], wid[RH_SHA256_HEXSZ];
  rh_alert_id(person, "medical-insurance", "high-self-pay", "2026-10", rule, withdrawn);
  const char *parts[3] = {"riskhub-withdraw-v1", withdrawn, "b1"};
  rh_sha256_parts(parts, 3, wid);
  assert_string_equal(o->topic, topic);
  assert_string_equal(o->key, key);
  const rh_avro_schema_t *al = rh_avro_schemas_get(f->schemas, "riskhub.Alert");
  rh_alert_t a;
  assert_int_equal(rh_avro_decode(f->dec, o->value, o->value_len, al, &f->alv, NULL, err, sizeof err),
                   RH_AVRO_OK);
  assert_int_equal(rh_alert_from_value(&f->alc, &f->alv, &a, err, sizeof err), 0);
  assert_string_equal(a.situation, "WITHDRAWN");
  assert_non_null(a.withdraws);
  assert_string_equal(a.withdraws, withdrawn);
  assert_string_equal(a.alert_id, wid);
  assert_string_equal(a.rule_id, rule);
  assert_string_equal(a.period, "2026-10");
  assert_string_equal(a.source.batch_id, "b1");
  assert_string_equal(a.source.topic, "feed.medical-insurance.manifests");
  assert_int_equal(a.source.offset, 7);
}

/* A person the corrected list drops: withdrawn, once (named twice in the old
 * list); those it keeps: nothing. */
static void test_dropped_person_withdrawn(void **state) {
  fx_t *f = *state;
  rh_feedrecord_t nw[] = {rec(f->ordinary_id, 12000, "b1"), rec(f->outsider_id, 1, "b1")};
  rh_feedrecord_t old[] = {rec(f->ordinary_id, 12000, "b0"), rec(f->monitored_id, 7000, "b0"),
                           rec(f->outsider_id, 1, "b0"), rec(f->monitored_id, 7000, "b0")};
  assert_int_equal(run(f, nw, 2, old, 4), 1);
  want_withdrawal(f, &f->cap.out[0], f->monitored_id, "illness-high-self-pay-monitored",
                  "alerts.411024105", "411024105-002-0003");
  assert_int_equal(f->t.counts.withdrawn, 1);
}

/* A corrected amount below the threshold: the old rule's alert is withdrawn. */
static void test_rule_no_longer_selected(void **state) {
  fx_t *f = *state;
  rh_feedrecord_t nw[] = {rec(f->ordinary_id, 5000, "b1")};
  rh_feedrecord_t old[] = {rec(f->ordinary_id, 12000, "b0")};
  assert_int_equal(run(f, nw, 1, old, 1), 1);
  want_withdrawal(f, &f->cap.out[0], f->ordinary_id, "illness-high-self-pay-ordinary",
                  "alerts.411024100", "411024100-001-0001");
}

/* An unmatched person dropped: withdrawn on alerts.unmatched, keyed by ID number. */
static void test_unmatched_withdrawn(void **state) {
  fx_t *f = *state;
  rh_feedrecord_t nw[] = {rec(f->ordinary_id, 12000, "b1")};
  rh_feedrecord_t old[] = {rec(f->outsider_id, 1, "b0")};
  assert_int_equal(run(f, nw, 1, old, 1), 1);
  want_withdrawal(f, &f->cap.out[0], f->outsider_id, "unmatched", "alerts.unmatched",
                  f->outsider_id);
}

/* The same correction again (a restart, another instance): its ids are
 * published, nothing is sent twice. */
static void test_again_adds_nothing(void **state) {
  fx_t *f = *state;
  rh_feedrecord_t nw[] = {rec(f->ordinary_id, 12000, "b1")};
  rh_feedrecord_t old[] = {rec(f->monitored_id, 7000, "b0")};
  assert_int_equal(run(f, nw, 1, old, 1), 1);
  join_idset_commit(f->ids);
  assert_int_equal(run(f, nw, 1, old, 1), 0);
  assert_int_equal(f->t.counts.duplicates, 1);
  /* an identical list: nothing to withdraw */
  assert_int_equal(run(f, old, 1, old, 1), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_dropped_person_withdrawn, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rule_no_longer_selected, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unmatched_withdrawn, setup, teardown),
      cmocka_unit_test_setup_teardown(test_again_adds_nothing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
