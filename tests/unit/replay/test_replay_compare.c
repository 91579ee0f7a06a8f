/* replay_expect + replay_compare without Kafka or PostgreSQL: records of two
 * lists through the join's code (one or two shards), then published alerts
 * that are equal, changed, extra, published twice, of another month or
 * unreadable, and one never published. Expected values worked out by hand
 * from config/riskhub.yaml's rules (health/major-disease: any record;
 * medical-insurance/high-self-pay: 10,000 yuan for ordinary households,
 * 6,000 for monitored ones). */
#include "test_replay_fixture.h"

#include "replay_batches.h"
#include "replay_compare.h"
#include "replay_expect.h"
#include "replay_report.h"

#define FX_NEW_ID "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

typedef struct {
  rh_config_t *cfg;
  rh_avro_schemas_t *s;
  rh_regmap_t *map;
  char o[RH_ID_BUFSZ], m[RH_ID_BUFSZ], x[RH_ID_BUFSZ];
  replay_report_t rep;
  replay_batches_t *bs;
  replay_expect_t *ex;
  replay_compare_t *cmp;
} fx_t;

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  f->cfg = fx_config();
  f->s = fx_schemas();
  f->map = fx_registry(f->o, f->m);
  fx_id("41102419900303003", f->x); /* not in the registry */
  *state = f;
  return 0;
}

static void stop(fx_t *f) {
  replay_compare_destroy(f->cmp);
  replay_expect_destroy(f->ex);
  replay_batches_destroy(f->bs);
  replay_report_free(&f->rep);
  f->cmp = NULL;
  f->ex = NULL;
  f->bs = NULL;
}

static int teardown(void **state) {
  fx_t *f = *state;
  stop(f);
  rh_regmap_destroy(f->map);
  rh_avro_schemas_destroy(f->s);
  rh_config_destroy(f->cfg);
  free(f);
  return 0;
}

/* health/major-disease batch A: [0] O, X, O again; [1] M.
 * medical-insurance/high-self-pay batch B: [0] O 5,000 yuan, M 7,000 yuan. */
static void run_month(fx_t *f, size_t shards, const char *dept) {
  char err[512];
  fx_msg_t ma, mb, r;
  fx_range_t ra[] = {{0, 0, 2, 3}, {1, 0, 0, 1}}, rb[] = {{0, 0, 1, 2}};
  assert_int_equal(replay_report_init(&f->rep, f->cfg, FX_PERIOD, dept, NULL, "test"), 0);
  f->bs = replay_batches_new(f->cfg, f->s, FX_PERIOD, dept, NULL, err, sizeof err);
  assert_non_null(f->bs);
  fx_manifest(f->s, &ma, FX_BATCH_A, "health", "major-disease", "SIGNAL", FX_PERIOD, ra, 2,
              1790000000000, 0, 0, 1);
  fx_manifest(f->s, &mb, FX_BATCH_B, "medical-insurance", "high-self-pay", "SIGNAL", FX_PERIOD,
              rb, 1, 1790000100000, 1, 0, 2);
  replay_batches_add(f->bs, &ma.m, err, sizeof err);
  replay_batches_add(f->bs, &mb.m, err, sizeof err);
  replay_batches_sort(f->bs);
  f->ex = replay_expect_new(f->cfg, f->s, &f->rep, f->bs, shards, err, sizeof err);
  assert_non_null(f->ex);
  assert_int_equal(replay_expect_prepare(f->ex, err, sizeof err), 0);
  replay_expect_set_registry(f->ex, f->map);
  replay_claim_cache_t cache = {0};
  struct {
    const char *dept, *feed, *bid, *id;
    int64_t yuan;
    int32_t p;
    int64_t o;
  } recs[] = {{"health", "major-disease", FX_BATCH_A, f->o, -1, 0, 0},
              {"health", "major-disease", FX_BATCH_A, f->x, -1, 0, 1},
              {"health", "major-disease", FX_BATCH_A, f->o, -1, 0, 2},
              {"health", "major-disease", FX_BATCH_A, f->m, -1, 1, 0},
              {"medical-insurance", "high-self-pay", FX_BATCH_B, f->o, 5000, 0, 0},
              {"medical-insurance", "high-self-pay", FX_BATCH_B, f->m, 7000, 0, 1}};
  for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
    fx_record(f->s, &r, recs[i].dept, recs[i].feed, "SIGNAL", recs[i].bid, recs[i].id,
              recs[i].yuan, recs[i].p, recs[i].o);
    long b = replay_batches_claim(f->bs, &cache, r.m.topic, r.m.partition, r.m.offset,
                                  recs[i].bid, 64, NULL);
    if (b < 0) continue; /* filtered out */
    assert_int_equal(replay_expect_record(f->ex, (size_t)recs[i].p % shards, &r.m, (size_t)b, err,
                                          sizeof err),
                     0);
  }
  replay_claim_cache_free(&cache);
  assert_int_equal(replay_expect_checks(f->ex, NULL, FX_PERIOD, err, sizeof err), 0);
  replay_expect_merge(f->ex);
  f->cmp = replay_compare_new(f->cfg, f->s, &f->rep, f->bs, f->ex, FX_PERIOD, dept, NULL, err,
                              sizeof err);
  assert_non_null(f->cmp);
}

