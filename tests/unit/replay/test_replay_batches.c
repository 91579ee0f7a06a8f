/* replay_batches: the month's batches from their manifests (period and
 * filters, order), which batch a record belongs to (interleaved ranges, a
 * list published twice), what to read, and claiming from two threads. */
#include "test_replay_fixture.h"

#include <pthread.h>

#include "replay_batches.h"

typedef struct {
  rh_config_t *cfg;
  rh_avro_schemas_t *s;
} fx_t;

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  f->cfg = fx_config();
  f->s = fx_schemas();
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  rh_avro_schemas_destroy(f->s);
  rh_config_destroy(f->cfg);
  free(f);
  return 0;
}

static int add(replay_batches_t *b, const fx_msg_t *x) {
  char err[256];
  return replay_batches_add(b, &x->m, err, sizeof err);
}

static void test_period_filters_order(void **state) {
  fx_t *f = *state;
  char err[256];
  fx_msg_t m1, m2, m3, m4, m5;
  fx_range_t r[] = {{0, 0, 9, 10}};
  /* the month's: health (t=300), tax (t=100, a check list), and one of an
   * earlier month that started earlier still; a list of another department */
  fx_manifest(f->s, &m1, FX_BATCH_A, "health", "major-disease", "SIGNAL", FX_PERIOD, r, 1,
              1790000005000, 1, 4, 300);
  fx_manifest(f->s, &m2, FX_BATCH_B, "tax", "vehicles", "CHECK", FX_PERIOD, r, 1, 1790000001000,
              0, 9, 100);
  fx_manifest(f->s, &m3, FX_BATCH_A, "health", "major-disease", "SIGNAL", "2026-09", r, 1,
              1780000000000, 2, 1, 50);
  fx_manifest(f->s, &m4, FX_BATCH_B, "health", "major-disease", "SIGNAL", FX_PERIOD, r, 1,
              1790000009000, 0, 3, 300);
  fx_msg_set(&m5, "feed.manifests", 0, 10, 1, NULL, "not avro", 8);

  replay_batches_t *all = replay_batches_new(f->cfg, f->s, FX_PERIOD, NULL, NULL, err, sizeof err);
  assert_non_null(all);
  assert_int_equal(add(all, &m1), 1);
  assert_int_equal(add(all, &m2), 1);
  assert_int_equal(add(all, &m3), 0);
  assert_int_equal(add(all, &m4), 1);
  assert_int_equal(add(all, &m5), 0);
  assert_int_equal(replay_batches_unreadable(all), 1);
  assert_int_equal(replay_batches_count(all), 3);
  assert_int_equal(replay_batches_earliest(all), 1790000001000);
  replay_batches_sort(all);
  /* by timestamp, then partition, then offset */
  assert_string_equal(replay_batches_at(all, 0)->department, "tax");
  assert_int_equal(replay_batches_at(all, 1)->m_partition, 0); /* m4: t=300, [0] */
  assert_string_equal(replay_batches_at(all, 1)->batch_id, FX_BATCH_B);
  assert_int_equal(replay_batches_at(all, 2)->m_partition, 1);
  const replay_batch_t *h = replay_batches_at(all, 2);
  assert_string_equal(h->topic, "feed.health.major-disease");
  assert_non_null(h->cfg_feed);
  assert_int_equal(h->rows_accepted, 10);
  assert_int_equal(h->rows_rejected, 1);
  assert_int_equal(h->nranges, 1);
  assert_int_equal(h->ranges[0].last, 9);
  replay_batches_destroy(all);

  /* --department tax: only its list; the earliest of the month is still
   * over every department (the outputs of the month start with its first list) */
  replay_batches_t *tax = replay_batches_new(f->cfg, f->s, FX_PERIOD, "tax", NULL, err, sizeof err);
  assert_int_equal(add(tax, &m4), 0);
  assert_int_equal(add(tax, &m2), 1);
  assert_int_equal(replay_batches_count(tax), 1);
  assert_int_equal(replay_batches_earliest(tax), 1790000001000);
  replay_batches_destroy(tax);
  /* --feed vehicles of --department health: nothing */
  replay_batches_t *none =
      replay_batches_new(f->cfg, f->s, FX_PERIOD, "health", "vehicles", err, sizeof err);
  assert_int_equal(add(none, &m1), 0);
  assert_int_equal(add(none, &m2), 0);
  assert_int_equal(replay_batches_count(none), 0);
  replay_batches_destroy(none);
}

