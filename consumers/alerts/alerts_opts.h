/*
 * alerts_opts: riskhub-alerts' command line (alerts_args_parse, no config
 * needed) and what it means once the configuration is known
 * (alerts_plan_make: the townships, topics, consumer group and window).
 *
 * Ownership: args point into argv; a plan owns its topic names (freed by
 * alerts_plan_free; a zeroed plan is fine) and points into the configuration
 * for the townships.
 */
#ifndef ALERTS_OPTS_H
#define ALERTS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alerts_format.h"
#include "rh_config.h"

#define ALERTS_MAX_TOWNSHIPS 64

typedef struct {
  const char *config_path;  /* NULL: rh_path_config() */
  const char *schemas_dir;  /* NULL: rh_path_schemas() */
  const char *townships[ALERTS_MAX_TOWNSHIPS]; /* --township, as given */
  size_t township_count;
  bool all, unmatched, follow, unmasked, no_registry, no_bom, overdue, help;
  bool scale;               /* --scale: the county topic riskhub.scale-risks (alerts_scale_run.h) */
  bool identity;            /* --identity: the townships' identity.<code> (alerts_identity_run.h) */
  const char *group, *operator_name, *output, *from, *period, *log_level;
  const char *overdue_on;   /* --overdue-on DATE (sets overdue) */
  alerts_format_t format;
  int wait_s;               /* default 30 */
} alerts_args_t;

/* Parse argv (getopt_long; resets optind). 0 ok (a->help set for --help); -1
 * with errstr for a usage error (exit 64). Checks what needs no config:
 * --overdue with a township or --all, and neither with --unmatched, --follow,
 * --group nor --no-registry; --scale with none of --township, --all,
 * --unmatched, --overdue, --unmasked, --operator, --no-registry; --identity
 * with none of --scale, --overdue, --unmasked, --operator, --no-registry;
 * values of --format, --from, --period, --wait-s; at least one of
 * --township, --all, --unmatched, --scale; --all not with --township; a window
 * (--from, --period) neither with --follow nor with --group; --operator only
 * with --unmasked; no stray arguments. */
int alerts_args_parse(int argc, char **argv, alerts_args_t *a, char *errstr, size_t errstr_size);

/* The usage text. */
void alerts_usage(FILE *fp);

typedef struct {
  const rh_config_township_t *townships[ALERTS_MAX_TOWNSHIPS]; /* config order, each once */
  size_t township_count;
  bool unmatched;
  bool scale;             /* --scale: topics = { <prefix>riskhub.scale-risks }, no township */
  bool identity;          /* --identity: <prefix>identity.<code> (and identity.unmatched) */
  char *topics[ALERTS_MAX_TOWNSHIPS + 1]; /* full names: <prefix>alerts.<code>, <prefix>alerts.unmatched */
  size_t topic_count;
  bool window;            /* --from / --period / --overdue: assign, no group */
  char group[2048];       /* group mode: the consumer group */
  char window_group[256]; /* window mode: a group.id that is never joined */
  int64_t from_ms;        /* -1, or local midnight of --from in UTC ms */
  char from_date[16];     /* "" or YYYY-MM-DD */
  char period[8];         /* "" or YYYY-MM */
} alerts_plan_t;

/* Resolve the townships (code, name or short name; --all: every township of
 * the config), the topics, and the group: --group, else
 *   <prefix>riskhub-alerts.<what>.<user>
 * where what is "all", or the township codes in config order joined by '+',
 * with "unmatched" added the same way (--scale: what is "scale", the topic
 * <prefix>riskhub.scale-risks; --identity: what followed by ".identity", the
 * topics <prefix>identity.<code> and <prefix>identity.unmatched, so that a
 * township's group stays within its riskhub-alerts.<code>.), and user is what the caller passes (the
 * OS user, or the host name when there is none; NULL or "": "unknown").
 * -1 with errstr (exit 64) for a township the config does not know (the
 * message lists the known ones). */
int alerts_plan_make(const rh_config_t *cfg, const alerts_args_t *a, const char *user,
                     alerts_plan_t *p, char *errstr, size_t errstr_size);
void alerts_plan_free(alerts_plan_t *p);

#endif
