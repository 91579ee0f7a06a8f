/* join_transform's two ways of reading a feed record: the direct reader
 * (rh_feedrecord_decode) for the current FeedRecord, the generic path
 * (rh_avro_decode with resolution) for older writers. The same record gives
 * the same alert bytes either way; a corrupt record goes to the DLQ with the
 * generic path's reason. Fake sink, a registry built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "join_idset.h"
#include "join_transform.h"
#include "rh_feedrecord.h"
#include "rh_idnum.h"
#include "rh_log.h"
#include "rh_test.h"

typedef struct {
  char topic[128], key[64];
  unsigned char value[4096];
  size_t value_len;
  char error[600];
} out_t;

typedef struct {
  out_t out[4];
  int n;
} capture_t;

static int cap_send(void *arg, const char *topic, const void *key, size_t key_len,
                    const void *value, size_t value_len, rd_kafka_headers_t *h, char *errstr,
                    size_t errstr_size) {
  (void)errstr, (void)errstr_size;
  capture_t *c = arg;
  assert_true(c->n < 4);
  out_t *o = &c->out[c->n++];
  memset(o, 0, sizeof *o);
  snprintf(o->topic, sizeof o->topic, "%s", topic);
  snprintf(o->key, sizeof o->key, "%.*s", (int)key_len, (const char *)key);
  assert_true(value_len <= sizeof o->value);
  memcpy(o->value, value, value_len);
  o->value_len = value_len;
  if (h) {
    const void *v;
    size_t n;
    if (rd_kafka_header_get_last(h, "error", &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR)
      snprintf(o->error, sizeof o->error, "%.*s", (int)n, (const char *)v);
    rd_kafka_headers_destroy(h);
  }
  return 0;
}

/* An older FeedRecord: no risk_subtype, no facts (history; the reader's
 * defaults fill them in). */
static const char old_fr[] =
    "{\"type\":\"record\",\"name\":\"FeedRecord\",\"namespace\":\"riskhub\",\"fields\":["
    "{\"name\":\"id_number\",\"type\":\"string\"},"
    "{\"name\":\"name\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"department\",\"type\":\"string\"},{\"name\":\"feed\",\"type\":\"string\"},"
    "{\"name\":\"kind\",\"type\":\"string\"},{\"name\":\"period\",\"type\":\"string\"},"
    "{\"name\":\"batch_id\",\"type\":\"string\"},{\"name\":\"row_number\",\"type\":\"long\"},"
    "{\"name\":\"township_code\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"village\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"event_date\",\"type\":[\"null\",\"int\"],\"default\":null},"
    "{\"name\":\"amount_fen\",\"type\":[\"null\",\"long\"],\"default\":null},"
    "{\"name\":\"risk\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"produced_at\",\"type\":\"long\"}]}";

