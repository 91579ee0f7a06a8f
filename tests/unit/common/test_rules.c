/* rh_rules against the shipped config: thresholds at their exact boundary,
 * household conditions, one rule a record (most severe), situations, ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_config.h"
#include "rh_rules.h"
#include "rh_test.h"

static rh_config_t *cfg;

static int setup(void **state) {
  (void)state;
  char path[4096], err[512];
  rh_test_path(path, sizeof(path), "config/riskhub.yaml");
  cfg = rh_config_load(path, err, sizeof(err));
  if (!cfg) fprintf(stderr, "%s\n", err);
  return cfg ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  rh_config_destroy(cfg);
  return 0;
}

static rh_feedrecord_t record(const char *dept, const char *feed, bool has_amount, int64_t fen) {
  return (rh_feedrecord_t){.id_number = "11010519491231002X", .department = dept, .feed = feed,
                           .kind = "SIGNAL", .period = "2026-10", .batch_id = "b",
                           .has_amount = has_amount, .amount_fen = fen};
}

static const char *selected(const char *dept, const char *feed, const rh_feedrecord_t *r,
                            const rh_rule_household_t *h) {
  const rh_config_feed_t *f = rh_config_feed_find(cfg, dept, feed);
  assert_non_null(f);
  const rh_config_rule_t *rule = rh_rules_select(f, r, h);
  return rule ? rule->id : NULL;
}

static void test_self_pay_thresholds_by_household_type(void **state) {
  (void)state;
  rh_rule_household_t ordinary = {.household_type = "ordinary"};
  rh_rule_household_t monitored = {.household_type = "monitored", .monitoring_category = "marginal"};
  rh_rule_household_t alleviated = {.household_type = "poverty_alleviated"};
  const char *d = "medical-insurance", *f = "high-self-pay";
  /* the notice: more than (超过) 10,000 / 6,000 yuan */
  rh_feedrecord_t r = record(d, f, true, 1000001); /* 10,000.01 yuan */
  assert_string_equal(selected(d, f, &r, &ordinary), "illness-high-self-pay-ordinary");
  r.amount_fen = 1000000; /* exactly 10,000.00: not more than */
  assert_null(selected(d, f, &r, &ordinary));
  assert_string_equal(selected(d, f, &r, &monitored), "illness-high-self-pay-monitored");
  r.amount_fen = 600001; /* 6,000.01 */
  assert_string_equal(selected(d, f, &r, &monitored), "illness-high-self-pay-monitored");
  assert_string_equal(selected(d, f, &r, &alleviated), "illness-high-self-pay-monitored");
  r.amount_fen = 600000;
  assert_null(selected(d, f, &r, &monitored));
  /* no amount: a numeric condition cannot hold */
  r = record(d, f, false, 0);
  assert_null(selected(d, f, &r, &ordinary));
  assert_null(selected(d, f, &r, &monitored));
}

static void test_most_severe_rule_wins(void **state) {
  (void)state;
  const char *d = "human-resources", *f = "welfare-job-cancelled";
  double line;
  assert_int_equal(rh_config_threshold(cfg, "income_line", &line), 0);
  int64_t line_fen = llround(line * 100);
  rh_feedrecord_t r = record(d, f, false, 0);
  rh_rule_household_t h = {.household_type = "poverty_alleviated", .has_income = true,
                           .income_per_capita_fen = line_fen - 1};
  assert_string_equal(selected(d, f, &r, &h), "employment-welfare-job-cancelled-low-income");
  h.income_per_capita_fen = line_fen; /* not below the line: the general rule */
  assert_string_equal(selected(d, f, &r, &h), "employment-welfare-job-cancelled");
  h.has_income = false;
  assert_string_equal(selected(d, f, &r, &h), "employment-welfare-job-cancelled");

  d = "civil-affairs", f = "temporary-assistance";
  double large;
  assert_int_equal(rh_config_threshold(cfg, "temporary_assistance_large", &large), 0);
  r = record(d, f, true, llround(large * 100) - 1);
  assert_string_equal(selected(d, f, &r, &h), "low-income-temporary-assistance");
  r.amount_fen = llround(large * 100);
  assert_string_equal(selected(d, f, &r, &h), "low-income-temporary-assistance-large");
}

