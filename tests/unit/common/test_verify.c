/* rh_verify and rh_verification: the steps a township may report of a
 * warning, which may follow which, and the Verification record's round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_test.h"
#include "rh_verification.h"
#include "rh_verify.h"

static void test_outcome_parse(void **state) {
  (void)state;
  assert_int_equal(rh_verify_outcome_parse("INCLUDED"), RH_VERIFY_INCLUDED);
  assert_int_equal(rh_verify_outcome_parse(" included\t"), RH_VERIFY_INCLUDED);
  assert_int_equal(rh_verify_outcome_parse("纳入监测"), RH_VERIFY_INCLUDED);
  assert_int_equal(rh_verify_outcome_parse("不纳入"), RH_VERIFY_NOT_INCLUDED);
  assert_int_equal(rh_verify_outcome_parse("无法联系"), RH_VERIFY_UNREACHABLE);
  assert_int_equal(rh_verify_outcome_parse("Already_Monitored"), RH_VERIFY_ALREADY_MONITORED);
  assert_int_equal(rh_verify_outcome_parse("核实中"), RH_VERIFY_VERIFYING);
  /* the web page's proposal to include the household */
  assert_int_equal(rh_verify_outcome_parse("拟纳入监测"), RH_VERIFY_PROPOSED);
  assert_int_equal(rh_verify_outcome_parse("proposed"), RH_VERIFY_PROPOSED);
  assert_string_equal(rh_verify_state_after(RH_VERIFY_PROPOSED), "PROPOSED");
  assert_int_equal(rh_verify_outcome_parse("INCLUDE"), -1);
  assert_int_equal(rh_verify_outcome_parse(""), -1);
  assert_int_equal(rh_verify_outcome_parse(NULL), -1);
  assert_int_equal(rh_verify_outcome_parse("DISMISSED"), -1); /* a state, not an outcome */
  assert_string_equal(rh_verify_state_after(RH_VERIFY_NOT_INCLUDED), "DISMISSED");
  assert_string_equal(rh_verify_outcome_code(RH_VERIFY_UNREACHABLE), "UNREACHABLE");
}

static void test_what_may_follow(void **state) {
  (void)state;
  static const char *const open[] = {"PUSHED", "RECEIVED", "VERIFYING", "UNREACHABLE"};
  static const char *const closed[] = {"INCLUDED", "DISMISSED", "ALREADY_MONITORED",
                                       "ASSISTING", "RISK_ELIMINATED"};
  for (size_t i = 0; i < 4; i++) {
    assert_true(rh_verify_state_open(open[i]));
    for (int o = 0; o < RH_VERIFY_OUTCOME_COUNT; o++) {
      bool again = strcmp(open[i], "VERIFYING") == 0 && o == RH_VERIFY_VERIFYING;
      if (again)
        assert_non_null(rh_verify_refusal(open[i], (rh_verify_outcome_t)o));
      else
        assert_null(rh_verify_refusal(open[i], (rh_verify_outcome_t)o));
    }
  }
  for (size_t i = 0; i < 5; i++) {
    assert_false(rh_verify_state_open(closed[i]));
    for (int o = 0; o < RH_VERIFY_OUTCOME_COUNT; o++)
      assert_non_null(rh_verify_refusal(closed[i], (rh_verify_outcome_t)o));
  }
  /* proposed on the web page: the decision only */
  assert_null(rh_verify_refusal("PROPOSED", RH_VERIFY_INCLUDED));
  assert_null(rh_verify_refusal("PROPOSED", RH_VERIFY_NOT_INCLUDED));
  assert_non_null(rh_verify_refusal("PROPOSED", RH_VERIFY_UNREACHABLE));
  assert_non_null(rh_verify_refusal("PROPOSED", RH_VERIFY_PROPOSED));
  assert_non_null(rh_verify_refusal("PROPOSED", RH_VERIFY_ALREADY_MONITORED));
  assert_false(rh_verify_state_open("PROPOSED"));
  /* withdrawn (a corrected list, or merged): said so, not "has its outcome" */
  for (int o = 0; o < RH_VERIFY_OUTCOME_COUNT; o++)
    assert_non_null(strstr(rh_verify_refusal("WITHDRAWN", (rh_verify_outcome_t)o), "withdrawn"));
  assert_false(rh_verify_state_open("WITHDRAWN"));
  /* no warning at all */
  assert_non_null(rh_verify_refusal(NULL, RH_VERIFY_INCLUDED));
  /* UNREACHABLE twice: two visits, nobody home; both are kept */
  assert_null(rh_verify_refusal("UNREACHABLE", RH_VERIFY_UNREACHABLE));
}

