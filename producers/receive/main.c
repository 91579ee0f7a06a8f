/* riskhub-receive: a department's side of the bureau's pushes: each push as
 * one CSV file in a folder its IT system picks up, exactly once (receive_run.h,
 * docs/outbound.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "receive_run.h"
#include "rh_avro_schema.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_paths.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-receive [--config FILE] --department CODE --dir DIR\n"
      "                       [--encoding utf-8|gbk] [--watch] [--schemas DIR]\n"
      "                       [--timeout-ms MS] [--log-level LEVEL]\n"
      "Reads the department's pushes (outbound.<department>.*) as its own party and\n"
      "writes each as one CSV file into DIR (0600; UTF-8 with a BOM, or GBK: GB18030), once:\n"
      "<department>.<kind>.<YYYY-MM>.<push id>.csv. Without --watch it stops at the end\n"
      "of the topics; with --watch it runs until stopped (SIGTERM).\n"
      "Exit: 0 done; 65 a push that does not match its manifest (no file); 69 the\n"
      "broker away; 74 DIR not writable; 75 another receiver of the department on DIR;\n"
      "77 refused; 64 usage; 78 configuration.\n");
}

enum { O_DEPARTMENT = 256, O_DIR, O_ENCODING, O_WATCH, O_SCHEMAS, O_TIMEOUT };

int main(int argc, char **argv) {
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-receive", usage);
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},       {"help", no_argument, NULL, 'h'},
      {"log-level", required_argument, NULL, RH_CLI_LOG_LEVEL},
      {"department", required_argument, NULL, O_DEPARTMENT},
      {"dir", required_argument, NULL, O_DIR},
      {"encoding", required_argument, NULL, O_ENCODING},
      {"watch", no_argument, NULL, O_WATCH},
      {"schemas", required_argument, NULL, O_SCHEMAS},
      {"timeout-ms", required_argument, NULL, O_TIMEOUT}, {NULL, 0, NULL, 0}};
  receive_run_opts_t o = {.timeout_ms = 60000};
  const char *schemas_dir = rh_path_schemas();
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
    switch (ch) {
    case O_DEPARTMENT: o.department = optarg; break;
    case O_DIR: o.dir = optarg; break;
    case O_ENCODING:
      if (strcasecmp(optarg, "utf-8") == 0 || strcasecmp(optarg, "utf8") == 0) {
        o.enc = RECEIVE_UTF8;
      } else if (strcasecmp(optarg, "gbk") == 0) {
        o.enc = RECEIVE_GBK;
      } else {
        fprintf(stderr, "riskhub-receive: --encoding: unknown encoding '%s' (utf-8, gbk)\n",
                optarg);
        return RH_EXIT_USAGE;
      }
      break;
    case O_WATCH: o.watch = true; break;
    case O_SCHEMAS: schemas_dir = optarg; break;
    case O_TIMEOUT:
      if (rh_cli_int(&cli, "--timeout-ms", optarg, 1000, 3600000, &o.timeout_ms))
        return RH_EXIT_USAGE;
      break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (!o.department || !o.dir || optind != argc) return rh_cli_usage_error(&cli);
  struct stat st;
  errno = 0;
  if (stat(o.dir, &st) || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "riskhub-receive: --dir %s: %s\n", o.dir,
            errno ? strerror(errno) : "not a folder");
    return RH_EXIT_IOERR;
  }
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  const rh_config_department_t *d = NULL;
  for (size_t i = 0; i < cfg->department_count; i++)
    if (strcmp(cfg->departments[i].code, o.department) == 0) d = &cfg->departments[i];
  if (!d) {
    fprintf(stderr, "riskhub-receive: --department: %s is not a department of %s\n",
            o.department, cli.config_path);
    rh_config_destroy(cfg);
    return RH_EXIT_USAGE;
  }
  /* its party on the brokers: the department (docs/security.md, "Kafka") */
  static char role[96];
  snprintf(role, sizeof role, "dept.%s", d->code);
  rh_kafka_principal_set(role);
  rh_avro_schemas_t *schemas;
  if ((rc = rh_cli_schemas(&cli, schemas_dir, &schemas))) {
    rh_config_destroy(cfg);
    return rc;
  }
  o.cfg = cfg;
  o.schemas = schemas;
  rc = receive_run(&o);
  rh_avro_schemas_destroy(schemas);
  rh_config_destroy(cfg);
  return rc;
}
