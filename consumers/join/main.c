/* riskhub-join: the join service (docs/join.md). The work is in join_loop.c. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "join_loop.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_paths.h"

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-join [--config FILE] [--schemas DIR] [--group ID] [--instance NAME]\n"
      "                    [--idle-exit-ms MS] [--wait-s S] [--batch-max N] [--batch-ms MS]\n"
      "                    [--log-level LEVEL]\n"
      "Joins every department feed with the household registry, exactly once: alerts to\n"
      "alerts.<township>, unknown persons to alerts.unmatched, applicant comparisons to\n"
      "checks.<township>, undecodable records to riskhub.dlq (docs/join.md).\n"
      "  --group ID          consumer group (default <prefix>riskhub-join)\n"
      "  --instance NAME     transactional id suffix, one per running instance (default 0)\n"
      "  --idle-exit-ms MS   exit 0 once nothing arrived for MS (tests, the demo, benchmarks)\n"
      "  --wait-s S          give up (69) when Kafka or PostgreSQL is away longer (default:\n"
      "                      wait for ever)\n"
      "  --batch-max N, --batch-ms MS   a transaction holds at most N records / MS (10000, 100)\n"
      "Prints one summary line on exit. Exit: 0 stopped (SIGTERM, idle); 69 a service away\n"
      "longer than --wait-s; 70 fatal Kafka or database error; 78 configuration; 64 usage.\n");
}

static int number(const char *opt, const char *s, long lo, long hi, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < lo || v > hi) {
    fprintf(stderr, "riskhub-join: %s: expected a whole number from %ld to %ld\n", opt, lo, hi);
    return -1;
  }
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  enum { O_SCHEMAS = 256, O_GROUP, O_INSTANCE, O_IDLE, O_WAIT, O_BMAX, O_BMS, O_LOG };
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'},      {"schemas", required_argument, NULL, O_SCHEMAS},
      {"group", required_argument, NULL, O_GROUP},   {"instance", required_argument, NULL, O_INSTANCE},
      {"idle-exit-ms", required_argument, NULL, O_IDLE}, {"wait-s", required_argument, NULL, O_WAIT},
      {"batch-max", required_argument, NULL, O_BMAX}, {"batch-ms", required_argument, NULL, O_BMS},
      {"log-level", required_argument, NULL, O_LOG}, {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *config_path = rh_path_config();
  join_opts_t o = {.schemas_dir = rh_path_schemas(), .instance = "0", .wait_s = -1,
                   .batch_max = 10000, .batch_ms = 100, .stop = &stop_flag};
  long v;
  rh_log_set_program("riskhub-join");
  int ch;
  while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'c': config_path = optarg; break;
    case O_SCHEMAS: o.schemas_dir = optarg; break;
    case O_GROUP: o.group = optarg; break;
    case O_INSTANCE: o.instance = optarg; break;
    case O_IDLE:
      if (number("--idle-exit-ms", optarg, 1, 86400000, &v)) return RH_EXIT_USAGE;
      o.idle_exit_ms = (int)v;
      break;
    case O_WAIT:
      if (number("--wait-s", optarg, 0, 86400, &v)) return RH_EXIT_USAGE;
      o.wait_s = (int)v;
      break;
    case O_BMAX:
      if (number("--batch-max", optarg, 1, 1000000, &v)) return RH_EXIT_USAGE;
      o.batch_max = (int)v;
      break;
    case O_BMS:
      if (number("--batch-ms", optarg, 1, 60000, &v)) return RH_EXIT_USAGE;
      o.batch_ms = (int)v;
      break;
    case O_LOG:
      if (rh_log_level_option("riskhub-join", optarg)) return RH_EXIT_USAGE;
      break;
    case 'h': usage(stdout); return RH_EXIT_OK;
    default: usage(stderr); return RH_EXIT_USAGE;
    }
  }
  if (optind != argc) {
    usage(stderr);
    return RH_EXIT_USAGE;
  }
  char err[1024];
  rh_config_t *cfg = rh_config_load(config_path, err, sizeof err);
  if (!cfg) {
    fprintf(stderr, "riskhub-join: %s\n", err);
    return RH_EXIT_CONFIG;
  }
  o.cfg = cfg;
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  join_counts_t c;
  join_stats_t st;
  int rc = join_run(&o, &c, &st);
  printf("riskhub-join: records=%" PRIu64 " alerts=%" PRIu64 " unmatched=%" PRIu64
         " no_rule=%" PRIu64 " duplicates=%" PRIu64 " dlq=%" PRIu64 " checks=%" PRIu64
         " check_records=%" PRIu64 " identity=%" PRIu64 " manifests=%" PRIu64
         " transactions=%" PRIu64 " aborts=%" PRIu64 " busy_s=%.3f registry_load_s=%.3f"
         " registry_mib=%.1f transform_s=%.3f warnings_s=%.3f commit_s=%.3f\n",
         c.records, c.alerts, c.unmatched, c.no_rule, c.duplicates, c.dlq, c.checks,
         c.check_records, c.identity, c.manifests, st.transactions, st.aborts, st.busy_s,
         st.registry_load_s, (double)st.registry_bytes / (1024.0 * 1024.0), st.transform_s,
         st.warnings_s, st.commit_s);
  fflush(stdout);
  rh_config_destroy(cfg);
  return rc;
}
