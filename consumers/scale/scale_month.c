/* scale_month: see scale_month.h. */
#include "scale_month.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_parse.h"

void scale_month_before(const char *period, int k, char out[16]) {
  int y = atoi(period), m = atoi(period + 5);
  int months = y * 12 + (m - 1) - k;
  snprintf(out, 16, "%04d-%02d", months / 12, months % 12 + 1);
}

int scale_month_resolve(const char *arg, int64_t now_ms, char out[16]) {
  int year, month;
  if (rh_parse_period(arg, &year, &month) == 0) {
    snprintf(out, 16, "%s", arg);
    return 0;
  }
  int back = strcmp(arg, "current") == 0 ? 0 : strcmp(arg, "previous") == 0 ? 1 : -1;
  if (back < 0) return -1;
  time_t county = (time_t)(now_ms / 1000) + 8 * 3600; /* the county's clock, UTC+08:00 */
  struct tm tm;
  gmtime_r(&county, &tm);
  char now[16];
  snprintf(now, sizeof now, "%04d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
  scale_month_before(now, back, out);
  return 0;
}
