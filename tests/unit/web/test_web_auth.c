/* web_auth's pure parts (consumers/web/web_auth.h): the wait after failed sign-ins,
 * what a password needs, and that a stored hash is Argon2id and checks only the
 * password it was made from. The sign-in itself meets PostgreSQL in
 * tests/integration/test_web.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "web_auth.h"

static void test_wait(void **state) {
  (void)state;
  assert_int_equal(web_signin_wait_s(0, 0), 0);
  assert_int_equal(web_signin_wait_s(2, 0), 0);    /* two mistakes: no wait */
  assert_int_equal(web_signin_wait_s(3, 0), 5);    /* the third: 5 s */
  assert_int_equal(web_signin_wait_s(3, 1.5), 4);  /* rounded up */
  assert_int_equal(web_signin_wait_s(3, 5), 0);
  assert_int_equal(web_signin_wait_s(4, 0), 10);   /* doubling */
  assert_int_equal(web_signin_wait_s(8, 0), 160);
  assert_int_equal(web_signin_wait_s(9, 0), 320);
  assert_int_equal(web_signin_wait_s(10, 0), 640);
  assert_int_equal(web_signin_wait_s(11, 0), 900); /* at most 15 minutes */
  assert_int_equal(web_signin_wait_s(1000000, 0), 900);
  assert_int_equal(web_signin_wait_s(1000000, 899.5), 1);
  assert_int_equal(web_signin_wait_s(1000000, 1e9), 0);
}

static void test_weak(void **state) {
  (void)state;
  assert_non_null(web_password_weak(""));
  assert_non_null(web_password_weak("short1-pw"));      /* 9 characters */
  assert_non_null(web_password_weak("1234567890123"));  /* digits only */
  assert_non_null(web_password_weak("no-digits-here")); /* no digit */
  assert_null(web_password_weak("county-2026-pw"));
  char longpw[300];
  memset(longpw, 'a', sizeof longpw - 1);
  longpw[0] = '1';
  longpw[sizeof longpw - 1] = '\0';
  assert_non_null(web_password_weak(longpw)); /* 299 > 256 */
}

static void test_hash(void **state) {
  (void)state;
  assert_int_equal(web_auth_init(), 0);
  char h1[crypto_pwhash_STRBYTES], h2[crypto_pwhash_STRBYTES];
  assert_int_equal(web_password_hash("county-2026-pw", h1), 0);
  assert_int_equal(web_password_hash("county-2026-pw", h2), 0);
  assert_true(strncmp(h1, "$argon2id$", 10) == 0);
  assert_null(strstr(h1, "county-2026-pw"));
  assert_string_not_equal(h1, h2); /* salted */
  assert_int_equal(crypto_pwhash_str_verify(h1, "county-2026-pw", 14), 0);
  assert_int_not_equal(crypto_pwhash_str_verify(h1, "county-2026-pX", 14), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wait), cmocka_unit_test(test_weak), cmocka_unit_test(test_hash)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
