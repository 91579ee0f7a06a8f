/* riskhub-registry: the household registry in PostgreSQL — schema migrations
 * (registry_migrate.h) and the import of the registry files (registry_import.h).
 * See docs/registry.md. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "registry_import.h"
#include "registry_migrate.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_paths.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-registry [--config FILE] [--wait-s S] migrate [--migrations DIR]\n"
      "       riskhub-registry [--config FILE] [--wait-s S] import [--dry-run [--offline]]\n"
      "                        [--allow-shrink] [--encoding utf-8|gbk|gb18030]\n"
      "                        [--max-errors N] DIR\n"
      "common: [--log-level LEVEL]\n"
      "migrate  applies the SQL migrations not yet applied (default directory\n"
      "         $RH_MIGRATIONS_DIR or <prefix>/share/riskhub/migrations), each in its own\n"
      "         transaction; a second run applies nothing.\n"
      "import   loads DIR/households.csv, members.csv, applications.csv in one\n"
      "         transaction, after validating every row; all or nothing. Refused when it\n"
      "         would delete more than registry.max_delete_share (default 5 %%) of the\n"
      "         households, or every household of a township or village, unless\n"
      "         --allow-shrink. --dry-run changes nothing (the verdict included);\n"
      "         --offline: validate only, without a database.\n"
      "Exit: 0 done; 65 bad rows or refused by the shrink guard, nothing loaded;\n"
      "69 database away; 74 a file cannot be read; 78 configuration, or migrations and\n"
      "database disagree; 70 internal; 64 usage.\n");
}

/* migrate: apply what is not yet applied. */
static int run_migrate(const rh_config_t *cfg, const char *dir, int wait_s) {
  char err[1024];
  registry_migrations_t m;
  if (registry_migrations_load(dir, &m, err, sizeof(err))) {
    fprintf(stderr, "riskhub-registry: migrate: %s\n", err);
    return RH_EXIT_CONFIG;
  }
  registry_migrate_opts_t mo = {cfg->pg_conninfo, wait_s * 1000, stdout};
  registry_migrate_result_t res;
  int rc = registry_migrate_run(&mo, &m, &res);
  if (rc != RH_EXIT_OK) fprintf(stderr, "riskhub-registry: migrate: %s\n", res.error);
  registry_migrations_free(&m);
  return rc;
}

/* import: load the registry files of io->dir. */
static int run_import(registry_import_opts_t *io) {
  registry_import_result_t res;
  int rc = registry_import(io, &res);
  if (rc == RH_EXIT_OK) printf("%s\n", res.summary);
  else fprintf(stderr, "riskhub-registry: %s\n", res.error);
  return rc;
}

int main(int argc, char **argv) {
  enum { O_WAIT = 256, O_MIGR, O_DRY, O_ENC, O_MAXERR, O_OFFLINE, O_SHRINK };
  static const struct option longopts[] = {
      {"wait-s", required_argument, NULL, O_WAIT},  {"migrations", required_argument, NULL, O_MIGR},
      {"dry-run", no_argument, NULL, O_DRY},        {"encoding", required_argument, NULL, O_ENC},
      {"max-errors", required_argument, NULL, O_MAXERR},
      {"offline", no_argument, NULL, O_OFFLINE},    {"allow-shrink", no_argument, NULL, O_SHRINK},
      RH_CLI_LONGOPTS,
      {NULL, 0, NULL, 0}};
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-registry", usage);
  const char *migrations_dir = NULL;
  int wait_s = 30, max_errors = RH_IMPORT_DEFAULT_MAX_ERRORS;
  bool dry_run = false, offline = false, allow_shrink = false, import_opts = false;
  rh_encoding_t enc = RH_ENC_AUTO;
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
    switch (ch) {
    case O_WAIT:
      if (rh_cli_int(&cli, "--wait-s", optarg, 0, 86400, &wait_s)) return RH_EXIT_USAGE;
      break;
    case O_MIGR: migrations_dir = optarg; break;
    case O_DRY: dry_run = import_opts = true; break;
    case O_OFFLINE: offline = import_opts = true; break;
    case O_SHRINK: allow_shrink = import_opts = true; break;
    case O_ENC:
      if (rh_encoding_parse(optarg, &enc)) {
        fprintf(stderr, "riskhub-registry: --encoding: unknown encoding '%s' (utf-8, gbk, gb18030)\n",
                optarg);
        return RH_EXIT_USAGE;
      }
      import_opts = true;
      break;
    case O_MAXERR:
      if (rh_cli_int(&cli, "--max-errors", optarg, 1, 1000000, &max_errors)) return RH_EXIT_USAGE;
      import_opts = true;
      break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  const char *cmd = optind < argc ? argv[optind] : NULL;
  int nargs = argc - optind - 1;
  bool migrate = cmd && strcmp(cmd, "migrate") == 0, import = cmd && strcmp(cmd, "import") == 0;
  if (!(migrate && nargs == 0 && !import_opts) && !(import && nargs == 1 && !migrations_dir))
    return rh_cli_usage_error(&cli);
  if (offline && !dry_run) {
    fprintf(stderr, "riskhub-registry: --offline goes with --dry-run only (an import needs "
            "the database)\n");
    return RH_EXIT_USAGE;
  }

  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  if (migrate) {
    rc = run_migrate(cfg, migrations_dir ? migrations_dir : rh_path_migrations(), wait_s);
  } else {
    registry_import_opts_t io = {.cfg = cfg, .dir = argv[optind + 1], .encoding = enc,
                           .wait_ms = wait_s * 1000, .dry_run = dry_run,
                           .offline = offline, .allow_shrink = allow_shrink,
                           .max_errors = (size_t)max_errors, .report = stderr};
    rc = run_import(&io);
  }
  rh_config_destroy(cfg);
  return rc;
}
