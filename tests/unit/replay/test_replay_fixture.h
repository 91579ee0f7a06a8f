/*
 * What the riskhub-replay unit tests (tests/unit/replay/test_replay_*.c) share: the
 * shipped configuration and schemas, a registry built by hand, and
 * single-object messages made with the Avro C value API (not with the
 * replay's code): FeedRecords, BatchManifests, Alerts.
 *
 * Synthetic data only. Included by one test file at a time (static inline).
 */
#ifndef TEST_REPLAY_FIXTURE_H
#define TEST_REPLAY_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_msg.h"
#include "rh_alert.h"
#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_feedrecord.h"
#include "rh_idnum.h"
#include "rh_regmap.h"
#include "rh_test.h"
#include "rh_test_keys.h"

#define FX_PERIOD "2026-10"
#define FX_BATCH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FX_BATCH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A message with its own copy of the bytes. */
typedef struct {
  char topic[128];
  unsigned char value[4096];
  size_t len;
  char key[80];
  rh_msg_t m;
} fx_msg_t;

static inline void fx_msg_set(fx_msg_t *x, const char *topic, int32_t partition, int64_t offset,
                              int64_t ts, const char *key, const void *value, size_t len) {
  assert_true(len <= sizeof x->value);
  snprintf(x->topic, sizeof x->topic, "%s", topic);
  snprintf(x->key, sizeof x->key, "%s", key ? key : "");
  memcpy(x->value, value, len);
  x->len = len;
  x->m = (rh_msg_t){x->topic, partition, offset, ts, key ? x->key : NULL,
                        key ? strlen(x->key) : 0, x->value, len};
}

static inline const char *fx_src(void) { return rh_test_source_dir(); }

static inline rh_config_t *fx_config(void) {
  char path[4096], err[1024];
  snprintf(path, sizeof path, "%s/config/riskhub.yaml", fx_src());
  unsetenv("RH_TOPIC_PREFIX");
  /* the departments whose manifests the tests write sign them (signed lists) */
  rh_test_keys_make((const char *const[]){"health", "tax", "medical-insurance", NULL});
  rh_config_t *cfg = rh_config_load(path, err, sizeof err);
  if (!cfg) fail_msg("%s", err);
  return cfg;
}

static inline rh_avro_schemas_t *fx_schemas(void) {
  char path[4096], err[1024];
  snprintf(path, sizeof path, "%s/schemas", fx_src());
  rh_avro_schemas_t *s = rh_avro_schemas_new();
  if (!s || rh_avro_schemas_load_dir(s, path, err, sizeof err)) fail_msg("%s", err);
  return s;
}

/* A valid ID number from 17 digits. */
static inline void fx_id(const char *first17, char out[RH_ID_BUFSZ]) {
  memcpy(out, first17, 17);
  out[17] = rh_id_check_char(first17);
  out[18] = '\0';
}

/* Encode value v of schema `name` (single object) into x's bytes. */
static inline void fx_encode(const rh_avro_schemas_t *s, const char *name, avro_value_t *v,
                             fx_msg_t *x, const char *topic, int32_t partition, int64_t offset,
                             int64_t ts, const char *key) {
  rh_avro_buf_t buf;
  char err[512];
  rh_avro_buf_init(&buf);
  if (rh_avro_encode(rh_avro_schemas_get(s, name), v, &buf, err, sizeof err) != RH_AVRO_OK)
    fail_msg("%s", err);
  fx_msg_set(x, topic, partition, offset, ts, key, buf.data, buf.len);
  rh_avro_buf_free(&buf);
}

/* A string field, or with s NULL the null branch of an optional field. */
static inline void fx_set_str(avro_value_t *rec, const char *name, const char *s) {
  avro_value_t f, b;
  assert_int_equal(avro_value_get_by_name(rec, name, &f, NULL), 0);
  if (avro_value_get_type(&f) == AVRO_UNION) {
    if (!s) {
      assert_int_equal(avro_value_set_branch(&f, 0, &b), 0);
      assert_int_equal(avro_value_set_null(&b), 0);
      return;
    }
    assert_int_equal(avro_value_set_branch(&f, 1, &b), 0);
    f = b;
  }
  assert_int_equal(avro_value_set_string(&f, s), 0);
}

