/* ledger_offsets: positions and a batch's spans in memory. No database (the
 * SQL is exercised by tests/integration/test_ledger.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ledger_offsets.h"

static void test_positions(void **state) {
  (void)state;
  ledger_offsets_t o;
  ledger_offsets_init(&o);
  assert_int_equal(ledger_offsets_get(&o, "alerts.411024100", 0), -1);
  assert_int_equal(ledger_offsets_set(&o, "alerts.411024100", 0, 17), 0);
  assert_int_equal(ledger_offsets_set(&o, "alerts.411024100", 1, 5), 0);
  assert_int_equal(ledger_offsets_set(&o, "checks.411024100", 0, 9), 0);
  assert_int_equal(ledger_offsets_set(&o, "alerts.411024100", 0, 40), 0);
  assert_int_equal(o.n, 3);
  assert_int_equal(ledger_offsets_get(&o, "alerts.411024100", 0), 40);
  assert_int_equal(ledger_offsets_get(&o, "alerts.411024100", 1), 5);
  assert_int_equal(ledger_offsets_get(&o, "checks.411024100", 0), 9);
  assert_int_equal(ledger_offsets_get(&o, "checks.411024100", 1), -1);
  /* a name longer than a topic can be is refused, not cut */
  char longname[400];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  assert_int_equal(ledger_offsets_set(&o, longname, 0, 1), -1);
  ledger_offsets_clear(&o);
  assert_int_equal(ledger_offsets_get(&o, "alerts.411024100", 0), -1);
  ledger_offsets_free(&o);
  ledger_offsets_free(&o);
}

/* a batch: the first offset read stays, next follows the last (gaps: markers) */
static void test_spans(void **state) {
  (void)state;
  ledger_offsets_t s;
  ledger_offsets_init(&s);
  assert_int_equal(ledger_offsets_span(&s, "alerts.411024100", 2, 100), 0);
  assert_int_equal(ledger_offsets_span(&s, "checks.411024101", 0, 7), 0);
  assert_int_equal(ledger_offsets_span(&s, "alerts.411024100", 2, 101), 0);
  assert_int_equal(ledger_offsets_span(&s, "alerts.411024100", 2, 105), 0);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.p[0].topic, "alerts.411024100");
  assert_int_equal(s.p[0].partition, 2);
  assert_int_equal(s.p[0].first, 100);
  assert_int_equal(s.p[0].next, 106);
  assert_int_equal(s.p[1].first, 7);
  assert_int_equal(s.p[1].next, 8);
  ledger_offsets_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_positions),
      cmocka_unit_test(test_spans),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
