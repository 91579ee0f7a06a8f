/* health_judge: riskhub-health's decisions (docs/operations.md, "The hub's
 * health"): two samples of LSO and HW -> ok, open or hanging; a group's lag
 * in a partition; which topics and groups are the namespace's. No broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "health_judge.h"
#include "rh_period.h"

#define WINDOW 10000
#define LIMIT 70000 /* 60 s timeout + the grace */

static void test_txn_none(void **state) {
  (void)state;
  assert_int_equal(health_judge_txn(5, 5, 5, 5, -1, WINDOW, LIMIT), HEALTH_TXN_NONE);
  /* open at the first sample, closed by the second */
  assert_int_equal(health_judge_txn(5, 9, 9, 9, -1, WINDOW, LIMIT), HEALTH_TXN_NONE);
  /* the broker's answer missing: not a verdict on transactions */
  assert_int_equal(health_judge_txn(-1, -1, 5, 9, 999999, WINDOW, LIMIT), HEALTH_TXN_NONE);
  assert_int_equal(health_judge_txn(5, 9, -1, -1, 999999, WINDOW, LIMIT), HEALTH_TXN_NONE);
}

static void test_txn_open(void **state) {
  (void)state;
  /* young, stuck for the window */
  assert_int_equal(health_judge_txn(5, 9, 5, 9, 12000, WINDOW, LIMIT), HEALTH_TXN_OPEN);
  /* old, but the LSO moved: transactions are closing */
  assert_int_equal(health_judge_txn(5, 9, 7, 12, 999999, WINDOW, LIMIT), HEALTH_TXN_OPEN);
  /* nothing open at the first sample: a transaction begun inside the window */
  assert_int_equal(health_judge_txn(5, 5, 5, 9, 999999, WINDOW, LIMIT), HEALTH_TXN_OPEN);
  /* the age unknown: only the window is known, shorter than the limit */
  assert_int_equal(health_judge_txn(5, 9, 5, 9, -1, WINDOW, LIMIT), HEALTH_TXN_OPEN);
  /* exactly at the limit is not beyond it */
  assert_int_equal(health_judge_txn(5, 9, 5, 9, LIMIT, WINDOW, LIMIT), HEALTH_TXN_OPEN);
}

static void test_txn_hanging(void **state) {
  (void)state;
  assert_int_equal(health_judge_txn(5, 9, 5, 9, LIMIT + 1, WINDOW, LIMIT), HEALTH_TXN_HANGING);
  /* more written after it (by healthy producers): still hanging */
  assert_int_equal(health_judge_txn(5, 9, 5, 40, 11 * 60000, WINDOW, LIMIT), HEALTH_TXN_HANGING);
  /* the age unknown, a window longer than the limit */
  assert_int_equal(health_judge_txn(5, 9, 5, 9, -1, 80000, LIMIT), HEALTH_TXN_HANGING);
  /* a producer's clock ahead of ours (age 0): the window still counts */
  assert_int_equal(health_judge_txn(5, 9, 5, 9, 0, 80000, LIMIT), HEALTH_TXN_HANGING);
}

static void test_lag(void **state) {
  (void)state;
  assert_int_equal(health_judge_lag(10, 0, 10), 0);
  assert_int_equal(health_judge_lag(4, 0, 10), 6);
  /* nothing committed: from the low watermark */
  assert_int_equal(health_judge_lag(-1, 0, 10), 10);
  assert_int_equal(health_judge_lag(-1, 3, 10), 7);
  /* committed below what retention kept: from the low watermark */
  assert_int_equal(health_judge_lag(1, 3, 10), 7);
  /* committed past the LSO (a marker after the last record): none */
  assert_int_equal(health_judge_lag(11, 0, 10), 0);
  assert_int_equal(health_judge_lag(4, 0, -1), -1);
}

/* what a read_committed fetch from the start found */
static void test_lag_read(void **state) {
  (void)state;
  /* the commit marker after the last record: nothing to read */
  assert_int_equal(health_judge_lag_read(9, 10, 10), 0);
  assert_int_equal(health_judge_lag_read(9, 10, 12), 0);
  /* aborted records and markers first, then records */
  assert_int_equal(health_judge_lag_read(9, 30, 20), 10);
  /* the first record at the start */
  assert_int_equal(health_judge_lag_read(9, 30, 9), 21);
  /* not known: offsets */
  assert_int_equal(health_judge_lag_read(9, 30, -1), 21);
  assert_int_equal(health_judge_lag_read(9, -1, 20), -1);
}

