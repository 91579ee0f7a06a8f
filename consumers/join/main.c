/* riskhub-join: the join service (docs/join.md). The work is in join_loop.c. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "join_loop.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_paths.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-join [--config FILE] [--schemas DIR] [--group ID] [--instance NAME]\n"
      "                    [--idle-exit-ms MS] [--wait-s S] [--batch-max N] [--batch-ms MS]\n"
      "                    [--log-level LEVEL]\n"
      "Joins every department feed with the household registry, exactly once: alerts to\n"
      "alerts.<township>, unknown persons to alerts.unmatched, applicant comparisons to\n"
      "checks.<township>, undecodable records to riskhub.dlq (docs/join.md).\n"
      "  --group ID          consumer group (default <prefix>riskhub-join)\n"
      "  --instance NAME     this instance's name (default 0): its transactional id and\n"
      "                      static group member. Run any number of instances with\n"
      "                      different names: the group shares the feed partitions and\n"
      "                      each alert is published once (the published ids follow the\n"
      "                      partitions: topic <prefix>riskhub-join.published). Never two\n"
      "                      running with one name (the second fences the first: 70)\n"
      "  --idle-exit-ms MS   exit once the broker said for MS that every assigned partition\n"
      "                      is at its end (tests, the demo, benchmarks)\n"
      "  --wait-s S          give up (69) when Kafka or PostgreSQL is away longer (default:\n"
      "                      wait for ever)\n"
      "  --batch-max N, --batch-ms MS   a transaction holds at most N records / MS (10000, 100)\n"
      "Prints one summary line on exit, and at any stop the records remaining. Exit: 0 idle or\n"
      "SIGTERM with nothing left and everything written visible; 69 records remain or could\n"
      "not be counted, or a service away longer than --wait-s; 70 a hanging transaction on an\n"
      "output, a fatal Kafka or database error; 78 configuration; 64 usage (docs/join.md).\n");
}

/* The one summary line on stdout. */
static void print_summary(const join_counts_t *c, const join_stats_t *st) {
  printf("riskhub-join: records=%" PRIu64 " alerts=%" PRIu64 " unmatched=%" PRIu64
         " no_rule=%" PRIu64 " duplicates=%" PRIu64 " dlq=%" PRIu64 " checks=%" PRIu64
         " check_records=%" PRIu64 " identity=%" PRIu64 " manifests=%" PRIu64
         " transactions=%" PRIu64 " aborts=%" PRIu64 " busy_s=%.3f registry_load_s=%.3f"
         " registry_mib=%.1f transform_s=%.3f commit_s=%.3f\n",
         c->records, c->alerts, c->unmatched, c->no_rule, c->duplicates, c->dlq, c->checks,
         c->check_records, c->identity, c->manifests, st->transactions, st->aborts, st->busy_s,
         st->registry_load_s, (double)st->registry_bytes / (1024.0 * 1024.0), st->transform_s,
         st->commit_s);
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
  rh_cli_init(&cli, "riskhub-join", usage);
  join_opts_t o = {.schemas_dir = rh_path_schemas(), .instance = "0", .wait_s = -1,
                   .batch_max = 10000, .batch_ms = 100};
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
  join_counts_t c;
  join_stats_t st;
  rc = join_run(&o, &c, &st);
  print_summary(&c, &st);
  rh_config_destroy(cfg);
  return rc;
}
