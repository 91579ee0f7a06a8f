/* status_grid, status_render and status_xlsx: the same small report as CSV
 * (exact text), an aligned table (CJK characters two columns wide), Markdown
 * (pipes escaped) and a workbook (a zip with both sheets, written atomically). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rh_config.h"
#include "status_grid.h"
#include "status_render.h"
#include "status_report.h"
#include "status_xlsx.h"

static const char YAML[] =
    "county: {code: \"411024\", name: 鄢陵县}\n"
    "kafka: {bootstrap.servers: 127.0.0.1:19092}\n"
    "postgres: {conninfo: \"host=127.0.0.1\"}\n"
    "townships:\n"
    "  - {code: \"411024100\", name: 安陵镇}\n"
    "  - {code: \"411024101\", name: 马栏镇}\n"
    "departments:\n"
    "  - code: civil-affairs\n"
    "    name: \"民政局|A\"\n"
    "    feeds:\n"
    "      - {code: new-dibao, name: \"低保, 新增\", kind: signal, risk: LOW_INCOME,\n"
    "         columns: {id_number: 身份证号}}\n"
    "  - code: tax\n"
    "    name: 税务局\n"
    "    feeds:\n"
    "      - {code: vehicles, name: 购置车辆人员, kind: check, columns: {id_number: 身份证号}}\n"
    "deadlines: {delivery_day: 10, home_visit_days: 3, comparison_days: 5, "
    "procedure_working_days: 20}\n";

#define A1 "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"

static int64_t cst(int y, int mo, int d, int h, int mi, int s) {
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h - 8,
                  .tm_min = mi, .tm_sec = s};
  return (int64_t)timegm(&tm) * 1000;
}

typedef struct {
  rh_config_t *cfg;
  status_report_t *r;
  status_grid_t *g[2];
} fx_t;

static int setup(void **state) {
  char err[512];
  fx_t *f = calloc(1, sizeof *f);
  f->cfg = rh_config_load_string(YAML, strlen(YAML), "test.yaml", err, sizeof err);
  if (!f->cfg) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  f->r = status_report_new(f->cfg, 2026, 10, 1, 0, cst(2026, 11, 29, 17, 5, 0), 480, err,
                           sizeof err);
  /* dibao late by 2 days, published twice; vehicles missing */
  status_report_add_manifest(f->r, "civil-affairs", "new-dibao", "2026-10", A1,
                             cst(2026, 11, 12, 10, 12, 33), 40, 38, 2);
  status_report_add_manifest(f->r, "civil-affairs", "new-dibao", "2026-10", A1,
                             cst(2026, 11, 13, 8, 0, 0), 40, 38, 2);
  int64_t t = cst(2026, 11, 12, 11, 0, 0);
  status_report_add_alert(f->r, 0, "2026-10", "1111111111111111", "h1", t);
  status_report_add_alert(f->r, 0, "2026-10", "2222222222222222", "h1", t);
  status_report_add_alert(f->r, 1, "2026-10", "3333333333333333", "h2", t);
  status_report_add_alert(f->r, 2, "2026-10", "4444444444444444", NULL, t);
  status_report_add_check(f->r, 1, "2026-10", "5555555555555555", true, t, NULL);
  status_report_finish(f->r);
  f->g[0] = status_grid_lists(f->r);
  f->g[1] = status_grid_townships(f->r);
  *state = f;
  return f->g[0] && f->g[1] ? 0 : -1;
}

static int teardown(void **state) {
  fx_t *f = *state;
  status_grid_destroy(f->g[0]);
  status_grid_destroy(f->g[1]);
  status_report_destroy(f->r);
  rh_config_destroy(f->cfg);
  free(f);
  return 0;
}

