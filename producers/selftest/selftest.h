/*
 * The hub's plumbing check (riskhub-selftest): PostgreSQL answers and keeps
 * what it is given; N synthetic FeedRecords, single-object encoded, are
 * published idempotently to a test topic, every one acknowledged, then read
 * back read_committed and decoded to exactly what was sent.
 */
#ifndef SELFTEST_H
#define SELFTEST_H

#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"

typedef struct {
  const rh_config_t *cfg;
  const char *schemas_dir;
  const char *topic; /* default riskhub.selftest; the topic prefix of cfg is put in front */
  size_t records;    /* default 1000 */
  uint64_t seed;
  int timeout_ms;    /* for delivery and for reading back */
} selftest_opts_t;

/* Runs the checks, prints a report to stdout. Returns an RH_EXIT_* code. */
int selftest_run(const selftest_opts_t *o);

#endif
