/* alerts_format and alerts_mask: the table, JSON lines and CSV that
 * riskhub-alerts writes, with the shipped config for names; masking of ID
 * numbers (also inside certificate numbers and free text). Output goes to a
 * memory stream; JSON is read back with jansson. No Kafka, no PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_format.h"
#include "alerts_heads.h"
#include "alerts_mask.h"
#include "alerts_states.h"
#include "alerts_store.h"
#include "rh_config.h"
#include "rh_parse.h"
#include "rh_test.h"

/* synthetic, valid ID numbers (check characters computed by hand and by
 * with the GB 11643 rule) */
#define ID_A "11010519491231002X"
#define ID_B "411024198001010011"
#define ID_C "411024200512120028"

static rh_config_t *cfg;

static int setup(void **state) {
  (void)state;
  char path[4096], err[1024];
  rh_test_path(path, sizeof path, "config/riskhub.yaml");
  cfg = rh_config_load(path, err, sizeof err);
  if (!cfg) fprintf(stderr, "%s\n", err);
  return cfg ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  rh_config_destroy(cfg);
  return 0;
}

/* An alert of household 411024100-001-0007 (or another), all fields set. */
static rh_alert_t base_alert(void) {
  static const rh_fact_t facts[] = {{"disease", "肺癌"}, {"total_cost", "50000"}};
  rh_alert_t a = {0};
  a.alert_id = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
  a.situation = "AT_NEW_RISK";
  a.township_code = "411024100";
  a.village = "东庄村";
  a.household_id = "411024100-001-0007";
  a.household_type = "monitored";
  a.monitoring_category = "marginal";
  a.person_id_number = ID_B;
  a.person_name = "张建国";
  a.relation_to_head = "head";
  a.risk = "ILLNESS";
  a.severity = "high";
  a.rule_id = "illness-high-self-pay-monitored";
  a.reason = "自付超过6000元";
  a.department = "medical-insurance";
  a.feed = "high-self-pay";
  a.period = "2026-10";
  a.has_amount = true;
  a.amount_fen = 1234567;
  a.has_event_date = true;
  a.event_date = 20729; /* 2026-10-03 */
  a.facts = facts;
  a.fact_count = 2;
  a.source = (rh_lineage_t){"feed.medical-insurance.high-self-pay", 2, 41, "batch-1"};
  a.created_at = INT64_C(1791792930123); /* 2026-10-12T08:15:30.123Z */
  return a;
}

