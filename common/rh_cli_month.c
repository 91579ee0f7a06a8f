/* rh_cli_month: see rh_cli_month.h. */
#include "rh_cli_month.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_paths.h"
#include "rh_period.h"

enum { O_PERIOD = 256, O_SCHEMAS, O_TIMEOUT };

int rh_cli_month(rh_cli_t *cli, int argc, char **argv, const char *party, rh_cli_month_t *out) {
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},       {"help", no_argument, NULL, 'h'},
      {"log-level", required_argument, NULL, RH_CLI_LOG_LEVEL},
      {"period", required_argument, NULL, O_PERIOD},
      {"schemas", required_argument, NULL, O_SCHEMAS},
      {"timeout-ms", required_argument, NULL, O_TIMEOUT}, {NULL, 0, NULL, 0}};
  memset(out, 0, sizeof *out);
  out->timeout_ms = 30000;
  const char *schemas_dir = rh_path_schemas(), *period = NULL;
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
    switch (ch) {
    case O_PERIOD: period = optarg; break;
    case O_SCHEMAS: schemas_dir = optarg; break;
    case O_TIMEOUT:
      if (rh_cli_int(cli, "--timeout-ms", optarg, 1000, 600000, &out->timeout_ms))
        return RH_EXIT_USAGE;
      break;
    default:
      if ((rc = rh_cli_option(cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (!period || optind != argc) return rh_cli_usage_error(cli);
  if (rh_period_resolve(period, rh_wall_ms(), out->period)) {
    fprintf(stderr, "%s: --period: not a month YYYY-MM, current or previous: %s\n", cli->program,
            period);
    return RH_EXIT_USAGE;
  }
  if ((rc = rh_cli_config(cli, &out->cfg))) return rc;
  rh_kafka_principal_set(party); /* its party on the brokers (docs/security.md) */
  if ((rc = rh_cli_schemas(cli, schemas_dir, &out->schemas))) {
    rh_config_destroy(out->cfg);
    out->cfg = NULL;
    return rc;
  }
  return RH_CLI_CONTINUE;
}

void rh_cli_month_free(rh_cli_month_t *m) {
  rh_avro_schemas_destroy(m->schemas);
  rh_config_destroy(m->cfg);
  memset(m, 0, sizeof *m);
}
