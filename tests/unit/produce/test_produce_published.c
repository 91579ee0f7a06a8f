/* produce_published: which manifests are of the batch, which one is reported,
 * and what the clerk is told. The broker read itself is in
 * tests/integration/test_produce.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "produce_published.h"
#include "rh_avro_codec.h"
#include "rh_avro_value.h"
#include "rh_test.h"

#define BID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define BID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static rh_avro_schemas_t *set;
static const rh_avro_schema_t *bm;

static int setup(void **state) {
  (void)state;
  char err[512], dir[4096];
  rh_test_path(dir, sizeof(dir), "schemas");
  set = rh_avro_schemas_new();
  if (!set || rh_avro_schemas_load_dir(set, dir, err, sizeof(err))) return -1;
  bm = rh_avro_schemas_get(set, "riskhub.BatchManifest");
  return bm ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  rh_avro_schemas_destroy(set);
  return 0;
}

/* A BatchManifest's bytes: nparts ranges of 10 records from offset base. */
static void manifest(rh_avro_buf_t *buf, const char *bid, int64_t finished_at, long accepted,
                     long rejected, int nparts, int64_t base) {
  char err[256];
  avro_value_t v, arr, elem, f;
  assert_int_equal(rh_avro_schema_value_new(bm, &v, err, sizeof(err)), RH_AVRO_OK);
  avro_schema_t s = bm->schema;
  int bad = rh_avro_set_str(&v, rh_avro_field_index(s, "batch_id"), bid) |
            rh_avro_set_str(&v, rh_avro_field_index(s, "department"), "health") |
            rh_avro_set_str(&v, rh_avro_field_index(s, "feed"), "major-disease") |
            rh_avro_set_str(&v, rh_avro_field_index(s, "kind"), "SIGNAL") |
            rh_avro_set_str(&v, rh_avro_field_index(s, "period"), "2026-10") |
            rh_avro_set_str(&v, rh_avro_field_index(s, "topic"), "feed.health.major-disease") |
            rh_avro_set_str(&v, rh_avro_field_index(s, "source_name"), "health.csv") |
            rh_avro_set_str(&v, rh_avro_field_index(s, "source_sha256"), BID_B) |
            rh_avro_set_str(&v, rh_avro_field_index(s, "schema_fingerprint"), "0") |
            rh_avro_set_long(&v, rh_avro_field_index(s, "rows_total"), accepted + rejected) |
            rh_avro_set_long(&v, rh_avro_field_index(s, "rows_accepted"), accepted) |
            rh_avro_set_long(&v, rh_avro_field_index(s, "rows_rejected"), rejected) |
            rh_avro_set_long(&v, rh_avro_field_index(s, "started_at"), finished_at - 1000) |
            rh_avro_set_long(&v, rh_avro_field_index(s, "finished_at"), finished_at) |
            rh_avro_set_str(&v, rh_avro_field_index(s, "producer"), "test") |
            rh_avro_field(&v, rh_avro_field_index(s, "partitions"), &arr);
  for (int p = 0; p < nparts; p++) {
    bad |= avro_value_append(&arr, &elem, NULL) != 0;
    bad |= avro_value_get_by_name(&elem, "partition", &f, NULL) || avro_value_set_int(&f, p);
    bad |= avro_value_get_by_name(&elem, "first_offset", &f, NULL) ||
           avro_value_set_long(&f, base + p * 100);
    bad |= avro_value_get_by_name(&elem, "last_offset", &f, NULL) ||
           avro_value_set_long(&f, base + p * 100 + 9);
    bad |= avro_value_get_by_name(&elem, "count", &f, NULL) || avro_value_set_long(&f, 10);
  }
  assert_false(bad);
  rh_avro_buf_clear(buf);
  assert_int_equal(rh_avro_encode(bm, &v, buf, err, sizeof(err)), RH_AVRO_OK);
  avro_value_decref(&v);
}

