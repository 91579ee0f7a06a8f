/*
 * Tests of rh_avro_schema: CRC-64-AVRO, Parsing Canonical Form, validation,
 * schema sets and defaults.
 *
 * Every PCF/fingerprint vector below was checked against fastavro 1.13.1
 * (fastavro.schema.to_parsing_canonical_form + fingerprint "CRC-64-AVRO"); the
 * first 33 are also the Apache Avro project's Java-verified vectors
 * (share/test/data/schema-tests.txt) and match them. The interop test repeats
 * the cross-check live for every .avsc file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rh_avro_schema.h"
#include "rh_test.h"

static char *fixture(const char *rel) {
  static char buf[4][1024];
  static int i;
  char *b = buf[i++ % 4];
  snprintf(b, sizeof buf[0], "%s/tests/data/avro/%s", rh_test_source_dir(), rel);
  return b;
}

/* ---- CRC-64-AVRO ---------------------------------------------------------- */

static void test_crc64(void **state) {
  (void)state;
  assert_true(rh_avro_crc64(NULL, 0) == RH_AVRO_CRC64_EMPTY);
  assert_true(rh_avro_crc64("", 0) == UINT64_C(0xc15d213aa4d7a795));
  /* Java: SchemaNormalization.parsingFingerprint64 of "int" = 8247732601305521295 */
  assert_true(rh_avro_crc64("\"int\"", 5) == UINT64_C(8247732601305521295));
  assert_true(rh_avro_crc64("\"string\"", 8) == UINT64_C(0x8f014872634503c7));
  char hex[RH_AVRO_FP_HEXSZ];
  rh_avro_fingerprint_hex(UINT64_C(0x7275d51a3f395c8f), hex);
  assert_string_equal(hex, "7275d51a3f395c8f");
  rh_avro_fingerprint_hex(1, hex);
  assert_string_equal(hex, "0000000000000001");
}

/* ---- PCF vectors ---------------------------------------------------------- */

