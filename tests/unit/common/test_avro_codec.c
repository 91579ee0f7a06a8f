/*
 * Tests of rh_avro_codec: single-object encoding, decoding with resolution and
 * reader defaults, and decoding of damaged messages (every truncation, random
 * byte flips with a fixed seed, hand-made corruptions): no crash, a clean
 * status and message each time. Run under ASan+UBSan with -DRH_SANITIZE=ON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_test.h"

/* ---- Avro C allocation counting ------------------------------------------ */

static int g_count_allocs;
static long g_allocs;

static void *counting_allocator(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  if (g_count_allocs) g_allocs++;
  return realloc(ptr, nsize);
}

/* ---- helpers -------------------------------------------------------------- */

static rh_avro_schemas_t *load_fixture_set(void) {
  char dir[1024], err[512] = "";
  snprintf(dir, sizeof dir, "%s/tests/data/avro/set", rh_test_source_dir());
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  assert_non_null(set);
  if (rh_avro_schemas_load_dir(set, dir, err, sizeof err) != RH_AVRO_OK) fail_msg("%s", err);
  return set;
}

static const rh_avro_schema_t *history_of(const rh_avro_schemas_t *set, const char *name) {
  for (size_t i = 0; i < rh_avro_schemas_count(set); i++) {
    const rh_avro_schema_t *e = rh_avro_schemas_at(set, i);
    if (!e->is_current && strcmp(e->fullname, name) == 0) return e;
  }
  fail_msg("no history version of %s", name);
  return NULL;
}

static avro_value_t F(avro_value_t *rec, const char *name) {
  avro_value_t f;
  if (avro_value_get_by_name(rec, name, &f, NULL) != 0) fail_msg("no field %s", name);
  return f;
}

static void set_str(avro_value_t *v, const char *s) {
  assert_int_equal(avro_value_set_string_len(v, s, strlen(s) + 1), 0);
}
static void set_bytes(avro_value_t *v, const char *b, size_t n) {
  assert_int_equal(avro_value_set_bytes(v, (void *)b, n), 0);
}
static avro_value_t branch(avro_value_t *u, int d) {
  avro_value_t b;
  assert_int_equal(avro_value_set_branch(u, d, &b), 0);
  return b;
}
static avro_value_t append(avro_value_t *a) {
  avro_value_t c;
  assert_int_equal(avro_value_append(a, &c, NULL), 0);
  return c;
}
static avro_value_t add(avro_value_t *m, const char *k) {
  avro_value_t c;
  assert_int_equal(avro_value_add(m, k, &c, NULL, NULL), 0);
  return c;
}
static void set_inner(avro_value_t *in, int a, const char *b) {
  avro_value_t f = F(in, "a");
  avro_value_set_int(&f, a);
  f = F(in, "b");
  set_str(&f, b);
}

static const char *get_str(avro_value_t *rec, const char *name) {
  avro_value_t f = F(rec, name);
  const char *s;
  size_t n;
  assert_int_equal(avro_value_get_string(&f, &s, &n), 0);
  assert_int_equal(n, strlen(s) + 1);
  return s;
}
static int64_t get_long(avro_value_t *rec, const char *name) {
  avro_value_t f = F(rec, name);
  int64_t v;
  assert_int_equal(avro_value_get_long(&f, &v), 0);
  return v;
}
static int32_t get_int(avro_value_t *rec, const char *name) {
  avro_value_t f = F(rec, name);
  int32_t v;
  assert_int_equal(avro_value_get_int(&f, &v), 0);
  return v;
}
static double get_double(avro_value_t *rec, const char *name) {
  avro_value_t f = F(rec, name);
  double v;
  assert_int_equal(avro_value_get_double(&f, &v), 0);
  return v;
}
static int disc_of(avro_value_t *rec, const char *name, avro_value_t *br) {
  avro_value_t f = F(rec, name);
  int d;
  assert_int_equal(avro_value_get_discriminant(&f, &d), 0);
  if (br) assert_int_equal(avro_value_get_current_branch(&f, br), 0);
  return d;
}

/* The fields v1 and v2 share, with known values (also used by the interop tool). */
static void fill_common(avro_value_t *r) {
  avro_value_t f, c, g;
  f = F(r, "id"); set_str(&f, "id-1");
  f = F(r, "count"); avro_value_set_int(&f, -5);
  f = F(r, "amount"); avro_value_set_long(&f, INT64_C(-9007199254740993));
  f = F(r, "ratio"); avro_value_set_double(&f, 3.141592653589793);
  f = F(r, "small"); avro_value_set_float(&f, 1.5f);
  f = F(r, "flag"); avro_value_set_boolean(&f, 1);
  f = F(r, "name_cn"); set_str(&f, "张三 李四");
  f = F(r, "blob"); set_bytes(&f, "\x00\x01\xfe\xff", 4);
  f = F(r, "maybe"); c = branch(&f, 1); set_str(&c, "也许 maybe");
  f = F(r, "tags"); c = append(&f); set_str(&c, "a"); c = append(&f); set_str(&c, "标签");
  f = F(r, "attrs"); c = add(&f, "max"); avro_value_set_long(&c, INT64_MAX);
  c = add(&f, "min"); avro_value_set_long(&c, INT64_MIN);
  f = F(r, "inner"); set_inner(&f, 1, "内");
  f = F(r, "inners"); c = append(&f); set_inner(&c, 2, "i2"); c = append(&f); set_inner(&c, 3, "");
  f = F(r, "choice"); c = branch(&f, 3); set_inner(&c, 4, "ch");
  f = F(r, "hash"); assert_int_equal(avro_value_set_fixed(&f, "\xde\xad\xbe\xef", 4), 0);
  f = F(r, "when"); avro_value_set_long(&f, INT64_C(1700000000123));
  f = F(r, "chain");
  c = F(&f, "value"); avro_value_set_long(&c, 1);
  c = F(&f, "next"); g = branch(&c, 1);
  c = F(&g, "value"); avro_value_set_long(&c, 2);
  c = F(&g, "next"); branch(&c, 0);
}

