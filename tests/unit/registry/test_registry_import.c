/* registry_import without a database (--dry-run): the cross-file checks
 * (duplicates, a member's household, the head, applications), the report's
 * format and limit, file-level problems and exit codes. The database side is
 * tests/integration/test_registry.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry_import.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_test.h"

static rh_config_t *cfg;
static char dir[256];

static int setup(void **state) {
  (void)state;
  cfg = rh_test_config();
  snprintf(dir, sizeof(dir), "/tmp/rh_test_regimport_XXXXXX");
  return cfg && mkdtemp(dir) ? 0 : -1;
}

static void put(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static void rm(const char *name) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  unlink(path);
}

static int teardown(void **state) {
  (void)state;
  rm("households.csv");
  rm("members.csv");
  rm("applications.csv");
  rmdir(dir);
  rh_config_destroy(cfg);
  return 0;
}

#define HH_H "household_id,township_code,village,household_type,monitoring_category,identified_month," \
             "risk_eliminated,eliminated_how,eliminated_month,income_per_capita,head_id_number\n"
#define MB_H "household_id,id_number,name,sex,relation,birth_date,health,disability_grade," \
             "labour_ability,schooling,migrant_months,medical_insurance\n"
#define AP_H "period,household_id,applied_on\n"

/* valid IDs */
#define ID1 "411024195807049851" /* male 1958-07-04 */
#define ID2 "11010519491231002X" /* female 1949-12-31 */
#define ID3 "411024197703208001" /* female 1977-03-20 */
#define ID4 "411002197211205551" /* male 1972-11-20 */

#define HH1 "411024100-001-0001,411024100,王庄村,ordinary,,,false,,,23308.34," ID1 "\n"
#define HH2 "411024100-001-0002,411024100,王庄村,monitored,marginal,2024-03,false,,,6000," ID4 "\n"
#define M1 "411024100-001-0001," ID1 ",张芳志,male,head,1958-07-04,healthy,,weak,primary,0,true\n"
#define M2 "411024100-001-0001," ID2 ",王秀英,female,spouse,1949-12-31,chronic,,none,none,0,true\n"
#define M3 "411024100-001-0002," ID4 ",程兰红,male,head,1972-11-20,healthy,,strong,primary,0,true\n"
#define M4 "411024100-001-0002," ID3 ",何文,female,spouse,1977-03-20,disabled,2,weak,junior,3,false\n"
#define AP1 "2026-10,411024100-001-0002,2026-10-30\n"

typedef struct {
  int rc;
  registry_import_result_t res;
  char report[16384];
} run_t;

static run_t *run(size_t max_errors) {
  static run_t r;
  memset(&r, 0, sizeof(r));
  FILE *rep = fmemopen(r.report, sizeof(r.report) - 1, "w");
  assert_non_null(rep);
  registry_import_opts_t o = {.cfg = cfg, .dir = dir, .encoding = RH_ENC_AUTO, .dry_run = true,
                              .offline = true, .max_errors = max_errors, .report = rep,
                              .max_year = 2026};
  r.rc = registry_import(&o, &r.res);
  fclose(rep);
  return &r;
}

#define ASSERT_IN(hay, needle)                                                             \
  do {                                                                                     \
    if (!strstr((hay), (needle))) fail_msg("'%s' not in:\n%s", (needle), (hay));           \
  } while (0)

static void assert_no_secrets(const char *text) {
  static const char *const secrets[] = {ID1, ID2, ID3, ID4, "张芳志", "王秀英", "程兰红", "何文", NULL};
  for (const char *const *s = secrets; *s; s++)
    if (strstr(text, *s)) fail_msg("leaks '%s':\n%s", *s, text);
}

static void test_valid(void **state) {
  (void)state;
  put("households.csv", HH_H HH1 HH2);
  put("members.csv", MB_H M1 M2 M3 M4);
  put("applications.csv", AP_H AP1);
  run_t *r = run(0);
  assert_int_equal(r->rc, RH_EXIT_OK);
  assert_int_equal(r->res.counts[0].rows, 2);
  assert_int_equal(r->res.counts[1].rows, 4);
  assert_int_equal(r->res.counts[2].rows, 1);
  assert_int_equal(r->res.problems, 0);
  ASSERT_IN(r->res.summary, "members              4 rows valid");
  ASSERT_IN(r->res.summary, "is valid; nothing loaded");
  assert_string_equal(r->report, "");
}

