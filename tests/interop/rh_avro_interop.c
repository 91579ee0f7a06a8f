/*
 * rh_avro_interop: the C side of the Avro interop test (avro_interop.py).
 *
 *   rh_avro_interop pcf FILE...     one JSON line a file: {"file", "pcf", "fp"}
 *                                   from rh_avro_canonical_form, plus "load"
 *                                   (the set loader's verdict, its PCF must agree)
 *   rh_avro_interop write SETDIR    one JSON line a record C writes with known
 *                                   values: {"name", "writer_fp", "hex",
 *                                   "value", "as_current"} (the value as C sees
 *                                   it, and C's own decoding with the current
 *                                   version as reader)
 *   rh_avro_interop read SETDIR     for each JSON line on stdin {"hex",
 *                                   "reader" (a full name or null)}: one line
 *                                   {"status", "error", "writer_fp", "value"}
 *
 * Values are rendered as JSON: unions as their branch's value, enums as the
 * symbol, bytes and fixed as {"$bytes": "<hex>"}, floats as numbers (or the
 * strings "NaN", "Infinity", "-Infinity"). Exit status 0 unless the tool itself
 * failed (decode errors are reported in the output, not by the exit status).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"

/* ---- rendering ------------------------------------------------------------ */

static json_t *hex_bytes(const void *buf, size_t n) {
  const unsigned char *p = buf;
  char *s = malloc(2 * n + 1);
  if (!s) return NULL;
  for (size_t i = 0; i < n; i++) snprintf(s + 2 * i, 3, "%02x", p[i]);
  s[2 * n] = '\0';
  json_t *o = json_pack("{s:s}", "$bytes", s);
  free(s);
  return o;
}

static json_t *real(double d) {
  if (isnan(d)) return json_string("NaN");
  if (isinf(d)) return json_string(d > 0 ? "Infinity" : "-Infinity");
  return json_real(d);
}

static json_t *render(avro_value_t *v) {
  switch (avro_value_get_type(v)) {
    case AVRO_NULL: return json_null();
    case AVRO_BOOLEAN: {
      int b = 0;
      avro_value_get_boolean(v, &b);
      return json_boolean(b);
    }
    case AVRO_INT32: {
      int32_t i = 0;
      avro_value_get_int(v, &i);
      return json_integer(i);
    }
    case AVRO_INT64: {
      int64_t l = 0;
      avro_value_get_long(v, &l);
      return json_integer(l);
    }
    case AVRO_FLOAT: {
      float f = 0;
      avro_value_get_float(v, &f);
      return real(f);
    }
    case AVRO_DOUBLE: {
      double d = 0;
      avro_value_get_double(v, &d);
      return real(d);
    }
    case AVRO_STRING: {
      const char *s = NULL;
      size_t n = 0;
      avro_value_get_string(v, &s, &n);
      return json_stringn(s, n ? n - 1 : 0);
    }
    case AVRO_BYTES: {
      const void *b = NULL;
      size_t n = 0;
      avro_value_get_bytes(v, &b, &n);
      return hex_bytes(b, n);
    }
    case AVRO_FIXED: {
      const void *b = NULL;
      size_t n = 0;
      avro_value_get_fixed(v, &b, &n);
      return hex_bytes(b, n);
    }
    case AVRO_ENUM: {
      int e = 0;
      avro_value_get_enum(v, &e);
      return json_string(avro_schema_enum_get(avro_value_get_schema(v), e));
    }
    case AVRO_ARRAY: {
      size_t n = 0;
      avro_value_get_size(v, &n);
      json_t *a = json_array();
      for (size_t i = 0; i < n; i++) {
        avro_value_t c;
        avro_value_get_by_index(v, i, &c, NULL);
        json_array_append_new(a, render(&c));
      }
      return a;
    }
    case AVRO_MAP:
    case AVRO_RECORD: {
      size_t n = 0;
      avro_value_get_size(v, &n);
      json_t *o = json_object();
      for (size_t i = 0; i < n; i++) {
        avro_value_t c;
        const char *name = NULL;
        avro_value_get_by_index(v, i, &c, &name);
        json_object_set_new(o, name, render(&c));
      }
      return o;
    }
    case AVRO_UNION: {
      avro_value_t b;
      if (avro_value_get_current_branch(v, &b) != 0) return json_string("<no branch>");
      return render(&b);
    }
    case AVRO_LINK: break;
  }
  return json_string("<unknown type>");
}