static void test_other_batches_and_garbage_are_not_found(void **state) {
  (void)state;
  char err[256];
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  produce_published_t *p = produce_published_new(set, BID_A, err, sizeof(err));
  assert_non_null(p);
  manifest(&buf, BID_B, 1700000000000, 10, 0, 1, 0);
  assert_int_equal(produce_published_add(p, buf.data, buf.len, 0, 0), 0);
  assert_int_equal(produce_published_add(p, "not avro", 8, 0, 1), 0);
  assert_int_equal(produce_published_add(p, NULL, 0, 0, 2), 0);
  const produce_published_info_t *in = produce_published_info(p);
  assert_int_equal(in->found, 0);
  assert_int_equal(in->unreadable, 2);
  produce_published_destroy(p);
  produce_published_destroy(NULL);
  rh_avro_buf_free(&buf);
}

static void test_earliest_of_several_is_reported(void **state) {
  (void)state;
  char err[256], text[2048];
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  produce_published_t *p = produce_published_new(set, BID_A, err, sizeof(err));
  assert_non_null(p);
  /* a republication first in the log (another partition), the original after it */
  manifest(&buf, BID_A, 1700000900000, 20, 2, 2, 500);
  assert_int_equal(produce_published_add(p, buf.data, buf.len, 2, 7), 0);
  manifest(&buf, BID_A, 1700000000000, 20, 2, 2, 40);
  assert_int_equal(produce_published_add(p, buf.data, buf.len, 1, 3), 0);
  manifest(&buf, BID_B, 1600000000000, 5, 0, 1, 0);
  assert_int_equal(produce_published_add(p, buf.data, buf.len, 1, 4), 0);
  const produce_published_info_t *in = produce_published_info(p);
  assert_int_equal(in->found, 2);
  assert_int_equal(in->finished_at, 1700000000000);
  assert_int_equal(in->last_finished_at, 1700000900000);
  assert_int_equal(in->rows_total, 22);
  assert_int_equal(in->rows_rejected, 2);
  assert_int_equal(in->m_partition, 1);
  assert_int_equal(in->m_offset, 3);
  assert_int_equal(in->nranges, 2);
  assert_int_equal(in->ranges[1].partition, 1);
  assert_int_equal(in->ranges[1].first_offset, 140);
  assert_int_equal(in->ranges[1].last_offset, 149);
  assert_string_equal(in->topic, "feed.health.major-disease");

  setenv("TZ", "UTC", 1);
  tzset();
  produce_published_describe(in, text, sizeof(text));
  assert_non_null(strstr(text, "published 2023-11-14 22:13:20 +0000 from health.csv: 22 rows, "
                               "20 accepted, 2 rejected"));
  assert_non_null(strstr(text, "records in feed.health.major-disease partition 0 offsets 40-49, "
                               "partition 1 offsets 140-149"));
  assert_non_null(strstr(text, "manifest at partition 1 offset 3"));
  assert_non_null(strstr(text, "published 2 times in all, the last 2023-11-14 22:28:20 +0000"));
  /* truncation stays inside the buffer */
  char small[16];
  produce_published_describe(in, small, sizeof(small));
  assert_int_equal(strlen(small), sizeof(small) - 1);
  produce_published_destroy(p);
  rh_avro_buf_free(&buf);
}

static void test_every_row_rejected_says_so(void **state) {
  (void)state;
  char err[256], text[1024];
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  produce_published_t *p = produce_published_new(set, BID_A, err, sizeof(err));
  assert_non_null(p);
  manifest(&buf, BID_A, 1700000000000, 0, 3, 0, 0);
  assert_int_equal(produce_published_add(p, buf.data, buf.len, 0, 0), 0);
  produce_published_describe(produce_published_info(p), text, sizeof(text));
  assert_non_null(strstr(text, "no records (every row rejected)"));
  assert_null(strstr(text, "times in all"));
  produce_published_destroy(p);
  rh_avro_buf_free(&buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_other_batches_and_garbage_are_not_found),
      cmocka_unit_test(test_earliest_of_several_is_reported),
      cmocka_unit_test(test_every_row_rejected_says_so),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
