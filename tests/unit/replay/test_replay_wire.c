/* replay_wire: the batch id read from a FeedRecord's bytes, and the
 * "same but created_at" comparison of a replayed and a published Alert. */
#include "test_replay_fixture.h"

#include "replay_wire.h"

static void test_feed_batch_id(void **state) {
  (void)state;
  rh_avro_schemas_t *s = fx_schemas();
  const rh_avro_schema_t *fr = rh_avro_schemas_get(s, "riskhub.FeedRecord");
  char id[RH_ID_BUFSZ];
  fx_msg_t x;
  size_t n = 0;
  fx_id("41102419800101001", id);
  fx_record(s, &x, "health", "major-disease", "SIGNAL", FX_BATCH_A, id, -1, 0, 7);
  const char *b = replay_wire_feed_batch_id(x.value, x.len, fr->fingerprint, &n);
  assert_non_null(b);
  assert_int_equal(n, 64);
  assert_memory_equal(b, FX_BATCH_A, 64);
  int64_t row = 0;
  assert_int_equal(replay_wire_feed_row(x.value, x.len, b, n, &row), 0);
  assert_int_equal(row, 7 + 2); /* fx_record: row_number = offset + 2 */
  assert_int_equal(replay_wire_feed_row(x.value, (size_t)(b - (const char *)x.value) + n, b, n,
                                        &row), -1); /* the bytes end at the batch id */
  /* another writer's fingerprint: not read (decode instead) */
  assert_null(replay_wire_feed_batch_id(x.value, x.len, fr->fingerprint ^ 1, &n));
  /* every truncation: never a read past the end (ASan), and no batch id
   * unless the bytes reach past it */
  for (size_t len = 0; len < x.len; len++) {
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, x.value, len);
    const char *t = replay_wire_feed_batch_id(copy, len, fr->fingerprint, &n);
    if (t) assert_true((size_t)(t - (const char *)copy) + n <= len);
    free(copy);
  }
  /* not single-object encoded */
  assert_null(replay_wire_feed_batch_id("hello world", 11, fr->fingerprint, &n));
  assert_null(replay_wire_feed_batch_id(NULL, 0, fr->fingerprint, &n));
  rh_avro_schemas_destroy(s);
}

static void test_is_one_long(void **state) {
  (void)state;
  const unsigned char a[] = {0x00};
  const unsigned char b[] = {0x96, 0x01};
  const unsigned char c[] = {0x96, 0x01, 0x02};        /* two longs */
  const unsigned char d[] = {0x96};                    /* unfinished */
  const unsigned char e[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  assert_true(replay_wire_is_one_long(a, 0, 1));
  assert_true(replay_wire_is_one_long(b, 0, 2));
  assert_false(replay_wire_is_one_long(c, 0, 3));
  assert_true(replay_wire_is_one_long(c, 2, 3));
  assert_false(replay_wire_is_one_long(d, 0, 1));
  assert_false(replay_wire_is_one_long(e, 0, 11)); /* longer than 10 bytes */
  assert_true(replay_wire_is_one_long(e, 1, 11));
  assert_false(replay_wire_is_one_long(a, 1, 1)); /* empty */
}

/* An Alert made by the join's code with created_at 0, as the replay makes it. */
static void make_alert(const rh_avro_schemas_t *s, int64_t created_at, const char *severity,
                       fx_msg_t *x) {
  const rh_avro_schema_t *al = rh_avro_schemas_get(s, "riskhub.Alert");
  rh_alert_codec_t c;
  avro_value_t v;
  char err[512], id[RH_ID_BUFSZ];
  fx_id("41102419800101001", id);
  static const rh_fact_t facts[] = {{"disease", "d1"}, {"hospital", "h1"}};
  rh_alert_t a = {.alert_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                  .situation = "AT_NEW_RISK", .township_code = "411024100", .village = "王庄村",
                  .household_id = "411024100-001-0001", .household_type = "monitored",
                  .monitoring_category = "marginal", .person_id_number = id,
                  .person_name = "测试甲", .relation_to_head = "head", .risk = "ILLNESS",
                  .severity = severity, .rule_id = "r1", .reason = "why",
                  .department = "health", .feed = "major-disease", .period = FX_PERIOD,
                  .has_amount = true, .amount_fen = 123, .facts = facts, .fact_count = 2,
                  .source = {"feed.health.major-disease", 1, 17, FX_BATCH_A},
                  .created_at = created_at};
  assert_int_equal(rh_alert_codec_init(&c, al, err, sizeof err), 0);
  assert_int_equal(rh_avro_schema_value_new(al, &v, NULL, 0), RH_AVRO_OK);
  if (rh_alert_to_value(&c, &a, &v, err, sizeof err)) fail_msg("%s", err);
  fx_encode(s, "riskhub.Alert", &v, x, "alerts.411024100", 0, 0, created_at, NULL);
  avro_value_decref(&v);
  rh_alert_codec_free(&c);
}

static void test_same_but_created_at(void **state) {
  (void)state;
  rh_avro_schemas_t *s = fx_schemas();
  fx_msg_t exp, pub, other, zero;
  make_alert(s, 0, "medium", &exp);
  make_alert(s, 1795944378013, "medium", &pub);
  make_alert(s, 1795944378013, "high", &other);
  make_alert(s, 0, "medium", &zero);
  assert_int_equal(exp.value[exp.len - 1], 0x00);
  assert_true(replay_wire_same_but_created_at(exp.value, exp.len, pub.value, pub.len));
  assert_true(replay_wire_same_but_created_at(exp.value, exp.len, zero.value, zero.len));
  assert_false(replay_wire_same_but_created_at(exp.value, exp.len, other.value, other.len));
  /* a byte changed anywhere before created_at */
  for (size_t i = 0; i + 1 < exp.len; i++) {
    unsigned char save = pub.value[i];
    pub.value[i] ^= 0x01;
    assert_false(replay_wire_same_but_created_at(exp.value, exp.len, pub.value, pub.len));
    pub.value[i] = save;
  }
  /* one more long after created_at, or one byte less */
  pub.value[pub.len] = 0x02;
  assert_false(replay_wire_same_but_created_at(exp.value, exp.len, pub.value, pub.len + 1));
  assert_false(replay_wire_same_but_created_at(exp.value, exp.len, pub.value, exp.len - 1));
  /* the expected one must end in created_at 0 */
  assert_false(replay_wire_same_but_created_at(pub.value, pub.len, pub.value, pub.len));
  rh_avro_schemas_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_feed_batch_id),
      cmocka_unit_test(test_is_one_long),
      cmocka_unit_test(test_same_but_created_at),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
