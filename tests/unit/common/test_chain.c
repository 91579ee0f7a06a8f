/* rh_chain: each manifest judged against the signed lists of its feed before
 * it (a first, a link, a fork, a copy, a chain started again, a previous list
 * unknown or gone), whatever order they were added in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "rh_chain.h"

static const int FEED_A = 1, FEED_B = 2;

/* A link hash of one letter (repeated), at partition 0, offset off. */
static rh_chain_link_t link_of(const int *feed, char self, char prev, int64_t finished,
                               int64_t appended, int64_t off) {
  rh_chain_link_t l = {.feed = feed, .partition = 0, .offset = off, .finished_at = finished,
                       .appended_at = appended, .believed = true, .tag = (size_t)off};
  snprintf(l.topic, sizeof l.topic, "t.manifests");
  memset(l.link, self, 64);
  if (prev) memset(l.prev, prev, 64);
  return l;
}

static rh_chain_verdict_t verdict_at(rh_chain_t *c, int64_t off, size_t *orig) {
  size_t i = rh_chain_find(c, "t.manifests", 0, off);
  assert_true(i != SIZE_MAX);
  return rh_chain_verdict(c, i, orig);
}

static void test_a_chain_with_a_fork(void **state) {
  (void)state;
  rh_chain_t *c = rh_chain_new();
  assert_non_null(c);
  /* added out of order: judged in the order the lists finished */
  rh_chain_link_t v[] = {
      link_of(&FEED_A, 'c', 'b', 300, 3, 2), link_of(&FEED_A, 'a', 0, 100, 1, 0),
      link_of(&FEED_A, 'b', 'a', 200, 2, 1), link_of(&FEED_A, 'd', 'b', 301, 4, 3),
      link_of(&FEED_B, 'x', 0, 150, 5, 4),
  };
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) assert_int_equal(rh_chain_add(c, &v[i]), 0);
  rh_chain_sort(c);
  assert_int_equal(verdict_at(c, 0, NULL), RH_CHAIN_FIRST);
  assert_int_equal(verdict_at(c, 1, NULL), RH_CHAIN_LINKED);
  assert_int_equal(verdict_at(c, 2, NULL), RH_CHAIN_LINKED);
  assert_int_equal(verdict_at(c, 3, NULL), RH_CHAIN_FORK); /* named b as c did */
  assert_int_equal(verdict_at(c, 4, NULL), RH_CHAIN_FIRST); /* another feed's own chain */
  for (int64_t o = 0; o < 5; o++) assert_true(rh_chain_in_chain(verdict_at(c, o, NULL)));
  assert_string_equal(rh_chain_explain(RH_CHAIN_LINKED), "");
  rh_chain_free(c);
}

static void test_a_copy_is_judged_by_the_brokers_time(void **state) {
  (void)state;
  rh_chain_t *c = rh_chain_new();
  /* the copy: the same signed list (same link, same finished_at) appended later,
   * though on a partition and offset that sort first */
  rh_chain_link_t first = link_of(&FEED_A, 'a', 0, 100, 10, 7);
  rh_chain_link_t copy = link_of(&FEED_A, 'a', 0, 100, 99, 1);
  rh_chain_link_t next = link_of(&FEED_A, 'b', 'a', 200, 20, 8);
  assert_int_equal(rh_chain_add(c, &copy), 0);
  assert_int_equal(rh_chain_add(c, &next), 0);
  assert_int_equal(rh_chain_add(c, &first), 0);
  rh_chain_sort(c);
  size_t orig = SIZE_MAX;
  assert_int_equal(verdict_at(c, 7, NULL), RH_CHAIN_FIRST);
  assert_int_equal(verdict_at(c, 1, &orig), RH_CHAIN_COPY);
  assert_int_equal(rh_chain_at(c, orig)->offset, 7);
  assert_int_equal(verdict_at(c, 8, NULL), RH_CHAIN_LINKED); /* the copy is no fork of it */
  assert_false(rh_chain_in_chain(RH_CHAIN_COPY));
  assert_non_null(strstr(rh_chain_explain(RH_CHAIN_COPY), "written again"));
  rh_chain_free(c);
}

