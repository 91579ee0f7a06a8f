/* rh_end: records remaining in a partition, the states the idle clock gets
 * without asking a broker (docs/join.md, "Exits"), and a slow broker's late
 * answer (librdkafka's mock cluster). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rh_end.h"
#include "rh_test.h"

#include <librdkafka/rdkafka_mock.h>

static void test_remaining(void **state) {
  (void)state;
  /* at its end: the EOF offset counts (past the transaction marker) */
  assert_int_equal(rh_end_remaining_of(101, 100, 0, 101), 0);
  /* not at its end: from the group's committed offset; the marker counts as one */
  assert_int_equal(rh_end_remaining_of(-1, 100, 0, 101), 1);
  assert_int_equal(rh_end_remaining_of(-1, 40, 0, 3400040), 3400000);
  /* nothing ever committed: from the low watermark */
  assert_int_equal(rh_end_remaining_of(-1, -1, 7, 57), 50);
  assert_int_equal(rh_end_remaining_of(-1, -1, 0, 0), 0);
  /* never negative (the LSO may be behind what was read of a later answer) */
  assert_int_equal(rh_end_remaining_of(60, 60, 0, 50), 0);
  /* no answer: unknown */
  assert_int_equal(rh_end_remaining_of(101, 100, 0, -1), -1);
  assert_int_equal(rh_end_remaining_of(-1, -1, -1, 10), -1);
}

/* what is known without a broker: no assignment -> UNKNOWN, an empty one -> NONE
 * (never "at its end": the partitions another instance holds may come here) */
static void test_states_without_broker(void **state) {
  (void)state;
  char err[256];
  uint64_t total = 99;
  rh_end_t e;
  rh_end_init(&e);
  assert_int_equal(rh_end_check(&e, NULL, 100, err, sizeof err), RH_END_UNKNOWN);
  assert_int_equal(rh_end_report(&e, NULL, NULL, 100, &total), RH_END_UNKNOWN);
  assert_int_equal(total, 0);
  rd_kafka_topic_partition_list_t *none = rd_kafka_topic_partition_list_new(0);
  assert_int_equal(rh_end_assign(&e, none), 0);
  assert_int_equal(rh_end_check(&e, NULL, 100, err, sizeof err), RH_END_NONE);
  assert_int_equal(rh_end_report(&e, NULL, NULL, 100, &total), RH_END_AT_END);
  rd_kafka_topic_partition_list_t *two = rd_kafka_topic_partition_list_new(2);
  rd_kafka_topic_partition_list_add(two, "feed.a.b", 0);
  rd_kafka_topic_partition_list_add(two, "feed.a.b", 1);
  assert_int_equal(rh_end_assign(&e, two), 0);
  assert_int_equal(e.n, 2);
  assert_true(e.known);
  assert_int_equal(e.parts[1].partition, 1);
  assert_int_equal(e.parts[1].eof, -1);
  e.parts[0].eof = 5;
  rh_end_forget(&e);
  assert_int_equal(e.parts[0].eof, -1);
  /* a rewind of one partition: the other keeps its end */
  e.parts[0].eof = 5;
  e.parts[1].eof = 7;
  rh_end_forget_partition(&e, "feed.a.b", 1);
  assert_int_equal(e.parts[0].eof, 5);
  assert_int_equal(e.parts[1].eof, -1);
  rh_end_forget_partition(&e, "feed.x.y", 0);
  assert_int_equal(e.parts[0].eof, 5);
  rh_end_revoke(&e);
  assert_false(e.known);
  assert_int_equal(rh_end_check(&e, NULL, 100, err, sizeof err), RH_END_UNKNOWN);
  rd_kafka_topic_partition_list_destroy(none);
  rd_kafka_topic_partition_list_destroy(two);
  rh_end_free(&e);
  rh_end_free(&e);
}

/* A slow broker (the mock cluster's round-trip time): an answer later than the
 * query's limit is no answer, never "at its end" (a frozen broker's late answer
 * must not lend the idle clock its frozen time). */
static void test_late_answer_is_no_answer(void **state) {
  (void)state;
  char err[256];
  rd_kafka_t *host;
  rd_kafka_conf_t *c;
  rd_kafka_mock_cluster_t *mc = rh_test_mock_cluster(&host, "feed.a.b", 1, &c);
  rd_kafka_t *probe = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  assert_non_null(probe);

  rh_end_t e;
  rh_end_init(&e);
  rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(one, "feed.a.b", 0);
  assert_int_equal(rh_end_assign(&e, one), 0);
  e.parts[0].eof = 0; /* reached the end of the empty partition */
  assert_int_equal(rh_end_check(&e, probe, 5000, err, sizeof err), RH_END_AT_END);
  rd_kafka_mock_broker_set_rtt(mc, 1, 1500);
  /* rh_kafka_watermarks gives up at its limit ("did not answer"); an answer
   * that still came late would say "took N ms to answer" */
  assert_int_equal(rh_end_check(&e, probe, 500, err, sizeof err), RH_END_UNKNOWN);
  assert_true(strstr(err, "did not answer for feed.a.b [0]") != NULL ||
              strstr(err, "to answer for feed.a.b [0] (limit 500 ms)") != NULL);
  rd_kafka_mock_broker_set_rtt(mc, 1, 0);
  assert_int_equal(rh_end_check(&e, probe, 5000, err, sizeof err), RH_END_AT_END);

  rd_kafka_topic_partition_list_destroy(one);
  rh_end_free(&e);
  rd_kafka_destroy(probe);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_remaining),
      cmocka_unit_test(test_states_without_broker),
      cmocka_unit_test(test_late_answer_is_no_answer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
