/* rh_paths: the environment first, then the installed layout around the
 * running program (here the build tree, which mirrors it). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rh_paths.h"

static void test_config_for_prefix(void **state) {
  (void)state;
  char buf[256];
  assert_int_equal(rh_path_config_for_prefix("/usr", buf, sizeof buf), 0);
  assert_string_equal(buf, "/etc/riskhub/riskhub.yaml");
  assert_int_equal(rh_path_config_for_prefix("/", buf, sizeof buf), 0);
  assert_string_equal(buf, "/etc/riskhub/riskhub.yaml");
  assert_int_equal(rh_path_config_for_prefix("/usr/local", buf, sizeof buf), 0);
  assert_string_equal(buf, "/usr/local/etc/riskhub/riskhub.yaml");
  assert_int_equal(rh_path_config_for_prefix("/opt/riskhub", buf, sizeof buf), 0);
  assert_string_equal(buf, "/etc/opt/riskhub/riskhub/riskhub.yaml"); /* GNUInstallDirs */
  assert_int_equal(rh_path_config_for_prefix("/opt/a/b", buf, sizeof buf), 0);
  assert_string_equal(buf, "/opt/a/b/etc/riskhub/riskhub.yaml");
  assert_int_equal(rh_path_config_for_prefix("/tmp/x", buf, sizeof buf), 0);
  assert_string_equal(buf, "/tmp/x/etc/riskhub/riskhub.yaml");
  assert_int_equal(rh_path_config_for_prefix("/tmp/x", buf, 10), -1); /* does not fit */
}

/* The prefix is the folder above the one this test runs from (build/tests/
 * -> build/), whatever the working directory. */
static void test_prefix_is_beside_the_program(void **state) {
  (void)state;
  char exe[PATH_MAX], want[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  assert_true(n > 0);
  exe[n] = '\0';
  *strrchr(exe, '/') = '\0';
  *strrchr(exe, '/') = '\0';
  assert_non_null(realpath(exe, want));
  assert_int_equal(chdir("/"), 0);
  assert_string_equal(rh_path_prefix(), want);

  unsetenv("RH_SCHEMAS_DIR");
  unsetenv("RH_CONFIG");
  unsetenv("RH_MIGRATIONS_DIR");
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/share/riskhub/schemas", want);
  assert_string_equal(rh_path_schemas(), path);
  snprintf(path, sizeof path, "%s/share/riskhub/migrations", want);
  assert_string_equal(rh_path_migrations(), path);
  snprintf(path, sizeof path, "%s/etc/riskhub/riskhub.yaml", want);
  assert_string_equal(rh_path_config(), path);

  /* the build tree mirrors the installed layout: these exist */
  struct stat st;
  snprintf(path, sizeof path, "%s/FeedRecord.avsc", rh_path_schemas());
  assert_int_equal(stat(path, &st), 0);
  snprintf(path, sizeof path, "%s/001_registry.sql", rh_path_migrations());
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(stat(rh_path_config(), &st), 0);
}

static void test_environment_first(void **state) {
  (void)state;
  setenv("RH_SCHEMAS_DIR", "/s", 1);
  setenv("RH_CONFIG", "/c.yaml", 1);
  setenv("RH_MIGRATIONS_DIR", "/m", 1);
  assert_string_equal(rh_path_schemas(), "/s");
  assert_string_equal(rh_path_config(), "/c.yaml");
  assert_string_equal(rh_path_migrations(), "/m");
  setenv("RH_CONFIG", "", 1); /* empty: ignored */
  assert_non_null(strstr(rh_path_config(), "/etc/riskhub/riskhub.yaml"));
  unsetenv("RH_SCHEMAS_DIR");
  unsetenv("RH_CONFIG");
  unsetenv("RH_MIGRATIONS_DIR");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_for_prefix),
      cmocka_unit_test(test_prefix_is_beside_the_program),
      cmocka_unit_test(test_environment_first),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
