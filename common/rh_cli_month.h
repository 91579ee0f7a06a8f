/*
 * rh_cli_month: the command line of a monthly batch program of the bureau
 * (riskhub-scale, riskhub-identity):
 *     [--config FILE] --period YYYY-MM|current|previous [--schemas DIR]
 *     [--timeout-ms MS] [--log-level LEVEL] [--help]
 * current and previous are the county's months (rh_period_resolve). The
 * configuration and the schemas are loaded and the program's party on the
 * brokers set (rh_kafka_principal_set), as every program's main does.
 */
#ifndef RH_CLI_MONTH_H
#define RH_CLI_MONTH_H

#include "rh_avro_schema.h"
#include "rh_cli.h"
#include "rh_config.h"

typedef struct {
  rh_config_t *cfg;
  rh_avro_schemas_t *schemas;
  char period[16];
  int timeout_ms; /* --timeout-ms, 1000..600000, default 30000 */
} rh_cli_month_t;

/* RH_CLI_CONTINUE with *out filled (free with rh_cli_month_free), or the exit
 * code main returns (64 usage, 0 --help, 78 configuration or schemas), the
 * message said. */
int rh_cli_month(rh_cli_t *cli, int argc, char **argv, const char *party, rh_cli_month_t *out);
void rh_cli_month_free(rh_cli_month_t *m);

#endif
