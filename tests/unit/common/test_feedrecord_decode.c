/* rh_feedrecord_decode (the join's direct reader) against the generic path
 * (rh_avro_decode into an Avro C value + rh_feedrecord_from_value), with the
 * project's schemas/: the same records, the same errors with the same
 * messages, on valid, hand-made, truncated and randomly corrupted messages;
 * RH_FEEDRECORD_FALLBACK for other writer schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_feedrecord.h"
#include "rh_test.h"

#define SAME_STR(a, b) ((a) == NULL ? (b) == NULL : ((b) != NULL && strcmp((a), (b)) == 0))

typedef struct {
  rh_avro_schemas_t *set;
  const rh_avro_schema_t *fr;
  rh_feedrecord_codec_t fast, slow; /* one codec each: their fact arrays must not alias */
  rh_avro_decoder_t *dec;
  avro_value_t v, scratch;
  rh_avro_buf_t buf;
} fx_t;

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  char err[512], dir[4096];
  rh_test_path(dir, sizeof dir, "schemas");
  f->set = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(f->set, dir, err, sizeof err)) fail_msg("%s", err);
  f->fr = rh_avro_schemas_get(f->set, "riskhub.FeedRecord");
  assert_non_null(f->fr);
  if (rh_feedrecord_codec_init(&f->fast, f->fr, err, sizeof err) ||
      rh_feedrecord_codec_init(&f->slow, f->fr, err, sizeof err))
    fail_msg("%s", err);
  assert_true(f->fast.direct);
  assert_int_equal(rh_avro_schema_value_new(f->fr, &f->v, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(rh_avro_schema_value_new(f->fr, &f->scratch, err, sizeof err), RH_AVRO_OK);
  f->dec = rh_avro_decoder_new(f->set);
  rh_avro_buf_init(&f->buf);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  rh_avro_buf_free(&f->buf);
  rh_avro_decoder_destroy(f->dec);
  avro_value_decref(&f->v);
  avro_value_decref(&f->scratch);
  rh_feedrecord_codec_free(&f->fast);
  rh_feedrecord_codec_free(&f->slow);
  rh_avro_schemas_destroy(f->set);
  free(f);
  return 0;
}

static void check_same(const rh_feedrecord_t *x, const rh_feedrecord_t *y) {
  assert_true(SAME_STR(x->id_number, y->id_number));
  assert_true(SAME_STR(x->name, y->name));
  assert_true(SAME_STR(x->department, y->department));
  assert_true(SAME_STR(x->feed, y->feed));
  assert_true(SAME_STR(x->kind, y->kind));
  assert_true(SAME_STR(x->period, y->period));
  assert_true(SAME_STR(x->batch_id, y->batch_id));
  assert_int_equal(x->row_number, y->row_number);
  assert_true(SAME_STR(x->township_code, y->township_code));
  assert_true(SAME_STR(x->village, y->village));
  assert_int_equal(x->has_event_date, y->has_event_date);
  assert_int_equal(x->event_date, y->event_date);
  assert_int_equal(x->has_amount, y->has_amount);
  assert_int_equal(x->amount_fen, y->amount_fen);
  assert_true(SAME_STR(x->risk, y->risk));
  assert_true(SAME_STR(x->risk_subtype, y->risk_subtype));
  assert_int_equal(x->fact_count, y->fact_count);
  for (size_t i = 0; i < x->fact_count; i++) {
    assert_string_equal(x->facts[i].name, y->facts[i].name);
    assert_string_equal(x->facts[i].value, y->facts[i].value);
  }
  assert_int_equal(x->produced_at, y->produced_at);
}

/* Decode data both ways and require the same outcome. Returns the direct
 * reader's result (0, -1 or RH_FEEDRECORD_FALLBACK); with fast_out, the
 * direct reader's record (valid until its next call). */
static int both(fx_t *f, const void *data, size_t len, rh_feedrecord_t *fast_out) {
  char e1[512], e2[512];
  rh_feedrecord_t a, b;
  strcpy(e1, "untouched");
  int rc = rh_feedrecord_decode(&f->fast, data, len, &a, e1, sizeof e1);
  rh_avro_status_t st = rh_avro_decode(f->dec, data, len, f->fr, &f->v, NULL, e2, sizeof e2);
  if (rc == RH_FEEDRECORD_FALLBACK) {
    uint64_t fp;
    assert_int_equal(rh_avro_wire_peek_fingerprint(data, len, &fp, NULL, 0), RH_AVRO_OK);
    assert_string_equal(e1, "untouched");
    /* for another writer; for this one only with more map entries than the
     * direct reader takes (then the generic path decides, whatever follows) */
    (void)st;
    (void)b;
    return rc;
  }
  if (rc != 0) {
    assert_int_equal(rc, -1);
    if (st == RH_AVRO_OK) fail_msg("direct reader failed (%s), generic path decoded", e1);
    assert_string_equal(e1, e2);
    /* never an error without where */
    assert_true(strstr(e1, "byte") || strstr(e1, "message"));
    return rc;
  }
  if (st != RH_AVRO_OK) fail_msg("direct reader decoded, generic path failed: %s", e2);
  assert_int_equal(rh_feedrecord_from_value(&f->slow, &f->v, &b, e2, sizeof e2), 0);
  check_same(&a, &b);
  if (fast_out) *fast_out = a;
  return 0;
}

static unsigned rnd(unsigned *seed) {
  *seed = *seed * 1103515245u + 12345u;
  return *seed >> 8;
}

static const char *const words[] = {
    "张三", "安陵镇", "", "a,b\"c", "尿毒症", "x", "411024100", "𠀀 four-byte", "Ünïcödé",
    /* 200 bytes: a two-byte length */
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"};
#define NWORDS (sizeof words / sizeof words[0])
static const char *const fact_names[] = {"disease", "hospital", "note", "车牌", "grade", ""};

static const int64_t extremes[] = {0, 1, -1, 63, 64, -64, -65, 8191, 8192, INT32_MAX, INT32_MIN,
                                   INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
#define NEXT (sizeof extremes / sizeof extremes[0])

/* A random record; facts with distinct names (so the input is the expected
 * output). fbuf holds up to 6 facts. */
static rh_feedrecord_t random_record(unsigned *seed, rh_fact_t *fbuf) {
#define RND() rnd(seed)
  size_t nf = RND() % 7;
  unsigned first = RND() % 6;
  for (size_t i = 0; i < nf; i++) {
    fbuf[i].name = fact_names[(first + i) % 6];
    fbuf[i].value = words[RND() % NWORDS];
  }
  rh_feedrecord_t r = {
      .id_number = RND() % 8 ? "11010519491231002X" : words[RND() % NWORDS],
      .name = RND() % 3 ? words[RND() % NWORDS] : NULL,
      .department = "health", .feed = words[RND() % NWORDS], .kind = "SIGNAL",
      .period = "2026-10", .batch_id = RND() % 2 ? "b" : words[RND() % NWORDS],
      .row_number = RND() % 3 ? (int64_t)RND() : extremes[RND() % NEXT],
      .township_code = RND() % 2 ? "411024100" : NULL,
      .village = RND() % 2 ? words[RND() % NWORDS] : NULL,
      .has_event_date = RND() % 2,
      .event_date = RND() % 4 ? (int32_t)(RND() % 40000) - 20000
                              : (RND() % 2 ? INT32_MIN : INT32_MAX),
      .has_amount = RND() % 2,
      .amount_fen = RND() % 3 ? (int64_t)RND() * (int64_t)RND() * (RND() % 2 ? 1 : -1)
                              : extremes[RND() % NEXT],
      .risk = RND() % 2 ? "ILLNESS" : NULL, .risk_subtype = RND() % 4 ? NULL : "FLOOD",
      .facts = fbuf, .fact_count = nf,
      .produced_at = RND() % 4 ? 1790000000000LL + (int64_t)RND() : extremes[RND() % NEXT]};
  if (!r.has_event_date) r.event_date = 0; /* what a reader gives for null */
  if (!r.has_amount) r.amount_fen = 0;
  return r;
#undef RND
}

/* One message of r in f->buf: through an Avro C value (generic) or direct. */
static void encode(fx_t *f, const rh_feedrecord_t *r, int direct) {
  char err[512];
  rh_avro_buf_clear(&f->buf);
  if (direct) {
    if (rh_feedrecord_encode(&f->fast, r, &f->scratch, &f->buf, err, sizeof err))
      fail_msg("%s", err);
  } else {
    if (rh_feedrecord_to_value(&f->slow, r, &f->scratch, err, sizeof err) ||
        rh_avro_encode(f->fr, &f->scratch, &f->buf, err, sizeof err))
      fail_msg("%s", err);
  }
}

static void test_valid_records_decode_as_the_generic_path(void **state) {
  fx_t *f = *state;
  unsigned seed = 4711;
  for (int i = 0; i < 4000; i++) {
    rh_fact_t fbuf[6];
    rh_feedrecord_t in = random_record(&seed, fbuf), out;
    encode(f, &in, i % 2);
    assert_int_equal(both(f, f->buf.data, f->buf.len, &out), 0);
    check_same(&in, &out); /* and what was written */
  }
}

/* ---- hand-made messages: an independent writer of the binary encoding ---- */

typedef struct {
  unsigned char b[4096];
  size_t n;
} msg_t;

static void m_byte(msg_t *m, unsigned v) { m->b[m->n++] = (unsigned char)v; }
static void m_long(msg_t *m, int64_t v) {
  uint64_t z = ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
  do {
    unsigned char c = z & 0x7F;
    z >>= 7;
    m_byte(m, z ? c | 0x80 : c);
  } while (z);
}
static void m_bytes(msg_t *m, const void *s, size_t n) {
  m_long(m, (int64_t)n);
  memcpy(m->b + m->n, s, n);
  m->n += n;
}
static void m_str(msg_t *m, const char *s) { m_bytes(m, s, strlen(s)); }

/* Header and the fields before facts of a small record; *facts_at is the
 * offset where facts start. */
static void m_head(msg_t *m, const fx_t *f, const char *name) {
  m->n = 0;
  m_byte(m, 0xC3);
  m_byte(m, 0x01);
  for (int i = 0; i < 8; i++) m_byte(m, (unsigned)(f->fr->fingerprint >> (8 * i)) & 0xFF);
  m_str(m, "11010519491231002X");
  if (name) {
    m_long(m, 1);
    m_str(m, name);
  } else {
    m_long(m, 0);
  }
  m_str(m, "health");
  m_str(m, "major-disease");
  m_str(m, "SIGNAL");
  m_str(m, "2026-10");
  m_str(m, "b1");
  m_long(m, 2);  /* row_number */
  m_long(m, 0);  /* township_code */
  m_long(m, 0);  /* village */
  m_long(m, 1);  /* event_date */
  m_long(m, 20000);
  m_long(m, 1);  /* amount_fen */
  m_long(m, 123);
  m_long(m, 1);  /* risk */
  m_str(m, "ILLNESS");
  m_long(m, 0);  /* risk_subtype */
}

static void test_map_blocks_and_repeated_keys(void **state) {
  fx_t *f = *state;
  msg_t m;
  rh_feedrecord_t r;
  /* two blocks, the second with a negative count and its byte size; a key
   * given again keeps its place and takes the last value */
  m_head(&m, f, "张三");
  m_long(&m, 2);
  m_str(&m, "a");
  m_str(&m, "1");
  m_str(&m, "b");
  m_str(&m, "2");
  m_long(&m, -2);
  m_long(&m, 8);
  m_str(&m, "a");
  m_str(&m, "3");
  m_str(&m, "c");
  m_str(&m, "4");
  m_long(&m, 0);
  m_long(&m, 1790000000000LL);
  assert_int_equal(both(f, m.b, m.n, &r), 0);
  assert_int_equal(r.fact_count, 3);
  assert_string_equal(r.facts[0].name, "a");
  assert_string_equal(r.facts[0].value, "3");
  assert_string_equal(r.facts[1].name, "b");
  assert_string_equal(r.facts[1].value, "2");
  assert_string_equal(r.facts[2].name, "c");
  assert_string_equal(r.facts[2].value, "4");
  assert_string_equal(r.name, "张三");
  assert_int_equal(r.event_date, 20000);
  assert_int_equal(r.amount_fen, 123);
  assert_int_equal(r.produced_at, 1790000000000LL);

  /* a string value with a NUL inside is valid UTF-8: both readers take it
   * (and a C string ends at the NUL) */
  m_head(&m, f, NULL);
  m_long(&m, 1);
  m_str(&m, "k");
  m_bytes(&m, "v\0w", 3);
  m_long(&m, 0);
  m_long(&m, 5);
  assert_int_equal(both(f, m.b, m.n, &r), 0);
  assert_int_equal(r.fact_count, 1);
  assert_string_equal(r.facts[0].value, "v");
  assert_null(r.name);

  /* RH_FEEDRECORD_DIRECT_MAX_FACTS distinct keys: still direct; one more
   * key is for the generic path */
  for (int extra = 0; extra < 2; extra++) {
    int n = RH_FEEDRECORD_DIRECT_MAX_FACTS + extra;
    m_head(&m, f, NULL);
    m_long(&m, n);
    for (int i = 0; i < n; i++) {
      char k[16];
      snprintf(k, sizeof k, "k%d", i);
      m_str(&m, k);
      m_str(&m, "v");
    }
    m_long(&m, 0);
    m_long(&m, 5);
    int rc = both(f, m.b, m.n, &r);
    assert_int_equal(rc, extra ? RH_FEEDRECORD_FALLBACK : 0);
    if (!extra) assert_int_equal(r.fact_count, n);
  }
  /* many repeats of one key in one block are one fact */
  m_head(&m, f, NULL);
  m_long(&m, 200);
  for (int i = 0; i < 200; i++) {
    m_str(&m, "same");
    m_str(&m, i == 199 ? "last" : "x");
  }
  m_long(&m, 0);
  m_long(&m, 5);
  /* 200 entries in a block are more than the direct reader takes, whatever
   * their keys: the generic path reads them (one fact) */
  assert_int_equal(both(f, m.b, m.n, NULL), RH_FEEDRECORD_FALLBACK);
  assert_int_equal(rh_avro_decode(f->dec, m.b, m.n, f->fr, &f->v, NULL, NULL, 0), RH_AVRO_OK);
  assert_int_equal(rh_feedrecord_from_value(&f->slow, &f->v, &r, NULL, 0), 0);
  assert_int_equal(r.fact_count, 1);
  assert_string_equal(r.facts[0].value, "last");
}

/* Corrupt messages with a known defect: the error is the generic path's
 * (checked in both()) and names the field and the byte. */
static void test_defects_name_field_and_byte(void **state) {
  fx_t *f = *state;
  char err[512];
  rh_feedrecord_t r;
  msg_t m;
  struct {
    const char *what, *field;
    size_t at; /* expected byte offset; 0 = do not check */
  } want;
  size_t name_at;

#define EXPECT(what_, field_, at_)                                                      \
  do {                                                                                  \
    want.what = what_, want.field = field_, want.at = at_;                              \
    assert_int_equal(both(f, m.b, m.n, NULL), -1);                                      \
    assert_int_equal(rh_feedrecord_decode(&f->fast, m.b, m.n, &r, err, sizeof err), -1); \
    if (!strstr(err, want.what)) fail_msg("'%s' lacks '%s'", err, want.what);           \
    if (want.field) {                                                                   \
      char fld[64];                                                                     \
      snprintf(fld, sizeof fld, "(field '%s')", want.field);                            \
      if (!strstr(err, fld)) fail_msg("'%s' lacks %s", err, fld);                       \
    }                                                                                   \
    if (want.at) {                                                                      \
      char b[32];                                                                       \
      snprintf(b, sizeof b, "at byte %zu ", want.at);                                   \
      if (!strstr(err, b)) fail_msg("'%s' lacks '%s'", err, b);                         \
    }                                                                                   \
    assert_non_null(strstr(err, f->fr->fingerprint_hex));                               \
    assert_null(strstr(err, "11010519491231002X")); /* never data */                    \
    assert_null(strstr(err, "张"));                                                     \
  } while (0)

  /* name is not UTF-8: the error points at the string's first byte */
  m_head(&m, f, "张\xff");
  name_at = 10 + 1 + 18 + 1 + 1; /* header, id length, id, branch, name length */
  m_long(&m, 0);
  m_long(&m, 5);
  EXPECT("not valid UTF-8", "name", name_at);

  /* union branch 2 of 2 */
  m_head(&m, f, NULL);
  m.b[10 + 1 + 18] = 4; /* zig-zag 2 */
  m_long(&m, 0);
  m_long(&m, 5);
  EXPECT("union branch 2 out of range", "name", 29);

  /* a NUL in a map key */
  m_head(&m, f, NULL);
  size_t map_at = m.n;
  m_long(&m, 1);
  m_bytes(&m, "a\0b", 3);
  m_str(&m, "v");
  m_long(&m, 0);
  m_long(&m, 5);
  EXPECT("map key is not UTF-8 without NUL", "facts", map_at + 2);

  /* a block count larger than the bytes left could hold */
  m_head(&m, f, NULL);
  m_long(&m, 1000);
  m_long(&m, 0);
  EXPECT("block of 1000 items", "facts", 0);

  /* the most negative count */
  m_head(&m, f, NULL);
  map_at = m.n;
  for (int i = 0; i < 9; i++) m_byte(&m, 0xFF);
  m_byte(&m, 0x01); /* zig-zag of INT64_MIN */
  m_long(&m, 0);
  EXPECT("impossible block count", "facts", map_at);

  /* a varint of 11 bytes in produced_at */
  m_head(&m, f, NULL);
  m_long(&m, 0);
  size_t at = m.n;
  for (int i = 0; i < 10; i++) m_byte(&m, 0x80);
  m_byte(&m, 0x00);
  EXPECT("varint longer than 64 bits", "produced_at", at + 9);

  /* event_date wider than an int: a 5-byte varint whose last byte has high bits */
  m_head(&m, f, NULL);
  m_long(&m, 0);
  m_long(&m, 5);
  {
    /* find event_date: after row_number(1 byte) and two null branches */
    size_t ed = 10 + 1 + 18 + 1 + 1 + 6 + 1 + 13 + 1 + 6 + 1 + 7 + 1 + 2 + 1 + 1 + 1;
    assert_int_equal(m.b[ed - 1], 0);     /* village: null */
    assert_int_equal(m.b[ed], 2);         /* event_date: branch 1 */
    unsigned char tail[64];
    size_t tn = m.n - (ed + 1 + 3);       /* 20000 takes 3 bytes */
    memcpy(tail, m.b + ed + 1 + 3, tn);
    m.n = ed + 1;
    m_byte(&m, 0x80), m_byte(&m, 0x80), m_byte(&m, 0x80), m_byte(&m, 0x80), m_byte(&m, 0x10);
    memcpy(m.b + m.n, tail, tn);
    m.n += tn;
    EXPECT("int varint longer than 32 bits", "event_date", ed + 1 + 4);
  }

  /* a negative string length */
  m_head(&m, f, NULL);
  m.b[10] = 0x01; /* zig-zag -1 */
  EXPECT("negative string length -1", "id_number", 10);

  /* a string running past the end */
  m_head(&m, f, NULL);
  m.n = 10;
  m_long(&m, 50);
  m_str(&m, "short");
  EXPECT("string of 50 bytes but only", "id_number", 11);

  /* bytes after the record: no field */
  m_head(&m, f, NULL);
  m_long(&m, 0);
  m_long(&m, 5);
  m_byte(&m, 0);
  m_byte(&m, 0);
  EXPECT("2 bytes after the end of the record", NULL, m.n - 2);
  assert_null(strstr(err, "(field"));

  /* header problems: the generic path's messages */
  static const unsigned char bad_magic[] = {0xC3, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  assert_int_equal(both(f, bad_magic, sizeof bad_magic, NULL), -1);
  assert_int_equal(both(f, bad_magic, 1, NULL), -1);
  assert_int_equal(both(f, "", 0, NULL), -1);
  m_head(&m, f, NULL);
  assert_int_equal(both(f, m.b, 9, NULL), -1);
  assert_int_equal(rh_feedrecord_decode(&f->fast, m.b, 9, &r, err, sizeof err), -1);
  assert_non_null(strstr(err, "10-byte header"));
#undef EXPECT
}

/* The direct reader's UTF-8 check is written differently from the generic
 * path's: the same verdict on every 2-byte string, on 3- and 4-byte strings
 * over every lead and second byte, and after 7 ASCII bytes (across the
 * 8-byte fast path), in the name field. */
static void test_utf8_verdicts_agree(void **state) {
  fx_t *f = *state;
  msg_t m, tail;
  m_head(&m, f, NULL);
  size_t name_at = 10 + 1 + 18; /* the branch of name */
  tail.n = 0;
  memcpy(tail.b, m.b + name_at + 1, m.n - name_at - 1);
  tail.n = m.n - name_at - 1;
  m_long(&tail, 0); /* facts */
  m_long(&tail, 5); /* produced_at */
  int ok = 0, bad = 0;
  static const unsigned char third[] = {0x41, 0x80, 0xBF, 0xC0};
  static const unsigned char fourth[] = {0x80, 0xC0};
  unsigned char str[16];
  for (int kind = 2; kind <= 4; kind++)
    for (int pad = 0; pad <= 7; pad += 7)
      for (unsigned lead = kind == 2 ? 0 : kind == 3 ? 0x80 : 0xF0; lead < 256; lead++) {
        if (kind == 4 && lead > 0xF8) break;
        for (unsigned second = 0; second < 256; second++)
          for (size_t t3 = 0; t3 < (kind >= 3 ? sizeof third : 1); t3++)
            for (size_t t4 = 0; t4 < (kind == 4 ? sizeof fourth : 1); t4++) {
              if (kind == 3 && pad) break; /* enough */
              size_t n = 0;
              for (int k = 0; k < pad; k++) str[n++] = 'a';
              str[n++] = (unsigned char)lead;
              str[n++] = (unsigned char)second;
              if (kind >= 3) str[n++] = third[t3];
              if (kind == 4) str[n++] = fourth[t4];
              m.n = name_at;
              m_long(&m, 1);
              m_bytes(&m, str, n);
              memcpy(m.b + m.n, tail.b, tail.n);
              m.n += tail.n;
              int rc = both(f, m.b, m.n, NULL);
              ok += rc == 0;
              bad += rc == -1;
            }
      }
  print_message("utf-8: %d valid, %d invalid\n", ok, bad);
  assert_true(ok > 1000 && bad > 1000);
}

/* Every proper prefix of a valid message fails, as in the generic path;
 * nothing is read beyond the prefix (ASan: each prefix in its own block). */
static void test_every_truncation_fails_cleanly(void **state) {
  fx_t *f = *state;
  unsigned seed = 99;
  for (int k = 0; k < 40; k++) {
    rh_fact_t fbuf[6];
    rh_feedrecord_t in = random_record(&seed, fbuf);
    encode(f, &in, k % 2);
    for (size_t n = 0; n < f->buf.len; n++) {
      unsigned char *copy = malloc(n ? n : 1);
      memcpy(copy, f->buf.data, n);
      assert_int_equal(both(f, copy, n, NULL), -1);
      free(copy);
    }
    assert_int_equal(both(f, f->buf.data, f->buf.len, NULL), 0);
  }
}

/* Random corruption: never a crash or a read outside the message (ASan),
 * and always the generic path's outcome. */
static void test_corruption_fuzz(void **state) {
  fx_t *f = *state;
  unsigned seed = 2024;
  int ok = 0, bad = 0, fallback = 0;
  for (int it = 0; it < 30000; it++) {
#define RND() rnd(&seed)
    rh_fact_t fbuf[6];
    rh_feedrecord_t in = random_record(&seed, fbuf);
    encode(f, &in, it % 2);
    size_t n = f->buf.len;
    unsigned char *m = malloc(n + 16);
    memcpy(m, f->buf.data, n);
    int edits = 1 + (int)(RND() % 4);
    for (int e = 0; e < edits; e++) {
      size_t pos = n > 10 ? 10 + RND() % (n - 10) : 0; /* the body, mostly */
      if (RND() % 50 == 0) pos = RND() % n;            /* sometimes the header */
      switch (RND() % 6) {
      case 0: m[pos] ^= (unsigned char)(1u << (RND() % 8)); break;
      case 1: m[pos] = (unsigned char)RND(); break;
      case 2: m[pos] = (unsigned char)(RND() % 2 ? 0x80 | RND() : RND() % 4); break;
      case 3: /* delete a byte */
        if (n > 1) {
          memmove(m + pos, m + pos + 1, n - pos - 1);
          n--;
        }
        break;
      case 4: /* insert a byte */
        memmove(m + pos + 1, m + pos, n - pos);
        m[pos] = (unsigned char)RND();
        n++;
        break;
      default: /* cut */
        n = pos;
        break;
      }
      if (n == 0) break;
    }
    /* an exact-size copy, so that ASan sees any over-read */
    unsigned char *exact = malloc(n ? n : 1);
    memcpy(exact, m, n);
    int rc = both(f, exact, n, NULL);
    ok += rc == 0;
    bad += rc == -1;
    fallback += rc == RH_FEEDRECORD_FALLBACK;
    free(exact);
    free(m);
#undef RND
  }
  /* the fuzz reached both outcomes in numbers */
  print_message("fuzz: %d decoded, %d errors, %d other writers\n", ok, bad, fallback);
  assert_true(ok > 1000);
  assert_true(bad > 1000);
}

/* Another writer schema: RH_FEEDRECORD_FALLBACK, and the generic path
 * resolves it. A reader schema the direct reader does not know: fallback for
 * everything. */
static void test_other_writers_fall_back(void **state) {
  fx_t *f = *state;
  char err[512];
  /* an older FeedRecord without risk_subtype and facts, as history */
  static const char old[] =
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
  const rh_avro_schema_t *v0 = NULL;
  assert_int_equal(
      rh_avro_schemas_add_json(f->set, old, strlen(old), "old", 0, &v0, err, sizeof err),
      RH_AVRO_OK);
  assert_true(v0->fingerprint != f->fr->fingerprint);
  avro_value_t ov;
  assert_int_equal(rh_avro_schema_value_new(v0, &ov, err, sizeof err), RH_AVRO_OK);
  avro_value_t fld, br;
  const char *strs[][2] = {{"id_number", "11010519491231002X"}, {"department", "health"},
                           {"feed", "major-disease"}, {"kind", "SIGNAL"},
                           {"period", "2026-10"}, {"batch_id", "b0"}};
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(avro_value_get_by_name(&ov, strs[i][0], &fld, NULL), 0);
    assert_int_equal(avro_value_set_string(&fld, strs[i][1]), 0);
  }
  assert_int_equal(avro_value_get_by_name(&ov, "row_number", &fld, NULL), 0);
  assert_int_equal(avro_value_set_long(&fld, 3), 0);
  assert_int_equal(avro_value_get_by_name(&ov, "produced_at", &fld, NULL), 0);
  assert_int_equal(avro_value_set_long(&fld, 77), 0);
  const char *nulls[] = {"name", "township_code", "village", "event_date", "amount_fen", "risk"};
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(avro_value_get_by_name(&ov, nulls[i], &fld, NULL), 0);
    assert_int_equal(avro_value_set_branch(&fld, 0, &br), 0);
    assert_int_equal(avro_value_set_null(&br), 0);
  }
  rh_avro_buf_clear(&f->buf);
  assert_int_equal(rh_avro_encode(v0, &ov, &f->buf, err, sizeof err), RH_AVRO_OK);
  rh_feedrecord_t r;
  assert_int_equal(rh_feedrecord_decode(&f->fast, f->buf.data, f->buf.len, &r, err, sizeof err),
                   RH_FEEDRECORD_FALLBACK);
  assert_int_equal(both(f, f->buf.data, f->buf.len, NULL), RH_FEEDRECORD_FALLBACK);
  assert_int_equal(
      rh_avro_decode(f->dec, f->buf.data, f->buf.len, f->fr, &f->v, NULL, err, sizeof err),
      RH_AVRO_OK);
  assert_int_equal(rh_feedrecord_from_value(&f->slow, &f->v, &r, err, sizeof err), 0);
  assert_string_equal(r.batch_id, "b0");
  assert_int_equal(r.fact_count, 0);
  avro_value_decref(&ov);

  /* an unknown fingerprint: fallback too (the generic path then says unknown) */
  unsigned char unknown[12] = {0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0};
  assert_int_equal(rh_feedrecord_decode(&f->fast, unknown, sizeof unknown, &r, err, sizeof err),
                   RH_FEEDRECORD_FALLBACK);
  assert_int_equal(
      rh_avro_decode(f->dec, unknown, sizeof unknown, f->fr, &f->v, NULL, err, sizeof err),
      RH_AVRO_EUNKNOWN);

  /* a FeedRecord layout the direct reader does not know (an extra field):
   * direct is off and every message falls back, its own too */
  static const char extra[] =
      "{\"type\":\"record\",\"name\":\"FeedRecord\",\"namespace\":\"other\",\"fields\":["
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
      "{\"name\":\"risk_subtype\",\"type\":[\"null\",\"string\"],\"default\":null},"
      "{\"name\":\"facts\",\"type\":{\"type\":\"map\",\"values\":\"string\"},\"default\":{}},"
      "{\"name\":\"produced_at\",\"type\":\"long\"},"
      "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
  const rh_avro_schema_t *x = NULL;
  assert_int_equal(
      rh_avro_schemas_add_json(f->set, extra, strlen(extra), "extra", 1, &x, err, sizeof err),
      RH_AVRO_OK);
  rh_feedrecord_codec_t xc;
  assert_int_equal(rh_feedrecord_codec_init(&xc, x, err, sizeof err), 0);
  assert_false(xc.direct);
  avro_value_t xv;
  assert_int_equal(rh_avro_schema_value_new(x, &xv, err, sizeof err), RH_AVRO_OK);
  rh_fact_t fbuf[6];
  unsigned seed = 5;
  rh_feedrecord_t in = random_record(&seed, fbuf);
  rh_avro_buf_clear(&f->buf);
  /* to_value leaves the field it does not know unset: null it by hand */
  assert_int_equal(rh_feedrecord_to_value(&xc, &in, &xv, err, sizeof err), 0);
  assert_int_equal(avro_value_get_by_name(&xv, "note", &fld, NULL), 0);
  assert_int_equal(avro_value_set_branch(&fld, 0, &br), 0);
  assert_int_equal(avro_value_set_null(&br), 0);
  assert_int_equal(rh_avro_encode(x, &xv, &f->buf, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(rh_feedrecord_decode(&xc, f->buf.data, f->buf.len, &r, err, sizeof err),
                   RH_FEEDRECORD_FALLBACK);
  avro_value_decref(&xv);
  rh_feedrecord_codec_free(&xc);
}

/* The codec's buffers are reused: a big record, then a small one, then the
 * big one again decode right (and ASan sees no stale pointer use). */
static void test_buffers_are_reused(void **state) {
  fx_t *f = *state;
  char big[5000];
  memset(big, 'z', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  rh_fact_t facts[1] = {{"note", big}};
  rh_feedrecord_t a = {.id_number = "1", .department = "d", .feed = "f", .kind = "k",
                       .period = "p", .batch_id = "b", .facts = facts, .fact_count = 1};
  rh_feedrecord_t b = {.id_number = "2", .department = "d", .feed = "f", .kind = "k",
                       .period = "p", .batch_id = "b"};
  rh_feedrecord_t out;
  for (int i = 0; i < 3; i++) {
    encode(f, i == 1 ? &b : &a, 1);
    assert_int_equal(both(f, f->buf.data, f->buf.len, &out), 0);
    check_same(i == 1 ? &b : &a, &out);
  }
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_valid_records_decode_as_the_generic_path),
      T(test_map_blocks_and_repeated_keys),
      T(test_defects_name_field_and_byte),
      T(test_utf8_verdicts_agree),
      T(test_every_truncation_fails_cleanly),
      T(test_corruption_fuzz),
      T(test_other_writers_fall_back),
      T(test_buffers_are_reused),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
