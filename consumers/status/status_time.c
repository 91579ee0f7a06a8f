/* status_time: see status_time.h. */
#include "status_time.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rh_parse.h"
#include "rh_period.h"

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static bool digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static int num(const char *s, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
  return v;
}

int status_period_parse(const char *s, int *year, int *month) {
  int y, m;
  if (!s || strlen(s) != 7 || rh_parse_period(s, &y, &m)) return -1;
  *year = y;
  *month = m;
  return 0;
}

void status_period_format(int year, int month, char out[8]) {
  snprintf(out, 8, "%04u-%02u", (unsigned)year % 10000u, (unsigned)month % 100u);
}

void status_period_add(int *year, int *month, int delta) {
  int64_t idx = (int64_t)*year * 12 + (*month - 1) + delta;
  *year = (int)floor_div(idx, 12);
  *month = (int)(idx - (int64_t)*year * 12) + 1;
}

int status_quarter_parse(const char *s, int *year, int *quarter) {
  if (!s || strlen(s) != 7 || !digits(s, 4) || s[4] != '-' || (s[5] != 'Q' && s[5] != 'q') ||
      s[6] < '1' || s[6] > '4')
    return -1;
  int y = num(s, 4);
  if (y < 2000 || y > 2199) return -1;
  *year = y;
  *quarter = s[6] - '0';
  return 0;
}

/* "+08:00" "+0800" "+08" at s (len n exactly) -> minutes. */
static int offset_parse_n(const char *s, size_t n, int *minutes) {
  if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
    *minutes = 0;
    return 0;
  }
  if (n == 3 && strncmp(s, "UTC", 3) == 0) {
    *minutes = 0;
    return 0;
  }
  if (n < 3 || (s[0] != '+' && s[0] != '-') || !digits(s + 1, 2)) return -1;
  int h = num(s + 1, 2), m = 0;
  if (n == 6 && s[3] == ':' && digits(s + 4, 2))
    m = num(s + 4, 2);
  else if (n == 5 && digits(s + 3, 2))
    m = num(s + 3, 2);
  else if (n != 3)
    return -1;
  if (m > 59) return -1;
  int total = h * 60 + m;
  if (total > STATUS_UTC_OFFSET_MAX) return -1;
  *minutes = s[0] == '-' ? -total : total;
  return 0;
}

int status_offset_parse(const char *s, int *minutes) {
  if (!s) return -1;
  return offset_parse_n(s, strlen(s), minutes);
}

void status_offset_format(int minutes, char out[8]) {
  unsigned a = minutes < 0 ? (unsigned)-minutes : (unsigned)minutes;
  snprintf(out, 8, "%c%02u:%02u", minutes < 0 ? '-' : '+', a / 60u % 100u, a % 60u);
}

int64_t status_deadline_ms(int year, int month, int delivery_day, int utc_offset_min) {
  return rh_period_deadline_ms(year, month, delivery_day, utc_offset_min);
}

void status_local_parts(int64_t utc_ms, int utc_offset_min, int *year, int *month, int *day,
                        int *hour, int *minute, int *second) {
  int64_t local = utc_ms + (int64_t)utc_offset_min * 60000;
  int64_t days = floor_div(local, STATUS_DAY_MS);
  int64_t ms = local - days * STATUS_DAY_MS;
  rh_date_from_days((int32_t)days, year, month, day);
  *hour = (int)(ms / 3600000);
  *minute = (int)(ms / 60000 % 60);
  *second = (int)(ms / 1000 % 60);
}

void status_format_local(int64_t utc_ms, int utc_offset_min, char out[STATUS_LOCAL_SZ]) {
  int y, mo, d, h, mi, s;
  status_local_parts(utc_ms, utc_offset_min, &y, &mo, &d, &h, &mi, &s);
  snprintf(out, STATUS_LOCAL_SZ, "%04u-%02u-%02u %02u:%02u", (unsigned)y % 10000u,
           (unsigned)mo % 100u, (unsigned)d % 100u, (unsigned)h % 100u, (unsigned)mi % 100u);
}

void status_format_iso(int64_t utc_ms, int utc_offset_min, char out[STATUS_ISO_SZ]) {
  int y, mo, d, h, mi, s;
  unsigned a = utc_offset_min < 0 ? (unsigned)-utc_offset_min : (unsigned)utc_offset_min;
  status_local_parts(utc_ms, utc_offset_min, &y, &mo, &d, &h, &mi, &s);
  snprintf(out, STATUS_ISO_SZ, "%04u-%02u-%02uT%02u:%02u:%02u%c%02u:%02u", (unsigned)y % 10000u,
           (unsigned)mo % 100u, (unsigned)d % 100u, (unsigned)h % 100u, (unsigned)mi % 100u,
           (unsigned)s % 100u, utc_offset_min < 0 ? '-' : '+', a / 60u % 100u, a % 60u);
}

void status_format_day(int32_t days, char out[11]) {
  int y, m, d;
  rh_date_from_days(days, &y, &m, &d);
  snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
           (unsigned)d % 100u);
}

/* A real date at s[0..10) "YYYY-MM-DD" -> days. */
static int date_parse(const char *s, int32_t *days) {
  if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
    return -1;
  int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
  if (y < 1970 || y > 2199 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
  int32_t dd = rh_days_from_date(y, m, d);
  int y2, m2, d2;
  rh_date_from_days(dd, &y2, &m2, &d2);
  if (y2 != y || m2 != m || d2 != d) return -1; /* 2026-02-30 */
  *days = dd;
  return 0;
}

int status_as_of_parse(const char *s, int64_t now_ms, int utc_offset_min, int64_t *out_ms) {
  if (!s) return -1;
  if (strcmp(s, "now") == 0) {
    *out_ms = now_ms;
    return 0;
  }
  size_t n = strlen(s);
  int32_t days;
  if (n < 10 || date_parse(s, &days)) return -1;
  if (n == 10) { /* the close of that local day */
    *out_ms = ((int64_t)days + 1) * STATUS_DAY_MS - (int64_t)utc_offset_min * 60000 - 1;
    return 0;
  }
  if ((s[10] != ' ' && s[10] != 'T') || n < 16 || !digits(s + 11, 2) || s[13] != ':' ||
      !digits(s + 14, 2))
    return -1;
  int h = num(s + 11, 2), mi = num(s + 14, 2), sec = 0;
  size_t i = 16;
  if (i < n && s[i] == ':') {
    if (n < 19 || !digits(s + 17, 2)) return -1;
    sec = num(s + 17, 2);
    i = 19;
  }
  if (h > 23 || mi > 59 || sec > 59) return -1;
  int off = utc_offset_min;
  if (i < n && offset_parse_n(s + i, n - i, &off)) return -1;
  *out_ms = (int64_t)days * STATUS_DAY_MS + ((int64_t)h * 3600 + mi * 60 + sec) * 1000 -
            (int64_t)off * 60000;
  return 0;
}

double status_excel_serial(int64_t utc_ms, int utc_offset_min) {
  int64_t local = utc_ms + (int64_t)utc_offset_min * 60000;
  /* 1970-01-01 is serial 25569 (Excel's 1900 system counts the fictitious
   * 1900-02-29, so its day 0 is 1899-12-30 for every date after February 1900) */
  return 25569.0 + (double)local / (double)STATUS_DAY_MS;
}
