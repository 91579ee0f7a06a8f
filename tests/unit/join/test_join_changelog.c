/* join_changelog: the pure parts of the changelog of published ids
 * (docs/join.md, "State"): record key and value, the changelog partition, and
 * the table of input partitions whose ids are held (owned, revoked, taken
 * back or dropped at the next assignment). No broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "join_changelog.h"
#include "join_idset.h"

static void test_key_round_trip(void **state) {
  (void)state;
  char k[17];
  join_changelog_key(0x0123456789abcdefULL, k);
  assert_string_equal(k, "0123456789abcdef");
  assert_int_equal(join_idset_key(k, 16), 0x0123456789abcdefULL);
  join_changelog_key(1, k);
  assert_string_equal(k, "0000000000000001");
  assert_int_equal(join_idset_key(k, 16), 1);
}

static void test_value_round_trip(void **state) {
  (void)state;
  char v[64], topic[64];
  int32_t p = -1;
  int n = join_changelog_value("rhtest-ab.feed.health.major-disease", 2, v, sizeof v);
  assert_int_equal(n, (int)strlen("rhtest-ab.feed.health.major-disease/2"));
  assert_int_equal(join_changelog_parse(v, (size_t)n, topic, sizeof topic, &p), 1);
  assert_string_equal(topic, "rhtest-ab.feed.health.major-disease");
  assert_int_equal(p, 2);
  /* too small a buffer */
  assert_int_equal(join_changelog_value("feed.a.b", 10, v, 8), -1);
}

static void test_parse_wildcard_and_garbage(void **state) {
  (void)state;
  char topic[16];
  int32_t p = 0;
  assert_int_equal(join_changelog_parse("*", 1, topic, sizeof topic, &p), 0);
  assert_int_equal(join_changelog_parse("", 0, topic, sizeof topic, &p), -1);
  assert_int_equal(join_changelog_parse(NULL, 3, topic, sizeof topic, &p), -1);
  assert_int_equal(join_changelog_parse("feed.a.b", 8, topic, sizeof topic, &p), -1);
  assert_int_equal(join_changelog_parse("feed.a.b/", 9, topic, sizeof topic, &p), -1);
  assert_int_equal(join_changelog_parse("/3", 2, topic, sizeof topic, &p), -1);
  assert_int_equal(join_changelog_parse("feed.a.b/x1", 11, topic, sizeof topic, &p), -1);
  assert_int_equal(join_changelog_parse("feed.a.b/99999999999", 20, topic, sizeof topic, &p), -1);
  /* a topic longer than the buffer */
  assert_int_equal(join_changelog_parse("feed.very-long-department.feed/1", 32, topic,
                                        sizeof topic, &p), -1);
  /* the last slash separates (topic names have none, but be exact) */
  char t2[32];
  assert_int_equal(join_changelog_parse("a/b/7", 5, t2, sizeof t2, &p), 1);
  assert_string_equal(t2, "a/b");
  assert_int_equal(p, 7);
}

static void test_partition(void **state) {
  (void)state;
  assert_int_equal(join_changelog_partition(0, 3), 0);
  assert_int_equal(join_changelog_partition(2, 3), 2);
  assert_int_equal(join_changelog_partition(5, 3), 2);
  assert_int_equal(join_changelog_partition(5, 0), 0);
  assert_int_equal(join_changelog_partition(-1, 3), 0);
}

static rd_kafka_topic_partition_list_t *assignment(int n, const char *const *topics,
                                                   const int32_t *parts, const int64_t *offs) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
  for (int i = 0; i < n; i++) rd_kafka_topic_partition_list_add(l, topics[i], parts[i])->offset = offs[i];
  return l;
}

/* owned -> revoked -> the next assignment: unchanged committed offset: kept;
 * moved: dropped (ids leave the set) and read again; not assigned: dropped */