static void print_line(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
  puts(s ? s : "{\"tool_error\":\"json_dumps\"}");
  free(s);
  json_decref(o);
}

static char *to_hex(const unsigned char *p, size_t n) {
  char *s = malloc(2 * n + 1);
  for (size_t i = 0; s && i < n; i++) snprintf(s + 2 * i, 3, "%02x", p[i]);
  if (s) s[2 * n] = '\0';
  return s;
}

static int from_hex(const char *s, unsigned char **out, size_t *n) {
  size_t len = strlen(s);
  if (len % 2) return -1;
  unsigned char *b = malloc(len / 2 + 1);
  if (!b) return -1;
  for (size_t i = 0; i < len / 2; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) {
      free(b);
      return -1;
    }
    b[i] = (unsigned char)v;
  }
  *out = b;
  *n = len / 2;
  return 0;
}

/* ---- pcf ------------------------------------------------------------------ */

static int cmd_pcf(int argc, char **argv) {
  int rc = 0;
  for (int i = 0; i < argc; i++) {
    FILE *fp = fopen(argv[i], "rb");
    if (!fp) {
      fprintf(stderr, "%s: cannot open\n", argv[i]);
      return 1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
      if (len == cap) {
        cap = cap ? cap * 2 : 4096;
        text = realloc(text, cap);
      }
      size_t got = fread(text + len, 1, cap - len, fp);
      if (got == 0) break;
      len += got;
    }
    fclose(fp);
    char err[512] = "";
    char *pcf = NULL;
    uint64_t fpv = 0;
    json_t *o = json_pack("{s:s}", "file", argv[i]);
    rh_avro_status_t st = rh_avro_canonical_form(text, len, &pcf, &fpv, err, sizeof err);
    if (st == RH_AVRO_OK) {
      char hex[RH_AVRO_FP_HEXSZ];
      rh_avro_fingerprint_hex(fpv, hex);
      json_object_set_new(o, "pcf", json_string(pcf));
      json_object_set_new(o, "fp", json_string(hex));
    } else {
      json_object_set_new(o, "error", json_string(err));
    }
    /* The set loader: Avro C's parse, default checks, and the same PCF. */
    rh_avro_schemas_t *set = rh_avro_schemas_new();
    const rh_avro_schema_t *e = NULL;
    rh_avro_status_t lst = rh_avro_schemas_add_json(set, text, len, argv[i], 1, &e, err, sizeof err);
    if (lst == RH_AVRO_OK) {
      json_object_set_new(o, "load", json_string(pcf && strcmp(pcf, e->pcf) == 0 ? "ok" : "pcf differs"));
    } else {
      json_object_set_new(o, "load", json_string(err));
    }
    rh_avro_schemas_destroy(set);
    free(pcf);
    free(text);
    print_line(o);
  }
  return rc;
}

/* ---- known records -------------------------------------------------------- */

