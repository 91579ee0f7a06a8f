#include "rh_clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t ms_of(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rh_clock_parse_utc(const char *s, int64_t *ms) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  if (!s || strlen(s) != 20) return -1;
  const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end) return -1;
  struct tm norm = tm; /* timegm normalises its argument */
  time_t t = timegm(&norm);
  struct tm back;
  /* strptime takes 2026-02-30; the round trip does not */
  if (!gmtime_r(&t, &back) || back.tm_mday != tm.tm_mday || back.tm_mon != tm.tm_mon) return -1;
  *ms = (int64_t)t * 1000;
  return 0;
}

int64_t rh_mono_ms(void) { return ms_of(CLOCK_MONOTONIC); }

void rh_sleep_ms(int64_t ms) {
  if (ms <= 0) return;
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

#ifdef RH_SIMULATED_CLOCK
/* demo builds only: see rh_clock.h */
static pthread_once_t sim_once = PTHREAD_ONCE_INIT;
static int sim_state;         /* rh_clock_simulated() */
static int64_t sim_shift_ms;  /* simulated - real */

static void sim_init(void) {
  const char *s = getenv("RH_SIMULATED_NOW");
  int64_t at;
  if (!s || !*s) return;
  if (rh_clock_parse_utc(s, &at)) {
    sim_state = -1;
    return;
  }
  sim_shift_ms = at - ms_of(CLOCK_REALTIME);
  sim_state = 1;
}

int rh_clock_simulated(void) {
  pthread_once(&sim_once, sim_init);
  return sim_state;
}

int64_t rh_wall_ms(void) {
  pthread_once(&sim_once, sim_init);
  return ms_of(CLOCK_REALTIME) + sim_shift_ms;
}
#else
int rh_clock_simulated(void) { return 0; }

int64_t rh_wall_ms(void) { return ms_of(CLOCK_REALTIME); }
#endif

void rh_deadline_in(struct timespec *ts, clockid_t clock, int64_t ms) {
  clock_gettime(clock, ts);
  ts->tv_sec += (time_t)(ms / 1000);
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}
