/*
 * What the unit tests of riskhub-alerts' command line (test_alerts_opts.c)
 * and record streams (--scale, test_alerts_scale.c; --identity,
 * test_alerts_identity.c) share: the shipped configuration loaded with the
 * topic prefix "t0123abcd.", a command line parsed from a NULL-terminated list
 * of arguments, and a stream's records written by its format into a string.
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

#include "alerts_format.h"
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

/* Parse a NULL-terminated list of arguments (after the program name). */
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

/* n records of size bytes each at recs written in format fmt (bom set, the
 * shipped configuration; unmasked as given), or the line for nothing new when
 * n is 0: a string the caller frees. */
/* (not inlined: GCC then takes the stream's buffer for a dangling local) */
__attribute__((unused, noinline)) static char *write_records(const alerts_record_format_t *k,
                                                             alerts_format_t fmt, bool unmasked,
                                                             const void *recs, size_t size,
                                                             size_t n) {
  alerts_fmt_t f = {.format = fmt, .bom = true, .cfg = cfg, .unmasked = unmasked};
  char *out = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&out, &len);
  assert_non_null(fp);
  assert_int_equal(k->begin(fp, &f), 0);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(k->one(fp, &f, (const char *)recs + i * size), 0);
  if (!n) assert_int_equal(k->nothing(fp, &f), 0);
  fclose(fp);
  return out;
}

#endif