static const struct {
  const char *in;
  const char *pcf;
  uint64_t fp;
} VECTORS[] = {
  {"\"null\"", "\"null\"", UINT64_C(0x63dd24e7cc258f8a)},
  {"{\"type\":\"null\"}", "\"null\"", UINT64_C(0x63dd24e7cc258f8a)},
  {"\"boolean\"", "\"boolean\"", UINT64_C(0x9f42fc78a4d4f764)},
  {"{\"type\":\"boolean\"}", "\"boolean\"", UINT64_C(0x9f42fc78a4d4f764)},
  {"\"int\"", "\"int\"", UINT64_C(0x7275d51a3f395c8f)},
  {"{\"type\":\"int\"}", "\"int\"", UINT64_C(0x7275d51a3f395c8f)},
  {"\"long\"", "\"long\"", UINT64_C(0xd054e14493f41db7)},
  {"{\"type\":\"long\"}", "\"long\"", UINT64_C(0xd054e14493f41db7)},
  {"\"float\"", "\"float\"", UINT64_C(0x4d7c02cb3ea8d790)},
  {"{\"type\":\"float\"}", "\"float\"", UINT64_C(0x4d7c02cb3ea8d790)},
  {"\"double\"", "\"double\"", UINT64_C(0x8e7535c032ab957e)},
  {"{\"type\":\"double\"}", "\"double\"", UINT64_C(0x8e7535c032ab957e)},
  {"\"bytes\"", "\"bytes\"", UINT64_C(0x4fc016dac3201965)},
  {"{\"type\":\"bytes\"}", "\"bytes\"", UINT64_C(0x4fc016dac3201965)},
  {"\"string\"", "\"string\"", UINT64_C(0x8f014872634503c7)},
  {"{\"type\":\"string\"}", "\"string\"", UINT64_C(0x8f014872634503c7)},
  {"[  ]", "[]", UINT64_C(0xeec6e173d23fb9d1)},
  {"[ \"int\"  ]", "[\"int\"]", UINT64_C(0xb763638a48b2fb03)},
  {"[ \"int\" , {\"type\":\"boolean\"} ]", "[\"int\",\"boolean\"]", UINT64_C(0x4ad63578080c1602)},
  {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\"}", "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", UINT64_C(0xbd0c50c84319be7e)},
  {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"namespace\":\"x.y\"}", "{\"name\":\"x.y.foo\",\"type\":\"record\",\"fields\":[]}", UINT64_C(0x521d1a6b830ec4ab)},
  {"{\"fields\":[], \"type\":\"record\", \"name\":\"a.b.foo\", \"namespace\":\"x.y\"}", "{\"name\":\"a.b.foo\",\"type\":\"record\",\"fields\":[]}", UINT64_C(0xbfefe5be5021e2b2)},
  {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"doc\":\"Useful info\"}", "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", UINT64_C(0xbd0c50c84319be7e)},
  {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"aliases\":[\"foo\",\"bar\"]}", "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", UINT64_C(0xbd0c50c84319be7e)},
  {"{\"fields\":[{\"type\":{\"type\":\"boolean\"}, \"name\":\"f1\"}], \"type\":\"record\", \"name\":\"foo\"}", "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"}]}", UINT64_C(0x6cd8eaf1c968a33b)},
  {"{ \"fields\":[{\"type\":\"boolean\", \"aliases\":[], \"name\":\"f1\", \"default\":true},\n {\"order\":\"descending\",\"name\":\"f2\",\"doc\":\"Hello\",\"type\":\"int\"}],\n \"type\":\"record\", \"name\":\"foo\"\n}", "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"},{\"name\":\"f2\",\"type\":\"int\"}]}", UINT64_C(0xbc8d05bd57f4934a)},
  {"{\"type\":\"enum\", \"name\":\"foo\", \"symbols\":[\"A1\"]}", "{\"name\":\"foo\",\"type\":\"enum\",\"symbols\":[\"A1\"]}", UINT64_C(0xa7fc039e15aa3169)},
  {"{\"namespace\":\"x.y.z\", \"type\":\"enum\", \"name\":\"foo\", \"doc\":\"foo bar\", \"symbols\":[\"A1\", \"A2\"]}", "{\"name\":\"x.y.z.foo\",\"type\":\"enum\",\"symbols\":[\"A1\",\"A2\"]}", UINT64_C(0xc2433ae5f4999d8b)},
  {"{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}", "{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}", UINT64_C(0x18602ec3ed31a504)},
  {"{\"namespace\":\"x.y.z\", \"type\":\"fixed\", \"name\":\"foo\", \"doc\":\"foo bar\", \"size\":32}", "{\"name\":\"x.y.z.foo\",\"type\":\"fixed\",\"size\":32}", UINT64_C(0xd579d47693a6171e)},
  {"{ \"items\":{\"type\":\"null\"}, \"type\":\"array\"}", "{\"type\":\"array\",\"items\":\"null\"}", UINT64_C(0xf7d13f2f68170a6d)},
  {"{ \"values\":\"string\", \"type\":\"map\"}", "{\"type\":\"map\",\"values\":\"string\"}", UINT64_C(0x86ce965d92864572)},
  {"{\"name\":\"PigValue\",\"type\":\"record\",\n \"fields\":[{\"name\":\"value\", \"type\":[\"null\", \"int\", \"long\", \"PigValue\"]}]}", "{\"name\":\"PigValue\",\"type\":\"record\",\"fields\":[{\"name\":\"value\",\"type\":[\"null\",\"int\",\"long\",\"PigValue\"]}]}", UINT64_C(0xe795dc6656b7e95b)},
  {"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"riskhub\",\"fields\":[{\"name\":\"t\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"d\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"},\"default\":{}}]}", "{\"name\":\"riskhub.R\",\"type\":\"record\",\"fields\":[{\"name\":\"t\",\"type\":\"long\"},{\"name\":\"d\",\"type\":[\"null\",\"int\"]},{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"}}]}", UINT64_C(0x8d97a96c0acaa6f4)},
  {"{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"a.b\",\"fields\":[{\"name\":\"e\",\"type\":{\"type\":\"record\",\"name\":\"Empty\",\"namespace\":\"\",\"fields\":[]}},{\"name\":\"s\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"fields\":[{\"name\":\"z\",\"type\":{\"type\":\"enum\",\"name\":\"c.E\",\"namespace\":\"ignored\",\"symbols\":[\"A\"]}}]}},{\"name\":\"r\",\"type\":[\"null\",\"S\",\"c.E\"]}]}", "{\"name\":\"a.b.Outer\",\"type\":\"record\",\"fields\":[{\"name\":\"e\",\"type\":{\"name\":\"Empty\",\"type\":\"record\",\"fields\":[]}},{\"name\":\"s\",\"type\":{\"name\":\"a.b.S\",\"type\":\"record\",\"fields\":[{\"name\":\"z\",\"type\":{\"name\":\"c.E\",\"type\":\"enum\",\"symbols\":[\"A\"]}}]}},{\"name\":\"r\",\"type\":[\"null\",\"a.b.S\",\"c.E\"]}]}", UINT64_C(0x7f745006bc106b35)},
  {"{\"type\":\"record\",\"name\":\"U\",\"fields\":[{\"name\":\"s\",\"type\":\"string\",\"doc\":\"\\u4e2d \\\"q\\\"\"},{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":0}}]}", "{\"name\":\"U\",\"type\":\"record\",\"fields\":[{\"name\":\"s\",\"type\":\"string\"},{\"name\":\"f\",\"type\":{\"name\":\"F\",\"type\":\"fixed\",\"size\":0}}]}", UINT64_C(0x6f5eae021a1d77e2)},
};

