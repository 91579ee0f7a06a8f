/* riskhub-alerts --identity without a broker: its command line and plan (a
 * township's own topic and groups, the bureau's with --all and --unmatched,
 * what it refuses), and the entries it writes for a version of a discrepancy:
 * the table's line (the kind's 中文 term, the ID number masked, names shown),
 * JSON lines read back with jansson, CSV; the ID number masked even when the
 * caller asks otherwise. */
#include <jansson.h>

#include "alerts_identity_format.h"
#include "rh_discrepancy.h"
#include "test_alerts_fixture.h"

#define PERSON "411024199001011234" /* synthetic */
#define MASKED "411024********1234"

static void test_args_and_plan(void **state) {
  (void)state;
  alerts_args_t a;
  alerts_plan_t p;
  char err[1024];
  /* a township: its own topic, a group within riskhub-alerts.<code>. */
  assert_int_equal(parse(&a, err, sizeof err, "--identity", "--township", "安陵", NULL), 0);
  assert_true(a.identity);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), 0);
  assert_true(p.identity);
  assert_int_equal(p.township_count, 1);
  assert_int_equal(p.topic_count, 1);
  assert_string_equal(p.topics[0], "t0123abcd.identity.411024100");
  assert_string_equal(p.group, "t0123abcd.riskhub-alerts.411024100.identity.bob");
  alerts_plan_free(&p);
  /* a window: the township's window group */
  assert_int_equal(parse(&a, err, sizeof err, "--identity", "--township", "411024100",
                         "--period", "2026-10", NULL), 0);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), 0);
  assert_true(p.window);
  assert_string_equal(p.window_group, "t0123abcd.riskhub-alerts.411024100.window");
  alerts_plan_free(&p);
  /* the county office: every township and unmatched */
  assert_int_equal(parse(&a, err, sizeof err, "--identity", "--all", "--unmatched", NULL), 0);
  assert_int_equal(alerts_plan_make(cfg, &a, "bob", &p, err, sizeof err), 0);
  assert_int_equal(p.topic_count, cfg->township_count + 1);
  assert_string_equal(p.topics[p.topic_count - 1], "t0123abcd.identity.unmatched");
  assert_string_equal(p.group, "t0123abcd.riskhub-alerts.all+unmatched.identity.bob");
  alerts_plan_free(&p);
  /* what --identity cannot go with; and whose */
  static const char *const with[][3] = {{"--unmasked", NULL, NULL},
                                        {"--unmasked", "--operator", "x"},
                                        {"--overdue", NULL, NULL},
                                        {"--no-registry", NULL, NULL}};
  for (size_t i = 0; i < sizeof with / sizeof *with; i++) {
    assert_int_equal(parse(&a, err, sizeof err, "--identity", "--township", "安陵", with[i][0],
                           with[i][1], with[i][2], NULL),
                     -1);
    assert_non_null(strstr(err, "--identity cannot be used with"));
  }
  assert_int_equal(parse(&a, err, sizeof err, "--identity", "--scale", NULL), -1);
  assert_non_null(strstr(err, "--identity cannot be used with --scale"));
  assert_int_equal(parse(&a, err, sizeof err, "--identity", NULL), -1);
  assert_non_null(strstr(err, "--township"));
}

static rh_discrepancy_t record(void) {
  rh_discrepancy_t d = {0};
  d.discrepancy_id = "0123456789abcdef";
  d.status = RH_DISC_OPEN;
  d.version = 1;
  d.kind = "NAME_DIFFERS";
  d.period = "2026-10";
  d.township_code = "411024100";
  d.household_id = "411024100-001-0007";
  d.person_id_number = PERSON;
  d.registry_value = "张三";
  d.list_value = "张三某";
  d.department = "public-security";
  d.feed = "identity";
  d.batch_id = "b1";
  d.since = INT64_C(1793669400000);      /* 2026-11-03T01:30:00Z = 09:30 in the county */
  d.created_at = INT64_C(1793858400123); /* 2026-11-05T06:00:00.123Z */
  d.content = "c0";
  return d;
}

/* unmasked: what a caller might pass; the format masks anyway */
static char *write_all(alerts_format_t fmt, const rh_discrepancy_t *d, size_t n) {
  return write_records(&ALERTS_IDENTITY_FORMAT, fmt, true, d, sizeof *d, n);
}

