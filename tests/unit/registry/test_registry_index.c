/* registry_index: fixed-length keys to 32-bit values, duplicates, growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "registry_index.h"

static void key_of(unsigned i, char out[18]) {
  char buf[32];
  snprintf(buf, sizeof(buf), "411024%012u", i * 7919u);
  memcpy(out, buf, 18);
}

static void test_put_get_duplicates_growth(void **state) {
  (void)state;
  registry_index_t *ix = registry_index_new(18, 10); /* far too small: it must grow */
  assert_non_null(ix);
  char k[18];
  const unsigned n = 200000;
  for (unsigned i = 0; i < n; i++) {
    key_of(i, k);
    assert_int_equal(registry_index_put(ix, k, i, NULL), 0);
  }
  assert_int_equal(registry_index_count(ix), n);
  for (unsigned i = 0; i < n; i += 997) {
    uint32_t v = 0;
    key_of(i, k);
    assert_int_equal(registry_index_get(ix, k, &v), 1);
    assert_int_equal(v, i);
    /* a duplicate keeps the first value and reports it */
    uint32_t prev = 12345;
    assert_int_equal(registry_index_put(ix, k, 999999, &prev), 1);
    assert_int_equal(prev, i);
  }
  key_of(n + 1, k);
  assert_int_equal(registry_index_get(ix, k, NULL), 0);
  assert_int_equal(registry_index_count(ix), n);
  registry_index_destroy(ix);
  registry_index_destroy(NULL);
}

static void test_key_lengths(void **state) {
  (void)state;
  assert_null(registry_index_new(0, 1));
  assert_null(registry_index_new(65, 1));
  registry_index_t *ix = registry_index_new(25, 0);
  assert_non_null(ix);
  /* period + household number; differ only in the last byte */
  assert_int_equal(registry_index_put(ix, "2026-10411024100-001-0001", 2, NULL), 0);
  assert_int_equal(registry_index_put(ix, "2026-10411024100-001-0002", 3, NULL), 0);
  assert_int_equal(registry_index_put(ix, "2026-11411024100-001-0001", 4, NULL), 0);
  uint32_t v;
  assert_int_equal(registry_index_get(ix, "2026-10411024100-001-0002", &v), 1);
  assert_int_equal(v, 3);
  assert_int_equal(registry_index_put(ix, "2026-10411024100-001-0001", 9, &v), 1);
  assert_int_equal(v, 2);
  assert_int_equal(registry_index_put(ix, "2026-10411024100-001-0003", 0, NULL), 0); /* value 0 */
  assert_int_equal(registry_index_get(ix, "2026-10411024100-001-0003", &v), 1);
  assert_int_equal(v, 0);
  registry_index_destroy(ix);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_get_duplicates_growth),
      cmocka_unit_test(test_key_lengths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
