/* riskhub-selftest: check the hub's plumbing end to end (see selftest.h). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_paths.h"
#include "selftest.h"

static void usage(FILE *fp) {
  fprintf(fp,
          "usage: riskhub-selftest [--config FILE] [--records N] [--topic T] [--schemas DIR]\n"
          "                        [--timeout-ms MS] [--log-level LEVEL]\n"
          "Publishes N synthetic FeedRecords to a test topic (default riskhub.selftest,\n"
          "after the topic prefix, topic_prefix or RH_TOPIC_PREFIX) and reads them back,\n"
          "and writes and reads a row in PostgreSQL. Exit 0 ok, 69 broker or database away,\n"
          "70 a record came back different, 78 configuration or schema error.\n");
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"records", required_argument, NULL, 'n'},    {"topic", required_argument, NULL, 't'},
      {"schemas", required_argument, NULL, 's'},    {"timeout-ms", required_argument, NULL, 'T'},
      RH_CLI_LONGOPTS,                              {NULL, 0, NULL, 0}};
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-selftest", usage);
  selftest_opts_t o = {.schemas_dir = rh_path_schemas(), .topic = "riskhub.selftest",
                       .records = 1000, .seed = (uint64_t)time(NULL), .timeout_ms = 30000};
  int ch, rc;
  uint64_t n;
  while ((ch = getopt_long(argc, argv, "c:n:t:s:T:l:h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'n':
      if (rh_cli_u64(&cli, "--records", optarg, 1, 100000000, &n)) return RH_EXIT_USAGE;
      o.records = (size_t)n;
      break;
    case 't': o.topic = optarg; break;
    case 's': o.schemas_dir = optarg; break;
    case 'T':
      if (rh_cli_int(&cli, "--timeout-ms", optarg, 1, 86400000, &o.timeout_ms)) return RH_EXIT_USAGE;
      break;
    case 'l': ch = RH_CLI_LOG_LEVEL; /* -l LEVEL: --log-level */ /* fall through */
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (optind != argc) return rh_cli_usage_error(&cli);
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  rh_kafka_principal_set("svc.status"); /* its party on the brokers (docs/security.md) */
  o.cfg = cfg;
  rc = selftest_run(&o);
  rh_config_destroy(cfg);
  return rc;
}
