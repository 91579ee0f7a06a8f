/* receive_file: a push as one file, 0600, complete or not there; a push
 * written before is not written again; GBK; part files swept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "receive_file.h"
#include "rh_test.h"

static char dir[256];
static rh_config_t *cfg;
static const char *PUSH = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/rh-test-receive-XXXXXX");
  if (!mkdtemp(dir)) return -1;
  cfg = rh_test_config();
  return cfg ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd)) return -1;
  rh_config_destroy(cfg);
  return 0;
}

static size_t files(void) {
  DIR *d = opendir(dir);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char buf[8192];
  *len = fread(buf, 1, sizeof buf - 1, f);
  buf[*len] = '\0';
  fclose(f);
  return buf;
}

static const rh_outbound_record_t ROWS[2] = {
    {NULL, "411024100-001-0001", "411024199001011234", "王,甲", "411024100", "东村"},
    {NULL, "411024100-001-0001", "41102419900102123X", "李乙", "411024100", "东村"}};

static void test_one_file_once(void **state) {
  (void)state;
  receive_file_t rf;
  char err[512];
  bool written;
  assert_int_equal(receive_file_begin(&rf, cfg, dir, "tax", RH_OUTBOUND_NEW_OBJECTS, RECEIVE_UTF8,
                                      PUSH, err, sizeof err), 0);
  for (int i = 0; i < 2; i++) assert_int_equal(receive_file_row(&rf, &ROWS[i], err, sizeof err), 0);
  assert_int_equal(files(), 0); /* nothing under a final name before the manifest */
  assert_int_equal(receive_file_finish(&rf, "2026-10", &written, err, sizeof err), 0);
  assert_true(written);
  assert_non_null(strstr(rf.final, "/tax.new-monitoring-objects.2026-10.0123456789abcdef.csv"));
  struct stat st;
  assert_int_equal(stat(rf.final, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  size_t len;
  const char *text = slurp(rf.final, &len);
  assert_string_equal(text, "\xEF\xBB\xBF户编号,身份证号,姓名,乡镇代码,乡镇,村\r\n"
                            "411024100-001-0001,411024199001011234,\"王,甲\",411024100,安陵镇,东村\r\n"
                            "411024100-001-0001,41102419900102123X,李乙,411024100,安陵镇,东村\r\n");
  assert_true(receive_journal_has(dir, "tax", PUSH));
  /* the same push again (a restart before the commit): not a second file */
  assert_int_equal(receive_file_begin(&rf, cfg, dir, "tax", RH_OUTBOUND_NEW_OBJECTS, RECEIVE_UTF8,
                                      PUSH, err, sizeof err), 0);
  assert_int_equal(receive_file_row(&rf, &ROWS[0], err, sizeof err), 0);
  assert_int_equal(receive_file_finish(&rf, "2026-10", &written, err, sizeof err), 0);
  assert_false(written);
  assert_int_equal(files(), 1);
  assert_int_equal(stat(rf.part, &st), -1); /* its part file gone */
}

static void test_gbk_and_discard(void **state) {
  (void)state;
  receive_file_t rf;
  char err[512];
  bool written;
  const char *push = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
  assert_int_equal(receive_file_begin(&rf, cfg, dir, "tax", RH_OUTBOUND_APPLICANTS, RECEIVE_GBK,
                                      push, err, sizeof err), 0);
  rh_outbound_record_t r = ROWS[1];
  r.township_code = r.village = NULL;
  assert_int_equal(receive_file_row(&rf, &r, err, sizeof err), 0);
  assert_int_equal(receive_file_finish(&rf, "2026-10", &written, err, sizeof err), 0);
  size_t len;
  const char *text = slurp(rf.final, &len);
  /* 户 in GBK is BB A7; no BOM; 李 is C0 EE */
  assert_memory_equal(text, "\xBB\xA7", 2);
  assert_non_null(strstr(text, "\xC0\xEE"));
  /* a name GBK cannot hold (U+20000, U+4DAE): GB18030's 4-byte codes, not a failure */
  const char *rare = "2222222222222222222222222222222222222222222222222222222222222222";
  assert_int_equal(receive_file_begin(&rf, cfg, dir, "banks", RH_OUTBOUND_APPLICANTS, RECEIVE_GBK,
                                      rare, err, sizeof err), 0);
  rh_outbound_record_t x = r;
  x.name = "李\xF0\xA0\x80\x80\xE4\xB6\xAE";
  assert_int_equal(receive_file_row(&rf, &x, err, sizeof err), 0);
  assert_int_equal(receive_file_finish(&rf, "2026-10", &written, err, sizeof err), 0);
  assert_true(written);
  text = slurp(rf.final, &len);
  assert_non_null(strstr(text, ",\xC0\xEE\x95\x32\x82\x36\xFE\x9F\r\n"));
  /* a push discarded leaves nothing */
  const char *other = "1111111111111111111111111111111111111111111111111111111111111111";
  assert_int_equal(receive_file_begin(&rf, cfg, dir, "tax", RH_OUTBOUND_APPLICANTS, RECEIVE_UTF8,
                                      other, err, sizeof err), 0);
  assert_int_equal(receive_file_row(&rf, &r, err, sizeof err), 0);
  receive_file_discard(&rf);
  struct stat st;
  assert_int_equal(stat(rf.part, &st), -1);
  /* a part file of a run that died is swept at the next start */
  assert_int_equal(receive_file_begin(&rf, cfg, dir, "tax", RH_OUTBOUND_APPLICANTS, RECEIVE_UTF8,
                                      other, err, sizeof err), 0);
  char part[4096];
  snprintf(part, sizeof part, "%s", rf.part);
  fclose(rf.f);
  rf.f = NULL;
  assert_int_equal(stat(part, &st), 0);
  receive_file_sweep(dir, "tax");
  assert_int_equal(stat(part, &st), -1);
  assert_false(receive_journal_has(dir, "tax", other));
}

/* One receiver of a folder at a time: a second lock is refused (-2) until the
 * first is closed. */
static void test_lock(void **state) {
  (void)state;
  char err[512];
  int a = receive_lock(dir, "tax", err, sizeof err);
  assert_true(a >= 0);
  assert_int_equal(receive_lock(dir, "tax", err, sizeof err), -2);
  int other = receive_lock(dir, "banks", err, sizeof err); /* another department's: free */
  assert_true(other >= 0);
  close(other);
  close(a);
  int b = receive_lock(dir, "tax", err, sizeof err);
  assert_true(b >= 0);
  close(b);
}

/* A journal whose last line a crash left without its newline: the next id is
 * a line of its own. */
static void test_journal_torn_line(void **state) {
  (void)state;
  char path[512], err[512];
  bool written;
  snprintf(path, sizeof path, "%s/.riskhub-receive.finance.journal", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("0123456789abcdef", f); /* torn */
  fclose(f);
  const char *push = "3333333333333333333333333333333333333333333333333333333333333333";
  receive_file_t rf;
  assert_int_equal(receive_file_begin(&rf, cfg, dir, "finance", RH_OUTBOUND_APPLICANTS,
                                      RECEIVE_UTF8, push, err, sizeof err), 0);
  assert_int_equal(receive_file_finish(&rf, "2026-10", &written, err, sizeof err), 0);
  assert_true(written);
  assert_true(receive_journal_has(dir, "finance", push));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_one_file_once),
                                     cmocka_unit_test(test_gbk_and_discard),
                                     cmocka_unit_test(test_lock),
                                     cmocka_unit_test(test_journal_torn_line)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
