/* rh_service_cli: see rh_service_cli.h. */
#include "rh_service_cli.h"

#include <getopt.h>

#include "rh_exit.h"
#include "rh_paths.h"

rh_service_opts_t rh_service_opts_default(int batch_ms) {
  return (rh_service_opts_t){.schemas_dir = rh_path_schemas(), .instance = "0", .wait_s = -1,
                             .batch_max = 10000, .batch_ms = batch_ms};
}

void rh_service_usage_options(FILE *fp, const rh_service_opts_t *d) {
  fprintf(fp,
          "  --idle-exit-ms MS   exit once the broker said for MS that every assigned partition\n"
          "                      is at its end (tests, the demo, benchmarks)\n"
          "  --wait-s S          give up (69) when Kafka or PostgreSQL is away longer (default:\n"
          "                      wait for ever)\n"
          "  --batch-max N, --batch-ms MS   a transaction holds at most N records / MS (%d, %d)\n"
          "  --metrics ADDR      serve /metrics (Prometheus) and /healthz on ADDR: HOST:PORT,\n"
          "                      [IPV6]:PORT or :PORT: every IPv4 interface (docs/metrics.md)\n",
          d->batch_max, d->batch_ms);
}

int rh_service_parse(rh_cli_t *cli, int argc, char **argv, rh_service_opts_t *o) {
  enum { O_SCHEMAS = 256, O_GROUP, O_INSTANCE, O_IDLE, O_WAIT, O_BMAX, O_BMS, O_METRICS };
  static const struct option longopts[] = {
      {"schemas", required_argument, NULL, O_SCHEMAS},   {"group", required_argument, NULL, O_GROUP},
      {"instance", required_argument, NULL, O_INSTANCE}, {"idle-exit-ms", required_argument, NULL, O_IDLE},
      {"wait-s", required_argument, NULL, O_WAIT},       {"batch-max", required_argument, NULL, O_BMAX},
      {"batch-ms", required_argument, NULL, O_BMS},      {"metrics", required_argument, NULL, O_METRICS},
      RH_CLI_LONGOPTS,
      {NULL, 0, NULL, 0}};
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
    switch (ch) {
    case O_SCHEMAS: o->schemas_dir = optarg; break;
    case O_GROUP: o->group = optarg; break;
    case O_INSTANCE: o->instance = optarg; break;
    case O_IDLE:
      if (rh_cli_int(cli, "--idle-exit-ms", optarg, 1, 86400000, &o->idle_exit_ms)) return RH_EXIT_USAGE;
      break;
    case O_WAIT:
      if (rh_cli_int(cli, "--wait-s", optarg, 0, 86400, &o->wait_s)) return RH_EXIT_USAGE;
      break;
    case O_BMAX:
      if (rh_cli_int(cli, "--batch-max", optarg, 1, 1000000, &o->batch_max)) return RH_EXIT_USAGE;
      break;
    case O_BMS:
      if (rh_cli_int(cli, "--batch-ms", optarg, 1, 60000, &o->batch_ms)) return RH_EXIT_USAGE;
      break;
    case O_METRICS: o->metrics = optarg; break;
    default:
      if ((rc = rh_cli_option(cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (optind != argc) return rh_cli_usage_error(cli);
  return RH_CLI_CONTINUE;
}
