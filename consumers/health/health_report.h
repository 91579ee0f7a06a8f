/*
 * health_report: riskhub-health's output (docs/operations.md, "The hub's
 * health"): a table for the operator on call, or one JSON object for
 * scripts. Only names and offsets: nothing of any record's content.
 *
 * Ownership: nothing is kept. Threads: any (fp is the caller's). Failure:
 * -1 when the output could not be written (or for memory, JSON).
 */
#ifndef HEALTH_REPORT_H
#define HEALTH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "health_probe.h"

typedef struct {
  const char *prefix;
  int64_t window_ms, limit_ms; /* limit_ms: the age beyond which an open transaction hangs */
  int64_t max_lag;             /* < 0 none */
  int64_t now_wall_ms;
  size_t open, hanging;        /* partitions */
  size_t lag_over;             /* group-topic rows with lag > max_lag */
  size_t retention_short;      /* topics keeping records shorter than the configuration asks */
  size_t archive_overdue;      /* months past due without their monthly archive */
  const char *config_path;     /* for the commands printed (NULL: the default) */
} health_summary_t;

/* Anything that makes the hub unhealthy (exit 2)? */
bool health_summary_unhealthy(const health_summary_t *sum);

int health_report_table(FILE *fp, const health_state_t *s, const health_summary_t *sum);
int health_report_json(FILE *fp, const health_state_t *s, const health_summary_t *sum);

#endif