static inline void fx_set_long(avro_value_t *rec, const char *name, int64_t v) {
  avro_value_t f, b;
  assert_int_equal(avro_value_get_by_name(rec, name, &f, NULL), 0);
  if (avro_value_get_type(&f) == AVRO_UNION) {
    assert_int_equal(avro_value_set_branch(&f, 1, &b), 0);
    f = b;
  }
  assert_int_equal(avro_value_set_long(&f, v), 0);
}

/* A FeedRecord message: id on topic feed.<dept>.<feed> of batch bid. */
static inline void fx_record(const rh_avro_schemas_t *s, fx_msg_t *x, const char *dept,
                             const char *feed, const char *kind, const char *bid, const char *id,
                             int64_t amount_yuan, int32_t partition, int64_t offset) {
  avro_value_t v, f, e;
  char topic[128];
  const rh_avro_schema_t *fr = rh_avro_schemas_get(s, "riskhub.FeedRecord");
  assert_int_equal(rh_avro_schema_value_new(fr, &v, NULL, 0), RH_AVRO_OK);
  fx_set_str(&v, "id_number", id);
  fx_set_str(&v, "name", "测试");
  fx_set_str(&v, "department", dept);
  fx_set_str(&v, "feed", feed);
  fx_set_str(&v, "kind", kind);
  fx_set_str(&v, "period", FX_PERIOD);
  fx_set_str(&v, "batch_id", bid);
  fx_set_long(&v, "row_number", offset + 2);
  fx_set_str(&v, "township_code", NULL);
  fx_set_str(&v, "village", NULL);
  fx_set_str(&v, "event_date", NULL);
  if (amount_yuan >= 0) fx_set_long(&v, "amount_fen", amount_yuan * 100);
  else fx_set_str(&v, "amount_fen", NULL); /* null */
  fx_set_str(&v, "risk", strcmp(kind, "SIGNAL") == 0 ? "ILLNESS" : NULL);
  fx_set_str(&v, "risk_subtype", NULL);
  assert_int_equal(avro_value_get_by_name(&v, "facts", &f, NULL), 0);
  assert_int_equal(avro_value_add(&f, "disease", &e, NULL, NULL), 0);
  assert_int_equal(avro_value_set_string(&e, "test disease"), 0);
  fx_set_long(&v, "produced_at", 1790000000000);
  snprintf(topic, sizeof topic, "feed.%s.%s", dept, feed);
  fx_encode(s, "riskhub.FeedRecord", &v, x, topic, partition, offset, 1790000000000, id);
  avro_value_decref(&v);
}

typedef struct {
  int32_t partition;
  int64_t first, last, count;
} fx_range_t;

