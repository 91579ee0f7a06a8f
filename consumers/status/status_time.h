/*
 * status_time: the calendar of riskhub-status (docs/status.md, "Deadlines and
 * time zone").
 *
 * Instants are UTC milliseconds since 1970-01-01 (as BatchManifest.finished_at
 * and Alert.created_at are). Deadlines and the dates people read are in the
 * county's local time, a fixed offset from UTC in minutes: UTC+08:00 by
 * default (Asia/Shanghai has kept China Standard Time without daylight saving
 * since 1991, so the fixed offset is that zone for every date the hub sees,
 * and no tzdata or TZ variable is involved).
 *
 * A list of period YYYY-MM is due "by the Nth of the following month"
 * (deadlines.delivery_day, 1..28): it is on time when it finished before the
 * end of that day, local time, i.e. before 00:00 local of day N+1. December's
 * lists are due in January of the next year.
 *
 * Pure functions: no allocation, no global state, thread-safe. Parsers return
 * 0, or -1 if the text is not what they accept (outputs untouched then).
 */
#ifndef STATUS_TIME_H
#define STATUS_TIME_H

#include <stddef.h>
#include <stdint.h>

#define STATUS_DAY_MS INT64_C(86400000)
#define STATUS_UTC_OFFSET_DEFAULT (8 * 60) /* minutes: China Standard Time */
#define STATUS_UTC_OFFSET_MAX (14 * 60)    /* |offset| at most 14 hours */

/* "YYYY-MM" (month 01..12, year 2000..2199) -> year and month. Exactly 7 characters. */
int status_period_parse(const char *s, int *year, int *month);
/* "YYYY-MM"; out holds 8 bytes. */
void status_period_format(int year, int month, char out[8]);
/* year-month moved by delta months (any sign). Cannot fail. */
void status_period_add(int *year, int *month, int delta);

/* "YYYY-Qn" (n 1..4, q or Q) -> year and quarter. */
int status_quarter_parse(const char *s, int *year, int *quarter);

/* "+08:00", "+0800", "+08", "-05:30", "Z", "UTC" (= 0) -> minutes east of
 * UTC, at most STATUS_UTC_OFFSET_MAX either way. */
int status_offset_parse(const char *s, int *minutes);
/* "+08:00", "-05:30", "+00:00"; out holds 8 bytes. */
void status_offset_format(int minutes, char out[8]);

/* The instant from which a list of period year-month is late: 00:00 local
 * time of day delivery_day + 1 of the following month (the delivery day
 * itself is on time, to its last millisecond). A list is on time iff its
 * finished_at < this. delivery_day 1..28. */
int64_t status_deadline_ms(int year, int month, int delivery_day, int utc_offset_min);

/* Local date and time of an instant (seconds truncated toward the past). */
void status_local_parts(int64_t utc_ms, int utc_offset_min, int *year, int *month, int *day,
                        int *hour, int *minute, int *second);

/* Local "YYYY-MM-DD HH:MM" (what people read; 17 bytes with the NUL). */
#define STATUS_LOCAL_SZ 17
void status_format_local(int64_t utc_ms, int utc_offset_min, char out[STATUS_LOCAL_SZ]);
/* Local "YYYY-MM-DDTHH:MM:SS+08:00" (ISO 8601 with the offset; 26 bytes). */
#define STATUS_ISO_SZ 26
void status_format_iso(int64_t utc_ms, int utc_offset_min, char out[STATUS_ISO_SZ]);
/* Local "YYYY-MM-DD" of a day number (11 bytes). */
void status_format_day(int32_t days, char out[11]);

/* --as-of: "now" (now_ms), a date "YYYY-MM-DD" (the END of that local day:
 * its last millisecond, "as of the 9th" = at the close of the 9th), or a
 * date and time "YYYY-MM-DD HH:MM[:SS]" / "YYYY-MM-DDTHH:MM[:SS]", local
 * unless followed by "Z" or an offset ("+08:00", "+0800", "-05:30"). */
int status_as_of_parse(const char *s, int64_t now_ms, int utc_offset_min, int64_t *out_ms);

/* Excel's serial date-time (1900 date system, days since 1899-12-30, the
 * fraction the time of day) of the instant's LOCAL time: what a spreadsheet
 * cell holds for a date (Excel has no time zones). */
double status_excel_serial(int64_t utc_ms, int utc_offset_min);

#endif
