#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "rh_clock.h"
#include "rh_log.h"

static void test_scrub_masks_ids(void **state) {
  (void)state;
  char buf[256];
  strcpy(buf, "bad id 11010519491231002X in row 3");
  rh_log_scrub(buf);
  assert_string_equal(buf, "bad id 110105********002X in row 3");
  strcpy(buf, "id=411024199001010016,");
  rh_log_scrub(buf);
  assert_string_equal(buf, "id=411024********0016,");
  strcpy(buf, "old 410102780101123 id");
  rh_log_scrub(buf);
  assert_string_equal(buf, "old 410102******123 id");
}

static void test_scrub_leaves_other_numbers(void **state) {
  (void)state;
  char buf[256];
  strcpy(buf, "offset 1234567890123456789 bytes 12345 period 2026-10");
  rh_log_scrub(buf);
  assert_string_equal(buf, "offset 1234567890123456789 bytes 12345 period 2026-10");
  strcpy(buf, "batch a11010519491231002Xb");
  rh_log_scrub(buf);
  assert_string_equal(buf, "batch a11010519491231002Xb");
}

static void test_scrub_passwords(void **state) {
  (void)state;
  char buf[256];
  strcpy(buf, "host=127.0.0.1 password=s3cret dbname=x");
  rh_log_scrub(buf);
  assert_string_equal(buf, "host=127.0.0.1 password=*** dbname=x");
  strcpy(buf, "sasl.password: 'hunter2'");
  rh_log_scrub(buf);
  assert_string_equal(buf, "sasl.password: '***'");
}

/* The log written to memory at level lvl, from capture_begin to capture_end
 * (which returns it, malloc'd). */
typedef struct {
  char *mem;
  size_t len;
  FILE *fp;
} capture_t;

static void capture_begin(capture_t *c, rh_log_level_t lvl) {
  c->mem = NULL;
  c->len = 0;
  c->fp = open_memstream(&c->mem, &c->len);
  assert_non_null(c->fp);
  rh_log_set_stream(c->fp);
  rh_log_set_level(lvl);
}

static char *capture_end(capture_t *c) {
  rh_log_set_stream(NULL);
  fclose(c->fp);
  return c->mem;
}

static void test_level_filter_and_stream(void **state) {
  (void)state;
  capture_t c;
  capture_begin(&c, RH_LOG_WARN);
  rh_log_info("hidden %d", 1);
  rh_log_warn("shown %s 11010519491231002X", "id");
  char *mem = capture_end(&c);
  assert_null(strstr(mem, "hidden"));
  assert_non_null(strstr(mem, "WARN: shown id 110105********002X"));
  free(mem);
  rh_log_level_t l;
  assert_int_equal(rh_log_level_parse("DEBUG", &l), 0);
  assert_int_equal(l, RH_LOG_DEBUG);
  assert_int_equal(rh_log_level_parse("loud", &l), -1);
}

/* librdkafka's lines: a SASL handshake cut by its transport is not an
 * authentication error an operator acts on (debug); a real failure stays. */
static void test_rdkafka_levels(void **state) {
  (void)state;
  capture_t c;
  capture_begin(&c, RH_LOG_INFO);
  rh_log_rdkafka_cb(NULL, 3, "FAIL",
                    "GroupCoordinator: SASL authentication error: SaslAuthenticateRequest "
                    "failed: Local: Broker transport failure (after 0ms in state DOWN)");
  rh_log_rdkafka_cb(NULL, 3, "FAIL",
                    "127.0.0.1:19092/1: SASL authentication error: Authentication failed during "
                    "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512");
  char *mem = capture_end(&c);
  assert_null(strstr(mem, "state DOWN"));
  assert_non_null(strstr(mem, "ERROR: librdkafka FAIL: 127.0.0.1:19092/1: SASL authentication "
                              "error: Authentication failed"));
  free(mem);
}

static void test_level_option(void **state) {
  (void)state;
  assert_int_equal(rh_log_level_option("t", "debug"), 0);
  assert_int_equal(rh_log_threshold, RH_LOG_DEBUG);
  assert_int_equal(rh_log_level_option("t", "WARN"), 0);
  assert_int_equal(rh_log_threshold, RH_LOG_WARN);
  assert_int_equal(rh_log_level_option("t", "loud"), -1); /* says so on stderr */
  assert_int_equal(rh_log_threshold, RH_LOG_WARN);         /* unchanged */
  rh_log_set_level(RH_LOG_INFO);
}

static void test_clocks(void **state) {
  (void)state;
  int64_t m0 = rh_mono_ms(), w = rh_wall_ms();
  assert_true(w > INT64_C(1735689600000)); /* after 2025-01-01 */
  assert_true(w < INT64_C(4102444800000)); /* before 2100 */
  int64_t m1 = rh_mono_ms();
  assert_true(m1 >= m0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scrub_masks_ids),
      cmocka_unit_test(test_scrub_leaves_other_numbers),
      cmocka_unit_test(test_scrub_passwords),
      cmocka_unit_test(test_level_filter_and_stream),
      cmocka_unit_test(test_level_option),
      cmocka_unit_test(test_rdkafka_levels),
      cmocka_unit_test(test_clocks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
