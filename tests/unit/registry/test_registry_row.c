/* registry_row: header mapping, row validation and COPY lines of the registry
 * files, against the shipped config (townships). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_row.h"
#include "rh_config.h"
#include "rh_test.h"

static rh_config_t *cfg;

/* ---- a sink that keeps the reports ---- */

typedef struct {
  int n;
  char msg[32][512];
} reports_t;

static void sink(void *ud, registry_file_t file, unsigned long line, const char *column,
                 const char *reason) {
  reports_t *r = ud;
  if (r->n < 32)
    snprintf(r->msg[r->n], sizeof(r->msg[0]), "%s:%lu: %s: %s", registry_file_name(file), line,
             column ? column : "row", reason);
  r->n++;
}

static int has(const reports_t *r, const char *needle) {
  for (int i = 0; i < r->n && i < 32; i++)
    if (strstr(r->msg[i], needle)) return 1;
  return 0;
}

static void dump(const reports_t *r) {
  for (int i = 0; i < r->n && i < 32; i++) print_message("  %s\n", r->msg[i]);
}

#define ASSERT_HAS(r, s)                                                                   \
  do {                                                                                     \
    if (!has((r), (s))) {                                                                  \
      dump(r);                                                                             \
      fail_msg("no report containing '%s'", (s));                                          \
    }                                                                                      \
  } while (0)

/* no full ID number and no name in any report */
static void assert_clean(const reports_t *r, const char *const *secrets) {
  for (int i = 0; i < r->n && i < 32; i++)
    for (const char *const *s = secrets; *s; s++)
      if (strstr(r->msg[i], *s)) fail_msg("report leaks '%s': %s", *s, r->msg[i]);
}

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

/* ---- rows from literals ---- */

typedef struct {
  rh_csv_field_t f[16];
  char buf[16][256];
  rh_csv_row_t row;
} row_t;

/* Split a comma-separated literal (no quoting needed in these tests). */
static const rh_csv_row_t *mk(row_t *r, const char *csv, unsigned long line) {
  size_t n = 0;
  const char *p = csv;
  for (;;) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    memcpy(r->buf[n], p, len);
    r->buf[n][len] = '\0';
    r->f[n] = (rh_csv_field_t){r->buf[n], len};
    n++;
    if (!c) break;
    p = c + 1;
  }
  r->row = (rh_csv_row_t){n, r->f, line};
  return &r->row;
}

static const char *HH_HEADER =
    "household_id,township_code,village,household_type,monitoring_category,identified_month,"
    "risk_eliminated,eliminated_how,eliminated_month,income_per_capita,head_id_number";
static const char *MB_HEADER =
    "household_id,id_number,name,sex,relation,birth_date,health,disability_grade,labour_ability,"
    "schooling,migrant_months,medical_insurance";
static const char *AP_HEADER = "period,household_id,applied_on";

/* valid IDs (GB 11643-1999 check characters) */
#define ID_HEAD "11010519491231002X" /* female, 1949-12-31 */
#define ID_MALE "411024195807049851" /* male, 1958-07-04 */

static registry_map_t map_of(registry_file_t f, const char *header) {
  row_t r;
  registry_map_t m;
  char err[1024];
  assert_int_equal(registry_map_header(&m, f, mk(&r, header, 1), err, sizeof(err)), 0);
  return m;
}

static registry_ctx_t ctx_of(reports_t *r) {
  memset(r, 0, sizeof(*r));
  return (registry_ctx_t){cfg, 2026, sink, r};
}

/* ---- tests ---- */

