/* rh_map: both key kinds. uint64 keys: replace, collisions and backward-shift
 * deletion (the cluster invariant), growth and reserve, iteration, random
 * puts and deletes against a plain model. Byte keys: duplicates keep the
 * first value, growth, key lengths, deletes in every position of a full
 * small table, iteration, many keys against a model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_map.h"

/* ---- uint64 keys ---------------------------------------------------------------- */

static void test_u64_basic(void **state) {
  (void)state;
  rh_map_t m;
  assert_int_equal(rh_map_init(&m, 0), 0);
  uint32_t v = 0;
  assert_false(rh_map_get(&m, 5, &v));
  assert_int_equal(rh_map_put(&m, 0, 1), -1); /* 0 is "empty" */
  assert_int_equal(rh_map_put(&m, 5, 50), 0);
  assert_int_equal(rh_map_put(&m, 6, 60), 0);
  assert_true(rh_map_get(&m, 5, &v));
  assert_int_equal(v, 50);
  assert_int_equal(rh_map_put(&m, 5, 55), 0); /* replace */
  assert_true(rh_map_get(&m, 5, &v));
  assert_int_equal(v, 55);
  assert_int_equal(m.count, 2);
  assert_true(rh_map_del(&m, 5));
  assert_false(rh_map_del(&m, 5));
  assert_false(rh_map_get(&m, 5, &v));
  assert_true(rh_map_get(&m, 6, &v));
  assert_int_equal(v, 60);
  assert_int_equal(m.count, 1);
  rh_map_free(&m);
  rh_map_free(&m); /* twice is fine */
}

/* keys whose home slot in a table of 16 is `home` */
static size_t keys_with_home(size_t home, size_t mask, uint64_t *out, size_t n, uint64_t from) {
  size_t got = 0;
  for (uint64_t k = from; got < n; k++)
    if ((rh_map_hash64(k) & mask) == home) out[got++] = k;
  return got;
}

static void test_u64_collisions_and_backward_shift(void **state) {
  (void)state;
  rh_map_t m;
  assert_int_equal(rh_map_init(&m, 8), 0);
  assert_int_equal(m.cap, 16);
  size_t mask = m.cap - 1;
  /* a cluster that wraps around the end: 4 keys at home 14, 3 at home 15,
   * 2 at home 0 */
  uint64_t a[4], b[3], c[2];
  keys_with_home(14, mask, a, 4, 1);
  keys_with_home(15, mask, b, 3, 1);
  keys_with_home(0, mask, c, 2, 1);
  uint64_t all[9];
  size_t n = 0;
  for (int i = 0; i < 4; i++) all[n++] = a[i];
  for (int i = 0; i < 3; i++) all[n++] = b[i];
  for (int i = 0; i < 2; i++) all[n++] = c[i];
  /* 9 keys would grow a table of 16 past 3/4? 9 <= 12: no growth */
  for (size_t i = 0; i < n; i++) assert_int_equal(rh_map_put(&m, all[i], (uint32_t)i), 0);
  assert_int_equal(m.cap, 16);
  /* delete each key in turn (from a fresh table each time): all others are
   * still found with their values */
  for (size_t d = 0; d < n; d++) {
    rh_map_t t;
    assert_int_equal(rh_map_init(&t, 8), 0);
    for (size_t i = 0; i < n; i++) assert_int_equal(rh_map_put(&t, all[i], (uint32_t)i), 0);
    assert_true(rh_map_del(&t, all[d]));
    for (size_t i = 0; i < n; i++) {
      uint32_t v;
      if (i == d) {
        assert_false(rh_map_get(&t, all[i], &v));
      } else {
        assert_true(rh_map_get(&t, all[i], &v));
        assert_int_equal(v, i);
      }
    }
    /* no key sits before its home within its cluster: the invariant */
    for (size_t s = 0; s < t.cap; s++) {
      if (!t.slots[s].key) continue;
      size_t home = rh_map_hash64(t.slots[s].key) & mask;
      for (size_t j = home; j != s; j = (j + 1) & mask) assert_true(t.slots[j].key != 0);
    }
    rh_map_free(&t);
  }
  /* delete them all, in an interleaved order */
  for (size_t i = 0; i < n; i += 2) assert_true(rh_map_del(&m, all[i]));
  for (size_t i = 1; i < n; i += 2) {
    uint32_t v;
    assert_true(rh_map_get(&m, all[i], &v));
    assert_int_equal(v, i);
    assert_true(rh_map_del(&m, all[i]));
  }
  assert_int_equal(m.count, 0);
  for (size_t s = 0; s < m.cap; s++) assert_true(m.slots[s].key == 0);
  rh_map_free(&m);
}