static void fill_v1(avro_value_t *r) {
  fill_common(r);
  avro_value_t f, c, g;
  f = F(r, "color"); avro_value_set_enum(&f, 3); /* PURPLE: not in v2 */
  f = F(r, "promo_il"); avro_value_set_int(&f, INT32_MAX);
  f = F(r, "promo_id"); avro_value_set_int(&f, -3);
  f = F(r, "promo_lf"); avro_value_set_long(&f, 16777217); /* 2^24+1: not a float */
  f = F(r, "promo_fd"); avro_value_set_float(&f, 0.1f);
  f = F(r, "promo_sb"); set_str(&f, "sb");
  f = F(r, "promo_bs"); set_bytes(&f, "bs\xc3\xa9", 4);
  f = F(r, "to_union"); avro_value_set_int(&f, 77);
  f = F(r, "old_name"); set_str(&f, "old value");
  f = F(r, "dropped"); c = add(&f, "k"); g = append(&c); avro_value_set_double(&g, 1.0);
}

/* ---- encode / decode ------------------------------------------------------ */

static void test_roundtrip_same_schema(void **state) {
  (void)state;
  char err[512] = "";
  rh_avro_schemas_t *set = load_fixture_set();
  const rh_avro_schema_t *v1 = history_of(set, "riskhub.test.TestRecord");
  avro_value_t in, out;
  assert_int_equal(rh_avro_schema_value_new(v1, &in, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(rh_avro_schema_value_new(v1, &out, err, sizeof err), RH_AVRO_OK);
  fill_v1(&in);

  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  if (rh_avro_encode(v1, &in, &buf, err, sizeof err) != RH_AVRO_OK) fail_msg("%s", err);
  assert_true(buf.len > RH_AVRO_HEADER_LEN);
  assert_int_equal(buf.data[0], 0xC3);
  assert_int_equal(buf.data[1], 0x01);
  for (int i = 0; i < 8; i++) assert_int_equal(buf.data[2 + i], (v1->fingerprint >> (8 * i)) & 0xff);
  uint64_t fp = 0;
  assert_int_equal(rh_avro_wire_peek_fingerprint(buf.data, buf.len, &fp, err, sizeof err),
                   RH_AVRO_OK);
  assert_true(fp == v1->fingerprint);
  size_t body;
  assert_int_equal(avro_value_sizeof(&in, &body), 0);
  assert_int_equal(buf.len, RH_AVRO_HEADER_LEN + body);

  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  const rh_avro_schema_t *w = NULL;
  /* explicit reader = writer, and NULL reader */
  if (rh_avro_decode(dec, buf.data, buf.len, v1, &out, &w, err, sizeof err) != RH_AVRO_OK)
    fail_msg("%s", err);
  assert_ptr_equal(w, v1);
  assert_true(avro_value_equal(&in, &out));
  avro_value_reset(&out);
  if (rh_avro_decode(dec, buf.data, buf.len, NULL, &out, &w, err, sizeof err) != RH_AVRO_OK)
    fail_msg("%s", err);
  assert_true(avro_value_equal(&in, &out));

  /* Appending: a second message after the first. */
  size_t first = buf.len;
  assert_int_equal(rh_avro_encode(v1, &in, &buf, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(buf.len, 2 * first);
  assert_memory_equal(buf.data, buf.data + first, first);

  rh_avro_decoder_destroy(dec);
  rh_avro_buf_free(&buf);
  rh_avro_buf_free(&buf);
  avro_value_decref(&in);
  avro_value_decref(&out);
  rh_avro_schemas_destroy(set);
}

static void test_resolve_v1_to_v2(void **state) {
  (void)state;
  char err[512] = "";
  rh_avro_schemas_t *set = load_fixture_set();
  const rh_avro_schema_t *v1 = history_of(set, "riskhub.test.TestRecord");
  const rh_avro_schema_t *v2 = rh_avro_schemas_get(set, "riskhub.test.TestRecord");
  avro_value_t in, r;
  assert_int_equal(rh_avro_schema_value_new(v1, &in, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(rh_avro_schema_value_new(v2, &r, err, sizeof err), RH_AVRO_OK);
  fill_v1(&in);
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  assert_int_equal(rh_avro_encode(v1, &in, &buf, err, sizeof err), RH_AVRO_OK);

  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  const rh_avro_schema_t *w = NULL;
  for (int round = 0; round < 3; round++) { /* the plan is compiled once, reused */
    if (rh_avro_decode(dec, buf.data, buf.len, v2, &r, &w, err, sizeof err) != RH_AVRO_OK)
      fail_msg("%s", err);
  }
  assert_ptr_equal(w, v1);

  avro_value_t f, c, br;
  const char *s;
  size_t n;
  const void *b;
  /* shared fields, unchanged */
  assert_string_equal(get_str(&r, "id"), "id-1");
  assert_int_equal(get_int(&r, "count"), -5);
  assert_true(get_long(&r, "amount") == INT64_C(-9007199254740993));
  assert_true(get_double(&r, "ratio") == 3.141592653589793);
  assert_string_equal(get_str(&r, "name_cn"), "张三 李四");
  f = F(&r, "blob");
  avro_value_get_bytes(&f, &b, &n);
  assert_int_equal(n, 4);
  assert_memory_equal(b, "\x00\x01\xfe\xff", 4);
  assert_int_equal(disc_of(&r, "maybe", &br), 1);
  avro_value_get_string(&br, &s, &n);
  assert_string_equal(s, "也许 maybe");
  f = F(&r, "attrs");
  assert_int_equal(avro_value_get_by_name(&f, "min", &c, NULL), 0);
  int64_t l;
  avro_value_get_long(&c, &l);
  assert_true(l == INT64_MIN);
  /* enum: PURPLE is not in v2, the reader enum's default RED (0) applies */
  f = F(&r, "color");
  int e;
  avro_value_get_enum(&f, &e);
  assert_int_equal(e, 0);
  /* nested record: new fields take defaults, also inside an array and a union */
  f = F(&r, "inner");
  assert_int_equal(get_int(&f, "a"), 1);
  assert_string_equal(get_str(&f, "b"), "内");
  assert_int_equal(disc_of(&f, "c", NULL), 0);
  assert_int_equal(get_long(&f, "d"), 42);
  f = F(&r, "inners");
  size_t sz;
  avro_value_get_size(&f, &sz);
  assert_int_equal(sz, 2);
  avro_value_get_by_index(&f, 1, &c, NULL);
  assert_int_equal(get_int(&c, "a"), 3);
  assert_int_equal(get_long(&c, "d"), 42);
  assert_int_equal(disc_of(&r, "choice", &br), 3);
  assert_int_equal(get_long(&br, "d"), 42);
  assert_string_equal(get_str(&br, "b"), "ch");
  /* recursion */
  f = F(&r, "chain");
  assert_int_equal(get_long(&f, "value"), 1);
  assert_int_equal(disc_of(&f, "next", &br), 1);
  assert_int_equal(get_long(&br, "value"), 2);
  assert_int_equal(disc_of(&br, "next", NULL), 0);
  /* promotions */
  assert_true(get_long(&r, "promo_il") == INT32_MAX);
  assert_true(get_double(&r, "promo_id") == -3.0);
  f = F(&r, "promo_lf");
  float fl;
  avro_value_get_float(&f, &fl);
  assert_true(fl == 16777216.0f);
  assert_true(get_double(&r, "promo_fd") == (double)0.1f);
  f = F(&r, "promo_sb");
  assert_int_equal(avro_value_get_type(&f), AVRO_BYTES);
  avro_value_get_bytes(&f, &b, &n);
  assert_int_equal(n, 2);
  assert_memory_equal(b, "sb", 2);
  assert_string_equal(get_str(&r, "promo_bs"), "bs\xc3\xa9");
  assert_int_equal(disc_of(&r, "to_union", &br), 1);
  avro_value_get_long(&br, &l);
  assert_int_equal(l, 77);
  /* renamed field (reader alias) */
  assert_string_equal(get_str(&r, "new_name"), "old value");
  /* added fields: defaults of every kind */
  assert_string_equal(get_str(&r, "s_def"), "默认值 ü");
  assert_int_equal(get_int(&r, "i_def"), -7);
  assert_true(get_long(&r, "l_def") == INT64_C(-1234567890123));
  assert_true(get_double(&r, "d_def") == 2.5);
  f = F(&r, "f_def");
  avro_value_get_float(&f, &fl);
  assert_true(fl == 0.25f);
  f = F(&r, "b_def");
  int bo;
  avro_value_get_boolean(&f, &bo);
  assert_true(bo);
  assert_int_equal(disc_of(&r, "n_def", NULL), 0);
  f = F(&r, "e_def");
  avro_value_get_enum(&f, &e);
  assert_int_equal(e, 1); /* MID */
  f = F(&r, "a_def");
  avro_value_get_size(&f, &sz);
  assert_int_equal(sz, 0);
  f = F(&r, "a2_def");
  avro_value_get_size(&f, &sz);
  assert_int_equal(sz, 2);
  avro_value_get_by_index(&f, 1, &c, NULL);
  avro_value_get_string(&c, &s, &n);
  assert_string_equal(s, "中");
  f = F(&r, "m_def");
  avro_value_get_size(&f, &sz);
  assert_int_equal(sz, 0);
  f = F(&r, "m2_def");
  avro_value_get_size(&f, &sz);
  assert_int_equal(sz, 2);
  assert_int_equal(avro_value_get_by_name(&f, "键", &c, NULL), 0);
  int32_t iv;
  avro_value_get_int(&c, &iv);
  assert_int_equal(iv, -2);
  f = F(&r, "r_def");
  assert_true(get_double(&f, "x") == 1.5);
  assert_true(get_double(&f, "y") == -2.0);
  assert_int_equal(disc_of(&f, "label", NULL), 0);
  assert_int_equal(disc_of(&r, "u_def", &br), 0);
  avro_value_get_string(&br, &s, &n);
  assert_string_equal(s, "first branch");
  f = F(&r, "bytes_def");
  avro_value_get_bytes(&f, &b, &n);
  assert_int_equal(n, 3);
  assert_memory_equal(b, "\xff\x00" "A", 3);
  f = F(&r, "fixed_def");
  avro_value_get_fixed(&f, &b, &n);
  assert_int_equal(n, 2);
  assert_memory_equal(b, "\x01\x02", 2);

  /* The v2 record re-encodes with the v2 fingerprint and reads back equal. */
  rh_avro_buf_clear(&buf);
  assert_int_equal(rh_avro_encode(v2, &r, &buf, err, sizeof err), RH_AVRO_OK);
  avro_value_t r2;
  rh_avro_schema_value_new(v2, &r2, err, sizeof err);
  assert_int_equal(rh_avro_decode(dec, buf.data, buf.len, v2, &r2, &w, err, sizeof err), RH_AVRO_OK);
  assert_ptr_equal(w, v2);
  assert_true(avro_value_equal(&r, &r2));

  avro_value_decref(&r2);
  rh_avro_decoder_destroy(dec);
  rh_avro_buf_free(&buf);
  avro_value_decref(&in);
  avro_value_decref(&r);
  rh_avro_schemas_destroy(set);
}

static void test_encode_reuses_buffer(void **state) {
  (void)state;
  char err[512] = "";
  rh_avro_schemas_t *set = load_fixture_set();
  const rh_avro_schema_t *v1 = history_of(set, "riskhub.test.TestRecord");
  avro_value_t in;
  rh_avro_schema_value_new(v1, &in, err, sizeof err);
  fill_v1(&in);
  rh_avro_buf_t buf;
  rh_avro_buf_init(&buf);
  assert_int_equal(rh_avro_encode(v1, &in, &buf, err, sizeof err), RH_AVRO_OK);
  unsigned char *data = buf.data;
  size_t cap = buf.cap, len = buf.len;
  g_allocs = 0;
  g_count_allocs = 1;
  for (int i = 0; i < 1000; i++) {
    rh_avro_buf_clear(&buf);
    assert_int_equal(rh_avro_encode(v1, &in, &buf, err, sizeof err), RH_AVRO_OK);
  }
  g_count_allocs = 0;
  assert_int_equal(g_allocs, 0); /* no Avro C allocation per record */
  assert_ptr_equal(buf.data, data); /* and no realloc of ours */
  assert_int_equal(buf.cap, cap);
  assert_int_equal(buf.len, len);

  /* Decoding the same record again into the same value: Avro C keeps the
   * value's memory, our plan and scratch are cached. */
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  avro_value_t out;
  rh_avro_schema_value_new(v1, &out, err, sizeof err);
  assert_int_equal(rh_avro_decode(dec, buf.data, buf.len, v1, &out, NULL, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(rh_avro_decode(dec, buf.data, buf.len, v1, &out, NULL, err, sizeof err), RH_AVRO_OK);
  g_allocs = 0;
  g_count_allocs = 1;
  for (int i = 0; i < 100; i++)
    assert_int_equal(rh_avro_decode(dec, buf.data, buf.len, v1, &out, NULL, err, sizeof err), RH_AVRO_OK);
  g_count_allocs = 0;
  print_message("Avro C allocations per decode of TestRecord v1: %.1f\n", g_allocs / 100.0);

  rh_avro_decoder_destroy(dec);
  avro_value_decref(&out);
  rh_avro_buf_free(&buf);
  avro_value_decref(&in);
  rh_avro_schemas_destroy(set);
}

static void test_encode_errors(void **state) {
  (void)state;
  char err[512] = "";
  rh_avro_schemas_t *set = load_fixture_set();
  const rh_avro_schema_t *v2 = rh_avro_schemas_get(set, "riskhub.test.TestRecord");
  const rh_avro_schema_t *ping = rh_avro_schemas_get(set, "riskhub.test.Ping");
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  avro_value_t p, v;
  rh_avro_schema_value_new(ping, &p, err, sizeof err);
  rh_avro_schema_value_new(v2, &v, err, sizeof err);
  /* a value of another schema */
  assert_int_equal(rh_avro_encode(v2, &p, &buf, err, sizeof err), RH_AVRO_EINVAL);
  assert_non_null(strstr(err, "not of schema riskhub.test.TestRecord"));
  /* a union without a branch: Avro C refuses, buf unchanged */
  avro_value_t seq = F(&p, "seq");
  avro_value_set_long(&seq, 1);
  assert_int_equal(rh_avro_encode(ping, &p, &buf, err, sizeof err), RH_AVRO_EAVRO);
  assert_int_equal(buf.len, 0);
  avro_value_t note = F(&p, "note");
  branch(&note, 0);
  assert_int_equal(rh_avro_encode(ping, &p, &buf, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(buf.len, RH_AVRO_HEADER_LEN + 2);
  assert_int_equal(rh_avro_encode(NULL, &p, &buf, err, sizeof err), RH_AVRO_EINVAL);
  assert_int_equal(rh_avro_encode(ping, &p, NULL, err, sizeof err), RH_AVRO_EINVAL);
  avro_value_decref(&p);
  avro_value_decref(&v);
  rh_avro_buf_free(&buf);
  rh_avro_schemas_destroy(set);
}

/* ---- damaged messages ----------------------------------------------------- */

static rh_avro_status_t decode_bytes(rh_avro_decoder_t *dec, const void *d, size_t n,
                                     const rh_avro_schema_t *reader, avro_value_t *dest, char *err,
                                     size_t errsz) {
  /* Copy into an exact-size heap block so that ASan sees any overread. */
  unsigned char *copy = malloc(n ? n : 1);
  assert_non_null(copy);
  memcpy(copy, d, n);
  err[0] = '\0';
  rh_avro_status_t st = rh_avro_decode(dec, copy, n, reader, dest, NULL, err, errsz);
  free(copy);
  return st;
}

static void test_header_errors(void **state) {
  (void)state;
  char err[512];
  rh_avro_schemas_t *set = load_fixture_set();
  const rh_avro_schema_t *ping = rh_avro_schemas_get(set, "riskhub.test.Ping");
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  avro_value_t v;
  rh_avro_schema_value_new(ping, &v, err, sizeof err);
  assert_int_equal(decode_bytes(dec, "", 0, ping, &v, err, sizeof err), RH_AVRO_EMAGIC);
  assert_non_null(strstr(err, "empty message"));
  assert_int_equal(decode_bytes(dec, "\xC3", 1, ping, &v, err, sizeof err), RH_AVRO_EMAGIC);
  assert_int_equal(decode_bytes(dec, "\x00\x00\x00\x00\x01", 5, ping, &v, err, sizeof err),
                   RH_AVRO_EMAGIC); /* Confluent framing */
  assert_non_null(strstr(err, "starts 00 00"));
  assert_int_equal(decode_bytes(dec, "\xC3\x02", 2, ping, &v, err, sizeof err), RH_AVRO_EMAGIC);
  assert_int_equal(decode_bytes(dec, "\xC3\x01\x01\x02", 4, ping, &v, err, sizeof err),
                   RH_AVRO_ETRUNCATED);
  assert_non_null(strstr(err, "header"));
  /* an unknown fingerprint, printed in hex */
  const unsigned char unk[] = {0xC3, 0x01, 0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01, 0x00};
  const rh_avro_schema_t *w = (const rh_avro_schema_t *)1;
  assert_int_equal(rh_avro_decode(dec, unk, sizeof unk, ping, &v, &w, err, sizeof err),
                   RH_AVRO_EUNKNOWN);
  assert_null(w);
  assert_non_null(strstr(err, "0123456789abcdef"));
  /* trailing bytes */
  unsigned char msg[32];
  memcpy(msg, "\xC3\x01", 2);
  for (int i = 0; i < 8; i++) msg[2 + i] = (unsigned char)(ping->fingerprint >> (8 * i));
  memcpy(msg + 10, "\x02\x00", 2); /* seq 1, note null */
  assert_int_equal(decode_bytes(dec, msg, 12, ping, &v, err, sizeof err), RH_AVRO_OK);
  msg[12] = 0;
  assert_int_equal(decode_bytes(dec, msg, 13, ping, &v, err, sizeof err), RH_AVRO_ETRAILING);
  assert_non_null(strstr(err, "1 bytes after the end"));
  assert_non_null(strstr(err, "at byte 12"));
  /* bad arguments */
  const rh_avro_schema_t *v2 = rh_avro_schemas_get(set, "riskhub.test.TestRecord");
  assert_int_equal(decode_bytes(dec, msg, 12, v2, &v, err, sizeof err), RH_AVRO_EINVAL);
  assert_non_null(strstr(err, "dest is not a value of riskhub.test.TestRecord"));
  assert_int_equal(rh_avro_decode(NULL, msg, 12, ping, &v, NULL, err, sizeof err), RH_AVRO_EINVAL);
  assert_int_equal(rh_avro_decode(dec, NULL, 12, ping, &v, NULL, err, sizeof err), RH_AVRO_EINVAL);
  rh_avro_schemas_t *other = load_fixture_set();
  assert_int_equal(decode_bytes(dec, msg, 12, rh_avro_schemas_get(other, "riskhub.test.Ping"), &v,
                                err, sizeof err),
                   RH_AVRO_EINVAL);
  assert_non_null(strstr(err, "not of the decoder's schema set"));
  rh_avro_schemas_destroy(other);
  avro_value_decref(&v);
  rh_avro_decoder_destroy(dec);
  rh_avro_schemas_destroy(set);
}

static rh_avro_buf_t encode_v1_fixture(rh_avro_schemas_t *set) {
  char err[512];
  const rh_avro_schema_t *v1 = history_of(set, "riskhub.test.TestRecord");
  avro_value_t in;
  rh_avro_schema_value_new(v1, &in, err, sizeof err);
  fill_v1(&in);
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  assert_int_equal(rh_avro_encode(v1, &in, &buf, err, sizeof err), RH_AVRO_OK);
  avro_value_decref(&in);
  return buf;
}

static void test_every_truncation(void **state) {
  (void)state;
  char err[512];
  rh_avro_schemas_t *set = load_fixture_set();
  const rh_avro_schema_t *v2 = rh_avro_schemas_get(set, "riskhub.test.TestRecord");
  rh_avro_buf_t buf = encode_v1_fixture(set);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  avro_value_t v;
  rh_avro_schema_value_new(v2, &v, err, sizeof err);
  for (size_t n = 0; n < buf.len; n++) {
    rh_avro_status_t st = decode_bytes(dec, buf.data, n, v2, &v, err, sizeof err);
    rh_avro_status_t want = n < 2 ? RH_AVRO_EMAGIC : RH_AVRO_ETRUNCATED;
    if (st != want) fail_msg("prefix of %zu bytes: status %d (%s)", n, st, err);
    assert_true(strlen(err) > 10);
  }
  assert_int_equal(decode_bytes(dec, buf.data, buf.len, v2, &v, err, sizeof err), RH_AVRO_OK);
  avro_value_decref(&v);
  rh_avro_decoder_destroy(dec);
  rh_avro_buf_free(&buf);
  rh_avro_schemas_destroy(set);
}

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);
static uint64_t rng(void) { /* xorshift64*, fixed seed: reproducible */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * UINT64_C(2685821657736338717);
}

static void test_random_flips(void **state) {
  (void)state;
  char err[512];
  rh_avro_schemas_t *set = load_fixture_set();
  const rh_avro_schema_t *v2 = rh_avro_schemas_get(set, "riskhub.test.TestRecord");
  rh_avro_buf_t buf = encode_v1_fixture(set);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  avro_value_t v;
  rh_avro_schema_value_new(v2, &v, err, sizeof err);
  unsigned char *m = malloc(buf.len);
  long counts[RH_AVRO_ERESOLVE + 1] = {0};
  const int rounds = 20000;
  for (int i = 0; i < rounds; i++) {
    memcpy(m, buf.data, buf.len);
    int flips = 1 + (int)(rng() % 4);
    for (int k = 0; k < flips; k++) {
      size_t pos = RH_AVRO_HEADER_LEN + (size_t)(rng() % (buf.len - RH_AVRO_HEADER_LEN));
      if (rng() % 3 == 0)
        m[pos] = (unsigned char)rng(); /* a random byte */
      else
        m[pos] ^= (unsigned char)(1u << (rng() % 8)); /* a bit flip */
    }
    size_t n = buf.len;
    if (rng() % 8 == 0) n = RH_AVRO_HEADER_LEN + (size_t)(rng() % (buf.len - RH_AVRO_HEADER_LEN));
    rh_avro_status_t st = decode_bytes(dec, m, n, v2, &v, err, sizeof err);
    assert_true(st >= RH_AVRO_OK && st <= RH_AVRO_ERESOLVE);
    assert_true(st != RH_AVRO_EINVAL && st != RH_AVRO_EAVRO && st != RH_AVRO_EMAGIC &&
                st != RH_AVRO_EUNKNOWN);
    if (st != RH_AVRO_OK) assert_true(strlen(err) > 10);
    counts[st]++;
  }
  /* Fully random bodies behind a valid header. */
  for (int i = 0; i < 5000; i++) {
    size_t n = RH_AVRO_HEADER_LEN + (size_t)(rng() % 200);
    memcpy(m, buf.data, RH_AVRO_HEADER_LEN);
    for (size_t k = RH_AVRO_HEADER_LEN; k < n && k < buf.len; k++) m[k] = (unsigned char)rng();
    if (n > buf.len) n = buf.len;
    rh_avro_status_t st = decode_bytes(dec, m, n, v2, &v, err, sizeof err);
    assert_true(st != RH_AVRO_EINVAL && st != RH_AVRO_EAVRO);
    counts[st]++;
  }
  for (int s = 0; s <= RH_AVRO_ERESOLVE; s++)
    if (counts[s]) print_message("  %-28s %ld\n", rh_avro_status_str((rh_avro_status_t)s), counts[s]);
  assert_true(counts[RH_AVRO_ETRUNCATED] > 0);
  assert_true(counts[RH_AVRO_EDATA] > 0);
  free(m);
  avro_value_decref(&v);
  rh_avro_decoder_destroy(dec);
  rh_avro_buf_free(&buf);
  rh_avro_schemas_destroy(set);
}

/* Small schemas for hand-made bodies. */
typedef struct {
  rh_avro_schemas_t *set;
  rh_avro_decoder_t *dec;
  const rh_avro_schema_t *s;
  avro_value_t v;
} small_t;

static const char *SMALL =
    "{\"type\":\"record\",\"name\":\"S\",\"namespace\":\"t\",\"fields\":["
    "{\"name\":\"s\",\"type\":\"string\"},{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"b\",\"type\":\"boolean\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}},"
    "{\"name\":\"u\",\"type\":[\"null\",\"int\"]},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"null\"}},"
    "{\"name\":\"i\",\"type\":\"int\"},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\"}}]}";

static void small_init(small_t *t) {
  char err[512];
  t->set = rh_avro_schemas_new();
  if (rh_avro_schemas_add_json(t->set, SMALL, strlen(SMALL), "small", 1, &t->s, err, sizeof err) !=
      RH_AVRO_OK)
    fail_msg("%s", err);
  t->dec = rh_avro_decoder_new(t->set);
  rh_avro_schema_value_new(t->s, &t->v, err, sizeof err);
}

static void small_free(small_t *t) {
  avro_value_decref(&t->v);
  rh_avro_decoder_destroy(t->dec);
  rh_avro_schemas_destroy(t->set);
}

static rh_avro_status_t small_decode(small_t *t, const char *body, size_t n, char *err, size_t errsz) {
  unsigned char msg[256];
  msg[0] = 0xC3;
  msg[1] = 0x01;
  for (int i = 0; i < 8; i++) msg[2 + i] = (unsigned char)(t->s->fingerprint >> (8 * i));
  memcpy(msg + 10, body, n);
  return decode_bytes(t->dec, msg, 10 + n, t->s, &t->v, err, errsz);
}

static void expect_in(const char *err, const char *needle) {
  if (needle && !strstr(err, needle)) fail_msg("'%s' lacks '%s'", err, needle);
}

#define EXPECT(body, want, needle)                                                   \
  do {                                                                               \
    rh_avro_status_t st_ = small_decode(&t, body, sizeof(body) - 1, err, sizeof err); \
    if (st_ != (want)) fail_msg("%s: status %d (%s)", #body, st_, err);              \
    expect_in(err, needle);                                                          \
  } while (0)

static void test_corruptions(void **state) {
  (void)state;
  char err[512];
  small_t t;
  small_init(&t);
  EXPECT("\x00\x00\x00\x00\x00\x00\x00\x00", RH_AVRO_OK, NULL);
  /* s = "ab", l = -1, b = true, e = B, u = 5, a = [null,null] as a negative
   * block count with byte size, i = -64, m = {"k": 1} */
  EXPECT("\x04" "ab" "\x01" "\x01" "\x02" "\x02\x0a" "\x03\x00\x00" "\x7f" "\x02\x02k\x02\x00",
         RH_AVRO_OK, NULL);
  int32_t iv;
  avro_value_t f = F(&t.v, "i");
  avro_value_get_int(&f, &iv);
  assert_int_equal(iv, -64);
  EXPECT("\x01", RH_AVRO_ELENGTH, "negative string length -1");
  EXPECT("\x80\x80\x04", RH_AVRO_ETRUNCATED, "string of 32768 bytes but only 0 left");
  EXPECT("\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", RH_AVRO_ETRUNCATED,
         NULL); /* 10-byte long is fine, then the record ends early */
  EXPECT("\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", RH_AVRO_EVARINT, "longer than 64 bits");
  EXPECT("\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", RH_AVRO_EVARINT, "field 'l'");
  EXPECT("\x00\x00\x02", RH_AVRO_EDATA, "boolean byte 2");
  EXPECT("\x00\x00\x00\x04", RH_AVRO_EDATA, "enum index 2 out of range (2 symbols)");
  EXPECT("\x00\x00\x00\x01", RH_AVRO_EDATA, "enum index -1");
  EXPECT("\x00\x00\x00\x00\x04", RH_AVRO_EDATA, "union branch 2 out of range (2 branches)");
  EXPECT("\x00\x00\x00\x00\x03", RH_AVRO_EDATA, "union branch -2");
  EXPECT("\x00\x00\x00\x00\x00\x80\x80\x80\x80\x80\x80\x01", RH_AVRO_ELIMIT, "items of an empty type");
  EXPECT("\x00\x00\x00\x00\x00\x01\x01", RH_AVRO_ELENGTH, "negative block length");
  EXPECT("\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\x1f", RH_AVRO_EVARINT, "int varint");
  EXPECT("\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\x0f\x00", RH_AVRO_OK, NULL);
  EXPECT("\x04\xc3\x28\x00\x00\x00\x00\x00\x00\x00", RH_AVRO_EDATA, "not valid UTF-8");
  EXPECT("\x06\xed\xa0\x80", RH_AVRO_EDATA, "not valid UTF-8"); /* a surrogate */
  EXPECT("\x00\x00\x00\x00\x00\x00\x00\x02\x02\x00\x02\x00", RH_AVRO_EDATA, "map key");
  EXPECT("\x00\x00\x00\x00\x00\x00\x00\x7e", RH_AVRO_ETRUNCATED, "block of 63 items");
  EXPECT("\x00\x00\x00\x00\x00\x00\x00\x00\x00", RH_AVRO_ETRAILING, "1 bytes after");
  small_free(&t);
}

static void test_depth_limit(void **state) {
  (void)state;
  char err[512];
  const char *js = "{\"type\":\"record\",\"name\":\"N\",\"fields\":[{\"name\":\"next\",\"type\":[\"null\",\"N\"]}]}";
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  const rh_avro_schema_t *s = NULL;
  assert_int_equal(rh_avro_schemas_add_json(set, js, strlen(js), "n", 1, &s, err, sizeof err), RH_AVRO_OK);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  avro_value_t v;
  rh_avro_schema_value_new(s, &v, err, sizeof err);
  unsigned char msg[256];
  msg[0] = 0xC3;
  msg[1] = 0x01;
  for (int i = 0; i < 8; i++) msg[2 + i] = (unsigned char)(s->fingerprint >> (8 * i));
  for (int depth = 60; depth <= 70; depth++) {
    size_t n = 10;
    for (int k = 1; k < depth; k++) msg[n++] = 0x02;
    msg[n++] = 0x00;
    rh_avro_status_t st = decode_bytes(dec, msg, n, s, &v, err, sizeof err);
    assert_int_equal(st, depth <= RH_AVRO_MAX_DEPTH ? RH_AVRO_OK : RH_AVRO_ELIMIT);
  }
  avro_value_decref(&v);
  rh_avro_decoder_destroy(dec);
  rh_avro_schemas_destroy(set);
}

/* ---- resolution errors ---------------------------------------------------- */

typedef struct {
  rh_avro_schemas_t *set;
  const rh_avro_schema_t *w, *r;
  rh_avro_decoder_t *dec;
  avro_value_t wv, rv;
} pair_t;

static void pair_init(pair_t *p, const char *wjs, const char *rjs) {
  char err[512];
  p->set = rh_avro_schemas_new();
  if (rh_avro_schemas_add_json(p->set, wjs, strlen(wjs), "writer", 0, &p->w, err, sizeof err))
    fail_msg("%s", err);
  if (rh_avro_schemas_add_json(p->set, rjs, strlen(rjs), "reader", 1, &p->r, err, sizeof err))
    fail_msg("%s", err);
  p->dec = rh_avro_decoder_new(p->set);
  rh_avro_schema_value_new(p->w, &p->wv, err, sizeof err);
  rh_avro_schema_value_new(p->r, &p->rv, err, sizeof err);
}

static rh_avro_status_t pair_run(pair_t *p, char *err, size_t errsz) {
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  rh_avro_status_t st = rh_avro_encode(p->w, &p->wv, &buf, err, errsz);
  if (st != RH_AVRO_OK) fail_msg("encode: %s", err);
  st = rh_avro_decode(p->dec, buf.data, buf.len, p->r, &p->rv, NULL, err, errsz);
  rh_avro_buf_free(&buf);
  return st;
}

static void pair_free(pair_t *p) {
  avro_value_decref(&p->wv);
  avro_value_decref(&p->rv);
  rh_avro_decoder_destroy(p->dec);
  rh_avro_schemas_destroy(p->set);
}

#define R1(f) "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":[" f "]}"

static void test_resolution_errors(void **state) {
  (void)state;
  char err[512];
  pair_t p;
  avro_value_t f, b;

  pair_init(&p, R1("{\"name\":\"a\",\"type\":\"int\"}"),
            R1("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\"}"));
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_ERESOLVE);
  assert_non_null(strstr(err, "at 'b': reader field is not in the writer's schema and has no default"));
  assert_non_null(strstr(err, "writer t.R"));
  pair_free(&p);

  pair_init(&p, R1("{\"name\":\"a\",\"type\":\"string\"}"), R1("{\"name\":\"a\",\"type\":\"int\"}"));
  f = F(&p.wv, "a");
  set_str(&f, "x");
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_ERESOLVE);
  assert_non_null(strstr(err, "at 'a': writer string cannot be read as reader int"));
  pair_free(&p);

  pair_init(&p, R1("{\"name\":\"a\",\"type\":\"long\"}"), R1("{\"name\":\"a\",\"type\":\"int\"}"));
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_ERESOLVE); /* no narrowing */
  pair_free(&p);

  /* enum: only a symbol the reader lacks fails, when it occurs */
  pair_init(&p, R1("{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}}"),
            R1("{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\",\"A\"]}}"));
  f = F(&p.wv, "e");
  avro_value_set_enum(&f, 0);
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_OK);
  f = F(&p.rv, "e");
  int e;
  avro_value_get_enum(&f, &e);
  assert_int_equal(e, 1); /* by name */
  f = F(&p.wv, "e");
  avro_value_set_enum(&f, 1);
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_ERESOLVE);
  assert_non_null(strstr(err, "writer symbol B is not in reader enum E"));
  pair_free(&p);

  /* union to a narrower union: only the missing branch fails */
  pair_init(&p, R1("{\"name\":\"u\",\"type\":[\"null\",\"string\",\"int\"]}"),
            R1("{\"name\":\"u\",\"type\":[\"string\",\"null\",\"double\"]}"));
  f = F(&p.wv, "u");
  b = branch(&f, 1);
  set_str(&b, "s");
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_OK);
  int d;
  f = F(&p.rv, "u");
  avro_value_get_discriminant(&f, &d);
  assert_int_equal(d, 0);
  f = F(&p.wv, "u");
  b = branch(&f, 2); /* int → the reader's double (promotion) */
  avro_value_set_int(&b, 9);
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_OK);
  f = F(&p.rv, "u");
  avro_value_get_discriminant(&f, &d);
  assert_int_equal(d, 2);
  pair_free(&p);

  pair_init(&p, R1("{\"name\":\"u\",\"type\":[\"null\",\"int\"]}"), R1("{\"name\":\"u\",\"type\":\"long\"}"));
  f = F(&p.wv, "u");
  b = branch(&f, 1);
  avro_value_set_int(&b, -3);
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_OK);
  assert_true(get_long(&p.rv, "u") == -3);
  f = F(&p.wv, "u");
  branch(&f, 0);
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_ERESOLVE);
  assert_non_null(strstr(err, "writer null cannot be read as reader long"));
  pair_free(&p);

  pair_init(&p, R1("{\"name\":\"u\",\"type\":\"boolean\"}"), R1("{\"name\":\"u\",\"type\":[\"null\",\"int\"]}"));
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_ERESOLVE);
  assert_non_null(strstr(err, "writer boolean has no match in the reader's union"));
  pair_free(&p);

  pair_init(&p, R1("{\"name\":\"x\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}}"),
            R1("{\"name\":\"x\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}}"));
  f = F(&p.wv, "x");
  avro_value_set_fixed(&f, "ab", 2);
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_ERESOLVE);
  pair_free(&p);

  pair_init(&p, "{\"type\":\"record\",\"name\":\"Old\",\"namespace\":\"t\",\"fields\":[]}",
            "{\"type\":\"record\",\"name\":\"New\",\"namespace\":\"t\",\"fields\":[]}");
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_ERESOLVE);
  assert_non_null(strstr(err, "writer record Old cannot be read as reader record New"));
  pair_free(&p);

  /* A record default that leaves out a field with its own default, and a
   * named type in another namespace matched by its unqualified name. */
  pair_init(&p, "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"old.ns\",\"fields\":[]}",
            R1("{\"name\":\"p\",\"type\":{\"type\":\"record\",\"name\":\"P\",\"fields\":["
               "{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"int\",\"default\":9}]},"
               "\"default\":{\"x\":1}}"));
  assert_int_equal(pair_run(&p, err, sizeof err), RH_AVRO_OK);
  f = F(&p.rv, "p");
  assert_int_equal(get_int(&f, "x"), 1);
  assert_int_equal(get_int(&f, "y"), 9);
  pair_free(&p);
}

