/* status_verify: the state classes, a step's outcome as a state, days
 * overdue (as-of's local day, UTC+08:00), the per township and per
 * department tallies (unknown department, a township not in the config), the
 * lists on time per department from a report, the confirmed share, and the
 * verification grids. A small config of our own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_config.h"
#include "rh_period.h"
#include "status_grid.h"
#include "status_report.h"
#include "status_verify.h"

static const char YAML[] =
    "county: {code: \"411024\", name: 鄢陵县}\n"
    "kafka: {bootstrap.servers: 127.0.0.1:19092}\n"
    "postgres: {conninfo: \"host=127.0.0.1\"}\n"
    "townships:\n"
    "  - {code: \"411024100\", name: 安陵镇}\n"
    "  - {code: \"411024101\", name: 马栏镇}\n"
    "departments:\n"
    "  - code: civil-affairs\n"
    "    name: 民政局\n"
    "    feeds:\n"
    "      - {code: new-dibao, name: 新增农村低保对象, kind: signal, risk: LOW_INCOME,\n"
    "         columns: {id_number: 身份证号}}\n"
    "      - {code: temp-aid, name: 临时救助对象, kind: signal, risk: LOW_INCOME,\n"
    "         columns: {id_number: 身份证号}}\n"
    "  - code: medical-insurance\n"
    "    name: 医疗保障局\n"
    "    feeds:\n"
    "      - {code: high-self-pay, name: 个人自付医疗费用较高人员, kind: signal, risk: ILLNESS,\n"
    "         columns: {id_number: 身份证号}}\n"
    "deadlines: {delivery_day: 10, home_visit_days: 3, comparison_days: 5, "
    "procedure_working_days: 20}\n";

#define CST 480

/* UTC ms of a China Standard Time calendar time */
static int64_t cst(int y, int mo, int d, int h, int mi, int s) {
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h - 8,
                  .tm_min = mi, .tm_sec = s};
  return (int64_t)timegm(&tm) * 1000;
}

/* days since 1970 of a calendar date */
static int32_t day(int y, int mo, int d) {
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d};
  return (int32_t)(timegm(&tm) / 86400);
}

static int setup(void **state) {
  char err[512];
  rh_config_t *cfg = rh_config_load_string(YAML, strlen(YAML), "test.yaml", err, sizeof err);
  if (!cfg) fprintf(stderr, "%s\n", err);
  *state = cfg;
  return cfg ? 0 : -1;
}

static int teardown(void **state) {
  rh_config_destroy(*state);
  return 0;
}

static void test_classes(void **state) {
  (void)state;
  static const char *const open[] = {"PUSHED", "RECEIVED", "VERIFYING", "UNREACHABLE", "NEW?"};
  for (size_t i = 0; i < 5; i++) assert_int_equal(status_verify_class(open[i]), STATUS_V_OPEN);
  assert_int_equal(status_verify_class(NULL), STATUS_V_OPEN);
  static const char *const inc[] = {"PROPOSED", "INCLUDED", "ASSISTING", "RISK_ELIMINATED"};
  for (size_t i = 0; i < 4; i++) assert_int_equal(status_verify_class(inc[i]), STATUS_V_INCLUDED);
  assert_int_equal(status_verify_class("DISMISSED"), STATUS_V_NOT_INCLUDED);
  assert_int_equal(status_verify_class("ALREADY_MONITORED"), STATUS_V_ALREADY_MONITORED);
  assert_int_equal(status_verify_class("WITHDRAWN"), STATUS_V_WITHDRAWN);
  assert_string_equal(status_verify_step_state("WITHDRAWN"), "WITHDRAWN");
  assert_string_equal(status_verify_step_state("NOT_INCLUDED"), "DISMISSED");
  assert_string_equal(status_verify_step_state("VERIFYING"), "VERIFYING");
  assert_string_equal(status_verify_step_state("UNREACHABLE"), "UNREACHABLE");
  assert_string_equal(status_verify_step_state("INCLUDED"), "INCLUDED");
  assert_string_equal(status_verify_step_state("ALREADY_MONITORED"), "ALREADY_MONITORED");
  assert_null(status_verify_step_state("PUSHED"));
  assert_null(status_verify_step_state(NULL));
}