static void test_lists_published_at_once(void **state) {
  (void)state;
  rh_chain_t *c = rh_chain_new();
  /* two first lists at once (both found the chain empty); then one naming a
   * list gone from the broker, twice at once; a list whose host's clock runs
   * behind (finished before the list it names, appended after it) */
  rh_chain_link_t v[] = {
      link_of(&FEED_A, 'a', 0, 100, 1, 0),   link_of(&FEED_A, 'b', 0, 100, 2, 1),
      link_of(&FEED_B, 'm', 'z', 100, 3, 2), link_of(&FEED_B, 'n', 'z', 101, 4, 3),
      link_of(&FEED_A, 'c', 'b', 50, 5, 4),
  };
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) assert_int_equal(rh_chain_add(c, &v[i]), 0);
  rh_chain_sort(c);
  assert_int_equal(verdict_at(c, 0, NULL), RH_CHAIN_FIRST);
  assert_int_equal(verdict_at(c, 1, NULL), RH_CHAIN_FORK);
  assert_int_equal(verdict_at(c, 2, NULL), RH_CHAIN_MISSING);
  assert_int_equal(verdict_at(c, 3, NULL), RH_CHAIN_MISSING);
  assert_int_equal(verdict_at(c, 4, NULL), RH_CHAIN_LINKED);
  /* once the chain has moved on, a list naming nothing starts it again */
  rh_chain_link_t late = link_of(&FEED_A, 'd', 0, 200, 6, 5);
  assert_int_equal(rh_chain_add(c, &late), 0);
  rh_chain_sort(c);
  assert_int_equal(verdict_at(c, 5, NULL), RH_CHAIN_RESTART);
  rh_chain_free(c);
}

static void test_broken_links(void **state) {
  (void)state;
  rh_chain_t *c = rh_chain_new();
  rh_chain_link_t v[] = {
      link_of(&FEED_A, 'm', 'z', 50, 1, 0),   /* names a list gone before it */
      link_of(&FEED_A, 'n', 'm', 60, 2, 1),
      link_of(&FEED_A, 'o', 0, 70, 3, 2),     /* starts again */
      link_of(&FEED_A, 'p', 'q', 80, 4, 3),   /* names one the feed never had */
  };
  rh_chain_link_t unsigned_one = link_of(&FEED_A, 'u', 'n', 90, 5, 4);
  unsigned_one.believed = false;
  rh_chain_link_t after_unsigned = link_of(&FEED_A, 'w', 'u', 95, 6, 5);
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) assert_int_equal(rh_chain_add(c, &v[i]), 0);
  assert_int_equal(rh_chain_add(c, &unsigned_one), 0);
  assert_int_equal(rh_chain_add(c, &after_unsigned), 0);
  rh_chain_sort(c);
  assert_int_equal(verdict_at(c, 0, NULL), RH_CHAIN_MISSING);
  assert_int_equal(verdict_at(c, 1, NULL), RH_CHAIN_LINKED);
  assert_int_equal(verdict_at(c, 2, NULL), RH_CHAIN_RESTART);
  assert_int_equal(verdict_at(c, 3, NULL), RH_CHAIN_UNKNOWN);
  assert_int_equal(verdict_at(c, 4, NULL), RH_CHAIN_UNSIGNED);
  assert_int_equal(verdict_at(c, 5, NULL), RH_CHAIN_UNKNOWN); /* an unsigned list is no link */
  assert_int_equal(rh_chain_find(c, "t.manifests", 1, 0), SIZE_MAX);
  assert_int_equal(rh_chain_find(c, "other", 0, 0), SIZE_MAX);
  rh_chain_clear(c);
  assert_int_equal(rh_chain_len(c), 0);
  rh_chain_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_chain_with_a_fork),
      cmocka_unit_test(test_a_copy_is_judged_by_the_brokers_time),
      cmocka_unit_test(test_lists_published_at_once),
      cmocka_unit_test(test_broken_links),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
