/* replay_report: the table and the JSON of a report with differences (ID
 * numbers masked, every field there), of an equal month, and records the
 * manifests promise that were not found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_report.h"
#include "rh_config.h"
#include "rh_test.h"

static rh_config_t *config(void) {
  char path[4096], err[1024];
  rh_test_path(path, sizeof path, "config/riskhub.yaml");
  rh_config_t *cfg = rh_config_load(path, err, sizeof err);
  if (!cfg) fail_msg("%s", err);
  return cfg;
}

#define PERSON "41102419800101001X"
#define ID1 "1111111111111111111111111111111111111111111111111111111111111111"
#define ID2 "2222222222222222222222222222222222222222222222222222222222222222"

static char *render(const replay_report_t *r, int json) {
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  assert_int_equal(json ? replay_report_print_json(r, fp) : replay_report_print_table(r, fp), 0);
  fclose(fp);
  return buf;
}

static bool has_full_id(const char *text) {
  regex_t re;
  assert_int_equal(
      regcomp(&re, "(^|[^0-9A-Za-z])[0-9]{17}[0-9Xx]([^0-9A-Za-z]|$)", REG_EXTENDED), 0);
  bool found = regexec(&re, text, 0, NULL, 0) == 0;
  regfree(&re);
  return found;
}

static void no_full_id(const char *text) {
  assert_true(has_full_id("person " PERSON "\n")); /* the check itself */
  assert_false(has_full_id(text));
}

static void build(replay_report_t *r, rh_config_t *cfg) {
  assert_int_equal(replay_report_init(r, cfg, "2026-10", "health", NULL, "broker"), 0);
  assert_int_equal(r->nfeeds, 1); /* health has one feed */
  size_t h = replay_report_feed(r, "health", "major-disease");
  assert_int_equal(h, 0);
  assert_string_equal(r->feeds[0].kind, "signal");
  r->feeds[h].batches = 2;
  r->feeds[h].records = 40;
  r->feeds[h].records_expected = 40;
  r->feeds[h].rejects = 3;
  r->feeds[h].alerts_expected = 30;
  r->feeds[h].alerts_published = 31;
  replay_diff_t *d = replay_report_add_diff(r, REPLAY_CHANGED, REPLAY_OUT_ALERT, h, ID2);
  assert_non_null(d);
  assert_int_equal(replay_report_set(&d->person, PERSON), 0);
  assert_int_equal(replay_report_set(&d->rule, "illness-major-disease"), 0);
  assert_int_equal(replay_report_set(&d->household_expected, "411024100-001-0001"), 0);
  assert_int_equal(replay_report_set(&d->household_published, "411024101-001-0001"), 0);
  assert_int_equal(replay_report_add_change(d, "severity", "high", "medium"), 0);
  assert_int_equal(replay_report_add_change(d, "person_name", NULL, NULL), 0);
  assert_int_equal(replay_report_set(&d->source.topic, "feed.health.major-disease"), 0);
  d->source.partition = 1;
  d->source.offset = 17;
  assert_int_equal(replay_report_set(&d->source.batch_id, "ab12"), 0);
  assert_int_equal(replay_report_set(&d->published.topic, "alerts.411024100"), 0);
  d->published.partition = 2;
  d->published.offset = 5;
  d->created_at = 1790000000123;
  d->cause = REPLAY_REGISTRY_CHANGED;
  d->registry_changed_at = 1790000999000;
  d = replay_report_add_diff(r, REPLAY_EXTRA, REPLAY_OUT_ALERT, h, ID1);
  assert_int_equal(replay_report_set(&d->person, PERSON), 0);
  d->duplicate = true;
  assert_int_equal(replay_report_set(&d->published.topic, "alerts.411024100"), 0);
  d->published.partition = 0;
  d->published.offset = 9;
  replay_report_sort(r);
}