static void test_days_overdue(void **state) {
  (void)state;
  int32_t today = day(2026, 12, 6);
  assert_int_equal(status_verify_days_overdue(STATUS_V_OPEN, true, today - 1, today), 1);
  assert_int_equal(status_verify_days_overdue(STATUS_V_OPEN, true, today - 9, today), 9);
  assert_int_equal(status_verify_days_overdue(STATUS_V_OPEN, true, today, today), 0);
  assert_int_equal(status_verify_days_overdue(STATUS_V_OPEN, true, today + 3, today), 0);
  assert_int_equal(status_verify_days_overdue(STATUS_V_OPEN, false, today - 9, today), 0);
  assert_int_equal(status_verify_days_overdue(STATUS_V_INCLUDED, true, today - 9, today), 0);
  assert_int_equal(status_verify_days_overdue(STATUS_V_NOT_INCLUDED, true, today - 9, today), 0);
}

static void test_as_of_day_is_the_countys(void **state) {
  const rh_config_t *cfg = *state;
  /* 07:59 UTC+08:00 on the 6th is still the 5th in UTC: the county's day is the 6th */
  status_verify_t *v = status_verify_new(cfg, cst(2026, 12, 6, 7, 59, 0), false, CST);
  assert_non_null(v);
  assert_int_equal(v->as_of_day, day(2026, 12, 6));
  assert_false(v->as_of_now);
  /* due the 5th: one day overdue on the county's 6th */
  status_verify_add(v, "411024100", "civil-affairs", "PUSHED", true, day(2026, 12, 5), 1);
  assert_int_equal(v->townships[0].overdue, 1);
  assert_int_equal(v->townships[0].overdue_days_max, 1);
  status_verify_destroy(v);
}

static void test_tallies(void **state) {
  const rh_config_t *cfg = *state;
  int32_t today = day(2026, 12, 6);
  status_verify_t *v = status_verify_new(cfg, cst(2026, 12, 6, 23, 0, 0), true, CST);
  assert_non_null(v);
  /* 安陵镇: 3 pushed open (due 4 days ago), 2 unreachable (due 2 days ago), 1 verifying
   * due today, 4 included, 2 proposed, 3 dismissed, 1 already monitored */
  status_verify_add(v, "411024100", "civil-affairs", "PUSHED", true, today - 4, 3);
  status_verify_add(v, "411024100", "medical-insurance", "UNREACHABLE", true, today - 2, 2);
  status_verify_add(v, "411024100", "civil-affairs", "VERIFYING", true, today, 1);
  status_verify_add(v, "411024100", "civil-affairs", "INCLUDED", true, today - 9, 4);
  status_verify_add(v, "411024100", "medical-insurance", "PROPOSED", true, today - 9, 2);
  status_verify_add(v, "411024100", "medical-insurance", "DISMISSED", true, today - 9, 3);
  status_verify_add(v, "411024100", "", "ALREADY_MONITORED", false, 0, 1);
  /* 马栏镇: 2 of an unknown department (rows before 011), open, no visit_due */
  status_verify_add(v, "411024101", NULL, "PUSHED", false, 0, 2);
  /* a township not in the config: not counted */
  status_verify_add(v, "411024199", "civil-affairs", "PUSHED", true, today - 30, 5);

  const status_vtally_t *a = &v->townships[0], *m = &v->townships[1];
  assert_int_equal(a->pushed, 16);
  assert_int_equal(a->verified, 10);
  assert_int_equal(a->included, 6);
  assert_int_equal(a->not_included, 3);
  assert_int_equal(a->already_monitored, 1);
  assert_int_equal(a->open, 6);
  assert_int_equal(a->overdue, 5);
  assert_int_equal(a->overdue_days_max, 4);
  assert_int_equal(a->overdue_days_total, 3 * 4 + 2 * 2);
  assert_int_equal(m->pushed, 2);
  assert_int_equal(m->open, 2);
  assert_int_equal(m->overdue, 0);
  assert_int_equal(v->other_townships, 5);
  assert_int_equal(v->total.pushed, 18);
  assert_int_equal(v->total.overdue, 5);

  const status_vtally_t *civil = &v->departments[0], *med = &v->departments[1],
                        *unknown = &v->departments[2];
  assert_int_equal(civil->pushed, 8);
  assert_int_equal(civil->verified, 4);
  assert_int_equal(civil->included, 4);
  assert_int_equal(status_verify_share_permille(civil), 1000);
  assert_int_equal(med->pushed, 7);
  assert_int_equal(med->verified, 5);
  assert_int_equal(med->included, 2);
  assert_int_equal(status_verify_share_permille(med), 400);
  assert_true(status_verify_has_unknown(v));
  assert_int_equal(unknown->pushed, 3);
  assert_int_equal(unknown->verified, 1);
  assert_int_equal(status_verify_share_permille(unknown), 0);
  status_vtally_t none = {0};
  assert_int_equal(status_verify_share_permille(&none), -1);
  status_vtally_t third = {.verified = 3, .included = 1};
  assert_int_equal(status_verify_share_permille(&third), 333);
  status_vtally_t two_thirds = {.verified = 3, .included = 2};
  assert_int_equal(status_verify_share_permille(&two_thirds), 667);
  /* withdrawn (a corrected list), due 9 days ago: pushed only, not open, verified
   * nor overdue */
  status_verify_add(v, "411024101", "civil-affairs", "WITHDRAWN", true, today - 9, 3);
  assert_int_equal(m->pushed, 5);
  assert_int_equal(m->withdrawn, 3);
  assert_int_equal(m->open, 2);
  assert_int_equal(m->verified, 0);
  assert_int_equal(m->overdue, 0);
  status_verify_destroy(v);
}

