/* riskhub-status: the meetings' figures (docs/status.md). The work is in status_run.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "rh_clock.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_kafka_read.h"
#include "rh_paths.h"
#include "status_run.h"
#include "status_time.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-status [--config FILE] [--schemas DIR] [--period YYYY-MM | --quarter YYYY-Qn]\n"
      "                      [--as-of DATETIME] [--utc-offset +HH:MM]\n"
      "                      [--format table|csv|markdown|xlsx] [--out FILE]\n"
      "                      [--table lists|townships|scale|identity|verification|all]\n"
      "                      [--source ledger|topics]\n"
      "                      [--broker-wait SECONDS] [--log-level LEVEL]\n"
      "Which department lists of a month arrived by the deadline (deadlines.delivery_day of the\n"
      "following month, local time), late or not at all, and the warnings and check results\n"
      "per township; read from the warnings ledger in PostgreSQL (riskhub-ledger's tables).\n"
      "  --period YYYY-MM    the month the lists cover (default: the month before --as-of)\n"
      "  --quarter YYYY-Qn   the quarter's three months side by side (quarterly joint meeting)\n"
      "  --as-of DATETIME    report as things stood then: now (default), YYYY-MM-DD (the end of\n"
      "                      that day), YYYY-MM-DD HH:MM[:SS] local, or with Z / +08:00\n"
      "  --utc-offset +HH:MM the county's local time (default +08:00, China Standard Time)\n"
      "  --format F          table (default), csv, markdown, xlsx (needs --out)\n"
      "  --out FILE          write the report to FILE (and a summary line to stdout)\n"
      "  --table T           lists, townships, scale (the month's scale risks not cleared, from\n"
      "                      the county topic riskhub.scale-risks whatever the source),\n"
      "                      identity (the month's identity discrepancies open per township\n"
      "                      and kind, counts only, from the topics identity.* whatever the\n"
      "                      source),\n"
      "                      verification (the warnings verified, included, open and overdue\n"
      "                      per township; per department its lists on time and the share\n"
      "                      confirmed at the household: from the ledger only) or all (default)\n"
      "  --source S          ledger (default: PostgreSQL, whatever the broker has deleted) or\n"
      "                      topics (feed.<dept>.manifests, alerts.*, checks.* read from their start,\n"
      "                      read_committed: only what the broker still keeps)\n"
      "  --broker-wait SECONDS with --source topics, how long to keep asking a broker that cannot\n"
      "                      be reached (refused, timed out) before giving up with exit 69\n"
      "                      (default 90: a broker paused for half a minute is waited out;\n"
      "                      0 asks once, for up to a second); with the ledger, how long the\n"
      "                      scale risks and identity discrepancies wait for it before the\n"
      "                      report goes on without them\n"
      "                      (default 5)\n"
      "Exit: 0 every list on time; 1 some list late, missing or not in yet; 69 PostgreSQL\n"
      "(or, with --source topics, Kafka) away; 70 internal error; 74 output not written;\n"
      "78 configuration, schemas or a database without the ledger's tables; 64 usage.\n");
}

/* --as-of, --period, --quarter into o's time window; RH_EXIT_OK or
 * RH_EXIT_USAGE after saying what is wrong. */
static int resolve_window(status_opts_t *o, const char *as_of, const char *period,
                          const char *quarter) {
  int64_t now = rh_wall_ms();
  if (status_as_of_parse(as_of, now, o->utc_offset_min, &o->as_of_ms)) {
    fprintf(stderr,
            "riskhub-status: --as-of: '%s' is not now, YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS] "
            "(optionally with Z or +08:00)\n",
            as_of);
    return RH_EXIT_USAGE;
  }
  o->as_of_now = o->as_of_ms >= now;
  if (period && quarter) {
    fprintf(stderr, "riskhub-status: --period and --quarter: give one of them\n");
    return RH_EXIT_USAGE;
  }
  o->nmonths = 1;
  if (quarter) {
    if (status_quarter_parse(quarter, &o->first_year, &o->quarter)) {
      fprintf(stderr, "riskhub-status: --quarter: '%s' is not YYYY-Qn (n from 1 to 4)\n", quarter);
      return RH_EXIT_USAGE;
    }
    o->first_month = 3 * (o->quarter - 1) + 1;
    o->nmonths = 3;
  } else if (period) {
    if (status_period_parse(period, &o->first_year, &o->first_month)) {
      fprintf(stderr, "riskhub-status: --period: '%s' is not YYYY-MM (2000-01..2199-12)\n",
              period);
      return RH_EXIT_USAGE;
    }
  } else { /* last month, as of */
    int d, h, mi, sec;
    status_local_parts(o->as_of_ms, o->utc_offset_min, &o->first_year, &o->first_month, &d, &h,
                       &mi, &sec);
    status_period_add(&o->first_year, &o->first_month, -1);
  }
  return RH_EXIT_OK;
}

