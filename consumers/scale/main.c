/* riskhub-scale: the month's risks of large-scale return to poverty onto the
 * county topic, as the scale party (scale_run.h, docs/scale.md). */
#include <getopt.h>
#include <stdio.h>

#include "rh_avro_schema.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_clock.h"
#include "rh_paths.h"
#include "scale_month.h"
#include "scale_run.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-scale [--config FILE] --period YYYY-MM|current|previous [--schemas DIR]\n"
      "                     [--timeout-ms MS] [--log-level LEVEL]\n"
      "Counts the month's live warnings per village and township against the\n"
      "configuration's scale_risks rules and sends each place that crosses a rule to\n"
      "the county topic riskhub.scale-risks: RAISED once, UPDATED when the households\n"
      "behind it change, CLEARED when it no longer crosses; a version the topic has\n"
      "already is not sent again. current and previous are the county's months\n"
      "(UTC+08:00). Exit: 0 done; 64 usage; 69 PostgreSQL or the broker\n"
      "away (nothing sent); 77 refused; 78 configuration; 70 internal.\n");
}

enum { O_PERIOD = 256, O_SCHEMAS, O_TIMEOUT };

int main(int argc, char **argv) {
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-scale", usage);
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},       {"help", no_argument, NULL, 'h'},
      {"log-level", required_argument, NULL, RH_CLI_LOG_LEVEL},
      {"period", required_argument, NULL, O_PERIOD},
      {"schemas", required_argument, NULL, O_SCHEMAS},
      {"timeout-ms", required_argument, NULL, O_TIMEOUT}, {NULL, 0, NULL, 0}};
  scale_run_opts_t o = {.timeout_ms = 30000};
  const char *schemas_dir = rh_path_schemas();
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
    switch (ch) {
    case O_PERIOD: o.period = optarg; break;
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
  char period[16];
  if (scale_month_resolve(o.period, rh_wall_ms(), period)) {
    fprintf(stderr, "riskhub-scale: --period: not a month YYYY-MM, current or previous: %s\n",
            o.period);
    return RH_EXIT_USAGE;
  }
  o.period = period;
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  rh_kafka_principal_set("svc.scale"); /* its party on the brokers (docs/security.md) */
  rh_avro_schemas_t *schemas;
  if ((rc = rh_cli_schemas(&cli, schemas_dir, &schemas))) {
    rh_config_destroy(cfg);
    return rc;
  }
  o.cfg = cfg;
  o.schemas = schemas;
  rc = scale_run(&o);
  rh_avro_schemas_destroy(schemas);
  rh_config_destroy(cfg);
  return rc;
}
