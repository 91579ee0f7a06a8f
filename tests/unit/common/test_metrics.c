/* rh_metrics, rh_metrics_kafka and rh_metrics_serve: the page's text format,
 * label escaping, the health verdicts (starting, healthy, a problem, stuck),
 * librdkafka's statistics read into lag and broker families, the --metrics
 * address, and the server answering over a real socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "rh_clock.h"
#include "rh_metrics.h"
#include "rh_metrics_kafka.h"
#include "rh_metrics_serve.h"
#include "rh_listen.h"

static char *page_of(rh_metrics_t *m) {
  size_t len = 0;
  assert_int_equal(rh_metrics_publish(m), 0);
  char *p = rh_metrics_page(m, &len);
  assert_non_null(p);
  assert_int_equal(strlen(p), len);
  return p;
}

static void test_page_format(void **state) {
  (void)state;
  rh_metrics_t *m = rh_metrics_new("riskhub-test");
  assert_non_null(m);
  char l[128];
  assert_int_equal(rh_metrics_family(m, "rh_x_total", RH_METRIC_COUNTER, "x things"), 0);
  assert_int_equal(rh_metrics_family(m, "rh_x_total", RH_METRIC_GAUGE, "again: no-op"), 0);
  assert_int_equal(rh_metrics_family(m, "9bad", RH_METRIC_GAUGE, "a bad name"), -1);
  assert_int_equal(rh_metrics_family(m, "bad-name", RH_METRIC_GAUGE, "a bad name"), -1);
  assert_int_equal(rh_metrics_set(m, "undeclared", NULL, 1), -1);
  assert_int_equal(rh_metrics_add(m, "rh_x_total", rh_metrics_labels(l, sizeof l, 1, "topic", "a"), 2), 0);
  assert_int_equal(rh_metrics_add(m, "rh_x_total", rh_metrics_labels(l, sizeof l, 1, "topic", "a"), 3), 0);
  assert_int_equal(rh_metrics_set(m, "rh_x_total",
                                  rh_metrics_labels(l, sizeof l, 2, "topic", "b\"\\\n", "p", "1"), 7), 0);
  char *p = page_of(m);
  assert_non_null(strstr(p, "# HELP rh_x_total x things\n# TYPE rh_x_total counter\n"
                            "rh_x_total{topic=\"a\"} 5\n"
                            "rh_x_total{topic=\"b\\\"\\\\\\n\",p=\"1\"} 7\n"));
  assert_non_null(strstr(p, "riskhub_info{program=\"riskhub-test\"} 1\n"));
  assert_non_null(strstr(p, "riskhub_healthy 1\n"));
  free(p);
  rh_metrics_drop(m, "rh_x_total");
  p = page_of(m);
  assert_non_null(strstr(p, "# TYPE rh_x_total counter\n")); /* declared, no samples */
  assert_null(strstr(p, "rh_x_total{"));
  free(p);
  /* a label set too long for the buffer is NULL, refused by set/add: never cut,
   * never merged into the series without labels */
  char small[8];
  assert_null(rh_metrics_labels(small, sizeof small, 1, "topic", "much too long"));
  assert_int_equal(rh_metrics_add(m, "rh_x_total", NULL, 1), -1);
  /* help text escaped, values the format's way */
  assert_int_equal(rh_metrics_family(m, "rh_y", RH_METRIC_GAUGE, "a \\ and\na line"), 0);
  assert_int_equal(rh_metrics_set(m, "rh_y", rh_metrics_labels(l, sizeof l, 1, "v", "inf"), 1.0 / 0.0), 0);
  assert_int_equal(rh_metrics_set(m, "rh_y", rh_metrics_labels(l, sizeof l, 1, "v", "-inf"), -1.0 / 0.0), 0);
  assert_int_equal(rh_metrics_set(m, "rh_y", rh_metrics_labels(l, sizeof l, 1, "v", "nan"), 0.0 / 0.0), 0);
  assert_int_equal(rh_metrics_set(m, "rh_y", rh_metrics_labels(l, sizeof l, 1, "v", "big"), 1e20), 0);
  p = page_of(m);
  assert_non_null(strstr(p, "# HELP rh_y a \\\\ and\\na line\n# TYPE rh_y gauge\n"
                            "rh_y{v=\"inf\"} +Inf\nrh_y{v=\"-inf\"} -Inf\nrh_y{v=\"nan\"} NaN\n"
                            "rh_y{v=\"big\"} 1e+20\n"));
  free(p);
  rh_metrics_destroy(m);
}

