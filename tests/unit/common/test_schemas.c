/* Every schema under schemas/ parses with Avro C, is a record named after its
 * file in namespace riskhub, and can back a generic value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <avro.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_test.h"

static const char *schema_names[] = {"FeedRecord", "BatchManifest", "RejectedRow", "Alert",
                                     "CheckResult"};

static char *read_schema(const char *name, size_t *len) {
  char path[4096], rel[256];
  snprintf(rel, sizeof rel, "schemas/%s.avsc", name);
  rh_test_path(path, sizeof path, rel);
  FILE *fp = fopen(path, "rb");
  if (!fp) fail_msg("cannot open %s", path);
  static char buf[65536];
  *len = fread(buf, 1, sizeof(buf) - 1, fp);
  buf[*len] = '\0';
  fclose(fp);
  return buf;
}

static void test_each_schema_parses(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof(schema_names) / sizeof(schema_names[0]); i++) {
    size_t len;
    char *json = read_schema(schema_names[i], &len);
    avro_schema_t schema = NULL;
    avro_schema_error_t err = NULL;
    if (avro_schema_from_json(json, (int32_t)len, &schema, &err) != 0)
      fail_msg("%s.avsc does not parse: %s", schema_names[i], avro_strerror());
    assert_true(is_avro_record(schema));
    assert_string_equal(avro_schema_name(schema), schema_names[i]);
    assert_string_equal(avro_schema_namespace(schema), "riskhub");
    assert_true(avro_schema_record_size(schema) >= 5);
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    assert_non_null(iface);
    avro_value_t value;
    assert_int_equal(avro_generic_value_new(iface, &value), 0);
    avro_value_decref(&value);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
  }
}

/* Every record and every field says what it is: the .avsc files are the
 * contract with the departments and the dashboards. */
static void check_docs(json_t *node, const char *where) {
  if (json_is_array(node)) {
    size_t i;
    json_t *item;
    json_array_foreach(node, i, item) check_docs(item, where);
    return;
  }
  if (!json_is_object(node)) return;
  const char *type = json_string_value(json_object_get(node, "type"));
  if (type && strcmp(type, "record") == 0) {
    if (!json_is_string(json_object_get(node, "doc")))
      fail_msg("%s: record %s has no doc", where, json_string_value(json_object_get(node, "name")));
    size_t i;
    json_t *field;
    json_array_foreach(json_object_get(node, "fields"), i, field) {
      const char *doc = json_string_value(json_object_get(field, "doc"));
      if (!doc || strlen(doc) < 8)
        fail_msg("%s: field %s has no doc", where, json_string_value(json_object_get(field, "name")));
      check_docs(json_object_get(field, "type"), where);
    }
  }
  check_docs(json_object_get(node, "items"), where);
  check_docs(json_object_get(node, "values"), where);
}

static void test_every_field_documented(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof(schema_names) / sizeof(schema_names[0]); i++) {
    size_t len;
    char *text = read_schema(schema_names[i], &len);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root) fail_msg("%s.avsc: %s", schema_names[i], jerr.text);
    check_docs(root, schema_names[i]);
    json_decref(root);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_each_schema_parses),
                                     cmocka_unit_test(test_every_field_documented)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
