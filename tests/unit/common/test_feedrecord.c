/* FeedRecord struct <-> Avro value <-> single-object bytes, with the project's
 * own schemas/ (current version as reader and writer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_feedrecord.h"
#include "rh_test.h"

static void schemas_dir(char *buf, size_t n) {
  rh_test_path(buf, n, "schemas");
}

static void test_roundtrip_full_and_sparse(void **state) {
  (void)state;
  char err[512], dir[4096];
  schemas_dir(dir, sizeof(dir));
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(set, dir, err, sizeof(err))) fail_msg("%s", err);
  const rh_avro_schema_t *fr = rh_avro_schemas_get(set, "riskhub.FeedRecord");
  assert_non_null(fr);
  rh_feedrecord_codec_t codec;
  if (rh_feedrecord_codec_init(&codec, fr, err, sizeof(err))) fail_msg("%s", err);
  avro_value_t v, back;
  assert_int_equal(rh_avro_schema_value_new(fr, &v, err, sizeof(err)), RH_AVRO_OK);
  assert_int_equal(rh_avro_schema_value_new(fr, &back, err, sizeof(err)), RH_AVRO_OK);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  rh_avro_buf_t buf;
  rh_avro_buf_init(&buf);

  rh_fact_t facts[2] = {{"disease", "尿毒症"}, {"hospital", "县人民医院"}};
  rh_feedrecord_t full = {
      .id_number = "11010519491231002X", .name = "张三", .department = "health",
      .feed = "major-disease", .kind = "SIGNAL", .period = "2026-10", .batch_id = "ab12",
      .row_number = 7, .township_code = "411024100", .village = "东村",
      .has_event_date = true, .event_date = 20700, .has_amount = true,
      .amount_fen = -123456789012LL, .risk = "ILLNESS", .risk_subtype = NULL,
      .facts = facts, .fact_count = 2, .produced_at = 1790000000000LL};
  rh_feedrecord_t sparse = {.id_number = "11010519491231002X", .department = "tax",
                            .feed = "vehicles", .kind = "CHECK", .period = "2026-10",
                            .batch_id = "cd34", .row_number = 2, .produced_at = 1};
  const rh_feedrecord_t *cases[2] = {&full, &sparse};
  for (int k = 0; k < 2; k++) {
    const rh_feedrecord_t *in = cases[k];
    rh_avro_buf_clear(&buf);
    if (rh_feedrecord_to_value(&codec, in, &v, err, sizeof(err))) fail_msg("%s", err);
    assert_int_equal(rh_avro_encode(fr, &v, &buf, err, sizeof(err)), RH_AVRO_OK);
    assert_int_equal(buf.data[0], 0xC3);
    assert_int_equal(buf.data[1], 0x01);
    if (rh_avro_decode(dec, buf.data, buf.len, fr, &back, NULL, err, sizeof(err)))
      fail_msg("%s", err);
    rh_feedrecord_t out;
    if (rh_feedrecord_from_value(&codec, &back, &out, err, sizeof(err))) fail_msg("%s", err);
    assert_string_equal(out.id_number, in->id_number);
    if (in->name) assert_string_equal(out.name, in->name); else assert_null(out.name);
    assert_string_equal(out.department, in->department);
    assert_string_equal(out.feed, in->feed);
    assert_string_equal(out.kind, in->kind);
    assert_string_equal(out.period, in->period);
    assert_string_equal(out.batch_id, in->batch_id);
    assert_int_equal(out.row_number, in->row_number);
    if (in->township_code) assert_string_equal(out.township_code, in->township_code);
    else assert_null(out.township_code);
    if (in->village) assert_string_equal(out.village, in->village); else assert_null(out.village);
    assert_int_equal(out.has_event_date, in->has_event_date);
    assert_int_equal(out.event_date, in->event_date);
    assert_int_equal(out.has_amount, in->has_amount);
    assert_int_equal(out.amount_fen, in->amount_fen);
    if (in->risk) assert_string_equal(out.risk, in->risk); else assert_null(out.risk);
    assert_null(out.risk_subtype);
    assert_int_equal(out.fact_count, in->fact_count);
    for (size_t i = 0; i < in->fact_count; i++) {
      assert_string_equal(out.facts[i].name, in->facts[i].name);
      assert_string_equal(out.facts[i].value, in->facts[i].value);
    }
    assert_int_equal(out.produced_at, in->produced_at);
  }
  /* a required field left NULL is an error naming it, not a crash */
  rh_feedrecord_t broken = sparse;
  broken.period = NULL;
  assert_int_equal(rh_feedrecord_to_value(&codec, &broken, &v, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "FeedRecord.period"));

  rh_avro_buf_free(&buf);
  rh_avro_decoder_destroy(dec);
  avro_value_decref(&v);
  avro_value_decref(&back);
  rh_feedrecord_codec_free(&codec);
  rh_avro_schemas_destroy(set);
}

