/* riskhub-ledger: the warnings ledger (docs/ledger.md). The work is in ledger_loop.c. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "ledger_loop.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_paths.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-ledger [--config FILE] [--schemas DIR] [--group ID] [--instance NAME]\n"
      "                      [--idle-exit-ms MS] [--wait-s S] [--batch-max N] [--batch-ms MS]\n"
      "                      [--log-level LEVEL]\n"
      "Writes the join's township alerts (alerts.<township>) as rows of PostgreSQL's warnings\n"
      "table and its applicant comparisons (checks.<township>) as rows of check_results, read\n"
      "read_committed, exactly once: each batch's rows and the ledger's position in every\n"
      "partition go in one PostgreSQL transaction (table ledger_offsets), and the ledger\n"
      "starts from those positions, never from Kafka's (docs/ledger.md).\n"
      "  --group ID          consumer group and ledger_offsets key (default <prefix>riskhub-ledger)\n"
      "  --instance NAME     static group member <group>.<NAME> (default 0)\n"
      "  --idle-exit-ms MS   exit once the broker said for MS that every assigned partition\n"
      "                      is at its end (tests, the demo, benchmarks)\n"
      "  --wait-s S          give up (69) when Kafka or PostgreSQL is away longer (default:\n"
      "                      wait for ever)\n"
      "  --batch-max N, --batch-ms MS   a transaction holds at most N records / MS (10000, 200)\n"
      "Prints one summary line on exit, and at any stop the records remaining. Exit: 0 idle or\n"
      "SIGTERM with nothing left; 69 records remain or could not be counted, or a service away\n"
      "longer than --wait-s; 70 a database statement error; 78 configuration, schemas or a\n"
      "database without the ledger's tables; 64 usage (docs/ledger.md).\n");
}

static void print_summary(const ledger_stats_t *s) {
  printf("riskhub-ledger: records=%" PRIu64 " warnings=%" PRIu64 " checks=%" PRIu64
         " existing=%" PRIu64 " skipped=%" PRIu64 " transactions=%" PRIu64 " refused=%" PRIu64
         " outages=%" PRIu64 " busy_s=%.3f write_s=%.3f\n",
         s->records, s->warnings, s->checks, s->existing, s->skipped, s->transactions, s->refused,
         s->outages, s->busy_s, s->write_s);
  fflush(stdout);
}

int main(int argc, char **argv) {
  enum { O_SCHEMAS = 256, O_GROUP, O_INSTANCE, O_IDLE, O_WAIT, O_BMAX, O_BMS };
  static const struct option longopts[] = {
      {"schemas", required_argument, NULL, O_SCHEMAS},   {"group", required_argument, NULL, O_GROUP},
      {"instance", required_argument, NULL, O_INSTANCE}, {"idle-exit-ms", required_argument, NULL, O_IDLE},
      {"wait-s", required_argument, NULL, O_WAIT},       {"batch-max", required_argument, NULL, O_BMAX},
      {"batch-ms", required_argument, NULL, O_BMS},      RH_CLI_LONGOPTS,
      {NULL, 0, NULL, 0}};
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-ledger", usage);
  ledger_opts_t o = {.schemas_dir = rh_path_schemas(), .instance = "0", .wait_s = -1,
                     .batch_max = 10000, .batch_ms = 200};
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
    switch (ch) {
    case O_SCHEMAS: o.schemas_dir = optarg; break;
    case O_GROUP: o.group = optarg; break;
    case O_INSTANCE: o.instance = optarg; break;
    case O_IDLE:
      if (rh_cli_int(&cli, "--idle-exit-ms", optarg, 1, 86400000, &o.idle_exit_ms)) return RH_EXIT_USAGE;
      break;
    case O_WAIT:
      if (rh_cli_int(&cli, "--wait-s", optarg, 0, 86400, &o.wait_s)) return RH_EXIT_USAGE;
      break;
    case O_BMAX:
      if (rh_cli_int(&cli, "--batch-max", optarg, 1, 1000000, &o.batch_max)) return RH_EXIT_USAGE;
      break;
    case O_BMS:
      if (rh_cli_int(&cli, "--batch-ms", optarg, 1, 60000, &o.batch_ms)) return RH_EXIT_USAGE;
      break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (optind != argc) return rh_cli_usage_error(&cli);
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  o.cfg = cfg;
  o.stop = rh_cli_catch_stop();
  ledger_stats_t st;
  rc = ledger_run(&o, &st);
  print_summary(&st);
  rh_config_destroy(cfg);
  return rc;
}