static void test_pcf_vectors(void **state) {
  (void)state;
  char err[256];
  for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
    char *pcf = NULL;
    uint64_t fp = 0;
    rh_avro_status_t st = rh_avro_canonical_form(VECTORS[i].in, strlen(VECTORS[i].in), &pcf, &fp,
                                                 err, sizeof err);
    if (st != RH_AVRO_OK) fail_msg("vector %zu: %s", i, err);
    if (strcmp(pcf, VECTORS[i].pcf) != 0) fail_msg("vector %zu: got %s want %s", i, pcf, VECTORS[i].pcf);
    if (fp != VECTORS[i].fp) fail_msg("vector %zu: fingerprint %016llx", i, (unsigned long long)fp);
    assert_true(rh_avro_crc64(pcf, strlen(pcf)) == fp);
    free(pcf);
  }
}

/* Cases other implementations disagree on: the spec and Java decide. */
static void expect_pcf(const char *in, const char *want) {
  char err[256] = "";
  char *pcf = NULL;
  rh_avro_status_t st = rh_avro_canonical_form(in, strlen(in), &pcf, NULL, err, sizeof err);
  if (st != RH_AVRO_OK) fail_msg("%s: %s", in, err);
  if (strcmp(pcf, want) != 0) fail_msg("got %s want %s", pcf, want);
  free(pcf);
}

