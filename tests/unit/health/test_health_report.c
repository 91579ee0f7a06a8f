/* health_report: what riskhub-health prints for a given state: the open and
 * hanging partitions, the kafka-transactions commands for the hanging ones
 * only, the lag rows, the verdict; the JSON the same. No broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health_report.h"

static health_part_t part(const char *topic, int32_t p, int64_t lso, int64_t hw, health_txn_t t) {
  health_part_t x = {.partition = p, .leader = 1, .low = 0, .hw0 = hw, .lso0 = lso, .hw = hw,
                     .lso = lso, .txn_ts_ms = -1, .age_ms = -1, .txn = t};
  snprintf(x.topic, sizeof x.topic, "%s", topic);
  if (t != HEALTH_TXN_NONE) {
    x.txn_ts_ms = 1796300000000;
    x.age_ms = t == HEALTH_TXN_HANGING ? 11 * 60000 : 3000;
  }
  return x;
}

typedef struct {
  health_part_t parts[3];
  health_lag_t lags[2];
  health_state_t s;
  health_summary_t sum;
} fixture_t;

static void make(fixture_t *f) {
  memset(f, 0, sizeof *f);
  f->parts[0] = part("t.alerts.411024100", 0, 3, 13, HEALTH_TXN_HANGING);
  f->parts[1] = part("t.alerts.411024100", 1, 7, 9, HEALTH_TXN_OPEN);
  f->parts[2] = part("t.feed.manifests", 0, 4, 4, HEALTH_TXN_NONE);
  f->lags[0] = (health_lag_t){.group = "t.riskhub-join", .topic = "t.feed.manifests",
                              .partitions = 1, .committed = 1, .lag = 150};
  f->lags[1] = (health_lag_t){.group = "t.riskhub-other"};
  f->s = (health_state_t){.parts = f->parts, .n = 3, .lags = f->lags, .nlags = 2, .groups = 2};
  f->sum = (health_summary_t){.prefix = "t.", .window_ms = 10000, .limit_ms = 70000,
                              .max_lag = 100, .now_wall_ms = 1796300660000, .open = 1,
                              .hanging = 1, .lag_over = 1};
}

/* make() without the hanging partition and the lag limit: healthy so far */
static void make_quiet(fixture_t *f) {
  make(f);
  f->parts[0].txn = HEALTH_TXN_NONE;
  f->sum.hanging = f->sum.lag_over = f->sum.open = 0;
  f->sum.max_lag = -1;
}

static char *render(int (*fn)(FILE *, const health_state_t *, const health_summary_t *),
                    const fixture_t *f) {
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  assert_non_null(fp);
  assert_int_equal(fn(fp, &f->s, &f->sum), 0);
  fclose(fp);
  return buf;
}

/* The JSON report of f, parsed; healthy is false in every use here. */
static json_t *unhealthy_json(const fixture_t *f) {
  char *out = render(health_report_json, f);
  json_error_t e;
  json_t *j = json_loads(out, 0, &e);
  free(out);
  assert_non_null(j);
  assert_false(json_is_true(json_object_get(j, "healthy")));
  return j;
}

