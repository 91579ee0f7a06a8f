/* push_plan: which pushes a run makes, from the shipped configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "push_plan.h"
#include "push_publish.h"
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

/* A, B, A: the third is a new push; A again after that: nothing sent. */
static void test_chain(void **state) {
  (void)state;
  rh_config_t *cfg = rh_test_config();
  push_plan_t plan;
  char err[256];
  assert_int_equal(push_plan_build(cfg, "tax", &plan, err, sizeof err), 0);
  rh_outbound_record_t a[1] = {{NULL, "411024100-001-0001", "411024199001011234", "甲", NULL, NULL}};
  rh_outbound_record_t b[1] = {{NULL, "411024100-001-0002", "411024199001021234", "乙", NULL, NULL}};
  push_job_t ja = {.item = plan.v[0], .period = "2026-10", .rows = {.v = a, .n = 1}};
  push_job_t jb = ja;
  jb.rows.v = b;
  char id1[RH_SHA256_HEXSZ], id2[RH_SHA256_HEXSZ], id3[RH_SHA256_HEXSZ];
  assert_int_equal(push_job_id(&ja), 0); /* the first push: nothing before */
  assert_int_equal(ja.state, PUSH_PENDING);
  assert_string_equal(ja.previous, "");
  snprintf(id1, sizeof id1, "%s", ja.push_id);
  push_job_chain(&ja, id1, ""); /* A again: on the topic already */
  assert_int_equal(ja.state, PUSH_ALREADY);
  assert_string_equal(ja.push_id, id1);
  assert_int_equal(push_job_id(&jb), 0);
  push_job_chain(&jb, id1, ""); /* B after A: a correction */
  assert_int_equal(jb.state, PUSH_PENDING);
  assert_string_equal(jb.previous, id1);
  snprintf(id2, sizeof id2, "%s", jb.push_id);
  assert_string_not_equal(id2, id1);
  assert_int_equal(push_job_id(&ja), 0);
  push_job_chain(&ja, id2, id1); /* A after B: sent again, a new id */
  assert_int_equal(ja.state, PUSH_PENDING);
  assert_string_equal(ja.previous, id2);
  snprintf(id3, sizeof id3, "%s", ja.push_id);
  assert_string_not_equal(id3, id1);
  assert_string_not_equal(id3, id2);
  push_job_chain(&ja, id3, id2); /* and A once more: nothing */
  assert_int_equal(ja.state, PUSH_ALREADY);
  rh_config_destroy(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_plan), cmocka_unit_test(test_period),
                                     cmocka_unit_test(test_chain)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