/* The expected message of a person and feed (all shards). */
static const replay_entry_t *expected(fx_t *f, const char *id, const char *feed,
                                      replay_store_t **store) {
  for (size_t k = 0; k < replay_expect_shards(f->ex); k++) {
    replay_store_t *s = replay_expect_store(f->ex, k);
    for (size_t i = 0; i < replay_store_count(s); i++) {
      const replay_entry_t *e = replay_store_at(s, i);
      const unsigned char *b = replay_store_bytes(s, e);
      if (memmem(b, e->len, id, 18) && memmem(b, e->len, feed, strlen(feed))) {
        *store = s;
        return e;
      }
    }
  }
  return NULL;
}

static size_t total_entries(fx_t *f) {
  size_t n = 0;
  for (size_t k = 0; k < replay_expect_shards(f->ex); k++)
    n += replay_store_count(replay_expect_store(f->ex, k));
  return n;
}

/* Publish the expected message of id/feed as the join would (created_at set),
 * perhaps altered. */
static void publish(fx_t *f, const char *id, const char *feed, const char *severity,
                    const char *alert_id, const char *period, int64_t offset) {
  replay_store_t *s;
  const replay_entry_t *e = expected(f, id, feed, &s);
  assert_non_null(e);
  fx_msg_t out;
  const rh_avro_schema_t *al = rh_avro_schemas_get(f->s, "riskhub.Alert");
  rh_avro_decoder_t *dec = rh_avro_decoder_new(f->s);
  avro_value_t v;
  char err[512];
  assert_int_equal(rh_avro_schema_value_new(al, &v, NULL, 0), RH_AVRO_OK);
  assert_int_equal(rh_avro_decode(dec, replay_store_bytes(s, e), e->len, al, &v, NULL, err,
                                  sizeof err),
                   RH_AVRO_OK);
  fx_set_long(&v, "created_at", 1790000200000);
  if (severity) fx_set_str(&v, "severity", severity);
  if (alert_id) fx_set_str(&v, "alert_id", alert_id);
  if (period) fx_set_str(&v, "period", period);
  fx_encode(f->s, "riskhub.Alert", &v, &out, "alerts.411024100", 2, offset, 1790000200000, NULL);
  avro_value_decref(&v);
  rh_avro_decoder_destroy(dec);
  bool relevant = false;
  assert_int_equal(replay_compare_published(f->cmp, &out.m, &relevant, err, sizeof err), 0);
  assert_true(relevant == (period == NULL));
}

static const replay_diff_t *diff_of(fx_t *f, replay_diff_kind_t kind, const char *person,
                                    bool duplicate) {
  for (size_t i = 0; i < f->rep.ndiffs; i++) {
    const replay_diff_t *d = &f->rep.diffs[i];
    if (d->kind == kind && d->person && strcmp(d->person, person) == 0 &&
        d->duplicate == duplicate)
      return d;
  }
  return NULL;
}

static size_t feed_row(fx_t *f, const char *dept, const char *feed) {
  for (size_t i = 0; i < f->rep.nfeeds; i++)
    if (!strcmp(f->rep.feeds[i].department, dept) && !strcmp(f->rep.feeds[i].feed, feed)) return i;
  fail_msg("no row %s/%s", dept, feed);
  return 0;
}