static void test_names(void **state) {
  (void)state;
  assert_true(health_judge_hub_topic("", "feed.civil.dibao"));
  assert_true(health_judge_hub_topic("", "feed.manifests"));
  assert_true(health_judge_hub_topic("", "feed.rejects"));
  assert_true(health_judge_hub_topic("", "alerts.411024100"));
  assert_true(health_judge_hub_topic("", "checks.unmatched"));
  assert_true(health_judge_hub_topic("", "riskhub.dlq"));
  assert_true(health_judge_hub_topic("", "riskhub-join.changelog"));
  assert_true(health_judge_hub_topic("", "verifications.411024100"));
  assert_true(health_judge_hub_topic("", "outbound.tax.applicants"));
  assert_false(health_judge_hub_topic("", "__consumer_offsets"));
  assert_false(health_judge_hub_topic("", "__transaction_state"));
  assert_false(health_judge_hub_topic("", "rhtest-1a2b.feed.civil.dibao"));
  assert_false(health_judge_hub_topic("", "alerts"));
  assert_true(health_judge_hub_topic("rhtest-1a2b.", "rhtest-1a2b.alerts.411024100"));
  assert_false(health_judge_hub_topic("rhtest-1a2b.", "alerts.411024100"));
  assert_false(health_judge_hub_topic("rhtest-1a2b.", "rhtest-ffff.alerts.411024100"));
  assert_false(health_judge_hub_topic("rhtest-1a2b.", "rhtest-1a2b.other"));

  assert_true(health_judge_hub_group("", "riskhub-join"));
  assert_true(health_judge_hub_group("", "riskhub-join.reader"));
  assert_false(health_judge_hub_group("", "rhtest-1a2b.riskhub-join"));
  assert_false(health_judge_hub_group("", "console-consumer-1"));
  assert_true(health_judge_hub_group("rhtest-1a2b.", "rhtest-1a2b.riskhub-join"));
  assert_false(health_judge_hub_group("rhtest-1a2b.", "riskhub-join"));
}

static void test_join_input(void **state) {
  (void)state;
  assert_true(health_judge_join_input("", "feed.tax.manifests"));
  assert_true(health_judge_join_input("", "feed.tax.rejects")); /* read past */
  assert_false(health_judge_join_input("", "feed.manifests")); /* before 2026-12 */
  assert_true(health_judge_join_input("", "feed.civil-affairs.new-dibao"));
  assert_true(health_judge_join_input("t.", "t.feed.tax.vehicles"));
  assert_false(health_judge_join_input("t.", "feed.tax.vehicles"));
  assert_false(health_judge_join_input("", "feed.rejects"));
  assert_false(health_judge_join_input("", "feed.tax"));
  assert_false(health_judge_join_input("", "feed.tax.vehicles.x"));
  assert_false(health_judge_join_input("", "feed..vehicles"));
  assert_false(health_judge_join_input("", "feed.tax."));
  assert_false(health_judge_join_input("", "feed.Tax.vehicles"));
  assert_false(health_judge_join_input("", "alerts.411024100"));
}

/* a month is overdue a night after its deadline and grace: 2026-10's lists
 * are due by 2026-11-10 24:00 Beijing = 2026-11-10T16:00Z; grace 5 days */
static void test_archive_overdue(void **state) {
  (void)state;
  const int64_t day = 86400000, deadline = 1794326400000; /* 2026-11-10T16:00:00Z */
  const int64_t due = deadline + 5 * day;                   /* grace 5 days */
  assert_false(health_judge_archive_overdue(due, due));           /* due now */
  assert_false(health_judge_archive_overdue(due, due + day - 1)); /* the night */
  assert_true(health_judge_archive_overdue(due, due + day));      /* a day on */
  assert_int_equal(rh_period_deadline_ms(2026, 10, 10, RH_PERIOD_UTC_OFFSET_CN), deadline);
}

static void test_retention_short(void **state) {
  (void)state;
  const int64_t day = 86400000;
  assert_false(health_judge_retention_short(400 * day, 400 * day));
  assert_false(health_judge_retention_short(400 * day, 500 * day));
  assert_true(health_judge_retention_short(400 * day, 7 * day));
  assert_false(health_judge_retention_short(400 * day, -1)); /* kept forever */
  assert_true(health_judge_retention_short(-1, 36500 * day)); /* forever asked */
  assert_false(health_judge_retention_short(-1, -1));
  assert_false(health_judge_retention_short(400 * day, -2)); /* not known: not judged */
}

static void test_txn_names(void **state) {
  (void)state;
  assert_string_equal(health_judge_txn_name(HEALTH_TXN_NONE), "ok");
  assert_string_equal(health_judge_txn_name(HEALTH_TXN_OPEN), "open");
  assert_string_equal(health_judge_txn_name(HEALTH_TXN_HANGING), "hanging");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_txn_none),    cmocka_unit_test(test_txn_open),
      cmocka_unit_test(test_txn_hanging), cmocka_unit_test(test_lag), cmocka_unit_test(test_lag_read),
      cmocka_unit_test(test_names),       cmocka_unit_test(test_join_input),       cmocka_unit_test(test_txn_names),
      cmocka_unit_test(test_retention_short),
      cmocka_unit_test(test_archive_overdue),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
