#include "rh_parse.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static const char IDEO_SPACE[] = "\xe3\x80\x80"; /* U+3000 */

void rh_trim(const char *s, size_t len, const char **start, size_t *out_len) {
  for (;;) {
    if (len > 0 && isspace((unsigned char)*s)) s++, len--;
    else if (len >= 3 && memcmp(s, IDEO_SPACE, 3) == 0) s += 3, len -= 3;
    else break;
  }
  for (;;) {
    if (len > 0 && isspace((unsigned char)s[len - 1])) len--;
    else if (len >= 3 && memcmp(s + len - 3, IDEO_SPACE, 3) == 0) len -= 3;
    else break;
  }
  *start = s;
  *out_len = len;
}

static int starts(const char *s, size_t len, const char *lit) {
  size_t n = strlen(lit);
  return len >= n && memcmp(s, lit, n) == 0;
}

int rh_parse_amount_fen(const char *s, size_t len, int64_t *fen) {
  rh_trim(s, len, &s, &len);
  if (starts(s, len, "\xc2\xa5")) s += 2, len -= 2;           /* ¥ */
  else if (starts(s, len, "\xef\xbf\xa5")) s += 3, len -= 3;  /* ￥ */
  if (len >= 3 && memcmp(s + len - 3, "\xe5\x85\x83", 3) == 0) len -= 3; /* 元 */
  rh_trim(s, len, &s, &len);
  int neg = 0;
  if (len > 0 && (*s == '-' || *s == '+')) neg = *s == '-', s++, len--;
  if (len == 0 || !isdigit((unsigned char)*s)) return -1;
  int64_t whole = 0;
  size_t i = 0, group = 0;
  int saw_sep = 0;
  for (; i < len && s[i] != '.'; i++) {
    if (s[i] == ',') {
      /* separators only between groups of exactly three digits */
      if (group == 0 || (saw_sep && group != 3) || (!saw_sep && group > 3)) return -1;
      saw_sep = 1;
      group = 0;
      continue;
    }
    if (!isdigit((unsigned char)s[i])) return -1;
    whole = whole * 10 + (s[i] - '0');
    if (whole > 10000000000000LL) return -1;
    group++;
  }
  if (saw_sep && group != 3) return -1;
  int64_t cents = 0;
  if (i < len) { /* '.' */
    i++;
    size_t d = 0;
    for (; i < len; i++, d++) {
      if (!isdigit((unsigned char)s[i]) || d >= 2) return -1;
      cents = cents * 10 + (s[i] - '0');
    }
    if (d == 0) return -1;
    if (d == 1) cents *= 10;
  }
  int64_t v = whole * 100 + cents;
  *fen = neg ? -v : v;
  return 0;
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* days from civil (Howard Hinnant's algorithm) */
int32_t rh_days_from_date(int y, int m, int d) {
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int32_t)(era * 146097 + (int)doe - 719468);
}

void rh_date_from_days(int32_t z, int *y, int *m, int *d) {
  z += 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int yy = (int)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yy + (*m <= 2);
}

/* Read 1..maxd digits at *p; returns the number or -1. */
static int read_num(const char **p, const char *end, int mind, int maxd) {
  int v = 0, n = 0;
  while (*p < end && n < maxd && isdigit((unsigned char)**p)) v = v * 10 + (*(*p)++ - '0'), n++;
  return n >= mind ? v : -1;
}

/* A time of day after a date: H:MM, HH:MM[:SS[.fff...]], then an optional
 * Z or +HH:MM / -HH:MM; hours 0-23 (24:00 not), minutes and seconds 0-59.
 * Exactly that, from p to end. */
static bool time_part_ok(const char *p, const char *end) {
  int h = read_num(&p, end, 1, 2);
  if (h < 0 || h > 23 || p >= end || *p++ != ':') return false;
  int mi = read_num(&p, end, 2, 2);
  if (mi < 0 || mi > 59) return false;
  if (p < end && *p == ':') {
    p++;
    int sec = read_num(&p, end, 2, 2);
    if (sec < 0 || sec > 59) return false;
    if (p < end && *p == '.') {
      p++;
      if (read_num(&p, end, 1, 9) < 0) return false;
    }
  }
  if (p < end && *p == 'Z') p++;
  else if (p < end && (*p == '+' || *p == '-')) {
    p++;
    int oh = read_num(&p, end, 2, 2);
    if (oh < 0 || oh > 14 || p >= end || *p++ != ':' || read_num(&p, end, 2, 2) < 0) return false;
  }
  return p == end;
}

int rh_parse_date(const char *s, size_t len, int32_t *days) {
  rh_trim(s, len, &s, &len);
  /* a time part after the date (from the first blank or 'T' past the year):
   * checked, then dropped; anything else after a date is not a date */
  for (size_t i = 5; i < len; i++)
    if (s[i] == ' ' || s[i] == 'T') {
      size_t t = i;
      while (t < len && (s[t] == ' ' || s[t] == 'T')) t++;
      if (t == len || !time_part_ok(s + t, s + len)) return -1;
      len = i;
      break;
    }
  const char *p = s, *end = s + len;
  int y, m, d;
  if (len == 8 && read_num(&p, end, 8, 8) >= 0) {
    p = s;
    y = read_num(&p, end, 4, 4), m = read_num(&p, end, 2, 2), d = read_num(&p, end, 2, 2);
  } else {
    p = s; /* "2026/9/5" has 8 characters too: read again from the start */
    y = read_num(&p, end, 4, 4);
    if (y < 0 || p >= end) return -1;
    if (starts(p, (size_t)(end - p), "年")) {
      p += 3;
      m = read_num(&p, end, 1, 2);
      if (m < 0 || !starts(p, (size_t)(end - p), "月")) return -1;
      p += 3;
      d = read_num(&p, end, 1, 2);
      if (d < 0) return -1;
      if (starts(p, (size_t)(end - p), "日")) p += 3;
    } else {
      char sep = *p;
      if (sep != '-' && sep != '/' && sep != '.') return -1;
      p++;
      m = read_num(&p, end, 1, 2);
      if (m < 0 || p >= end || *p != sep) return -1;
      p++;
      d = read_num(&p, end, 1, 2);
    }
    if (p != end) return -1;
  }
  if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return -1;
  *days = rh_days_from_date(y, m, d);
  return 0;
}

int rh_parse_period(const char *s, int *year, int *month) {
  if (!s || strlen(s) != 7 || s[4] != '-') return -1;
  for (int i = 0; i < 7; i++)
    if (i != 4 && !isdigit((unsigned char)s[i])) return -1;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0');
  if (y < 2000 || y > 2199 || m < 1 || m > 12) return -1;
  *year = y;
  *month = m;
  return 0;
}
