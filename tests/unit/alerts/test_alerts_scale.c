/* riskhub-alerts --scale without a broker: its command line and plan (the
 * county topic, the audit party's groups), and the entries it writes for a
 * version of a scale risk: the table's line (county time), JSON lines read
 * back with jansson, CSV (BOM, header, arrays joined by a space). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_format.h"
#include "alerts_opts.h"
#include "alerts_scale_format.h"
#include "rh_config.h"
#include "rh_scale.h"
#include "rh_test.h"
#include "test_alerts_fixture.h"

static void test_args_and_plan(void **state) {
  (void)state;
  alerts_args_t a;
  alerts_plan_t p;
  char err[1024];
  assert_int_equal(parse(&a, err, sizeof err, "--scale", NULL), 0);
  assert_true(a.scale);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), 0);
  assert_true(p.scale);
  assert_int_equal(p.township_count, 0);
  assert_int_equal(p.topic_count, 1);
  assert_string_equal(p.topics[0], "t0123abcd.riskhub.scale-risks");
  assert_false(p.window);
  assert_string_equal(p.group, "t0123abcd.riskhub-alerts.scale.bob");
  alerts_plan_free(&p);
  /* a window: the audit party's window group */
  assert_int_equal(parse(&a, err, sizeof err, "--scale", "--period", "2026-10", "--format",
                         "jsonl", NULL), 0);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), 0);
  assert_true(p.window);
  assert_string_equal(p.period, "2026-10");
  assert_string_equal(p.window_group, "t0123abcd.riskhub-alerts.window");
  alerts_plan_free(&p);
  assert_int_equal(parse(&a, err, sizeof err, "--scale", "--follow", "--group", "g", NULL), 0);
  /* what --scale cannot go with */
  static const char *const with[][3] = {{"--township", "安陵", NULL}, {"--all", NULL, NULL},
                                        {"--unmatched", NULL, NULL},  {"--unmasked", NULL, NULL},
                                        {"--no-registry", NULL, NULL}};
  for (size_t i = 0; i < sizeof with / sizeof *with; i++) {
    assert_int_equal(parse(&a, err, sizeof err, "--scale", with[i][0], with[i][1], NULL), -1);
    assert_non_null(strstr(err, "--scale cannot be used with"));
  }
  assert_int_equal(parse(&a, err, sizeof err, "--scale", "--overdue", NULL), -1);
  assert_int_equal(parse(&a, err, sizeof err, NULL), -1);
  assert_non_null(strstr(err, "--scale"));
}

static const char *const RISKS[] = {"DISASTER"};
static const char *const HIDS[] = {"411024100-001-0001", "411024100-001-0002"};
static const char *const AIDS[] = {"a1", "b2"};

static rh_scale_record_t record(void) {
  rh_scale_record_t r = {0};
  r.scale_risk_id = "0123456789abcdef0123456789abcdef";
  r.rule_id = "village-flood";
  r.period = "2026-10";
  r.place_level = "village";
  r.township_code = "411024100";
  r.village = "东庄村";
  r.risks = RISKS;
  r.risk_count = 1;
  r.status = RH_SCALE_UPDATED;
  r.version = 2;
  r.households = 7;
  r.place_households = 40;
  r.baseline = 1.0 / 3.0;
  r.household_ids = HIDS;
  r.household_count = 2;
  r.alert_ids = AIDS;
  r.alert_count = 2;
  r.since = INT64_C(1793669400000);      /* 2026-11-03T01:30:00Z = 09:30 in the county */
  r.created_at = INT64_C(1793858400123); /* 2026-11-05T06:00:00.123Z */
  r.content = "c0";
  return r;
}

static char *write_all(alerts_format_t fmt, const rh_scale_record_t *r, size_t n) {
  return write_records(&ALERTS_SCALE_FORMAT, fmt, false, r, sizeof *r, n);
}

