/* alerts_opts: riskhub-alerts' command line and its plan (townships by code,
 * name and short name; topics and the default consumer group in a topic
 * namespace; windows), with the shipped config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts_opts.h"
#include "rh_config.h"
#include "rh_test.h"
#include "test_alerts_fixture.h"


static void expect_usage(const char *want, ...) {
  /* re-pack the varargs through parse() */
  char *argv[32];
  int argc = 0;
  argv[argc++] = "riskhub-alerts";
  va_list ap;
  va_start(ap, want);
  char *s;
  while ((s = va_arg(ap, char *)) != NULL) argv[argc++] = s;
  va_end(ap);
  argv[argc] = NULL;
  alerts_args_t a;
  char err[512] = "";
  assert_int_equal(alerts_args_parse(argc, argv, &a, err, sizeof err), -1);
  if (!strstr(err, want)) fail_msg("'%s' does not say '%s'", err, want);
}

static void test_args(void **state) {
  (void)state;
  alerts_args_t a;
  char err[512];
  assert_int_equal(parse(&a, err, sizeof err, "--township", "安陵", "--township", "411024101",
                         "--format", "csv", "--no-bom", "--unmasked", "--operator", "李四",
                         "--output", "/tmp/x.csv", "--wait-s", "5", "--follow", "--group", "g",
                         NULL), 0);
  assert_int_equal(a.township_count, 2);
  assert_string_equal(a.townships[0], "安陵");
  assert_string_equal(a.townships[1], "411024101");
  assert_int_equal(a.format, ALERTS_FMT_CSV);
  assert_true(a.no_bom && a.unmasked && a.follow);
  assert_string_equal(a.operator_name, "李四");
  assert_string_equal(a.group, "g");
  assert_int_equal(a.wait_s, 5);
  /* defaults */
  assert_int_equal(parse(&a, err, sizeof err, "--unmatched", NULL), 0);
  assert_int_equal(a.format, ALERTS_FMT_TABLE);
  assert_int_equal(a.wait_s, 30);
  assert_false(a.unmasked || a.follow || a.all);
  assert_int_equal(parse(&a, err, sizeof err, "--help", NULL), 0);
  assert_true(a.help);

  expect_usage("say whose alerts", NULL);
  expect_usage("say whose alerts", "--format", "jsonl", NULL);
  expect_usage("leave out --township", "--all", "--township", "安陵", NULL);
  expect_usage("--format: 'xml'", "--all", "--format", "xml", NULL);
  expect_usage("--from: 'yesterday' is not a date", "--all", "--from", "yesterday", NULL);
  expect_usage("--period: '2026-13'", "--all", "--period", "2026-13", NULL);
  expect_usage("use one or the other", "--all", "--period", "2026-10", "--follow", NULL);
  expect_usage("use one or the other", "--all", "--from", "2026-10-01", "--group", "g", NULL);
  expect_usage("use it with --unmasked", "--all", "--operator", "x", NULL);
  expect_usage("--no-bom is for --format csv", "--all", "--no-bom", NULL);
  expect_usage("--wait-s", "--all", "--wait-s", "0", NULL);
  expect_usage("unknown option '--townships'", "--townships", "安陵", NULL);
  expect_usage("needs a value", "--township", NULL);
  expect_usage("unexpected argument 'extra'", "--all", "extra", NULL);
  expect_usage("--group: empty", "--all", "--group", "", NULL);
  /* --overdue: townships' warnings, read once from the ledger's list */
  expect_usage("--overdue cannot be used with --unmatched", "--all", "--unmatched", "--overdue",
               NULL);
  expect_usage("--overdue cannot be used with --follow", "--all", "--overdue", "--follow", NULL);
  expect_usage("--overdue cannot be used with --group", "--all", "--overdue", "--group", "g",
               NULL);
  expect_usage("--overdue cannot be used with --no-registry", "--all", "--overdue",
               "--no-registry", NULL);
  expect_usage("--overdue-on: 'soon' is not a date", "--all", "--overdue-on", "soon", NULL);
  expect_usage("--overdue cannot be used with --follow", "--all", "--overdue-on", "2026-12-20",
               "--follow", NULL);
  assert_int_equal(parse(&a, err, sizeof err, "--all", "--overdue-on", "2026/12/20", NULL), 0);
  assert_true(a.overdue);
  assert_string_equal(a.overdue_on, "2026/12/20");
}

