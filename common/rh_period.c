/* rh_period: see rh_period.h. */
#include "rh_period.h"

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