typedef struct {
  rh_config_t *cfg;
  rh_avro_schemas_t *schemas;
  const rh_avro_schema_t *fr, *old;
  rh_regmap_t *map;
  rh_feedrecord_codec_t frc;
  avro_value_t scratch, oldv;
  rh_avro_buf_t cur, prev;
  rh_avro_decoder_t *dec;
  char person[19];
} fx_t;

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  char err[1024], path[4096];
  rh_test_path(path, sizeof path, "config/riskhub.yaml");
  unsetenv("RH_TOPIC_PREFIX");
  if (!(f->cfg = rh_config_load(path, err, sizeof err))) fail_msg("%s", err);
  rh_test_path(path, sizeof path, "schemas");
  f->schemas = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(f->schemas, path, err, sizeof err) ||
      rh_avro_schemas_add_json(f->schemas, old_fr, strlen(old_fr), "old FeedRecord", 0, &f->old,
                               err, sizeof err))
    fail_msg("%s", err);
  f->fr = rh_avro_schemas_get(f->schemas, "riskhub.FeedRecord");
  memcpy(f->person, "41102419800101001", 17);
  f->person[17] = rh_id_check_char(f->person);
  f->person[18] = '\0';
  f->map = rh_regmap_new();
  rh_regmap_household_row_t h = {.household_id = "411024100-001-0001",
                                 .township_code = "411024100", .village = "王庄村",
                                 .type = RH_REGMAP_HH_ORDINARY, .income_per_capita_fen = 2000000,
                                 .head_id_number = f->person};
  if (rh_regmap_put_household(f->map, &h, err, sizeof err) ||
      rh_regmap_put_person(f->map, f->person, h.household_id, "测试甲", RH_REGMAP_REL_HEAD, err,
                           sizeof err) ||
      rh_feedrecord_codec_init(&f->frc, f->fr, err, sizeof err) ||
      rh_avro_schema_value_new(f->fr, &f->scratch, err, sizeof err) ||
      rh_avro_schema_value_new(f->old, &f->oldv, err, sizeof err))
    fail_msg("%s", err);
  f->dec = rh_avro_decoder_new(f->schemas);
  rh_avro_buf_init(&f->cur);
  rh_avro_buf_init(&f->prev);

  /* one record, written by the current schema (direct writer) and by the old */
  rh_feedrecord_t r = {.id_number = f->person, .name = "测试", .department = "medical-insurance",
                       .feed = "high-self-pay", .kind = "SIGNAL", .period = "2026-10",
                       .batch_id = "b0b0", .row_number = 2, .village = "王庄村",
                       .has_event_date = true, .event_date = 20700, .has_amount = true,
                       .amount_fen = 1200000, .risk = "ILLNESS", .produced_at = 1};
  if (rh_feedrecord_encode(&f->frc, &r, &f->scratch, &f->cur, err, sizeof err))
    fail_msg("%s", err);
  avro_value_t fld, br;
  struct {
    const char *name, *s;
    int64_t l;
    int opt; /* 0 plain, 1 union value, 2 union null, 3 union int */
  } set[] = {{"id_number", r.id_number, 0, 0}, {"name", r.name, 0, 1},
             {"department", r.department, 0, 0}, {"feed", r.feed, 0, 0},
             {"kind", r.kind, 0, 0}, {"period", r.period, 0, 0},
             {"batch_id", r.batch_id, 0, 0}, {"row_number", NULL, r.row_number, 0},
             {"township_code", NULL, 0, 2}, {"village", r.village, 0, 1},
             {"event_date", NULL, r.event_date, 3}, {"amount_fen", NULL, r.amount_fen, 1},
             {"risk", r.risk, 0, 1}, {"produced_at", NULL, r.produced_at, 0}};
  for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
    assert_int_equal(avro_value_get_by_name(&f->oldv, set[i].name, &fld, NULL), 0);
    avro_value_t *t = &fld;
    if (set[i].opt) {
      assert_int_equal(avro_value_set_branch(&fld, set[i].opt == 2 ? 0 : 1, &br), 0);
      t = &br;
    }
    int rc = set[i].opt == 2   ? avro_value_set_null(t)
             : set[i].opt == 3 ? avro_value_set_int(t, (int32_t)set[i].l)
             : set[i].s        ? avro_value_set_string(t, set[i].s)
                               : avro_value_set_long(t, set[i].l);
    assert_int_equal(rc, 0);
  }
  assert_int_equal(rh_avro_encode(f->old, &f->oldv, &f->prev, err, sizeof err), RH_AVRO_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  rh_avro_buf_free(&f->cur);
  rh_avro_buf_free(&f->prev);
  rh_avro_decoder_destroy(f->dec);
  avro_value_decref(&f->scratch);
  avro_value_decref(&f->oldv);
  rh_feedrecord_codec_free(&f->frc);
  rh_regmap_destroy(f->map);
  rh_avro_schemas_destroy(f->schemas);
  rh_config_destroy(f->cfg);
  free(f);
  return 0;
}

