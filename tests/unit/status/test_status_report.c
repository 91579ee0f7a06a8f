/* status_report: which list is on time, late, missing or pending, the shown
 * batch and the re-publications, as-of, and the township tallies (distinct
 * alerts, households, checks), for a month and a quarter. A small config of
 * our own; instants from glibc's timegm(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_config.h"
#include "status_report.h"
#include "status_time.h"

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
    "  - code: medical-insurance\n"
    "    name: 医疗保障局\n"
    "    feeds:\n"
    "      - {code: high-self-pay, name: 个人自付医疗费用较高人员, kind: signal, risk: ILLNESS,\n"
    "         columns: {id_number: 身份证号}}\n"
    "  - code: tax\n"
    "    name: 税务局\n"
    "    feeds:\n"
    "      - {code: vehicles, name: 购置车辆人员, kind: check, columns: {id_number: 身份证号}}\n"
    "deadlines: {delivery_day: 10, home_visit_days: 3, comparison_days: 5, "
    "procedure_working_days: 20}\n";

#define CST 480
#define A1 "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define B2 "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
#define C3 "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"

/* UTC ms of a China Standard Time calendar time (timegm of the UTC time) */
static int64_t cst(int y, int mo, int d, int h, int mi, int s) {
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h - 8,
                  .tm_min = mi, .tm_sec = s};
  return (int64_t)timegm(&tm) * 1000;
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

enum { DIBAO, SELF_PAY, VEHICLES };

static status_report_t *month(const rh_config_t *cfg, int64_t as_of) {
  char err[256];
  status_report_t *r = status_report_new(cfg, 2026, 10, 1, 0, as_of, CST, err, sizeof err);
  assert_non_null(r);
  return r;
}

/* the month's manifests, in a scrambled order */
static void add_month(status_report_t *r) {
  /* dibao: on time on the 5th; the same file again on the 6th; a corrected list on the 20th */
  assert_int_equal(status_report_add_manifest(r, "civil-affairs", "new-dibao", "2026-10", C3,
                                              cst(2026, 11, 20, 9, 0, 0), 12, 11, 1), 0);
  assert_int_equal(status_report_add_manifest(r, "civil-affairs", "new-dibao", "2026-10", A1,
                                              cst(2026, 11, 5, 10, 12, 0), 10, 9, 1), 0);
  assert_int_equal(status_report_add_manifest(r, "civil-affairs", "new-dibao", "2026-10", A1,
                                              cst(2026, 11, 6, 8, 0, 0), 10, 9, 1), 0);
  /* self-pay: at 00:00 on the 11th (late, one day), again on the 15th */
  assert_int_equal(status_report_add_manifest(r, "medical-insurance", "high-self-pay", "2026-10",
                                              B2, cst(2026, 11, 15, 12, 0, 0), 5, 5, 0), 0);
  assert_int_equal(status_report_add_manifest(r, "medical-insurance", "high-self-pay", "2026-10",
                                              B2, cst(2026, 11, 11, 0, 0, 0), 5, 5, 0), 0);
  /* not counted: another month, a feed not in the config, after as-of */
  assert_int_equal(status_report_add_manifest(r, "tax", "vehicles", "2026-09", A1,
                                              cst(2026, 10, 3, 0, 0, 0), 1, 1, 0), 0);
  assert_int_equal(status_report_add_manifest(r, "tax", "real-estate", "2026-10", A1,
                                              cst(2026, 11, 3, 0, 0, 0), 1, 1, 0), 0);
  assert_int_equal(status_report_add_manifest(r, "tax", "vehicles", "2026-10", A1,
                                              cst(2026, 12, 3, 0, 0, 0), 1, 1, 0), 0);
}

