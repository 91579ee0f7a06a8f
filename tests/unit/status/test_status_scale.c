/* status_scale and status_grid_scale: the last version of each scale risk of
 * the report's month(s) by the as-of, the cleared ones left out, sorted by
 * township and village; the grid as CSV (exact text), as a table and with
 * its notes when there is none or the topic could not be read. No Kafka. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_config.h"
#include "rh_scale.h"
#include "status_grid.h"
#include "status_render.h"
#include "status_report.h"
#include "status_scale.h"
#include "test_status_fixture.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccc"
#define ID_D "dddddddddddddddddddddddddddddddd"

static rh_scale_record_t rec(const char *id, const char *rule, const char *period,
                             const char *township, const char *village, rh_scale_status_t st,
                             int64_t version, int64_t households, int64_t since,
                             int64_t created_at) {
  rh_scale_record_t x = {0};
  x.scale_risk_id = id;
  x.rule_id = rule;
  x.period = period;
  x.place_level = *village ? "village" : "township";
  x.township_code = township;
  x.village = village;
  x.status = st;
  x.version = version;
  x.households = households;
  x.place_households = 40;
  x.baseline = 1.0 / 3.0;
  x.since = since;
  x.created_at = created_at;
  x.content = "0";
  return x;
}

/* A (安陵镇 东庄村): raised, updated; B (马栏镇, township-level): raised; C:
 * raised then cleared; D: raised after the as-of; another month's; A's v1
 * again after v2 (it does not win). */
static void fill(fx_t *f, status_scale_t *s) {
  int64_t t1 = cst(2026, 11, 3, 9, 30), t2 = cst(2026, 11, 5, 14, 0),
          late = cst(2026, 11, 25, 8, 0);
  rh_scale_record_t v[] = {
      rec(ID_A, "village-flood", "2026-10", "411024100", "东庄村", RH_SCALE_RAISED, 1, 5, t1, t1),
      rec(ID_B, "township-flood", "2026-10", "411024101", "", RH_SCALE_RAISED, 1, 12, t1, t1),
      rec(ID_C, "village-flood", "2026-10", "411024101", "西村", RH_SCALE_RAISED, 1, 6, t1, t1),
      rec(ID_A, "village-flood", "2026-10", "411024100", "东庄村", RH_SCALE_UPDATED, 2, 7, t1, t2),
      rec(ID_C, "village-flood", "2026-10", "411024101", "西村", RH_SCALE_CLEARED, 2, 0, t1, t2),
      rec(ID_D, "village-flood", "2026-10", "411024100", "北村", RH_SCALE_RAISED, 1, 9, late, late),
      rec(ID_D, "village-flood", "2026-09", "411024100", "北村", RH_SCALE_RAISED, 1, 9, t1, t1),
      rec(ID_A, "village-flood", "2026-10", "411024100", "东庄村", RH_SCALE_RAISED, 1, 5, t1, t1),
  };
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) assert_int_equal(status_scale_add(s, f->r, &v[i]), 0);
  s->read = true;
  status_scale_finish(s, f->cfg);
}

static void test_last_version_by_as_of(void **state) {
  fx_t *f = *state;
  status_scale_t s = {0};
  fill(f, &s);
  assert_int_equal(s.n, 3); /* A, B, C (D after the as-of, the other month not the report's) */
  assert_int_equal(s.after_as_of, 1);
  assert_int_equal(s.versions, 6);
  assert_int_equal(status_scale_open(&s), 2);
  /* 马栏镇 first (the configuration's order): B (township, village ""), C; then 安陵镇's A */
  assert_string_equal(s.v[0].id, ID_B);
  assert_string_equal(s.v[1].id, ID_C);
  assert_int_equal(s.v[1].status, RH_SCALE_CLEARED);
  assert_string_equal(s.v[2].id, ID_A);
  assert_int_equal(s.v[2].status, RH_SCALE_UPDATED);
  assert_int_equal(s.v[2].version, 2);
  assert_int_equal(s.v[2].households, 7);
  assert_string_equal(s.v[2].village, "东庄村");
  status_scale_free(&s);
  status_scale_free(&s); /* twice is fine */
}