static void test_u64_growth_and_reserve(void **state) {
  (void)state;
  rh_map_t m;
  assert_int_equal(rh_map_init(&m, 0), 0);
  const uint32_t n = 200000;
  for (uint32_t i = 0; i < n; i++) {
    assert_int_equal(rh_map_put(&m, (uint64_t)i * 7919 + 1, i), 0);
    assert_true(m.count * 4 <= m.cap * 3);
  }
  assert_int_equal(m.count, n);
  assert_true((m.cap & (m.cap - 1)) == 0);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t v;
    assert_true(rh_map_get(&m, (uint64_t)i * 7919 + 1, &v));
    assert_int_equal(v, i);
    assert_false(rh_map_get(&m, (uint64_t)i * 7919 + 2, &v));
  }
  /* delete every third, then all the rest are still there */
  for (uint32_t i = 0; i < n; i += 3) assert_true(rh_map_del(&m, (uint64_t)i * 7919 + 1));
  for (uint32_t i = 0; i < n; i++)
    assert_int_equal(rh_map_get(&m, (uint64_t)i * 7919 + 1, NULL), i % 3 != 0);
  /* after reserve, that many puts do not move the table */
  assert_int_equal(rh_map_reserve(&m, 100000), 0);
  rh_map_slot_t *slots = m.slots;
  for (uint32_t i = 0; i < 100000; i++)
    assert_int_equal(rh_map_put(&m, (uint64_t)i * 7919 + 3, i), 0);
  assert_ptr_equal(m.slots, slots);
  rh_map_free(&m);
}

static void test_u64_iteration(void **state) {
  (void)state;
  rh_map_t m;
  size_t pos = 0;
  assert_int_equal(rh_map_init(&m, 0), 0);
  assert_false(rh_map_next(&m, &pos, NULL, NULL)); /* empty */
  const uint32_t n = 5000;
  for (uint32_t i = 0; i < n; i++) assert_int_equal(rh_map_put(&m, (uint64_t)i * 13 + 7, i), 0);
  for (uint32_t i = 0; i < n; i += 2) assert_true(rh_map_del(&m, (uint64_t)i * 13 + 7));
  static unsigned char seen[5000];
  memset(seen, 0, sizeof seen);
  uint64_t k;
  uint32_t v;
  size_t visited = 0;
  pos = 0;
  while (rh_map_next(&m, &pos, &k, &v)) {
    assert_true(v < n);
    assert_true(k == (uint64_t)v * 13 + 7); /* each value with its key */
    assert_true(v % 2 == 1);               /* deleted keys are not visited */
    assert_int_equal(seen[v], 0);          /* each once */
    seen[v] = 1;
    visited++;
  }
  assert_int_equal(visited, n / 2);
  assert_int_equal(rh_map_count(&m), n / 2);
  assert_false(rh_map_next(&m, &pos, &k, &v)); /* stays at the end */
  rh_map_free(&m);
}

/* splitmix64: a reproducible stream without rh_synth */
static uint64_t next_rand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

#define MODEL_KEYS 20000

static void test_u64_random_against_model(void **state) {
  (void)state;
  static uint32_t model[MODEL_KEYS]; /* value + 1, 0 = absent */
  memset(model, 0, sizeof model);
  rh_map_t m;
  assert_int_equal(rh_map_init(&m, 0), 0);
  uint64_t seed = 1;
  size_t live = 0;
  for (int step = 0; step < 400000; step++) {
    uint64_t r = next_rand(&seed);
    uint32_t i = (uint32_t)(r % MODEL_KEYS);
    uint64_t key = (uint64_t)i << 40 | 1; /* keys far apart: only the hash spreads them */
    if ((r >> 32) % 3) {
      live += model[i] == 0;
      assert_int_equal(rh_map_put(&m, key, (uint32_t)step), 0);
      model[i] = (uint32_t)step + 1;
    } else {
      assert_int_equal(rh_map_del(&m, key), model[i] != 0);
      live -= model[i] != 0;
      model[i] = 0;
    }
  }
  assert_int_equal(rh_map_count(&m), live);
  for (uint32_t i = 0; i < MODEL_KEYS; i++) {
    uint32_t v = 0;
    bool there = rh_map_get(&m, (uint64_t)i << 40 | 1, &v);
    assert_int_equal(there, model[i] != 0);
    if (there) assert_int_equal(v + 1, model[i]);
  }
  rh_map_free(&m);
}

