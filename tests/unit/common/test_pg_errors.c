/* rh_pg without a server: a database that is away gives a clear error naming
 * where it looked, after waiting as long as asked, and never the password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "rh_pg.h"

static void test_unreachable_names_host_and_port(void **state) {
  (void)state;
  char err[512];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  PGconn *c = rh_pg_connect("host=127.0.0.1 port=1 dbname=x user=y password=topsecret "
                            "connect_timeout=2", 700, err, sizeof(err));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_null(c);
  assert_non_null(strstr(err, "cannot connect to PostgreSQL at 127.0.0.1:1: "));
  assert_null(strstr(err, "topsecret"));
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  assert_true(ms >= 600); /* it retried for the time it was given */
}

static void test_bad_conninfo(void **state) {
  (void)state;
  char err[512];
  assert_null(rh_pg_connect("host=127.0.0.1 nonsense=1", 0, err, sizeof(err)));
  assert_non_null(strstr(err, "nonsense"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unreachable_names_host_and_port),
      cmocka_unit_test(test_bad_conninfo),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
