/*
 * rh_clock: the two clocks riskhub programs read, in milliseconds.
 *   rh_mono_ms()  CLOCK_MONOTONIC: deadlines, timeouts, durations
 *   rh_wall_ms()  CLOCK_REALTIME, UTC ms since the epoch: timestamps in records
 */
#ifndef RH_CLOCK_H
#define RH_CLOCK_H

#include <stdint.h>

int64_t rh_mono_ms(void);
int64_t rh_wall_ms(void);

#endif