/* Run a formatter into memory; the caller frees the text. */
typedef int (*fmt_fn)(FILE *, const alerts_fmt_t *, const alerts_item_t *, size_t);
static char *render(const alerts_fmt_t *f, alerts_store_t *s, int begin) {
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  assert_non_null(fp);
  if (begin) assert_int_equal(alerts_format_begin(fp, f), 0);
  assert_int_equal(alerts_format_batch(fp, f, s->items, s->n), 0);
  fclose(fp);
  return buf;
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

/* No run of 17 digits and a digit or X anywhere (the test harness's FULL_ID,
 * without its word-boundary condition: also inside longer numbers). */
static void assert_no_full_id(const char *text) {
  regex_t re;
  assert_int_equal(regcomp(&re, "[0-9]{17}[0-9Xx]", REG_EXTENDED | REG_NOSUB), 0);
  int hit = regexec(&re, text, 0, NULL, 0) == 0;
  regfree(&re);
  if (hit) fail_msg("a full ID number in the output");
}

/* ---- values -------------------------------------------------------------------- */

static void test_yuan(void **state) {
  (void)state;
  char b[64];
  assert_string_equal(alerts_yuan(0, false, b, sizeof b), "0.00");
  assert_string_equal(alerts_yuan(5, false, b, sizeof b), "0.05");
  assert_string_equal(alerts_yuan(-5, false, b, sizeof b), "-0.05");
  assert_string_equal(alerts_yuan(100, true, b, sizeof b), "1.00");
  assert_string_equal(alerts_yuan(1234567, false, b, sizeof b), "12345.67");
  assert_string_equal(alerts_yuan(1234567, true, b, sizeof b), "12,345.67");
  assert_string_equal(alerts_yuan(100000000, true, b, sizeof b), "1,000,000.00");
  assert_string_equal(alerts_yuan(-99999999, true, b, sizeof b), "-999,999.99");
  assert_string_equal(alerts_yuan(INT64_MIN, false, b, sizeof b), "-92233720368547758.08");
  assert_string_equal(alerts_yuan(INT64_MAX, true, b, sizeof b), "92,233,720,368,547,758.07");
}

static void test_iso_ms(void **state) {
  (void)state;
  char b[64];
  assert_string_equal(alerts_iso_ms(0, b, sizeof b), "1970-01-01T00:00:00.000Z");
  assert_string_equal(alerts_iso_ms(-1, b, sizeof b), "1969-12-31T23:59:59.999Z");
  assert_string_equal(alerts_iso_ms(INT64_C(1791792930123), b, sizeof b),
                      "2026-10-12T08:15:30.123Z");
}

static void test_labels(void **state) {
  (void)state;
  assert_string_equal(alerts_label_situation("MAY_NEED_MONITORING"), "可能需纳入监测");
  assert_string_equal(alerts_label_household_type("poverty_alleviated"), "脱贫户");
  assert_string_equal(alerts_label_category("sudden_hardship"), "突发严重困难户");
  assert_string_equal(alerts_label_severity("medium"), "中");
  assert_string_equal(alerts_label_relation("grandchild"), "孙辈");
  assert_string_equal(alerts_label_risk("DRINKING_WATER"), "饮水安全");
  assert_string_equal(alerts_label_subtype("FLOOD"), "洪涝");
  /* a code added later is shown as it is, never dropped */
  assert_string_equal(alerts_label_risk("NEW_CODE"), "NEW_CODE");
  assert_string_equal(alerts_label_situation(NULL), "");
  alerts_format_t f;
  assert_int_equal(alerts_format_parse("csv", &f), 0);
  assert_int_equal(f, ALERTS_FMT_CSV);
  assert_int_equal(alerts_format_parse("json", &f), -1);
  assert_string_equal(alerts_format_name(ALERTS_FMT_JSONL), "jsonl");
}

/* ---- masking ------------------------------------------------------------------- */

static void test_mask_text(void **state) {
  (void)state;
  char b[256];
  /* a disability certificate number: the ID and two more digits */
  assert_string_equal(alerts_mask_text(ID_B "12", b, sizeof b), "411024**********1112");
  assert_string_equal(alerts_mask_text(ID_A "21", b, sizeof b), "110105**********2X21");
  /* inside text, several, and a bare ID */
  assert_string_equal(alerts_mask_text("监护人" ID_A ",本人" ID_B "。", b, sizeof b),
                      "监护人110105********002X,本人411024********0011。");
  /* an old 15-digit ID */
  assert_string_equal(alerts_mask_text("410102800101001", b, sizeof b), "410102*****1001");
  /* left alone: amounts, dates, phone numbers, household numbers, words with x */
  const char *keep = "12345.67 2026-10-03 13800138000 411024100-001-0007 xXx 14 digits 12345678901234";
  assert_string_equal(alerts_mask_text(keep, b, sizeof b), keep);
  assert_false(alerts_mask_needed(keep));
  assert_true(alerts_mask_needed("x" ID_B));
  assert_false(alerts_mask_needed(NULL));
  assert_string_equal(alerts_mask_text(NULL, b, sizeof b), "");
  /* cut short: never more than the first 6 of a run */
  assert_string_equal(alerts_mask_text(ID_B, b, 12), "411024*****");
  assert_no_full_id(alerts_mask_text("a" ID_A ID_B "b", b, sizeof b));
}

/* ---- JSON lines ----------------------------------------------------------------- */

static json_t *parse_line(const char *line) {
  json_error_t e;
  json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &e);
  if (!j) fail_msg("not JSON: %s", e.text);
  return j;
}

