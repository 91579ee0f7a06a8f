/* riskhub-produce: publish a department's monthly list (see batch.h), or watch
 * a drop folder and publish what arrives (see watch.h). */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "produce_batch.h"
#include "produce_metrics.h"
#include "produce_watch.h"
#include "rh_i18n.h"
#include "rh_avro_schema.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_metrics_serve.h"
#include "rh_paths.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-produce [--config FILE] --department D --feed F --period YYYY-MM\n"
      "                       [--encoding utf-8|gbk|gb18030] [--report-dir DIR]\n"
      "                       [--allow-rejects] [--no-progress] INPUT.csv|-\n"
      "       riskhub-produce [--config FILE] --watch DIR [--department D] [--once]\n"
      "                       [--poll-ms MS] [--settle-ms MS] [--allow-rejects]\n"
      "                       [--metrics ADDR] (/metrics and /healthz on HOST:PORT or :PORT)\n"
      "                       (--department: the folder is D's; another's list is refused)\n"
      "common: [--republish] [--schemas DIR] [--timeout-ms MS] [--partitions N]\n"
      "        [--signing-key FILE] (default: signing.keys_dir/<department>.key)\n"
      "        [--log-level LEVEL]\n"
      "A list whose batch (department, feed, period, the file's SHA-256) has a committed\n"
      "manifest is not sent again: it says when it was published; --republish sends it.\n"
      "Exit: 0 published; 1 published, but rows were rejected (0 with --allow-rejects);\n"
      "3 already published, nothing sent; 65 input refused, nothing published; 69 broker\n"
      "away or not every record acknowledged, nothing published; 64 usage; 74 I/O;\n"
      "78 configuration (the signing key included).\n");
}

/* Load the schemas; RH_EXIT_OK, or RH_EXIT_CONFIG after saying why. */
static int load_schemas(const char *dir, rh_avro_schemas_t **out) {
  char err[1024];
  rh_avro_schemas_t *schemas = rh_avro_schemas_new();
  if (!schemas || rh_avro_schemas_load_dir(schemas, dir, err, sizeof(err))) {
    fprintf(stderr, "riskhub-produce: schemas: %s\n", schemas ? err : "out of memory");
    rh_avro_schemas_destroy(schemas);
    return RH_EXIT_CONFIG;
  }
  *out = schemas;
  return RH_EXIT_OK;
}

/* One list: publish it, say how it went. */
static int publish_one(produce_batch_opts_t *b, const char *input) {
  b->input = input;
  produce_batch_result_t res;
  int rc = produce_batch_publish(b, &res);
  if (rc == RH_EXIT_OK || rc == RH_EXIT_ROWS_REJECTED || rc == RH_EXIT_ALREADY_DONE)
    printf("%s\n", res.summary);
  else
    fprintf(stderr, "riskhub-produce: %s\n", res.error);
  return rc;
}

int main(int argc, char **argv) {
  enum { O_ENC = 256, O_REPORT, O_ALLOW, O_NOPROG, O_SCHEMAS, O_TIMEOUT, O_PARTS, O_ONCE, O_POLL,
         O_SETTLE, O_REPUBLISH, O_KEY, O_METRICS };
  static const struct option longopts[] = {
      {"department", required_argument, NULL, 'd'},      {"feed", required_argument, NULL, 'f'},
      {"period", required_argument, NULL, 'p'},          {"watch", required_argument, NULL, 'w'},
      {"encoding", required_argument, NULL, O_ENC},      {"report-dir", required_argument, NULL, O_REPORT},
      {"allow-rejects", no_argument, NULL, O_ALLOW},     {"no-progress", no_argument, NULL, O_NOPROG},
      {"schemas", required_argument, NULL, O_SCHEMAS},   {"timeout-ms", required_argument, NULL, O_TIMEOUT},
      {"partitions", required_argument, NULL, O_PARTS}, {"once", no_argument, NULL, O_ONCE},
      {"poll-ms", required_argument, NULL, O_POLL},      {"settle-ms", required_argument, NULL, O_SETTLE},
      {"republish", no_argument, NULL, O_REPUBLISH},    {"signing-key", required_argument, NULL, O_KEY},
      {"metrics", required_argument, NULL, O_METRICS},
      RH_CLI_LONGOPTS,                                   {NULL, 0, NULL, 0}};
  /* a clerk's tool: its messages in the clerk's language (LANG=zh_CN.UTF-8) */
  rh_i18n_init();
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-produce", usage);
  const char *schemas_dir = rh_path_schemas();
  const char *metrics = NULL;
  produce_watch_opts_t w = {.poll_ms = 2000, .settle_ms = 2000};
  produce_batch_opts_t *b = &w.batch;
  b->encoding = RH_ENC_AUTO;
  b->progress = isatty(STDERR_FILENO);
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:d:f:p:w:h", longopts, NULL)) != -1) {
    switch (ch) {
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
    case O_REPUBLISH: b->republish = true; break;
    case O_KEY: b->signing_key = optarg; break;
    case O_SCHEMAS: schemas_dir = optarg; break;
    case O_TIMEOUT: /* 0: the default (60 s), as before */
      if (rh_cli_int(&cli, "--timeout-ms", optarg, 0, 86400000, &b->timeout_ms)) return RH_EXIT_USAGE;
      break;
    case O_PARTS: /* 0: the default (3) */
      if (rh_cli_int(&cli, "--partitions", optarg, 0, 10000, &b->partitions)) return RH_EXIT_USAGE;
      break;
    case O_ONCE: w.once = true; break;
    case O_METRICS: metrics = optarg; break;
    case O_POLL: /* 0: the default (2000) */
      if (rh_cli_int(&cli, "--poll-ms", optarg, 0, 86400000, &w.poll_ms)) return RH_EXIT_USAGE;
      break;
    case O_SETTLE:
      if (rh_cli_int(&cli, "--settle-ms", optarg, 0, 86400000, &w.settle_ms)) return RH_EXIT_USAGE;
      break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  /* with --watch, --department names the folder's department (its only one) */
  int single = (!w.dir && b->department) || b->feed || b->period || optind < argc;
  if (!w.dir && metrics) {
    fprintf(stderr, "riskhub-produce: --metrics is for --watch DIR (a publisher that keeps "
                    "running); one list is published and done\n");
    return RH_EXIT_USAGE;
  }
  if ((w.dir && single) ||
      (!w.dir && (!b->department || !b->feed || !b->period || optind != argc - 1)))
    return rh_cli_usage_error(&cli);

  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  rh_avro_schemas_t *schemas;
  if ((rc = load_schemas(schemas_dir, &schemas))) {
    rh_config_destroy(cfg);
    return rc;
  }
  b->cfg = cfg;
  b->schemas = schemas;
  if (w.dir) {
    rh_metrics_server_t *srv = NULL;
    w.stop = rh_cli_catch_stop();
    size_t nf;
    const rh_metric_def_t *families = produce_metrics_families(&nf);
    if ((rc = rh_metrics_start("riskhub-produce", metrics, families, nf, &w.metrics, &srv)) ==
        RH_EXIT_OK)
      rc = produce_watch_run(&w);
    rh_metrics_end(w.metrics, srv);
  } else {
    rc = publish_one(b, argv[optind]);
  }
  rh_avro_schemas_destroy(schemas);
  rh_config_destroy(cfg);
  return rc;
}