/* A BatchManifest message at feed.<dept>.manifests [mpart] offset moff. */
static inline void fx_manifest(const rh_avro_schemas_t *s, fx_msg_t *x, const char *bid,
                               const char *dept, const char *feed, const char *kind,
                               const char *period, const fx_range_t *ranges, size_t n,
                               int64_t started_at, int32_t mpart, int64_t moff, int64_t ts) {
  avro_value_t v, arr, el, f;
  char topic[128], mtopic[128];
  int64_t total = 0;
  const rh_avro_schema_t *bm = rh_avro_schemas_get(s, "riskhub.BatchManifest");
  assert_int_equal(rh_avro_schema_value_new(bm, &v, NULL, 0), RH_AVRO_OK);
  snprintf(topic, sizeof topic, "feed.%s.%s", dept, feed);
  for (size_t i = 0; i < n; i++) total += ranges[i].count;
  fx_set_str(&v, "batch_id", bid);
  fx_set_str(&v, "department", dept);
  fx_set_str(&v, "feed", feed);
  fx_set_str(&v, "kind", kind);
  fx_set_str(&v, "period", period);
  fx_set_str(&v, "topic", topic);
  fx_set_str(&v, "source_name", "list.csv");
  fx_set_str(&v, "source_sha256", bid);
  fx_set_str(&v, "schema_fingerprint", "0000000000000000");
  fx_set_long(&v, "rows_total", total + 1);
  fx_set_long(&v, "rows_accepted", total);
  fx_set_long(&v, "rows_rejected", 1);
  assert_int_equal(avro_value_get_by_name(&v, "partitions", &arr, NULL), 0);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(avro_value_append(&arr, &el, NULL), 0);
    assert_int_equal(avro_value_get_by_name(&el, "partition", &f, NULL), 0);
    assert_int_equal(avro_value_set_int(&f, ranges[i].partition), 0);
    fx_set_long(&el, "first_offset", ranges[i].first);
    fx_set_long(&el, "last_offset", ranges[i].last);
    fx_set_long(&el, "count", ranges[i].count);
  }
  fx_set_long(&v, "started_at", started_at);
  fx_set_long(&v, "finished_at", started_at + 1000);
  fx_set_str(&v, "producer", "test");
  rh_test_keys_sign(&v, dept);
  snprintf(mtopic, sizeof mtopic, "feed.%s.manifests", dept);
  fx_encode(s, "riskhub.BatchManifest", &v, x, mtopic, mpart, moff, ts, bid);
  avro_value_decref(&v);
}

/* Decode an Alert message into a value of the current Alert (the caller
 * decrefs *v), set its created_at and re-encode it into out. */
static inline void fx_alert_with(const rh_avro_schemas_t *s, const void *value, size_t len,
                                 int64_t created_at, const char *severity, fx_msg_t *out,
                                 const char *topic, int32_t partition, int64_t offset) {
  const rh_avro_schema_t *al = rh_avro_schemas_get(s, "riskhub.Alert");
  rh_avro_decoder_t *dec = rh_avro_decoder_new(s);
  avro_value_t v;
  char err[512];
  assert_int_equal(rh_avro_schema_value_new(al, &v, NULL, 0), RH_AVRO_OK);
  if (rh_avro_decode(dec, value, len, al, &v, NULL, err, sizeof err) != RH_AVRO_OK)
    fail_msg("%s", err);
  fx_set_long(&v, "created_at", created_at);
  if (severity) fx_set_str(&v, "severity", severity);
  fx_encode(s, "riskhub.Alert", &v, out, topic, partition, offset, created_at, NULL);
  avro_value_decref(&v);
  rh_avro_decoder_destroy(dec);
}

/* Two households: ordinary (411024100-001-0001, head *o) and monitored
 * (411024105-002-0003, head *m). */
static inline rh_regmap_t *fx_registry(char o[RH_ID_BUFSZ], char m[RH_ID_BUFSZ]) {
  char err[512];
  rh_regmap_t *map = rh_regmap_new();
  fx_id("41102419800101001", o);
  fx_id("41102419750202002", m);
  rh_regmap_household_row_t h1 = {.household_id = "411024100-001-0001",
                                  .township_code = "411024100", .village = "王庄村",
                                  .type = RH_REGMAP_HH_ORDINARY,
                                  .income_per_capita_fen = 2000000, .head_id_number = o};
  rh_regmap_household_row_t h2 = {.household_id = "411024105-002-0003",
                                  .township_code = "411024105", .village = "李村",
                                  .type = RH_REGMAP_HH_MONITORED,
                                  .category = RH_REGMAP_CAT_MARGINAL,
                                  .income_per_capita_fen = 700000, .head_id_number = m};
  if (rh_regmap_put_household(map, &h1, err, sizeof err) ||
      rh_regmap_put_household(map, &h2, err, sizeof err) ||
      rh_regmap_put_person(map, o, h1.household_id, "测试甲", RH_REGMAP_REL_HEAD, err, sizeof err) ||
      rh_regmap_put_person(map, m, h2.household_id, "测试乙", RH_REGMAP_REL_HEAD, err, sizeof err))
    fail_msg("%s", err);
  return map;
}

#endif