static void assert_jstr(json_t *o, const char *key, const char *want) {
  json_t *v = json_object_get(o, key);
  if (!v) fail_msg("no field %s", key);
  if (!want) {
    if (!json_is_null(v)) fail_msg("%s: expected null", key);
    return;
  }
  if (!json_is_string(v)) fail_msg("%s: not a string", key);
  if (strcmp(json_string_value(v), want) != 0)
    fail_msg("%s: '%s' != '%s'", key, json_string_value(v), want);
}

static void test_jsonl_every_field(void **state) {
  (void)state;
  alerts_store_t s;
  alerts_store_init(&s);
  rh_alert_t a = base_alert();
  assert_int_equal(alerts_store_add(&s, &a, "alerts.411024100", 1, 7, NULL, 0), 0);
  alerts_fmt_t f = {.format = ALERTS_FMT_JSONL, .unmasked = true, .cfg = cfg};
  char *out = render(&f, &s, 1);
  assert_int_equal(count(out, "\n"), 1);
  json_t *j = parse_line(out);
  /* every field of Alert.avsc, in its order, then nothing else but amount_yuan */
  static const char *const order[] = {
      "alert_id", "situation", "township_code", "village", "household_id", "household_type",
      "monitoring_category", "risk_eliminated", "person_id_number", "person_name",
      "relation_to_head", "risk", "risk_subtype", "severity", "rule_id", "reason", "department",
      "feed", "period", "amount_fen", "amount_yuan", "event_date", "facts", "source",
      "created_at", "state", "visit_due", "overdue_days"};
  const char *p = out;
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", order[i]);
    const char *q = strstr(p, key);
    if (!q) fail_msg("field %s missing or out of order", order[i]);
    p = q;
  }
  assert_int_equal(json_object_size(j), sizeof order / sizeof *order);
  assert_jstr(j, "alert_id", a.alert_id);
  assert_jstr(j, "person_id_number", ID_B); /* unmasked */
  assert_jstr(j, "person_name", "张建国");
  assert_jstr(j, "risk_subtype", NULL);
  assert_true(json_is_false(json_object_get(j, "risk_eliminated")));
  assert_int_equal(json_integer_value(json_object_get(j, "amount_fen")), 1234567);
  assert_jstr(j, "amount_yuan", "12345.67");
  assert_jstr(j, "event_date", "2026-10-03");
  assert_jstr(j, "created_at", "2026-10-12T08:15:30.123Z");
  json_t *facts = json_object_get(j, "facts");
  assert_int_equal(json_object_size(facts), 2);
  assert_jstr(facts, "disease", "肺癌");
  json_t *src = json_object_get(j, "source");
  assert_jstr(src, "topic", "feed.medical-insurance.high-self-pay");
  assert_int_equal(json_integer_value(json_object_get(src, "partition")), 2);
  assert_int_equal(json_integer_value(json_object_get(src, "offset")), 41);
  assert_jstr(src, "batch_id", "batch-1");
  /* states not looked up: null */
  assert_true(json_is_null(json_object_get(j, "state")));
  assert_true(json_is_null(json_object_get(j, "overdue_days")));
  json_decref(j);
  free(out);
  alerts_store_free(&s);
}

/* The warnings' states from the ledger in every format: open and past its
 * day (overdue, in days as of the set's today), an outcome (never overdue),
 * and a warning the ledger does not hold yet. */