static void test_unconditional_and_text_conditions(void **state) {
  (void)state;
  rh_rule_household_t h = {.household_type = "ordinary"};
  rh_feedrecord_t r = record("health", "major-disease", false, 0);
  assert_string_equal(selected("health", "major-disease", &r, &h), "illness-major-disease");

  /* conditions on their own */
  const char *in_values[] = {"poverty_alleviated", "monitored"};
  rh_config_condition_t c_in = {.field = "household.type", .op = RH_OP_IN, .values = in_values,
                                .value_count = 2};
  assert_false(rh_rule_condition_holds(&c_in, &r, &h));
  h.household_type = "monitored";
  assert_true(rh_rule_condition_holds(&c_in, &r, &h));
  rh_config_condition_t c_elim = {.field = "household.risk_eliminated", .op = RH_OP_EQ, .value = "true"};
  assert_false(rh_rule_condition_holds(&c_elim, &r, &h));
  h.risk_eliminated = true;
  assert_true(rh_rule_condition_holds(&c_elim, &r, &h));
  rh_fact_t facts[1] = {{"disease", "尿毒症"}};
  r.facts = facts, r.fact_count = 1;
  rh_config_condition_t c_fact = {.field = "facts.disease", .op = RH_OP_EQ, .value = "尿毒症"};
  assert_true(rh_rule_condition_holds(&c_fact, &r, &h));
  rh_config_condition_t c_fact_ne = {.field = "facts.hospital", .op = RH_OP_NE, .value = "x"};
  assert_false(rh_rule_condition_holds(&c_fact_ne, &r, &h)); /* absent value: false */
  r.has_event_date = true, r.event_date = 20731; /* 2026-10-05 */
  rh_config_condition_t c_date = {.field = "event_date", .op = RH_OP_GTE, .value = "2026-10-01"};
  assert_true(rh_rule_condition_holds(&c_date, &r, &h));
  c_date.value = "2026-10-06";
  assert_false(rh_rule_condition_holds(&c_date, &r, &h));
  /* household conditions without a household (unmatched person) never hold */
  assert_false(rh_rule_condition_holds(&c_in, &r, NULL));
}

static void test_situation_and_alert_id(void **state) {
  (void)state;
  rh_rule_household_t h = {.household_type = "poverty_alleviated"};
  assert_string_equal(rh_rules_situation(&h), "AT_NEW_RISK");
  h.household_type = "monitored";
  assert_string_equal(rh_rules_situation(&h), "AT_NEW_RISK");
  h.risk_eliminated = true;
  assert_string_equal(rh_rules_situation(&h), "RISK_MAY_HAVE_RETURNED");
  h = (rh_rule_household_t){.household_type = "ordinary"};
  assert_string_equal(rh_rules_situation(&h), "MAY_NEED_MONITORING");
  assert_string_equal(rh_rules_situation(NULL), "UNMATCHED");

  char a[RH_SHA256_HEXSZ], b[RH_SHA256_HEXSZ], c[RH_SHA256_HEXSZ];
  rh_alert_id("11010519491231002X", "health", "major-disease", "2026-10", "r1", a);
  rh_alert_id("11010519491231002X", "health", "major-disease", "2026-10", "r1", b);
  rh_alert_id("11010519491231002X", "health", "major-disease", "2026-11", "r1", c);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  assert_int_equal(strlen(a), 64);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_self_pay_thresholds_by_household_type),
      cmocka_unit_test(test_most_severe_rule_wins),
      cmocka_unit_test(test_unconditional_and_text_conditions),
      cmocka_unit_test(test_situation_and_alert_id),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
