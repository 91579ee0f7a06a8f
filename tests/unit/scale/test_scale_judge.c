/* scale_judge and scale_decide: which places cross, and which versions go to
 * the county topic (docs/scale.md). Expected values worked out by hand in the
 * comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "rh_test.h"
#include "scale_judge.h"
#include "scale_publish.h"

static const char *const FLOOD[] = {"DISASTER"};
static const char *const FLOOD_WATER[] = {"DISASTER", "DRINKING_WATER"};

/* 东村 of 411024100: 10 households; 西村: 4; 南村 of 411024101: 20 */
static const scale_place_t PLACES[] = {
    {"411024100", "东村", 10}, {"411024100", "西村", 4}, {"411024101", "南村", 20}};

#define W(period, t, v, risk, h, a) {period, t, v, risk, h, a}

static scale_found_list_t judge(const rh_config_scale_rule_t *rules, size_t n, int baseline,
                                const scale_warning_t *w, size_t nw) {
  rh_config_scale_t cfg = {.baseline_months = baseline, .rules = rules, .rule_count = n};
  scale_found_list_t out;
  assert_int_equal(scale_judge(&cfg, "2026-10", w, nw, PLACES, 3, &out), 0);
  return out;
}

static void test_thresholds_of_a_village(void **state) {
  (void)state;
  rh_config_scale_rule_t r = {.id = "v", .place = RH_PLACE_VILLAGE, .risks = FLOOD,
                              .risk_count = 1, .min_households = 3, .min_share = 0.3};
  const scale_warning_t w[] = {
      /* 东村: households h1, h2, h3 (h1 twice, two alerts): 3 of 10 = 30 % -> crosses */
      W("2026-10", "411024100", "东村", "DISASTER", "h1", "a1"),
      W("2026-10", "411024100", "东村", "DISASTER", "h1", "a0"),
      W("2026-10", "411024100", "东村", "DISASTER", "h3", "a3"),
      W("2026-10", "411024100", "东村", "DISASTER", "h2", "a2"),
      /* 西村: 2 of 4 = 50 %, but 2 < 3 households -> not */
      W("2026-10", "411024100", "西村", "DISASTER", "h4", "a4"),
      W("2026-10", "411024100", "西村", "DISASTER", "h5", "a5"),
      /* 南村: 5 households but 5 of 20 = 25 % < 30 % -> not */
      W("2026-10", "411024101", "南村", "DISASTER", "h6", "a6"),
      W("2026-10", "411024101", "南村", "DISASTER", "h7", "a7"),
      W("2026-10", "411024101", "南村", "DISASTER", "h8", "a8"),
      W("2026-10", "411024101", "南村", "DISASTER", "h9", "a9"),
      W("2026-10", "411024101", "南村", "DISASTER", "hA", "aA"),
      /* another risk and another month count for nothing */
      W("2026-10", "411024101", "南村", "ILLNESS", "hB", "aB"),
      W("2026-11", "411024101", "南村", "DISASTER", "hC", "aC"),
  };
  scale_found_list_t f = judge(&r, 1, 3, w, sizeof w / sizeof *w);
  assert_int_equal(f.n, 1);
  assert_string_equal(f.v[0].village, "东村");
  assert_int_equal(f.v[0].households, 3);
  assert_int_equal(f.v[0].place_households, 10);
  assert_int_equal(f.v[0].household_count, 3);
  assert_string_equal(f.v[0].household_ids[0], "h1");
  assert_string_equal(f.v[0].household_ids[2], "h3");
  assert_int_equal(f.v[0].alert_count, 4);
  assert_string_equal(f.v[0].alert_ids[0], "a0");
  assert_string_equal(f.v[0].alert_ids[3], "a3");
  scale_found_free(&f);
  /* the township: 5 of 14 in 411024100 (35.7 %), 5 of 20 in 411024101 */
  r.place = RH_PLACE_TOWNSHIP;
  f = judge(&r, 1, 3, w, sizeof w / sizeof *w);
  assert_int_equal(f.n, 1);
  assert_string_equal(f.v[0].township, "411024100");
  assert_string_equal(f.v[0].village, "");
  assert_int_equal(f.v[0].households, 5);
  assert_int_equal(f.v[0].place_households, 14);
  scale_found_free(&f);
}