static void test_table(void **state) {
  (void)state;
  fixture_t f;
  make(&f);
  char *out = render(health_report_table, &f);
  assert_non_null(strstr(out, "namespace \"t.\""));
  assert_non_null(strstr(out, "3 partitions of 2 topics"));
  assert_non_null(strstr(out, "HANGING"));
  assert_non_null(strstr(out, "11 min"));
  assert_non_null(strstr(out, "1 open, 1 hanging"));
  assert_non_null(strstr(out, "find-hanging --broker-id 1 --max-transaction-timeout 0"));
  assert_non_null(strstr(out, "abort --topic t.alerts.411024100 --partition 0 --start-offset 3\n"));
  /* the open one is no command's business */
  assert_null(strstr(out, "--partition 1 "));
  assert_non_null(strstr(out, "150  > --max-lag"));
  assert_non_null(strstr(out, "(no offset committed)"));
  assert_non_null(strstr(out, "UNHEALTHY: 1 hanging"));
  /* the partition without a transaction is not listed */
  assert_null(strstr(out, "t.feed.manifests     0"));
  /* columns as wide as the longest name: the rows line up */
  const char *hl = strstr(out, "  TOPIC "), *rl = strstr(out, "  t.alerts.411024100 ");
  assert_non_null(hl);
  assert_non_null(rl);
  size_t end = (size_t)(strstr(hl, "PART") + 4 - hl); /* the partition column's right edge */
  assert_int_equal(rl[end - 1], '0');
  assert_int_equal(rl[end], ' ');
  free(out);

  /* healthy */
  f.parts[0].txn = HEALTH_TXN_NONE;
  f.sum.hanging = f.sum.lag_over = 0;
  f.sum.max_lag = -1;
  out = render(health_report_table, &f);
  assert_null(strstr(out, "find-hanging"));
  assert_null(strstr(out, "> --max-lag"));
  assert_non_null(strstr(out, "\nhealthy\n"));
  free(out);
}

static void test_json(void **state) {
  (void)state;
  fixture_t f;
  make(&f);
  json_t *j = unhealthy_json(&f);
  assert_int_equal(json_integer_value(json_object_get(j, "hanging")), 1);
  json_t *parts = json_object_get(j, "partitions");
  assert_int_equal(json_array_size(parts), 3);
  assert_string_equal(json_string_value(json_object_get(json_array_get(parts, 0), "state")),
                      "hanging");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(parts, 0), "lso")), 3);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(parts, 0), "hw")), 13);
  json_t *cmds = json_object_get(j, "commands");
  assert_int_equal(json_array_size(cmds), 2);
  assert_string_equal(json_string_value(json_array_get(cmds, 1)),
                      "scripts/kafka.sh transactions abort --topic t.alerts.411024100 "
                      "--partition 0 --start-offset 3");
  json_t *g = json_object_get(j, "groups");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(g, 0), "lag")), 150);
  assert_true(json_is_null(json_object_get(json_array_get(g, 1), "topic")));
  json_decref(j);
}

/* retention: a topic shorter than asked is listed with its kafka-configs command
 * and makes the hub unhealthy; one not known is listed, not judged; the
 * rest is one line */
static void test_retention(void **state) {
  (void)state;
  fixture_t f;
  make_quiet(&f);
  health_retention_t rets[3] = {
      {.topic = "t.alerts.411024100", .cls = RH_TOPIC_ALERTS, .want_ms = 400LL * 86400000,
       .have_ms = 7LL * 86400000, .short_ = true},
      {.topic = "t.feed.manifests", .cls = RH_TOPIC_MANIFESTS, .want_ms = -1, .have_ms = -1},
      {.topic = "t.feed.rejects", .cls = RH_TOPIC_REJECTS, .want_ms = 90000, .have_ms = -2},
  };
  f.s.rets = rets;
  f.s.nrets = 3;
  f.sum.retention_short = 1;
  char *out = render(health_report_table, &f);
  assert_non_null(strstr(out, "Retention: 3 topics"));
  assert_non_null(strstr(out, "t.alerts.411024100 alerts           7d      400d  SHORTER\n"));
  assert_non_null(strstr(out, "t.feed.rejects     rejects           ?       90s  not known\n"));
  assert_null(strstr(out, "t.feed.manifests   manifests")); /* as asked: not listed */
  assert_non_null(strstr(out, "1 shorter than asked, 1 not known"));
  assert_non_null(strstr(out, "scripts/kafka.sh configs --alter --entity-type topics --entity-name "
                              "t.alerts.411024100 --add-config retention.ms=34560000000\n"));
  assert_non_null(strstr(out, "UNHEALTHY: 1 topic(s) keeping records shorter"));
  free(out);

  json_t *j = unhealthy_json(&f);
  assert_int_equal(json_integer_value(json_object_get(j, "retention_short")), 1);
  json_t *r = json_object_get(j, "retention");
  assert_int_equal(json_array_size(r), 3);
  assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "class")), "alerts");
  assert_true(json_is_true(json_object_get(json_array_get(r, 0), "shorter")));
  assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 1), "retention_ms")), -1);
  assert_true(json_is_null(json_object_get(json_array_get(r, 2), "retention_ms")));
  assert_int_equal(json_array_size(json_object_get(j, "commands")), 1);
  json_decref(j);

  /* all as asked: one line, healthy */
  rets[0].have_ms = 400LL * 86400000;
  rets[0].short_ = false;
  rets[2].have_ms = 90000;
  f.sum.retention_short = 0;
  out = render(health_report_table, &f);
  assert_non_null(strstr(out, "every topic keeps its records as long as the configuration asks"));
  assert_null(strstr(out, "configs --alter"));
  assert_non_null(strstr(out, "\nhealthy\n"));
  free(out);
}

