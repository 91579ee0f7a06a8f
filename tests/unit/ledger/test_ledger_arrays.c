/* ledger_arrays: rows as PostgreSQL array literals (quoting, NULL, nested
 * literals, closing once). No database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_arrays.h"

static void test_rows(void **state) {
  (void)state;
  ledger_arrays_t a;
  ledger_arrays_init(&a, 3);
  assert_string_equal(ledger_arrays_literal(&a, 0), "{}");
  const char *r1[3] = {"a1", "say \"hi\"", "back\\slash"};
  const char *r2[3] = {"a2", NULL, "{x,y}"};
  assert_int_equal(ledger_arrays_add(&a, r1), 0);
  assert_int_equal(ledger_arrays_add(&a, r2), 0);
  assert_int_equal(a.rows, 2);
  assert_string_equal(ledger_arrays_literal(&a, 0), "{\"a1\",\"a2\"}");
  assert_string_equal(ledger_arrays_literal(&a, 1), "{\"say \\\"hi\\\"\",NULL}");
  assert_string_equal(ledger_arrays_literal(&a, 2), "{\"back\\\\slash\",\"{x,y}\"}");
  /* closed once: asking again gives the same literal */
  assert_string_equal(ledger_arrays_literal(&a, 0), "{\"a1\",\"a2\"}");
  ledger_arrays_clear(&a);
  assert_int_equal(a.rows, 0);
  assert_string_equal(ledger_arrays_literal(&a, 0), "{}");
  const char *r3[3] = {"", "", ""};
  assert_int_equal(ledger_arrays_add(&a, r3), 0);
  assert_string_equal(ledger_arrays_literal(&a, 2), "{\"\"}");
  ledger_arrays_free(&a);
  ledger_arrays_free(&a);
}

/* a text[] inside one element: the inner literal is quoted again */
static void test_nested(void **state) {
  (void)state;
  ledger_sbuf_t b = {0};
  assert_int_equal(ledger_sbuf_put(&b, "{", 1), 0);
  assert_int_equal(ledger_sbuf_element(&b, "tax/vehicles", 1), 0);
  assert_int_equal(ledger_sbuf_element(&b, "bank/\"deposits\"", 0), 0);
  assert_int_equal(ledger_sbuf_put(&b, "}", 1), 0);
  assert_string_equal(b.data, "{\"tax/vehicles\",\"bank/\\\"deposits\\\"\"}");
  ledger_arrays_t a;
  ledger_arrays_init(&a, 1);
  const char *r[1] = {b.data};
  assert_int_equal(ledger_arrays_add(&a, r), 0);
  assert_string_equal(ledger_arrays_literal(&a, 0),
                      "{\"{\\\"tax/vehicles\\\",\\\"bank/\\\\\\\"deposits\\\\\\\"\\\"}\"}");
  ledger_arrays_free(&a);
  free(b.data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rows),
      cmocka_unit_test(test_nested),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
