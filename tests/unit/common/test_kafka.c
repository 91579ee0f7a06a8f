/* rh_kafka against librdkafka's mock cluster: delivery accounting, queue-full
 * retry, and a broker that goes away mid-batch (delivery must fail, loudly). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>

#include "rh_kafka.h"
#include "rh_log.h"

typedef struct {
  rd_kafka_t *host; /* owns the mock cluster */
  rd_kafka_mock_cluster_t *mc;
  char bootstrap[256];
} mock_t;

static int mock_setup(void **state) {
  static mock_t m;
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  m.host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!m.host) return -1;
  m.mc = rd_kafka_mock_cluster_new(m.host, 1);
  if (!m.mc) return -1;
  snprintf(m.bootstrap, sizeof(m.bootstrap), "%s", rd_kafka_mock_cluster_bootstraps(m.mc));
  rd_kafka_mock_topic_create(m.mc, "t.rh", 3, 1);
  *state = &m;
  rh_log_set_level(RH_LOG_ERROR);
  return 0;
}

static int mock_teardown(void **state) {
  mock_t *m = *state;
  rd_kafka_mock_cluster_destroy(m->mc);
  rd_kafka_destroy(m->host);
  return 0;
}

typedef struct {
  int calls;
  int errors;
  int64_t max_offset;
} dr_count_t;

static void count_dr(void *ctx, const rd_kafka_message_t *msg) {
  dr_count_t *c = ctx;
  c->calls++;
  if (msg->err) c->errors++;
  else if (msg->offset > c->max_offset) c->max_offset = msg->offset;
}

static rh_producer_t *make_producer(mock_t *m, const char *extra_key, const char *extra_val,
                                    dr_count_t *c) {
  char err[512];
  rd_kafka_conf_t *conf = rh_kafka_conf_new();
  assert_int_equal(rh_kafka_conf_set(conf, "bootstrap.servers", m->bootstrap, err, sizeof(err)), 0);
  if (extra_key)
    assert_int_equal(rh_kafka_conf_set(conf, extra_key, extra_val, err, sizeof(err)), 0);
  rh_producer_t *p = rh_producer_new(conf, count_dr, c, err, sizeof(err));
  if (!p) fail_msg("%s", err);
  return p;
}

static void test_conf_errors_name_the_key(void **state) {
  (void)state;
  char err[512];
  rd_kafka_conf_t *conf = rh_kafka_conf_new();
  assert_int_equal(rh_kafka_conf_set(conf, "no.such.property", "1", err, sizeof(err)), -1);
  assert_non_null(strstr(err, "kafka.no.such.property: "));
  assert_int_equal(rh_kafka_conf_set(conf, "acks", "sometimes", err, sizeof(err)), -1);
  assert_non_null(strstr(err, "kafka.acks: "));
  rd_kafka_conf_destroy(conf);
}

static void test_all_delivered(void **state) {
  mock_t *m = *state;
  dr_count_t c = {0, 0, -1};
  char err[512];
  /* a tiny queue forces the queue-full path to be exercised */
  rh_producer_t *p = make_producer(m, "queue.buffering.max.messages", "10", &c);
  for (int i = 0; i < 500; i++) {
    char key[32], val[64];
    snprintf(key, sizeof(key), "k%d", i % 17);
    snprintf(val, sizeof(val), "value %d", i);
    rd_kafka_headers_t *h = rd_kafka_headers_new(1);
    rd_kafka_header_add(h, "row", -1, key, -1);
    assert_int_equal(rh_producer_send(p, "t.rh", RD_KAFKA_PARTITION_UA, key, strlen(key), val,
                                      strlen(val), h, NULL, err, sizeof(err)), 0);
  }
  assert_int_equal(rh_producer_flush(p, 10000, err, sizeof(err)), 0);
  const rh_producer_stats_t *st = rh_producer_stats(p);
  assert_int_equal(st->sent, 500);
  assert_int_equal(st->delivered, 500);
  assert_int_equal(st->failed, 0);
  assert_int_equal(c.calls, 500);
  assert_int_equal(c.errors, 0);
  assert_true(c.max_offset >= 0);
  assert_int_equal(rh_producer_fatal(p, err, sizeof(err)), 0);
  rh_producer_destroy(p);
}

static void test_broker_down_is_a_failure(void **state) {
  mock_t *m = *state;
  dr_count_t c = {0, 0, -1};
  char err[512];
  rh_producer_t *p = make_producer(m, "message.timeout.ms", "1500", &c);
  /* one message through first, so the producer is fully connected */
  assert_int_equal(rh_producer_send(p, "t.rh", 0, "a", 1, "x", 1, NULL, NULL, err, sizeof(err)), 0);
  assert_int_equal(rh_producer_flush(p, 10000, err, sizeof(err)), 0);
  rd_kafka_mock_broker_set_down(m->mc, 1);
  for (int i = 0; i < 20; i++)
    assert_int_equal(rh_producer_send(p, "t.rh", 0, "b", 1, "y", 1, NULL, NULL, err, sizeof(err)), 0);
  assert_int_equal(rh_producer_flush(p, 8000, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "20 of 21 messages not delivered"));
  assert_int_equal(rh_producer_stats(p)->failed, 20);
  assert_int_equal(c.errors, 20);
  rd_kafka_mock_broker_set_up(m->mc, 1);
  rh_producer_destroy(p);
}

static void test_destroy_null(void **state) {
  (void)state;
  rh_producer_destroy(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conf_errors_name_the_key),
      cmocka_unit_test(test_all_delivered),
      cmocka_unit_test(test_broker_down_is_a_failure),
      cmocka_unit_test(test_destroy_null),
  };
  return cmocka_run_group_tests(tests, mock_setup, mock_teardown);
}
