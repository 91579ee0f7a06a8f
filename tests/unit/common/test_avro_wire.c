/* rh_avro_wire (the Avro wire primitives) and rh_utf8_valid: known bytes of
 * zigzag varints at the limits of int64 and int32, the 10-byte (5-byte)
 * overflow, truncated input, negative lengths and lengths past the end, the
 * cursor's messages and offsets, the header, first_string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_wire.h"
#include "rh_utf8.h"

#define U (const unsigned char *)

static void test_zigzag(void **state) {
  (void)state;
  static const struct {
    int64_t v;
    uint64_t z;
  } cases[] = {{0, 0},
               {-1, 1},
               {1, 2},
               {-2, 3},
               {INT32_MAX, UINT64_C(4294967294)},
               {INT32_MIN, UINT64_C(4294967295)},
               {INT64_MAX, UINT64_MAX - 1},
               {INT64_MIN, UINT64_MAX}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_true(rh_avro_wire_zigzag(cases[i].v) == cases[i].z);
    assert_true(rh_avro_wire_unzigzag(cases[i].z) == cases[i].v);
  }
  assert_int_equal(rh_avro_wire_unzigzag32(UINT32_MAX), INT32_MIN);
  assert_int_equal(rh_avro_wire_unzigzag32(UINT32_MAX - 1), INT32_MAX);
  assert_int_equal(rh_avro_wire_unzigzag32(3), -2);
}

static void test_put_long_bytes(void **state) {
  (void)state;
  static const struct {
    int64_t v;
    size_t n;
    unsigned char b[10];
  } cases[] = {
      {0, 1, {0x00}},
      {-1, 1, {0x01}},
      {1, 1, {0x02}},
      {-64, 1, {0x7F}},
      {64, 2, {0x80, 0x01}},
      {-65, 2, {0x81, 0x01}},
      {INT32_MIN, 5, {0xFF, 0xFF, 0xFF, 0xFF, 0x0F}},
      {INT64_MAX, 10, {0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}},
      {INT64_MIN, 10, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    unsigned char buf[16];
    memset(buf, 0xAA, sizeof buf);
    unsigned char *end = rh_avro_wire_put_long(buf, cases[i].v);
    assert_int_equal(end - buf, cases[i].n);
    assert_memory_equal(buf, cases[i].b, cases[i].n);
    assert_int_equal(buf[cases[i].n], 0xAA); /* nothing written past it */
    const unsigned char *p = buf;
    int64_t back = 0;
    assert_int_equal(rh_avro_wire_get_long(&p, end, &back), RH_AVRO_OK);
    assert_true(back == cases[i].v);
    assert_ptr_equal(p, end);
  }
  unsigned char buf[32];
  unsigned char *e = rh_avro_wire_put_bytes(buf, "abc", 3);
  assert_int_equal(e - buf, 4);
  assert_memory_equal(buf, "\x06" "abc", 4);
  e = rh_avro_wire_put_opt_bytes(buf, NULL, 0);
  assert_int_equal(e - buf, 1);
  assert_int_equal(buf[0], 0);
  e = rh_avro_wire_put_opt_bytes(buf, "é", 2);
  assert_memory_equal(buf, "\x02\x04\xC3\xA9", 4);
  assert_int_equal(e - buf, 4);
  e = rh_avro_wire_put_opt_long(buf, true, -3);
  assert_memory_equal(buf, "\x02\x05", 2);
  assert_int_equal(e - buf, 2);
  e = rh_avro_wire_put_header(buf, UINT64_C(0x0807060504030201));
  assert_int_equal(e - buf, RH_AVRO_HEADER_LEN);
  assert_memory_equal(buf, "\xC3\x01\x01\x02\x03\x04\x05\x06\x07\x08", 10);
}

