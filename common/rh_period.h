/*
 * rh_period: the county's month, "YYYY-MM", and when its lists are due
 * (docs/status.md, "Deadlines and time zone"): by the end of the day
 * deadlines.delivery_day (1..28) of the following month, local time (a fixed
 * offset from UTC in minutes; UTC+08:00 for China). Shared by riskhub-status
 * (on time or late) and riskhub-replay's monthly archive (due after the
 * deadline and a grace period).
 *
 * riskhub-scale and riskhub-identity resolve their --period here.
 *
 * Pure functions: no allocation, thread-safe.
 */
#ifndef RH_PERIOD_H
#define RH_PERIOD_H

#include <stdint.h>

#define RH_PERIOD_UTC_OFFSET_CN (8 * 60) /* minutes: China Standard Time */

/* The instant from which a list of year-month is late: 00:00 local time of
 * day delivery_day + 1 of the following month (UTC ms). */
int64_t rh_period_deadline_ms(int year, int month, int delivery_day, int utc_offset_min);

/* The local calendar day of an instant (UTC ms), days since 1970-01-01
 * (floor, also before 1970): "today in the county" is
 * rh_period_local_days(rh_wall_ms(), RH_PERIOD_UTC_OFFSET_CN), whatever the
 * host's time zone. */
int32_t rh_period_local_days(int64_t utc_ms, int utc_offset_min);

/* "YYYY-MM" of the month k months before period (a valid YYYY-MM) into out. */
void rh_period_before(const char *period, int k, char out[16]);

/* A program's --period into out: YYYY-MM as it is; "current" the county's
 * month at now_ms (UTC+08:00); "previous" the month before it (the lists of
 * the month before arrive by the delivery day of this one). 0, or -1 (none of
 * these). */
int rh_period_resolve(const char *arg, int64_t now_ms, char out[16]);

/* (Parsing "YYYY-MM": rh_parse_period, rh_parse.h.) */

#endif