static void verify_expected(fx_t *f) {
  join_counts_t jc;
  replay_expect_counts(f->ex, &jc);
  assert_int_equal(jc.records, 6);
  assert_int_equal(jc.alerts, 3);    /* O and M (major disease), M (self-pay) */
  assert_int_equal(jc.unmatched, 1); /* X */
  assert_int_equal(jc.duplicates, 1);
  assert_int_equal(jc.no_rule, 1);   /* O: 5,000 yuan, ordinary */
  assert_int_equal(total_entries(f), 4);
  const replay_feed_t *h = &f->rep.feeds[feed_row(f, "health", "major-disease")];
  assert_int_equal(h->records, 4);
  assert_int_equal(h->records_expected, 4);
  assert_int_equal(h->alerts_expected, 3);
  assert_int_equal(h->batches, 1);
  assert_int_equal(h->rejects, 1);
  const replay_feed_t *mi = &f->rep.feeds[feed_row(f, "medical-insurance", "high-self-pay")];
  assert_int_equal(mi->records, 2);
  assert_int_equal(mi->alerts_expected, 1);
  /* the duplicate's lineage is the first record's: offset 0, not 2 */
  replay_store_t *s;
  const replay_entry_t *e = expected(f, f->o, "major-disease", &s);
  assert_non_null(e);
  assert_int_equal(e->partition, 0);
  assert_int_equal(e->offset, 0);
}

static void month_with_differences(void **state, size_t shards) {
  fx_t *f = *state;
  char err[512];
  run_month(f, shards, NULL);
  verify_expected(f);

  publish(f, f->o, "major-disease", NULL, NULL, NULL, 0);        /* equal */
  publish(f, f->m, "major-disease", NULL, NULL, NULL, 1);        /* equal */
  publish(f, f->m, "major-disease", NULL, NULL, NULL, 2);        /* equal, once more */
  publish(f, f->x, "major-disease", "high", NULL, NULL, 3);      /* changed */
  publish(f, f->o, "major-disease", "high", NULL, NULL, 4);      /* changed, once more */
  publish(f, f->o, "major-disease", NULL, FX_NEW_ID, NULL, 5);   /* extra */
  publish(f, f->o, "major-disease", NULL, NULL, "2026-09", 6);   /* another month */
  fx_msg_t junk;
  fx_msg_set(&junk, "alerts.411024100", 2, 7, 1, NULL, "junk", 4);
  assert_int_equal(replay_compare_published(f->cmp, &junk.m, NULL, err, sizeof err), 0);
  /* M's self-pay alert is never published */
  assert_int_equal(replay_compare_finish(f->cmp, err, sizeof err), 0);

  assert_int_equal(f->rep.published_unreadable, 1);
  assert_int_equal(f->rep.published_scanned, 8);
  const replay_feed_t *h = &f->rep.feeds[feed_row(f, "health", "major-disease")];
  assert_int_equal(h->alerts_published, 6); /* the other month's is not counted */
  assert_int_equal(h->changed, 2);
  assert_int_equal(h->extra, 2);
  const replay_feed_t *mi = &f->rep.feeds[feed_row(f, "medical-insurance", "high-self-pay")];
  assert_int_equal(mi->alerts_published, 0);
  assert_int_equal(mi->missing, 1);
  assert_int_equal(f->rep.ndiffs, 5);

  const replay_diff_t *d = diff_of(f, REPLAY_CHANGED, f->x, false);
  assert_non_null(d);
  assert_int_equal(d->what, REPLAY_OUT_ALERT);
  assert_int_equal(d->nchanges, 1);
  assert_string_equal(d->changes[0].field, "severity");
  assert_string_equal(d->changes[0].published, "high");
  assert_string_equal(d->changes[0].expected, "low"); /* unmatched: low */
  assert_string_equal(d->rule, "unmatched");
  assert_null(d->household_expected);
  assert_string_equal(d->source.topic, "feed.health.major-disease");
  assert_int_equal(d->source.partition, 0);
  assert_int_equal(d->source.offset, 1);
  assert_string_equal(d->source.batch_id, FX_BATCH_A);
  assert_string_equal(d->published.topic, "alerts.411024100");
  assert_int_equal(d->published.offset, 3);
  assert_int_equal(d->created_at, 1790000200000);
  assert_int_equal(d->reference_ms, 1790000200000);

  d = diff_of(f, REPLAY_CHANGED, f->o, true);
  assert_non_null(d);
  assert_string_equal(d->changes[0].expected, "medium");
  assert_string_equal(d->household_expected, "411024100-001-0001");
  assert_string_equal(d->household_published, "411024100-001-0001");

  d = diff_of(f, REPLAY_EXTRA, f->m, true); /* M's major-disease alert, twice */
  assert_non_null(d);
  assert_int_equal(d->published.offset, 2);

  d = diff_of(f, REPLAY_EXTRA, f->o, false);
  assert_non_null(d);
  assert_string_equal(d->id, FX_NEW_ID);
  assert_int_equal(d->published.offset, 5);
  assert_string_equal(d->source.batch_id, FX_BATCH_A); /* as the message says */

  d = diff_of(f, REPLAY_MISSING, f->m, false);
  assert_non_null(d);
  assert_string_equal(d->rule, "illness-high-self-pay-monitored");
  assert_string_equal(d->source.topic, "feed.medical-insurance.high-self-pay");
  assert_int_equal(d->source.partition, 0);
  assert_int_equal(d->source.offset, 1);
  assert_string_equal(d->source.batch_id, FX_BATCH_B);
  assert_null(d->published.topic);
  assert_int_equal(d->created_at, -1);
  assert_int_equal(d->reference_ms, 1790000100000 + 1000); /* the batch's finished_at */
  assert_int_equal(replay_report_differences(&f->rep), 5);
}