int main(int argc, char **argv) {
  enum { O_SCHEMAS = 256, O_PERIOD, O_QUARTER, O_AS_OF, O_OFFSET, O_FORMAT, O_OUT, O_TABLE,
         O_SOURCE, O_BROKER_WAIT };
  static const struct option longopts[] = {
      {"schemas", required_argument, NULL, O_SCHEMAS},  {"period", required_argument, NULL, O_PERIOD},
      {"quarter", required_argument, NULL, O_QUARTER},  {"as-of", required_argument, NULL, O_AS_OF},
      {"utc-offset", required_argument, NULL, O_OFFSET}, {"format", required_argument, NULL, O_FORMAT},
      {"out", required_argument, NULL, O_OUT},          {"table", required_argument, NULL, O_TABLE},
      {"source", required_argument, NULL, O_SOURCE},
      {"broker-wait", required_argument, NULL, O_BROKER_WAIT},
      RH_CLI_LONGOPTS,                                  {NULL, 0, NULL, 0}};
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-status", usage);
  const char *period = NULL, *quarter = NULL, *as_of = "now";
  status_opts_t o = {.schemas_dir = rh_path_schemas(), .utc_offset_min = STATUS_UTC_OFFSET_DEFAULT,
                     .format = STATUS_FMT_TABLE, .tables = STATUS_TABLE_ALL};
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
    switch (ch) {
    case O_SCHEMAS: o.schemas_dir = optarg; break;
    case O_PERIOD: period = optarg; break;
    case O_QUARTER: quarter = optarg; break;
    case O_AS_OF: as_of = optarg; break;
    case O_OFFSET:
      if (status_offset_parse(optarg, &o.utc_offset_min)) {
        fprintf(stderr, "riskhub-status: --utc-offset: '%s' is not an offset such as +08:00\n",
                optarg);
        return RH_EXIT_USAGE;
      }
      break;
    case O_FORMAT:
      if (status_format_parse(optarg, &o.format)) {
        fprintf(stderr, "riskhub-status: --format: '%s' (expected table, csv, markdown or xlsx)\n",
                optarg);
        return RH_EXIT_USAGE;
      }
      break;
    case O_OUT: o.out = optarg; break;
    case O_TABLE:
      if (strcmp(optarg, "lists") == 0) o.tables = STATUS_TABLE_LISTS;
      else if (strcmp(optarg, "townships") == 0) o.tables = STATUS_TABLE_TOWNSHIPS;
      else if (strcmp(optarg, "scale") == 0) o.tables = STATUS_TABLE_SCALE;
      else if (strcmp(optarg, "identity") == 0) o.tables = STATUS_TABLE_IDENTITY;
      else if (strcmp(optarg, "verification") == 0) o.tables = STATUS_TABLE_VERIFICATION;
      else if (strcmp(optarg, "all") == 0) o.tables = STATUS_TABLE_ALL;
      else {
        fprintf(stderr,
                "riskhub-status: --table: '%s' (expected lists, townships, scale, identity, "
                "verification or all)\n",
                optarg);
        return RH_EXIT_USAGE;
      }
      break;
    case O_SOURCE:
      if (strcmp(optarg, "ledger") == 0) o.source = STATUS_SOURCE_LEDGER;
      else if (strcmp(optarg, "topics") == 0) o.source = STATUS_SOURCE_TOPICS;
      else {
        fprintf(stderr, "riskhub-status: --source: '%s' (expected ledger or topics)\n", optarg);
        return RH_EXIT_USAGE;
      }
      break;
    case O_BROKER_WAIT: {
      long sec;
      if (rh_cli_long(&cli, "--broker-wait", optarg, 0, 3600, &sec)) return RH_EXIT_USAGE;
      rh_kafka_read_set_metadata_wait((int64_t)sec * 1000);
      o.broker_wait_set = true;
      break;
    }
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (optind != argc) return rh_cli_usage_error(&cli);
  if ((rc = resolve_window(&o, as_of, period, quarter))) return rc;
  if (o.tables == STATUS_TABLE_VERIFICATION && o.source == STATUS_SOURCE_TOPICS) {
    fprintf(stderr, "riskhub-status: --table verification: the warnings' states are in the "
                    "ledger only, not on the topics: use --source ledger (the default)\n");
    return RH_EXIT_USAGE;
  }
  if (o.format == STATUS_FMT_XLSX && !o.out) {
    fprintf(stderr, "riskhub-status: --format xlsx needs --out FILE\n");
    return RH_EXIT_USAGE;
  }
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  rh_kafka_principal_set("svc.status"); /* its party on the brokers (docs/security.md) */
  o.cfg = cfg;
  rc = status_run(&o);
  rh_config_destroy(cfg);
  return rc;
}
