/* rh_idle: the idle clock (--idle-exit-ms) and the away clock (--wait-s) of a
 * service's quiet polls, step by step with made-up times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rh_idle.h"
#include "rh_log.h"

static void test_probe_interval(void **state) {
  (void)state;
  rh_idle_t c;
  rh_idle_init(&c, 2000, -1);
  assert_int_equal(c.probe_ms, 500); /* a quarter of the idle time */
  rh_idle_init(&c, 100, -1);
  assert_int_equal(c.probe_ms, 50); /* at least 50 ms */
  rh_idle_init(&c, 0, 30);
  assert_int_equal(c.probe_ms, 1000); /* at most 1 s */
}

static void test_idle_runs_only_at_the_end(void **state) {
  (void)state;
  rh_idle_t c;
  rh_idle_init(&c, 1000, -1);
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 10000, ""), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 10999, ""), RH_IDLE_GO_ON);
  /* behind: the clock starts again from the next "at end" */
  assert_int_equal(rh_idle_step(&c, RH_END_BEHIND, true, 11000, "x: 3 left"), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 11500, ""), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 12499, ""), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 12500, ""), RH_IDLE_EXIT);
  /* a record stops it */
  rh_idle_busy(&c);
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 13000, ""), RH_IDLE_GO_ON);
  /* nothing assigned is never idle */
  assert_int_equal(rh_idle_step(&c, RH_END_NONE, true, 20000, "none"), RH_IDLE_GO_ON);
  assert_int_equal(c.idle_since, -1);
}

static void test_unanswered_pauses_idle(void **state) {
  (void)state;
  rh_idle_t c;
  rh_idle_init(&c, 1000, -1); /* no --wait-s: away never exits */
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 0, ""), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_UNKNOWN, true, 900, "no answer"), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_UNKNOWN, true, 100000, "no answer"), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 100001, ""), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 101001, ""), RH_IDLE_EXIT);
}

static void test_away_clock(void **state) {
  (void)state;
  rh_idle_t c;
  rh_idle_init(&c, 0, 5); /* --wait-s 5, no idle exit */
  /* before any assignment nothing is known: not away */
  assert_int_equal(rh_idle_step(&c, RH_END_UNKNOWN, false, 0, "no answer"), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_UNKNOWN, false, 60000, "no answer"), RH_IDLE_GO_ON);
  assert_int_equal(c.away_since, -1);
  /* assigned: away from the first unanswered check */
  assert_int_equal(rh_idle_step(&c, RH_END_UNKNOWN, true, 61000, "no answer"), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_UNKNOWN, true, 65999, "no answer"), RH_IDLE_GO_ON);
  /* an answer (behind or at end) resets it */
  assert_int_equal(rh_idle_step(&c, RH_END_BEHIND, true, 66000, "2 left"), RH_IDLE_GO_ON);
  assert_int_equal(c.away_since, -1);
  assert_int_equal(rh_idle_step(&c, RH_END_UNKNOWN, true, 67000, "no answer"), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_UNKNOWN, true, 72000, "no answer"), RH_IDLE_AWAY);
  /* idle never exits without --idle-exit-ms */
  rh_idle_init(&c, 0, -1);
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 0, ""), RH_IDLE_GO_ON);
  assert_int_equal(rh_idle_step(&c, RH_END_AT_END, true, 1000000, ""), RH_IDLE_GO_ON);
}

int main(void) {
  rh_log_set_level(RH_LOG_ERROR); /* the steps' warnings are not the test's */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_probe_interval), cmocka_unit_test(test_idle_runs_only_at_the_end),
      cmocka_unit_test(test_unanswered_pauses_idle), cmocka_unit_test(test_away_clock)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
