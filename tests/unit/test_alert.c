/* Alert struct <-> Avro value <-> single-object bytes, with schemas/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_alert.h"
#include "rh_avro_codec.h"

#define SAME_STR(a, b) ((a) == NULL ? (b) == NULL : ((b) != NULL && strcmp((a), (b)) == 0))

static void check_same(const rh_alert_t *x, const rh_alert_t *y) {
  assert_true(SAME_STR(x->alert_id, y->alert_id));
  assert_true(SAME_STR(x->situation, y->situation));
  assert_true(SAME_STR(x->township_code, y->township_code));
  assert_true(SAME_STR(x->village, y->village));
  assert_true(SAME_STR(x->household_id, y->household_id));
  assert_true(SAME_STR(x->household_type, y->household_type));
  assert_true(SAME_STR(x->monitoring_category, y->monitoring_category));
  assert_int_equal(x->risk_eliminated, y->risk_eliminated);
  assert_true(SAME_STR(x->person_id_number, y->person_id_number));
  assert_true(SAME_STR(x->person_name, y->person_name));
  assert_true(SAME_STR(x->relation_to_head, y->relation_to_head));
  assert_true(SAME_STR(x->risk, y->risk));
  assert_true(SAME_STR(x->risk_subtype, y->risk_subtype));
  assert_true(SAME_STR(x->severity, y->severity));
  assert_true(SAME_STR(x->rule_id, y->rule_id));
  assert_true(SAME_STR(x->reason, y->reason));
  assert_true(SAME_STR(x->department, y->department));
  assert_true(SAME_STR(x->feed, y->feed));
  assert_true(SAME_STR(x->period, y->period));
  assert_int_equal(x->has_amount, y->has_amount);
  assert_int_equal(x->amount_fen, y->amount_fen);
  assert_int_equal(x->has_event_date, y->has_event_date);
  assert_int_equal(x->event_date, y->event_date);
  assert_int_equal(x->fact_count, y->fact_count);
  for (size_t i = 0; i < x->fact_count; i++) {
    assert_string_equal(x->facts[i].name, y->facts[i].name);
    assert_string_equal(x->facts[i].value, y->facts[i].value);
  }
  assert_string_equal(x->source.topic, y->source.topic);
  assert_int_equal(x->source.partition, y->source.partition);
  assert_int_equal(x->source.offset, y->source.offset);
  assert_string_equal(x->source.batch_id, y->source.batch_id);
  assert_int_equal(x->created_at, y->created_at);
}

static void test_roundtrip(void **state) {
  (void)state;
  char err[512], dir[4096];
  const char *src = getenv("RH_SOURCE_DIR");
  snprintf(dir, sizeof(dir), "%s/schemas", src ? src : RH_SOURCE_DIR);
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(set, dir, err, sizeof(err))) fail_msg("%s", err);
  const rh_avro_schema_t *schema = rh_avro_schemas_get(set, "riskhub.Alert");
  rh_alert_codec_t codec;
  if (rh_alert_codec_init(&codec, schema, err, sizeof(err))) fail_msg("%s", err);
  avro_value_t v, back;
  assert_int_equal(rh_avro_schema_value_new(schema, &v, err, sizeof(err)), RH_AVRO_OK);
  assert_int_equal(rh_avro_schema_value_new(schema, &back, err, sizeof(err)), RH_AVRO_OK);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;

  rh_fact_t facts[2] = {{"disease", "尿毒症"}, {"hospital", "县人民医院"}};
  rh_alert_t full = {
      .alert_id = "a1", .situation = "AT_NEW_RISK", .township_code = "411024100",
      .village = "东村", .household_id = "411024100-001-0001", .household_type = "monitored",
      .monitoring_category = "marginal", .risk_eliminated = true,
      .person_id_number = "11010519491231002X", .person_name = "张三", .relation_to_head = "head",
      .risk = "ILLNESS", .risk_subtype = NULL, .severity = "high",
      .rule_id = "illness-high-self-pay-monitored", .reason = "自付 12,000 元",
      .department = "medical-insurance", .feed = "high-self-pay", .period = "2026-10",
      .has_amount = true, .amount_fen = 1200000, .has_event_date = true, .event_date = 20731,
      .facts = facts, .fact_count = 2,
      .source = {"feed.medical-insurance.high-self-pay", 2, 123456789, "bid"},
      .created_at = 1790000000000LL};
  rh_alert_t unmatched = {
      .alert_id = "a2", .situation = "UNMATCHED", .person_id_number = "11010519491231002X",
      .risk = "DISASTER", .risk_subtype = "FLOOD", .severity = "medium", .rule_id = "disaster",
      .reason = "not in the household registry", .department = "emergency",
      .feed = "disaster-affected", .period = "2026-10",
      .source = {"feed.emergency.disaster-affected", 0, 0, "b2"}, .created_at = 1};
  const rh_alert_t *cases[2] = {&full, &unmatched};
  for (int k = 0; k < 2; k++) {
    rh_alert_t out;
    rh_avro_buf_clear(&buf);
    if (rh_alert_to_value(&codec, cases[k], &v, err, sizeof(err))) fail_msg("%s", err);
    assert_int_equal(rh_avro_encode(schema, &v, &buf, err, sizeof(err)), RH_AVRO_OK);
    if (rh_avro_decode(dec, buf.data, buf.len, schema, &back, NULL, err, sizeof(err)))
      fail_msg("%s", err);
    if (rh_alert_from_value(&codec, &back, &out, err, sizeof(err))) fail_msg("%s", err);
    check_same(cases[k], &out);
  }
  rh_alert_t broken = unmatched;
  broken.rule_id = NULL;
  assert_int_equal(rh_alert_to_value(&codec, &broken, &v, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "Alert.rule_id"));
  broken = unmatched;
  broken.source.topic = NULL;
  assert_int_equal(rh_alert_to_value(&codec, &broken, &v, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "Alert.source"));

  rh_avro_buf_free(&buf);
  rh_avro_decoder_destroy(dec);
  avro_value_decref(&v);
  avro_value_decref(&back);
  rh_alert_codec_free(&codec);
  rh_avro_schemas_destroy(set);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