/* ---- fixed-length byte keys ------------------------------------------------------ */

static void key_of(unsigned i, char out[18]) {
  char buf[32];
  snprintf(buf, sizeof(buf), "411024%012u", i * 7919u);
  memcpy(out, buf, 18);
}

static void test_bytes_duplicates_and_growth(void **state) {
  (void)state;
  rh_map_bytes_t *m = rh_map_bytes_new(18, 10); /* far too small: it must grow */
  assert_non_null(m);
  char k[18];
  const unsigned n = 200000;
  for (unsigned i = 0; i < n; i++) {
    key_of(i, k);
    assert_int_equal(rh_map_bytes_add(m, k, i, NULL), 0);
  }
  assert_int_equal(rh_map_bytes_count(m), n);
  for (unsigned i = 0; i < n; i++) {
    uint32_t v = 0;
    key_of(i, k);
    assert_int_equal(rh_map_bytes_get(m, k, &v), 1);
    assert_int_equal(v, i);
    if (i % 997) continue;
    /* a duplicate keeps the first value and reports it */
    uint32_t prev = 12345;
    assert_int_equal(rh_map_bytes_add(m, k, 999999, &prev), 1);
    assert_int_equal(prev, i);
  }
  key_of(n + 1, k);
  assert_int_equal(rh_map_bytes_get(m, k, NULL), 0);
  assert_int_equal(rh_map_bytes_count(m), n);
  rh_map_bytes_destroy(m);
  rh_map_bytes_destroy(NULL);
}

static void test_bytes_key_lengths(void **state) {
  (void)state;
  assert_null(rh_map_bytes_new(0, 1));
  assert_null(rh_map_bytes_new(65, 1));
  rh_map_bytes_t *m = rh_map_bytes_new(25, 0);
  assert_non_null(m);
  assert_int_equal(rh_map_bytes_key_len(m), 25);
  /* period + household number; differ only in the last byte */
  assert_int_equal(rh_map_bytes_add(m, "2026-10411024100-001-0001", 2, NULL), 0);
  assert_int_equal(rh_map_bytes_add(m, "2026-10411024100-001-0002", 3, NULL), 0);
  assert_int_equal(rh_map_bytes_add(m, "2026-11411024100-001-0001", 4, NULL), 0);
  uint32_t v;
  assert_int_equal(rh_map_bytes_get(m, "2026-10411024100-001-0002", &v), 1);
  assert_int_equal(v, 3);
  assert_int_equal(rh_map_bytes_add(m, "2026-10411024100-001-0001", 9, &v), 1);
  assert_int_equal(v, 2);
  assert_int_equal(rh_map_bytes_add(m, "2026-10411024100-001-0003", 0, NULL), 0); /* value 0 */
  assert_int_equal(rh_map_bytes_get(m, "2026-10411024100-001-0003", &v), 1);
  assert_int_equal(v, 0);
  assert_int_equal(rh_map_bytes_add(m, "2026-10411024100-001-0004", UINT32_MAX, NULL), -1);
  assert_int_equal(rh_map_bytes_get(m, "2026-10411024100-001-0004", NULL), 0);
  /* put replaces */
  assert_int_equal(rh_map_bytes_put(m, "2026-10411024100-001-0001", 7), 0);
  assert_int_equal(rh_map_bytes_get(m, "2026-10411024100-001-0001", &v), 1);
  assert_int_equal(v, 7);
  assert_int_equal(rh_map_bytes_count(m), 4);
  rh_map_bytes_destroy(m);
  /* any bytes, NUL too; the longest key */
  unsigned char a[64], b[64];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  b[63] = 1;
  m = rh_map_bytes_new(64, 0);
  assert_non_null(m);
  assert_int_equal(rh_map_bytes_add(m, a, 1, NULL), 0);
  assert_int_equal(rh_map_bytes_add(m, b, 2, NULL), 0);
  assert_int_equal(rh_map_bytes_get(m, a, &v), 1);
  assert_int_equal(v, 1);
  assert_int_equal(rh_map_bytes_get(m, b, &v), 1);
  assert_int_equal(v, 2);
  rh_map_bytes_destroy(m);
}