static void test_rise_over_the_baseline(void **state) {
  (void)state;
  rh_config_scale_rule_t r = {.id = "v", .place = RH_PLACE_VILLAGE, .risks = FLOOD,
                              .risk_count = 1, .min_rise = 2};
  /* 东村: 4 households in October; 3 in August, 3 in July (September none):
   * baseline (3 + 0 + 3) / 3 = 2; 4 >= 2 x 2 -> crosses. June's 30 households
   * are before the 3 baseline months. */
  scale_warning_t w[64];
  size_t n = 0;
  char ids[64][8];
  const char *months[] = {"2026-10", "2026-10", "2026-10", "2026-10", "2026-08", "2026-08",
                          "2026-08", "2026-07", "2026-07", "2026-07"};
  for (size_t i = 0; i < 10; i++, n++) {
    snprintf(ids[n], sizeof ids[n], "h%zu", i);
    w[n] = (scale_warning_t)W(months[i], "411024100", "东村", "DISASTER", ids[n], ids[n]);
  }
  for (size_t i = 0; i < 30; i++, n++) {
    snprintf(ids[n], sizeof ids[n], "j%zu", i);
    w[n] = (scale_warning_t)W("2026-06", "411024100", "东村", "DISASTER", ids[n], ids[n]);
  }
  scale_found_list_t f = judge(&r, 1, 3, w, n);
  assert_int_equal(f.n, 1);
  assert_true(f.v[0].baseline > 1.999 && f.v[0].baseline < 2.001);
  scale_found_free(&f);
  /* a rise of 2.5 asks 5: not; a baseline of 4 months (June in) asks more still */
  r.min_rise = 2.5;
  f = judge(&r, 1, 3, w, n);
  assert_int_equal(f.n, 0);
  scale_found_free(&f);
  r.min_rise = 2;
  f = judge(&r, 1, 4, w, n);
  assert_int_equal(f.n, 0);
  scale_found_free(&f);
  /* a place without a baseline has always risen */
  f = judge(&r, 1, 3, w, 4);
  assert_int_equal(f.n, 1);
  assert_true(f.v[0].baseline == 0);
  scale_found_free(&f);
}

static void test_a_combination_asks_each_risk(void **state) {
  (void)state;
  rh_config_scale_rule_t r = {.id = "c", .place = RH_PLACE_VILLAGE, .risks = FLOOD_WATER,
                              .risk_count = 2, .all_risks = true, .min_households = 2};
  /* 东村: 3 floods, 2 water (h1 both): crosses, 4 households; 西村: 3 floods, 1 water: not */
  const scale_warning_t w[] = {
      W("2026-10", "411024100", "东村", "DISASTER", "h1", "a1"),
      W("2026-10", "411024100", "东村", "DISASTER", "h2", "a2"),
      W("2026-10", "411024100", "东村", "DISASTER", "h3", "a3"),
      W("2026-10", "411024100", "东村", "DRINKING_WATER", "h1", "b1"),
      W("2026-10", "411024100", "东村", "DRINKING_WATER", "h4", "b4"),
      W("2026-10", "411024100", "西村", "DISASTER", "h5", "a5"),
      W("2026-10", "411024100", "西村", "DISASTER", "h6", "a6"),
      W("2026-10", "411024100", "西村", "DISASTER", "h7", "a7"),
      W("2026-10", "411024100", "西村", "DRINKING_WATER", "h5", "b5"),
  };
  scale_found_list_t f = judge(&r, 1, 3, w, sizeof w / sizeof *w);
  assert_int_equal(f.n, 1);
  assert_string_equal(f.v[0].village, "东村");
  assert_int_equal(f.v[0].households, 4);
  assert_int_equal(f.v[0].alert_count, 5);
  scale_found_free(&f);
  /* any of the two: both villages (4 and 3 households) */
  r.all_risks = false;
  f = judge(&r, 1, 3, w, sizeof w / sizeof *w);
  assert_int_equal(f.n, 2);
  scale_found_free(&f);
}