static void test_pcf_edge_cases(void **state) {
  (void)state;
  /* {"type": "Name"} is a reference (Java accepts it; fastavro 1.13 does not). */
  expect_pcf("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
             "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}},"
             "{\"name\":\"f\",\"type\":{\"type\":\"E\"}},{\"name\":\"g\",\"type\":{\"type\":\"n.E\"}}]}",
             "{\"name\":\"n.R\",\"type\":\"record\",\"fields\":[{\"name\":\"e\",\"type\":{\"name\":"
             "\"n.E\",\"type\":\"enum\",\"symbols\":[\"A\"]}},{\"name\":\"f\",\"type\":\"n.E\"},"
             "{\"name\":\"g\",\"type\":\"n.E\"}]}");
  /* A short reference not found in the enclosing namespace falls back to the
   * null namespace (Java's Schema.Names.get; fastavro has no fallback). */
  expect_pcf("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
             "{\"name\":\"e\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"\",\"size\":2}},"
             "{\"name\":\"f\",\"type\":\"F\"}]}",
             "{\"name\":\"n.R\",\"type\":\"record\",\"fields\":[{\"name\":\"e\",\"type\":{\"name\":"
             "\"F\",\"type\":\"fixed\",\"size\":2}},{\"name\":\"f\",\"type\":\"F\"}]}");
  /* ... but the enclosing namespace wins when both exist. */
  expect_pcf("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
             "{\"name\":\"a\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"\",\"size\":2}},"
             "{\"name\":\"b\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}},"
             "{\"name\":\"c\",\"type\":\"F\"}]}",
             "{\"name\":\"n.R\",\"type\":\"record\",\"fields\":[{\"name\":\"a\",\"type\":{\"name\":"
             "\"F\",\"type\":\"fixed\",\"size\":2}},{\"name\":\"b\",\"type\":{\"name\":\"n.F\",\"type\":"
             "\"fixed\",\"size\":3}},{\"name\":\"c\",\"type\":\"n.F\"}]}");
  /* "namespace": null inherits; nested types inherit the namespace of a dotted name. */
  expect_pcf("{\"type\":\"record\",\"name\":\"x.y.R\",\"namespace\":null,\"fields\":["
             "{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"namespace\":null,\"fields\":[]}}]}",
             "{\"name\":\"x.y.R\",\"type\":\"record\",\"fields\":[{\"name\":\"a\",\"type\":{\"name\":"
             "\"x.y.S\",\"type\":\"record\",\"fields\":[]}}]}");
  /* Non-ASCII in a doc is stripped; escapes elsewhere are decoded. */
  expect_pcf("{\"type\":\"enum\",\"name\":\"\\u0045\",\"doc\":\"\\u4e2d\\n\",\"symbols\":[\"\\u0041\"]}",
             "{\"name\":\"E\",\"type\":\"enum\",\"symbols\":[\"A\"]}");
  /* Named types are written in full only the first time, also inside unions,
   * arrays and maps. */
  expect_pcf("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":"
             "\"array\",\"items\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":1}}},{\"name\":\"b\","
             "\"type\":{\"type\":\"map\",\"values\":[\"null\",\"F\"]}}]}",
             "{\"name\":\"R\",\"type\":\"record\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":"
             "\"array\",\"items\":{\"name\":\"F\",\"type\":\"fixed\",\"size\":1}}},{\"name\":\"b\","
             "\"type\":{\"type\":\"map\",\"values\":[\"null\",\"F\"]}}]}");
}

static void expect_invalid(const char *in, const char *needle) {
  char err[512] = "";
  char *pcf = (char *)1;
  rh_avro_status_t st = rh_avro_canonical_form(in, strlen(in), &pcf, NULL, err, sizeof err);
  if (st != RH_AVRO_ESCHEMA) fail_msg("%s: status %d, want ESCHEMA", in, st);
  assert_null(pcf);
  if (!strstr(err, needle)) fail_msg("%s: message '%s' lacks '%s'", in, err, needle);
}

static void test_pcf_invalid(void **state) {
  (void)state;
  expect_invalid("{\"type\":", "invalid JSON");
  expect_invalid("\"Nope\"", "unknown type 'Nope'");
  expect_invalid("\"a..b\"", "not a type name");
  expect_invalid("42", "must be a string, an object or an array");
  expect_invalid("{\"name\":\"R\"}", "needs a string \"type\"");
  expect_invalid("{\"type\":\"record\",\"fields\":[]}", "needs a string \"name\"");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\"}", "\"fields\" array");
  expect_invalid("{\"type\":\"record\",\"name\":\"1R\",\"fields\":[]}", "not a valid name");
  expect_invalid("{\"type\":\"record\",\"name\":\"int\",\"fields\":[]}", "may not be called 'int'");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a-b\",\"fields\":[]}",
                 "not a valid namespace");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
                 "{\"name\":\"a\",\"type\":\"long\"}]}",
                 "R, field 'a': field name used twice");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}", "no \"type\"");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"R2\"}]}",
                 "R, field 'a': unknown type 'R2'");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                 "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}}]}",
                 "defined twice");
  expect_invalid("[\"int\",\"int\"]", "two branches of type int");
  expect_invalid("[\"int\",{\"type\":\"int\",\"logicalType\":\"date\"}]", "two branches of type int");
  expect_invalid("[{\"type\":\"array\",\"items\":\"int\"},{\"type\":\"array\",\"items\":\"long\"}]",
                 "two branches of type array");
  expect_invalid("[\"null\",[\"int\"]]", "directly contain a union");
  expect_invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}", "symbol A twice");
  expect_invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A-1\"]}", "not a valid name");
  expect_invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"B\"}",
                 "not one of its symbols");
  expect_invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", "non-negative integer");
  expect_invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":\"16\"}", "non-negative integer");
  expect_invalid("{\"type\":\"array\"}", "needs \"items\"");
  expect_invalid("{\"type\":\"error\",\"name\":\"E\",\"fields\":[]}", "only for protocols");
  /* \u0000 is allowed in JSON strings (bytes defaults need it), not in names. */
  expect_invalid("{\"type\":\"record\",\"name\":\"R\\u0000x\",\"fields\":[]}", "may not contain NUL");
  expect_invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\\u0000\"]}", "not a valid name");
  expect_invalid("\"int\\u0000\"", "may not contain NUL");
  /* Duplicate JSON keys are refused. */
  expect_invalid("{\"type\":\"int\",\"type\":\"long\"}", "invalid JSON");
}

