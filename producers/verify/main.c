/* riskhub-verify: a township's steps at the household, from the CSV it filled
 * in or one from the command line, checked and published (verify_run.h,
 * docs/verify.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "rh_avro_schema.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_i18n.h"
#include "rh_kafka.h"
#include "rh_paths.h"
#include "verify_run.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-verify [--config FILE] --township CODE [--by NAME]\n"
      "                      [--encoding utf-8|gbk|gb18030] [--report-dir DIR] FILLED.csv\n"
      "       riskhub-verify [--config FILE] --township CODE --by NAME --alert ID\n"
      "                      --outcome OUTCOME [--reason REASON] [--visited-on DATE]\n"
      "                      [--note TEXT]\n"
      "common: [--schemas DIR] [--timeout-ms MS] [--log-level LEVEL]\n"
      "FILLED.csv is riskhub-alerts' CSV export (--format csv) with its outcome columns\n"
      "filled in: outcome (VERIFYING, INCLUDED, NOT_INCLUDED, ALREADY_MONITORED,\n"
      "UNREACHABLE, or 核实中, 纳入监测, 不纳入, 已是监测对象, 无法联系), not_included_reason\n"
      "(a configured reason's code or label), visited_on, recorded_by, note.\n"
      "A row whose outcome is empty is left for later. Every step is checked against\n"
      "the ledger (the township's own warning; a step that may follow its state), then\n"
      "the accepted ones are published to verifications.<township> in one transaction.\n"
      "Exit: 0 published; 1 published, some rows refused (<file>.rejects.csv); 65 the\n"
      "file or the step refused, nothing published; 69 PostgreSQL or the broker away,\n"
      "nothing published; 77 the township's party refused; 74 I/O; 64 usage;\n"
      "78 configuration.\n");
}

enum { O_TOWNSHIP = 256, O_BY, O_ENCODING, O_REPORT, O_ALERT, O_OUTCOME, O_REASON, O_VISITED,
       O_NOTE, O_SCHEMAS, O_TIMEOUT };

int main(int argc, char **argv) {
  rh_i18n_init();
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-verify", usage);
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},       {"help", no_argument, NULL, 'h'},
      {"log-level", required_argument, NULL, RH_CLI_LOG_LEVEL},
      {"township", required_argument, NULL, O_TOWNSHIP}, {"by", required_argument, NULL, O_BY},
      {"encoding", required_argument, NULL, O_ENCODING},
      {"report-dir", required_argument, NULL, O_REPORT},
      {"alert", required_argument, NULL, O_ALERT},   {"outcome", required_argument, NULL, O_OUTCOME},
      {"reason", required_argument, NULL, O_REASON},
      {"visited-on", required_argument, NULL, O_VISITED},
      {"note", required_argument, NULL, O_NOTE},     {"schemas", required_argument, NULL, O_SCHEMAS},
      {"timeout-ms", required_argument, NULL, O_TIMEOUT}, {NULL, 0, NULL, 0}};
  verify_run_opts_t o = {.encoding = RH_ENC_AUTO, .timeout_ms = 30000};
  const char *schemas_dir = rh_path_schemas(), *township = NULL;
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
    switch (ch) {
    case O_TOWNSHIP: township = optarg; break;
    case O_BY: o.by = optarg; break;
    case O_ENCODING:
      if (rh_encoding_parse(optarg, &o.encoding)) {
        fprintf(stderr, "riskhub-verify: --encoding: unknown encoding '%s' (utf-8, gbk, gb18030)\n",
                optarg);
        return RH_EXIT_USAGE;
      }
      break;
    case O_REPORT: o.report_dir = optarg; break;
    case O_ALERT: o.one.alert_id = optarg; break;
    case O_OUTCOME: o.one.outcome = optarg; break;
    case O_REASON: o.one.reason = optarg; break;
    case O_VISITED: o.one.visited_on = optarg; break;
    case O_NOTE: o.one.note = optarg; break;
    case O_SCHEMAS: schemas_dir = optarg; break;
    case O_TIMEOUT:
      if (rh_cli_int(&cli, "--timeout-ms", optarg, 1000, 600000, &o.timeout_ms))
        return RH_EXIT_USAGE;
      break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  bool one = o.one.alert_id || o.one.outcome;
  if (!township || (one && optind != argc) || (!one && optind != argc - 1) ||
      (one && (!o.one.alert_id || !o.one.outcome || !o.by)) ||
      (!one && (o.one.reason || o.one.visited_on || o.one.note)))
    return rh_cli_usage_error(&cli);
  if (!one) o.input = argv[optind];
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  const rh_config_township_t *t = rh_config_township_find(cfg, township);
  if (!t) {
    fprintf(stderr, "riskhub-verify: --township: %s is not a township of %s\n", township,
            cli.config_path);
    rh_config_destroy(cfg);
    return RH_EXIT_USAGE;
  }
  /* its party on the brokers: the township (docs/security.md, "Kafka") */
  static char role[64];
  snprintf(role, sizeof role, "town.%s", t->code);
  rh_kafka_principal_set(role);
  rh_avro_schemas_t *schemas;
  if ((rc = rh_cli_schemas(&cli, schemas_dir, &schemas))) {
    rh_config_destroy(cfg);
    return rc;
  }
  o.cfg = cfg;
  o.schemas = schemas;
  o.township = t->code;
  rc = verify_run(&o);
  rh_avro_schemas_destroy(schemas);
  rh_config_destroy(cfg);
  return rc;
}
