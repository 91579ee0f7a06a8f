/* health_probe_group_offsets on the mock cluster while the group's coordinator
 * moves (OffsetFetch answered NOT_COORDINATOR): the offsets come on a later
 * try; a coordinator that never settles is an error that names the group. The
 * handle is rh_kafka_admin_handle()'s: with a handle without a group,
 * librdkafka dereferences NULL on the first NOT_COORDINATOR (this test then
 * dies of SIGSEGV). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>
#include <string.h>

#include "health_probe.h"
#include "rh_config.h"
#include "rh_kafka.h"
#include "rh_log.h"

#define OFFSET_FETCH 9 /* the Kafka protocol's ApiKey */
#define GROUP "t.riskhub-join"

typedef struct {
  rd_kafka_t *host;
  rd_kafka_mock_cluster_t *mc;
  rh_config_t *cfg;
  rd_kafka_t *adm;
  health_state_t s;
} fx_t;

/* A mock cluster with t.feed.a.b and t.feed.a.c (one partition each); the
 * group committed 2 on t.feed.a.b [0], nothing on t.feed.a.c. */
static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  char err[512];
  assert_non_null(f);
  f->host = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
  assert_non_null(f->host);
  f->mc = rd_kafka_mock_cluster_new(f->host, 1);
  assert_non_null(f->mc);
  const char *boot = rd_kafka_mock_cluster_bootstraps(f->mc);
  rd_kafka_mock_topic_create(f->mc, "t.feed.a.b", 1, 1);
  rd_kafka_mock_topic_create(f->mc, "t.feed.a.c", 1, 1);

  rd_kafka_conf_t *cc = rd_kafka_conf_new();
  assert_int_equal(rd_kafka_conf_set(cc, "bootstrap.servers", boot, err, sizeof err),
                   RD_KAFKA_CONF_OK);
  assert_int_equal(rd_kafka_conf_set(cc, "group.id", GROUP, err, sizeof err), RD_KAFKA_CONF_OK);
  rd_kafka_t *committer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
  assert_non_null(committer);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, "t.feed.a.b", 0)->offset = 2;
  assert_int_equal(rd_kafka_commit(committer, l, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_destroy(committer);

  assert_int_equal(setenv("RH_KAFKA_BOOTSTRAP", boot, 1), 0);
  f->cfg = rh_config_load(RH_SOURCE_DIR "/tests/data/config/minimal.yaml", err, sizeof err);
  assert_non_null(f->cfg);
  f->adm = rh_kafka_admin_handle(f->cfg, err, sizeof err);
  assert_non_null(f->adm);
  f->s.parts = calloc(2, sizeof *f->s.parts);
  assert_non_null(f->s.parts);
  f->s.n = f->s.cap = 2;
  snprintf(f->s.parts[0].topic, sizeof f->s.parts[0].topic, "t.feed.a.b");
  snprintf(f->s.parts[1].topic, sizeof f->s.parts[1].topic, "t.feed.a.c");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  rd_kafka_destroy(f->adm);
  rh_config_destroy(f->cfg);
  health_state_free(&f->s);
  rd_kafka_mock_cluster_destroy(f->mc);
  rd_kafka_destroy(f->host);
  unsetenv("RH_KAFKA_BOOTSTRAP");
  free(f);
  return 0;
}

static void test_offsets_without_a_move(void **state) {
  fx_t *f = *state;
  char err[512] = "";
  int64_t committed[2] = {7, 7};
  assert_int_equal(health_probe_group_offsets(f->adm, &f->s, GROUP, committed, 5000, err,
                                              sizeof err), 0);
  assert_int_equal(committed[0], 2);
  assert_int_equal(committed[1], -1); /* nothing committed there */
}

static void test_offsets_while_the_coordinator_moves(void **state) {
  fx_t *f = *state;
  char err[512] = "";
  int64_t committed[2] = {7, 7};
  rd_kafka_mock_push_request_errors(f->mc, OFFSET_FETCH, 3, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                                    RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                                    RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
  assert_int_equal(health_probe_group_offsets(f->adm, &f->s, GROUP, committed, 10000, err,
                                              sizeof err), 0);
  assert_int_equal(committed[0], 2);
  assert_int_equal(committed[1], -1);
}

static void test_a_coordinator_that_never_settles(void **state) {
  fx_t *f = *state;
  char err[512] = "";
  int64_t committed[2] = {7, 7};
  rd_kafka_resp_err_t moved[40];
  for (size_t i = 0; i < sizeof moved / sizeof *moved; i++)
    moved[i] = RD_KAFKA_RESP_ERR_NOT_COORDINATOR;
  rd_kafka_mock_push_request_errors_array(f->mc, OFFSET_FETCH, sizeof moved / sizeof *moved,
                                          moved);
  assert_int_equal(health_probe_group_offsets(f->adm, &f->s, GROUP, committed, 1500, err,
                                              sizeof err), -1);
  assert_non_null(strstr(err, "the offsets of group " GROUP));
  assert_non_null(strstr(err, "Not coordinator"));
}

int main(void) {
  rh_log_set_level(RH_LOG_ERROR);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_offsets_without_a_move, setup, teardown),
      cmocka_unit_test_setup_teardown(test_offsets_while_the_coordinator_moves, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_coordinator_that_never_settles, setup, teardown)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
