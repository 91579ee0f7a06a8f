/* push_plan: which pushes a run makes, from the shipped configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "push_plan.h"
#include "rh_test.h"

static void test_plan(void **state) {
  (void)state;
  rh_config_t *cfg = rh_test_config();
  push_plan_t plan;
  char err[256];
  assert_int_equal(push_plan_build(cfg, NULL, &plan, err, sizeof err), 0);
  size_t checks = 0, objects = 0;
  for (size_t i = 0; i < plan.n; i++) {
    if (plan.v[i].kind == RH_OUTBOUND_APPLICANTS) checks++;
    else objects++;
  }
  /* every department its new monitoring objects; the six with a check feed
   * (human-resources, finance, tax, public-security, market-regulation, banks)
   * the applicants */
  assert_int_equal(objects, cfg->department_count);
  assert_int_equal(checks, 6);
  assert_int_equal(push_plan_build(cfg, "tax", &plan, err, sizeof err), 0);
  assert_int_equal(plan.n, 2);
  assert_int_equal(push_plan_build(cfg, "health", &plan, err, sizeof err), 0);
  assert_int_equal(plan.n, 1);
  assert_int_equal(plan.v[0].kind, RH_OUTBOUND_NEW_OBJECTS);
  assert_int_equal(push_plan_build(cfg, "nobody", &plan, err, sizeof err), -1);
  assert_non_null(strstr(err, "nobody is not a department"));
  rh_config_destroy(cfg);
}

static void test_period(void **state) {
  (void)state;
  assert_true(push_period_valid("2026-10"));
  assert_true(push_period_valid("2026-01"));
  assert_false(push_period_valid("2026-13"));
  assert_false(push_period_valid("2026-00"));
  assert_false(push_period_valid("2026-1"));
  assert_false(push_period_valid("202610"));
  assert_false(push_period_valid("2026-10-01"));
  assert_false(push_period_valid(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_plan), cmocka_unit_test(test_period)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
