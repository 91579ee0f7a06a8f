/* rh_outbound: kinds, who receives what, topic names, the push id, and the
 * two records' round trip through their schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rh_outbound.h"
#include "rh_test.h"

static const rh_config_department_t *dept(const rh_config_t *cfg, const char *code) {
  for (size_t i = 0; i < cfg->department_count; i++)
    if (strcmp(cfg->departments[i].code, code) == 0) return &cfg->departments[i];
  fail_msg("no department %s", code);
  return NULL;
}

static void test_kinds_and_receivers(void **state) {
  (void)state;
  rh_outbound_kind_t k;
  assert_int_equal(rh_outbound_kind_parse("applicants", &k), 0);
  assert_int_equal(k, RH_OUTBOUND_APPLICANTS);
  assert_int_equal(rh_outbound_kind_parse("new-monitoring-objects", &k), 0);
  assert_int_equal(k, RH_OUTBOUND_NEW_OBJECTS);
  assert_int_equal(rh_outbound_kind_parse("other", &k), -1);
  rh_config_t *cfg = rh_test_config();
  /* applicants to the departments with a check feed only */
  assert_true(rh_outbound_receives(dept(cfg, "tax"), RH_OUTBOUND_APPLICANTS));
  assert_true(rh_outbound_receives(dept(cfg, "human-resources"), RH_OUTBOUND_APPLICANTS));
  assert_false(rh_outbound_receives(dept(cfg, "health"), RH_OUTBOUND_APPLICANTS));
  for (size_t i = 0; i < cfg->department_count; i++)
    assert_true(rh_outbound_receives(&cfg->departments[i], RH_OUTBOUND_NEW_OBJECTS));
  char topic[256];
  assert_int_equal(rh_outbound_topic(cfg, "tax", RH_OUTBOUND_APPLICANTS, topic, sizeof topic), 0);
  assert_string_equal(topic, "outbound.tax.applicants");
  rh_config_destroy(cfg);
}

static void id_after(const char *dept, rh_outbound_kind_t k, const char *period,
                     const char *previous, const rh_outbound_record_t *r, size_t n,
                     char out[RH_SHA256_HEXSZ]) {
  rh_sha256_t *h = rh_outbound_push_id_begin();
  for (size_t i = 0; i < n; i++) rh_outbound_push_id_add(h, &r[i]);
  rh_outbound_push_id_end(h, dept, k, period, previous, out);
}

static void id_of(const char *dept, rh_outbound_kind_t k, const char *period,
                  const rh_outbound_record_t *r, size_t n, char out[RH_SHA256_HEXSZ]) {
  id_after(dept, k, period, "", r, n, out);
}

static void test_push_id(void **state) {
  (void)state;
  rh_outbound_record_t r[2] = {
      {NULL, "411024100-001-0001", "411024199001011234", "甲", "411024100", "东村"},
      {NULL, "411024100-001-0001", "411024199001021234", "乙", "411024100", "东村"}};
  char a[RH_SHA256_HEXSZ], b[RH_SHA256_HEXSZ];
  id_of("tax", RH_OUTBOUND_NEW_OBJECTS, "2026-10", r, 2, a);
  id_of("tax", RH_OUTBOUND_NEW_OBJECTS, "2026-10", r, 2, b);
  assert_string_equal(a, b); /* the same content: the same push */
  assert_int_equal(strlen(a), 64);
  id_of("tax", RH_OUTBOUND_NEW_OBJECTS, "2026-11", r, 2, b);
  assert_string_not_equal(a, b);
  id_of("banks", RH_OUTBOUND_NEW_OBJECTS, "2026-10", r, 2, b);
  assert_string_not_equal(a, b);
  id_of("tax", RH_OUTBOUND_APPLICANTS, "2026-10", r, 2, b);
  assert_string_not_equal(a, b);
  id_of("tax", RH_OUTBOUND_NEW_OBJECTS, "2026-10", r, 1, b); /* a correction */
  assert_string_not_equal(a, b);
  r[1].name = "丙";
  id_of("tax", RH_OUTBOUND_NEW_OBJECTS, "2026-10", r, 2, b);
  assert_string_not_equal(a, b);
  r[1].name = "乙";
  /* chained: A after B is not the first A; NULL previous is "" */
  char c[RH_SHA256_HEXSZ];
  id_after("tax", RH_OUTBOUND_NEW_OBJECTS, "2026-10", b, r, 2, c);
  assert_string_not_equal(a, c);
  id_after("tax", RH_OUTBOUND_NEW_OBJECTS, "2026-10", NULL, r, 2, c);
  assert_string_equal(a, c);
  assert_true(rh_outbound_push_id_valid(a));
  assert_false(rh_outbound_push_id_valid("../x"));
  assert_false(rh_outbound_push_id_valid("AB"));
  a[63] = 'G';
  assert_false(rh_outbound_push_id_valid(a));
}

static void test_round_trip(void **state) {
  (void)state;
  char path[4096], err[512];
  rh_avro_schemas_t *schemas = rh_avro_schemas_new();
  assert_int_equal(rh_avro_schemas_load_dir(schemas, rh_test_path(path, sizeof path, "schemas"),
                                            err, sizeof err), 0);
  rh_outbound_codec_t c;
  assert_int_equal(rh_outbound_codec_init(&c, schemas, err, sizeof err), 0);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(schemas);
  rh_avro_buf_t buf;
  rh_avro_buf_init(&buf);
  rh_outbound_record_t in = {"ab12", "411024100-001-0001", "411024199001011234", "甲", NULL, NULL},
                       out;
  assert_int_equal(rh_outbound_record_encode(&c, &in, &buf, err, sizeof err), 0);
  assert_int_equal(rh_outbound_record_decode(&c, dec, buf.data, buf.len, &out, err, sizeof err), 0);
  assert_string_equal(out.push_id, "ab12");
  assert_string_equal(out.name, "甲");
  assert_null(out.township_code);
  assert_null(out.village);
  rh_outbound_manifest_t m = {"ab12", "tax", "applicants", "2026-10", 3, 1, 1700000000000, "cd34"},
                         mo;
  rh_avro_buf_clear(&buf);
  assert_int_equal(rh_outbound_manifest_encode(&c, &m, &buf, err, sizeof err), 0);
  assert_int_equal(rh_outbound_manifest_decode(&c, dec, buf.data, buf.len, &mo, err, sizeof err), 0);
  assert_string_equal(mo.kind, "applicants");
  assert_int_equal(mo.record_count, 3);
  assert_int_equal(mo.household_count, 1);
  assert_string_equal(mo.previous_push_id, "cd34");
  /* a manifest is no record */
  assert_int_equal(rh_outbound_record_decode(&c, dec, buf.data, buf.len, &out, err, sizeof err), -1);
  rh_avro_buf_free(&buf);
  rh_avro_decoder_destroy(dec);
  rh_outbound_codec_free(&c);
  rh_avro_schemas_destroy(schemas);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_kinds_and_receivers),
                                     cmocka_unit_test(test_push_id),
                                     cmocka_unit_test(test_round_trip)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
