#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rh_parse.h"

static int amount(const char *s, int64_t *fen) { return rh_parse_amount_fen(s, strlen(s), fen); }
static int date(const char *s, int32_t *d) { return rh_parse_date(s, strlen(s), d); }

static void test_amounts(void **state) {
  (void)state;
  struct { const char *in; int64_t fen; } ok[] = {
      {"0", 0}, {"12", 1200}, {"12.3", 1230}, {"12.34", 1234}, {" 10000.00 ", 1000000},
      {"12,345.67", 1234567}, {"1,234,567", 123456700}, {"-5.5", -550}, {"+7", 700},
      {"¥88.80", 8880}, {"￥1,000", 100000}, {"6000元", 600000}, {"\xe3\x80\x80" "42\xe3\x80\x80", 4200}};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    int64_t v = -1;
    if (amount(ok[i].in, &v)) fail_msg("rejected '%s'", ok[i].in);
    assert_int_equal(v, ok[i].fen);
  }
  const char *bad[] = {"", " ", "abc", "12.345", "1e5", "12.", ".5", "--1", "1,23", "12,3456",
                       ",123", "1.2.3", "12 34", "NaN", "99999999999999999"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int64_t v = 77;
    if (amount(bad[i], &v) == 0) fail_msg("accepted '%s'", bad[i]);
    assert_int_equal(v, 77);
  }
}

static void test_dates(void **state) {
  (void)state;
  int32_t d, e;
  assert_int_equal(date("1970-01-01", &d), 0);
  assert_int_equal(d, 0);
  assert_int_equal(date("2026-10-05", &d), 0);
  assert_int_equal(d, 20731); /* python: (date(2026,10,5) - date(1970,1,1)).days */
  const char *same[] = {"2026/10/05", "2026.10.05", "20261005", "2026-10-5", "2026/10/5",
                        "2026年10月5日", "2026年10月05日", " 2026-10-05 00:00:00", "2026-10-05T08:00"};
  for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
    if (date(same[i], &e)) fail_msg("rejected '%s'", same[i]);
    assert_int_equal(e, d);
  }
  /* Excel's default Chinese date: one-digit month and day, 8 characters like
   * YYYYMMDD (issue 12, intake defect a: 81 days a year were refused) */
  const struct {
    const char *s;
    int y, m, dd;
  } excel[] = {{"2026/9/5", 2026, 9, 5},      {"2026-9-5", 2026, 9, 5},
               {"2026.9.1", 2026, 9, 1},      {"2026/9/5 0:00", 2026, 9, 5},
               {"2026/1/1 23:59", 2026, 1, 1}, {"2026年9月5日", 2026, 9, 5},
               {"2026/9/5 0:00:00", 2026, 9, 5}, {"2026-10-05T08:30:00.123Z", 2026, 10, 5},
               {"2026-10-05 08:30:00+08:00", 2026, 10, 5}};
  for (size_t i = 0; i < sizeof(excel) / sizeof(excel[0]); i++) {
    if (date(excel[i].s, &e)) fail_msg("rejected '%s'", excel[i].s);
    assert_int_equal(e, rh_days_from_date(excel[i].y, excel[i].m, excel[i].dd));
  }
  assert_int_equal(date("2024-02-29", &d), 0);
  const char *bad[] = {"", "2026-02-29", "2026-13-01", "2026-00-10", "2026-10-32", "1899-12-31",
                       "26-10-05", "2026-10", "2026-10-05x", "2026/10-05", "45567", "yesterday",
                       /* trailing text that is no time of day (intake defect e) */
                       "2026-10-05 garbage", "2026-10-05 99:99:99", "2026-10-05 24:00",
                       "2026-10-05 08:60", "2026-10-05 8:5", "2026-10-05 08:30:61",
                       "2026-10-05T", "2026/9/5 0:00 x", "2026/9/32", "2026/13/5"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (date(bad[i], &d) == 0) fail_msg("accepted '%s'", bad[i]);
}

static void test_days_roundtrip(void **state) {
  (void)state;
  for (int32_t z = -25567; z < 80000; z += 7) {
    int y, m, d;
    rh_date_from_days(z, &y, &m, &d);
    assert_int_equal(rh_days_from_date(y, m, d), z);
  }
}

static void test_period(void **state) {
  (void)state;
  int y, m;
  assert_int_equal(rh_parse_period("2026-10", &y, &m), 0);
  assert_int_equal(y, 2026);
  assert_int_equal(m, 10);
  const char *bad[] = {"2026-13", "2026-00", "2026-1", "202610", "2026/10", "1999-12", "", "2026-10-01"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(rh_parse_period(bad[i], &y, &m), -1);
  assert_int_equal(rh_parse_period(NULL, &y, &m), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_amounts), cmocka_unit_test(test_dates),
      cmocka_unit_test(test_days_roundtrip), cmocka_unit_test(test_period)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
