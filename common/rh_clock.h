/*
 * rh_clock: the two clocks riskhub programs read, in milliseconds.
 *   rh_mono_ms()  CLOCK_MONOTONIC: deadlines, timeouts, durations
 *   rh_wall_ms()  CLOCK_REALTIME, UTC ms since the epoch: timestamps in records
 *
 * Simulated time (demo builds only). A build configured with
 * -DRH_SIMULATED_CLOCK=ON (scripts/build.sh sim -> build-sim/; never the
 * release or asan build, never installed) reads RH_SIMULATED_NOW
 * ("YYYY-MM-DDTHH:MM:SSZ", UTC) once: rh_wall_ms() then starts at that instant
 * and runs on with the real clock. scripts/demo.sh uses it so that each
 * department's riskhub-produce publishes "on its delivery day" (the
 * BatchManifest's started_at/finished_at, the records' produced_at). Nothing
 * else moves: rh_mono_ms(), time(), librdkafka's clocks and the Kafka
 * timestamps stay real. In every other build RH_SIMULATED_NOW is ignored, so a
 * department's production riskhub-produce has no way to set its delivery
 * time (tests/unit/common/test_clock.c checks both), and `cmake --install` of a
 * demo build refuses.
 *
 * Thread-safe; none of these fails.
 */
#ifndef RH_CLOCK_H
#define RH_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t rh_mono_ms(void);
int64_t rh_wall_ms(void);
/* Sleeps ms milliseconds of the monotonic clock; a signal ends it early (the
 * caller's loop looks at its stop flag and its deadline). */
void rh_sleep_ms(int64_t ms);

/* *ts: clock's now plus ms (for pthread_cond_timedwait on that clock:
 * CLOCK_REALTIME, or CLOCK_MONOTONIC for a condition variable set so). */
void rh_deadline_in(struct timespec *ts, clockid_t clock, int64_t ms);

/* 1: rh_wall_ms() is simulated (a demo build with a valid RH_SIMULATED_NOW);
 * 0: it is the real clock; -1: a demo build whose RH_SIMULATED_NOW is set but
 * not "YYYY-MM-DDTHH:MM:SSZ" (the real clock is used: callers should say so). */
int rh_clock_simulated(void);

/* "YYYY-MM-DDTHH:MM:SSZ" -> UTC ms since the epoch. 0, or -1 if s is not
 * exactly that (every build has it; exposed for tests). */
int rh_clock_parse_utc(const char *s, int64_t *ms);

#endif
