/*
 * What the unit tests of riskhub-alerts' record streams (--scale,
 * test_alerts_scale.c; --identity, test_alerts_identity.c) share: the shipped
 * configuration loaded with the topic prefix "t0123abcd.", and a command line
 * parsed from a NULL-terminated list of arguments.
 *
 * Included by one test file at a time (static functions).
 */
#ifndef TEST_ALERTS_FIXTURE_H
#define TEST_ALERTS_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_opts.h"
#include "rh_config.h"
#include "rh_test.h"

static rh_config_t *cfg;

static int setup(void **state) {
  (void)state;
  char path[4096], err[1024];
  rh_test_path(path, sizeof path, "config/riskhub.yaml");
  setenv("RH_TOPIC_PREFIX", "t0123abcd.", 1);
  cfg = rh_config_load(path, err, sizeof err);
  unsetenv("RH_TOPIC_PREFIX");
  if (!cfg) fprintf(stderr, "%s\n", err);
  return cfg ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  rh_config_destroy(cfg);
  return 0;
}

static int parse(alerts_args_t *a, char *err, size_t errsz, ...) {
  char *argv[32];
  int argc = 0;
  argv[argc++] = "riskhub-alerts";
  va_list ap;
  va_start(ap, errsz);
  char *s;
  while ((s = va_arg(ap, char *)) != NULL) argv[argc++] = s;
  va_end(ap);
  argv[argc] = NULL;
  err[0] = '\0';
  return alerts_args_parse(argc, argv, a, err, errsz);
}

#endif
