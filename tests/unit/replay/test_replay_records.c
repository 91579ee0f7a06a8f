/* replay_records: a signed batch's records hash to the records_sha256 its
 * department signed; a changed, extra or replaced record is ALTERED (a
 * difference), a batch not all found or unsigned is not judged here. */
#include "test_replay_fixture.h"

#include <openssl/sha.h>

#include "replay_batches.h"
#include "replay_records.h"
#include "replay_report.h"

typedef struct {
  rh_config_t *cfg;
  rh_avro_schemas_t *s;
  replay_batches_t *b;
  replay_report_t rep;
} fx_t;

static const char *const RECS[] = {"record one", "record two", "record three"};

/* records_sha256 of RECS in row order, as riskhub-produce computes it */
static void signed_hash(char out[RH_SHA256_HEXSZ]) {
  rh_manifest_records_t r;
  assert_int_equal(rh_manifest_records_begin(&r), 0);
  for (size_t i = 0; i < 3; i++) rh_manifest_records_add(&r, RECS[i], strlen(RECS[i]));
  rh_manifest_records_end(&r, out);
}

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  char err[256];
  f->cfg = fx_config();
  f->s = fx_schemas();
  f->b = replay_batches_new(f->cfg, f->s, FX_PERIOD, NULL, NULL, err, sizeof err);
  assert_non_null(f->b);
  fx_msg_t m;
  fx_range_t r[] = {{0, 0, 2, 3}};
  fx_manifest(f->s, &m, FX_BATCH_A, "health", "major-disease", "SIGNAL", FX_PERIOD, r, 1,
              1790000005000, 1, 4, 300);
  assert_int_equal(replay_batches_add(f->b, &m.m, err, sizeof err), 1);
  replay_batch_t *bt = replay_batches_at(f->b, 0);
  signed_hash(bt->records_sha256);
  bt->rows_accepted = 3;
  bt->records = 3;
  assert_int_equal(replay_report_init(&f->rep, f->cfg, FX_PERIOD, NULL, NULL, "test"), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  replay_report_free(&f->rep);
  replay_batches_destroy(f->b);
  rh_avro_schemas_destroy(f->s);
  rh_config_destroy(f->cfg);
  free(f);
  return 0;
}

/* rows 2, 3, 4 noted by two threads, out of order; recs[i] is row i+2's bytes */
static void note(replay_digests_t t[2], const char *const *recs) {
  assert_int_equal(replay_digests_add(&t[1], 0, 4, recs[2], strlen(recs[2])), 0);
  assert_int_equal(replay_digests_add(&t[0], 0, 2, recs[0], strlen(recs[0])), 0);
  assert_int_equal(replay_digests_add(&t[1], 0, 3, recs[1], strlen(recs[1])), 0);
}

static void test_the_signed_records(void **state) {
  fx_t *f = *state;
  replay_digests_t t[2] = {{0}};
  note(t, RECS);
  assert_int_equal(replay_digests_verify(t, 2, f->b, &f->rep), 0);
  assert_int_equal(f->rep.batches_altered, 0);
  assert_int_equal(replay_report_differences(&f->rep), 0);
  replay_digests_free(&t[0]);
  replay_digests_free(&t[1]);
}

static void test_a_changed_record(void **state) {
  fx_t *f = *state;
  replay_digests_t t[2] = {{0}};
  const char *changed[] = {"record one", "record 2wo", "record three"};
  note(t, changed);
  assert_int_equal(replay_digests_verify(t, 2, f->b, &f->rep), 0);
  assert_int_equal(f->rep.batches_altered, 1);
  assert_int_equal(f->rep.naltered, 1);
  assert_string_equal(f->rep.altered[0].department, "health");
  assert_int_equal(f->rep.altered[0].offset, 4);
  assert_non_null(strstr(f->rep.altered[0].reason, "the department signed"));
  assert_true(replay_report_differences(&f->rep) > 0);
  replay_digests_free(&t[0]);
  replay_digests_free(&t[1]);
}

static void test_rows_swapped(void **state) {
  fx_t *f = *state;
  replay_digests_t t[2] = {{0}};
  const char *swapped[] = {"record two", "record one", "record three"};
  note(t, swapped);
  assert_int_equal(replay_digests_verify(t, 2, f->b, &f->rep), 0);
  assert_int_equal(f->rep.batches_altered, 1);
  replay_digests_free(&t[0]);
  replay_digests_free(&t[1]);
}

static void test_incomplete_or_unsigned_not_judged(void **state) {
  fx_t *f = *state;
  replay_digests_t t[2] = {{0}};
  replay_batch_t *bt = replay_batches_at(f->b, 0);
  assert_int_equal(replay_digests_add(&t[0], 0, 2, "x", 1), 0);
  bt->records = 1; /* NOT FOUND says it; no hash over a part */
  assert_int_equal(replay_digests_verify(t, 2, f->b, &f->rep), 0);
  assert_int_equal(f->rep.batches_altered, 0);
  replay_digests_free(&t[0]);
  bt->records = 3;
  bt->records_sha256[0] = '\0'; /* a manifest of before signed lists */
  note(t, (const char *const[]){"a", "b", "c"});
  assert_int_equal(replay_digests_verify(t, 2, f->b, &f->rep), 0);
  assert_int_equal(f->rep.batches_altered, 0);
  replay_digests_free(&t[0]);
  replay_digests_free(&t[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_the_signed_records, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_changed_record, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rows_swapped, setup, teardown),
      cmocka_unit_test_setup_teardown(test_incomplete_or_unsigned_not_judged, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