static void test_reasons_and_ids(void **state) {
  (void)state;
  rh_config_reason_t reasons[2] = {{"income_high", "收入高"}, {"other", "其他"}};
  rh_config_t cfg = {.reasons = reasons, .reason_count = 2};
  assert_ptr_equal(rh_verify_reason_find(&cfg, "income_high"), &reasons[0]);
  assert_ptr_equal(rh_verify_reason_find(&cfg, " 其他 "), &reasons[1]);
  assert_null(rh_verify_reason_find(&cfg, "INCOME_HIGH")); /* codes are exact */
  assert_null(rh_verify_reason_find(&cfg, ""));
  char a[RH_SHA256_HEXSZ], b[RH_SHA256_HEXSZ], c[RH_SHA256_HEXSZ];
  rh_verify_id("ab12", RH_VERIFY_INCLUDED, NULL, "2026-11-05", "王", a);
  rh_verify_id("ab12", RH_VERIFY_INCLUDED, "", "2026-11-05", "王", b);
  rh_verify_id("ab12", RH_VERIFY_INCLUDED, NULL, "2026-11-06", "王", c);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  assert_int_equal(strlen(a), 64);
}

static void test_record_roundtrip(void **state) {
  (void)state;
  char err[512], dir[4096];
  rh_test_path(dir, sizeof dir, "schemas");
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(set, dir, err, sizeof err)) fail_msg("%s", err);
  rh_verification_codec_t c;
  if (rh_verification_codec_init(&c, set, err, sizeof err)) fail_msg("%s", err);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  rh_avro_buf_t buf;
  rh_avro_buf_init(&buf);
  rh_verification_t in = {.verification_id = "f00d", .alert_id = "a1", .township_code = "411024100",
                          .household_id = "411024100-001-0001", .outcome = "NOT_INCLUDED",
                          .reason = "other", .note = "收入已恢复", .has_visited_on = true,
                          .visited_on = 20400, .recorded_by = "张三", .recorded_at = 123456789,
                          .source = "x.csv:3"};
  assert_int_equal(rh_verification_encode(&c, &in, &buf, err, sizeof err), 0);
  rh_verification_t out;
  if (rh_verification_decode(&c, dec, buf.data, buf.len, &out, err, sizeof err))
    fail_msg("%s", err);
  assert_string_equal(out.alert_id, "a1");
  assert_string_equal(out.reason, "other");
  assert_string_equal(out.note, "收入已恢复");
  assert_true(out.has_visited_on);
  assert_int_equal(out.visited_on, 20400);
  assert_int_equal(out.recorded_at, 123456789);
  /* absent reason, note and date */
  in.reason = in.note = NULL;
  in.has_visited_on = false;
  rh_avro_buf_clear(&buf);
  assert_int_equal(rh_verification_encode(&c, &in, &buf, err, sizeof err), 0);
  assert_int_equal(rh_verification_decode(&c, dec, buf.data, buf.len, &out, err, sizeof err), 0);
  assert_null(out.reason);
  assert_false(out.has_visited_on);
  /* a required field empty, and bytes that are no record */
  in.recorded_by = "";
  rh_avro_buf_clear(&buf);
  assert_int_equal(rh_verification_encode(&c, &in, &buf, err, sizeof err), 0);
  assert_int_equal(rh_verification_decode(&c, dec, buf.data, buf.len, &out, err, sizeof err), -1);
  assert_non_null(strstr(err, "recorded_by"));
  assert_int_equal(rh_verification_decode(&c, dec, "nope", 4, &out, err, sizeof err), -1);
  rh_avro_buf_free(&buf);
  rh_avro_decoder_destroy(dec);
  rh_verification_codec_free(&c);
  rh_avro_schemas_destroy(set);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_outcome_parse),
      cmocka_unit_test(test_what_may_follow),
      cmocka_unit_test(test_reasons_and_ids),
      cmocka_unit_test(test_record_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
