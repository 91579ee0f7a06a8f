#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_idnum.h"

static rh_id_status_t check(const char *s, char out[RH_ID_BUFSZ]) {
  return rh_id_validate(s, strlen(s), 2026, out);
}

/* A deterministic generator of valid IDs, independent of rh_id_check_char: the
 * check character is computed here from the standard's definition (ISO 7064
 * MOD 11-2: sum of a_i * 2^(17-i) mod 11), not from the weights table. */
static void make_id(unsigned seed, char out[RH_ID_BUFSZ]) {
  static const char *areas[] = {"411024", "110105", "440305", "510104", "650102"};
  unsigned y = 1930 + seed % 90, m = 1 + (seed / 7) % 12, d = 1 + (seed / 13) % 28;
  snprintf(out, RH_ID_BUFSZ, "%s%04u%02u%02u%03u", areas[seed % 5], y, m, d, (seed * 37) % 1000);
  int sum = 0;
  for (int i = 0; i < 17; i++) sum += (out[i] - '0') * ((1 << (17 - i)) % 11);
  int c = (12 - sum % 11) % 11;
  out[17] = c == 10 ? 'X' : (char)('0' + c);
  out[18] = '\0';
}

static void test_known_valid(void **state) {
  (void)state;
  char out[RH_ID_BUFSZ];
  assert_int_equal(check("11010519491231002X", out), RH_ID_OK);
  assert_string_equal(out, "11010519491231002X");
  assert_int_equal(check("11010519491231002x", out), RH_ID_OK);
  assert_string_equal(out, "11010519491231002X");
  assert_int_equal(check("  '11010519491231002x \r", out), RH_ID_OK);
  assert_string_equal(out, "11010519491231002X");
  assert_int_equal(rh_id_check_char("11010519491231002"), 'X');
  int y, m, d;
  rh_id_birth_date(out, &y, &m, &d);
  assert_int_equal(y, 1949);
  assert_int_equal(m, 12);
  assert_int_equal(d, 31);
  assert_false(rh_id_is_male(out)); /* sequence 002: even */
}

static void test_generator_agrees(void **state) {
  (void)state;
  char id[RH_ID_BUFSZ], out[RH_ID_BUFSZ];
  for (unsigned s = 0; s < 2000; s++) {
    make_id(s, id);
    assert_int_equal(check(id, out), RH_ID_OK);
    assert_string_equal(id, out);
  }
}

static void test_all_single_substitutions_rejected(void **state) {
  (void)state;
  char id[RH_ID_BUFSZ], bad[RH_ID_BUFSZ], out[RH_ID_BUFSZ];
  static const char alphabet[] = "0123456789X";
  unsigned tried = 0;
  for (unsigned s = 0; s < 300; s++) {
    make_id(s, id);
    for (int pos = 0; pos < 18; pos++) {
      for (int a = 0; alphabet[a]; a++) {
        if (alphabet[a] == id[pos]) continue;
        memcpy(bad, id, RH_ID_BUFSZ);
        bad[pos] = alphabet[a];
        rh_id_status_t st = check(bad, out);
        if (st == RH_ID_OK) fail_msg("substitution at %d accepted", pos);
        assert_string_equal(out, "");
        tried++;
      }
    }
  }
  assert_true(tried > 300 * 17 * 9);
}

static void test_all_adjacent_transpositions_rejected(void **state) {
  (void)state;
  char id[RH_ID_BUFSZ], bad[RH_ID_BUFSZ], out[RH_ID_BUFSZ];
  unsigned tried = 0;
  for (unsigned s = 0; s < 2000; s++) {
    make_id(s, id);
    for (int pos = 0; pos < 17; pos++) {
      if (id[pos] == id[pos + 1]) continue;
      memcpy(bad, id, RH_ID_BUFSZ);
      bad[pos] = id[pos + 1];
      bad[pos + 1] = id[pos];
      if (check(bad, out) == RH_ID_OK) fail_msg("transposition at %d accepted", pos);
      tried++;
    }
  }
  assert_true(tried > 2000 * 10);
}

static void test_specific_errors(void **state) {
  (void)state;
  char out[RH_ID_BUFSZ];
  assert_int_equal(check("", out), RH_ID_EMPTY);
  assert_int_equal(check("   ", out), RH_ID_EMPTY);
  assert_int_equal(check("4.11024E+17", out), RH_ID_EXCEL_SCIENTIFIC);
  assert_int_equal(check("4.11024199001E+17", out), RH_ID_EXCEL_SCIENTIFIC);
  assert_int_equal(check("4.11024e17", out), RH_ID_EXCEL_SCIENTIFIC);
  /* 411024199001010016 with the last three digits zeroed by Excel */
  assert_int_equal(check("411024199001010000", out), RH_ID_EXCEL_ZEROED);
  assert_int_equal(check("41102419900101001", out), RH_ID_BAD_LENGTH);
  assert_int_equal(check("4110241990010100166", out), RH_ID_BAD_LENGTH);
  assert_int_equal(check("41102419900101001A", out), RH_ID_BAD_CHAR);
  assert_int_equal(check("4110241990X101001X", out), RH_ID_BAD_CHAR);
  assert_int_equal(check("４11024199001010016", out), RH_ID_BAD_CHAR); /* full-width digit */
  assert_int_equal(check("001024199001010016", out), RH_ID_BAD_ADDRESS);
  /* dates: Feb 29 of a non-leap year, month 13, future */
  char id[RH_ID_BUFSZ] = "41102419010229001";
  id[17] = rh_id_check_char(id), id[18] = '\0';
  assert_int_equal(check(id, out), RH_ID_BAD_DATE);
  strcpy(id, "41102420000229001");
  id[17] = rh_id_check_char(id), id[18] = '\0';
  assert_int_equal(check(id, out), RH_ID_OK); /* 2000 is a leap year */
  strcpy(id, "41102419901301001");
  id[17] = rh_id_check_char(id), id[18] = '\0';
  assert_int_equal(check(id, out), RH_ID_BAD_DATE);
  strcpy(id, "41102420300101001");
  id[17] = rh_id_check_char(id), id[18] = '\0';
  assert_int_equal(check(id, out), RH_ID_BAD_DATE);
  assert_int_equal(check("411024199001010017", out), RH_ID_BAD_CHECKSUM);
  for (int st = RH_ID_OK; st <= RH_ID_BAD_CHECKSUM; st++)
    assert_true(strlen(rh_id_status_str((rh_id_status_t)st)) > 4);
}

static void test_mask(void **state) {
  (void)state;
  char out[RH_ID_BUFSZ];
  rh_id_mask("411024199001010016", out);
  assert_string_equal(out, "411024********0016");
  rh_id_mask("4110241990", out);
  assert_string_equal(out, "41********");
  rh_id_mask("", out);
  assert_string_equal(out, "");
  rh_id_mask(NULL, out);
  assert_string_equal(out, "");
  rh_id_mask("41102419900101001612345", out);
  assert_string_equal(out, "411024********0016");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_valid),
      cmocka_unit_test(test_generator_agrees),
      cmocka_unit_test(test_all_single_substitutions_rejected),
      cmocka_unit_test(test_all_adjacent_transpositions_rejected),
      cmocka_unit_test(test_specific_errors),
      cmocka_unit_test(test_mask),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