static void test_states(void **state) {
  (void)state;
  alerts_store_t s;
  alerts_store_init(&s);
  rh_alert_t a = base_alert(), b = base_alert(), c = base_alert();
  a.alert_id = "aa00000000000000000000000000000000000000000000000000000000000001";
  b.alert_id = "bb00000000000000000000000000000000000000000000000000000000000002";
  c.alert_id = "cc00000000000000000000000000000000000000000000000000000000000003";
  assert_int_equal(alerts_store_add(&s, &a, "alerts.411024100", 0, 1, NULL, 0), 0);
  assert_int_equal(alerts_store_add(&s, &b, "alerts.411024100", 0, 2, NULL, 0), 0);
  assert_int_equal(alerts_store_add(&s, &c, "alerts.411024100", 0, 3, NULL, 0), 0);
  int32_t due;
  assert_int_equal(rh_parse_date("2026-11-20", 10, &due), 0);
  alerts_states_t st = {0};
  assert_int_equal(alerts_states_add(&st, b.alert_id, "DISMISSED", true, due - 5), 0);
  assert_int_equal(alerts_states_add(&st, a.alert_id, "UNREACHABLE", true, due), 0);
  alerts_states_sort(&st);
  st.loaded = true;
  st.today = due + 3;
  assert_int_equal(alerts_state_overdue_days(alerts_states_get(&st, a.alert_id), st.today), 3);
  assert_int_equal(alerts_state_overdue_days(alerts_states_get(&st, a.alert_id), due), 0);
  assert_int_equal(alerts_state_overdue_days(alerts_states_get(&st, b.alert_id), st.today), 0);
  assert_null(alerts_states_get(&st, c.alert_id));
  assert_int_equal(alerts_states_mark(&st, c.alert_id), 0);
  assert_int_equal(alerts_states_mark(&st, a.alert_id), 1);
  assert_true(alerts_states_get(&st, a.alert_id)->seen);

  alerts_fmt_t f = {.format = ALERTS_FMT_JSONL, .cfg = cfg, .states = &st};
  char *out = render(&f, &s, 1);
  const char *l2 = strchr(out, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
  assert_non_null(strstr(out, "\"state\":\"UNREACHABLE\",\"visit_due\":\"2026-11-20\",\"overdue_days\":3}"));
  assert_non_null(strstr(l2, "\"state\":\"DISMISSED\",\"visit_due\":\"2026-11-15\",\"overdue_days\":0}"));
  assert_non_null(strstr(l3, "\"state\":null,\"visit_due\":null,\"overdue_days\":null}"));
  free(out);

  f.format = ALERTS_FMT_CSV;
  out = render(&f, &s, 1);
  assert_non_null(strstr(out, ",UNREACHABLE,2026-11-20,3,,,,,\r\n"));
  assert_non_null(strstr(out, ",DISMISSED,2026-11-15,0,,,,,\r\n"));
  assert_non_null(strstr(out, ".123Z,,,,,,,,\r\n")); /* c: nothing known */
  free(out);

  f.format = ALERTS_FMT_TABLE;
  alerts_store_sort(&s);
  out = render(&f, &s, 1);
  assert_non_null(strstr(out, "状态: 无法联系 · 入户核实期限 2026-11-20 · 已逾期 3 天\n"));
  assert_non_null(strstr(out, "状态: 不纳入\n"));
  assert_non_null(strstr(out, "状态: 台账中尚无此预警\n"));
  free(out);

  /* not looked up: no line at all */
  st.loaded = false;
  out = render(&f, &s, 1);
  assert_null(strstr(out, "状态"));
  free(out);
  alerts_states_free(&st);
  alerts_store_free(&s);
}

static void test_jsonl_nulls_escapes_masking(void **state) {
  (void)state;
  static const rh_fact_t facts[] = {{"certificate_number", ID_C "11"},
                                    {"note", "say \"hi\"\\ \n\t\x01 end"}};
  alerts_store_t s;
  alerts_store_init(&s);
  rh_alert_t a = base_alert();
  a.situation = "UNMATCHED";
  a.township_code = a.village = a.household_id = a.household_type = NULL;
  a.monitoring_category = a.relation_to_head = NULL;
  a.person_id_number = ID_C;
  a.reason = "本人" ID_C "不在户籍库";
  a.has_amount = a.has_event_date = false;
  a.facts = facts;
  a.fact_count = 2;
  a.risk_eliminated = true;
  assert_int_equal(alerts_store_add(&s, &a, "alerts.unmatched", 0, 1, NULL, 0), 0);
  alerts_fmt_t f = {.format = ALERTS_FMT_JSONL, .cfg = cfg}; /* masked */
  char *out = render(&f, &s, 1);
  assert_no_full_id(out);
  json_t *j = parse_line(out);
  assert_jstr(j, "person_id_number", "411024********0028");
  assert_jstr(j, "reason", "本人411024********0028不在户籍库");
  assert_jstr(j, "township_code", NULL);
  assert_jstr(j, "household_id", NULL);
  assert_jstr(j, "amount_yuan", NULL);
  assert_jstr(j, "event_date", NULL);
  assert_true(json_is_null(json_object_get(j, "amount_fen")));
  assert_true(json_is_true(json_object_get(j, "risk_eliminated")));
  json_t *fj = json_object_get(j, "facts");
  assert_jstr(fj, "certificate_number", "411024**********2811");
  assert_jstr(fj, "note", "say \"hi\"\\ \n\t\x01 end"); /* escaped and read back */
  /* identifiers are never masked, even when they hold long digit runs */
  json_decref(j);
  free(out);
  alerts_store_clear(&s);
  a = base_alert();
  a.alert_id = "1234567890123456789012345678901234567890123456789012345678901234";
  assert_int_equal(alerts_store_add(&s, &a, "alerts.411024100", 0, 1, NULL, 0), 0);
  out = render(&f, &s, 0);
  j = parse_line(out);
  assert_jstr(j, "alert_id", a.alert_id);
  json_decref(j);
  free(out);
  alerts_store_free(&s);
}

/* ---- CSV --------------------------------------------------------------------------- */

static void test_csv(void **state) {
  (void)state;
  alerts_store_t s;
  alerts_store_init(&s);
  rh_alert_t a = base_alert();
  a.reason = "a, \"b\"\nc";
  assert_int_equal(alerts_store_add(&s, &a, "alerts.411024100", 0, 1, NULL, 0), 0);
  alerts_fmt_t f = {.format = ALERTS_FMT_CSV, .bom = true, .cfg = cfg};
  char *out = render(&f, &s, 1);
  assert_memory_equal(out, "\xEF\xBB\xBF" "alert_id,situation,township_code,village,", 44);
  const char *header_end = strstr(out, "\r\n");
  assert_non_null(header_end);
  /* the last columns are the township's to fill in (riskhub-verify) */
  const char *filled = "created_at,state,visit_due,overdue_days,outcome,not_included_reason,"
                       "visited_on,recorded_by,note\r\n";
  assert_non_null(strstr(out, filled));
  assert_ptr_equal(strstr(out, filled) + strlen(filled), header_end + 2);
  const char *row = header_end + 2;
  assert_non_null(strstr(row, a.alert_id));
  assert_non_null(strstr(row, ",411024********0011,张建国,head,ILLNESS,,high,"));
  assert_non_null(strstr(row, ",\"a, \"\"b\"\"\nc\",")); /* quoted, quotes doubled */
  assert_non_null(strstr(row, ",2026-10,1234567,12345.67,2026-10-03,"));
  assert_non_null(strstr(row, ",\"{\"\"disease\"\":\"\"肺癌\"\",\"\"total_cost\"\":\"\"50000\"\"}\","));
  assert_non_null(strstr(row, ",feed.medical-insurance.high-self-pay,2,41,batch-1,2026-10-12T08:15:30.123Z,,,,,,,,\r\n"));
  assert_no_full_id(out);
  /* the same number of cells as the header (commas outside quotes) */
  int cells = 1, quoted = 0;
  for (const char *p = row; *p && !(p[0] == '\r' && !quoted); p++) {
    if (*p == '"') quoted = !quoted;
    else if (*p == ',' && !quoted) cells++;
  }
  int hcells = count(out, ",") - count(row, ",") + 1;
  assert_int_equal(cells, hcells);
  assert_int_equal(cells, 36);
  free(out);
  /* without BOM */
  f.bom = false;
  alerts_store_clear(&s);
  out = render(&f, &s, 1);
  assert_memory_equal(out, "alert_id,", 9);
  free(out);
  alerts_store_free(&s);
}

/* ---- table --------------------------------------------------------------------------- */

static void test_table_groups_households(void **state) {
  (void)state;
  alerts_store_t s;
  alerts_store_init(&s);
  /* household 0007 of 安陵镇: two warnings (low first in the input, high shown first) */
  rh_alert_t a = base_alert();
  a.severity = "low";
  a.department = "health";
  a.feed = "major-disease";
  a.person_id_number = ID_C;
  a.person_name = "张小红";
  a.relation_to_head = "child";
  a.has_amount = false;
  a.fact_count = 0;
  assert_int_equal(alerts_store_add(&s, &a, "alerts.411024100", 0, 3, NULL, 0), 0);
  /* 马栏镇 household 0002 (registry head known below), risk eliminated */
  rh_alert_t b = base_alert();
  b.township_code = "411024101";
  b.village = "西村";
  b.household_id = "411024101-002-0002";
  b.household_type = "poverty_alleviated";
  b.monitoring_category = NULL;
  b.risk_eliminated = true;
  b.situation = "RISK_MAY_HAVE_RETURNED";
  b.person_name = "李四";
  b.relation_to_head = "spouse";
  b.risk = "DISASTER";
  b.risk_subtype = "FLOOD";
  b.department = "emergency";
  b.feed = "disaster-affected";
  b.severity = "medium";
  assert_int_equal(alerts_store_add(&s, &b, "alerts.411024101", 0, 9, NULL, 0), 0);
  /* the high one of household 0007 */
  rh_alert_t c = base_alert();
  assert_int_equal(alerts_store_add(&s, &c, "alerts.411024100", 1, 4, NULL, 0), 0);
  /* household 0008 of 安陵镇: no head among the persons, none in the registry */
  rh_alert_t d = base_alert();
  d.household_id = "411024100-001-0008";
  d.relation_to_head = "parent";
  d.person_name = "王五";
  assert_int_equal(alerts_store_add(&s, &d, "alerts.411024100", 2, 5, NULL, 0), 0);
  /* an unmatched person */
  rh_alert_t u = base_alert();
  u.situation = "UNMATCHED";
  u.household_id = u.household_type = u.monitoring_category = u.relation_to_head = NULL;
  u.village = "南村";
  u.person_name = "赵六";
  u.person_id_number = ID_A;
  u.severity = "low";
  u.reason = "not in the household registry";
  assert_int_equal(alerts_store_add(&s, &u, "alerts.unmatched", 0, 1, NULL, 0), 0);
  alerts_store_sort(&s);

  alerts_heads_t heads = {0};
  assert_int_equal(alerts_heads_add(&heads, "411024101-002-0002", "李大"), 0);
  alerts_fmt_t f = {.format = ALERTS_FMT_TABLE, .cfg = cfg, .heads = &heads};
  char *out = render(&f, &s, 1);
  assert_no_full_id(out);
  /* sections: 安陵镇 (2 households, 3 warnings), 马栏镇, unmatched last */
  const char *s1 = strstr(out, "== 安陵镇 (411024100): 2 户, 3 条预警 ==");
  const char *s2 = strstr(out, "== 马栏镇 (411024101): 1 户, 1 条预警 ==");
  const char *s3 = strstr(out, "== 未匹配: 户籍库中没有的人员: 1 人, 1 条 ==");
  assert_true(s1 && s2 && s3 && s1 < s2 && s2 < s3);
  /* household 0007: head from the alerts (the person with relation head) */
  const char *h7 = strstr(out, "[1] 东庄村 · 户号 411024100-001-0007 · 户主 张建国 · 监测户(边缘易致贫户)\n");
  assert_non_null(h7);
  const char *w_high = strstr(h7, "    - [高] 存在新风险 · 因病 · 医疗保障局 / ");
  const char *w_low = strstr(h7, "    - [低] 存在新风险 · 因病 · 卫健委 / ");
  assert_true(w_high && w_low && w_high < w_low && w_low < s2);
  assert_non_null(strstr(w_high, "      人员: 张建国 (户主) 411024********0011\n"
                                 "      金额: 12,345.67 元 · 日期: 2026-10-03\n"
                                 "      情况: 主要诊断: 肺癌; 医疗总费用: 50000\n"
                                 "      原因: 自付超过6000元\n"
                                 "      规则: illness-high-self-pay-monitored · 预警编号: a1b2c3d4e5f60718\n"));
  assert_non_null(strstr(w_low, "      人员: 张小红 (子女) 411024********0028\n      日期: 2026-10-03\n"));
  /* household 0008: head unknown */
  assert_non_null(strstr(out, "[2] 东庄村 · 户号 411024100-001-0008 · 户主 (未查到) · 监测户"));
  /* 马栏镇: head from the registry, risk eliminated, sub-type */
  assert_non_null(strstr(s2, "[1] 西村 · 户号 411024101-002-0002 · 户主 李大 · 脱贫户 · 已消除风险\n"
                             "    - [中] 风险可能返回 · 因灾(洪涝) · 应急管理局 / "));
  assert_non_null(strstr(s2, "      人员: 李四 (配偶) 411024********0011\n"));
  /* unmatched: by person, with what the department said */
  assert_non_null(strstr(s3, "[1] 赵六 110105********002X · 部门所报: 安陵镇 南村\n"
                             "    - [低] 未匹配 · 因病 · "));
  assert_non_null(strstr(out, "合计: 2 个乡镇, 3 户, 4 条预警; 未匹配 1 条. 身份证号已遮蔽\n"));
  free(out);

  /* unmasked: the full numbers, and the footer says the export was recorded */
  f.unmasked = true;
  out = render(&f, &s, 1);
  assert_non_null(strstr(out, "张建国 (户主) " ID_B "\n"));
  assert_non_null(strstr(out, "赵六 " ID_A " · "));
  assert_non_null(strstr(out, "身份证号未遮蔽 (导出已登记)"));
  free(out);
  alerts_heads_free(&heads);
  alerts_store_free(&s);
}

static void test_table_nothing(void **state) {
  (void)state;
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  alerts_fmt_t f = {.format = ALERTS_FMT_TABLE, .cfg = cfg};
  assert_int_equal(alerts_format_begin(fp, &f), 0);
  assert_int_equal(alerts_format_batch(fp, &f, NULL, 0), 0);
  assert_int_equal(alerts_format_nothing(fp, &f), 0);
  f.format = ALERTS_FMT_JSONL;
  assert_int_equal(alerts_format_nothing(fp, &f), 0); /* nothing for programs */
  fclose(fp);
  assert_string_equal(buf, "没有新的预警.\n");
  free(buf);
}

/* Without a config (another county's alerts): codes instead of names. */
static void test_table_without_config(void **state) {
  (void)state;
  alerts_store_t s;
  alerts_store_init(&s);
  rh_alert_t a = base_alert();
  a.township_code = "999999100";
  assert_int_equal(alerts_store_add(&s, &a, "alerts.999999100", 0, 1, NULL, 0), 0);
  alerts_fmt_t f = {.format = ALERTS_FMT_TABLE};
  char *out = render(&f, &s, 1);
  assert_non_null(strstr(out, "== 未知乡镇 (999999100): 1 户, 1 条预警 =="));
  assert_non_null(strstr(out, "medical-insurance / high-self-pay"));
  assert_non_null(strstr(out, "情况: disease: 肺癌; total_cost: 50000"));
  free(out);
  alerts_store_free(&s);
}

/* A write error is reported. */
static void test_write_error(void **state) {
  (void)state;
  FILE *fp = fopen("/dev/full", "w");
  if (!fp) skip();
  setvbuf(fp, NULL, _IONBF, 0);
  alerts_store_t s;
  alerts_store_init(&s);
  rh_alert_t a = base_alert();
  assert_int_equal(alerts_store_add(&s, &a, "alerts.411024100", 0, 1, NULL, 0), 0);
  alerts_fmt_t f = {.format = ALERTS_FMT_JSONL};
  assert_int_equal(alerts_format_batch(fp, &f, s.items, s.n), -1);
  fclose(fp);
  alerts_store_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_yuan),
      cmocka_unit_test(test_iso_ms),
      cmocka_unit_test(test_labels),
      cmocka_unit_test(test_mask_text),
      cmocka_unit_test(test_jsonl_every_field),
      cmocka_unit_test(test_jsonl_nulls_escapes_masking),
      cmocka_unit_test(test_csv),
      cmocka_unit_test(test_states),
      cmocka_unit_test(test_table_groups_households),
      cmocka_unit_test(test_table_nothing),
      cmocka_unit_test(test_table_without_config),
      cmocka_unit_test(test_write_error),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
