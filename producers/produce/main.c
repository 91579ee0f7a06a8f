/* riskhub-produce: publish a department's monthly list (see batch.h), or watch
 * a drop folder and publish what arrives (see watch.h). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "produce_batch.h"
#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_paths.h"
#include "produce_watch.h"

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-produce [--config FILE] --department D --feed F --period YYYY-MM\n"
      "                       [--encoding utf-8|gbk|gb18030] [--report-dir DIR]\n"
      "                       [--allow-rejects] [--no-progress] INPUT.csv|-\n"
      "       riskhub-produce [--config FILE] --watch DIR [--once] [--poll-ms MS]\n"
      "                       [--settle-ms MS] [--allow-rejects]\n"
      "common: [--schemas DIR] [--timeout-ms MS] [--partitions N] [--log-level LEVEL]\n"
      "Exit: 0 published; 1 published, but rows were rejected (0 with --allow-rejects);\n"
      "65 input refused, nothing published; 69 broker away or not every record\n"
      "acknowledged, nothing published; 64 usage; 74 I/O; 78 configuration.\n");
}

int main(int argc, char **argv) {
  enum { O_ENC = 256, O_REPORT, O_ALLOW, O_NOPROG, O_SCHEMAS, O_TIMEOUT, O_PARTS, O_LOG,
         O_ONCE, O_POLL, O_SETTLE };
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'},   {"department", required_argument, NULL, 'd'},
      {"feed", required_argument, NULL, 'f'},     {"period", required_argument, NULL, 'p'},
      {"watch", required_argument, NULL, 'w'},    {"encoding", required_argument, NULL, O_ENC},
      {"report-dir", required_argument, NULL, O_REPORT}, {"allow-rejects", no_argument, NULL, O_ALLOW},
      {"no-progress", no_argument, NULL, O_NOPROG}, {"schemas", required_argument, NULL, O_SCHEMAS},
      {"timeout-ms", required_argument, NULL, O_TIMEOUT}, {"partitions", required_argument, NULL, O_PARTS},
      {"log-level", required_argument, NULL, O_LOG}, {"once", no_argument, NULL, O_ONCE},
      {"poll-ms", required_argument, NULL, O_POLL}, {"settle-ms", required_argument, NULL, O_SETTLE},
      {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
  const char *config_path = rh_path_config(), *schemas_dir = rh_path_schemas();
  produce_watch_opts_t w = {.poll_ms = 2000, .settle_ms = 2000, .stop = &stop_flag};
  produce_batch_opts_t *b = &w.batch;
  b->encoding = RH_ENC_AUTO;
  b->progress = isatty(STDERR_FILENO);
  rh_log_set_program("riskhub-produce");
  int ch;
  while ((ch = getopt_long(argc, argv, "c:d:f:p:w:h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'c': config_path = optarg; break;
    case 'd': b->department = optarg; break;
    case 'f': b->feed = optarg; break;
    case 'p': b->period = optarg; break;
    case 'w': w.dir = optarg; break;
    case O_ENC:
      if (rh_encoding_parse(optarg, &b->encoding)) {
        fprintf(stderr, "riskhub-produce: --encoding: unknown encoding '%s' (utf-8, gbk, gb18030)\n", optarg);
        return RH_EXIT_USAGE;
      }
      break;
    case O_REPORT: b->report_dir = optarg; break;
    case O_ALLOW: b->allow_rejects = true; break;
    case O_NOPROG: b->progress = false; break;
    case O_SCHEMAS: schemas_dir = optarg; break;
    case O_TIMEOUT: b->timeout_ms = atoi(optarg); break;
    case O_PARTS: b->partitions = atoi(optarg); break;
    case O_ONCE: w.once = true; break;
    case O_POLL: w.poll_ms = atoi(optarg); break;
    case O_SETTLE: w.settle_ms = atoi(optarg); break;
    case O_LOG:
      if (rh_log_level_option("riskhub-produce", optarg)) return RH_EXIT_USAGE;
      break;
    case 'h': usage(stdout); return RH_EXIT_OK;
    default: usage(stderr); return RH_EXIT_USAGE;
    }
  }
  int single = b->department || b->feed || b->period || optind < argc;
  if ((w.dir && single) ||
      (!w.dir && (!b->department || !b->feed || !b->period || optind != argc - 1))) {
    usage(stderr);
    return RH_EXIT_USAGE;
  }

  char err[1024];
  rh_config_t *cfg = rh_config_load(config_path, err, sizeof(err));
  if (!cfg) {
    fprintf(stderr, "riskhub-produce: %s\n", err);
    return RH_EXIT_CONFIG;
  }
  rh_avro_schemas_t *schemas = rh_avro_schemas_new();
  if (!schemas || rh_avro_schemas_load_dir(schemas, schemas_dir, err, sizeof(err))) {
    fprintf(stderr, "riskhub-produce: schemas: %s\n", schemas ? err : "out of memory");
    rh_avro_schemas_destroy(schemas);
    rh_config_destroy(cfg);
    return RH_EXIT_CONFIG;
  }
  b->cfg = cfg;
  b->schemas = schemas;

  int rc;
  if (w.dir) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    rc = produce_watch_run(&w);
  } else {
    b->input = argv[optind];
    produce_batch_result_t res;
    rc = produce_batch_publish(b, &res);
    if (rc == RH_EXIT_OK || rc == RH_EXIT_ROWS_REJECTED)
      printf("%s\n", res.summary);
    else
      fprintf(stderr, "riskhub-produce: %s\n", res.error);
  }
  rh_avro_schemas_destroy(schemas);
  rh_config_destroy(cfg);
  return rc;
}
