/* replay_store: outputs kept by id (first 64 bits, then the whole id),
 * their bytes and lineage, many of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_store.h"
#include "rh_avro_codec.h"

/* A message shaped like an output: header, then the id as an Avro string. */
static size_t msg(unsigned char *out, const char *id, const char *tail) {
  size_t n = 0, l = strlen(id);
  out[n++] = RH_AVRO_MAGIC0;
  out[n++] = RH_AVRO_MAGIC1;
  for (int i = 0; i < 8; i++) out[n++] = (unsigned char)i;
  for (unsigned long z = l * 2; ; z >>= 7) { /* zigzag varint */
    if (z < 0x80) {
      out[n++] = (unsigned char)z;
      break;
    }
    out[n++] = (unsigned char)(z | 0x80);
  }
  memcpy(out + n, id, l);
  n += l;
  memcpy(out + n, tail, strlen(tail));
  n += strlen(tail);
  return n;
}

static void hexid(unsigned long long v, unsigned long long w, char out[65]) {
  snprintf(out, 65, "%016llx%016llx%016llx%016llx", v, w, v ^ w, w + 1);
}

static void test_add_find(void **state) {
  (void)state;
  replay_store_t *s = replay_store_new(4);
  unsigned char b[256];
  char id1[65], id2[65], id3[65];
  hexid(1, 2, id1);
  hexid(1, 3, id2); /* same first 64 bits as id1 */
  hexid(7, 2, id3);
  size_t n1 = msg(b, id1, "one");
  assert_int_equal(replay_store_add(s, REPLAY_OUT_ALERT, b, n1, 3, 4, 1, 99), 1);
  assert_int_equal(replay_store_add(s, REPLAY_OUT_ALERT, b, n1, 3, 4, 1, 99), 0); /* once */
  size_t n3 = msg(b, id3, "three");
  assert_int_equal(replay_store_add(s, REPLAY_OUT_CHECK, b, n3, 5, 6, -1, -1), 1);
  replay_entry_t *e = replay_store_find(s, id1, 64);
  assert_non_null(e);
  assert_int_equal(e->what, REPLAY_OUT_ALERT);
  assert_int_equal(e->feed, 3);
  assert_int_equal(e->batch, 4);
  assert_int_equal(e->partition, 1);
  assert_int_equal(e->offset, 99);
  assert_int_equal(e->len, n1);
  assert_int_equal(e->seen, 0);
  msg(b, id1, "one");
  assert_memory_equal(replay_store_bytes(s, e), b, n1);
  /* the same 64 bits, another id: not found (the whole id is compared) */
  assert_null(replay_store_find(s, id2, 64));
  assert_null(replay_store_find(s, id1, 63));
  assert_null(replay_store_find(s, "zz", 2));
  e = replay_store_find(s, id3, 64);
  assert_non_null(e);
  assert_int_equal(e->what, REPLAY_OUT_CHECK);
  assert_int_equal(replay_store_count(s), 2);
  /* not shaped like an output */
  assert_int_equal(replay_store_add(s, REPLAY_OUT_ALERT, "xx", 2, 0, 0, 0, 0), -1);
  replay_store_destroy(s);
  replay_store_destroy(NULL);
}

static void test_many(void **state) {
  (void)state;
  replay_store_t *s = replay_store_new(16);
  unsigned char b[256];
  char id[65], tail[32];
  for (unsigned long long i = 0; i < 200000; i++) {
    hexid(i * 0x9e3779b97f4a7c15ULL + 1, i, id);
    snprintf(tail, sizeof tail, "#%llu", i);
    size_t n = msg(b, id, tail);
    assert_int_equal(replay_store_add(s, REPLAY_OUT_ALERT, b, n, 0, 0, 0, (int64_t)i), 1);
  }
  assert_int_equal(replay_store_count(s), 200000);
  for (unsigned long long i = 0; i < 200000; i += 997) {
    hexid(i * 0x9e3779b97f4a7c15ULL + 1, i, id);
    replay_entry_t *e = replay_store_find(s, id, 64);
    assert_non_null(e);
    assert_int_equal(e->offset, (int64_t)i);
    snprintf(tail, sizeof tail, "#%llu", i);
    size_t n = msg(b, id, tail);
    assert_int_equal(e->len, n);
    assert_memory_equal(replay_store_bytes(s, e), b, n);
  }
  assert_true(replay_store_bytes_held(s) > 200000 * sizeof(replay_entry_t));
  replay_store_destroy(s);
}

/* Full 4 MiB chunks go to the store's temporary file and are read back
 * from it; a message larger than 64 KiB stays in memory. */
static void test_spilled(void **state) {
  (void)state;
  replay_store_t *s = replay_store_new(16);
  static unsigned char b[100000];
  char id[65];
  char tail[1100];
  memset(tail, 'x', sizeof tail - 1);
  tail[sizeof tail - 1] = '\0';
  for (unsigned long long i = 0; i < 20000; i++) { /* ~22 MB of messages */
    hexid(i + 1, i, id);
    tail[0] = (char)('a' + i % 26);
    size_t n = msg(b, id, tail);
    assert_int_equal(replay_store_add(s, REPLAY_OUT_ALERT, b, n, 0, 0, 0, (int64_t)i), 1);
  }
  /* a big one, between spilled chunks */
  char *big = malloc(90000);
  assert_non_null(big);
  memset(big, 'b', 89999);
  big[89999] = '\0';
  hexid(999999, 1, id);
  size_t nbig = msg(b, id, big);
  assert_int_equal(replay_store_add(s, REPLAY_OUT_ALERT, b, nbig, 0, 0, 0, -5), 1);
  for (unsigned long long i = 20000; i < 21000; i++) {
    hexid(i + 1, i, id);
    tail[0] = (char)('a' + i % 26);
    size_t n = msg(b, id, tail);
    assert_int_equal(replay_store_add(s, REPLAY_OUT_ALERT, b, n, 0, 0, 0, (int64_t)i), 1);
  }
  /* in memory: the chunk being filled, a spare and the big one (not 22 MB) */
  assert_true(replay_store_bytes_held(s) < (size_t)(10u << 20) + 21000 * 2 * sizeof(replay_entry_t) +
                                               (size_t)(1u << 20));
  for (unsigned long long i = 0; i < 21000; i += 7) {
    hexid(i + 1, i, id);
    replay_entry_t *e = replay_store_find(s, id, 64);
    assert_non_null(e);
    assert_int_equal(e->offset, (int64_t)i);
    tail[0] = (char)('a' + i % 26);
    size_t n = msg(b, id, tail);
    assert_int_equal(e->len, n);
    assert_memory_equal(replay_store_bytes(s, e), b, n);
  }
  hexid(999999, 1, id);
  replay_entry_t *e = replay_store_find(s, id, 64);
  assert_non_null(e);
  assert_int_equal(e->len, nbig);
  msg(b, id, big);
  assert_memory_equal(replay_store_bytes(s, e), b, nbig);
  free(big);
  replay_store_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_add_find),
      cmocka_unit_test(test_many),
      cmocka_unit_test(test_spilled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
