/* feedrow: header mapping and row validation against the shipped config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "produce_feedrow.h"
#include "rh_i18n.h"
#include "rh_config.h"
#include "rh_test.h"

static rh_config_t *cfg;

static int setup(void **state) {
  (void)state;
  cfg = rh_test_config();
  return cfg ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  rh_config_destroy(cfg);
  return 0;
}

static const char *const disaster_header[] = {"\xef\xbb\xbf序号", "户主姓名", "户主身份证号", "乡镇", "村",
                                              "受灾日期", "直接经济损失", "灾害类型", "受灾情况"};
#define NH (sizeof(disaster_header) / sizeof(disaster_header[0]))

/* A CSV row as the reader delivers it. */
static rh_csv_row_t make_row(const char *const *f, size_t n, unsigned long line,
                             rh_csv_field_t *store) {
  for (size_t i = 0; i < n; i++) store[i] = (rh_csv_field_t){f[i], strlen(f[i])};
  return (rh_csv_row_t){n, store, line};
}

static void test_header_mapping(void **state) {
  (void)state;
  char err[1024];
  const rh_config_feed_t *feed = rh_config_feed_find(cfg, "emergency", "disaster-affected");
  assert_non_null(feed);
  produce_feedrow_map_t m;
  rh_csv_field_t st[16];
  rh_csv_row_t h = make_row(disaster_header, NH, 1, st);
  assert_int_equal(produce_feedrow_map_header(&m, cfg, feed, &h, err, sizeof(err)), 0);
  assert_int_equal(m.col[RH_COL_ID_NUMBER], 2);
  assert_int_equal(m.col[RH_COL_NAME], 1);
  assert_int_equal(m.col[RH_COL_SUBTYPE], 7);
  assert_int_equal(m.fact_col[0], 8);
  assert_string_equal(m.missing, "");
  produce_feedrow_map_free(&m);

  /* the ID column misspelt: refused, naming the column and what the file has */
  const char *bad[] = {"户主姓名", "身份证", "灾害类型"};
  h = make_row(bad, 3, 1, st);
  assert_int_equal(produce_feedrow_map_header(&m, cfg, feed, &h, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "header has no column '户主身份证号' (id_number)"));
  assert_non_null(strstr(err, "the header has: 户主姓名, 身份证, 灾害类型"));
  produce_feedrow_map_free(&m);

  /* no header row: the first data row is never echoed (it holds a person) */
  const char *data[] = {"1", "张三", "11010519491231002X", "安陵镇", "东村"};
  h = make_row(data, 5, 1, st);
  assert_int_equal(produce_feedrow_map_header(&m, cfg, feed, &h, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "it is a row of data, not the header"));
  assert_null(strstr(err, "张三"));
  assert_null(strstr(err, "东村"));
  assert_null(strstr(err, "1101051949"));
  produce_feedrow_map_free(&m);

  /* a column riskhub reads named twice: refused, naming both (intake defect c);
   * a column it does not read named twice is no matter */
  const char *dup[] = {"户主姓名", "户主身份证号", "灾害类型", "户主身份证号"};
  h = make_row(dup, 4, 1, st);
  assert_int_equal(produce_feedrow_map_header(&m, cfg, feed, &h, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "column 4: the header names '户主身份证号' (id_number) twice, in "
                              "columns 2 and 4"));
  produce_feedrow_map_free(&m);
  const char *dup_fact[] = {"户主姓名", "户主身份证号", "受灾情况", "灾害类型", "受灾情况"};
  h = make_row(dup_fact, 5, 1, st);
  assert_int_equal(produce_feedrow_map_header(&m, cfg, feed, &h, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "'受灾情况'"));
  assert_non_null(strstr(err, "in columns 3 and 5"));
  produce_feedrow_map_free(&m);
  const char *dup_other[] = {"备注", "户主姓名", "户主身份证号", "灾害类型", "备注"};
  h = make_row(dup_other, 5, 1, st);
  assert_int_equal(produce_feedrow_map_header(&m, cfg, feed, &h, err, sizeof(err)), 0);
  produce_feedrow_map_free(&m);

  /* an optional column missing is noted, not refused */
  const char *partial[] = {"户主姓名", "户主身份证号", "灾害类型"};
  h = make_row(partial, 3, 1, st);
  assert_int_equal(produce_feedrow_map_header(&m, cfg, feed, &h, err, sizeof(err)), 0);
  assert_non_null(strstr(m.missing, "乡镇"));
  assert_non_null(strstr(m.missing, "受灾情况"));
  produce_feedrow_map_free(&m);
}

