/*
 * rh_test: what the unit tests share (one fixture header, libyang style):
 * where the source tree's fixtures are, the shipped configuration, a mock
 * cluster with a topic.
 *
 * The source tree is $RH_SOURCE_DIR (CTest sets it), else the path compiled
 * into the tests (never into a program, see docs/conventions.md). Header
 * only; for tests, which may abort on a broken fixture.
 */
#ifndef RH_TEST_H
#define RH_TEST_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>

#include "rh_config.h"

/* The source tree's top folder. Static or environment string. */
static inline const char *rh_test_source_dir(void) {
  const char *s = getenv("RH_SOURCE_DIR");
  return s && *s ? s : RH_SOURCE_DIR;
}

/* "<source>/<rel>" into buf; returns buf. */
static inline const char *rh_test_path(char *buf, size_t n, const char *rel) {
  snprintf(buf, n, "%s/%s", rh_test_source_dir(), rel);
  return buf;
}

/* config/riskhub.yaml as shipped: RH_KAFKA_BOOTSTRAP and RH_PG_CONNINFO are
 * unset first, so that the file's own values are what a test sees. The
 * caller destroys it; NULL (the loader's message on stderr) if it does not
 * load. */
static inline rh_config_t *rh_test_config(void) {
  char path[4096], err[512];
  unsetenv("RH_KAFKA_BOOTSTRAP");
  unsetenv("RH_PG_CONNINFO");
  rh_config_t *cfg = rh_config_load(rh_test_path(path, sizeof path, "config/riskhub.yaml"), err,
                                    sizeof err);
  if (!cfg) fprintf(stderr, "config/riskhub.yaml: %s\n", err);
  return cfg;
}

/* librdkafka's mock cluster of one broker, hosted by *host (a producer handle:
 * destroy the cluster first, then the host), with topic (partitions,
 * replication 1), and a client conf pointing at it in *conf (the caller's, or
 * NULL not wanted). Aborts if librdkafka refuses. */
static inline rd_kafka_mock_cluster_t *rh_test_mock_cluster(rd_kafka_t **host, const char *topic,
                                                            int partitions,
                                                            rd_kafka_conf_t **conf) {
  char err[256];
  rd_kafka_mock_cluster_t *mc = NULL;
  *host = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
  if (*host) mc = rd_kafka_mock_cluster_new(*host, 1);
  if (!mc || rd_kafka_mock_topic_create(mc, topic, partitions, 1)) {
    fprintf(stderr, "mock cluster: %s\n", *host ? "not created" : err);
    abort();
  }
  if (conf) {
    *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(*conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mc), err,
                          sizeof err) != RD_KAFKA_CONF_OK) {
      fprintf(stderr, "mock cluster: %s\n", err);
      abort();
    }
  }
  return mc;
}

#endif