static void test_health(void **state) {
  (void)state;
  rh_metrics_t *m = rh_metrics_new("riskhub-test");
  char out[600];
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms(), out, sizeof out), 503);
  assert_non_null(strstr(out, "starting"));
  assert_int_equal(rh_metrics_publish(m), 0);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms(), out, sizeof out), 200);
  assert_string_equal(out, "ok\n");
  rh_metrics_health(m, "waiting for PostgreSQL: connection refused\nsecond line");
  /* takes effect at the publish */
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms(), out, sizeof out), 200);
  char *p = page_of(m);
  assert_non_null(strstr(p, "riskhub_healthy 0\n"));
  free(p);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms(), out, sizeof out), 503);
  assert_string_equal(out, "waiting for PostgreSQL: connection refused second line\n");
  /* served to anyone: scrubbed as a log line */
  rh_metrics_health(m, "row 3: household of 110101199003077777 password=hunter2");
  rh_metrics_publish(m);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms(), out, sizeof out), 503);
  assert_null(strstr(out, "110101199003077777"));
  assert_null(strstr(out, "hunter2"));
  rh_metrics_health(m, NULL);
  rh_metrics_publish(m);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms() + RH_METRICS_STALE_MS + 5000, out,
                                          sizeof out), 503);
  assert_non_null(strstr(out, "stuck: the service loop has not reported for 65 s"));
  /* a service that blocks longer legitimately sets its bound (never below the default) */
  rh_metrics_stale_ms(m, 150000);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms() + 120000, out, sizeof out), 200);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms() + 155000, out, sizeof out), 503);
  rh_metrics_stale_ms(m, 1000);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms() + 30000, out, sizeof out), 200);
  rh_metrics_destroy(m);
}

/* the shape librdkafka 2.0 reports for a transactional service's consumer */
static const char STATS[] =
    "{\"name\":\"c#consumer-1\",\"type\":\"consumer\",\"time\":1796492207,\"replyq\":3,"
    "\"msg_cnt\":0,"
    "\"brokers\":{"
    "\"sasl_ssl://k:9092/1\":{\"nodeid\":1,\"nodename\":\"k:9092\",\"source\":\"configured\","
    "\"state\":\"UP\",\"txerrs\":2,\"rxerrs\":0,\"req_timeouts\":1,\"rtt\":{\"avg\":19743}},"
    "\"sasl_ssl://k2:9092/2\":{\"nodeid\":2,\"nodename\":\"k2:9092\",\"source\":\"learned\","
    "\"state\":\"DOWN\",\"txerrs\":0,\"rxerrs\":0,\"req_timeouts\":0,\"rtt\":{\"avg\":0}},"
    "\"GroupCoordinator\":{\"nodeid\":1,\"nodename\":\"k:9092\",\"source\":\"logical\","
    "\"state\":\"UP\",\"txerrs\":9,\"rtt\":{\"avg\":1}},"
    "\"sasl_ssl://k:9092/bootstrap\":{\"nodeid\":-1,\"nodename\":\"k:9092\",\"state\":\"UP\"}},"
    "\"topics\":{\"p.feed.health.x\":{\"partitions\":{"
    "\"0\":{\"fetch_state\":\"active\",\"app_offset\":19,\"committed_offset\":-1001,"
    "\"lo_offset\":0,\"hi_offset\":25,\"ls_offset\":25,\"consumer_lag\":-1},"
    "\"1\":{\"fetch_state\":\"active\",\"app_offset\":-1001,\"committed_offset\":-1001,"
    "\"lo_offset\":4,\"hi_offset\":10,\"ls_offset\":10,\"consumer_lag\":-1},"
    "\"2\":{\"fetch_state\":\"active\",\"app_offset\":-1001,\"committed_offset\":-1001,"
    "\"lo_offset\":-1001,\"hi_offset\":-1001,\"ls_offset\":-1001},"
    "\"3\":{\"fetch_state\":\"none\",\"app_offset\":5,\"lo_offset\":0,\"ls_offset\":9},"
    "\"4\":{\"fetch_state\":\"stopped\",\"app_offset\":-1001,\"committed_offset\":10,"
    "\"lo_offset\":0,\"ls_offset\":500},"
    "\"-1\":{\"fetch_state\":\"none\",\"app_offset\":-1001,\"lo_offset\":0,\"ls_offset\":0}"
    "}}},"
    "\"cgrp\":{\"rebalance_cnt\":4,\"assignment_size\":3}}";

