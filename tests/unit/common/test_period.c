/* rh_period: the county's months a program's --period names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rh_period.h"

static void test_month_before(void **state) {
  (void)state;
  char m[16];
  rh_period_before("2026-03", 3, m);
  assert_string_equal(m, "2025-12");
  rh_period_before("2026-01", 0, m);
  assert_string_equal(m, "2026-01");
  rh_period_before("2026-12", 24, m);
  assert_string_equal(m, "2024-12");
}

static void test_month_resolve(void **state) {
  (void)state;
  char m[16];
  /* 2026-10-31 17:00 UTC is 2026-11-01 01:00 in the county */
  const int64_t t = 1793466000000LL;
  assert_int_equal(rh_period_resolve("current", t, m), 0);
  assert_string_equal(m, "2026-11");
  assert_int_equal(rh_period_resolve("previous", t, m), 0);
  assert_string_equal(m, "2026-10");
  assert_int_equal(rh_period_resolve("2025-02", t, m), 0);
  assert_string_equal(m, "2025-02");
  assert_int_equal(rh_period_resolve("2025-13", t, m), -1);
  assert_int_equal(rh_period_resolve("last", t, m), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_month_before),
      cmocka_unit_test(test_month_resolve),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
