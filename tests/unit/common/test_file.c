/* rh_file: files with personal data are 0600, never written through a link,
 * and an existing file others could read is made 0600 (O_CREAT keeps a mode). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rh_file.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/rh-test-file-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static mode_t mode_of(const char *path) {
  struct stat st;
  assert_int_equal(lstat(path, &st), 0);
  return st.st_mode & 07777;
}

static void test_new_and_existing_files_are_0600(void **state) {
  (void)state;
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/rejects.csv", dir);
  mode_t old = umask(0);
  FILE *fp = rh_file_create_private(path, O_TRUNC, err, sizeof err);
  umask(old);
  assert_non_null(fp);
  fputs("x\n", fp);
  fclose(fp);
  assert_int_equal(mode_of(path), 0600);
  /* left world-readable by someone: made 0600 when written again */
  assert_int_equal(chmod(path, 0644), 0);
  fp = rh_file_create_private(path, O_TRUNC, err, sizeof err);
  assert_non_null(fp);
  fclose(fp);
  assert_int_equal(mode_of(path), 0600);
  /* O_EXCL: an existing file is not taken */
  assert_null(rh_file_create_private(path, O_EXCL, err, sizeof err));
  assert_int_equal(errno, EEXIST);
  assert_non_null(strstr(err, "rejects.csv: File exists"));
}

static void test_never_through_a_link(void **state) {
  (void)state;
  char target[128], link[128], err[256];
  snprintf(target, sizeof target, "%s/elsewhere", dir);
  snprintf(link, sizeof link, "%s/report.txt", dir);
  FILE *t = fopen(target, "w");
  fclose(t);
  chmod(target, 0644);
  assert_int_equal(symlink(target, link), 0);
  assert_null(rh_file_create_private(link, O_TRUNC, err, sizeof err));
  assert_int_equal(errno, ELOOP);
  assert_int_equal(mode_of(target), 0644); /* the target untouched */
}

static void test_a_pipe_is_left_alone(void **state) {
  (void)state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  assert_int_equal(rh_file_private_fd(p[1]), 0);
  close(p[0]);
  close(p[1]);
  assert_int_equal(rh_file_private_fd(-1), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_and_existing_files_are_0600),
      cmocka_unit_test(test_never_through_a_link),
      cmocka_unit_test(test_a_pipe_is_left_alone),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
