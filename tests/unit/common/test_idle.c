/* rh_idle: the idle clock (--idle-exit-ms) and the away clock (--wait-s) of a
 * service's quiet polls, step by step with made-up times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <string.h>

#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_idle.h"
#include "rh_log.h"
#include "rh_test.h"

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

/* rh_idle_poll on the mock cluster: the record comes back to the caller (the
 * idle clock stopped), the partition's EOF event after it is noted as its end
 * and never returned as a record. */
static void test_poll_record_then_end(void **state) {
  (void)state;
  char err[256];
  rd_kafka_t *host;
  rd_kafka_conf_t *pc;
  rd_kafka_mock_cluster_t *mc = rh_test_mock_cluster(&host, "feed.a.b", 1, &pc);
  const char *boot = rd_kafka_mock_cluster_bootstraps(mc);
  rd_kafka_t *prod = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
  assert_non_null(prod);
  assert_int_equal(rd_kafka_producev(prod, RD_KAFKA_V_TOPIC("feed.a.b"), RD_KAFKA_V_PARTITION(0),
                                     RD_KAFKA_V_VALUE("x", 1), RD_KAFKA_V_END),
                   RD_KAFKA_RESP_ERR_NO_ERROR);
  assert_int_equal(rd_kafka_flush(prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(prod);

  rd_kafka_conf_t *cc = rd_kafka_conf_new();
  assert_int_equal(rd_kafka_conf_set(cc, "bootstrap.servers", boot, err, sizeof err),
                   RD_KAFKA_CONF_OK);
  assert_int_equal(rd_kafka_conf_set(cc, "group.id", "idle-poll", err, sizeof err),
                   RD_KAFKA_CONF_OK);
  assert_int_equal(rd_kafka_conf_set(cc, "enable.partition.eof", "true", err, sizeof err),
                   RD_KAFKA_CONF_OK);
  rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
  assert_non_null(consumer);
  rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(one, "feed.a.b", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  assert_int_equal(rd_kafka_assign(consumer, one), RD_KAFKA_RESP_ERR_NO_ERROR);
  rh_end_t e;
  rh_end_init(&e);
  assert_int_equal(rh_end_assign(&e, one), 0);

  rh_idle_t c;
  rh_idle_init(&c, 60000, -1); /* an idle clock that never ends the test */
  int records = 0;
  int64_t deadline = rh_mono_ms() + 20000;
  while ((records == 0 || e.parts[0].eof < 0) && rh_mono_ms() < deadline) {
    rd_kafka_message_t *m = NULL;
    assert_int_equal(rh_idle_poll(&c, &e, consumer, 100, consumer, 1000, &m), RH_IDLE_GO_ON);
    if (m) {
      assert_int_equal(m->err, RD_KAFKA_RESP_ERR_NO_ERROR);
      assert_int_equal(m->offset, 0);
      assert_int_equal(c.idle_since, -1);
      assert_int_equal(e.parts[0].eof, -1);
      records++;
      rd_kafka_message_destroy(m);
    }
  }
  assert_int_equal(records, 1);
  assert_int_equal(e.parts[0].eof, 1); /* the end after the record */

  rh_end_free(&e);
  rd_kafka_topic_partition_list_destroy(one);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
}

/* the loops' reading of a verdict: go on, stop idle (exit 0), stop away (69) */
static void test_stops(void **state) {
  (void)state;
  int rc = 0;
  bool idle = false;
  assert_false(rh_idle_stops(RH_IDLE_GO_ON, &rc, &idle));
  assert_int_equal(rc, 0);
  assert_false(idle);
  assert_true(rh_idle_stops(RH_IDLE_EXIT, &rc, &idle));
  assert_int_equal(rc, 0);
  assert_true(idle);
  idle = false;
  assert_true(rh_idle_stops(RH_IDLE_AWAY, &rc, &idle));
  assert_int_equal(rc, RH_EXIT_UNAVAILABLE);
  assert_false(idle);
}

int main(void) {
  rh_log_set_level(RH_LOG_ERROR); /* the steps' warnings are not the test's */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_probe_interval), cmocka_unit_test(test_idle_runs_only_at_the_end),
      cmocka_unit_test(test_unanswered_pauses_idle), cmocka_unit_test(test_away_clock),
      cmocka_unit_test(test_poll_record_then_end), cmocka_unit_test(test_stops)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