static avro_value_t F(avro_value_t *rec, const char *name) {
  avro_value_t f;
  if (avro_value_get_by_name(rec, name, &f, NULL) != 0) {
    fprintf(stderr, "no field %s\n", name);
    exit(2);
  }
  return f;
}
static void S(avro_value_t *rec, const char *name, const char *s) {
  avro_value_t f = F(rec, name);
  avro_value_set_string_len(&f, s, strlen(s) + 1);
}
static void L(avro_value_t *rec, const char *name, int64_t v) {
  avro_value_t f = F(rec, name);
  avro_value_set_long(&f, v);
}
static void I(avro_value_t *rec, const char *name, int32_t v) {
  avro_value_t f = F(rec, name);
  avro_value_set_int(&f, v);
}
static void D(avro_value_t *rec, const char *name, double v) {
  avro_value_t f = F(rec, name);
  avro_value_set_double(&f, v);
}
static void Fl(avro_value_t *rec, const char *name, float v) {
  avro_value_t f = F(rec, name);
  avro_value_set_float(&f, v);
}
static void B(avro_value_t *rec, const char *name, const char *b, size_t n) {
  avro_value_t f = F(rec, name);
  if (avro_value_get_type(&f) == AVRO_FIXED)
    avro_value_set_fixed(&f, (void *)b, n);
  else
    avro_value_set_bytes(&f, (void *)b, n);
}
static void E(avro_value_t *rec, const char *name, const char *sym) {
  avro_value_t f = F(rec, name);
  avro_value_set_enum(&f, avro_schema_enum_get_by_name(avro_value_get_schema(&f), sym));
}
static avro_value_t U(avro_value_t *rec, const char *name, int d) {
  avro_value_t f = F(rec, name), b;
  avro_value_set_branch(&f, d, &b);
  return b;
}
static void inner(avro_value_t *in, int a, const char *b) {
  I(in, "a", a);
  S(in, "b", b);
  avro_value_t c;
  if (avro_value_get_by_name(in, "c", &c, NULL) == 0) {
    avro_value_t br;
    avro_value_set_branch(&c, 1, &br);
    avro_value_set_int(&br, -a);
    L(in, "d", 1000 + a);
  }
}

/* Record A: every field, Chinese text, extremes. variant B: nulls, empties,
 * other union branches. */
static void fill_common(avro_value_t *r, int variant) {
  avro_value_t f, c, g;
  S(r, "id", variant ? "id-B" : "id-A");
  I(r, "count", variant ? INT32_MIN : -5);
  L(r, "amount", variant ? INT64_MAX : INT64_C(-9007199254740993));
  D(r, "ratio", variant ? -1.7976931348623157e308 : 3.141592653589793);
  Fl(r, "small", variant ? -0.0f : 1.5f);
  f = F(r, "flag");
  avro_value_set_boolean(&f, !variant);
  S(r, "name_cn", variant ? "😀 emoji, ñ, ü, Ω, 一二三" : "张三 李四");
  B(r, "blob", "\x00\x01\xfe\xff", variant ? 0 : 4);
  if (variant) {
    U(r, "maybe", 0);
  } else {
    c = U(r, "maybe", 1);
    avro_value_set_string_len(&c, "也许 maybe", strlen("也许 maybe") + 1);
  }
  if (!variant) {
    f = F(r, "tags");
    avro_value_append(&f, &c, NULL);
    avro_value_set_string_len(&c, "a", 2);
    avro_value_append(&f, &c, NULL);
    avro_value_set_string_len(&c, "标签", strlen("标签") + 1);
    f = F(r, "attrs");
    avro_value_add(&f, "max", &c, NULL, NULL);
    avro_value_set_long(&c, INT64_MAX);
    avro_value_add(&f, "min", &c, NULL, NULL);
    avro_value_set_long(&c, INT64_MIN);
    avro_value_add(&f, "键", &c, NULL, NULL);
    avro_value_set_long(&c, -1);
  }
  f = F(r, "inner");
  inner(&f, 1, "内");
  if (!variant) {
    f = F(r, "inners");
    avro_value_append(&f, &c, NULL);
    inner(&c, 2, "i2");
    avro_value_append(&f, &c, NULL);
    inner(&c, 3, "");
  }
  if (variant) {
    c = U(r, "choice", 1);
    avro_value_set_long(&c, -1);
  } else {
    c = U(r, "choice", 3);
    inner(&c, 4, "ch");
  }
  B(r, "hash", "\xde\xad\xbe\xef", 4);
  L(r, "when", INT64_C(1700000000123));
  f = F(r, "chain");
  L(&f, "value", 1);
  if (variant) {
    U(&f, "next", 0);
  } else {
    g = U(&f, "next", 1);
    L(&g, "value", -2);
    U(&g, "next", 0);
  }
}

static void fill_v1(avro_value_t *r, int variant) {
  fill_common(r, variant);
  E(r, "color", variant ? "GREEN" : "PURPLE");
  I(r, "promo_il", INT32_MAX);
  I(r, "promo_id", -3);
  L(r, "promo_lf", 16777217);
  Fl(r, "promo_fd", 0.1f);
  S(r, "promo_sb", "sb");
  B(r, "promo_bs", "bs\xc3\xa9", 4);
  I(r, "to_union", variant ? INT32_MIN : 77);
  S(r, "old_name", "old value");
  if (!variant) {
    avro_value_t f = F(r, "dropped"), c, g;
    avro_value_add(&f, "k", &c, NULL, NULL);
    avro_value_append(&c, &g, NULL);
    avro_value_set_double(&g, 1.0);
  }
}

