/* riskhub-replay: audit a month (docs/replay.md). The work is in replay_run.c. */
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "replay_chain.h"
#include "replay_due.h"
#include "replay_month.h"
#include "replay_run.h"
#include "rh_clock.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_paths.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-replay --period YYYY-MM [--department D] [--feed F] [--format table|json]\n"
      "                      [--archive DIR | --from-archive DIR] [--config FILE]\n"
      "                      [--schemas DIR] [--threads N] [--log-level LEVEL]\n"
      "       riskhub-replay --archive-due [--as-of YYYY-MM-DDTHH:MM:SSZ] [--config FILE] ...\n"
      "       riskhub-replay --verify-chain [--department D] [--feed F] [--format table|json]\n"
      "Replays a month: reads the period's batches (by their manifests' offsets), runs them\n"
      "through the join's own code with the registry as it is now, and compares the result\n"
      "with the alerts and check results that were published. Prints a report: per department\n"
      "and feed, batches, records, rejects, alerts and check results expected vs published;\n"
      "every difference (missing, extra, changed) with its lineage and whether the registry\n"
      "changed since. Joins no consumer group, commits nothing, writes to no topic.\n"
      "  --department D, --feed F  only these lists (and their outputs)\n"
      "  --format json             the report as JSON (default: a table)\n"
      "  --archive DIR             also write what was read to DIR (Avro object container\n"
      "                            files, archive.json, SHA256SUMS)\n"
      "  --from-archive DIR        replay from an archive instead of the broker (its\n"
      "                            checksums are checked first; --period may be left out)\n"
      "                            Without either, a month the broker no longer has is read\n"
      "                            from the monthly archive (archive.dir/YYYY-MM), if made.\n"
      "  --archive-due             the monthly archive: every month of the ledger whose\n"
      "                            deadline and archive.grace have passed (as of now, or\n"
      "                            --as-of) and that archive.dir lacks is replayed into\n"
      "                            archive.dir/YYYY-MM, verified, and kept (a timer runs it)\n"
      "  --verify-chain            every signed list of the feeds names the one before it:\n"
      "                            walk each feed's chain on its manifests topic, name the first\n"
      "                            broken link and every forged manifest (exit 70 if any)\n"
      "  --threads N               join the records, and compare the published outputs, in\n"
      "                            N threads each (default: one a partition, at most the\n"
      "                            CPUs or 4, whichever is more)\n"
      "Exit: 0 no difference; 70 a difference (or an internal error); 69 Kafka or PostgreSQL\n"
      "away; 65 an archive refused (--archive-due: a month that cannot be archived or\n"
      "verified); 74 an archive not readable/writable; 78 configuration or schemas; 64 usage.\n");
}

/* --department and --feed name what the configuration has; RH_EXIT_OK or
 * RH_EXIT_USAGE after saying which does not. */
static int check_selection(const rh_config_t *cfg, const char *config_path,
                           const replay_opts_t *o) {
  if (o->department && !rh_config_department_find(cfg, o->department)) {
    fprintf(stderr, "riskhub-replay: --department: '%s' is not a department of %s\n",
            o->department, config_path);
    return RH_EXIT_USAGE;
  }
  if (!o->feed) return RH_EXIT_OK;
  for (size_t i = 0; i < cfg->department_count; i++)
    if ((!o->department || strcmp(cfg->departments[i].code, o->department) == 0) &&
        rh_config_feed_find(cfg, cfg->departments[i].code, o->feed))
      return RH_EXIT_OK;
  fprintf(stderr, "riskhub-replay: --feed: '%s' is not a feed of %s%s\n", o->feed,
          o->department ? "department " : "the configuration", o->department ? o->department : "");
  return RH_EXIT_USAGE;
}

/* What the options say together; RH_EXIT_OK or RH_EXIT_USAGE after saying why. */
static int check_options(const rh_cli_t *cli, const replay_opts_t *o, bool due) {
  if (due) {
    if (o->period || o->from_archive_dir || o->archive_dir || o->department || o->feed) {
      fprintf(stderr, "riskhub-replay: --archive-due takes whole months from the ledger: no "
                      "--period, --department, --feed, --archive or --from-archive\n");
      return RH_EXIT_USAGE;
    }
    return RH_EXIT_OK;
  }
  if (!o->period && !o->from_archive_dir) {
    fprintf(stderr, "riskhub-replay: --period YYYY-MM is required\n");
    return rh_cli_usage_error(cli);
  }
  if (o->period && !replay_period_valid(o->period)) {
    fprintf(stderr, "riskhub-replay: --period: '%s' is not YYYY-MM\n", o->period);
    return RH_EXIT_USAGE;
  }
  if (o->archive_dir && o->from_archive_dir) {
    fprintf(stderr, "riskhub-replay: --archive and --from-archive exclude each other\n");
    return RH_EXIT_USAGE;
  }
  return RH_EXIT_OK;
}