static void test_table(void **state) {
  (void)state;
  rh_scale_record_t r[2] = {record(), record()};
  r[1].status = RH_SCALE_RAISED;
  r[1].version = 1;
  r[1].village = "";
  r[1].place_level = "township";
  r[1].township_code = "411024999"; /* not in the configuration */
  char *out = write_all(ALERTS_FMT_TABLE, r, 2);
  assert_string_equal(out,
                      "2026-10 [UPDATED 有变化] v2 village-flood 安陵镇 (411024100) 东庄村: "
                      "预警 7 户 / 共 40 户, 基线 0.3, 始于 2026-11-03 09:30 UTC+08:00\n"
                      "2026-10 [RAISED 新发] v1 village-flood 未知乡镇 (411024999) 全乡镇: "
                      "预警 7 户 / 共 40 户, 基线 0.3, 始于 2026-11-03 09:30 UTC+08:00\n");
  free(out);
  out = write_all(ALERTS_FMT_TABLE, NULL, 0);
  assert_string_equal(out, "没有新的规模性返贫风险.\n");
  free(out);
  char buf[32];
  assert_string_equal(alerts_scale_local(INT64_C(1793669400000), buf, sizeof buf),
                      "2026-11-03 09:30");
}

static void test_jsonl(void **state) {
  (void)state;
  rh_scale_record_t r = record();
  char *out = write_all(ALERTS_FMT_JSONL, &r, 1);
  assert_non_null(strchr(out, '\n'));
  assert_int_equal(strchr(out, '\n')[1], '\0'); /* one line */
  json_error_t e;
  json_t *j = json_loads(out, 0, &e);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "scale_risk_id")), r.scale_risk_id);
  assert_string_equal(json_string_value(json_object_get(j, "township_name")), "安陵镇");
  assert_string_equal(json_string_value(json_object_get(j, "village")), "东庄村");
  assert_string_equal(json_string_value(json_object_get(j, "status")), "UPDATED");
  assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
  assert_int_equal(json_integer_value(json_object_get(j, "households")), 7);
  assert_int_equal(json_integer_value(json_object_get(j, "place_households")), 40);
  assert_true(json_real_value(json_object_get(j, "baseline")) == 1.0 / 3.0);
  assert_int_equal(json_array_size(json_object_get(j, "household_ids")), 2);
  assert_string_equal(json_string_value(json_array_get(json_object_get(j, "alert_ids"), 1)), "b2");
  assert_string_equal(json_string_value(json_array_get(json_object_get(j, "risks"), 0)),
                      "DISASTER");
  assert_string_equal(json_string_value(json_object_get(j, "since")), "2026-11-03T01:30:00.000Z");
  assert_string_equal(json_string_value(json_object_get(j, "created_at")),
                      "2026-11-05T06:00:00.123Z");
  /* every field of ScaleRisk.avsc, and the township's name */
  assert_int_equal(json_object_size(j), RH_SCALE_NFIELDS + 1);
  json_decref(j);
  free(out);
}

static void test_csv(void **state) {
  (void)state;
  rh_scale_record_t r = record();
  char *out = write_all(ALERTS_FMT_CSV, &r, 1);
  assert_string_equal(
      out,
      "\xEF\xBB\xBF"
      "scale_risk_id,rule_id,period,place_level,township_code,township_name,village,risks,"
      "status,version,households,place_households,baseline,household_ids,alert_ids,since,"
      "created_at,content\r\n"
      "0123456789abcdef0123456789abcdef,village-flood,2026-10,village,411024100,安陵镇,东庄村,"
      "DISASTER,UPDATED,2,7,40,0.33333333333333331,411024100-001-0001 411024100-001-0002,"
      "a1 b2,2026-11-03T01:30:00.000Z,2026-11-05T06:00:00.123Z,c0\r\n");
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_args_and_plan),
                                     cmocka_unit_test(test_table), cmocka_unit_test(test_jsonl),
                                     cmocka_unit_test(test_csv)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