static void test_one_shard(void **state) { month_with_differences(state, 1); }
static void test_two_shards(void **state) { month_with_differences(state, 2); }

/* The expected message of id/feed with created_at set, into out. */
static void published_copy(fx_t *f, const char *id, const char *feed, fx_msg_t *out) {
  replay_store_t *s;
  const replay_entry_t *e = expected(f, id, feed, &s);
  assert_non_null(e);
  fx_alert_with(f->s, replay_store_bytes(s, e), e->len, 1790000200000, NULL, out,
                "alerts.411024100", 0, 9);
}

static void test_equal_month_and_filter(void **state) {
  fx_t *f = *state;
  char err[512];
  fx_msg_t health;
  run_month(f, 2, NULL);
  publish(f, f->o, "major-disease", NULL, NULL, NULL, 0);
  publish(f, f->x, "major-disease", NULL, NULL, NULL, 1);
  publish(f, f->m, "major-disease", NULL, NULL, NULL, 2);
  publish(f, f->m, "high-self-pay", NULL, NULL, NULL, 3);
  assert_int_equal(replay_compare_finish(f->cmp, err, sizeof err), 0);
  assert_int_equal(f->rep.ndiffs, 0);
  assert_int_equal(replay_report_differences(&f->rep), 0);
  published_copy(f, f->o, "major-disease", &health);
  stop(f);

  /* --department medical-insurance: health's lists and alerts are not looked at */
  run_month(f, 1, "medical-insurance");
  assert_int_equal(total_entries(f), 1);
  replay_store_t *s;
  assert_null(expected(f, f->o, "major-disease", &s));
  bool relevant = true;
  assert_int_equal(replay_compare_published(f->cmp, &health.m, &relevant, err, sizeof err), 0);
  assert_false(relevant);
  assert_int_equal(f->rep.published_unreadable, 0);
  /* a FeedRecord on an alerts topic: unreadable as an output */
  fx_msg_t rec;
  fx_record(f->s, &rec, "health", "major-disease", "SIGNAL", FX_BATCH_A, f->o, -1, 0, 0);
  assert_int_equal(replay_compare_published(f->cmp, &rec.m, &relevant, err, sizeof err), 0);
  assert_false(relevant);
  assert_int_equal(f->rep.published_unreadable, 1);
  assert_int_equal(replay_compare_finish(f->cmp, err, sizeof err), 0);
  assert_int_equal(f->rep.ndiffs, 1); /* the one alert of the department is missing */
  assert_int_equal(f->rep.diffs[0].kind, REPLAY_MISSING);
  for (size_t i = 0; i < f->rep.nfeeds; i++) {
    assert_string_equal(f->rep.feeds[i].department, "medical-insurance");
    assert_int_equal(f->rep.feeds[i].alerts_published, 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_one_shard, setup, teardown),
      cmocka_unit_test_setup_teardown(test_two_shards, setup, teardown),
      cmocka_unit_test_setup_teardown(test_equal_month_and_filter, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