typedef struct {
  const char *fields[NH];
  size_t n;
  const char *code; /* NULL = accepted */
  const char *column;
} row_case_t;

/* The map of emergency/disaster-affected for disaster_header (st: the
 * header's fields, reused by the caller for its rows). */
static void disaster_map(produce_feedrow_map_t *m, rh_csv_field_t st[16]) {
  char err[1024];
  const rh_config_feed_t *feed = rh_config_feed_find(cfg, "emergency", "disaster-affected");
  rh_csv_row_t h = make_row(disaster_header, NH, 1, st);
  assert_int_equal(produce_feedrow_map_header(m, cfg, feed, &h, err, sizeof(err)), 0);
}

/* defect d: a date after the month the list covers is refused; one before it
 * is kept and said (a late entry, or a wrong one: the clerk checks) */
static void test_dates_and_the_period(void **state) {
  (void)state;
  produce_feedrow_map_t m;
  rh_csv_field_t st[16];
  disaster_map(&m, st);
  produce_feedrow_t row;
  produce_feedrow_init(&row);
  struct {
    int year, month;
    const char *date;
    int rc;
    bool before;
  } cases[] = {
      {2026, 10, "2026-10-01", 0, false}, {2026, 10, "2026-10-31", 0, false},
      {2026, 10, "2026-11-01", 1, false}, {2026, 10, "2027/1/5", 1, false},
      {2026, 10, "2026/9/30", 0, true},   {2026, 10, "2025-10-31", 0, true},
      {2026, 12, "2026-12-31 23:59", 0, false}, {2026, 12, "2027-01-01", 1, false},
      {2026, 2, "2026-02-28", 0, false},  {2026, 2, "2026-03-01", 1, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    produce_feedrow_map_period(&m, cases[i].year, cases[i].month);
    const char *f[] = {"1", "赵六", "11010519491231002X", "安陵镇", "", cases[i].date, "", "洪涝", ""};
    rh_csv_row_t cr = make_row(f, NH, 2, st);
    produce_feedrow_reject_t rej;
    int rc = produce_feedrow_parse(&m, &cr, &row, &rej);
    if (rc != cases[i].rc) fail_msg("case %zu (%s): %d %s", i, cases[i].date, rc, rej.reason);
    if (rc == 1) {
      assert_string_equal(rej.reason_code, "DATE_AFTER_PERIOD");
      assert_string_equal(rej.column, "受灾日期");
      assert_non_null(strstr(rej.reason, "the month the list covers"));
    } else if (row.before_period != cases[i].before) {
      fail_msg("case %zu (%s): before_period %d", i, cases[i].date, row.before_period);
    }
  }
  /* an empty date: nothing to judge */
  const char *f[] = {"1", "赵六", "11010519491231002X", "安陵镇", "", "", "", "洪涝", ""};
  rh_csv_row_t cr = make_row(f, NH, 2, st);
  produce_feedrow_reject_t rej;
  assert_int_equal(produce_feedrow_parse(&m, &cr, &row, &rej), 0);
  assert_false(row.before_period);
  produce_feedrow_free(&row);
  produce_feedrow_map_free(&m);
}

static void test_rows(void **state) {
  (void)state;
  produce_feedrow_map_t m;
  rh_csv_field_t st[16];
  disaster_map(&m, st);
  row_case_t cases[] = {
      {{"1", "张三", "11010519491231002x", "安陵镇", "东村", "2026-10-05", "12,345.60", "洪涝", "房屋倒塌"}, NH, NULL, NULL},
      {{"2", "李四", "11010519491231002X", "411024101", "", "", "", "FIRE", ""}, NH, NULL, NULL},
      {{"3", "王五", "11010519491231002X", "安陵", "", "", "", "干旱", ""}, NH, NULL, NULL},
      {{"4", "张三", "11010519491231002X", "安陵镇", "东村", "2026-10-05", "1", "洪涝"}, NH - 1, "RAGGED_ROW", NULL},
      {{"5", "", "11010519491231002X", "安陵镇", "", "", "", "洪涝", ""}, NH, "MISSING_FIELD", "户主姓名"},
      {{"6", "赵六", "110105194912310021", "安陵镇", "", "", "", "洪涝", ""}, NH, "ID_BAD_CHECKSUM", "户主身份证号"},
      {{"7", "赵六", "4.11024E+17", "安陵镇", "", "", "", "洪涝", ""}, NH, "ID_EXCEL_SCIENTIFIC", "户主身份证号"},
      {{"8", "赵六", "411024199001010000", "安陵镇", "", "", "", "洪涝", ""}, NH, "ID_EXCEL_ZEROED", "户主身份证号"},
      {{"9", "赵六", "11010519491231002X", "北京镇", "", "", "", "洪涝", ""}, NH, "UNKNOWN_TOWNSHIP", "乡镇"},
      {{"10", "赵六", "11010519491231002X", "安陵镇", "", "2026-02-30", "", "洪涝", ""}, NH, "BAD_DATE", "受灾日期"},
      {{"11", "赵六", "11010519491231002X", "安陵镇", "", "", "12.345", "洪涝", ""}, NH, "BAD_AMOUNT", "直接经济损失"},
      {{"12", "赵六", "11010519491231002X", "安陵镇", "", "", "", "海啸", ""}, NH, "BAD_SUBTYPE", "灾害类型"},
      {{"13", "赵六", "", "安陵镇", "", "", "", "洪涝", ""}, NH, "MISSING_FIELD", "户主身份证号"},
      {{"14", "赵六", "11010519491231002X", "安陵镇", "", "", "-120.50", "洪涝", ""}, NH, "NEGATIVE_AMOUNT", "直接经济损失"},
      {{"15", "赵六", "11010519491231002X", "安陵镇", "", "", "0", "洪涝", ""}, NH, NULL, NULL},
      {{"16", "赵六", "11010519491231002X", "安陵镇", "", "2026-10-05 garbage", "", "洪涝", ""}, NH, "BAD_DATE", "受灾日期"},
      {{"17", "赵六", "11010519491231002X", "安陵镇", "", "2026/9/5 0:00", "", "洪涝", ""}, NH, NULL, NULL},
  };
  /* the reason a clerk reads: English, or Chinese under a Chinese locale
   * (defect g; gettext, po/zh_CN.po) */
  {
    produce_feedrow_reject_t rej;
    const char *bad_id[] = {"20", "赵六", "4.11024E+17", "安陵镇", "", "", "", "洪涝", ""};
    rh_csv_row_t cr = make_row(bad_id, NH, 2, st);
    produce_feedrow_t tmp;
    produce_feedrow_init(&tmp);
    assert_int_equal(produce_feedrow_parse(&m, &cr, &tmp, &rej), 1);
    assert_non_null(strstr(rej.reason, "scientific notation"));
    assert_null(strstr(rej.reason, "科学计数法"));
    setenv("RH_LOCALE_DIR", RH_BUILD_LOCALE_DIR, 1);
    setenv("LC_ALL", "zh_CN.UTF-8", 1); /* installed or not: rh_i18n_init copes */
    unsetenv("LANGUAGE");
    rh_i18n_init();
    assert_int_equal(produce_feedrow_parse(&m, &cr, &tmp, &rej), 1);
    assert_string_equal(rej.reason_code, "ID_EXCEL_SCIENTIFIC");
    assert_string_equal(rej.reason,
                        "身份证号被 Excel 转成了科学计数法 (如 4.11024E+17), 请将该列设为文本后重新导出");
    const char *empty_name[] = {"21", "", "11010519491231002X", "安陵镇", "", "", "", "洪涝", ""};
    cr = make_row(empty_name, NH, 3, st);
    assert_int_equal(produce_feedrow_parse(&m, &cr, &tmp, &rej), 1);
    assert_string_equal(rej.reason, "必填项 '户主姓名' 为空");
    produce_feedrow_free(&tmp);
    /* back to English for the tests after this one */
    unsetenv("LANGUAGE");
    setenv("LC_ALL", "C", 1);
    setlocale(LC_MESSAGES, "C");
  }
  /* a 1 MB name and a 5000-byte fact: the row is refused, the file goes on */
  static char big[1 << 20], fact[5001];
  memset(big, 'a', sizeof big - 1);
  memset(fact, 'b', sizeof fact - 1);
  row_case_t longs[] = {
      {{"18", big, "11010519491231002X", "安陵镇", "", "", "", "洪涝", ""}, NH, "CELL_TOO_LONG", "户主姓名"},
      {{"19", "赵六", "11010519491231002X", "安陵镇", "", "", "", "洪涝", fact}, NH, "CELL_TOO_LONG", "受灾情况"},
  };
  produce_feedrow_t row;
  produce_feedrow_init(&row);
  for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
    produce_feedrow_reject_t rej;
    rh_csv_row_t cr = make_row(longs[i].fields, longs[i].n, i + 2, st);
    assert_int_equal(produce_feedrow_parse(&m, &cr, &row, &rej), 1);
    assert_string_equal(rej.reason_code, longs[i].code);
    assert_string_equal(rej.column, longs[i].column);
    assert_non_null(strstr(rej.reason, "bytes; a value of a list is at most 4096"));
  }
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    produce_feedrow_reject_t rej;
    rh_csv_row_t cr = make_row(cases[i].fields, cases[i].n, i + 2, st);
    int rc = produce_feedrow_parse(&m, &cr, &row, &rej);
    if (!cases[i].code) {
      if (rc != 0) fail_msg("case %zu rejected: %s %s", i, rej.reason_code, rej.reason);
      continue;
    }
    if (rc != 1) fail_msg("case %zu accepted, expected %s", i, cases[i].code);
    assert_string_equal(rej.reason_code, cases[i].code);
    if (cases[i].column) assert_string_equal(rej.column, cases[i].column);
    else assert_null(rej.column);
    assert_true(strlen(rej.reason) > 10);
    /* never the full ID in a reason */
    assert_null(strstr(rej.reason, "11010519491231002"));
    if (strlen(cases[i].fields[2]) == 18)
      assert_int_equal(strlen(rej.id_masked), 18);
  }

  /* the first case in detail */
  produce_feedrow_reject_t rej;
  rh_csv_row_t cr = make_row(cases[0].fields, NH, 2, st);
  assert_int_equal(produce_feedrow_parse(&m, &cr, &row, &rej), 0);
  const rh_feedrecord_t *r = &row.rec;
  assert_string_equal(r->id_number, "11010519491231002X");
  assert_string_equal(r->name, "张三");
  assert_string_equal(r->department, "emergency");
  assert_string_equal(r->feed, "disaster-affected");
  assert_string_equal(r->kind, "SIGNAL");
  assert_string_equal(r->risk, "DISASTER");
  assert_string_equal(r->risk_subtype, "FLOOD");
  assert_string_equal(r->township_code, "411024100");
  assert_string_equal(r->village, "东村");
  assert_true(r->has_event_date);
  assert_int_equal(r->event_date, 20731);
  assert_true(r->has_amount);
  assert_int_equal(r->amount_fen, 1234560);
  assert_int_equal(r->fact_count, 1);
  assert_string_equal(r->facts[0].name, "damage");
  assert_string_equal(r->facts[0].value, "房屋倒塌");
  assert_int_equal(r->row_number, 2);

  /* a masked ID on a rejected row, first 6 and last 4 only */
  cr = make_row(cases[5].fields, NH, 7, st);
  assert_int_equal(produce_feedrow_parse(&m, &cr, &row, &rej), 1);
  assert_string_equal(rej.id_masked, "110105********0021");

  produce_feedrow_free(&row);
  produce_feedrow_map_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_header_mapping),
                                     cmocka_unit_test(test_rows),
                                     cmocka_unit_test(test_dates_and_the_period)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