static void test_header(void **state) {
  (void)state;
  row_t r;
  registry_map_t m;
  char err[1024];
  /* any order, extra columns ignored, blanks and a BOM around names tolerated */
  const char *shuffled = "\xef\xbb\xbfperiod,extra, applied_on ,household_id";
  assert_int_equal(registry_map_header(&m, REGISTRY_APPLICATIONS, mk(&r, shuffled, 1), err,
                                     sizeof(err)), 0);
  assert_int_equal(m.col[0], 0);
  assert_int_equal(m.col[1], 3);
  assert_int_equal(m.col[2], 2);
  assert_int_equal(m.nfields, 4);
  /* missing columns are named */
  assert_int_equal(registry_map_header(&m, REGISTRY_MEMBERS, mk(&r, "household_id,id_numbr,name", 1),
                                     err, sizeof(err)), -1);
  assert_non_null(strstr(err, "no columns id_number, sex"));
  assert_non_null(strstr(err, "the header has: household_id, id_numbr, name"));
  /* the shared column lists */
  assert_string_equal(registry_columns(REGISTRY_HOUSEHOLDS), HH_HEADER);
  assert_string_equal(registry_columns(REGISTRY_MEMBERS), MB_HEADER);
  assert_string_equal(registry_columns(REGISTRY_APPLICATIONS), AP_HEADER);
  assert_int_equal(registry_column_count(REGISTRY_MEMBERS), 12);
  assert_string_equal(registry_column(REGISTRY_HOUSEHOLDS, 10), "head_id_number");
  assert_null(registry_column(REGISTRY_HOUSEHOLDS, 11));
  assert_string_equal(registry_table_name(REGISTRY_APPLICATIONS), "applications");
}

static void test_household_valid_and_copy(void **state) {
  (void)state;
  reports_t rep;
  registry_ctx_t ctx = ctx_of(&rep);
  registry_map_t m = map_of(REGISTRY_HOUSEHOLDS, HH_HEADER);
  row_t r;
  registry_household_t h;
  char line[REGISTRY_COPY_LINE_MAX];

  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, "411024100-001-0001,411024100,王庄村,"
      "ordinary,,,false,,,23308.34," ID_MALE, 2), &h), 0);
  assert_string_equal(h.household_id, "411024100-001-0001");
  assert_int_equal(h.income_fen, 2330834);
  registry_household_copy(&h, line);
  assert_string_equal(line, "411024100-001-0001\t411024100\t王庄村\tordinary\t\\N\t\\N\tf\t\\N\t\\N\t"
                            "23308.34\t" ID_MALE "\n");

  /* monitored, eliminated; blanks trimmed; lower-case x normalised */
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, " 411024105-013-0007 ,411024105,"
      "东李营村,monitored,sudden_hardship,2023-04,TRUE,natural,2024-11,-12.5,11010519491231002x", 3),
      &h), 0);
  registry_household_copy(&h, line);
  assert_string_equal(line, "411024105-013-0007\t411024105\t东李营村\tmonitored\tsudden_hardship\t"
                            "2023-04-01\tt\tnatural\t2024-11-01\t-12.50\t" ID_HEAD "\n");
  assert_int_equal(rep.n, 0);
}

