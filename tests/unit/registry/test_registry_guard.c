/* registry_guard without a database: the verdict (share and emptied places)
 * and the lines the operator reads. (Measuring a real database is
 * tests/integration/test_registry.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_guard.h"
#include "rh_config.h"
#include "rh_test.h"

static registry_guard_t counts(uint64_t now, uint64_t hh, uint64_t mb, uint64_t ap) {
  registry_guard_t g = {0};
  g.households_now = now;
  g.households_deleted = hh;
  g.members_deleted = mb;
  g.applications_deleted = ap;
  return g;
}

static void add_place(registry_guard_t *g, const char *township, const char *village,
                      uint64_t n) {
  g->places = realloc(g->places, (g->place_count + 1) * sizeof(*g->places));
  assert_non_null(g->places);
  registry_guard_place_t *p = &g->places[g->place_count++];
  memset(p, 0, sizeof(*p));
  snprintf(p->township, sizeof(p->township), "%s", township);
  p->village = village ? strdup(village) : NULL;
  p->households = n;
  g->place_cap = g->place_count;
}

static void test_share(void **state) {
  (void)state;
  registry_guard_t g = counts(2000, 100, 320, 1);
  assert_int_equal(registry_guard_judge(&g, 0.05), 0); /* exactly 5 %: not more */
  g.households_deleted = 101;
  assert_int_equal(registry_guard_judge(&g, 0.05), REGISTRY_GUARD_SHARE);
  assert_int_equal(registry_guard_judge(&g, 0.10), 0);
  g.households_deleted = 1000;
  assert_true(registry_guard_share(&g) == 0.5);
  assert_int_equal(registry_guard_judge(&g, 0.05), REGISTRY_GUARD_SHARE);
  assert_int_equal(registry_guard_judge(&g, 1.0), 0);
  /* 0: any deleted household trips it; none does not */
  g.households_deleted = 1;
  assert_int_equal(registry_guard_judge(&g, 0.0), REGISTRY_GUARD_SHARE);
  g.households_deleted = 0;
  assert_int_equal(registry_guard_judge(&g, 0.0), 0);
  /* the half-county case of issue #10 */
  g = counts(100000, 50000, 162010, 229);
  assert_int_equal(registry_guard_judge(&g, 0.05), REGISTRY_GUARD_SHARE);
}

static void test_first_import_never_refused(void **state) {
  (void)state;
  registry_guard_t g = counts(0, 0, 0, 0);
  assert_int_equal(registry_guard_judge(&g, 0.0), 0);
  assert_true(registry_guard_share(&g) == 0.0);
  /* even with (impossible) places: nothing was there to lose */
  add_place(&g, "411024100", NULL, 0);
  assert_int_equal(registry_guard_judge(&g, 0.05), 0);
  registry_guard_free(&g);
}

static void test_places(void **state) {
  (void)state;
  registry_guard_t g = counts(2000, 9, 30, 0);
  add_place(&g, "411024100", "张庄村", 9);
  assert_int_equal(registry_guard_judge(&g, 0.05), REGISTRY_GUARD_PLACES);
  assert_int_equal(registry_guard_judge(&g, 1.0), REGISTRY_GUARD_PLACES);
  g.households_deleted = 500;
  assert_int_equal(registry_guard_judge(&g, 0.05), REGISTRY_GUARD_SHARE | REGISTRY_GUARD_PLACES);
  registry_guard_free(&g);
  assert_null(g.places);
  assert_int_equal(g.place_count, 0);
  registry_guard_free(&g); /* zeroed: fine */
  registry_guard_free(NULL);
}

static void test_describe(void **state) {
  (void)state;
  char buf[512];
  registry_guard_t g = counts(2000, 1000, 3250, 4);
  registry_guard_describe(&g, 0.05, buf, sizeof(buf));
  assert_string_equal(buf, "would delete 1000 of 2000 households (50.0 %, more than the 5.0 % "
                           "allowed by registry.max_delete_share), 3250 members and 4 "
                           "applications");
  g = counts(2000, 3, 1, 1);
  registry_guard_describe(&g, 0.05, buf, sizeof(buf));
  assert_string_equal(buf, "would delete 3 of 2000 households (0.1 %, within the 5.0 % allowed "
                           "by registry.max_delete_share), 1 member and 1 application");
  char tiny[16];
  registry_guard_describe(&g, 0.05, tiny, sizeof(tiny));
  assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

static void test_place_lines(void **state) {
  (void)state;
  char path[1024], err[512], buf[512];
  rh_test_path(path, sizeof path, "tests/data/config/minimal.yaml");
  rh_config_t *cfg = rh_config_load(path, err, sizeof(err));
  if (!cfg) fail_msg("%s", err);
  registry_guard_t g = counts(2000, 200, 600, 0);
  add_place(&g, "411024101", NULL, 167);
  add_place(&g, "411024100", "张庄村", 1);
  add_place(&g, "411024199", "李村", 2); /* a code the configuration does not know */
  registry_guard_place_line(&g, 0, cfg, buf, sizeof(buf));
  assert_string_equal(buf, "every household of township 411024101 马栏镇 would be deleted "
                           "(167 households)");
  registry_guard_place_line(&g, 1, cfg, buf, sizeof(buf));
  assert_string_equal(buf, "every household of village 张庄村 of township 411024100 安陵镇 "
                           "would be deleted (1 household)");
  registry_guard_place_line(&g, 2, cfg, buf, sizeof(buf));
  assert_string_equal(buf, "every household of village 李村 of township 411024199 would be "
                           "deleted (2 households)");
  registry_guard_place_line(&g, 0, NULL, buf, sizeof(buf));
  assert_string_equal(buf, "every household of township 411024101 would be deleted "
                           "(167 households)");
  registry_guard_place_line(&g, 3, cfg, buf, sizeof(buf));
  assert_string_equal(buf, "");
  registry_guard_free(&g);
  rh_config_destroy(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_share),
      cmocka_unit_test(test_first_import_never_refused),
      cmocka_unit_test(test_places),
      cmocka_unit_test(test_describe),
      cmocka_unit_test(test_place_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