/* ---- Sets ----------------------------------------------------------------- */

static const char *TR_V2_PCF_PREFIX =
    "{\"name\":\"riskhub.test.TestRecord\",\"type\":\"record\",\"fields\":[{\"name\":\"id\","
    "\"type\":\"string\"},{\"name\":\"count\",\"type\":\"int\"}";

static void test_load_dir(void **state) {
  (void)state;
  char err[512] = "";
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  assert_non_null(set);
  rh_avro_status_t st = rh_avro_schemas_load_dir(set, fixture("set"), err, sizeof err);
  if (st != RH_AVRO_OK) fail_msg("%s", err);
  assert_int_equal(rh_avro_schemas_count(set), 3);

  const rh_avro_schema_t *cur = rh_avro_schemas_get(set, "riskhub.test.TestRecord");
  assert_non_null(cur);
  assert_true(cur->is_current);
  assert_ptr_equal(cur->set, set);
  assert_non_null(strstr(cur->path, "set/TestRecord.avsc"));
  assert_memory_equal(cur->pcf, TR_V2_PCF_PREFIX, strlen(TR_V2_PCF_PREFIX));
  assert_int_equal(cur->pcf_len, strlen(cur->pcf));
  assert_true(cur->fingerprint == rh_avro_crc64(cur->pcf, cur->pcf_len));
  char hex[RH_AVRO_FP_HEXSZ];
  rh_avro_fingerprint_hex(cur->fingerprint, hex);
  assert_string_equal(hex, cur->fingerprint_hex);
  assert_non_null(cur->schema);
  assert_non_null(cur->iface);
  assert_string_equal(avro_schema_name(cur->schema), "TestRecord");
  assert_ptr_equal(rh_avro_schemas_by_fingerprint(set, cur->fingerprint), cur);

  /* The history version: by fingerprint only. */
  const rh_avro_schema_t *old = NULL;
  for (size_t i = 0; i < rh_avro_schemas_count(set); i++) {
    const rh_avro_schema_t *e = rh_avro_schemas_at(set, i);
    if (!e->is_current) old = e;
  }
  assert_non_null(old);
  assert_string_equal(old->fullname, "riskhub.test.TestRecord");
  assert_non_null(strstr(old->path, "history/TestRecord.v1.avsc"));
  assert_true(old->fingerprint != cur->fingerprint);
  assert_ptr_equal(rh_avro_schemas_by_fingerprint(set, old->fingerprint), old);

  const rh_avro_schema_t *ping = rh_avro_schemas_get(set, "riskhub.test.Ping");
  assert_non_null(ping);
  assert_string_equal(ping->pcf, "{\"name\":\"riskhub.test.Ping\",\"type\":\"record\",\"fields\":"
                                 "[{\"name\":\"seq\",\"type\":\"long\"},{\"name\":\"note\",\"type\":"
                                 "[\"null\",\"string\"]}]}");
  assert_null(rh_avro_schemas_get(set, "Ping"));
  assert_null(rh_avro_schemas_get(set, "riskhub.test.Nope"));
  assert_null(rh_avro_schemas_by_fingerprint(set, 0));
  assert_null(rh_avro_schemas_at(set, 3));

  /* A value of the entry's class, decref'd before the set. */
  avro_value_t v;
  assert_int_equal(rh_avro_schema_value_new(ping, &v, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(avro_value_get_type(&v), AVRO_RECORD);
  avro_value_decref(&v);
  rh_avro_schemas_destroy(set);
  rh_avro_schemas_destroy(NULL);
}

static void test_load_pcf_fixtures(void **state) {
  (void)state;
  /* Avro C must agree node for node with our walk on the namespace edge cases
   * (the loader checks it), and the full names must be ours. */
  char err[512] = "";
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  rh_avro_status_t st = rh_avro_schemas_load_dir(set, fixture("pcf"), err, sizeof err);
  if (st != RH_AVRO_OK) fail_msg("%s", err);
  assert_int_equal(rh_avro_schemas_count(set), 4);
  const rh_avro_schema_t *ns = rh_avro_schemas_get(set, "a.b.Outer");
  assert_non_null(ns);
  assert_non_null(strstr(ns->pcf, "{\"name\":\"z\",\"type\":{\"name\":\"T\",\"type\":\"record\""));
  assert_non_null(strstr(ns->pcf, "{\"name\":\"p.R\",\"type\":\"record\""));
  assert_non_null(rh_avro_schemas_get(set, "Stripped"));
  assert_non_null(rh_avro_schemas_get(set, "riskhub.test.Tree"));
  assert_non_null(rh_avro_schemas_get(set, "riskhub.test.Logical"));
  rh_avro_schemas_destroy(set);
}

static void expect_add_fails(const char *json, rh_avro_status_t want, const char *needle) {
  char err[512] = "";
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  const rh_avro_schema_t *e = (const rh_avro_schema_t *)1;
  rh_avro_status_t st = rh_avro_schemas_add_json(set, json, strlen(json), "inline.avsc", 1, &e, err,
                                                 sizeof err);
  if (st != want) fail_msg("%s: status %d (%s), want %d", json, st, err, want);
  assert_null(e);
  if (!strstr(err, needle)) fail_msg("message '%s' lacks '%s'", err, needle);
  assert_non_null(strstr(err, "inline.avsc"));
  assert_int_equal(rh_avro_schemas_count(set), 0);
  rh_avro_schemas_destroy(set);
}

static void test_defaults_checked_on_load(void **state) {
  (void)state;
#define REC(fields) "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":[" fields "]}"
  expect_add_fails("\"int\"", RH_AVRO_ESCHEMA, "must be a named type");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":\"int\",\"default\":\"x\"}"), RH_AVRO_ESCHEMA,
                   "t.R, field 'a': default does not fit type int");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":\"int\",\"default\":3000000000}"), RH_AVRO_ESCHEMA,
                   "out of range");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":\"long\",\"default\":1.5}"), RH_AVRO_ESCHEMA,
                   "expected an integer");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":[\"null\",\"int\"],\"default\":\"x\"}"),
                   RH_AVRO_ESCHEMA, "fits no branch");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":\"bytes\",\"default\":\"\\u0100\"}"), RH_AVRO_ESCHEMA,
                   "above 255");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},"
                       "\"default\":\"abc\"}"),
                   RH_AVRO_ESCHEMA, "wrong length");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]},"
                       "\"default\":\"B\"}"),
                   RH_AVRO_ESCHEMA, "not a symbol");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"default\":[1,\"2\"]}"),
                   RH_AVRO_ESCHEMA, "type int");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":{\"type\":\"map\",\"values\":\"int\"},\"default\":[]}"),
                   RH_AVRO_ESCHEMA, "expected a JSON object");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"P\",\"fields\":["
                       "{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"int\"}]},"
                       "\"default\":{\"x\":1}}"),
                   RH_AVRO_ESCHEMA, "no value for field 'y'");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"P\",\"fields\":["
                       "{\"name\":\"x\",\"type\":\"int\"}]},\"default\":{\"x\":1,\"z\":2}}"),
                   RH_AVRO_ESCHEMA, "key 'z' that is not a field");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":\"null\",\"default\":0}"), RH_AVRO_ESCHEMA,
                   "expected null");
  expect_add_fails(REC("{\"name\":\"a\",\"type\":\"float\",\"default\":\"nan\"}"), RH_AVRO_ESCHEMA,
                   "expected a number");
  expect_add_fails("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"Q\"}]}",
                   RH_AVRO_ESCHEMA, "unknown type 'Q'");
}