/* lists per department from a report, and the grids as CSV would show them */
static void test_lists_and_grids(void **state) {
  const rh_config_t *cfg = *state;
  char err[256];
  int64_t as_of = cst(2026, 11, 29, 17, 0, 0);
  status_report_t *r = status_report_new(cfg, 2026, 10, 1, 0, as_of, CST, err, sizeof err);
  assert_non_null(r);
  /* dibao on time, temp-aid late, self-pay missing */
  assert_int_equal(status_report_add_manifest(r, "civil-affairs", "new-dibao", "2026-10",
                                              "a1a1", cst(2026, 11, 5, 10, 0, 0), 3, 3, 0), 0);
  assert_int_equal(status_report_add_manifest(r, "civil-affairs", "temp-aid", "2026-10",
                                              "b2b2", cst(2026, 11, 12, 10, 0, 0), 3, 3, 0), 0);
  assert_int_equal(status_report_finish(r), 0);
  status_verify_t *v = status_verify_new(cfg, as_of, false, CST);
  assert_non_null(v);
  status_verify_lists(v, r);
  assert_int_equal(v->departments[0].lists, 2);
  assert_int_equal(v->departments[0].lists_on_time, 1);
  assert_int_equal(v->departments[1].lists, 1);
  assert_int_equal(v->departments[1].lists_on_time, 0);
  assert_int_equal(v->total.lists, 3);
  assert_int_equal(v->total.lists_on_time, 1);
  status_verify_add(v, "411024100", "civil-affairs", "INCLUDED", true, day(2026, 11, 20), 1);
  status_verify_add(v, "411024100", "civil-affairs", "DISMISSED", true, day(2026, 11, 20), 2);
  status_verify_add(v, "411024101", "civil-affairs", "PUSHED", true, day(2026, 11, 20), 1);

  status_grid_t *t = status_grid_verify_townships(r, v);
  assert_non_null(t);
  assert_int_equal(t->nrows, 3); /* two townships and the total */
  assert_string_equal(t->cols[0].key, "period");
  assert_string_equal(t->cols[3].key, "pushed");
  assert_string_equal(t->cols[11].key, "overdue_days_total");
  char buf[64];
  assert_string_equal(status_cell_text(t, status_grid_cell(t, 1, 1), true, buf, sizeof buf),
                      "411024101");
  assert_int_equal(status_grid_cell(t, 1, 9)->value, 1);  /* overdue */
  assert_int_equal(status_grid_cell(t, 1, 10)->value, 9); /* 11-20 .. 11-29 */
  assert_int_equal(t->row_flags[2], STATUS_ROW_TOTAL);
  status_grid_destroy(t);

  status_grid_t *d = status_grid_verify_departments(r, v);
  assert_non_null(d);
  assert_int_equal(d->nrows, 3); /* two departments (no unknown) and the total */
  assert_string_equal(status_grid_cell(d, 0, 1)->text, "civil-affairs");
  assert_int_equal(status_grid_cell(d, 0, 3)->value, 2); /* lists */
  assert_int_equal(status_grid_cell(d, 0, 4)->value, 1); /* on time */
  assert_int_equal(status_grid_cell(d, 0, 5)->value, 4); /* warnings */
  assert_int_equal(status_grid_cell(d, 0, 6)->value, 3); /* verified */
  assert_int_equal(status_grid_cell(d, 0, 7)->value, 1); /* confirmed */
  assert_string_equal(status_grid_cell(d, 0, 8)->text, "0.333");
  assert_string_equal(status_grid_cell(d, 0, 9)->text, "33.3%");
  assert_int_equal(status_grid_cell(d, 1, 8)->kind, STATUS_CELL_EMPTY); /* nothing verified */
  status_grid_destroy(d);
  status_verify_destroy(v);
  status_report_destroy(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_classes), cmocka_unit_test(test_days_overdue),
      cmocka_unit_test(test_as_of_day_is_the_countys), cmocka_unit_test(test_tallies),
      cmocka_unit_test(test_lists_and_grids)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