/* The versions: RAISED, nothing while the same, UPDATED (since kept), CLEARED
 * when no longer found, RAISED again (a new since). */
static void test_versions(void **state) {
  (void)state;
  rh_config_scale_rule_t rule = {.id = "v", .place = RH_PLACE_VILLAGE, .risks = FLOOD,
                                 .risk_count = 1, .min_households = 1};
  rh_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.scale.rules = &rule;
  cfg.scale.rule_count = 1;
  cfg.scale.baseline_months = 3;
  const char *hh[] = {"h1", "h2"}, *aa[] = {"a1", "a2"};
  scale_found_t one = {.rule = &rule, .township = "411024100", .village = "东村",
                       .households = 1, .place_households = 10,
                       .household_ids = hh, .household_count = 1, .alert_ids = aa,
                       .alert_count = 1};
  scale_found_list_t found = {&one, 1}, none = {NULL, 0};
  scale_items_t it;
  assert_int_equal(scale_decide(&cfg, "2026-10", &found, NULL, 0, 1000, &it), 0);
  assert_int_equal(it.n, 1);
  assert_true(it.v[0].send);
  assert_int_equal(it.v[0].rec.status, RH_SCALE_RAISED);
  assert_int_equal(it.v[0].rec.version, 1);
  assert_int_equal(it.v[0].rec.since, 1000);
  scale_last_t last = {.status = RH_SCALE_RAISED, .version = 1, .since = 1000,
                       .place_households = 10, .rule_id = "v", .township = "411024100",
                       .village = "东村", .period = "2026-10", .level = "village"};
  snprintf(last.id, sizeof last.id, "%s", it.v[0].id);
  snprintf(last.content, sizeof last.content, "%s", it.v[0].content);
  scale_items_free(&it);
  /* the same: nothing to send */
  assert_int_equal(scale_decide(&cfg, "2026-10", &found, &last, 1, 2000, &it), 0);
  assert_int_equal(it.n, 1);
  assert_false(it.v[0].send);
  scale_items_free(&it);
  /* a household more: UPDATED v2, since kept */
  one.household_count = one.alert_count = 2;
  one.households = 2;
  assert_int_equal(scale_decide(&cfg, "2026-10", &found, &last, 1, 3000, &it), 0);
  assert_true(it.v[0].send);
  assert_int_equal(it.v[0].rec.status, RH_SCALE_UPDATED);
  assert_int_equal(it.v[0].rec.version, 2);
  assert_int_equal(it.v[0].rec.since, 1000);
  assert_int_equal(it.v[0].rec.created_at, 3000);
  scale_items_free(&it);
  /* not found any more: CLEARED v2; another month's key is left alone */
  assert_int_equal(scale_decide(&cfg, "2026-10", &none, &last, 1, 4000, &it), 0);
  assert_int_equal(it.n, 1);
  assert_true(it.v[0].send);
  assert_int_equal(it.v[0].rec.status, RH_SCALE_CLEARED);
  assert_int_equal(it.v[0].rec.version, 2);
  assert_string_equal(it.v[0].rec.village, "东村");
  assert_int_equal(it.v[0].rec.household_count, 0);
  scale_items_free(&it);
  assert_int_equal(scale_decide(&cfg, "2026-11", &none, &last, 1, 4000, &it), 0);
  assert_int_equal(it.n, 0);
  scale_items_free(&it);
  /* found again after a CLEARED: RAISED v3 with a new since */
  last.status = RH_SCALE_CLEARED;
  last.version = 2;
  assert_int_equal(scale_decide(&cfg, "2026-10", &found, &last, 1, 5000, &it), 0);
  assert_int_equal(it.v[0].rec.status, RH_SCALE_RAISED);
  assert_int_equal(it.v[0].rec.version, 3);
  assert_int_equal(it.v[0].rec.since, 5000);
  scale_items_free(&it);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_thresholds_of_a_village),
      cmocka_unit_test(test_rise_over_the_baseline),
      cmocka_unit_test(test_a_combination_asks_each_risk),
      cmocka_unit_test(test_versions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