static void test_household_errors(void **state) {
  (void)state;
  reports_t rep;
  registry_ctx_t ctx = ctx_of(&rep);
  registry_map_t m = map_of(REGISTRY_HOUSEHOLDS, HH_HEADER);
  row_t r;
  registry_household_t h;
  static const char *const secrets[] = {"110105194912310021", "王庄村", NULL};

  /* wrong check character in the head's ID, unknown type (a short ASCII code is quoted) */
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, "411024100-001-0001,411024100,王庄村,"
      "poor,,,false,,,100,110105194912310021", 7), &h), 2);
  ASSERT_HAS(&rep, "households.csv:7: head_id_number: ID number's check character is wrong (110105********0021)");
  ASSERT_HAS(&rep, "households.csv:7: household_type: unknown household_type 'poor' (expected "
                   "poverty_alleviated, monitored or ordinary)");
  assert_clean(&rep, secrets);
  /* the key is still known (cross-file checks go on), the bad head is not */
  assert_string_equal(h.household_id, "411024100-001-0001");
  assert_string_equal(h.head_id, "");

  /* township not configured; household number of another township; bad number */
  ctx = ctx_of(&rep);
  assert_true(registry_household_parse(&ctx, &m, mk(&r, "411024199-001-0001,411024199,王庄村,"
      "ordinary,,,false,,,100," ID_MALE, 4), &h) > 0);
  ASSERT_HAS(&rep, "township_code: township code '411024199' is not one of the county's townships");
  ctx = ctx_of(&rep);
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, "411024101-001-0001,411024100,王庄村,"
      "ordinary,,,false,,,100," ID_MALE, 4), &h), 1);
  ASSERT_HAS(&rep, "household_id: household number does not start with its township_code 411024100");
  ctx = ctx_of(&rep);
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, "411024100-1-1,411024100,王庄村,"
      "ordinary,,,false,,,100," ID_MALE, 4), &h), 1);
  ASSERT_HAS(&rep, "household_id: household number '411024100-1-1' is not TTTTTTTTT-VVV-HHHH");
  assert_string_equal(h.household_id, "");

  /* monitored without category and month; category on an ordinary household */
  ctx = ctx_of(&rep);
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, "411024100-001-0001,411024100,王庄村,"
      "monitored,,,false,,,100," ID_MALE, 5), &h), 2);
  ASSERT_HAS(&rep, "monitoring_category: required for a monitored household");
  ASSERT_HAS(&rep, "identified_month: required for a monitored household");
  ctx = ctx_of(&rep);
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, "411024100-001-0001,411024100,王庄村,"
      "ordinary,marginal,,false,,,100," ID_MALE, 5), &h), 1);
  ASSERT_HAS(&rep, "only a monitored household has a monitoring category (this one is ordinary)");

  /* eliminated: how and month required, month not before identification */
  ctx = ctx_of(&rep);
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, "411024100-001-0001,411024100,王庄村,"
      "poverty_alleviated,,,true,,,100," ID_MALE, 6), &h), 3);
  ASSERT_HAS(&rep, "eliminated_how: required when risk_eliminated is true");
  ASSERT_HAS(&rep, "eliminated_month: required when risk_eliminated is true");
  ASSERT_HAS(&rep, "identified_month: required when risk_eliminated is true");
  ctx = ctx_of(&rep);
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, "411024100-001-0001,411024100,王庄村,"
      "monitored,marginal,2024-05,true,assisted,2024-04,100," ID_MALE, 6), &h), 1);
  ASSERT_HAS(&rep, "eliminated_month: before identified_month");
  ctx = ctx_of(&rep);
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, "411024100-001-0001,411024100,王庄村,"
      "monitored,marginal,2024-13,no,helped,2024-04,12.345," ID_MALE, 6), &h), 4);
  ASSERT_HAS(&rep, "identified_month: identified_month is not a month YYYY-MM '2024-13'");
  ASSERT_HAS(&rep, "risk_eliminated: risk_eliminated 'no' is not true or false");
  ASSERT_HAS(&rep, "eliminated_how: unknown eliminated_how 'helped' (expected assisted or natural)");
  ASSERT_HAS(&rep, "income_per_capita: income_per_capita '12.345' is not an amount");

  /* required values, a ragged row */
  ctx = ctx_of(&rep);
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, ",,,,,,,,,,", 9), &h), 7);
  ASSERT_HAS(&rep, "households.csv:9: household_id: required value is empty");
  ASSERT_HAS(&rep, "households.csv:9: head_id_number: required value is empty");
  ctx = ctx_of(&rep);
  assert_int_equal(registry_household_parse(&ctx, &m, mk(&r, "411024100-001-0001,411024100", 9), &h),
                   1);
  ASSERT_HAS(&rep, "households.csv:9: row: row has 2 fields where the header has 11");
}

static void test_member_valid_and_copy(void **state) {
  (void)state;
  reports_t rep;
  registry_ctx_t ctx = ctx_of(&rep);
  registry_map_t m = map_of(REGISTRY_MEMBERS, MB_HEADER);
  row_t r;
  registry_member_t mb;
  char line[REGISTRY_COPY_LINE_MAX];
  assert_int_equal(registry_member_parse(&ctx, &m, mk(&r, "411024100-001-0001," ID_MALE ",张芳志,"
      "male,head,1958-07-04,healthy,,weak,primary,0,true", 2), &mb), 0);
  registry_member_copy(&mb, line);
  assert_string_equal(line, "411024100-001-0001\t" ID_MALE "\t张芳志\tmale\thead\t1958-07-04\t"
                            "healthy\t\\N\tweak\tprimary\t0\tt\n");
  /* disabled with a grade; another date form normalised */
  assert_int_equal(registry_member_parse(&ctx, &m, mk(&r, "411024100-001-0001," ID_HEAD ",王秀英,"
      "female,spouse,1949/12/31,disabled,2,none,none,12,False", 3), &mb), 0);
  registry_member_copy(&mb, line);
  assert_string_equal(line, "411024100-001-0001\t" ID_HEAD "\t王秀英\tfemale\tspouse\t1949-12-31\t"
                            "disabled\t2\tnone\tnone\t12\tf\n");
  assert_int_equal(rep.n, 0);
}

