/* replay_cause without PostgreSQL: the text[] literal of the keys asked
 * about (every element quoted), and a report without differences asks
 * nothing. (With PostgreSQL: tests/integration/test_replay.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "replay_cause.h"

static void test_array(void **state) {
  (void)state;
  const char *items[] = {"41102419800101001X", "411024100-001-0001", "a\"b\\c,d}"};
  char *s = replay_cause_array(items, 3);
  assert_string_equal(s, "{\"41102419800101001X\",\"411024100-001-0001\",\"a\\\"b\\\\c,d}\"}");
  free(s);
  s = replay_cause_array(NULL, 0);
  assert_string_equal(s, "{}");
  free(s);
}

static void test_nothing_to_explain(void **state) {
  (void)state;
  replay_report_t r;
  memset(&r, 0, sizeof r);
  char err[128] = "";
  assert_int_equal(replay_cause_explain(&r, NULL, err, sizeof err), 0); /* no query */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_array),
      cmocka_unit_test(test_nothing_to_explain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
