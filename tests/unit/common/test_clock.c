/* rh_clock: the simulated clock exists only in demo builds (common/rh_clock.h).
 * Built twice: test_clock links the build's common library (release, asan: the
 * variable must be ignored; build-sim: followed), test_clock_sim compiles
 * rh_clock.c with RH_SIMULATED_CLOCK (tests/CMakeLists.txt). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rh_clock.h"

#define SIM_NOW "2026-11-05T02:12:00Z" /* 10:12 on the 5th in 鄢陵县 */
#define SIM_NOW_MS INT64_C(1793844720000)

static int64_t real_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_parse_utc(void **state) {
  (void)state;
  int64_t ms = 0;
  assert_int_equal(rh_clock_parse_utc(SIM_NOW, &ms), 0);
  assert_true(ms == SIM_NOW_MS);
  assert_int_equal(rh_clock_parse_utc("1970-01-01T00:00:00Z", &ms), 0);
  assert_true(ms == 0);
  assert_int_equal(rh_clock_parse_utc("2028-02-29T23:59:59Z", &ms), 0);
  const char *bad[] = {NULL, "", "2026-11-05T02:12:00", "2026-11-05 02:12:00Z",
                       "2026-11-05T02:12:00+08:00", "2026-11-05T02:12Z", "2026-02-30T00:00:00Z",
                       "2026-11-05T02:12:00Zx", "1793931120000", "now"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(rh_clock_parse_utc(bad[i], &ms), -1);
}

/* RH_SIMULATED_NOW was set to SIM_NOW before the first clock call (main) */
static void test_wall_clock(void **state) {
  (void)state;
#ifdef RH_SIMULATED_CLOCK
  assert_int_equal(rh_clock_simulated(), 1);
  int64_t a = rh_wall_ms();
  assert_true(a >= SIM_NOW_MS && a < SIM_NOW_MS + 10000);
  usleep(30000);
  int64_t b = rh_wall_ms();
  assert_true(b >= a + 25 && b < a + 10000); /* runs on with the real clock */
#else
  /* a release build ignores it: no way to set a delivery time */
  assert_int_equal(rh_clock_simulated(), 0);
  int64_t w = rh_wall_ms(), r = real_ms();
  assert_true(w > r - 5000 && w < r + 5000);
#endif
  int64_t m0 = rh_mono_ms();
  usleep(10000);
  assert_true(rh_mono_ms() >= m0 + 9);
}

/* a value that is not a time: the real clock, and -1 (0 in a release build) */
static void test_bad_value_real_clock(void **state) {
  (void)state;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* the clock reads the variable once a process: a new image */
    setenv("RH_SIMULATED_NOW", "2026-11-05", 1);
    execl("/proc/self/exe", "test_clock", "--child-bad-value", (char *)NULL);
    _exit(99);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
}

static int child_bad_value(void) {
#ifdef RH_SIMULATED_CLOCK
  if (rh_clock_simulated() != -1) return 1;
#else
  if (rh_clock_simulated() != 0) return 1;
#endif
  int64_t w = rh_wall_ms(), r = real_ms();
  return (w > r - 5000 && w < r + 5000) ? 0 : 2;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--child-bad-value") == 0) return child_bad_value();
  setenv("RH_SIMULATED_NOW", SIM_NOW, 1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_utc),
      cmocka_unit_test(test_wall_clock),
      cmocka_unit_test(test_bad_value_real_clock),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
