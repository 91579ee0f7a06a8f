/* rh_cli: whole-number options, the common options, the configuration and
 * the stop signals, as every program's main uses them. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rh_cli.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_test.h"

#ifndef RH_SOURCE_DIR
#define RH_SOURCE_DIR "."
#endif

static void test_parse_long_accepts(void **state) {
  (void)state;
  char err[128] = "";
  long v = 0;
  assert_int_equal(rh_cli_parse_long("--n", "0", 0, 10, &v, err, sizeof err), 0);
  assert_int_equal(v, 0);
  assert_int_equal(rh_cli_parse_long("--n", "10", 0, 10, &v, err, sizeof err), 0);
  assert_int_equal(v, 10);
  assert_int_equal(rh_cli_parse_long("--n", "007", 0, 10, &v, err, sizeof err), 0);
  assert_int_equal(v, 7);
  assert_int_equal(rh_cli_parse_long("--n", "-5", -10, 10, &v, err, sizeof err), 0);
  assert_int_equal(v, -5);
  assert_int_equal(rh_cli_parse_long("--n", "9223372036854775807", 0, LONG_MAX, &v, err,
                                     sizeof err), 0);
  assert_true(v == LONG_MAX);
  assert_string_equal(err, ""); /* untouched on success */
}

/* Each of these is refused with the one message, and the output is left. */
static void test_parse_long_refuses(void **state) {
  (void)state;
  static const char *bad[] = {
      "",                      /* empty */
      "abc",                   /* not a number */
      "12ms",                  /* trailing garbage */
      "12 ",                   /* trailing blank */
      " 12",                   /* leading blank (strtol would take it) */
      "+12",                   /* a sign strtol would take */
      "1e3",                   /* not decimal digits */
      "0x10",                  /* not decimal */
      "-3",                    /* negative where lo >= 0 */
      "-0",                    /* a sign where lo >= 0, even for zero */
      "11",                    /* above hi */
      "99999999999999999999",  /* overflows long */
      "-",                     /* a sign alone */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[128] = "";
    long v = 42;
    assert_int_equal(rh_cli_parse_long("--wait-s", bad[i], 0, 10, &v, err, sizeof err), -1);
    assert_int_equal(v, 42);
    assert_string_equal(err, "--wait-s: expected a whole number from 0 to 10");
  }
  char err[128];
  long v = 42;
  assert_int_equal(rh_cli_parse_long("--n", NULL, 0, 10, &v, err, sizeof err), -1);
  /* below lo, with a negative range */
  assert_int_equal(rh_cli_parse_long("--n", "-11", -10, 10, &v, err, sizeof err), -1);
  assert_string_equal(err, "--n: expected a whole number from -10 to 10");
  assert_int_equal(rh_cli_parse_long("--n", "--1", -10, 10, &v, err, sizeof err), -1);
  assert_int_equal(rh_cli_parse_long("--n", "-99999999999999999999", LONG_MIN, 0, &v, err,
                                     sizeof err), -1);
  assert_int_equal(v, 42);
  /* no buffer: still refused, nothing written */
  assert_int_equal(rh_cli_parse_long("--n", "x", 0, 10, &v, NULL, 0), -1);
}

static void test_parse_int(void **state) {
  (void)state;
  char err[128];
  int v = 7;
  assert_int_equal(rh_cli_parse_int("--threads", "64", 1, 64, &v, err, sizeof err), 0);
  assert_int_equal(v, 64);
  assert_int_equal(rh_cli_parse_int("--threads", "65", 1, 64, &v, err, sizeof err), -1);
  assert_string_equal(err, "--threads: expected a whole number from 1 to 64");
  assert_int_equal(rh_cli_parse_int("--threads", "0", 1, 64, &v, err, sizeof err), -1);
  /* fits a long but not an int: the range keeps it out */
  assert_int_equal(rh_cli_parse_int("--x", "4294967297", 0, 2147483647, &v, err, sizeof err), -1);
  assert_int_equal(v, 64);
}

static void test_parse_u64(void **state) {
  (void)state;
  char err[128];
  uint64_t v = 0;
  assert_int_equal(rh_cli_parse_u64("--seed", "18446744073709551615", 0, UINT64_MAX, &v, err,
                                    sizeof err), 0);
  assert_true(v == UINT64_MAX);
  v = 5;
  assert_int_equal(rh_cli_parse_u64("--seed", "18446744073709551616", 0, UINT64_MAX, &v, err,
                                    sizeof err), -1); /* overflow */
  assert_string_equal(err, "--seed: expected a whole number from 0 to 18446744073709551615");
  assert_int_equal(rh_cli_parse_u64("--seed", "-1", 0, UINT64_MAX, &v, err, sizeof err), -1);
  assert_int_equal(rh_cli_parse_u64("--seed", "1 ", 0, UINT64_MAX, &v, err, sizeof err), -1);
  assert_int_equal(rh_cli_parse_u64("--households", "0", 1, 100, &v, err, sizeof err), -1);
  assert_string_equal(err, "--households: expected a whole number from 1 to 100");
  assert_int_equal(v, 5);
}