static void test_table(void **state) {
  (void)state;
  rh_config_t *cfg = config();
  replay_report_t r;
  build(&r, cfg);
  assert_int_equal(r.ndiffs, 2);
  assert_int_equal(r.diffs[0].kind, REPLAY_EXTRA); /* sorted: extra before changed */
  assert_int_equal(replay_report_differences(&r), 2);
  char *t = render(&r, 0);
  no_full_id(t);
  assert_non_null(strstr(t, "period 2026-10, department health, from the broker"));
  assert_non_null(strstr(t, "411024********001X"));
  assert_non_null(strstr(t, "30/31"));
  assert_non_null(strstr(t, "DIFFERENCES: 2 (0 missing, 1 extra, 1 changed): 1 registry changed "
                            "since, 1 unexplained"));
  assert_non_null(strstr(t, "severity (published high, expected medium), person_name\n"));
  assert_non_null(strstr(t, "411024100-001-0001 (published: 411024101-001-0001)"));
  assert_non_null(strstr(t, "feed.health.major-disease [1] offset 17, batch ab12"));
  assert_non_null(strstr(t, "alerts.411024100 [2] offset 5, created 2026-09-21T"));
  assert_non_null(strstr(t, "(published more than once)"));
  assert_non_null(strstr(t, "registry changed since (last change"));
  assert_non_null(strstr(t, "result: DIFFERENT"));
  free(t);
  replay_report_free(&r);
  rh_config_destroy(cfg);
}

static void test_json(void **state) {
  (void)state;
  rh_config_t *cfg = config();
  replay_report_t r;
  build(&r, cfg);
  char *t = render(&r, 1);
  no_full_id(t);
  json_error_t je;
  json_t *o = json_loads(t, 0, &je);
  assert_non_null(o);
  assert_string_equal(json_string_value(json_object_get(o, "period")), "2026-10");
  assert_string_equal(json_string_value(json_object_get(o, "department")), "health");
  assert_true(json_is_null(json_object_get(o, "feed")));
  assert_string_equal(json_string_value(json_object_get(o, "result")), "different");
  json_t *feeds = json_object_get(o, "feeds");
  assert_int_equal(json_array_size(feeds), 1);
  json_t *f0 = json_array_get(feeds, 0);
  assert_int_equal(json_integer_value(json_object_get(f0, "rejects")), 3);
  assert_int_equal(json_integer_value(json_object_get(f0, "alerts_published")), 31);
  assert_int_equal(json_integer_value(json_object_get(f0, "changed")), 1);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "totals"), "records")),
                   40);
  json_t *diffs = json_object_get(o, "differences");
  assert_int_equal(json_array_size(diffs), 2);
  json_t *c = json_array_get(diffs, 1);
  assert_string_equal(json_string_value(json_object_get(c, "kind")), "changed");
  assert_string_equal(json_string_value(json_object_get(c, "id")), ID2);
  assert_string_equal(json_string_value(json_object_get(c, "person")), "411024********001X");
  assert_string_equal(json_string_value(json_object_get(c, "cause")), "registry_changed_since");
  json_t *fl = json_object_get(c, "fields");
  assert_int_equal(json_array_size(fl), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(fl, 0), "published")),
                      "high");
  assert_null(json_object_get(json_array_get(fl, 1), "published"));
  json_t *lin = json_object_get(c, "lineage");
  assert_int_equal(json_integer_value(json_object_get(lin, "offset")), 17);
  assert_string_equal(json_string_value(json_object_get(lin, "batch_id")), "ab12");
  json_t *pub = json_object_get(c, "published");
  assert_int_equal(json_integer_value(json_object_get(pub, "created_at")), 1790000000123);
  json_t *x = json_array_get(diffs, 0);
  assert_true(json_is_true(json_object_get(x, "duplicate")));
  assert_true(json_is_null(json_object_get(x, "lineage")));
  assert_string_equal(json_string_value(json_object_get(x, "cause")), "unexplained");
  json_decref(o);
  free(t);
  replay_report_free(&r);
  rh_config_destroy(cfg);
}

static void test_equal_and_not_found(void **state) {
  (void)state;
  rh_config_t *cfg = config();
  replay_report_t r;
  assert_int_equal(replay_report_init(&r, cfg, "2026-10", NULL, NULL, "archive /x"), 0);
  assert_true(r.nfeeds > 20); /* every feed of the config */
  char *t = render(&r, 0);
  assert_non_null(strstr(t, "all departments, from the archive /x"));
  assert_non_null(strstr(t, "no difference"));
  assert_non_null(strstr(t, "result: equal"));
  free(t);
  assert_int_equal(replay_report_differences(&r), 0);
  /* 10 records promised, 7 found: incomplete, which counts as a difference */
  r.feeds[0].records_expected = 10;
  r.feeds[0].records = 7;
  assert_int_equal(replay_report_records_not_found(&r), 3);
  assert_int_equal(replay_report_differences(&r), 1);
  t = render(&r, 0);
  assert_non_null(strstr(t, "NOT FOUND: 3 records"));
  assert_non_null(strstr(t, "7 of 10"));
  assert_non_null(strstr(t, "result: DIFFERENT"));
  free(t);
  replay_report_free(&r);
  rh_config_destroy(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_equal_and_not_found),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
