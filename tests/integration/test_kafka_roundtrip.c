/* A Kafka round trip through the real broker that scripts/kafka.sh starts,
 * reached as the configuration says (config/riskhub.yaml with the environment's
 * RH_KAFKA_BOOTSTRAP, RH_KAFKA_CA and RH_KAFKA_CREDENTIALS: SASL_SSL): idempotent produce with keys
 * and headers, read back read_committed, same bytes, per-key order kept. The
 * topic is a test's own ("rhtest-<hex>.roundtrip", the tests' namespace rule,
 * tests/rhtest/namespace.py) and is deleted at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rh_kafka.h"
#include "rh_log.h"

#define N_MSG 3000
#define N_KEYS 50
#define N_PART 3

static char topic[128];

static rd_kafka_conf_t *base_conf(void) {
  char err[512];
  rh_config_t *cfg = rh_config_load(RH_SOURCE_DIR "/config/riskhub.yaml", err, sizeof err);
  if (!cfg) fail_msg("%s", err);
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(cfg, err, sizeof err);
  rh_config_destroy(cfg);
  if (!conf) fail_msg("%s", err);
  return conf;
}

/* DeleteTopics through the admin API; a failure is reported, not fatal (the
 * test's assertions are about the round trip). */
static void delete_topic(void) {
  char err[512];
  rd_kafka_conf_t *conf = base_conf();
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!rk) {
    fprintf(stderr, "delete %s: %s\n", topic, err);
    return;
  }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteTopic_t *del = rd_kafka_DeleteTopic_new(topic);
  rd_kafka_DeleteTopics(rk, &del, 1, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
  const rd_kafka_DeleteTopics_result_t *res = ev ? rd_kafka_event_DeleteTopics_result(ev) : NULL;
  size_t n = 0;
  const rd_kafka_topic_result_t **tr = res ? rd_kafka_DeleteTopics_result_topics(res, &n) : NULL;
  if (!res || rd_kafka_event_error(ev) || (n == 1 && rd_kafka_topic_result_error(tr[0])))
    fprintf(stderr, "delete %s: %s\n", topic,
            !ev ? "timed out"
                : rd_kafka_event_error(ev) ? rd_kafka_event_error_string(ev)
                                          : rd_kafka_topic_result_error_string(tr[0]));
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_DeleteTopic_destroy(del);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
}

static void make_value(int i, unsigned char *buf, size_t *len) {
  /* binary on purpose: NULs and high bytes must survive */
  *len = 16 + (size_t)(i % 200);
  for (size_t j = 0; j < *len; j++) buf[j] = (unsigned char)((i * 31 + (int)j * 7) & 0xff);
  memcpy(buf, &i, sizeof(i));
}

static void test_produce_consume(void **state) {
  (void)state;
  char err[512];
  snprintf(topic, sizeof(topic), "rhtest-%010llx.roundtrip",
           (unsigned long long)(((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid()) & 0xffffffffffULL);

  rh_producer_t *p = rh_producer_new(base_conf(), NULL, NULL, err, sizeof(err));
  if (!p) fail_msg("%s", err);
  const char *topics[1] = {topic};
  if (rh_kafka_create_topics(rh_producer_handle(p), topics, 1, N_PART, 1, 15000, err, sizeof(err)))
    fail_msg("%s (is scripts/services.sh start running?)", err);

  for (int i = 0; i < N_MSG; i++) {
    char key[32], seq[16];
    unsigned char val[256];
    size_t vlen;
    snprintf(key, sizeof(key), "key-%03d", i % N_KEYS);
    snprintf(seq, sizeof(seq), "%d", i);
    make_value(i, val, &vlen);
    rd_kafka_headers_t *h = rd_kafka_headers_new(2);
    rd_kafka_header_add(h, "seq", -1, seq, -1);
    rd_kafka_header_add(h, "period", -1, "2026-10", -1);
    if (rh_producer_send(p, topic, RD_KAFKA_PARTITION_UA, key, strlen(key), val, vlen, h, NULL,
                         err, sizeof(err)))
      fail_msg("%s", err);
  }
  if (rh_producer_flush(p, 30000, err, sizeof(err))) fail_msg("%s", err);
  assert_int_equal(rh_producer_stats(p)->delivered, N_MSG);
  rh_producer_destroy(p);

  rd_kafka_t *c = rh_consumer_new(base_conf(), topic, err, sizeof(err));
  if (!c) fail_msg("%s", err);
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(N_PART);
  for (int i = 0; i < N_PART; i++)
    rd_kafka_topic_partition_list_add(parts, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
  assert_int_equal(rd_kafka_assign(c, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(parts);

  static int seen[N_MSG];
  int last_seq[N_KEYS], key_part[N_KEYS];
  memset(seen, 0, sizeof(seen));
  for (int k = 0; k < N_KEYS; k++) last_seq[k] = -1, key_part[k] = -1;
  int got = 0, eofs = 0;
  time_t until = time(NULL) + 60;
  while (eofs < N_PART && time(NULL) < until) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 500);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      eofs++;
    } else if (m->err) {
      fail_msg("consume error: %s", rd_kafka_message_errstr(m));
    } else {
      char seqbuf[16], period[16];
      assert_int_equal(rh_kafka_header_get(m, "seq", seqbuf, sizeof(seqbuf)), 0);
      assert_int_equal(rh_kafka_header_get(m, "period", period, sizeof(period)), 0);
      assert_string_equal(period, "2026-10");
      int i = atoi(seqbuf);
      assert_true(i >= 0 && i < N_MSG);
      unsigned char want[256];
      size_t wlen;
      make_value(i, want, &wlen);
      assert_int_equal(m->len, wlen);
      assert_memory_equal(m->payload, want, wlen);
      int k = i % N_KEYS;
      char wkey[32];
      snprintf(wkey, sizeof(wkey), "key-%03d", k);
      assert_int_equal(m->key_len, strlen(wkey));
      assert_memory_equal(m->key, wkey, m->key_len);
      assert_true(i > last_seq[k]); /* per-key order */
      last_seq[k] = i;
      if (key_part[k] < 0) key_part[k] = m->partition;
      assert_int_equal(key_part[k], m->partition); /* one key, one partition */
      seen[i]++;
      got++;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  delete_topic();
  assert_int_equal(got, N_MSG);
  for (int i = 0; i < N_MSG; i++) assert_int_equal(seen[i], 1);
}

int main(void) {
  rh_log_set_level(RH_LOG_WARN);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_produce_consume)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
