/* rh_period: see rh_period.h. */
#include "rh_period.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_parse.h"

int64_t rh_period_deadline_ms(int year, int month, int delivery_day, int utc_offset_min) {
  int y = month == 12 ? year + 1 : year, m = month == 12 ? 1 : month + 1;
  int64_t day_after = (int64_t)rh_days_from_date(y, m, delivery_day) + 1;
  return day_after * INT64_C(86400000) - (int64_t)utc_offset_min * 60000;
}

int32_t rh_period_local_days(int64_t utc_ms, int utc_offset_min) {
  int64_t local = utc_ms + (int64_t)utc_offset_min * 60000, day = INT64_C(86400000);
  int64_t q = local / day;
  return (int32_t)(local % day < 0 ? q - 1 : q);
}

void rh_period_before(const char *period, int k, char out[16]) {
  int y = atoi(period), m = atoi(period + 5);
  int months = y * 12 + (m - 1) - k;
  snprintf(out, 16, "%04d-%02d", months / 12, months % 12 + 1);
}

int rh_period_resolve(const char *arg, int64_t now_ms, char out[16]) {
  int year, month;
  if (rh_parse_period(arg, &year, &month) == 0) {
    snprintf(out, 16, "%s", arg);
    return 0;
  }
  int back = strcmp(arg, "current") == 0 ? 0 : strcmp(arg, "previous") == 0 ? 1 : -1;
  if (back < 0) return -1;
  time_t county = (time_t)(now_ms / 1000) + RH_PERIOD_UTC_OFFSET_CN * 60;
  struct tm tm;
  gmtime_r(&county, &tm);
  char now[16];
  snprintf(now, sizeof now, "%04d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
  rh_period_before(now, back, out);
  return 0;
}