static void test_month_states(void **state) {
  const rh_config_t *cfg = *state;
  status_report_t *r = month(cfg, cst(2026, 11, 29, 17, 0, 0));
  assert_string_equal(r->period[0], "2026-10");
  assert_true(r->deadline_ms[0] == cst(2026, 11, 11, 0, 0, 0));
  add_month(r);
  assert_int_equal(status_report_finish(r), 0);

  status_list_t *l = status_report_list(r, DIBAO, 0);
  assert_int_equal(l->state, STATUS_ON_TIME);
  assert_true(l->has_batch);
  assert_string_equal(l->shown.batch_id, A1);
  assert_true(l->shown.finished_at == cst(2026, 11, 5, 10, 12, 0));
  assert_int_equal(l->shown.rows_accepted, 9);
  assert_int_equal(l->shown.rows_rejected, 1);
  assert_int_equal(l->manifests, 3);
  assert_int_equal(l->batches, 2);
  assert_int_equal(l->republished, 2);
  assert_int_equal(l->days_late, 0);

  l = status_report_list(r, SELF_PAY, 0);
  assert_int_equal(l->state, STATUS_LATE);
  assert_true(l->shown.finished_at == cst(2026, 11, 11, 0, 0, 0));
  assert_int_equal(l->days_late, 1);
  assert_int_equal(l->manifests, 2);
  assert_int_equal(l->batches, 1);
  assert_int_equal(l->republished, 1);

  l = status_report_list(r, VEHICLES, 0);
  assert_int_equal(l->state, STATUS_MISSING);
  assert_false(l->has_batch);
  assert_int_equal(l->manifests, 0);
  assert_int_equal(l->republished, 0);

  assert_int_equal(r->state_counts[0][STATUS_ON_TIME], 1);
  assert_int_equal(r->state_counts[0][STATUS_LATE], 1);
  assert_int_equal(r->state_counts[0][STATUS_MISSING], 1);
  assert_int_equal(r->state_counts[1][STATUS_MISSING], 1);
  assert_int_equal(r->manifests_other_feeds, 1);
  assert_int_equal(r->manifests_after_as_of, 1);
  assert_false(status_report_all_on_time(r));
  status_report_destroy(r);
}

static void test_as_of(void **state) {
  const rh_config_t *cfg = *state;
  /* the last millisecond of the 10th: nothing is missing yet; self-pay's
   * manifests finished later, so they do not exist yet */
  status_report_t *r = month(cfg, cst(2026, 11, 11, 0, 0, 0) - 1);
  add_month(r);
  status_report_finish(r);
  assert_int_equal(status_report_list(r, DIBAO, 0)->state, STATUS_ON_TIME);
  assert_int_equal(status_report_list(r, DIBAO, 0)->republished, 1); /* the corrected list is later */
  assert_int_equal(status_report_list(r, SELF_PAY, 0)->state, STATUS_PENDING);
  assert_int_equal(status_report_list(r, VEHICLES, 0)->state, STATUS_PENDING);
  assert_false(status_report_all_on_time(r));
  status_report_destroy(r);

  /* at the deadline itself: missing; a manifest finished at as-of counts */
  r = month(cfg, cst(2026, 11, 11, 0, 0, 0));
  add_month(r);
  status_report_finish(r);
  assert_int_equal(status_report_list(r, SELF_PAY, 0)->state, STATUS_LATE);
  assert_int_equal(status_report_list(r, SELF_PAY, 0)->manifests, 1);
  assert_int_equal(status_report_list(r, VEHICLES, 0)->state, STATUS_MISSING);
  status_report_destroy(r);

  /* before anything */
  r = month(cfg, cst(2026, 11, 1, 0, 0, 0));
  add_month(r);
  status_report_finish(r);
  assert_int_equal(r->state_counts[0][STATUS_PENDING], 3);
  status_report_destroy(r);
}

static void test_all_on_time(void **state) {
  const rh_config_t *cfg = *state;
  status_report_t *r = month(cfg, cst(2026, 11, 29, 0, 0, 0));
  /* the last second of the 10th is on time */
  status_report_add_manifest(r, "civil-affairs", "new-dibao", "2026-10", A1,
                             cst(2026, 11, 10, 23, 59, 59) + 999, 1, 1, 0);
  status_report_add_manifest(r, "medical-insurance", "high-self-pay", "2026-10", B2,
                             cst(2026, 10, 31, 23, 0, 0), 1, 1, 0);
  status_report_add_manifest(r, "tax", "vehicles", "2026-10", C3, cst(2026, 11, 1, 0, 0, 0), 0,
                             0, 0);
  status_report_finish(r);
  assert_int_equal(r->state_counts[0][STATUS_ON_TIME], 3);
  assert_true(status_report_all_on_time(r));
  status_report_destroy(r);
}

