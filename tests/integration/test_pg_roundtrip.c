/* A PostgreSQL round trip through the real server that scripts/postgres.sh
 * starts (RH_PG_CONNINFO, default 127.0.0.1:15432). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_pg.h"

static void test_roundtrip_utf8_and_params(void **state) {
  (void)state;
  char err[512];
  PGconn *c = rh_pg_connect(rh_pg_env_conninfo(), 10000, err, sizeof(err));
  if (!c) fail_msg("%s (is scripts/services.sh start running?)", err);
  assert_string_equal(PQparameterStatus(c, "server_encoding"), "UTF8");
  assert_int_equal(rh_pg_exec(c, "CREATE TEMP TABLE rt (id text PRIMARY KEY, name text, n bigint)",
                              err, sizeof(err)), 0);
  static const char *names[] = {"张三", "李四", "王五", "赵六"};
  for (int i = 0; i < 4; i++) {
    char id[32], n[32];
    snprintf(id, sizeof(id), "41102419900101%04d", i);
    snprintf(n, sizeof(n), "%lld", 1000000000000LL * (i + 1));
    const char *params[3] = {id, names[i], n};
    PGresult *r = rh_pg_exec_params(c, "INSERT INTO rt VALUES ($1, $2, $3::bigint)", 3, params,
                                    err, sizeof(err));
    if (!r) fail_msg("%s", err);
    PQclear(r);
  }
  PGresult *r = rh_pg_exec_params(c, "SELECT id, name, n FROM rt ORDER BY id", 0, NULL, err,
                                  sizeof(err));
  if (!r) fail_msg("%s", err);
  assert_int_equal(PQntuples(r), 4);
  for (int i = 0; i < 4; i++) {
    assert_string_equal(PQgetvalue(r, i, 1), names[i]);
    assert_int_equal(strtoll(PQgetvalue(r, i, 2), NULL, 10), 1000000000000LL * (i + 1));
  }
  PQclear(r);
  /* a duplicate key is reported with its SQLSTATE */
  const char *dup[3] = {"411024199001010000", "x", "1"};
  assert_null(rh_pg_exec_params(c, "INSERT INTO rt VALUES ($1, $2, $3::bigint)", 3, dup, err,
                                sizeof(err)));
  assert_non_null(strstr(err, "23505"));
  assert_null(strstr(err, "411024199001010000")); /* the server echoes the key: masked */
  assert_non_null(strstr(err, "rt_pkey"));           /* where: the constraint */
  /* a NOT NULL / CHECK failure: PostgreSQL's DETAIL quotes the whole row,
   * names included; the error keeps the primary message only */
  assert_int_equal(rh_pg_exec(c, "ALTER TABLE rt ADD CONSTRAINT rt_n_small CHECK (n < 10)", err,
                              sizeof(err)), -1);
  assert_non_null(strstr(err, "23514"));
  assert_non_null(strstr(err, "rt_n_small"));
  assert_null(strstr(err, "张三"));
  const char *row[3] = {"411024199001019999", "钱七", "99"};
  assert_int_equal(rh_pg_exec(c, "DELETE FROM rt", err, sizeof(err)), 0);
  assert_int_equal(rh_pg_exec(c, "ALTER TABLE rt ADD CONSTRAINT rt_n_small CHECK (n < 10)", err,
                              sizeof(err)), 0);
  assert_null(rh_pg_exec_params(c, "INSERT INTO rt VALUES ($1, $2, $3::bigint)", 3, row, err,
                                sizeof(err)));
  assert_non_null(strstr(err, "23514"));
  assert_null(strstr(err, "钱七"));
  assert_null(strstr(err, "Failing row"));
  assert_false(rh_pg_connection_lost(c));
  PQfinish(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip_utf8_and_params)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
