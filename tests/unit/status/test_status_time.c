/* status_time: periods, quarters, offsets, deadlines (time zones, month ends,
 * December -> January, leap years), --as-of, local formatting and Excel
 * serials. Expected instants come from glibc's timegm(), not from the code
 * under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "rh_period.h"
#include "status_time.h"

/* UTC ms of a UTC calendar time, by glibc */
static int64_t utc(int y, int mo, int d, int h, int mi, int s) {
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                  .tm_min = mi, .tm_sec = s};
  return (int64_t)timegm(&tm) * 1000;
}

static void test_periods(void **state) {
  (void)state;
  int y = 0, m = 0;
  assert_int_equal(status_period_parse("2026-10", &y, &m), 0);
  assert_int_equal(y, 2026);
  assert_int_equal(m, 10);
  const char *bad[] = {"2026-13", "2026-00", "2026-1", "26-10", "2026-10x", "2026/10", "",
                       "1999-12", "2200-01"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(status_period_parse(bad[i], &y, &m), -1);
  assert_int_equal(status_period_parse(NULL, &y, &m), -1);
  char out[8];
  status_period_format(2027, 1, out);
  assert_string_equal(out, "2027-01");

  y = 2026, m = 12;
  status_period_add(&y, &m, 1);
  assert_int_equal(y, 2027);
  assert_int_equal(m, 1);
  status_period_add(&y, &m, -1);
  assert_int_equal(y, 2026);
  assert_int_equal(m, 12);
  y = 2026, m = 1;
  status_period_add(&y, &m, -1);
  assert_int_equal(y, 2025);
  assert_int_equal(m, 12);
  y = 2026, m = 3;
  status_period_add(&y, &m, -27);
  assert_int_equal(y, 2023);
  assert_int_equal(m, 12);
  status_period_add(&y, &m, 25);
  assert_int_equal(y, 2026);
  assert_int_equal(m, 1);
}

static void test_quarters(void **state) {
  (void)state;
  int y = 0, q = 0;
  assert_int_equal(status_quarter_parse("2026-Q4", &y, &q), 0);
  assert_int_equal(y, 2026);
  assert_int_equal(q, 4);
  assert_int_equal(status_quarter_parse("2027-q1", &y, &q), 0);
  assert_int_equal(q, 1);
  const char *bad[] = {"2026-Q5", "2026-Q0", "2026Q4", "2026-Q", "2026-Q44", "26-Q4", "2026-4"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(status_quarter_parse(bad[i], &y, &q), -1);
}

static void test_offsets(void **state) {
  (void)state;
  int o = 1;
  assert_int_equal(status_offset_parse("+08:00", &o), 0);
  assert_int_equal(o, 480);
  assert_int_equal(status_offset_parse("+0800", &o), 0);
  assert_int_equal(o, 480);
  assert_int_equal(status_offset_parse("+08", &o), 0);
  assert_int_equal(o, 480);
  assert_int_equal(status_offset_parse("-05:30", &o), 0);
  assert_int_equal(o, -330);
  assert_int_equal(status_offset_parse("Z", &o), 0);
  assert_int_equal(o, 0);
  o = 5;
  assert_int_equal(status_offset_parse("UTC", &o), 0);
  assert_int_equal(o, 0);
  assert_int_equal(status_offset_parse("+14:00", &o), 0);
  assert_int_equal(o, 840);
  const char *bad[] = {"+8", "08:00", "+08:60", "+15:00", "+08:0", "+08:000", "", "utc+8"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(status_offset_parse(bad[i], &o), -1);
  char out[8];
  status_offset_format(480, out);
  assert_string_equal(out, "+08:00");
  status_offset_format(-330, out);
  assert_string_equal(out, "-05:30");
  status_offset_format(0, out);
  assert_string_equal(out, "+00:00");
}

static void test_deadlines(void **state) {
  (void)state;
  /* 2026-10's lists: by the 10th of November, China Standard Time: late from
   * 2026-11-11 00:00 +08:00 = 2026-11-10 16:00 UTC */
  assert_true(status_deadline_ms(2026, 10, 10, 480) == utc(2026, 11, 10, 16, 0, 0));
  /* December -> January of the next year */
  assert_true(status_deadline_ms(2026, 12, 10, 480) == utc(2027, 1, 10, 16, 0, 0));
  /* November -> December */
  assert_true(status_deadline_ms(2026, 11, 10, 480) == utc(2026, 12, 10, 16, 0, 0));
  /* other time zones: UTC, west of Greenwich, the far east */
  assert_true(status_deadline_ms(2026, 10, 10, 0) == utc(2026, 11, 11, 0, 0, 0));
  assert_true(status_deadline_ms(2026, 10, 10, -300) == utc(2026, 11, 11, 5, 0, 0));
  assert_true(status_deadline_ms(2026, 10, 10, 840) == utc(2026, 11, 10, 10, 0, 0));
  /* month ends: due the 28th of February -> late from 1 March (2027), or from
   * the 29th (2028 is a leap year) */
  assert_true(status_deadline_ms(2027, 1, 28, 480) == utc(2027, 2, 28, 16, 0, 0));
  assert_true(status_deadline_ms(2028, 1, 28, 480) == utc(2028, 2, 28, 16, 0, 0));
  assert_true(status_deadline_ms(2027, 1, 28, 0) == utc(2027, 3, 1, 0, 0, 0));
  assert_true(status_deadline_ms(2028, 1, 28, 0) == utc(2028, 2, 29, 0, 0, 0));
  /* day 1: the first of the month after is the whole of it */
  assert_true(status_deadline_ms(2026, 12, 1, 480) == utc(2027, 1, 1, 16, 0, 0));
  /* the last millisecond of the 10th is on time, the next is not */
  int64_t d = status_deadline_ms(2026, 10, 10, 480);
  char out[STATUS_LOCAL_SZ];
  status_format_local(d - 1, 480, out);
  assert_string_equal(out, "2026-11-10 23:59");
  status_format_local(d, 480, out);
  assert_string_equal(out, "2026-11-11 00:00");
}

static void test_local_days(void **state) {
  (void)state;
  /* 2026-11-10 15:59:59.999 UTC is still the 10th in Beijing; 16:00 is the 11th */
  int64_t t = utc(2026, 11, 10, 16, 0, 0);
  char day[11];
  status_format_day(rh_period_local_days(t - 1, 480), day);
  assert_string_equal(day, "2026-11-10");
  status_format_day(rh_period_local_days(t, 480), day);
  assert_string_equal(day, "2026-11-11");
  status_format_day(rh_period_local_days(t, 0), day);
  assert_string_equal(day, "2026-11-10");
  /* before 1970: floor, not truncation */
  assert_int_equal(rh_period_local_days(-1, 0), -1);
  assert_int_equal(rh_period_local_days(0, -60), -1);
  char iso[STATUS_ISO_SZ];
  status_format_iso(utc(2026, 11, 5, 2, 12, 33) + 999, 480, iso);
  assert_string_equal(iso, "2026-11-05T10:12:33+08:00");
  status_format_iso(utc(2027, 1, 1, 3, 0, 0), -330, iso);
  assert_string_equal(iso, "2026-12-31T21:30:00-05:30");
  int y, mo, dd, h, mi, s;
  status_local_parts(utc(2026, 12, 31, 16, 0, 1), 480, &y, &mo, &dd, &h, &mi, &s);
  assert_int_equal(y, 2027);
  assert_int_equal(mo, 1);
  assert_int_equal(dd, 1);
  assert_int_equal(h, 0);
  assert_int_equal(s, 1);
}

static void test_as_of(void **state) {
  (void)state;
  int64_t v = 0, now = utc(2026, 11, 29, 9, 0, 0);
  assert_int_equal(status_as_of_parse("now", now, 480, &v), 0);
  assert_true(v == now);
  /* a date alone: the close of that local day */
  assert_int_equal(status_as_of_parse("2026-11-09", now, 480, &v), 0);
  assert_true(v == utc(2026, 11, 9, 16, 0, 0) - 1);
  assert_int_equal(status_as_of_parse("2026-11-09", now, 0, &v), 0);
  assert_true(v == utc(2026, 11, 10, 0, 0, 0) - 1);
  /* a date and time, local */
  assert_int_equal(status_as_of_parse("2026-11-10 08:30", now, 480, &v), 0);
  assert_true(v == utc(2026, 11, 10, 0, 30, 0));
  assert_int_equal(status_as_of_parse("2026-11-10T08:30:15", now, 480, &v), 0);
  assert_true(v == utc(2026, 11, 10, 0, 30, 15));
  /* with an offset or Z, the local offset does not matter */
  assert_int_equal(status_as_of_parse("2026-11-10T08:30:15Z", now, 480, &v), 0);
  assert_true(v == utc(2026, 11, 10, 8, 30, 15));
  assert_int_equal(status_as_of_parse("2026-11-10 08:30+00:00", now, 480, &v), 0);
  assert_true(v == utc(2026, 11, 10, 8, 30, 0));
  assert_int_equal(status_as_of_parse("2026-11-10 08:30-0500", now, 480, &v), 0);
  assert_true(v == utc(2026, 11, 10, 13, 30, 0));
  /* just before and at the deadline of 2026-10 */
  assert_int_equal(status_as_of_parse("2026-11-10 23:59:59", now, 480, &v), 0);
  assert_true(v < status_deadline_ms(2026, 10, 10, 480));
  assert_int_equal(status_as_of_parse("2026-11-11 00:00", now, 480, &v), 0);
  assert_true(v == status_deadline_ms(2026, 10, 10, 480));
  const char *bad[] = {"2026-02-30", "2026-11-10 24:00", "2026-11-10 8:30", "yesterday",
                       "2026-11-10T08:30+8", "2026-11-10 08:30:60", "2026-11-10x",
                       "2026-11-1", "2026-11-10 08:30:1", "", "NOW"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    v = 7;
    assert_int_equal(status_as_of_parse(bad[i], now, 480, &v), -1);
    assert_true(v == 7);
  }
}

static void test_excel_serial(void **state) {
  (void)state;
  assert_true(status_excel_serial(0, 0) == 25569.0);
  /* 2026-11-10 is day 46336 after 1899-12-30; 12:00 local is .5 */
  assert_true(status_excel_serial(utc(2026, 11, 10, 4, 0, 0), 480) == 46336.5);
  assert_true(status_excel_serial(utc(2026, 11, 10, 16, 0, 0), 480) == 46337.0);
  double x = status_excel_serial(utc(2026, 11, 10, 16, 0, 0), 0) - (46336.0 + 16.0 / 24.0);
  assert_true(x < 1e-9 && x > -1e-9);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_periods),     cmocka_unit_test(test_quarters),
      cmocka_unit_test(test_offsets),     cmocka_unit_test(test_deadlines),
      cmocka_unit_test(test_local_days),  cmocka_unit_test(test_as_of),
      cmocka_unit_test(test_excel_serial)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