static void test_kafka_stats(void **state) {
  (void)state;
  rh_metrics_t *m = rh_metrics_new("riskhub-test");
  assert_int_equal(rh_metrics_kafka_stats(m, "not json", 8), -1);
  assert_int_equal(rh_metrics_kafka_stats(m, STATS, strlen(STATS)), 0);
  char *p = page_of(m);
  /* from the position (no committed offset), before the first record from the log start */
  assert_non_null(strstr(p, "riskhub_consumer_lag{topic=\"p.feed.health.x\",partition=\"0\"} 6\n"));
  assert_non_null(strstr(p, "riskhub_consumer_lag{topic=\"p.feed.health.x\",partition=\"1\"} 6\n"));
  assert_null(strstr(p, "partition=\"2\""));  /* nothing known yet */
  assert_null(strstr(p, "partition=\"3\""));  /* not fetched: not assigned */
  assert_null(strstr(p, "partition=\"4\""));  /* revoked: its committed offset is stale */
  assert_null(strstr(p, "partition=\"-1\""));
  assert_non_null(strstr(p, "riskhub_kafka_brokers_up{client=\"consumer\"} 1\n"));
  assert_non_null(strstr(p, "riskhub_kafka_broker_rtt_avg_seconds{client=\"consumer\",broker=\"k:9092\"} 0.019743\n"));
  assert_non_null(strstr(p, "riskhub_kafka_broker_errors_total{client=\"consumer\",broker=\"k:9092\",kind=\"tx\"} 2\n"));
  assert_non_null(strstr(p, "riskhub_kafka_broker_errors_total{client=\"consumer\",broker=\"k:9092\",kind=\"timeout\"} 1\n"));
  assert_non_null(strstr(p, "riskhub_kafka_rebalances_total{client=\"consumer\"} 4\n"));
  assert_non_null(strstr(p, "riskhub_kafka_assigned_partitions{client=\"consumer\"} 3\n"));
  assert_non_null(strstr(p, "riskhub_kafka_replyq{client=\"consumer\"} 3\n"));
  free(p);
  /* no broker up: the health says so from the second report in a row */
  char body[600];
  rh_metrics_publish(m);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms(), body, sizeof body), 200);
  const char down[] = "{\"type\":\"consumer\",\"brokers\":{\"k:9092/1\":{\"nodeid\":1,"
                      "\"nodename\":\"k:9092\",\"source\":\"configured\",\"state\":\"DOWN\"}}}";
  assert_int_equal(rh_metrics_kafka_stats(m, down, strlen(down)), 0);
  rh_metrics_publish(m);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms(), body, sizeof body), 200);
  assert_int_equal(rh_metrics_kafka_stats(m, down, strlen(down)), 0);
  rh_metrics_publish(m);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms(), body, sizeof body), 503);
  assert_string_equal(body, "Kafka unavailable: none of the 1 broker(s) up for 2 reports\n");
  p = page_of(m);
  assert_non_null(strstr(p, "riskhub_healthy 0\n"));
  free(p);
  /* the service's own problem goes first */
  rh_metrics_health(m, "waiting for PostgreSQL: x");
  rh_metrics_publish(m);
  rh_metrics_health_page(m, rh_mono_ms(), body, sizeof body);
  assert_string_equal(body, "waiting for PostgreSQL: x\n");
  rh_metrics_health(m, NULL);
  /* a broker up again: healthy */
  assert_int_equal(rh_metrics_kafka_stats(m, STATS, strlen(STATS)), 0);
  rh_metrics_publish(m);
  assert_int_equal(rh_metrics_health_page(m, rh_mono_ms(), body, sizeof body), 200);
  /* the next report replaces the lag: a revoked partition's goes */
  const char next[] = "{\"type\":\"consumer\",\"topics\":{}}";
  assert_int_equal(rh_metrics_kafka_stats(m, next, strlen(next)), 0);
  p = page_of(m);
  assert_null(strstr(p, "riskhub_consumer_lag{"));
  free(p);
  rh_metrics_destroy(m);
}