static void test_table(void **state) {
  (void)state;
  rh_discrepancy_t d[3] = {record(), record(), record()};
  d[1].status = RH_DISC_CLOSED;
  d[1].version = 2;
  d[2].kind = "NOT_IN_REGISTRY"; /* no household, no registry value, a remark with an ID */
  d[2].household_id = "";
  d[2].registry_value = "";
  d[2].list_value = "外来人 " PERSON;
  d[2].township_code = "411024999";
  char *out = write_all(ALERTS_FMT_TABLE, d, 3);
  assert_string_equal(out,
                      "2026-10 [OPEN 待纠正] v1 安陵镇 (411024100) 姓名不一致 NAME_DIFFERS " MASKED
                      " 户 411024100-001-0007: 系统 张三 / 公安 张三某, 始于 2026-11-03 09:30 "
                      "UTC+08:00\n"
                      "2026-10 [CLOSED 已纠正] v2 安陵镇 (411024100) 姓名不一致 NAME_DIFFERS " MASKED
                      " 户 411024100-001-0007: 系统 张三 / 公安 张三某, 始于 2026-11-03 09:30 "
                      "UTC+08:00\n"
                      "2026-10 [OPEN 待纠正] v1 未知乡镇 (411024999) 系统中无此人 NOT_IN_REGISTRY "
                      MASKED " 户 —: 系统 — / 公安 外来人 " MASKED ", 始于 2026-11-03 09:30 "
                      "UTC+08:00\n");
  assert_null(strstr(out, PERSON));
  free(out);
  out = write_all(ALERTS_FMT_TABLE, NULL, 0);
  assert_string_equal(out, "没有新的身份信息差异.\n");
  free(out);
}

static void test_jsonl(void **state) {
  (void)state;
  rh_discrepancy_t d = record();
  char *out = write_all(ALERTS_FMT_JSONL, &d, 1);
  assert_int_equal(strchr(out, '\n')[1], '\0'); /* one line */
  assert_null(strstr(out, PERSON));
  json_error_t e;
  json_t *j = json_loads(out, 0, &e);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "person_id_number")), MASKED);
  assert_string_equal(json_string_value(json_object_get(j, "kind")), "NAME_DIFFERS");
  assert_string_equal(json_string_value(json_object_get(j, "kind_label")), "姓名不一致");
  assert_string_equal(json_string_value(json_object_get(j, "township_name")), "安陵镇");
  assert_string_equal(json_string_value(json_object_get(j, "status")), "OPEN");
  assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
  assert_string_equal(json_string_value(json_object_get(j, "registry_value")), "张三");
  assert_string_equal(json_string_value(json_object_get(j, "list_value")), "张三某");
  assert_string_equal(json_string_value(json_object_get(j, "since")), "2026-11-03T01:30:00.000Z");
  assert_string_equal(json_string_value(json_object_get(j, "created_at")),
                      "2026-11-05T06:00:00.123Z");
  /* every field of Discrepancy.avsc, the kind's term and the township's name */
  assert_int_equal(json_object_size(j), RH_DISC_NFIELDS + 2);
  json_decref(j);
  free(out);
  d.kind = "SOME_NEW_KIND";
  d.township_code = "411024999";
  out = write_all(ALERTS_FMT_JSONL, &d, 1);
  j = json_loads(out, 0, &e);
  assert_non_null(j);
  assert_true(json_is_null(json_object_get(j, "kind_label")));
  assert_true(json_is_null(json_object_get(j, "township_name")));
  json_decref(j);
  free(out);
}

static void test_csv(void **state) {
  (void)state;
  rh_discrepancy_t d = record();
  char *out = write_all(ALERTS_FMT_CSV, &d, 1);
  assert_string_equal(out, "\xEF\xBB\xBF"
                           "discrepancy_id,status,version,kind,kind_label,period,township_code,"
                           "township_name,household_id,person_id_number,registry_value,list_value,"
                           "department,feed,batch_id,since,created_at,content\r\n"
                           "0123456789abcdef,OPEN,1,NAME_DIFFERS,姓名不一致,2026-10,411024100,"
                           "安陵镇,411024100-001-0007," MASKED ",张三,张三某,public-security,"
                           "identity,b1,2026-11-03T01:30:00.000Z,2026-11-05T06:00:00.123Z,c0\r\n");
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_args_and_plan),
                                     cmocka_unit_test(test_table), cmocka_unit_test(test_jsonl),
                                     cmocka_unit_test(test_csv)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