static void fill_v2(avro_value_t *r, int variant) {
  fill_common(r, variant);
  avro_value_t f, c;
  E(r, "color", "YELLOW");
  L(r, "promo_il", INT64_MIN);
  D(r, "promo_id", 1e-300);
  Fl(r, "promo_lf", 3.4028234663852886e38f);
  D(r, "promo_fd", -0.5);
  B(r, "promo_sb", "\xff\x00", 2);
  S(r, "promo_bs", "字符串");
  if (variant) {
    U(r, "to_union", 0);
  } else {
    c = U(r, "to_union", 1);
    avro_value_set_long(&c, -77);
  }
  S(r, "new_name", "new value");
  S(r, "s_def", "不是默认");
  I(r, "i_def", 7);
  L(r, "l_def", 1);
  D(r, "d_def", -2.25);
  Fl(r, "f_def", 8.5f);
  f = F(r, "b_def");
  avro_value_set_boolean(&f, 0);
  c = U(r, "n_def", 1);
  avro_value_set_string_len(&c, "n", 2);
  E(r, "e_def", "HIGH");
  f = F(r, "a_def");
  avro_value_append(&f, &c, NULL);
  avro_value_set_int(&c, -1);
  f = F(r, "m_def");
  avro_value_add(&f, "地", &c, NULL, NULL);
  avro_value_set_string_len(&c, "址", strlen("址") + 1);
  f = F(r, "r_def");
  D(&f, "x", 0);
  D(&f, "y", 1e10);
  c = U(&f, "label", 1);
  avro_value_set_string_len(&c, "p", 2);
  U(r, "u_def", 1);
  B(r, "bytes_def", "", 0);
  B(r, "fixed_def", "zz", 2);
}

static rh_avro_schemas_t *load_set(const char *dir) {
  char err[512];
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(set, dir, err, sizeof err) != RH_AVRO_OK) {
    fprintf(stderr, "loading %s: %s\n", dir, err);
    exit(1);
  }
  return set;
}

static const rh_avro_schema_t *history(const rh_avro_schemas_t *set, const char *name) {
  for (size_t i = 0; i < rh_avro_schemas_count(set); i++) {
    const rh_avro_schema_t *e = rh_avro_schemas_at(set, i);
    if (!e->is_current && strcmp(e->fullname, name) == 0) return e;
  }
  fprintf(stderr, "no history version of %s\n", name);
  exit(1);
}

static int cmd_write(const char *dir) {
  char err[512];
  rh_avro_schemas_t *set = load_set(dir);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  const rh_avro_schema_t *v2 = rh_avro_schemas_get(set, "riskhub.test.TestRecord");
  const rh_avro_schema_t *v1 = history(set, "riskhub.test.TestRecord");
  const rh_avro_schema_t *ping = rh_avro_schemas_get(set, "riskhub.test.Ping");
  rh_avro_buf_t buf = RH_AVRO_BUF_INIT;
  avro_value_t cur;
  rh_avro_schema_value_new(v2, &cur, err, sizeof err);
  struct {
    const char *name;
    const rh_avro_schema_t *schema;
    int variant;
  } recs[] = {{"v1-A", v1, 0}, {"v1-B", v1, 1}, {"v2-A", v2, 0}, {"v2-B", v2, 1}, {"ping", ping, 0}};
  int rc = 0;
  for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
    avro_value_t v;
    rh_avro_schema_value_new(recs[i].schema, &v, err, sizeof err);
    if (recs[i].schema == v1) fill_v1(&v, recs[i].variant);
    else if (recs[i].schema == v2) fill_v2(&v, recs[i].variant);
    else {
      L(&v, "seq", -1);
      avro_value_t c = U(&v, "note", 1);
      avro_value_set_string_len(&c, "注意", strlen("注意") + 1);
    }
    rh_avro_buf_clear(&buf);
    if (rh_avro_encode(recs[i].schema, &v, &buf, err, sizeof err) != RH_AVRO_OK) {
      fprintf(stderr, "%s: %s\n", recs[i].name, err);
      rc = 1;
      avro_value_decref(&v);
      continue;
    }
    char *hex = to_hex(buf.data, buf.len);
    json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "name", recs[i].name, "writer_fp",
                          recs[i].schema->fingerprint_hex, "hex", hex, "value", render(&v));
    free(hex);
    if (recs[i].schema != ping) {
      rh_avro_status_t st = rh_avro_decode(dec, buf.data, buf.len, v2, &cur, NULL, err, sizeof err);
      json_object_set_new(o, "as_current", st == RH_AVRO_OK ? render(&cur) : json_string(err));
    }
    print_line(o);
    avro_value_decref(&v);
  }
  avro_value_decref(&cur);
  rh_avro_buf_free(&buf);
  rh_avro_decoder_destroy(dec);
  rh_avro_schemas_destroy(set);
  return rc;
}