static void test_listen_parse(void **state) {
  (void)state;
  char host[64], err[256];
  int port;
  assert_int_equal(rh_listen_parse("127.0.0.1:9400", host, sizeof host, &port, err, sizeof err), 0);
  assert_string_equal(host, "127.0.0.1");
  assert_int_equal(port, 9400);
  assert_int_equal(rh_listen_parse(":0", host, sizeof host, &port, err, sizeof err), 0);
  assert_string_equal(host, "");
  assert_int_equal(port, 0);
  assert_int_equal(rh_listen_parse("[::1]:80", host, sizeof host, &port, err, sizeof err), 0);
  assert_string_equal(host, "::1");
  static const char *const bad[] = {"9400", "", "host:", "host:65536", "host:-1", "host:9x",
                                    "::1:80", "[::1:80", "host:123456", "[]:80", "[::1]",
                                    "[::1]x:80"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    assert_int_equal(rh_listen_parse(bad[i], host, sizeof host, &port, err, sizeof err), -1);
    assert_true(strstr(err, bad[i]) != NULL);
  }
}

/* GET path from 127.0.0.1:port over a plain socket: the whole answer */
static char *http_get(int port, const char *method, const char *path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  char req[256];
  int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\n\r\n", method, path);
  assert_int_equal(write(fd, req, (size_t)n), n);
  size_t cap = 1 << 16, len = 0;
  char *buf = calloc(1, cap);
  ssize_t r;
  while ((r = read(fd, buf + len, cap - len - 1)) > 0) len += (size_t)r;
  close(fd);
  return buf;
}

static void test_server(void **state) {
  (void)state;
  rh_metrics_t *m = rh_metrics_new("riskhub-test");
  char err[256];
  rh_listener_t l;
  assert_int_equal(rh_listen("127.0.0.1:0", &l, err, sizeof err), 0);
  rh_metrics_server_t *s = rh_metrics_serve(m, &l, err, sizeof err);
  assert_non_null(s);
  int port = rh_metrics_server_port(s);
  assert_true(port > 0);
  char *a = http_get(port, "GET", "/healthz");
  assert_non_null(strstr(a, "HTTP/1.0 503") ? a : strstr(a, "HTTP/1.1 503"));
  assert_non_null(strstr(a, "starting"));
  free(a);
  rh_metrics_publish(m);
  a = http_get(port, "GET", "/healthz");
  assert_true(strstr(a, " 200 ") && strstr(a, "\r\n\r\nok\n"));
  free(a);
  a = http_get(port, "GET", "/metrics");
  assert_true(strstr(a, " 200 ") && strstr(a, "text/plain; version=0.0.4") &&
              strstr(a, "riskhub_info{program=\"riskhub-test\"} 1"));
  free(a);
  a = http_get(port, "POST", "/metrics");
  assert_true(strstr(a, " 405 ") && strstr(a, "Allow: GET, HEAD"));
  free(a);
  a = http_get(port, "GET", "/other");
  assert_non_null(strstr(a, " 404 "));
  free(a);
  /* the port is taken: a clear error */
  char addr[32];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  assert_int_equal(rh_listen(addr, &l, err, sizeof err), -1);
  assert_non_null(strstr(err, "Address already in use"));
  assert_true(l.in_use);
  assert_int_equal(rh_listen("no-such-host.invalid:0", &l, err, sizeof err), -1);
  assert_false(l.in_use);
  rh_metrics_end(m, s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_page_format), cmocka_unit_test(test_health),
      cmocka_unit_test(test_kafka_stats), cmocka_unit_test(test_listen_parse),
      cmocka_unit_test(test_server),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