static void test_december_quarter(void **state) {
  const rh_config_t *cfg = *state;
  char err[256];
  status_report_t *r =
      status_report_new(cfg, 2026, 10, 3, 4, cst(2027, 1, 10, 23, 59, 59), CST, err, sizeof err);
  assert_non_null(r);
  assert_string_equal(r->period[0], "2026-10");
  assert_string_equal(r->period[2], "2026-12");
  assert_true(r->deadline_ms[2] == cst(2027, 1, 11, 0, 0, 0));
  assert_int_equal(status_report_month(r, "2026-11"), 1);
  assert_int_equal(status_report_month(r, "2027-01"), -1);
  /* dibao: Oct on time, Nov late (the 12th of December), Dec on time (in January) */
  status_report_add_manifest(r, "civil-affairs", "new-dibao", "2026-10", A1,
                             cst(2026, 11, 9, 0, 0, 0), 1, 1, 0);
  status_report_add_manifest(r, "civil-affairs", "new-dibao", "2026-11", B2,
                             cst(2026, 12, 12, 9, 0, 0), 1, 1, 0);
  status_report_add_manifest(r, "civil-affairs", "new-dibao", "2026-12", C3,
                             cst(2027, 1, 10, 20, 0, 0), 1, 1, 0);
  status_report_finish(r);
  assert_int_equal(status_report_list(r, DIBAO, 0)->state, STATUS_ON_TIME);
  assert_int_equal(status_report_list(r, DIBAO, 1)->state, STATUS_LATE);
  assert_int_equal(status_report_list(r, DIBAO, 1)->days_late, 2);
  assert_int_equal(status_report_list(r, DIBAO, 2)->state, STATUS_ON_TIME);
  /* the others: Oct and Nov missing, Dec not yet due (as of the 10th of January) */
  assert_int_equal(status_report_list(r, VEHICLES, 0)->state, STATUS_MISSING);
  assert_int_equal(status_report_list(r, VEHICLES, 2)->state, STATUS_PENDING);
  const uint32_t *fc = &r->feed_state_counts[DIBAO * STATUS_STATE_COUNT];
  assert_int_equal(fc[STATUS_ON_TIME], 2);
  assert_int_equal(fc[STATUS_LATE], 1);
  fc = &r->feed_state_counts[VEHICLES * STATUS_STATE_COUNT];
  assert_int_equal(fc[STATUS_MISSING], 2);
  assert_int_equal(fc[STATUS_PENDING], 1);
  assert_int_equal(r->state_counts[3][STATUS_ON_TIME], 2);
  assert_int_equal(r->state_counts[3][STATUS_LATE], 1);
  assert_int_equal(r->state_counts[3][STATUS_MISSING], 4);
  assert_int_equal(r->state_counts[3][STATUS_PENDING], 2);
  status_report_destroy(r);
}