static void test_member_errors(void **state) {
  (void)state;
  reports_t rep;
  registry_ctx_t ctx = ctx_of(&rep);
  registry_map_t m = map_of(REGISTRY_MEMBERS, MB_HEADER);
  row_t r;
  registry_member_t mb;
  static const char *const secrets[] = {ID_MALE, "张芳志", "4110241958070498", NULL};

  /* sex and birth date disagree with the ID; grade without disability; months out of range */
  assert_int_equal(registry_member_parse(&ctx, &m, mk(&r, "411024100-001-0001," ID_MALE ",张芳志,"
      "female,head,1958-07-05,healthy,3,weak,primary,13,yes", 11), &mb), 5);
  ASSERT_HAS(&rep, "members.csv:11: sex: female does not agree with the ID number's sequence digit");
  ASSERT_HAS(&rep, "members.csv:11: birth_date: does not agree with the birth date in the ID number");
  ASSERT_HAS(&rep, "members.csv:11: disability_grade: must be empty unless health is disabled");
  ASSERT_HAS(&rep, "members.csv:11: migrant_months: migrant_months '13' is not a whole number from 0 "
                   "to 12");
  ASSERT_HAS(&rep, "members.csv:11: medical_insurance: medical_insurance 'yes' is not true or false");
  assert_clean(&rep, secrets);
  /* keys and relation still filled for the cross-file checks */
  assert_string_equal(mb.id, ID_MALE);
  assert_int_equal(mb.relation, RH_REL_HEAD);

  /* a bad ID is masked; Excel-mangled IDs are named */
  ctx = ctx_of(&rep);
  assert_true(registry_member_parse(&ctx, &m, mk(&r, "411024100-001-0001,411024195807049850,张芳志,"
      "male,head,1958-07-04,disabled,,weak,primary,0,true", 12), &mb) >= 2);
  ASSERT_HAS(&rep, "members.csv:12: id_number: ID number's check character is wrong (411024********9850)");
  ASSERT_HAS(&rep, "disability_grade: required (1 to 4) when health is disabled");
  assert_string_equal(mb.id, "");
  ctx = ctx_of(&rep);
  assert_true(registry_member_parse(&ctx, &m, mk(&r, "411024100-001-0001,4.11024E+17,张芳志,"
      "male,head,1958-07-04,healthy,,weak,primary,0,true", 13), &mb) >= 1);
  ASSERT_HAS(&rep, "members.csv:13: id_number: ");
  ASSERT_HAS(&rep, "Excel");

  /* codes, a name with a line break, a long name, unparsable date */
  ctx = ctx_of(&rep);
  char longname[400];
  memset(longname, 'a', 250);
  longname[250] = '\0';
  char csv[1024];
  snprintf(csv, sizeof(csv), "411024100-001-0001," ID_MALE ",%s,man,boss,19580704x,ill,,lazy,phd,0,"
           "true", longname);
  assert_int_equal(registry_member_parse(&ctx, &m, mk(&r, csv, 14), &mb), 7);
  ASSERT_HAS(&rep, "name: longer than 200 bytes");
  ASSERT_HAS(&rep, "sex: unknown sex 'man' (expected male or female)");
  ASSERT_HAS(&rep, "relation: unknown relation 'boss' (expected head, spouse, child, parent, "
                   "grandchild, sibling or other)");
  ASSERT_HAS(&rep, "birth_date: birth_date '19580704x' is not a date");
  ASSERT_HAS(&rep, "health: unknown health 'ill'");
  ASSERT_HAS(&rep, "labour_ability: unknown labour_ability 'lazy'");
  ASSERT_HAS(&rep, "schooling: unknown schooling 'phd'");
  ctx = ctx_of(&rep);
  row_t r2;
  const rh_csv_row_t *row = mk(&r2, "411024100-001-0001," ID_MALE ",张X,male,head,1958-07-04,"
                               "healthy,,weak,primary,0,true", 15);
  strcpy(r2.buf[2], "张\n芳");
  r2.f[2].len = strlen(r2.buf[2]);
  assert_int_equal(registry_member_parse(&ctx, &m, row, &mb), 1);
  ASSERT_HAS(&rep, "name: holds a control character");
  assert_clean(&rep, secrets);
}

