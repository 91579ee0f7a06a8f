/*
 * What the unit tests of riskhub-status's tables read from topics
 * (tests/unit/status/test_status_scale.c, test_status_identity.c) share: a
 * configuration of two townships (马栏镇 first), a report of 2026-10 as of
 * 2026-11-20 12:00 in the county's time (UTC+08:00), that time's helper, and
 * a grid rendered as CSV or as the table.
 *
 * Synthetic data only. Included by one test file at a time (static functions).
 */
#ifndef TEST_STATUS_FIXTURE_H
#define TEST_STATUS_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_config.h"
#include "status_grid.h"
#include "status_render.h"
#include "status_report.h"

static const char YAML[] =
    "county: {code: \"411024\", name: 鄢陵县}\n"
    "kafka: {bootstrap.servers: 127.0.0.1:19092}\n"
    "postgres: {conninfo: \"host=127.0.0.1\"}\n"
    "townships:\n"
    "  - {code: \"411024101\", name: 马栏镇}\n"
    "  - {code: \"411024100\", name: 安陵镇}\n"
    "departments:\n"
    "  - code: civil-affairs\n"
    "    name: 民政局\n"
    "    feeds:\n"
    "      - {code: new-dibao, name: 新增低保, kind: signal, risk: LOW_INCOME,\n"
    "         columns: {id_number: 身份证号}}\n"
    "deadlines: {delivery_day: 10, home_visit_days: 3, comparison_days: 5, "
    "procedure_working_days: 20}\n";

static int64_t cst(int y, int mo, int d, int h, int mi) {
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h - 8,
                  .tm_min = mi};
  return (int64_t)timegm(&tm) * 1000;
}

static const int64_t AS_OF_DAY = 20; /* 2026-11-20 12:00 local */

typedef struct {
  rh_config_t *cfg;
  status_report_t *r;
} fx_t;

static int setup(void **state) {
  char err[512];
  fx_t *f = calloc(1, sizeof *f);
  f->cfg = rh_config_load_string(YAML, strlen(YAML), "test.yaml", err, sizeof err);
  if (!f->cfg) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  f->r = status_report_new(f->cfg, 2026, 10, 1, 0, cst(2026, 11, (int)AS_OF_DAY, 12, 0), 480,
                           err, sizeof err);
  if (!f->r || status_report_finish(f->r)) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  status_report_destroy(f->r);
  rh_config_destroy(f->cfg);
  free(f);
  return 0;
}

/* The fourth quarter of 2026 as of 2027-01-20 12:00 in the county's time. */
static status_report_t *quarter_report(const fx_t *f) {
  char err[256];
  status_report_t *q = status_report_new(f->cfg, 2026, 10, 3, 4, cst(2027, 1, 20, 12, 0), 480,
                                         err, sizeof err);
  assert_non_null(q);
  assert_int_equal(status_report_finish(q), 0);
  return q;
}

/* g (not NULL) as CSV (csv) or the table, in a string the caller frees; g destroyed */
static char *render_grid(status_grid_t *g, int csv) {
  assert_non_null(g);
  char *out = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&out, &len);
  assert_non_null(fp);
  assert_int_equal(csv ? status_render_csv(fp, &g, 1) : status_render_table(fp, "T", &g, 1), 0);
  fclose(fp);
  status_grid_destroy(g);
  return out;
}

#endif