/* the monthly archive: overdue months listed with the command that makes
 * them, unhealthy; not known (PostgreSQL away) said; not set: no section */
static void test_archive(void **state) {
  (void)state;
  fixture_t f;
  make_quiet(&f);
  char over[2][8] = {"2026-09", "2026-10"};
  f.s.archive_dir = "/var/lib/riskhub/archive";
  f.s.archive_months = 14;
  f.s.archive_done = 11;
  f.s.archive_overdue = over;
  f.s.archive_noverdue = 2;
  f.sum.archive_overdue = 2;
  f.sum.config_path = "/etc/riskhub/riskhub.yaml";
  char *out = render(health_report_table, &f);
  assert_non_null(strstr(out, "Monthly archive: /var/lib/riskhub/archive\n  14 months in the "
                              "ledger, 11 archived\n"));
  assert_non_null(strstr(out, "OVERDUE (past the deadline, archive.grace and a night, no "
                              "archive): 2026-09 2026-10\n"));
  assert_non_null(strstr(out, "  riskhub-replay --config /etc/riskhub/riskhub.yaml --archive-due\n"));
  assert_non_null(strstr(out, "UNHEALTHY: 2 month(s) past due without their archive;"));
  free(out);
  json_t *j = unhealthy_json(&f);
  json_t *a = json_object_get(j, "archive");
  assert_int_equal(json_integer_value(json_object_get(a, "archived")), 11);
  assert_string_equal(json_string_value(json_array_get(json_object_get(a, "overdue"), 1)),
                      "2026-10");
  assert_true(json_is_null(json_object_get(a, "error")));
  assert_int_equal(json_integer_value(json_object_get(j, "archive_overdue")), 2);
  json_decref(j);

  f.s.archive_noverdue = 0;
  f.sum.archive_overdue = 0;
  snprintf(f.s.archive_error, sizeof f.s.archive_error, "PostgreSQL: connection refused");
  out = render(health_report_table, &f);
  assert_non_null(strstr(out, "  not known: PostgreSQL: connection refused\n"));
  assert_non_null(strstr(out, "\nhealthy\n")); /* the exit code (69) says the rest */
  free(out);

  f.s.archive_dir = NULL;
  out = render(health_report_table, &f);
  assert_null(strstr(out, "Monthly archive"));
  free(out);
}

/* on a cluster: one find-hanging a broker leading a hanging partition */
static void test_find_hanging_per_leader(void **state) {
  (void)state;
  fixture_t f;
  make(&f);
  f.parts[1].txn = HEALTH_TXN_HANGING;
  f.sum.open = 0;
  f.sum.hanging = 2;
  char *out = render(health_report_table, &f);
  const char *first = strstr(out, "find-hanging --broker-id 1 ");
  assert_non_null(first);
  assert_null(strstr(first + 1, "find-hanging"));
  free(out);
  f.parts[1].leader = 2;
  out = render(health_report_table, &f);
  assert_non_null(strstr(out, "find-hanging --broker-id 1 "));
  assert_non_null(strstr(out, "find-hanging --broker-id 2 "));
  assert_non_null(strstr(out, "--partition 1 --start-offset 7\n"));
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_find_hanging_per_leader),
      cmocka_unit_test(test_retention),
      cmocka_unit_test(test_archive),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
