/*
 * rh_service_cli: the command line of riskhub's Kafka group services
 * (riskhub-join, riskhub-ledger): one consumer group, an instance name, the
 * idle exit for tests and the demo, how long a service may be away, and how
 * big a transaction gets. The options, their limits and their usage lines are
 * the same for every such service; what the service does with them is its
 * own (join_opts_t, ledger_opts_t).
 *
 * For main() only, like rh_cli_t's functions (rh_cli.h): messages go to
 * stderr as "<program>: <message>", the exit code is handed back.
 */
#ifndef RH_SERVICE_CLI_H
#define RH_SERVICE_CLI_H

#include <stdio.h>

#include "rh_cli.h"

typedef struct {
  const char *schemas_dir; /* --schemas DIR */
  const char *group;       /* --group ID; NULL: the service's default */
  const char *instance;    /* --instance NAME */
  int idle_exit_ms;        /* --idle-exit-ms MS; 0: never */
  int wait_s;              /* --wait-s S; < 0: wait for ever */
  int batch_max;           /* --batch-max N */
  int batch_ms;            /* --batch-ms MS */
  const char *metrics;     /* --metrics ADDR: serve /metrics and /healthz there
                              (rh_metrics_serve.h); NULL: not at all */
} rh_service_opts_t;

/* The defaults: rh_path_schemas(), group NULL, instance "0", no idle exit,
 * wait for ever, 10000 records and batch_ms a transaction. */
rh_service_opts_t rh_service_opts_default(int batch_ms);

/* The usage lines of --idle-exit-ms, --wait-s, --batch-max, --batch-ms and --metrics
 * (the defaults of d). */
void rh_service_usage_options(FILE *fp, const rh_service_opts_t *d);

/* Parse the whole command line: the service options into *o (which holds the
 * defaults), rh_cli's common ones into cli; no operands. RH_CLI_CONTINUE when
 * the program goes on, else the exit code to return (RH_EXIT_OK after --help,
 * RH_EXIT_USAGE after the message). */
int rh_service_parse(rh_cli_t *cli, int argc, char **argv, rh_service_opts_t *o);

#endif