static void test_cross_file(void **state) {
  (void)state;
  /* household twice; a member of a missing household; an ID twice; a head
   * that is a spouse; a household with two heads; a head not in members */
  put("households.csv", HH_H HH1 HH2 HH1
      "411024101-003-0001,411024101,李庄村,ordinary,,,false,,,9000," ID3 "\n"
      "411024102-001-0001,411024102,新村,ordinary,,,false,,,9000,110105194912310011\n");
  put("members.csv", MB_H M1 M2 M3 M4
      "411024100-009-0009," ID3 ",何文,female,head,1977-03-20,healthy,,weak,junior,0,true\n"
      "411024101-003-0001," ID2 ",王秀英,female,head,1949-12-31,healthy,,weak,junior,0,true\n"
      "411024100-001-0002,411024195807049851,张芳志,male,head,1958-07-04,healthy,,weak,primary,0,true\n");
  put("applications.csv", AP_H AP1 AP1 "2026-10,411024100-009-0009,2026-10-03\n");
  run_t *r = run(0);
  assert_int_equal(r->rc, RH_EXIT_REFUSED);
  const char *rep = r->report;
  ASSERT_IN(rep, "households.csv:4: household_id: household 411024100-001-0001 appears twice (first at line 2)\n");
  ASSERT_IN(rep, "members.csv:6: household_id: household 411024100-009-0009 is not in households.csv\n");
  ASSERT_IN(rep, "members.csv:6: id_number: the same ID number as line 5 (411024********8001)");
  ASSERT_IN(rep, "members.csv:7: id_number: the same ID number as line 3 (110105********002X)");
  ASSERT_IN(rep, "members.csv:8: id_number: the same ID number as line 2 (411024********9851)");
  /* 411024101-003-0001's head ID3 is in another household (rejected as missing) */
  ASSERT_IN(rep, "households.csv:5: head_id_number: no member of household 411024101-003-0001 in "
                 "members.csv has this ID number (411024********8001)");
  ASSERT_IN(rep, "households.csv:6: head_id_number: no member of household 411024102-001-0001");
  ASSERT_IN(rep, "applications.csv:3: household_id: household 411024100-001-0002 applied twice in "
                 "2026-10 (first at line 2)");
  ASSERT_IN(rep, "applications.csv:4: household_id: household 411024100-009-0009 is not in "
                 "households.csv");
  assert_no_secrets(rep);
  assert_int_equal(r->res.bad_rows[0], 3);
  assert_int_equal(r->res.bad_rows[1], 3);
  assert_int_equal(r->res.bad_rows[2], 2);
  ASSERT_IN(r->res.error, "import refused: 9 problems (bad rows: households.csv 3, members.csv 3, "
                          "applications.csv 2); nothing was loaded");
}

static void test_heads(void **state) {
  (void)state;
  /* the head's ID belongs to a spouse; another household has two heads */
  put("households.csv", HH_H
      "411024100-001-0001,411024100,王庄村,ordinary,,,false,,,100," ID2 "\n" HH2);
  put("members.csv", MB_H M1 M2 M3
      "411024100-001-0002," ID3 ",何文,female,head,1977-03-20,healthy,,weak,junior,0,true\n");
  put("applications.csv", AP_H);
  run_t *r = run(0);
  assert_int_equal(r->rc, RH_EXIT_REFUSED);
  ASSERT_IN(r->report, "households.csv:2: head_id_number: the member with this ID number "
                       "(110105********002X) has relation spouse, not head\n");
  ASSERT_IN(r->report, "households.csv:3: head_id_number: 2 members of household "
                       "411024100-001-0002 have relation head; a household has one head\n");
  assert_int_equal(r->res.problems, 2);
  assert_no_secrets(r->report);
}

static void test_limit_file_problems_and_exit_codes(void **state) {
  (void)state;
  /* 30 bad rows, 5 shown */
  char mb[8192] = MB_H M1 M3;
  for (int i = 0; i < 30; i++)
    strcat(mb, "411024100-001-0001," ID2 ",王秀英,woman,spouse,1949-12-31,chronic,,none,none,0,true\n");
  put("households.csv", HH_H HH1 HH2);
  put("members.csv", mb);
  put("applications.csv", AP_H);
  run_t *r = run(5);
  assert_int_equal(r->rc, RH_EXIT_REFUSED);
  int lines = 0;
  for (const char *p = r->report; (p = strstr(p, "members.csv:")); p++) lines++;
  assert_int_equal(lines, 5);
  /* the 30 sexes and 29 duplicates */
  ASSERT_IN(r->report, "... and 54 more problems not shown\n");

  /* only a header: refused */
  put("households.csv", HH_H);
  put("members.csv", MB_H);
  r = run(0);
  assert_int_equal(r->rc, RH_EXIT_REFUSED);
  ASSERT_IN(r->report, "households.csv: no households (only a header)");

  /* a header without a column; a broken quote (the file's own line) */
  put("households.csv", "household_id,township_code\n");
  put("members.csv", MB_H M1 "411024100-001-0001,\"" ID2 "\"x,王秀英\n");
  r = run(0);
  assert_int_equal(r->rc, RH_EXIT_REFUSED);
  ASSERT_IN(r->report, "households.csv:1: header has no columns village, household_type");
  ASSERT_IN(r->report, "members.csv: line 3: ");
  assert_no_secrets(r->report);

  /* GBK is detected */
  put("households.csv", HH_H "411024100-001-0001,411024100,\xcd\xf5\xd7\xaf\xb4\xe5,ordinary,,,"
                             "false,,,1," ID1 "\n"); /* 王庄村 in GBK */
  put("members.csv", MB_H "411024100-001-0001," ID1 ",\xd5\xc5\xc8\xfd,male,head,1958-07-04,"
                          "healthy,,weak,primary,0,true\n");
  r = run(0);
  assert_int_equal(r->rc, RH_EXIT_OK);

  /* a missing file: I/O */
  rm("applications.csv");
  r = run(0);
  assert_int_equal(r->rc, RH_EXIT_IOERR);
  ASSERT_IN(r->res.error, "applications.csv: No such file or directory");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid),
      cmocka_unit_test(test_cross_file),
      cmocka_unit_test(test_heads),
      cmocka_unit_test(test_limit_file_problems_and_exit_codes),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
