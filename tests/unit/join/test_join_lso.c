/* join_lso: the decision of the LSO check (docs/join.md, "The LSO check"):
 * what the join wrote against the broker's last stable offsets -> ok,
 * waiting, unknown or hanging. No broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "join_lso.h"

#define WINDOW 5000

static void test_judge_reached(void **state) {
  (void)state;
  int64_t since = -1;
  assert_int_equal(join_lso_judge(10, 10, &since, 1000, WINDOW), JOIN_LSO_OK);
  assert_int_equal(join_lso_judge(10, 12, &since, 1000, WINDOW), JOIN_LSO_OK);
  assert_int_equal(since, -1);
}

static void test_judge_below_then_hanging(void **state) {
  (void)state;
  int64_t since = -1;
  assert_int_equal(join_lso_judge(10, 4, &since, 1000, WINDOW), JOIN_LSO_WAITING);
  assert_int_equal(since, 1000);
  assert_int_equal(join_lso_judge(10, 4, &since, 5999, WINDOW), JOIN_LSO_WAITING);
  assert_int_equal(join_lso_judge(10, 4, &since, 6000, WINDOW), JOIN_LSO_HANGING);
  /* the markers came after all: reached, and the state is reset */
  assert_int_equal(join_lso_judge(10, 10, &since, 7000, WINDOW), JOIN_LSO_OK);
  assert_int_equal(since, -1);
}

/* a broker that does not answer is never a verdict, and only time it answers counts */
static void test_judge_no_answer_restarts_window(void **state) {
  (void)state;
  int64_t since = -1;
  assert_int_equal(join_lso_judge(10, 4, &since, 1000, WINDOW), JOIN_LSO_WAITING);
  assert_int_equal(join_lso_judge(10, -1, &since, 5000, WINDOW), JOIN_LSO_UNKNOWN);
  assert_int_equal(since, -1);
  assert_int_equal(join_lso_judge(10, 4, &since, 7000, WINDOW), JOIN_LSO_WAITING);
  assert_int_equal(join_lso_judge(10, 4, &since, 11999, WINDOW), JOIN_LSO_WAITING);
  assert_int_equal(join_lso_judge(10, 4, &since, 12000, WINDOW), JOIN_LSO_HANGING);
}

/* staged records become targets at the end of a transaction (commit or abort),
 * the largest offset + 1 a partition; a sweep keeps only what is not reached */
static void test_targets(void **state) {
  (void)state;
  join_lso_t l;
  join_lso_init(&l);
  assert_int_equal(join_lso_stage(&l, "alerts.a", 0, 7), 0);
  assert_int_equal(join_lso_stage(&l, "alerts.a", 0, 9), 0);
  assert_int_equal(join_lso_stage(&l, "alerts.a", 1, 3), 0);
  assert_int_equal(join_lso_stage(&l, "checks.a", 0, 20), 0);
  assert_int_equal(l.n, 0);
  assert_int_equal(join_lso_end_txn(&l), 0);
  assert_int_equal(l.ntxn, 0);
  assert_int_equal(l.n, 3);
  assert_string_equal(l.parts[0].topic, "alerts.a");
  assert_int_equal(l.parts[0].end, 10);
  assert_int_equal(l.parts[1].end, 4);
  assert_int_equal(l.parts[2].end, 21);
  /* a later transaction raises a target, never lowers it */
  assert_int_equal(join_lso_target(&l, "alerts.a", 0, 8), 0);
  assert_int_equal(l.parts[0].end, 10);
  assert_int_equal(join_lso_target(&l, "alerts.a", 0, 15), 0);
  assert_int_equal(l.parts[0].end, 15);

  /* alerts.a/0: LSO 11 < 15 (a transaction of ours left open); alerts.a/1 reached;
   * checks.a/0 no answer */
  assert_int_equal(join_lso_answer(&l, 0, 11, 100, WINDOW), JOIN_LSO_WAITING);
  assert_int_equal(join_lso_answer(&l, 1, 5, 100, WINDOW), JOIN_LSO_OK);
  assert_int_equal(join_lso_answer(&l, 2, -1, 100, WINDOW), JOIN_LSO_UNKNOWN);
  join_lso_sweep(&l);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.parts[0].topic, "alerts.a");
  assert_int_equal(l.parts[0].partition, 0);
  assert_int_equal(l.parts[0].lso, 11);
  assert_string_equal(l.parts[1].topic, "checks.a");
  assert_int_equal(join_lso_answer(&l, 0, 11, 100 + WINDOW, WINDOW), JOIN_LSO_HANGING);
  assert_int_equal(join_lso_answer(&l, 1, 21, 100 + WINDOW, WINDOW), JOIN_LSO_OK);
  join_lso_sweep(&l);
  assert_int_equal(l.n, 1);
  assert_int_equal(l.parts[0].verdict, JOIN_LSO_HANGING);
  join_lso_free(&l);
  assert_null(l.parts);
  join_lso_free(&l); /* safe twice */
}

/* commits keep raising the target while the LSO follows them, late (a slow
 * commit on a loaded cluster): never hanging; an LSO that stops moving is */
static void test_moving_lso_is_not_hanging(void **state) {
  (void)state;
  join_lso_t l;
  join_lso_init(&l);
  assert_int_equal(join_lso_target(&l, "alerts.x", 0, 10), 0);
  assert_int_equal(join_lso_answer(&l, 0, 4, 1000, WINDOW), JOIN_LSO_WAITING);
  int64_t now = 1000, lso = 4;
  for (int k = 0; k < 10; k++) { /* 10 windows long, the LSO always a step behind */
    now += WINDOW / 2;
    lso = l.parts[0].end;
    assert_int_equal(join_lso_target(&l, "alerts.x", 0, lso + 10), 0);
    assert_int_equal(join_lso_answer(&l, 0, lso, now, WINDOW), JOIN_LSO_WAITING);
  }
  /* the LSO stops at lso while the target stays above it: hanging after a window */
  assert_int_equal(join_lso_answer(&l, 0, lso, now + WINDOW - 1, WINDOW), JOIN_LSO_WAITING);
  assert_int_equal(join_lso_answer(&l, 0, lso, now + WINDOW, WINDOW), JOIN_LSO_HANGING);
  join_lso_free(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_judge_reached),
      cmocka_unit_test(test_judge_below_then_hanging),
      cmocka_unit_test(test_judge_no_answer_restarts_window),
      cmocka_unit_test(test_targets),
      cmocka_unit_test(test_moving_lso_is_not_hanging),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
