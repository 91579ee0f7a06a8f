/* replay_run without services: periods, and the exit codes of archives that
 * cannot be used (missing 74, changed 65, other month / filter / namespace
 * 64) — all decided before Kafka or PostgreSQL are asked anything. */
#include "test_replay_fixture.h"

#include <unistd.h>

#include "rh_archive.h"
#include "replay_run.h"
#include "rh_exit.h"
#include "rh_log.h"

static void test_period(void **state) {
  (void)state;
  assert_true(replay_period_valid("2026-10"));
  assert_true(replay_period_valid("2026-01"));
  assert_true(replay_period_valid("2026-12"));
  assert_false(replay_period_valid("2026-13"));
  assert_false(replay_period_valid("2026-00"));
  assert_false(replay_period_valid("2026-1"));
  assert_false(replay_period_valid("2026/10"));
  assert_false(replay_period_valid("202610"));
  assert_false(replay_period_valid("2026-10-01"));
  assert_false(replay_period_valid("x026-10"));
  assert_false(replay_period_valid(NULL));
}

static void empty_archive(const rh_avro_schemas_t *s, const char *dir, const char *dept,
                          const char *prefix) {
  char err[1024];
  rh_archive_writer_t *w = rh_archive_create(dir, s, err, sizeof err);
  if (!w) fail_msg("%s", err);
  rh_archive_info_t info = {0};
  snprintf(info.period, sizeof info.period, FX_PERIOD);
  snprintf(info.department, sizeof info.department, "%s", dept ? dept : "");
  snprintf(info.topic_prefix, sizeof info.topic_prefix, "%s", prefix);
  if (rh_archive_close(w, &info, err, sizeof err)) fail_msg("%s", err);
}

static int run(rh_config_t *cfg, const char *dir, const char *period, const char *dept) {
  char schemas[4096];
  snprintf(schemas, sizeof schemas, "%s/schemas", fx_src());
  replay_opts_t o = {.cfg = cfg, .schemas_dir = schemas, .period = period, .department = dept,
                     .from_archive_dir = dir, .threads = 1, .out = stdout};
  return replay_run(&o);
}

static void test_archive_exit_codes(void **state) {
  (void)state;
  rh_log_set_level(RH_LOG_ERROR);
  rh_config_t *cfg = fx_config();
  rh_avro_schemas_t *s = fx_schemas();
  char dir[] = "/tmp/test_replay_run.XXXXXX", a[300], b[300], c[300], cmd[700];
  assert_non_null(mkdtemp(dir));
  snprintf(a, sizeof a, "%s/a", dir);
  snprintf(b, sizeof b, "%s/b", dir);
  snprintf(c, sizeof c, "%s/c", dir);
  empty_archive(s, a, NULL, "");
  empty_archive(s, b, "tax", "");
  empty_archive(s, c, NULL, "t1.");

  snprintf(cmd, sizeof cmd, "%s/none", dir);
  assert_int_equal(run(cfg, cmd, NULL, NULL), RH_EXIT_IOERR);
  assert_int_equal(run(cfg, a, "2026-09", NULL), RH_EXIT_USAGE);  /* another month */
  assert_int_equal(run(cfg, b, NULL, NULL), RH_EXIT_USAGE);       /* holds tax only */
  assert_int_equal(run(cfg, b, NULL, "health"), RH_EXIT_USAGE);
  assert_int_equal(run(cfg, c, NULL, NULL), RH_EXIT_USAGE);       /* namespace t1. */
  snprintf(cmd, sizeof cmd, "cd '%s' && printf x >> archive.json", a);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(run(cfg, a, NULL, NULL), RH_EXIT_REFUSED);     /* changed */

  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  rh_avro_schemas_destroy(s);
  rh_config_destroy(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_period),
      cmocka_unit_test(test_archive_exit_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