int main(int argc, char **argv) {
  enum { O_PERIOD = 256, O_DEPT, O_FEED, O_FORMAT, O_ARCHIVE, O_FROM, O_SCHEMAS, O_THREADS,
         O_DUE, O_AS_OF, O_CHAIN };
  static const struct option longopts[] = {
      {"period", required_argument, NULL, O_PERIOD},
      {"department", required_argument, NULL, O_DEPT},
      {"feed", required_argument, NULL, O_FEED},
      {"format", required_argument, NULL, O_FORMAT},
      {"archive", required_argument, NULL, O_ARCHIVE},
      {"from-archive", required_argument, NULL, O_FROM},
      {"schemas", required_argument, NULL, O_SCHEMAS},
      {"threads", required_argument, NULL, O_THREADS},
      {"archive-due", no_argument, NULL, O_DUE},
      {"as-of", required_argument, NULL, O_AS_OF},
      {"verify-chain", no_argument, NULL, O_CHAIN},
      RH_CLI_LONGOPTS,
      {NULL, 0, NULL, 0}};
  /* The replay allocates and frees a lot in many threads (librdkafka's
   * fetched batches, the expected outputs): with glibc's defaults each
   * thread's heap grows and shrinks in small steps, ~24,000 mprotect calls
   * whose TLB shootdowns cost ~0.4 s of system time. Steps of 16 MiB, and up
   * to 32 MiB kept free at a heap's top — not more: freed memory kept in one
   * thread's heap cannot serve another's, and the peak is a goal of its own
   * (256 MB, docs/replay.md, "Speed"). */
  mallopt(M_TOP_PAD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-replay", usage);
  replay_opts_t o = {.schemas_dir = rh_path_schemas(), .out = stdout};
  int ch, rc;
  bool due = false, chain = false;
  int64_t as_of_ms = rh_wall_ms();
  while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
    switch (ch) {
    case O_PERIOD: o.period = optarg; break;
    case O_DEPT: o.department = optarg; break;
    case O_FEED: o.feed = optarg; break;
    case O_FORMAT:
      if (strcmp(optarg, "table") == 0) o.format = REPLAY_FORMAT_TABLE;
      else if (strcmp(optarg, "json") == 0) o.format = REPLAY_FORMAT_JSON;
      else {
        fprintf(stderr, "riskhub-replay: --format: '%s' is neither table nor json\n", optarg);
        return RH_EXIT_USAGE;
      }
      break;
    case O_ARCHIVE: o.archive_dir = optarg; break;
    case O_FROM: o.from_archive_dir = optarg; break;
    case O_THREADS:
      if (rh_cli_int(&cli, "--threads", optarg, 1, 64, &o.threads)) return RH_EXIT_USAGE;
      break;
    case O_SCHEMAS: o.schemas_dir = optarg; break;
    case O_DUE: due = true; break;
    case O_CHAIN: chain = true; break;
    case O_AS_OF:
      if (rh_clock_parse_utc(optarg, &as_of_ms)) {
        fprintf(stderr, "riskhub-replay: --as-of: '%s' is not YYYY-MM-DDTHH:MM:SSZ (UTC)\n",
                optarg);
        return RH_EXIT_USAGE;
      }
      break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (optind != argc) {
    fprintf(stderr, "riskhub-replay: unexpected argument '%s'\n", argv[optind]);
    return rh_cli_usage_error(&cli);
  }
  if (chain && (due || o.period || o.archive_dir || o.from_archive_dir)) {
    fprintf(stderr, "riskhub-replay: --verify-chain reads every month of the manifests topics: no "
                    "--period, --archive-due, --archive or --from-archive\n");
    return RH_EXIT_USAGE;
  }
  if (!chain && (rc = check_options(&cli, &o, due))) return rc;
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  rh_kafka_principal_set("svc.audit"); /* its party on the brokers (docs/security.md) */
  if (chain) {
    o.cfg = cfg;
    rc = check_selection(cfg, cli.config_path, &o);
    if (rc == RH_EXIT_OK)
      rc = replay_chain_run(cfg, o.schemas_dir, o.department, o.feed,
                            o.format == REPLAY_FORMAT_JSON, stdout);
  } else if (due) {
    replay_due_opts_t d = {.cfg = cfg, .schemas_dir = o.schemas_dir, .as_of_ms = as_of_ms,
                           .threads = o.threads, .out = stdout};
    rc = replay_due_run(&d);
  } else if ((rc = check_selection(cfg, cli.config_path, &o)) == RH_EXIT_OK) {
    o.cfg = cfg;
    rc = replay_month(&o);
  }
  rh_config_destroy(cfg);
  return rc;
}