/* One message through a fresh transform (its own published-id set). */
static void run(fx_t *f, const void *value, size_t len, capture_t *cap, join_counts_t *counts) {
  char err[512];
  join_idset_t *ids = join_idset_new(16);
  join_transform_t t;
  if (join_transform_init(&t, f->cfg, f->schemas, ids, err, sizeof err)) fail_msg("%s", err);
  t.map = f->map;
  join_sink_t sink = {cap_send, cap};
  join_input_t in = {.topic = "feed.medical-insurance.high-self-pay", .partition = 1,
                     .offset = 41, .key = f->person, .key_len = 18, .value = value,
                     .value_len = len};
  memset(cap, 0, sizeof *cap);
  assert_int_equal(join_transform_message(&t, &in, &sink, 1700000000000, err, sizeof err), 0);
  *counts = t.counts;
  join_transform_free(&t);
  join_idset_destroy(ids);
}

static void test_old_and_current_writer_give_the_same_alert(void **state) {
  fx_t *f = *state;
  assert_true(f->old->fingerprint != f->fr->fingerprint);
  rh_feedrecord_t r;
  char err[512];
  /* the current record goes the direct way, the old one falls back */
  assert_int_equal(rh_feedrecord_decode(&f->frc, f->cur.data, f->cur.len, &r, err, sizeof err), 0);
  assert_int_equal(rh_feedrecord_decode(&f->frc, f->prev.data, f->prev.len, &r, err, sizeof err),
                   RH_FEEDRECORD_FALLBACK);
  capture_t a, b;
  join_counts_t ca, cb;
  run(f, f->cur.data, f->cur.len, &a, &ca);
  run(f, f->prev.data, f->prev.len, &b, &cb);
  assert_int_equal(ca.alerts, 1);
  assert_int_equal(cb.alerts, 1);
  assert_int_equal(a.n, 1);
  assert_int_equal(b.n, 1);
  assert_string_equal(a.out[0].topic, "alerts.411024100");
  assert_string_equal(a.out[0].topic, b.out[0].topic);
  assert_string_equal(a.out[0].key, b.out[0].key);
  assert_int_equal(a.out[0].value_len, b.out[0].value_len);
  assert_memory_equal(a.out[0].value, b.out[0].value, a.out[0].value_len);
}

/* Every truncation and many corruptions of the current record: the DLQ
 * reason is "not a FeedRecord: " and the generic path's message. */
static void test_dlq_reason_is_the_generic_paths(void **state) {
  fx_t *f = *state;
  unsigned seed = 17;
  int dlq = 0;
  rh_log_set_level(RH_LOG_ERROR); /* a warning a dead letter: thousands here */
  for (size_t k = 0; k < f->cur.len + 3000; k++) {
    unsigned char m[1024];
    size_t n = f->cur.len;
    memcpy(m, f->cur.data, n);
    if (k < f->cur.len) {
      n = k; /* a prefix */
    } else {
      seed = seed * 1103515245u + 12345u;
      size_t pos = 10 + (seed >> 8) % (n - 10);
      seed = seed * 1103515245u + 12345u;
      m[pos] = (unsigned char)(seed >> 16);
    }
    char want[600], why[512];
    rh_avro_status_t st = rh_avro_decode(f->dec, m, n, f->fr, &f->scratch, NULL, why, sizeof why);
    if (st == RH_AVRO_OK) continue; /* still a record (another one) */
    snprintf(want, sizeof want, "not a FeedRecord: %s", why);
    rh_log_scrub(want);
    capture_t cap;
    join_counts_t c;
    run(f, m, n, &cap, &c);
    assert_int_equal(c.dlq, 1);
    assert_int_equal(cap.n, 1);
    assert_string_equal(cap.out[0].topic, "riskhub.dlq");
    assert_string_equal(cap.out[0].error, want);
    dlq++;
  }
  assert_true(dlq > 1000);
  /* an unknown writer: the generic path says so */
  unsigned char m[1024];
  memcpy(m, f->cur.data, f->cur.len);
  m[5] ^= 0x55;
  capture_t cap;
  join_counts_t c;
  run(f, m, f->cur.len, &cap, &c);
  assert_int_equal(c.dlq, 1);
  assert_non_null(strstr(cap.out[0].error, "not a FeedRecord: unknown writer schema"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_old_and_current_writer_give_the_same_alert, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_dlq_reason_is_the_generic_paths, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