static void test_duplicates(void **state) {
  (void)state;
  char err[512] = "";
  const char *v1 = REC("{\"name\":\"a\",\"type\":\"int\"}");
  const char *v1_doc = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"doc\":\"same PCF\","
                       "\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}";
  const char *v2 = REC("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0}");
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  const rh_avro_schema_t *h1 = NULL, *e = NULL;
  /* history first, then the same schema as current: promoted */
  assert_int_equal(rh_avro_schemas_add_json(set, v1, strlen(v1), "h1", 0, &h1, err, sizeof err), RH_AVRO_OK);
  assert_false(h1->is_current);
  assert_null(rh_avro_schemas_get(set, "t.R"));
  assert_int_equal(rh_avro_schemas_add_json(set, v1_doc, strlen(v1_doc), "c1", 1, &e, err, sizeof err),
                   RH_AVRO_OK);
  assert_ptr_equal(e, h1);
  assert_true(h1->is_current);
  assert_ptr_equal(rh_avro_schemas_get(set, "t.R"), h1);
  assert_int_equal(rh_avro_schemas_count(set), 1);
  /* the same PCF again as current: duplicate */
  assert_int_equal(rh_avro_schemas_add_json(set, v1, strlen(v1), "c1b", 1, &e, err, sizeof err),
                   RH_AVRO_EDUPLICATE);
  assert_non_null(strstr(err, "already current"));
  /* as history: skipped, the existing entry returned */
  assert_int_equal(rh_avro_schemas_add_json(set, v1, strlen(v1), "h1b", 0, &e, err, sizeof err), RH_AVRO_OK);
  assert_ptr_equal(e, h1);
  /* another current version of the same name: duplicate */
  assert_int_equal(rh_avro_schemas_add_json(set, v2, strlen(v2), "c2", 1, &e, err, sizeof err),
                   RH_AVRO_EDUPLICATE);
  assert_non_null(strstr(err, "already has a current version (h1)"));
  /* but fine as history */
  assert_int_equal(rh_avro_schemas_add_json(set, v2, strlen(v2), "h2", 0, &e, err, sizeof err), RH_AVRO_OK);
  assert_int_equal(rh_avro_schemas_count(set), 2);
  rh_avro_schemas_destroy(set);
}

