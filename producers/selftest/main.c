/* riskhub-selftest: check the hub's plumbing end to end (see selftest.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rh_config.h"
#include "rh_exit.h"
#include "rh_log.h"
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
      {"config", required_argument, NULL, 'c'},  {"records", required_argument, NULL, 'n'},
      {"topic", required_argument, NULL, 't'},   {"schemas", required_argument, NULL, 's'},
      {"timeout-ms", required_argument, NULL, 'T'}, {"log-level", required_argument, NULL, 'l'},
      {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
  const char *config_path = rh_path_config();
  selftest_opts_t o = {.schemas_dir = rh_path_schemas(), .topic = "riskhub.selftest",
                          .records = 1000, .seed = (uint64_t)time(NULL), .timeout_ms = 30000};
  rh_log_set_program("riskhub-selftest");
  int ch;
  while ((ch = getopt_long(argc, argv, "c:n:t:s:T:l:h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'c': config_path = optarg; break;
    case 'n': o.records = strtoull(optarg, NULL, 10); break;
    case 't': o.topic = optarg; break;
    case 's': o.schemas_dir = optarg; break;
    case 'T': o.timeout_ms = atoi(optarg); break;
    case 'l':
      if (rh_log_level_option("riskhub-selftest", optarg)) return RH_EXIT_USAGE;
      break;
    case 'h': usage(stdout); return RH_EXIT_OK;
    default: usage(stderr); return RH_EXIT_USAGE;
    }
  }
  if (optind != argc || o.records == 0 || o.timeout_ms <= 0) {
    usage(stderr);
    return RH_EXIT_USAGE;
  }
  char err[1024];
  rh_config_t *cfg = rh_config_load(config_path, err, sizeof(err));
  if (!cfg) {
    fprintf(stderr, "riskhub-selftest: %s\n", err);
    return RH_EXIT_CONFIG;
  }
  o.cfg = cfg;
  int rc = selftest_run(&o);
  rh_config_destroy(cfg);
  return rc;
}
