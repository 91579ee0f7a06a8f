/* registry_migrate without a database: file names, the directory scan, and
 * the migrations shipped in consumers/registry/migrations. (Applying them to a real
 * PostgreSQL is tests/integration/test_registry.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry_import.h"
#include "registry_migrate.h"
#include "rh_hash.h"
#include "rh_paths.h"
#include "rh_test.h"

static void test_parse_name(void **state) {
  (void)state;
  int v;
  char name[64];
  assert_int_equal(registry_migration_parse_name("001_registry.sql", &v, name, sizeof(name)), 0);
  assert_int_equal(v, 1);
  assert_string_equal(name, "registry");
  assert_int_equal(registry_migration_parse_name("120_add_x2.sql", &v, name, sizeof(name)), 0);
  assert_int_equal(v, 120);
  assert_string_equal(name, "add_x2");
  static const char *const bad[] = {"1_x.sql",     "001-x.sql", "001_.sql",  "001_X.sql",
                                    "000_zero.sql", "001_x.SQL", "001_x.sql~", "abc_x.sql",
                                    "001_a b.sql", NULL};
  for (const char *const *b = bad; *b; b++)
    if (registry_migration_parse_name(*b, &v, name, sizeof(name)) == 0) fail_msg("accepted %s", *b);
  /* a name that does not fit */
  assert_int_equal(registry_migration_parse_name("001_registry.sql", &v, name, 5), -1);
}

static char tmpdir[256];

static void put(const char *file, const char *text) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, file);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static void rm(const char *file) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, file);
  unlink(path);
}

static void test_load_dir(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/rh_test_migrate_XXXXXX");
  assert_non_null(mkdtemp(tmpdir));
  char err[1024];
  registry_migrations_t m;

  /* empty directory */
  assert_int_equal(registry_migrations_load(tmpdir, &m, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "holds no NNN_name.sql file"));

  put("010_later.sql", "CREATE TABLE b (x int);\n");
  put("002_first.sql", "CREATE TABLE a (x int);\n");
  put("README.md", "not a migration");
  put(".003_hidden.sql", "ignored");
  assert_int_equal(registry_migrations_load(tmpdir, &m, err, sizeof(err)), 0);
  assert_int_equal(m.count, 2);
  assert_int_equal(m.items[0].version, 2);
  assert_string_equal(m.items[0].file, "002_first.sql");
  assert_string_equal(m.items[0].name, "first");
  assert_string_equal(m.items[0].sql, "CREATE TABLE a (x int);\n");
  assert_int_equal(m.items[1].version, 10);
  /* the checksum is the file's SHA-256 */
  char hex[RH_SHA256_HEXSZ], path[512];
  snprintf(path, sizeof(path), "%s/002_first.sql", tmpdir);
  assert_int_equal(rh_sha256_file(path, hex, err, sizeof(err)), 0);
  assert_string_equal(m.items[0].sha256, hex);
  registry_migrations_free(&m);
  registry_migrations_free(&m); /* twice is harmless */

  /* two files, one version */
  put("002_again.sql", "SELECT 1;");
  assert_int_equal(registry_migrations_load(tmpdir, &m, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "the same version 002"));
  rm("002_again.sql");

  /* a .sql file that is not NNN_name.sql */
  put("3_oops.sql", "SELECT 1;");
  assert_int_equal(registry_migrations_load(tmpdir, &m, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "3_oops.sql: a migration file is named NNN_name.sql"));
  rm("3_oops.sql");

  /* an empty file */
  put("011_empty.sql", "");
  assert_int_equal(registry_migrations_load(tmpdir, &m, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "011_empty.sql: empty migration"));
  rm("011_empty.sql");

  assert_int_equal(registry_migrations_load("/nonexistent/rh", &m, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "/nonexistent/rh"));

  rm("010_later.sql");
  rm("002_first.sql");
  rm("README.md");
  rm(".003_hidden.sql");
  assert_int_equal(rmdir(tmpdir), 0);
}

/* The shipped migrations: they load, number from 001 without gaps, hold no
 * transaction control of their own, and reach what the import needs. */
static void test_shipped(void **state) {
  (void)state;
  char dir[4096], err[1024];
  rh_test_path(dir, sizeof(dir), "consumers/registry/migrations");
  registry_migrations_t m;
  assert_int_equal(registry_migrations_load(dir, &m, err, sizeof(err)), 0);
  assert_true(m.count >= RH_IMPORT_MIN_SCHEMA);
  for (size_t i = 0; i < m.count; i++) {
    assert_int_equal(m.items[i].version, (int)i + 1);
    for (const char *p = m.items[i].sql; *p; p++) {
      /* a line that is only BEGIN; or COMMIT; would end our transaction */
      if ((p == m.items[i].sql || p[-1] == '\n') &&
          (strncmp(p, "BEGIN;", 6) == 0 || strncmp(p, "COMMIT;", 7) == 0))
        fail_msg("%s holds its own transaction control", m.items[i].file);
    }
  }
  assert_string_equal(m.items[0].name, "registry");
  assert_string_equal(m.items[1].name, "registry_changes");
  size_t count = m.count;
  registry_migrations_free(&m);
  m.count = count;
  /* rh_path_migrations follows RH_MIGRATIONS_DIR */
  setenv("RH_MIGRATIONS_DIR", "/somewhere/else", 1);
  assert_string_equal(rh_path_migrations(), "/somewhere/else");
  unsetenv("RH_MIGRATIONS_DIR");
  /* else <prefix>/share/riskhub/migrations: in the build tree, a link to these */
  const char *def = rh_path_migrations();
  assert_non_null(strstr(def, "/share/riskhub/migrations"));
  registry_migrations_t m2;
  assert_int_equal(registry_migrations_load(def, &m2, err, sizeof(err)), 0);
  assert_int_equal(m2.count, m.count);
  registry_migrations_free(&m2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_name),
      cmocka_unit_test(test_load_dir),
      cmocka_unit_test(test_shipped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
