/* rh_array: RH_ARRAY_RESERVE grows by doubling from `first`, keeps the
 * elements, and on failure leaves the array and its capacity as they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"

typedef struct {
  int a, b;
} pair_t;

static void test_grows_from_first_and_doubles(void **state) {
  (void)state;
  pair_t *v = NULL;
  size_t n = 0, cap = 0;
  assert_int_equal(RH_ARRAY_RESERVE(v, 1, cap, 4), 0);
  assert_non_null(v);
  assert_int_equal(cap, 4);
  for (int i = 0; i < 1000; i++) {
    assert_int_equal(RH_ARRAY_RESERVE(v, n + 1, cap, 4), 0);
    v[n++] = (pair_t){i, -i};
  }
  assert_int_equal(cap, 1024); /* 4 doubled until 1000 fit */
  for (int i = 0; i < 1000; i++) assert_int_equal(v[i].a + v[i].b, 0);
  free(v);
}

static void test_need_within_capacity_keeps_pointer(void **state) {
  (void)state;
  char *buf = NULL;
  size_t cap = 0;
  assert_int_equal(RH_ARRAY_RESERVE(buf, 10, cap, 64), 0);
  char *before = buf;
  assert_int_equal(RH_ARRAY_RESERVE(buf, 64, cap, 64), 0);
  assert_ptr_equal(buf, before);
  assert_int_equal(cap, 64);
  /* a jump past several doublings lands on the first power-of-two multiple */
  assert_int_equal(RH_ARRAY_RESERVE(buf, 1000, cap, 64), 0);
  assert_int_equal(cap, 1024);
  free(buf);
}

static void test_overflow_refused_and_nothing_changes(void **state) {
  (void)state;
  uint64_t *v = NULL;
  size_t cap = 0;
  assert_int_equal(RH_ARRAY_RESERVE(v, 3, cap, 2), 0);
  v[0] = 7, v[1] = 8, v[2] = 9;
  uint64_t *before = v;
  size_t cap_before = cap;
  assert_int_equal(RH_ARRAY_RESERVE(v, SIZE_MAX / 4, cap, 2), -1); /* bytes overflow */
  assert_int_equal(RH_ARRAY_RESERVE(v, SIZE_MAX, cap, 2), -1);     /* count overflow */
  assert_ptr_equal(v, before);
  assert_int_equal(cap, cap_before);
  assert_int_equal(v[0] + v[1] + v[2], 24);
  free(v);
}

static void test_zero_first_means_one(void **state) {
  (void)state;
  int *v = NULL;
  size_t cap = 0;
  assert_int_equal(RH_ARRAY_RESERVE(v, 3, cap, 0), 0);
  assert_int_equal(cap, 4);
  free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grows_from_first_and_doubles),
      cmocka_unit_test(test_need_within_capacity_keeps_pointer),
      cmocka_unit_test(test_overflow_refused_and_nothing_changes),
      cmocka_unit_test(test_zero_first_means_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