/* 12 keys in a table of 16 (3/4 full): clusters and wrap-around are certain.
 * Delete each key in turn from a fresh map: all others are still found. */
static void test_bytes_deletes_in_clusters(void **state) {
  (void)state;
  enum { N = 12 };
  char keys[N][4];
  for (int i = 0; i < N; i++) snprintf(keys[i], sizeof keys[i], "k%02d", i);
  for (int d = 0; d < N; d++) {
    rh_map_bytes_t *m = rh_map_bytes_new(3, N);
    assert_non_null(m);
    for (int i = 0; i < N; i++) assert_int_equal(rh_map_bytes_add(m, keys[i], (uint32_t)i, NULL), 0);
    assert_int_equal(rh_map_bytes_del(m, keys[d]), 1);
    assert_int_equal(rh_map_bytes_del(m, keys[d]), 0);
    for (int i = 0; i < N; i++) {
      uint32_t v = 99;
      assert_int_equal(rh_map_bytes_get(m, keys[i], &v), i != d);
      if (i != d) assert_int_equal(v, i);
    }
    /* then all the others, every second one first */
    for (int i = 0; i < N; i += 2)
      if (i != d) assert_int_equal(rh_map_bytes_del(m, keys[i]), 1);
    for (int i = 1; i < N; i += 2) {
      if (i == d) continue;
      assert_int_equal(rh_map_bytes_get(m, keys[i], NULL), 1);
      assert_int_equal(rh_map_bytes_del(m, keys[i]), 1);
    }
    assert_int_equal(rh_map_bytes_count(m), 0);
    size_t pos = 0;
    assert_false(rh_map_bytes_next(m, &pos, NULL, NULL));
    rh_map_bytes_destroy(m);
  }
}

static void test_bytes_iteration_and_model(void **state) {
  (void)state;
  static uint32_t model[MODEL_KEYS];
  memset(model, 0, sizeof model);
  rh_map_bytes_t *m = rh_map_bytes_new(18, 0);
  assert_non_null(m);
  uint64_t seed = 2;
  size_t live = 0;
  char k[18];
  for (int step = 0; step < 300000; step++) {
    uint64_t r = next_rand(&seed);
    unsigned i = (unsigned)(r % MODEL_KEYS);
    key_of(i, k);
    if ((r >> 32) % 3) {
      live += model[i] == 0;
      assert_int_equal(rh_map_bytes_put(m, k, (uint32_t)step), 0);
      model[i] = (uint32_t)step + 1;
    } else {
      assert_int_equal(rh_map_bytes_del(m, k), model[i] != 0);
      live -= model[i] != 0;
      model[i] = 0;
    }
  }
  assert_int_equal(rh_map_bytes_count(m), live);
  /* iteration visits exactly the live keys, each once, with their values */
  static unsigned char seen[MODEL_KEYS];
  memset(seen, 0, sizeof seen);
  size_t pos = 0, visited = 0;
  const void *key;
  uint32_t v;
  while (rh_map_bytes_next(m, &pos, &key, &v)) {
    unsigned i;
    char buf[19];
    memcpy(buf, key, 18);
    buf[18] = '\0';
    assert_int_equal(sscanf(buf + 6, "%u", &i), 1);
    i /= 7919u;
    assert_true(i < MODEL_KEYS);
    assert_int_equal(seen[i], 0);
    seen[i] = 1;
    assert_int_equal(v + 1, model[i]);
    visited++;
  }
  assert_int_equal(visited, live);
  rh_map_bytes_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_u64_basic),
      cmocka_unit_test(test_u64_collisions_and_backward_shift),
      cmocka_unit_test(test_u64_growth_and_reserve),
      cmocka_unit_test(test_u64_iteration),
      cmocka_unit_test(test_u64_random_against_model),
      cmocka_unit_test(test_bytes_duplicates_and_growth),
      cmocka_unit_test(test_bytes_key_lengths),
      cmocka_unit_test(test_bytes_deletes_in_clusters),
      cmocka_unit_test(test_bytes_iteration_and_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