static char *render(fx_t *f, const status_scale_t *s, int csv) {
  return render_grid(status_grid_scale(f->r, s), csv);
}

static void test_grid_csv_and_table(void **state) {
  fx_t *f = *state;
  status_scale_t s = {0};
  fill(f, &s);
  char *out = render(f, &s, 1);
  const char *want =
      "period,rule,township,township_name,place_level,village,households,place_households,"
      "baseline,status,version,since,scale_risk_id\n"
      "2026-10,township-flood,411024101,马栏镇,township,,12,40,0.3,RAISED,1,"
      "2026-11-03T09:30:00+08:00," ID_B "\n"
      "2026-10,village-flood,411024100,安陵镇,village,东庄村,7,40,0.3,UPDATED,2,"
      "2026-11-03T09:30:00+08:00," ID_A "\n";
  assert_string_equal(out, want);
  free(out);
  out = render(f, &s, 0);
  assert_non_null(strstr(out, "规模性返贫风险 Scale risks\n"));
  assert_non_null(strstr(out, "发现于 since (UTC+08:00)"));
  assert_non_null(strstr(out, "2026-11-03 09:30"));
  assert_non_null(strstr(out, "updated (有变化)"));
  assert_non_null(strstr(out, "raised (新发)"));
  assert_null(strstr(out, "西村"));             /* cleared: not listed */
  assert_null(strstr(out, ID_A));               /* ids for scripts only */
  assert_non_null(strstr(out, "\n规则 rule  ")); /* a month: no period column for people */
  assert_non_null(strstr(out, "2 scale risks of 2026-10 open"));
  assert_non_null(strstr(out, "1 cleared (已解除) by the as-of, not listed"));
  free(out);
  status_scale_free(&s);
}

static void test_none_and_not_read(void **state) {
  fx_t *f = *state;
  status_scale_t s = {.read = true};
  char *out = render(f, &s, 0);
  assert_non_null(strstr(out, "无规模性返贫风险 no scale risks of 2026-10\n"));
  free(out);
  out = render(f, &s, 1); /* CSV: the header alone */
  assert_string_equal(out, "period,rule,township,township_name,place_level,village,households,"
                           "place_households,baseline,status,version,since,scale_risk_id\n");
  free(out);
  status_scale_t away = {.read = false};
  snprintf(away.why, sizeof away.why, "Kafka away");
  out = render(f, &away, 0);
  assert_non_null(strstr(out, "未能读取 not read"));
  assert_non_null(strstr(out, "(Kafka away)"));
  assert_null(strstr(out, "无规模性返贫风险"));
  free(out);
}

static void test_quarter_shows_the_month(void **state) {
  fx_t *f = *state;
  status_report_t *q = quarter_report(f);
  status_scale_t s = {0};
  int64_t t = cst(2026, 12, 3, 9, 30);
  rh_scale_record_t a = rec(ID_A, "village-flood", "2026-12", "411024100", "东庄村",
                            RH_SCALE_RAISED, 1, 5, t, t);
  rh_scale_record_t b = rec(ID_B, "village-flood", "2026-11", "411024100", "东庄村",
                            RH_SCALE_RAISED, 1, 6, t, t);
  assert_int_equal(status_scale_add(&s, q, &a), 0);
  assert_int_equal(status_scale_add(&s, q, &b), 0);
  s.read = true;
  status_scale_finish(&s, f->cfg);
  assert_string_equal(s.v[0].period, "2026-11");
  status_grid_t *g = status_grid_scale(q, &s);
  assert_non_null(g);
  assert_string_equal(g->title, "规模性返贫风险 Scale risks, by month");
  assert_int_equal(g->cols[0].show, STATUS_SHOW_ALL);
  assert_non_null(strstr(g->notes[0], "of 2026-Q4 open"));
  status_grid_destroy(g);
  status_scale_free(&s);
  status_report_destroy(q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_last_version_by_as_of), cmocka_unit_test(test_grid_csv_and_table),
      cmocka_unit_test(test_none_and_not_read), cmocka_unit_test(test_quarter_shows_the_month)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