static void test_owned_revoke_assign(void **state) {
  (void)state;
  join_owned_t o = {0};
  join_idset_t *ids = join_idset_new(64);
  join_owned_part_t *p0 = join_owned_add(&o, "feed.a.b", 0);
  assert_non_null(p0);
  assert_ptr_equal(join_owned_add(&o, "feed.a.b", 0), p0);
  for (uint64_t k = 10; k < 15; k++) {
    assert_int_equal(join_idset_add_committed(ids, k), 1);
    assert_int_equal(join_owned_note(join_owned_find(&o, "feed.a.b", 0), k), 0);
  }
  join_owned_part_t *p1 = join_owned_add(&o, "feed.a.b", 1);
  p1->committed = 100;
  assert_int_equal(join_idset_add_committed(ids, 20), 1);
  assert_int_equal(join_owned_note(p1, 20), 0);
  join_owned_part_t *p2 = join_owned_add(&o, "feed.manifests", 2);
  p2->committed = 7;
  assert_int_equal(join_idset_add_committed(ids, 30), 1);
  assert_int_equal(join_owned_note(p2, 30), 0);
  assert_int_equal(o.n, 3);

  join_owned_revoke(&o);
  for (size_t i = 0; i < o.n; i++) assert_true(o.parts[i].stale);
  assert_int_equal(join_idset_size(ids), 7); /* kept until the assignment decides */

  /* feed.a.b 0: never committed, still not: kept; feed.a.b 1: committed moved
   * (another instance committed there): dropped and needed; feed.manifests 2: not
   * assigned: dropped; feed.x.y 0: new: needed */
  const char *t[] = {"feed.a.b", "feed.a.b", "feed.x.y"};
  int32_t pp[] = {0, 1, 0};
  int64_t off[] = {RD_KAFKA_OFFSET_INVALID, 150, RD_KAFKA_OFFSET_INVALID};
  rd_kafka_topic_partition_list_t *a = assignment(3, t, pp, off);
  bool need[3];
  assert_int_equal(join_owned_assign(&o, a, ids, need), 2);
  assert_false(need[0]);
  assert_true(need[1]);
  assert_true(need[2]);
  assert_int_equal(o.n, 1);
  assert_false(o.parts[0].stale);
  assert_string_equal(o.parts[0].topic, "feed.a.b");
  assert_int_equal(o.parts[0].partition, 0);
  assert_int_equal(join_idset_size(ids), 5);
  assert_true(join_idset_contains(ids, 12));
  assert_false(join_idset_contains(ids, 20));
  assert_false(join_idset_contains(ids, 30));
  rd_kafka_topic_partition_list_destroy(a);

  /* kept with the same committed offset */
  join_owned_part_t *q = join_owned_find(&o, "feed.a.b", 0);
  q->committed = 42;
  join_owned_revoke(&o);
  int64_t off2[] = {42};
  a = assignment(1, t, pp, off2);
  assert_int_equal(join_owned_assign(&o, a, ids, need), 0);
  assert_int_equal(o.n, 1);
  assert_int_equal(join_idset_size(ids), 5);
  rd_kafka_topic_partition_list_destroy(a);

  /* dropping a partition not held: nothing */
  assert_int_equal(join_owned_drop(&o, "feed.none", 0, ids), 0);
  assert_int_equal(join_owned_drop(&o, "feed.a.b", 0, ids), 5);
  assert_int_equal(join_idset_size(ids), 0);
  assert_int_equal(o.n, 0);
  join_owned_free(&o);
  join_idset_destroy(ids);
}

/* the pending keys of the open transaction are what the changelog writes */
static void test_idset_pending_keys(void **state) {
  (void)state;
  join_idset_t *ids = join_idset_new(16);
  assert_int_equal(join_idset_add_committed(ids, 5), 1);
  assert_int_equal(join_idset_pending(ids), 0);
  assert_int_equal(join_idset_add(ids, 7), 1);
  assert_int_equal(join_idset_add(ids, 5), 0); /* published before: not pending */
  assert_int_equal(join_idset_add(ids, 9), 1);
  assert_int_equal(join_idset_pending(ids), 2);
  assert_int_equal(join_idset_pending_key(ids, 0), 7);
  assert_int_equal(join_idset_pending_key(ids, 1), 9);
  assert_int_equal(join_idset_pending_key(ids, 2), 0);
  join_idset_commit(ids);
  assert_int_equal(join_idset_pending(ids), 0);
  join_idset_remove(ids, 7);
  assert_false(join_idset_contains(ids, 7));
  assert_true(join_idset_contains(ids, 9));
  join_idset_destroy(ids);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_round_trip),        cmocka_unit_test(test_value_round_trip),
      cmocka_unit_test(test_parse_wildcard_and_garbage), cmocka_unit_test(test_partition),
      cmocka_unit_test(test_owned_revoke_assign),   cmocka_unit_test(test_idset_pending_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
