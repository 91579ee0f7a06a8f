/* scale_month: the months riskhub-scale counts (docs/scale.md). */
#ifndef SCALE_MONTH_H
#define SCALE_MONTH_H

#include <stdint.h>

/* "YYYY-MM" of the month k months before period (a valid YYYY-MM) into out. */
void scale_month_before(const char *period, int k, char out[16]);

/* --period's value into out: YYYY-MM as it is; "current" the county's month
 * at now_ms (UTC+08:00); "previous" the month before it (the lists of the
 * month before arrive by the 10th of this one). 0, or -1 (none of these). */
int scale_month_resolve(const char *arg, int64_t now_ms, char out[16]);

#endif