static void test_values_never_quoted_when_personal(void **state) {
  (void)state;
  reports_t rep;
  registry_ctx_t ctx = ctx_of(&rep);
  registry_map_t m = map_of(REGISTRY_MEMBERS, MB_HEADER);
  row_t r;
  registry_member_t mb;
  /* columns shifted: a name and an ID land in code columns */
  assert_true(registry_member_parse(&ctx, &m, mk(&r, "411024100-001-0001," ID_MALE ",张芳志,"
      "张芳志," ID_MALE ",1958-07-04,healthy,,weak,primary,0,true", 16), &mb) >= 2);
  static const char *const secrets[] = {ID_MALE, "张芳志", NULL};
  assert_clean(&rep, secrets);
  ASSERT_HAS(&rep, "sex: unknown sex (expected male or female)");
}

static void test_applications(void **state) {
  (void)state;
  reports_t rep;
  registry_ctx_t ctx = ctx_of(&rep);
  registry_map_t m = map_of(REGISTRY_APPLICATIONS, AP_HEADER);
  row_t r;
  registry_application_t a;
  char line[REGISTRY_COPY_LINE_MAX];
  assert_int_equal(registry_application_parse(&ctx, &m, mk(&r, "2026-10,411024102-011-0009,"
      "2026-10-30", 2), &a), 0);
  registry_application_copy(&a, line);
  assert_string_equal(line, "2026-10\t411024102-011-0009\t2026-10-30\n");
  assert_int_equal(registry_application_parse(&ctx, &m, mk(&r, "2026-10,411024102-011-0009,"
      "2026-11-01", 3), &a), 1);
  ASSERT_HAS(&rep, "applications.csv:3: applied_on: not in the period 2026-10");
  ctx = ctx_of(&rep);
  assert_int_equal(registry_application_parse(&ctx, &m, mk(&r, "2026-1,411024102-011-0009,"
      "2026-02-30", 4), &a), 2);
  ASSERT_HAS(&rep, "period: period is not a month YYYY-MM '2026-1'");
  ASSERT_HAS(&rep, "applied_on: applied_on '2026-02-30' is not a date");
  ctx = ctx_of(&rep);
  assert_int_equal(registry_application_parse(&ctx, &m, mk(&r, ",,", 5), &a), 3);
}

static void test_copy_escape(void **state) {
  (void)state;
  char out[64];
  const char in[] = "a\\b\tc\nd\re\x01" "f\x7f";
  assert_int_equal(registry_copy_escape(in, sizeof(in) - 1, out), strlen("a\\\\b\\tc\\nd\\re\\001f\\177"));
  assert_string_equal(out, "a\\\\b\\tc\\nd\\re\\001f\\177");
  assert_int_equal(registry_copy_escape("王庄村", strlen("王庄村"), out), strlen("王庄村"));
  assert_string_equal(out, "王庄村");
  char m[8];
  registry_month_str(2026 * 12 + 9, m);
  assert_string_equal(m, "2026-10");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header),
      cmocka_unit_test(test_household_valid_and_copy),
      cmocka_unit_test(test_household_errors),
      cmocka_unit_test(test_member_valid_and_copy),
      cmocka_unit_test(test_member_errors),
      cmocka_unit_test(test_values_never_quoted_when_personal),
      cmocka_unit_test(test_applications),
      cmocka_unit_test(test_copy_escape),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
