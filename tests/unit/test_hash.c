#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_hash.h"

static void test_known_vectors(void **state) {
  (void)state;
  char out[RH_SHA256_HEXSZ];
  rh_sha256_t *h = rh_sha256_new();
  rh_sha256_update(h, "abc", 3);
  rh_sha256_final(h, out);
  assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  char path[] = "/tmp/rh_hash_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *fp = fdopen(fd, "wb");
  fputs("abc", fp);
  fclose(fp);
  char err[256];
  assert_int_equal(rh_sha256_file(path, out, err, sizeof(err)), 0);
  assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  remove(path);
  assert_int_equal(rh_sha256_file(path, out, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "No such file"));
}

static void test_batch_id(void **state) {
  (void)state;
  char a[RH_SHA256_HEXSZ], b[RH_SHA256_HEXSZ], c[RH_SHA256_HEXSZ];
  const char *sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  rh_batch_id("health", "major-disease", "2026-10", sha, a);
  rh_batch_id("health", "major-disease", "2026-10", sha, b);
  assert_string_equal(a, b);
  rh_batch_id("health", "major-disease", "2026-11", sha, c);
  assert_string_not_equal(a, c);
  /* parts cannot run into each other */
  rh_batch_id("health", "major-disease2026-10", "", sha, c);
  assert_string_not_equal(a, c);
  assert_int_equal(strlen(a), 64);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_known_vectors),
                                     cmocka_unit_test(test_batch_id)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