static int usage_calls;
static FILE *usage_stream;
static void fake_usage(FILE *fp) {
  usage_calls++;
  usage_stream = fp;
}

static void test_common_options(void **state) {
  (void)state;
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-test", fake_usage);
  assert_string_equal(cli.program, "riskhub-test");
  assert_non_null(cli.config_path); /* the default, never NULL */

  assert_int_equal(rh_cli_option(&cli, 'c', "/etc/x.yaml"), RH_CLI_CONTINUE);
  assert_string_equal(cli.config_path, "/etc/x.yaml");

  assert_int_equal(rh_cli_option(&cli, RH_CLI_LOG_LEVEL, "debug"), RH_CLI_CONTINUE);
  assert_int_equal(rh_log_threshold, RH_LOG_DEBUG);
  assert_int_equal(rh_cli_option(&cli, RH_CLI_LOG_LEVEL, "loud"), RH_EXIT_USAGE);
  assert_int_equal(rh_log_threshold, RH_LOG_DEBUG); /* unchanged */
  assert_int_equal(rh_cli_log_level(&cli, NULL), RH_EXIT_OK);
  assert_int_equal(rh_cli_log_level(&cli, "warn"), RH_EXIT_OK);
  assert_int_equal(rh_log_threshold, RH_LOG_WARN);
  rh_log_set_level(RH_LOG_INFO);

  usage_calls = 0;
  assert_int_equal(rh_cli_option(&cli, 'h', NULL), RH_EXIT_OK);
  assert_int_equal(usage_calls, 1);
  assert_ptr_equal(usage_stream, stdout);
  assert_int_equal(rh_cli_option(&cli, '?', NULL), RH_EXIT_USAGE);
  assert_int_equal(usage_calls, 2);
  assert_ptr_equal(usage_stream, stderr);
  assert_int_equal(rh_cli_usage_error(&cli), RH_EXIT_USAGE);
  assert_int_equal(usage_calls, 3);
}

static void test_main_number_wrappers(void **state) {
  (void)state;
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-test", fake_usage);
  int i = 3;
  long l = 3;
  uint64_t u = 3;
  assert_int_equal(rh_cli_int(&cli, "--batch-ms", "60000", 1, 60000, &i), 0);
  assert_int_equal(i, 60000);
  assert_int_equal(rh_cli_int(&cli, "--batch-ms", "60001", 1, 60000, &i), -1); /* on stderr */
  assert_int_equal(i, 60000);
  assert_int_equal(rh_cli_long(&cli, "--x", "-1", 0, 5, &l), -1);
  assert_int_equal(l, 3);
  assert_int_equal(rh_cli_u64(&cli, "--x", "5", 0, 5, &u), 0);
  assert_true(u == 5);
}

static void test_config(void **state) {
  (void)state;
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-test", fake_usage);
  rh_config_t *cfg = (rh_config_t *)&cli; /* must be reset to NULL */
  cli.config_path = "/nonexistent/riskhub.yaml";
  assert_int_equal(rh_cli_config(&cli, &cfg), RH_EXIT_CONFIG);
  assert_null(cfg);

  char path[4096];
  rh_test_path(path, sizeof path, "config/riskhub.yaml");
  cli.config_path = path;
  assert_int_equal(rh_cli_config(&cli, &cfg), RH_EXIT_OK);
  assert_non_null(cfg);
  assert_string_equal(cfg->county_code, "411024");
  rh_config_destroy(cfg);
}

static void test_stop_signals(void **state) {
  (void)state;
  volatile sig_atomic_t *stop = rh_cli_catch_stop();
  assert_non_null(stop);
  assert_int_equal(*stop, 0);
  raise(SIGTERM); /* would end the test if the handler were not there */
  assert_int_equal(*stop, 1);
  *stop = 0;
  assert_ptr_equal(rh_cli_catch_stop(), stop); /* one flag */
  raise(SIGINT);
  assert_int_equal(*stop, 1);
  *stop = 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_long_accepts),  cmocka_unit_test(test_parse_long_refuses),
      cmocka_unit_test(test_parse_int),           cmocka_unit_test(test_parse_u64),
      cmocka_unit_test(test_common_options),      cmocka_unit_test(test_main_number_wrappers),
      cmocka_unit_test(test_config),              cmocka_unit_test(test_stop_signals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
