/* riskhub-push: the bureau's pushes of a month to the departments, as the
 * bureau push party (push_run.h, docs/outbound.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "push_plan.h"
#include "push_run.h"
#include "rh_avro_schema.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_paths.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-push [--config FILE] --period YYYY-MM [--department CODE]\n"
      "                    [--schemas DIR] [--timeout-ms MS] [--log-level LEVEL]\n"
      "Pushes the month to the departments: outbound.<department>.applicants (the\n"
      "households that applied in the month, to the departments with a check feed) and\n"
      "outbound.<department>.new-monitoring-objects (the households included as\n"
      "monitoring objects in the month, to every department), each push one Kafka\n"
      "transaction with its manifest. A push whose content is on its topic already is\n"
      "not sent again. Exit: 0 every push sent or there already; 64 usage;\n"
      "69 PostgreSQL or the broker away (the pushes not listed were not sent);\n"
      "77 refused; 78 configuration; 70 internal.\n");
}

enum { O_PERIOD = 256, O_DEPARTMENT, O_SCHEMAS, O_TIMEOUT };

int main(int argc, char **argv) {
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-push", usage);
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},       {"help", no_argument, NULL, 'h'},
      {"log-level", required_argument, NULL, RH_CLI_LOG_LEVEL},
      {"period", required_argument, NULL, O_PERIOD},
      {"department", required_argument, NULL, O_DEPARTMENT},
      {"schemas", required_argument, NULL, O_SCHEMAS},
      {"timeout-ms", required_argument, NULL, O_TIMEOUT}, {NULL, 0, NULL, 0}};
  push_run_opts_t o = {.timeout_ms = 30000};
  const char *schemas_dir = rh_path_schemas();
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
    switch (ch) {
    case O_PERIOD: o.period = optarg; break;
    case O_DEPARTMENT: o.department = optarg; break;
    case O_SCHEMAS: schemas_dir = optarg; break;
    case O_TIMEOUT:
      if (rh_cli_int(&cli, "--timeout-ms", optarg, 1000, 600000, &o.timeout_ms))
        return RH_EXIT_USAGE;
      break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (!o.period || optind != argc) return rh_cli_usage_error(&cli);
  if (!push_period_valid(o.period)) {
    fprintf(stderr, "riskhub-push: --period: not a month YYYY-MM: %s\n", o.period);
    return RH_EXIT_USAGE;
  }
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  rh_kafka_principal_set("svc.push"); /* its party on the brokers (docs/security.md) */
  rh_avro_schemas_t *schemas;
  if ((rc = rh_cli_schemas(&cli, schemas_dir, &schemas))) {
    rh_config_destroy(cfg);
    return rc;
  }
  o.cfg = cfg;
  o.schemas = schemas;
  rc = push_run(&o);
  rh_avro_schemas_destroy(schemas);
  rh_config_destroy(cfg);
  return rc;
}