static void test_load_errors(void **state) {
  (void)state;
  char err[512] = "";
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  assert_int_equal(rh_avro_schemas_load_dir(set, fixture("no-such-dir"), err, sizeof err), RH_AVRO_EIO);
  assert_non_null(strstr(err, "no-such-dir"));
  assert_int_equal(rh_avro_schemas_add_file(set, fixture("nope.avsc"), 1, NULL, err, sizeof err),
                   RH_AVRO_EIO);
  assert_int_equal(rh_avro_schemas_load_dir(NULL, "x", err, sizeof err), RH_AVRO_EINVAL);

  /* A directory with a broken file: the error names the file. */
  char dir[] = "/tmp/rh_avro_test_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[600];
  snprintf(path, sizeof path, "%s/Broken.avsc", dir);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs("{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"a\",\"type\":\"strin\"}]}", fp);
  fclose(fp);
  char other[600];
  snprintf(other, sizeof other, "%s/ignored.json", dir);
  fp = fopen(other, "w");
  fputs("not avro", fp);
  fclose(fp);
  assert_int_equal(rh_avro_schemas_load_dir(set, dir, err, sizeof err), RH_AVRO_ESCHEMA);
  assert_non_null(strstr(err, "Broken.avsc: B, field 'a': unknown type 'strin'"));
  unlink(path);
  unlink(other);
  /* empty directory, no history: fine */
  assert_int_equal(rh_avro_schemas_load_dir(set, dir, err, sizeof err), RH_AVRO_OK);
  rmdir(dir);
  rh_avro_schemas_destroy(set);
}