static unsigned rnd(unsigned *seed) {
  *seed = *seed * 1103515245u + 12345u;
  return *seed >> 8;
}

/* The producer's direct writer gives the very bytes Avro C gives. */
static void test_direct_encoder_matches_avro_c(void **state) {
  (void)state;
  char err[512], dir[4096];
  schemas_dir(dir, sizeof(dir));
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(set, dir, err, sizeof(err))) fail_msg("%s", err);
  const rh_avro_schema_t *fr = rh_avro_schemas_get(set, "riskhub.FeedRecord");
  rh_feedrecord_codec_t codec;
  if (rh_feedrecord_codec_init(&codec, fr, err, sizeof(err))) fail_msg("%s", err);
  assert_true(codec.direct);
  avro_value_t v;
  assert_int_equal(rh_avro_schema_value_new(fr, &v, err, sizeof(err)), RH_AVRO_OK);
  rh_avro_buf_t a, b;
  rh_avro_buf_init(&a);
  rh_avro_buf_init(&b);
  unsigned seed = 12345;
#define RND() rnd(&seed)
  static const char *words[] = {"张三", "安陵镇", "", "a,b\"c", "尿毒症", "x", "411024100"};
  for (int i = 0; i < 3000; i++) {
    rh_fact_t facts[3] = {{"disease", words[RND() % 7]}, {"hospital", words[RND() % 7]},
                          {"note", words[RND() % 7]}};
    rh_feedrecord_t r = {
        .id_number = "11010519491231002X", .name = RND() % 3 ? words[RND() % 7] : NULL,
        .department = "health", .feed = "major-disease", .kind = "SIGNAL", .period = "2026-10",
        .batch_id = "b", .row_number = (int64_t)RND() * (RND() % 2 ? 1 : -1),
        .township_code = RND() % 2 ? "411024100" : NULL, .village = RND() % 2 ? words[RND() % 7] : NULL,
        .has_event_date = RND() % 2, .event_date = (int32_t)(RND() % 40000) - 20000,
        .has_amount = RND() % 2, .amount_fen = (int64_t)RND() * (int64_t)RND() * (RND() % 2 ? 1 : -1),
        .risk = RND() % 2 ? "ILLNESS" : NULL, .risk_subtype = RND() % 4 ? NULL : "FLOOD",
        .facts = facts, .fact_count = RND() % 4, .produced_at = 1790000000000LL + i};
    rh_avro_buf_clear(&a);
    rh_avro_buf_clear(&b);
    if (rh_feedrecord_to_value(&codec, &r, &v, err, sizeof(err))) fail_msg("%s", err);
    assert_int_equal(rh_avro_encode(fr, &v, &a, err, sizeof(err)), RH_AVRO_OK);
    if (rh_feedrecord_encode(&codec, &r, &v, &b, err, sizeof(err))) fail_msg("%s", err);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
  }
  /* extremes of the varint */
  rh_feedrecord_t r = {.id_number = "1", .department = "d", .feed = "f", .kind = "k",
                       .period = "p", .batch_id = "b", .row_number = INT64_MIN,
                       .has_amount = true, .amount_fen = INT64_MAX, .produced_at = -1};
  rh_avro_buf_clear(&a);
  rh_avro_buf_clear(&b);
  assert_int_equal(rh_feedrecord_to_value(&codec, &r, &v, err, sizeof(err)), 0);
  assert_int_equal(rh_avro_encode(fr, &v, &a, err, sizeof(err)), RH_AVRO_OK);
  assert_int_equal(rh_feedrecord_encode(&codec, &r, &v, &b, err, sizeof(err)), 0);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.data, b.data, a.len);
  /* a required field missing is an error, as in the value path */
  r.period = NULL;
  assert_int_equal(rh_feedrecord_encode(&codec, &r, &v, &b, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "FeedRecord.period"));
#undef RND
  rh_avro_buf_free(&a);
  rh_avro_buf_free(&b);
  avro_value_decref(&v);
  rh_feedrecord_codec_free(&codec);
  rh_avro_schemas_destroy(set);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip_full_and_sparse),
                                     cmocka_unit_test(test_direct_encoder_matches_avro_c)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