static void test_tallies(void **state) {
  const rh_config_t *cfg = *state;
  char err[256];
  int64_t as_of = cst(2026, 12, 29, 0, 0, 0), t = cst(2026, 11, 12, 0, 0, 0);
  status_report_t *r = status_report_new(cfg, 2026, 10, 3, 4, as_of, CST, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(r->nrows, 3);
  /* township 0, October: 3 alerts (one twice), 2 households */
  assert_int_equal(status_report_add_alert(r, 0, "2026-10", A1, "411024100-001-0001", t), 0);
  status_report_add_alert(r, 0, "2026-10", A1, "411024100-001-0001", t);
  status_report_add_alert(r, 0, "2026-10", B2, "411024100-001-0001", t);
  status_report_add_alert(r, 0, "2026-10", C3, "411024100-001-0002", t);
  /* township 0, November: the same household again */
  status_report_add_alert(r, 0, "2026-11", "d4d4d4d4d4d4d4d4", "411024100-001-0001", t);
  /* not counted: another period, after as-of, a row out of range */
  status_report_add_alert(r, 0, "2026-09", "e5e5e5e5e5e5e5e5", "411024100-001-0003", t);
  status_report_add_alert(r, 0, "2026-10", "f6f6f6f6f6f6f6f6", "411024100-001-0004", as_of + 1);
  status_report_add_alert(r, 7, "2026-10", "f7f7f7f7f7f7f7f7", "411024100-001-0004", t);
  /* township 1: an id that is not hex still counts (by hash) */
  status_report_add_alert(r, 1, "2026-12", "not-a-hex-id", "411024101-001-0001", t);
  /* unmatched: no household */
  status_report_add_alert(r, STATUS_UNMATCHED(r), "2026-10", A1, NULL, t);
  status_report_add_alert(r, STATUS_UNMATCHED(r), "2026-10", B2, NULL, t);
  /* checks: township 1, October: 4 results (one twice), one of them replaced by
   * another (issue 11: 3 current), 2 of those matched; a result after as-of
   * that would replace B2 does not count, nor replace it */
  status_report_add_check(r, 1, "2026-10", A1, true, t, NULL);
  status_report_add_check(r, 1, "2026-10", A1, true, t, NULL);
  status_report_add_check(r, 1, "2026-10", "d4d4d4d4d4d4d4d4", true, t, C3);
  status_report_add_check(r, 1, "2026-10", B2, false, t, NULL);
  status_report_add_check(r, 1, "2026-10", C3, false, t, NULL);
  status_report_add_check(r, 1, "2026-10", "0123456789abcdef", true, as_of + 1, B2);
  assert_int_equal(status_report_finish(r), 0);

  status_tally_t *x = status_report_tally(r, 0, 0);
  assert_int_equal(x->warnings, 3);
  assert_int_equal(x->households, 2);
  x = status_report_tally(r, 0, 1);
  assert_int_equal(x->warnings, 1);
  assert_int_equal(x->households, 1);
  x = status_report_tally(r, 0, 3); /* the quarter: a household warned twice counts once */
  assert_int_equal(x->warnings, 4);
  assert_int_equal(x->households, 2);
  x = status_report_tally(r, 1, 2);
  assert_int_equal(x->warnings, 1);
  x = status_report_tally(r, 1, 0);
  assert_int_equal(x->warnings, 0);
  assert_int_equal(x->checks, 3);
  assert_int_equal(x->checks_matched, 2);
  x = status_report_tally(r, STATUS_UNMATCHED(r), 0);
  assert_int_equal(x->warnings, 2);
  assert_int_equal(x->households, 0);
  assert_int_equal(r->alerts_after_as_of, 1);
  assert_int_equal(r->checks_after_as_of, 1);
  status_report_destroy(r);
}

static void test_keys_and_labels(void **state) {
  (void)state;
  assert_true(status_key_hex("0123456789abcdef0000") == UINT64_C(0x0123456789abcdef));
  assert_true(status_key_hex("0123456789ABCDEF") == UINT64_C(0x0123456789abcdef));
  assert_true(status_key_hex("0123456789abcde") == 0);
  assert_true(status_key_hex("0123456789abcdeg") == 0);
  assert_true(status_key_str("a") != status_key_str("b"));
  assert_string_equal(status_state_code(STATUS_ON_TIME), "on_time");
  assert_string_equal(status_state_code(STATUS_PENDING), "pending");
  assert_string_equal(status_state_label(STATUS_MISSING), "missing (未报)");
  char err[64];
  assert_null(status_report_new(NULL, 2026, 10, 1, 0, 0, CST, err, sizeof err));
  status_report_destroy(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_month_states), cmocka_unit_test(test_as_of),
      cmocka_unit_test(test_all_on_time), cmocka_unit_test(test_december_quarter),
      cmocka_unit_test(test_tallies), cmocka_unit_test(test_keys_and_labels)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