static void test_default_apply(void **state) {
  (void)state;
  char err[512] = "";
  const char *js =
      REC("{\"name\":\"p\",\"type\":{\"type\":\"record\",\"name\":\"P\",\"fields\":["
          "{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"string\",\"default\":\"why\"},"
          "{\"name\":\"u\",\"type\":[\"null\",\"double\"],\"default\":null}]},"
          "\"default\":{\"x\":7}},"
          "{\"name\":\"u\",\"type\":[\"null\",\"long\",\"string\"],\"default\":\"s\"},"
          "{\"name\":\"f\",\"type\":\"float\",\"default\":\"-Infinity\"},"
          "{\"name\":\"b\",\"type\":\"bytes\",\"default\":\"\\u00ff\\u0000A\"}");
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  const rh_avro_schema_t *e = NULL;
  rh_avro_status_t st = rh_avro_schemas_add_json(set, js, strlen(js), "d", 1, &e, err, sizeof err);
  if (st != RH_AVRO_OK) fail_msg("%s", err);
  const json_t *rj = rh_avro_schema_named_json(e, e->schema);
  assert_non_null(rj);
  assert_string_equal(json_string_value(json_object_get(rj, "name")), "R");
  json_t *fields = json_object_get(rj, "fields");

  avro_value_t v;
  assert_int_equal(rh_avro_schema_value_new(e, &v, err, sizeof err), RH_AVRO_OK);
  for (size_t i = 0; i < 4; i++) {
    avro_value_t f;
    assert_int_equal(avro_value_get_by_index(&v, i, &f, NULL), 0);
    st = rh_avro_default_apply(e, avro_schema_record_field_get_by_index(e->schema, (int)i),
                               json_object_get(json_array_get(fields, i), "default"), &f, err, sizeof err);
    if (st != RH_AVRO_OK) fail_msg("field %zu: %s", i, err);
  }
  avro_value_t p, x, y, u, br;
  int32_t xi;
  const char *s;
  size_t n;
  avro_value_get_by_index(&v, 0, &p, NULL);
  avro_value_get_by_index(&p, 0, &x, NULL);
  avro_value_get_int(&x, &xi);
  assert_int_equal(xi, 7);
  avro_value_get_by_index(&p, 1, &y, NULL); /* left out: the field's own default */
  avro_value_get_string(&y, &s, &n);
  assert_string_equal(s, "why");
  assert_int_equal(n, 4);
  avro_value_get_by_index(&p, 2, &u, NULL);
  int disc;
  avro_value_get_discriminant(&u, &disc);
  assert_int_equal(disc, 0);
  avro_value_get_by_index(&v, 1, &u, NULL); /* a union default fitting its 3rd branch (Avro 1.12) */
  avro_value_get_discriminant(&u, &disc);
  assert_int_equal(disc, 2);
  avro_value_get_current_branch(&u, &br);
  avro_value_get_string(&br, &s, &n);
  assert_string_equal(s, "s");
  avro_value_t f;
  float fl;
  avro_value_get_by_index(&v, 2, &f, NULL);
  avro_value_get_float(&f, &fl);
  assert_true(isinf(fl) && fl < 0);
  const void *bytes;
  avro_value_get_by_index(&v, 3, &f, NULL);
  avro_value_get_bytes(&f, &bytes, &n);
  assert_int_equal(n, 3);
  assert_memory_equal(bytes, "\xff\x00" "A", 3);

  /* check-only mode and a failing default */
  json_t *bad = json_string("x");
  assert_int_equal(rh_avro_default_apply(e, avro_schema_record_field_get_by_index(e->schema, 2), bad,
                                         NULL, err, sizeof err),
                   RH_AVRO_ESCHEMA);
  json_decref(bad);
  assert_int_equal(rh_avro_default_apply(NULL, NULL, NULL, NULL, err, sizeof err), RH_AVRO_EINVAL);
  avro_value_decref(&v);
  rh_avro_schemas_destroy(set);
}

static void test_status_strings(void **state) {
  (void)state;
  for (int s = RH_AVRO_OK; s <= RH_AVRO_ERESOLVE; s++) {
    const char *t = rh_avro_status_str((rh_avro_status_t)s);
    assert_non_null(t);
    assert_string_not_equal(t, "unknown status");
  }
  assert_string_equal(rh_avro_status_str((rh_avro_status_t)999), "unknown status");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_crc64),
      cmocka_unit_test(test_pcf_vectors),
      cmocka_unit_test(test_pcf_edge_cases),
      cmocka_unit_test(test_pcf_invalid),
      cmocka_unit_test(test_load_dir),
      cmocka_unit_test(test_load_pcf_fixtures),
      cmocka_unit_test(test_defaults_checked_on_load),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_load_errors),
      cmocka_unit_test(test_default_apply),
      cmocka_unit_test(test_status_strings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
