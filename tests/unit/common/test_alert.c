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
#include "rh_test.h"

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
  rh_test_path(dir, sizeof(dir), "schemas");
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

static unsigned rnd(unsigned *seed) {
  *seed = *seed * 1103515245u + 12345u;
  return *seed >> 8;
}

/* Encode a through an Avro C value (the reference) and directly; the bytes
 * must be the same. Both append to what the buffers hold. */
static void same_bytes(rh_alert_codec_t *codec, const rh_avro_schema_t *schema,
                       const rh_alert_t *a, avro_value_t *v, rh_avro_buf_t *ref,
                       rh_avro_buf_t *direct) {
  char err[512];
  if (rh_alert_to_value(codec, a, v, err, sizeof(err))) fail_msg("%s", err);
  assert_int_equal(rh_avro_encode(schema, v, ref, err, sizeof(err)), RH_AVRO_OK);
  if (rh_alert_encode(codec, a, v, direct, err, sizeof(err))) fail_msg("%s", err);
  assert_int_equal(direct->len, ref->len);
  assert_memory_equal(direct->data, ref->data, ref->len);
}

static const char *const words[] = {
    "张三", "安陵镇", "", "a,b\"c", "尿毒症", "x", "411024100", "𠀀 four-byte", "Ünïcödé",
    /* 300 bytes: a two-byte length, and longer than rh_avro_value's stack copy */
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"};
#define NWORDS (sizeof(words) / sizeof(words[0]))
static const int64_t extremes[] = {0, 1, -1, 63, 64, -64, -65, 8191, 8192, INT32_MAX, INT32_MIN,
                                   INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
#define NEXT (sizeof(extremes) / sizeof(extremes[0]))

/* The join's direct writer gives the very bytes Avro C gives. */
static void test_direct_encoder_matches_avro_c(void **state) {
  (void)state;
  char err[512], dir[4096];
  rh_test_path(dir, sizeof(dir), "schemas");
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(set, dir, err, sizeof(err))) fail_msg("%s", err);
  const rh_avro_schema_t *schema = rh_avro_schemas_get(set, "riskhub.Alert");
  rh_alert_codec_t codec;
  if (rh_alert_codec_init(&codec, schema, err, sizeof(err))) fail_msg("%s", err);
  assert_true(codec.direct);
  avro_value_t v;
  assert_int_equal(rh_avro_schema_value_new(schema, &v, err, sizeof(err)), RH_AVRO_OK);
  rh_avro_buf_t ref = RH_AVRO_BUF_INIT, direct = RH_AVRO_BUF_INIT;
  unsigned seed = 777;
#define RND() rnd(&seed)
#define W() words[RND() % NWORDS]
#define OPT() (RND() % 3 ? W() : NULL)
  /* fact names from a small pool: a name given twice happens */
  static const char *const names[] = {"disease", "hospital", "车牌", "", "grade"};
  for (int i = 0; i < 5000; i++) {
    rh_fact_t facts[8];
    size_t nf = RND() % 4 == 0 ? 0 : RND() % 9;
    for (size_t k = 0; k < nf; k++) {
      facts[k].name = names[RND() % 5];
      facts[k].value = RND() % 6 ? W() : NULL; /* NULL is written as "" */
    }
    rh_alert_t a = {
        .alert_id = W(), .situation = RND() % 2 ? "AT_NEW_RISK" : "UNMATCHED",
        .township_code = OPT(), .village = OPT(), .household_id = OPT(),
        .household_type = OPT(), .monitoring_category = OPT(), .risk_eliminated = RND() % 2,
        .person_id_number = "11010519491231002X", .person_name = OPT(),
        .relation_to_head = OPT(), .risk = W(), .risk_subtype = OPT(), .severity = W(),
        .rule_id = W(), .reason = OPT(), .department = W(), .feed = W(), .period = W(),
        .has_amount = RND() % 2,
        .amount_fen = RND() % 2 ? extremes[RND() % NEXT] : (int64_t)RND() * (int64_t)RND(),
        .has_event_date = RND() % 2,
        .event_date = RND() % 3 ? (int32_t)(RND() % 40000) - 20000
                                : (int32_t)extremes[RND() % 11],
        .facts = facts, .fact_count = nf,
        .source = {W(), RND() % 3 ? (int32_t)(RND() % 64) : (int32_t)extremes[RND() % 11],
                   RND() % 3 ? (int64_t)RND() : extremes[RND() % NEXT], W()},
        .created_at = RND() % 3 ? 1790000000000LL + (int64_t)RND() : extremes[RND() % NEXT]};
    /* every fourth round appends to what the buffers hold */
    if (i % 4) {
      rh_avro_buf_clear(&ref);
      rh_avro_buf_clear(&direct);
    }
    same_bytes(&codec, schema, &a, &v, &ref, &direct);
  }
  /* all optional fields null, no facts; and all set, every extreme at once */
  rh_alert_t sparse = {.alert_id = "a", .situation = "UNMATCHED", .person_id_number = "1",
                       .risk = "OTHER", .severity = "low", .rule_id = "r", .department = "d",
                       .feed = "f", .period = "p", .source = {"t", 0, 0, "b"}};
  rh_avro_buf_clear(&ref);
  rh_avro_buf_clear(&direct);
  same_bytes(&codec, schema, &sparse, &v, &ref, &direct);
  rh_alert_t wide = sparse;
  wide.township_code = wide.village = wide.household_id = wide.household_type =
      wide.monitoring_category = wide.person_name = wide.relation_to_head = wide.risk_subtype =
          wide.reason = "东村";
  wide.risk_eliminated = true;
  wide.has_amount = wide.has_event_date = true;
  for (size_t k = 0; k < NEXT; k++) {
    wide.amount_fen = wide.created_at = wide.source.offset = extremes[k];
    wide.event_date = wide.source.partition = (int32_t)extremes[(k + 3) % 11];
    rh_avro_buf_clear(&ref);
    rh_avro_buf_clear(&direct);
    same_bytes(&codec, schema, &wide, &v, &ref, &direct);
  }
  /* a name given twice is one map entry, where it first appears, with the
   * last value, as in Avro C: checked against bytes made by hand too */
  rh_fact_t dup[3] = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  sparse.facts = dup;
  sparse.fact_count = 3;
  rh_avro_buf_clear(&ref);
  rh_avro_buf_clear(&direct);
  same_bytes(&codec, schema, &sparse, &v, &ref, &direct);
  static const unsigned char map[] = {0x04, 0x02, 'a', 0x02, '3', 0x02, 'b', 0x02, '2', 0x00};
  int found = 0;
  for (size_t k = 0; k + sizeof(map) <= direct.len; k++)
    found |= memcmp(direct.data + k, map, sizeof(map)) == 0;
  assert_true(found);
  /* more facts than the direct writer takes: through Avro C, same bytes */
  rh_fact_t many[RH_ALERT_DIRECT_MAX_FACTS + 6];
  char keys[RH_ALERT_DIRECT_MAX_FACTS + 6][8];
  for (int k = 0; k < RH_ALERT_DIRECT_MAX_FACTS + 6; k++) {
    snprintf(keys[k], sizeof(keys[k]), "k%d", k % (RH_ALERT_DIRECT_MAX_FACTS + 2));
    many[k].name = keys[k];
    many[k].value = words[k % NWORDS];
  }
  for (size_t n = RH_ALERT_DIRECT_MAX_FACTS - 1; n <= RH_ALERT_DIRECT_MAX_FACTS + 6; n++) {
    sparse.facts = many;
    sparse.fact_count = n;
    rh_avro_buf_clear(&ref);
    rh_avro_buf_clear(&direct);
    same_bytes(&codec, schema, &sparse, &v, &ref, &direct);
  }
  /* a required field missing: the value path's error, buf unchanged */
  rh_alert_t base = sparse;
  base.fact_count = 0;
  const char **req[] = {&base.alert_id, &base.situation, &base.person_id_number, &base.risk,
                        &base.severity, &base.rule_id, &base.department, &base.feed,
                        &base.period, &base.source.topic, &base.source.batch_id};
  for (size_t k = 0; k < sizeof(req) / sizeof(req[0]); k++) {
    rh_alert_t keep = base;
    *req[k] = NULL;
    char e1[512], e2[512];
    rh_avro_buf_clear(&direct);
    assert_int_equal(rh_alert_to_value(&codec, &base, &v, e1, sizeof(e1)), -1);
    assert_int_equal(rh_alert_encode(&codec, &base, &v, &direct, e2, sizeof(e2)), -1);
    assert_string_equal(e1, e2);
    assert_int_equal(direct.len, 0);
    base = keep;
  }
#undef RND
#undef W
#undef OPT
  rh_avro_buf_free(&ref);
  rh_avro_buf_free(&direct);
  avro_value_decref(&v);
  rh_alert_codec_free(&codec);
  rh_avro_schemas_destroy(set);
}

/* An Alert layout the direct writer does not know (here: a field more):
 * direct is off and rh_alert_encode gives Avro C's bytes. */
static void test_unknown_layout_goes_through_avro_c(void **state) {
  (void)state;
  char err[512], dir[4096];
  rh_test_path(dir, sizeof(dir), "schemas/Alert.avsc");
  FILE *fp = fopen(dir, "rb");
  assert_non_null(fp);
  static char json[20000];
  size_t n = fread(json, 1, sizeof(json) - 200, fp);
  fclose(fp);
  json[n] = '\0';
  /* created_at becomes the second-last field */
  char *last = strstr(json, "When the join service created the alert, UTC milliseconds.\"}");
  assert_non_null(last);
  last = strchr(last, '}') + 1;
  const char *more = ", {\"name\": \"extra\", \"type\": \"int\", \"default\": 0}\n  ]\n}\n";
  strcpy(last, more);
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  const rh_avro_schema_t *schema = NULL;
  if (rh_avro_schemas_add_json(set, json, strlen(json), "Alert+extra", 1, &schema, err,
                               sizeof(err)))
    fail_msg("%s", err);
  rh_alert_codec_t codec;
  if (rh_alert_codec_init(&codec, schema, err, sizeof(err))) fail_msg("%s", err);
  assert_false(codec.direct);
  avro_value_t v;
  assert_int_equal(rh_avro_schema_value_new(schema, &v, err, sizeof(err)), RH_AVRO_OK);
  rh_alert_t a = {.alert_id = "a", .situation = "UNMATCHED", .person_id_number = "1",
                  .risk = "OTHER", .severity = "low", .rule_id = "r", .department = "d",
                  .feed = "f", .period = "p", .source = {"t", 0, 0, "b"}};
  rh_avro_buf_t ref = RH_AVRO_BUF_INIT, direct = RH_AVRO_BUF_INIT;
  same_bytes(&codec, schema, &a, &v, &ref, &direct);
  rh_avro_buf_free(&ref);
  rh_avro_buf_free(&direct);
  avro_value_decref(&v);
  rh_alert_codec_free(&codec);
  rh_avro_schemas_destroy(set);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip),
                                     cmocka_unit_test(test_direct_encoder_matches_avro_c),
                                     cmocka_unit_test(test_unknown_layout_goes_through_avro_c)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
