/* Every schema under schemas/ parses with Avro C, is a record named after its
 * file in namespace riskhub, and can back a generic value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *schema_names[] = {"FeedRecord", "BatchManifest", "RejectedRow", "Alert",
                                     "CheckResult"};

static char *read_schema(const char *name, size_t *len) {
  const char *src = getenv("RH_SOURCE_DIR");
  char path[4096];
  snprintf(path, sizeof(path), "%s/schemas/%s.avsc", src ? src : RH_SOURCE_DIR, name);
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

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_each_schema_parses)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