/* render into memory */
typedef int (*render_fn)(FILE *, fx_t *);
static void render_to(fx_t *f, render_fn fn, char **out) {
  size_t len = 0;
  *out = NULL;
  FILE *fp = open_memstream(out, &len);
  assert_non_null(fp);
  assert_int_equal(fn(fp, f), 0);
  fclose(fp);
}
static int csv(FILE *fp, fx_t *f) { return status_render_csv(fp, f->g, 2); }
static int table(FILE *fp, fx_t *f) { return status_render_table(fp, "TITLE", f->g, 2); }
static int markdown(FILE *fp, fx_t *f) { return status_render_markdown(fp, "T|1", f->g, 2); }

static void test_csv(void **state) {
  fx_t *f = *state;
  char *out;
  render_to(f, csv, &out);
  const char *want =
      "period,department,department_name,feed,feed_name,kind,status,deadline,finished_at,"
      "days_late,records,rejects,manifests,republished,batches,batch_id\n"
      "2026-10,civil-affairs,民政局|A,new-dibao,\"低保, 新增\",signal,late,2026-11-10,"
      "2026-11-12T10:12:33+08:00,2,38,2,2,1,1," A1 "\n"
      "2026-10,tax,税务局,vehicles,购置车辆人员,check,missing,2026-11-10,,,,,0,0,0,\n"
      "\n"
      "period,township,township_name,warnings,households,checks,checks_matched\n"
      "2026-10,411024100,安陵镇,2,1,0,0\n"
      "2026-10,411024101,马栏镇,1,1,1,1\n"
      "2026-10,unmatched,未匹配人员 unmatched (county office),1,0,0,0\n";
  assert_string_equal(out, want);
  free(out);
}

static void test_table(void **state) {
  fx_t *f = *state;
  char *out;
  render_to(f, table, &out);
  /* the townships table, exactly: names padded by display width (安陵镇 is 6
   * columns), numbers right-aligned under their titles, no trailing blanks */
  const char *want =
      "乡镇预警 Warnings by township\n"
      "乡镇 township                         预警 warnings  户数 households  比对 checks  "
      "比对命中 matched\n"
      "------------------------------------  -------------  ---------------  -----------  "
      "----------------\n"
      "安陵镇                                            2                1            0       "
      "          0\n"
      "马栏镇                                            1                1            1       "
      "          1\n"
      "合计 townships total                              3                2            1       "
      "          1\n"
      "未匹配人员 unmatched (county office)              1                0            0       "
      "          0\n";
  assert_non_null(strstr(out, want));
  assert_true(strncmp(out, "TITLE\n\n名单报送 Lists", strlen("TITLE\n\n名单报送 Lists")) == 0);
  /* the lists: the state, the local time, days late; the missing list named in the notes */
  assert_non_null(strstr(out, "late (迟报)"));
  assert_non_null(strstr(out, "2026-11-12 10:12"));
  assert_non_null(strstr(out, "2 lists: 0 on time, 1 late, 1 missing, 0 pending"));
  assert_non_null(strstr(out, "missing (未报): 税务局 购置车辆人员\n"));
  assert_non_null(strstr(out, "late (迟报): 民政局|A 低保, 新增 (2 days late)\n"));
  /* every line of the lists table (header, two lists) has its status at the
   * same display column, though the names before it differ in width */
  const char *marks[] = {"状态 status", "late (迟报)", "missing (未报)"};
  const char *p = strstr(out, "部门 department");
  size_t cols[3];
  assert_non_null(p);
  for (int i = 0; i < 3; i++) {
    const char *nl = strchr(p, '\n');
    if (i == 1) { /* skip the rule under the header */
      p = nl + 1;
      nl = strchr(p, '\n');
    }
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)(nl - p), p);
    char *m = strstr(line, marks[i]);
    assert_non_null(m);
    *m = '\0';
    cols[i] = status_display_width(line);
    p = nl + 1;
  }
  assert_int_equal(cols[0], cols[1]);
  assert_int_equal(cols[0], cols[2]);
  /* "部门 department" (15) + 2 + "购置车辆人员" (12, the widest list name) + 2 */
  assert_int_equal(cols[0], 15 + 2 + 12 + 2);
  free(out);
}