/* A 10th byte may carry only the 64th bit; an 11th never comes. */
static void test_long_overflow(void **state) {
  (void)state;
  unsigned char b[11] = {0};
  const unsigned char *p;
  int64_t v = 42;
  memset(b, 0xFF, 9);
  b[9] = 0x02; /* a 65th bit */
  p = b;
  assert_int_equal(rh_avro_wire_get_long(&p, b + 10, &v), RH_AVRO_EVARINT);
  assert_ptr_equal(p, b + 9); /* at the byte that failed */
  assert_int_equal(v, 42);   /* untouched */
  memset(b, 0xFF, 11);
  b[10] = 0x00; /* 10 continuation bytes, then an end */
  p = b;
  assert_int_equal(rh_avro_wire_get_long(&p, b + 11, &v), RH_AVRO_EVARINT);
  assert_ptr_equal(p, b + 9);
  memset(b, 0x80, 9);
  b[9] = 0x01; /* only the 64th bit: 2^63 zigzagged is 2^62 */
  p = b;
  assert_int_equal(rh_avro_wire_get_long(&p, b + 10, &v), RH_AVRO_OK);
  assert_true(v == INT64_C(1) << 62);
  assert_ptr_equal(p, b + 10);

  int32_t i32 = 7;
  const unsigned char ok[5] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  p = ok;
  assert_int_equal(rh_avro_wire_get_int(&p, ok + 5, &i32), RH_AVRO_OK);
  assert_int_equal(i32, INT32_MIN);
  const unsigned char big[5] = {0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
  p = big;
  assert_int_equal(rh_avro_wire_get_int(&p, big + 5, &i32), RH_AVRO_EVARINT);
  assert_ptr_equal(p, big + 4);
}

static void test_truncated(void **state) {
  (void)state;
  const unsigned char b[] = {0x80, 0x80, 0x06, 'a', 'b'};
  const unsigned char *p = b, *s = NULL;
  int64_t v;
  int32_t i32;
  size_t n = 99;
  assert_int_equal(rh_avro_wire_get_long(&p, b, &v), RH_AVRO_ETRUNCATED); /* empty */
  assert_ptr_equal(p, b);
  assert_int_equal(rh_avro_wire_get_long(&p, b + 2, &v), RH_AVRO_ETRUNCATED);
  assert_ptr_equal(p, b + 2); /* at the end */
  p = b;
  assert_int_equal(rh_avro_wire_get_int(&p, b + 1, &i32), RH_AVRO_ETRUNCATED);
  /* a length of 3 with 2 bytes left: after the length */
  p = b + 2;
  assert_int_equal(rh_avro_wire_get_bytes(&p, b + 5, &s, &n), RH_AVRO_ETRUNCATED);
  assert_ptr_equal(p, b + 3);
  assert_null(s);
  assert_int_equal(n, 99);
  /* exactly there */
  const unsigned char ok[] = {0x04, 'a', 'b', 0x00};
  p = ok;
  assert_int_equal(rh_avro_wire_get_bytes(&p, ok + 3, &s, &n), RH_AVRO_OK);
  assert_ptr_equal(s, ok + 1);
  assert_int_equal(n, 2);
  assert_ptr_equal(p, ok + 3);
}

static void test_negative_length(void **state) {
  (void)state;
  const unsigned char b[] = {0x01, 'a'}; /* length -1 */
  const unsigned char *p = b, *s = NULL;
  size_t n;
  assert_int_equal(rh_avro_wire_get_bytes(&p, b + 2, &s, &n), RH_AVRO_ELENGTH);
  assert_ptr_equal(p, b); /* back at the length */
  /* INT64_MIN as a length */
  unsigned char m[10];
  memset(m, 0xFF, 9);
  m[9] = 0x01;
  p = m;
  assert_int_equal(rh_avro_wire_get_bytes(&p, m + 10, &s, &n), RH_AVRO_ELENGTH);
  assert_ptr_equal(p, m);
}

static void test_header(void **state) {
  (void)state;
  unsigned char m[12] = {0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x02, 'x'};
  uint64_t fp = 0;
  char err[200];
  assert_true(rh_avro_wire_get_header(m, 10, &fp));
  assert_true(fp == UINT64_C(0x0807060504030201));
  assert_false(rh_avro_wire_get_header(m, 9, &fp));
  assert_false(rh_avro_wire_get_header(NULL, 0, &fp));
  assert_int_equal(rh_avro_wire_peek_fingerprint(m, 12, &fp, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(rh_avro_wire_peek_fingerprint(m, 0, &fp, err, sizeof err), RH_AVRO_EMAGIC);
  assert_string_equal(err, "empty message, expected single-object encoding (C3 01)");
  assert_int_equal(rh_avro_wire_peek_fingerprint(m, 1, &fp, err, sizeof err), RH_AVRO_EMAGIC);
  assert_string_equal(err, "1-byte message C3, expected single-object encoding (C3 01)");
  assert_int_equal(rh_avro_wire_peek_fingerprint(m, 9, &fp, err, sizeof err), RH_AVRO_ETRUNCATED);
  assert_string_equal(err, "message of 9 bytes ends inside the 10-byte header");
  m[1] = 0x02;
  assert_int_equal(rh_avro_wire_peek_fingerprint(m, 12, &fp, err, sizeof err), RH_AVRO_EMAGIC);
  assert_string_equal(err, "message starts C3 02, expected single-object encoding (C3 01)");
  assert_int_equal(rh_avro_wire_peek_fingerprint(NULL, 3, &fp, err, sizeof err), RH_AVRO_EINVAL);
}

/* A cursor over b[0..n) starting at byte `at`, messages into err. */
static rh_avro_wire_rd_t rd(const unsigned char *b, size_t n, size_t at, const char *field,
                            char *err, size_t errsz) {
  rh_avro_wire_rd_t r = {b, b + at, b + n, field, err, errsz};
  err[0] = '\0';
  return r;
}

static void test_cursor_messages(void **state) {
  (void)state;
  char err[300];
  int64_t v;
  int32_t i32;
  size_t n;
  const unsigned char *s;

  const unsigned char trunc[] = {0, 0, 0x80};
  rh_avro_wire_rd_t r = rd(trunc, 3, 2, "f", err, sizeof err);
  assert_int_equal(rh_avro_wire_read_long(&r, &v), RH_AVRO_ETRUNCATED);
  assert_string_equal(err, "message ends inside a varint at byte 3 (field 'f')");

  unsigned char over[12] = {0, 0};
  memset(over + 2, 0xFF, 9);
  over[11] = 0x7F;
  r = rd(over, 12, 2, NULL, err, sizeof err);
  assert_int_equal(rh_avro_wire_read_long(&r, &v), RH_AVRO_EVARINT);
  assert_string_equal(err, "varint longer than 64 bits at byte 11");
  r = rd(over, 12, 2, NULL, err, sizeof err);
  assert_int_equal(rh_avro_wire_read_int(&r, &i32), RH_AVRO_EVARINT);
  assert_string_equal(err, "int varint longer than 32 bits at byte 6");

  const unsigned char neg[] = {9, 0x03, 'a', 'b'}; /* length -2 at byte 1 */
  r = rd(neg, 4, 1, "a.b", err, sizeof err);
  assert_int_equal(rh_avro_wire_read_bytes(&r, &s, &n, "bytes"), RH_AVRO_ELENGTH);
  assert_string_equal(err, "negative bytes length -2 at byte 1 (field 'a.b')");

  const unsigned char past[] = {9, 0x08, 'a', 'b'}; /* length 4, 2 left */
  r = rd(past, 4, 1, "s", err, sizeof err);
  assert_int_equal(rh_avro_wire_read_string(&r, &s, &n), RH_AVRO_ETRUNCATED);
  assert_string_equal(err, "string of 4 bytes but only 2 left at byte 2 (field 's')");

  const unsigned char bad[] = {9, 0x04, 0xC0, 0x80, 7}; /* overlong NUL */
  r = rd(bad, 5, 1, "s", err, sizeof err);
  assert_int_equal(rh_avro_wire_read_string(&r, &s, &n), RH_AVRO_EDATA);
  assert_string_equal(err, "string of 2 bytes is not valid UTF-8 at byte 2 (field 's')");
  r = rd(bad, 5, 1, "s", err, sizeof err); /* as bytes: fine */
  assert_int_equal(rh_avro_wire_read_bytes(&r, &s, &n, "bytes"), RH_AVRO_OK);
  assert_int_equal(n, 2);
  assert_ptr_equal(r.p, bad + 4);

  const unsigned char key[] = {0x04, 'k', 0, 0x00}; /* a key with a NUL */
  r = rd(key, 4, 0, NULL, err, sizeof err);
  assert_int_equal(rh_avro_wire_read_map_key(&r, &s, &n, true), RH_AVRO_EDATA);
  assert_string_equal(err, "map key is not UTF-8 without NUL at byte 1");
  r = rd(key, 4, 0, NULL, err, sizeof err);
  assert_int_equal(rh_avro_wire_read_map_key(&r, &s, &n, false), RH_AVRO_OK);
  const unsigned char nul_str[] = {0x04, 'k', 0};
  r = rd(nul_str, 3, 0, NULL, err, sizeof err);
  assert_int_equal(rh_avro_wire_read_string(&r, &s, &n), RH_AVRO_OK); /* NUL is a character */

  const unsigned char br[] = {0x04}; /* branch 2 */
  r = rd(br, 1, 0, "u", err, sizeof err);
  assert_int_equal(rh_avro_wire_read_branch(&r, 2, &v), RH_AVRO_EDATA);
  assert_string_equal(err, "union branch 2 out of range (2 branches) at byte 0 (field 'u')");
  assert_ptr_equal(r.p, br);
  r = rd(br, 1, 0, "u", err, sizeof err);
  assert_int_equal(rh_avro_wire_read_branch(&r, 3, &v), RH_AVRO_OK);
  assert_int_equal(v, 2);

  assert_int_equal(rh_avro_wire_need(&r, 1, "double"), RH_AVRO_ETRUNCATED);
  assert_string_equal(err, "message ends inside a double (1 bytes needed, 0 left)"
                           " at byte 1 (field 'u')");

  /* no buffer for the message: the status all the same */
  r = (rh_avro_wire_rd_t){br, br, br + 1, NULL, NULL, 0};
  assert_int_equal(rh_avro_wire_read_branch(&r, 1, &v), RH_AVRO_EDATA);
}

static void test_blocks(void **state) {
  (void)state;
  char err[300];
  int64_t count;
  unsigned char imp[10];
  memset(imp, 0xFF, 9);
  imp[9] = 0x01; /* INT64_MIN */
  rh_avro_wire_rd_t r = rd(imp, 10, 0, NULL, err, sizeof err);
  assert_int_equal(rh_avro_wire_read_block(&r, 1, &count), RH_AVRO_ELENGTH);
  assert_string_equal(err, "impossible block count at byte 0");

  /* count -2 with a byte size of 4: two items follow */
  const unsigned char sized[] = {0x03, 0x08, 1, 2, 3, 4};
  r = rd(sized, 6, 0, NULL, err, sizeof err);
  assert_int_equal(rh_avro_wire_read_block(&r, 2, &count), RH_AVRO_OK);
  assert_int_equal(count, 2);
  assert_ptr_equal(r.p, sized + 2);
  /* a byte size past the end */
  const unsigned char sized_past[] = {0x03, 0x10, 1, 2};
  r = rd(sized_past, 4, 0, NULL, err, sizeof err);
  assert_int_equal(rh_avro_wire_read_block(&r, 2, &count), RH_AVRO_ETRUNCATED);
  assert_string_equal(err, "block of 8 bytes but only 2 left at byte 2");
  /* more items than the bytes left can hold */
  const unsigned char many[] = {0x0A, 1, 2, 3};
  r = rd(many, 4, 0, "m", err, sizeof err);
  assert_int_equal(rh_avro_wire_read_block(&r, 1, &count), RH_AVRO_ETRUNCATED);
  assert_string_equal(err, "block of 5 items but only 3 bytes left at byte 1 (field 'm')");
  r = rd(many, 4, 0, "m", err, sizeof err); /* item_min 0: the caller's to bound */
  assert_int_equal(rh_avro_wire_read_block(&r, 0, &count), RH_AVRO_OK);
  assert_int_equal(count, 5);
  const unsigned char end[] = {0x00};
  r = rd(end, 1, 0, NULL, err, sizeof err);
  assert_int_equal(rh_avro_wire_read_block(&r, 1, &count), RH_AVRO_OK);
  assert_int_equal(count, 0);
}

static void test_first_string(void **state) {
  (void)state;
  unsigned char m[64];
  unsigned char *e = rh_avro_wire_put_header(m, 1);
  e = rh_avro_wire_put_bytes(e, "alert-1", 7);
  e = rh_avro_wire_put_long(e, 5);
  size_t n = 0;
  const char *s = rh_avro_wire_first_string(m, (size_t)(e - m), &n);
  assert_ptr_equal(s, (const char *)m + 11);
  assert_int_equal(n, 7);
  assert_null(rh_avro_wire_first_string(m, 10, &n));     /* header only */
  assert_null(rh_avro_wire_first_string(m, 11 + 6, &n)); /* cut inside the string */
  assert_null(rh_avro_wire_first_string(NULL, 0, &n));
  m[10] = 0x01; /* length -1 */
  assert_null(rh_avro_wire_first_string(m, (size_t)(e - m), &n));
  memset(m + 10, 0xFF, 9); /* a length of more than 64 bits */
  m[19] = 0x7E;
  assert_null(rh_avro_wire_first_string(m, 30, &n));
  m[0] = 0xC4;
  m[10] = 0x00;
  assert_null(rh_avro_wire_first_string(m, 30, &n)); /* not single-object */
}

static void test_utf8_valid(void **state) {
  (void)state;
  static const struct {
    const char *s;
    size_t n;
    int valid;
  } cases[] = {
      {"", 0, 1},
      {"plain ascii, longer than eight", 30, 1},
      {"a\0b", 3, 1},                              /* NUL: a character in Avro */
      {"\xE5\xBC\xA0\xE4\xB8\x89\0\xE4\xB8\xB0", 10, 1}, /* NUL between characters */
      {"\xC3\xA9", 2, 1},
      {"\xF0\x9F\x98\x80", 4, 1},                 /* U+1F600 */
      {"\xF4\x8F\xBF\xBF", 4, 1},                 /* U+10FFFF */
      {"\xC0\x80", 2, 0},                         /* overlong NUL */
      {"\xE0\x9F\xBF", 3, 0},                     /* overlong */
      {"\xED\xA0\x80", 3, 0},                     /* surrogate */
      {"\xF4\x90\x80\x80", 4, 0},                 /* above U+10FFFF */
      {"\xF5\x80\x80\x80", 4, 0},
      {"abcdefgh\xE9\x95", 10, 0},                /* cut off after the fast path */
      {"\x80", 1, 0},                             /* a lone continuation byte */
      {"\xD5\xF2", 2, 0},                         /* GBK */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (rh_utf8_valid(U cases[i].s, cases[i].n) != cases[i].valid)
      fail_msg("case %zu: want %d", i, cases[i].valid);
}

/* rh_utf8_valid and rh_utf8_check (the CSV reader's) are one validator:
 * on text without NUL they must agree, on random bytes too. */
static void test_utf8_agree(void **state) {
  (void)state;
  uint32_t x = 12345;
  unsigned char b[24];
  static const unsigned char pool[] = {'a', 0x80, 0x9F, 0xA0, 0xBF, 0xC2, 0xC3, 0xDF,
                                       0xE0, 0xE4, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  for (int t = 0; t < 200000; t++) {
    size_t n = (size_t)(t % 24);
    for (size_t i = 0; i < n; i++) {
      x = x * 1103515245u + 12345u;
      b[i] = pool[(x >> 16) % sizeof pool];
    }
    rh_utf8_status_t st;
    size_t k = rh_utf8_check(b, n, &st);
    int valid = rh_utf8_valid(b, n);
    if (valid != (st == RH_UTF8_OK) || (valid && k != n))
      fail_msg("trial %d: valid %d, check %zu/%d", t, valid, k, (int)st);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_zigzag),          cmocka_unit_test(test_put_long_bytes),
      cmocka_unit_test(test_long_overflow),   cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_negative_length), cmocka_unit_test(test_header),
      cmocka_unit_test(test_cursor_messages), cmocka_unit_test(test_blocks),
      cmocka_unit_test(test_first_string),    cmocka_unit_test(test_utf8_valid),
      cmocka_unit_test(test_utf8_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
