#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rh_synth.h"

static void test_ids_valid_and_deterministic(void **state) {
  (void)state;
  rh_rng_t a, b;
  rh_rng_seed(&a, 42);
  rh_rng_seed(&b, 42);
  char x[RH_ID_BUFSZ], y[RH_ID_BUFSZ], out[RH_ID_BUFSZ];
  int males = 0;
  for (int i = 0; i < 5000; i++) {
    rh_synth_id(&a, "411024", 1940, 2015, -1, x);
    rh_synth_id(&b, "411024", 1940, 2015, -1, y);
    assert_string_equal(x, y);
    assert_int_equal(rh_id_validate(x, strlen(x), 2026, out), RH_ID_OK);
    assert_memory_equal(x, "411024", 6);
    males += rh_id_is_male(x);
  }
  assert_true(males > 2000 && males < 3000);
  rh_synth_id(&a, "411024", 1990, 1990, 1, x);
  assert_true(rh_id_is_male(x));
  rh_synth_id(&a, "411024", 1990, 1990, 0, x);
  assert_false(rh_id_is_male(x));
}

static void test_names(void **state) {
  (void)state;
  rh_rng_t r;
  rh_rng_seed(&r, 7);
  char name[16];
  for (int i = 0; i < 100; i++) {
    rh_synth_name(&r, name, sizeof(name));
    size_t n = strlen(name);
    assert_true(n == 6 || n == 9); /* 2 or 3 CJK characters of 3 UTF-8 bytes */
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ids_valid_and_deterministic),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