static void test_markdown(void **state) {
  fx_t *f = *state;
  char *out;
  render_to(f, markdown, &out);
  assert_true(strncmp(out, "# T\\|1\n\n## 名单报送", strlen("# T\\|1\n\n## 名单报送")) == 0);
  assert_non_null(strstr(out, "| 民政局\\|A | 低保, 新增 | late (迟报) | 2026-11-12 10:12 | 2 | 38 | 2 | 1 |\n"));
  assert_non_null(strstr(out, "|---|---|---|---|---:|---:|---:|---:|\n"));
  assert_non_null(strstr(out, "| 马栏镇 | 1 | 1 | 1 | 1 |\n"));
  assert_non_null(strstr(out, "| 合计 townships total | 3 | 2 | 1 | 1 |\n"));
  assert_non_null(strstr(out, "\n- 2 lists: 0 on time, 1 late, 1 missing, 0 pending"));
  free(out);
}

static void test_width_and_fields(void **state) {
  (void)state;
  assert_int_equal(status_display_width("abc"), 3);
  assert_int_equal(status_display_width("民政局"), 6);
  assert_int_equal(status_display_width("é"), 1);          /* U+00E9 */
  assert_int_equal(status_display_width("e\xcc\x81"), 1);  /* e + combining acute */
  assert_int_equal(status_display_width("ＡＢ"), 4);       /* full-width forms */
  assert_int_equal(status_display_width("\xff" "a"), 2);   /* an invalid byte counts 1 */
  assert_int_equal(status_display_width("\xe4\xb8"), 2);   /* truncated sequence: 1 each */
  assert_int_equal(status_display_width(""), 0);
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  status_csv_field(fp, "plain");
  fputc('|', fp);
  status_csv_field(fp, "a,b");
  fputc('|', fp);
  status_csv_field(fp, "say \"hi\"");
  fputc('|', fp);
  status_csv_field(fp, "two\nlines");
  fputc('|', fp);
  status_csv_field(fp, " lead");
  fputc('|', fp);
  status_csv_field(fp, "");
  fclose(fp);
  assert_string_equal(buf, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|\" lead\"|");
  free(buf);
}

static void test_xlsx(void **state) {
  fx_t *f = *state;
  char dir[] = "/tmp/test_status_xlsx.XXXXXX", path[256], err[512];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/status.xlsx", dir);
  assert_int_equal(status_xlsx_write(path, "鄢陵县 2026-10", f->g, 2, err, sizeof err), 0);
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  char *data = malloc(1 << 20);
  size_t n = fread(data, 1, (1 << 20) - 1, fp);
  fclose(fp);
  assert_true(n > 1000);
  assert_memory_equal(data, "PK\x03\x04", 4);
  /* zip entry names are stored as they are */
  const char *parts[] = {"xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                         "xl/styles.xml", "xl/sharedStrings.xml"};
  for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
    assert_non_null(memmem(data, n, parts[i], strlen(parts[i])));
  free(data);
  /* nothing else left in the directory (the temporary file was renamed) */
  char tmp[300];
  snprintf(tmp, sizeof tmp, "%s/status.xlsx.tmp-%ld", dir, (long)getpid());
  struct stat st;
  assert_int_not_equal(stat(tmp, &st), 0);
  unlink(path);
  rmdir(dir);
  /* a directory that does not exist: an error naming the file */
  assert_int_equal(status_xlsx_write("/nonexistent-dir/x.xlsx", "t", f->g, 2, err, sizeof err), -1);
  assert_non_null(strstr(err, "/nonexistent-dir/x.xlsx"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_csv), cmocka_unit_test(test_table), cmocka_unit_test(test_markdown),
      cmocka_unit_test(test_width_and_fields), cmocka_unit_test(test_xlsx)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
