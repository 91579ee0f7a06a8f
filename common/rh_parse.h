/*
 * rh_parse: the values departments write in their lists, parsed strictly.
 * Pure functions; no allocation; thread-safe. Each returns 0 on success and -1
 * if the text is not a value of its kind (outputs untouched then).
 */
#ifndef RH_PARSE_H
#define RH_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* An amount in yuan → fen. Accepts optional surrounding blanks, a leading
 * '¥' or '￥', a trailing '元', a sign, thousands separators ("12,345.6"),
 * and at most 2 decimals. Rejects anything else ("12.345", "1e5", "", "--1").
 * Bounded to ±10^15 fen. */
int rh_parse_amount_fen(const char *s, size_t len, int64_t *fen);

/* A calendar date → days since 1970-01-01. Accepts YYYY-MM-DD, YYYY/MM/DD,
 * YYYY.MM.DD (1- or 2-digit month and day: Excel's "2026/9/5"), YYYYMMDD,
 * YYYY年M月D日, each with an optional time of day after a blank or 'T'
 * ("2026-10-05 00:00:00", "2026/9/5 0:00", "2026-10-05T08:30:00Z") that must
 * be a valid time (H:MM[:SS[.f]], optional Z or ±HH:MM) and is then ignored;
 * any other text after the date is refused ("2026-10-05 garbage",
 * "2026-10-05 99:99:99"). The date must exist (no 2026-02-30) and lie in
 * 1900..2199. */
int rh_parse_date(const char *s, size_t len, int32_t *days);

/* Days since 1970-01-01 → year, month, day. Cannot fail. */
void rh_date_from_days(int32_t days, int *y, int *m, int *d);
/* year, month, day (valid) → days since 1970-01-01. */
int32_t rh_days_from_date(int y, int m, int d);

/* A period "YYYY-MM" (month 01..12, year 2000..2199) → year and month. */
int rh_parse_period(const char *s, int *year, int *month);

/* Trim ASCII blanks and U+3000 (ideographic space) at both ends: sets *start
 * and *len to the trimmed part of s[0..len). Cannot fail. */
void rh_trim(const char *s, size_t len, const char **start, size_t *out_len);

#endif