static void test_claim_interleaved_and_republished(void **state) {
  fx_t *f = *state;
  char err[256];
  fx_msg_t a, b, a2;
  /* A: [0] 10..20; B (concurrent): [0] 15..25 and [1] 0..4; A again later
   * (same file, same batch id): [0] 30..40 */
  fx_range_t ra[] = {{0, 10, 20, 6}}, rb[] = {{0, 15, 25, 6}, {1, 0, 4, 5}},
             ra2[] = {{0, 30, 40, 11}};
  fx_manifest(f->s, &a, FX_BATCH_A, "health", "major-disease", "SIGNAL", FX_PERIOD, ra, 1, 1, 0,
              0, 1);
  fx_manifest(f->s, &b, FX_BATCH_B, "health", "major-disease", "SIGNAL", FX_PERIOD, rb, 2, 2, 0,
              1, 2);
  fx_manifest(f->s, &a2, FX_BATCH_A, "health", "major-disease", "SIGNAL", FX_PERIOD, ra2, 1, 3,
              0, 2, 3);
  replay_batches_t *bs = replay_batches_new(f->cfg, f->s, FX_PERIOD, NULL, NULL, err, sizeof err);
  assert_int_equal(add(bs, &a), 1);
  assert_int_equal(add(bs, &b), 1);
  assert_int_equal(add(bs, &a2), 1);
  replay_batches_sort(bs);
  replay_claim_cache_t c = {0};
  const char *t = "feed.health.major-disease";
  size_t rg = 99;
  uint64_t *counts = calloc(replay_batches_ranges(bs), sizeof *counts);
  assert_int_equal(replay_batches_ranges(bs), 4); /* A: 1, B: 2, A again: 1 */
  assert_int_equal(replay_batches_claim(bs, &c, t, 0, 18, FX_BATCH_A, 64, &rg), 0);
  assert_int_equal(rg, 0);
  counts[rg]++;
  assert_int_equal(replay_batches_claim(bs, &c, t, 0, 18, FX_BATCH_B, 64, &rg), 1);
  assert_int_equal(rg, 1);
  counts[rg]++;
  assert_int_equal(replay_batches_claim(bs, &c, t, 0, 22, FX_BATCH_A, 64, &rg), -1); /* not A's */
  assert_int_equal(replay_batches_claim(bs, &c, t, 0, 22, FX_BATCH_B, 64, &rg), 1);
  counts[rg]++;
  assert_int_equal(replay_batches_claim(bs, &c, t, 0, 35, FX_BATCH_A, 64, &rg), 2); /* again */
  assert_int_equal(rg, 3);
  counts[rg]++;
  assert_int_equal(replay_batches_claim(bs, &c, t, 1, 3, FX_BATCH_B, 64, &rg), 1);
  assert_int_equal(rg, 2);
  counts[rg]++;
  assert_int_equal(replay_batches_claim(bs, &c, t, 1, 3, FX_BATCH_A, 64, &rg), -1);
  assert_int_equal(replay_batches_claim(bs, &c, t, 2, 3, FX_BATCH_B, 64, &rg), -1);
  assert_int_equal(
      replay_batches_claim(bs, &c, "feed.tax.vehicles", 0, 18, FX_BATCH_A, 64, &rg), -1);
  assert_int_equal(replay_batches_claim(bs, &c, t, 0, 18, FX_BATCH_A, 63, &rg), -1);
  /* a topic name in a reused buffer: found by name, not by address */
  char buf[64];
  snprintf(buf, sizeof buf, "feed.tax.vehicles");
  assert_int_equal(replay_batches_claim(bs, &c, buf, 0, 18, FX_BATCH_A, 64, &rg), -1);
  snprintf(buf, sizeof buf, "%s", t);
  assert_int_equal(replay_batches_claim(bs, &c, buf, 0, 18, FX_BATCH_A, 64, &rg), 0);
  counts[rg]++;
  replay_batches_add_seen(bs, counts);
  free(counts);
  assert_int_equal(replay_batches_at(bs, 0)->records, 2);
  assert_int_equal(replay_batches_at(bs, 0)->ranges[0].seen, 2);
  assert_int_equal(replay_batches_at(bs, 1)->records, 3);
  assert_int_equal(replay_batches_at(bs, 1)->ranges[1].seen, 1);
  assert_int_equal(replay_batches_at(bs, 2)->records, 1);

  /* what to read: [0] 10..40, [1] 0..4 */
  replay_part_t *plan;
  size_t n;
  assert_int_equal(replay_batches_plan(bs, &plan, &n), 0);
  assert_int_equal(n, 2);
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(plan[i].topic, t);
    if (plan[i].partition == 0) {
      assert_int_equal(plan[i].first, 10);
      assert_int_equal(plan[i].last, 40);
    } else {
      assert_int_equal(plan[i].partition, 1);
      assert_int_equal(plan[i].first, 0);
      assert_int_equal(plan[i].last, 4);
    }
  }
  replay_batches_free_plan(plan);
  replay_claim_cache_free(&c);
  replay_batches_destroy(bs);
}

typedef struct {
  replay_batches_t *bs;
  int32_t partition;
  long hits;
  uint64_t counts[2];
} claimer_t;

static void *claim_many(void *arg) {
  claimer_t *c = arg;
  replay_claim_cache_t cache = {0};
  size_t rg;
  for (int64_t o = 0; o < 100000; o++)
    if (replay_batches_claim(c->bs, &cache, "feed.health.major-disease", c->partition, o,
                             FX_BATCH_A, 64, &rg) == 0) {
      c->hits++;
      c->counts[rg]++;
    }
  replay_claim_cache_free(&cache);
  return NULL;
}

static void test_claim_from_two_threads(void **state) {
  fx_t *f = *state;
  char err[256];
  fx_msg_t a;
  fx_range_t r[] = {{0, 0, 99999, 100000}, {1, 0, 99999, 100000}};
  fx_manifest(f->s, &a, FX_BATCH_A, "health", "major-disease", "SIGNAL", FX_PERIOD, r, 2, 1, 0, 0,
              1);
  replay_batches_t *bs = replay_batches_new(f->cfg, f->s, FX_PERIOD, NULL, NULL, err, sizeof err);
  assert_int_equal(add(bs, &a), 1);
  replay_batches_sort(bs);
  claimer_t c[2] = {{bs, 0, 0, {0, 0}}, {bs, 1, 0, {0, 0}}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, claim_many, &c[i]), 0);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  assert_int_equal(c[0].hits + c[1].hits, 200000);
  for (int i = 0; i < 2; i++) replay_batches_add_seen(bs, c[i].counts);
  assert_int_equal(replay_batches_at(bs, 0)->ranges[0].seen, 100000);
  assert_int_equal(replay_batches_at(bs, 0)->ranges[1].seen, 100000);
  assert_int_equal(replay_batches_at(bs, 0)->records, 200000);
  replay_batches_destroy(bs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_period_filters_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claim_interleaved_and_republished, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claim_from_two_threads, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
