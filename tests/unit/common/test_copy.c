/* rh_copy: COPY text rows split and unescaped in place: NULLs, escapes,
 * octal and hex, empty fields, too many fields, an escaped NUL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rh_copy.h"

static int split(const char *text, char **f, size_t *lens, char *buf, size_t bufsz, int max) {
  size_t len = strlen(text);
  assert_true(len + 1 <= bufsz);
  memcpy(buf, text, len + 1);
  return rh_copy_split(buf, len, f, lens, max);
}

static void test_copy_split(void **state) {
  (void)state;
  char buf[256], *f[8];
  size_t lens[8];
  assert_int_equal(split("411024100-001-0001\t张三\t\\N\tt\n", f, lens, buf, sizeof buf, 8), 4);
  assert_string_equal(f[0], "411024100-001-0001");
  assert_string_equal(f[1], "张三");
  assert_null(f[2]);
  assert_int_equal(lens[2], 0);
  assert_string_equal(f[3], "t");
  assert_int_equal(lens[1], strlen("张三"));

  /* escapes: \t \n \\ \r \b \f \v; a backslash before anything else stands
   * for that character; \N inside a field or escaped is not NULL */
  assert_int_equal(split("a\\tb\\nc\\\\d\\re\\bf\\fg\\vh\t\\\\N\tx\\Ny\t\\q\n", f, lens, buf,
                         sizeof buf, 8),
                   4);
  assert_string_equal(f[0], "a\tb\nc\\d\re\bf\fg\vh");
  assert_int_equal(lens[0], 15);
  assert_string_equal(f[1], "\\N");
  assert_string_equal(f[2], "xNy");
  assert_string_equal(f[3], "q");

  /* octal and hex */
  assert_int_equal(split("\\101\\x42\\7\\x4\\xg\n", f, lens, buf, sizeof buf, 8), 1);
  assert_string_equal(f[0], "AB\a\x04xg");

  /* empty fields, NULL at the ends, no trailing newline */
  assert_int_equal(split("\\N\t\t\\N", f, lens, buf, sizeof buf, 8), 3);
  assert_null(f[0]);
  assert_string_equal(f[1], "");
  assert_null(f[2]);
  assert_int_equal(split("\n", f, lens, buf, sizeof buf, 8), 1);
  assert_string_equal(f[0], "");
  assert_int_equal(split("\t\n", f, lens, buf, sizeof buf, 8), 2);
  assert_string_equal(f[0], "");
  assert_string_equal(f[1], "");
  /* a trailing lone backslash is itself */
  assert_int_equal(split("ab\\", f, lens, buf, sizeof buf, 8), 1);
  assert_string_equal(f[0], "ab\\");

  /* too many fields; an escaped NUL */
  assert_int_equal(split("a\tb\tc\n", f, lens, buf, sizeof buf, 2), -1);
  assert_int_equal(split("a\\000b\n", f, lens, buf, sizeof buf, 8), -1);
  assert_int_equal(split("a\\x00b\n", f, lens, buf, sizeof buf, 8), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_copy_split),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
