/*
 * health_run: riskhub-health's one call (docs/operations.md, "The hub's
 * health"): the namespace's topic-partitions sampled twice, window_ms apart
 * (last stable offset against high watermark: open and hanging
 * transactions), then the consumer lag of its riskhub groups, the topics'
 * retention, the monthly archive (health_archive.h); the report to stdout;
 * the exit code.
 *
 * Ownership: the options and the config are the caller's. Threads: main's.
 * Exit codes (common/rh_exit.h): RH_EXIT_OK healthy (open transactions that
 * are not hanging are normal), RH_EXIT_UNHEALTHY (a hanging transaction, a
 * group's lag on a topic above max_lag, a short retention, an overdue
 * month's archive), RH_EXIT_UNAVAILABLE (the broker did not answer, or
 * PostgreSQL when the archive is to be checked), RH_EXIT_SOFTWARE (out of
 * memory).
 */
#ifndef HEALTH_RUN_H
#define HEALTH_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "rh_config.h"

typedef struct {
  const rh_config_t *cfg;
  int64_t window_ms;      /* between the two samples */
  int64_t txn_timeout_ms; /* the producers' transaction.timeout.ms; < 0: the config's, else 60 s */
  int64_t max_lag;        /* < 0: lag never makes the hub unhealthy */
  bool json;              /* JSON for scripts instead of the table */
  int timeout_ms;         /* each request to the broker (and PostgreSQL's connection wait) */
  const char *config_path; /* named in the commands the report prints */
} health_opts_t;

int health_run(const health_opts_t *o);

#endif
