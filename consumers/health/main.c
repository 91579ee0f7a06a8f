/* riskhub-health: the hub's health, read only (docs/operations.md, "The hub's
 * health"). The work is in health_run.c. */
#include <getopt.h>
#include <stdio.h>

#include "health_run.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_kafka.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-health [--config FILE] [--window-s N] [--txn-timeout-s N] [--max-lag N]\n"
      "                      [--json] [--timeout-s N] [--log-level LEVEL]\n"
      "The hub's health in the configuration's namespace (topic_prefix), read only: for every\n"
      "partition of its topics (feed.*, alerts.*, checks.*, verifications.*, outbound.*,\n"
      "riskhub.dlq, riskhub-*) the last stable offset (LSO) against the high watermark\n"
      "(HW), sampled twice; open and hanging\n"
      "transactions with the kafka-transactions commands to clear them; the consumer lag of\n"
      "its riskhub* groups (committed offset to LSO) per group and topic; the retention.ms of\n"
      "its topics against the configuration's topics.retention; with archive.dir, the months\n"
      "of the ledger past their deadline, archive.grace and a night without their archive.\n"
      "  --window-s N        seconds between the two samples (default 10; 0: one look)\n"
      "  --txn-timeout-s N   the producers' transaction timeout (default: the config's\n"
      "                      kafka.transaction.timeout.ms, else 60): a transaction open longer\n"
      "                      than this + 10 s whose LSO did not move in the window is hanging\n"
      "  --max-lag N         unhealthy when a group's lag on a topic is above N\n"
      "  --json              one JSON object for scripts instead of the table\n"
      "  --timeout-s N       each request to the broker (default 10)\n"
      "Exit: 0 healthy; 2 unhealthy (a hanging transaction, lag above --max-lag, a topic\n"
      "keeping its records shorter than the configuration asks, or a month's archive overdue);\n"
      "69 broker (or, with archive.dir, PostgreSQL) away; 78 configuration; 64 usage.\n");
}

int main(int argc, char **argv) {
  enum { O_WINDOW = 256, O_TXN, O_MAX_LAG, O_JSON, O_TIMEOUT };
  static const struct option longopts[] = {
      {"window-s", required_argument, NULL, O_WINDOW},
      {"txn-timeout-s", required_argument, NULL, O_TXN},
      {"max-lag", required_argument, NULL, O_MAX_LAG},
      {"json", no_argument, NULL, O_JSON},
      {"timeout-s", required_argument, NULL, O_TIMEOUT},
      RH_CLI_LONGOPTS,
      {NULL, 0, NULL, 0}};
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-health", usage);
  health_opts_t o = {.window_ms = 10000, .txn_timeout_ms = -1, .max_lag = -1,
                     .timeout_ms = 10000};
  long v;
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
    switch (ch) {
    case O_WINDOW:
      if (rh_cli_long(&cli, "--window-s", optarg, 0, 3600, &v)) return RH_EXIT_USAGE;
      o.window_ms = v * 1000;
      break;
    case O_TXN:
      if (rh_cli_long(&cli, "--txn-timeout-s", optarg, 0, 86400, &v)) return RH_EXIT_USAGE;
      o.txn_timeout_ms = v * 1000;
      break;
    case O_MAX_LAG:
      if (rh_cli_long(&cli, "--max-lag", optarg, 0, 1000000000000L, &v)) return RH_EXIT_USAGE;
      o.max_lag = v;
      break;
    case O_JSON: o.json = true; break;
    case O_TIMEOUT:
      if (rh_cli_long(&cli, "--timeout-s", optarg, 1, 600, &v)) return RH_EXIT_USAGE;
      o.timeout_ms = (int)v * 1000;
      break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (optind != argc) return rh_cli_usage_error(&cli);
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  rh_kafka_principal_set("svc.status"); /* its party on the brokers (docs/security.md) */
  o.cfg = cfg;
  o.config_path = cli.config_path;
  rc = health_run(&o);
  rh_config_destroy(cfg);
  return rc;
}
