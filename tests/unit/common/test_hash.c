#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
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

/* parts are hashed with their NULs; short inputs take a one-shot path and
 * long ones the streaming path: both against Python's hashlib */
static void test_parts_known(void **state) {
  (void)state;
  char out[RH_SHA256_HEXSZ];
  const char *p1[3] = {"riskhub-alert-v1", "abc", ""};
  for (int i = 0; i < 3; i++) { /* the per-thread context is reused */
    rh_sha256_parts(p1, 3, out);
    assert_string_equal(out, "c5a7fa23f8db60dd22f7210fe25a605cb6355d3f107b694b5a3b7f0c09d8df8d");
  }
  char big[1501];
  memset(big, 'x', 1500);
  big[1500] = '\0';
  const char *p2[2] = {big, "y"};
  rh_sha256_parts(p2, 2, out);
  assert_string_equal(out, "f13b1358d2b205d037e6ba5a7a05b0dca1828dcd1c477c3d214689ccd851d92b");
}

static void *hash_in_thread(void *arg) {
  char *out = arg;
  const char *p1[3] = {"riskhub-alert-v1", "abc", ""};
  rh_sha256_parts(p1, 3, out);
  return NULL;
}

/* threads that hash and end: the same digest, and (under ASan) no context
 * left behind by an ended thread */
static void test_parts_in_threads(void **state) {
  (void)state;
  char out[4][RH_SHA256_HEXSZ];
  pthread_t t[4];
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, hash_in_thread, out[i]), 0);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_string_equal(out[i], "c5a7fa23f8db60dd22f7210fe25a605cb6355d3f107b694b5a3b7f0c09d8df8d");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_known_vectors),
                                     cmocka_unit_test(test_batch_id),
                                     cmocka_unit_test(test_parts_known),
                                     cmocka_unit_test(test_parts_in_threads)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