static void test_plan_townships_and_group(void **state) {
  (void)state;
  alerts_args_t a;
  alerts_plan_t p;
  char err[4096];
  /* by short name, full name and code; repeated ones once; config order */
  assert_int_equal(parse(&a, err, sizeof err, "--township", "马栏镇", "--township", "安陵",
                         "--township", "411024101", NULL), 0);
  assert_int_equal(alerts_plan_make(cfg, &a, "alice", &p, err, sizeof err), 0);
  assert_int_equal(p.township_count, 2);
  assert_string_equal(p.townships[0]->code, "411024100");
  assert_string_equal(p.townships[1]->code, "411024101");
  assert_int_equal(p.topic_count, 2);
  assert_string_equal(p.topics[0], "t0123abcd.alerts.411024100");
  assert_string_equal(p.topics[1], "t0123abcd.alerts.411024101");
  assert_false(p.window);
  assert_string_equal(p.group, "t0123abcd.riskhub-alerts.411024100+411024101.alice");
  assert_int_equal(p.from_ms, -1);
  alerts_plan_free(&p);

  /* the county office: every township and the unmatched */
  assert_int_equal(parse(&a, err, sizeof err, "--all", "--unmatched", NULL), 0);
  assert_int_equal(alerts_plan_make(cfg, &a, "", &p, err, sizeof err), 0);
  assert_int_equal(p.township_count, cfg->township_count);
  assert_int_equal(p.topic_count, cfg->township_count + 1);
  assert_string_equal(p.topics[p.topic_count - 1], "t0123abcd.alerts.unmatched");
  assert_string_equal(p.group, "t0123abcd.riskhub-alerts.all+unmatched.unknown");
  alerts_plan_free(&p);

  assert_int_equal(parse(&a, err, sizeof err, "--unmatched", NULL), 0);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), 0);
  assert_int_equal(p.township_count, 0);
  assert_string_equal(p.group, "t0123abcd.riskhub-alerts.unmatched.bob");
  alerts_plan_free(&p);

  /* --group as given (the prefix is the user's business then) */
  assert_int_equal(parse(&a, err, sizeof err, "--township", "安陵", "--group", "dash-1", NULL), 0);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), 0);
  assert_string_equal(p.group, "dash-1");
  alerts_plan_free(&p);

  /* a township the config does not know: the message says so and lists the known */
  assert_int_equal(parse(&a, err, sizeof err, "--township", "安陵", "--township", "东村", NULL), 0);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), -1);
  assert_non_null(strstr(err, "--township '东村': no such township in "));
  assert_non_null(strstr(err, "411024100 安陵镇"));
  assert_non_null(strstr(err, "411024111 马坊镇"));
  assert_int_equal(p.topic_count, 0);
  assert_int_equal(parse(&a, err, sizeof err, "--township", "411024999", NULL), 0);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), -1);
}

static void test_plan_window(void **state) {
  (void)state;
  alerts_args_t a;
  alerts_plan_t p;
  char err[1024];
  const char *tz = getenv("TZ");
  char saved[64] = "";
  if (tz) snprintf(saved, sizeof saved, "%s", tz);
  setenv("TZ", "Asia/Shanghai", 1);
  tzset();
  assert_int_equal(parse(&a, err, sizeof err, "--township", "安陵", "--from", "2026/10/1",
                         "--period", "2026-10", NULL), 0);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), 0);
  assert_true(p.window);
  assert_string_equal(p.group, "");
  /* within the township's own groups: its party may use no other */
  assert_string_equal(p.window_group, "t0123abcd.riskhub-alerts.411024100.window");
  assert_string_equal(p.from_date, "2026-10-01");
  assert_string_equal(p.period, "2026-10");
  /* local midnight in China = 2026-09-30T16:00:00Z */
  assert_int_equal(p.from_ms, INT64_C(1790784000000));
  alerts_plan_free(&p);
  /* --overdue is a window from the beginning */
  assert_int_equal(parse(&a, err, sizeof err, "--township", "安陵", "--overdue", NULL), 0);
  assert_true(a.overdue);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), 0);
  assert_true(p.window);
  assert_string_equal(p.group, "");
  assert_int_equal(p.from_ms, -1);
  assert_string_equal(p.window_group, "t0123abcd.riskhub-alerts.411024100.window");
  alerts_plan_free(&p);
  if (tz)
    setenv("TZ", saved, 1);
  else
    unsetenv("TZ");
  tzset();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_args),
      cmocka_unit_test(test_plan_townships_and_group),
      cmocka_unit_test(test_plan_window),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