static int cmd_read(const char *dir) {
  rh_avro_schemas_t *set = load_set(dir);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  /* One value per schema, made once and reused (the production pattern). */
  size_t n = rh_avro_schemas_count(set);
  avro_value_t *vals = calloc(n, sizeof *vals);
  char err[512];
  for (size_t i = 0; i < n; i++) rh_avro_schema_value_new(rh_avro_schemas_at(set, i), &vals[i], err, sizeof err);
  char line[1 << 16];
  int rc = 0;
  while (fgets(line, sizeof line, stdin)) {
    json_error_t jerr;
    json_t *in = json_loads(line, 0, &jerr);
    const char *hex = in ? json_string_value(json_object_get(in, "hex")) : NULL;
    unsigned char *msg = NULL;
    size_t len = 0;
    if (!hex || from_hex(hex, &msg, &len) != 0) {
      fprintf(stderr, "bad input line: %s\n", line);
      json_decref(in);
      rc = 1;
      continue;
    }
    const char *rname = json_string_value(json_object_get(in, "reader"));
    const rh_avro_schema_t *reader = rname ? rh_avro_schemas_get(set, rname) : NULL;
    if (rname && !reader) {
      fprintf(stderr, "unknown reader %s\n", rname);
      rc = 1;
    }
    /* The value to decode into: the reader's, or (reader NULL) the writer's. */
    const rh_avro_schema_t *target = reader;
    uint64_t fp;
    if (!target && rh_avro_wire_peek_fingerprint(msg, len, &fp, err, sizeof err) == RH_AVRO_OK)
      target = rh_avro_schemas_by_fingerprint(set, fp);
    if (!target) target = rh_avro_schemas_at(set, 0); /* an error follows anyway */
    avro_value_t *dest = NULL;
    for (size_t i = 0; i < n; i++)
      if (rh_avro_schemas_at(set, i) == target) dest = &vals[i];
    const rh_avro_schema_t *writer = NULL;
    err[0] = '\0';
    rh_avro_status_t st = rh_avro_decode(dec, msg, len, reader, dest, &writer, err, sizeof err);
    json_t *o = json_pack("{s:s}", "status", rh_avro_status_str(st));
    if (writer) json_object_set_new(o, "writer_fp", json_string(writer->fingerprint_hex));
    if (st == RH_AVRO_OK)
      json_object_set_new(o, "value", render(dest));
    else
      json_object_set_new(o, "error", json_string(err));
    print_line(o);
    free(msg);
    json_decref(in);
  }
  for (size_t i = 0; i < n; i++) avro_value_decref(&vals[i]);
  free(vals);
  rh_avro_decoder_destroy(dec);
  rh_avro_schemas_destroy(set);
  return rc;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "pcf") == 0) return cmd_pcf(argc - 2, argv + 2);
  if (argc == 3 && strcmp(argv[1], "write") == 0) return cmd_write(argv[2]);
  if (argc == 3 && strcmp(argv[1], "read") == 0) return cmd_read(argv[2]);
  fprintf(stderr, "usage: rh_avro_interop pcf FILE... | write SETDIR | read SETDIR\n");
  return 2;
}