static void test_empty_record(void **state) {
  (void)state;
  char err[512];
  const char *js = "{\"type\":\"record\",\"name\":\"Nothing\",\"fields\":[]}";
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  const rh_avro_schema_t *s = NULL;
  assert_int_equal(rh_avro_schemas_add_json(set, js, strlen(js), "e", 1, &s, err, sizeof err), RH_AVRO_OK);
  avro_value_t v;
  rh_avro_schema_value_new(s, &v, err, sizeof err);
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  assert_int_equal(rh_avro_encode(s, &v, &buf, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(buf.len, RH_AVRO_HEADER_LEN);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  assert_int_equal(decode_bytes(dec, buf.data, buf.len, NULL, &v, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(rh_avro_buf_reserve(&buf, SIZE_MAX), -1);
  rh_avro_decoder_destroy(dec);
  rh_avro_decoder_destroy(NULL);
  assert_null(rh_avro_decoder_new(NULL));
  rh_avro_buf_free(&buf);
  rh_avro_buf_free(NULL);
  avro_value_decref(&v);
  rh_avro_schemas_destroy(set);
}

int main(void) {
  avro_set_allocator(counting_allocator, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_same_schema),
      cmocka_unit_test(test_resolve_v1_to_v2),
      cmocka_unit_test(test_encode_reuses_buffer),
      cmocka_unit_test(test_encode_errors),
      cmocka_unit_test(test_header_errors),
      cmocka_unit_test(test_every_truncation),
      cmocka_unit_test(test_random_flips),
      cmocka_unit_test(test_corruptions),
      cmocka_unit_test(test_depth_limit),
      cmocka_unit_test(test_resolution_errors),
      cmocka_unit_test(test_empty_record),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
