/* rh_service_cli: the command line riskhub-join and riskhub-ledger share. */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rh_exit.h"
#include "rh_service_cli.h"

static int usage_calls;
static void fake_usage(FILE *fp) {
  (void)fp;
  usage_calls++;
}

/* getopt_long keeps state between calls: every parse starts afresh */
static int parse(rh_service_opts_t *o, rh_cli_t *cli, int argc, char **argv) {
  optind = 0;
  rh_cli_init(cli, "riskhub-test", fake_usage);
  return rh_service_parse(cli, argc, argv, o);
}

static void test_defaults(void **state) {
  (void)state;
  rh_service_opts_t o = rh_service_opts_default(150);
  assert_non_null(o.schemas_dir);
  assert_null(o.group);
  assert_string_equal(o.instance, "0");
  assert_int_equal(o.idle_exit_ms, 0);
  assert_int_equal(o.wait_s, -1);
  assert_int_equal(o.batch_max, 10000);
  assert_int_equal(o.batch_ms, 150);
  rh_cli_t cli;
  char *argv[] = {"prog", NULL};
  assert_int_equal(parse(&o, &cli, 1, argv), RH_CLI_CONTINUE);
  assert_int_equal(o.batch_ms, 150); /* untouched */
}

static void test_every_option(void **state) {
  (void)state;
  rh_service_opts_t o = rh_service_opts_default(100);
  rh_cli_t cli;
  char *argv[] = {"prog", "--schemas", "/s", "--group", "g1", "--instance", "b",
                  "--idle-exit-ms", "3000", "--wait-s", "0", "--batch-max", "7",
                  "--batch-ms", "60000", "-c", "/etc/r.yaml", NULL};
  assert_int_equal(parse(&o, &cli, 17, argv), RH_CLI_CONTINUE);
  assert_string_equal(o.schemas_dir, "/s");
  assert_string_equal(o.group, "g1");
  assert_string_equal(o.instance, "b");
  assert_int_equal(o.idle_exit_ms, 3000);
  assert_int_equal(o.wait_s, 0);
  assert_int_equal(o.batch_max, 7);
  assert_int_equal(o.batch_ms, 60000);
  assert_string_equal(cli.config_path, "/etc/r.yaml");
}

static void test_refusals(void **state) {
  (void)state;
  rh_cli_t cli;
  struct {
    int argc;
    char *argv[4];
  } bad[] = {
      {3, {"prog", "--batch-ms", "0", NULL}},        /* below the range */
      {3, {"prog", "--batch-max", "1000001", NULL}}, /* above it */
      {3, {"prog", "--wait-s", "5s", NULL}},         /* not a number */
      {3, {"prog", "--idle-exit-ms", "-1", NULL}},
      {2, {"prog", "extra", NULL}},                  /* no operands */
      {2, {"prog", "--no-such", NULL}},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rh_service_opts_t o = rh_service_opts_default(100);
    assert_int_equal(parse(&o, &cli, bad[i].argc, bad[i].argv), RH_EXIT_USAGE);
    assert_int_equal(o.batch_ms, 100);
    assert_int_equal(o.batch_max, 10000);
  }
  usage_calls = 0;
  rh_service_opts_t o = rh_service_opts_default(100);
  char *help[] = {"prog", "--help", NULL};
  assert_int_equal(parse(&o, &cli, 2, help), RH_EXIT_OK);
  assert_int_equal(usage_calls, 1);
}

static void test_usage_lines(void **state) {
  (void)state;
  char buf[2048] = "";
  FILE *fp = fmemopen(buf, sizeof buf - 1, "w");
  assert_non_null(fp);
  rh_service_opts_t d = rh_service_opts_default(200);
  rh_service_usage_options(fp, &d);
  fclose(fp);
  assert_non_null(strstr(buf, "--idle-exit-ms MS"));
  assert_non_null(strstr(buf, "--wait-s S"));
  assert_non_null(strstr(buf, "(10000, 200)"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults), cmocka_unit_test(test_every_option),
      cmocka_unit_test(test_refusals), cmocka_unit_test(test_usage_lines)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
