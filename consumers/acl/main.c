/* riskhub-acl: the brokers' ACLs from the configuration (docs/security.md,
 * "Kafka: the parties' rights"). The plan is in acl_plan.c, the commands in
 * acl_run.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "acl_run.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_kafka.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-acl {plan|apply [--prune]|check|revoke} [--config FILE] [--timeout-s N]\n"
      "                   [--log-level LEVEL]\n"
      "What each party may do on the brokers, derived from the configuration: a principal\n"
      "for every department (dept.<code>), township (town.<code>) and service (svc.join,\n"
      "svc.ledger, svc.audit, svc.status), in the configuration's namespace (topic_prefix).\n"
      "  plan     print the bindings (nothing is asked of the brokers)\n"
      "  apply    make the plan's bindings that the brokers lack; --prune also removes the\n"
      "           namespace's bindings that are not in the plan\n"
      "  check    compare the brokers' bindings of the namespace with the plan\n"
      "  revoke   remove every binding of the namespace (a hub taken down, a test's end)\n"
      "apply, check and revoke need the admin principal's credentials (kafka_credentials or\n"
      "RH_KAFKA_CREDENTIALS).\n"
      "  --timeout-s N       each request to the brokers (default 15)\n"
      "Bindings on transactional ids: this librdkafka can neither make nor read them; apply\n"
      "prints them as kafka-acls commands (scripts/kafka.sh acls), check does not compare them.\n"
      "Exit: 0 done (check: the brokers hold the plan exactly); 2 check found a difference;\n"
      "69 brokers away; 77 the brokers refused (not the admin principal); 78 configuration;\n"
      "64 usage.\n");
}

int main(int argc, char **argv) {
  enum { O_PRUNE = 256, O_TIMEOUT };
  static const struct option longopts[] = {
      {"prune", no_argument, NULL, O_PRUNE},
      {"timeout-s", required_argument, NULL, O_TIMEOUT},
      RH_CLI_LONGOPTS,
      {NULL, 0, NULL, 0}};
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-acl", usage);
  acl_opts_t o = {.timeout_ms = 15000, .out = stdout};
  long v;
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
    switch (ch) {
    case O_PRUNE: o.prune = true; break;
    case O_TIMEOUT:
      if (rh_cli_long(&cli, "--timeout-s", optarg, 1, 600, &v)) return RH_EXIT_USAGE;
      o.timeout_ms = (int)v * 1000;
      break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (optind != argc - 1) return rh_cli_usage_error(&cli);
  static const char *const names[] = {"plan", "apply", "check", "revoke"};
  int cmd = -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(argv[optind], names[i]) == 0) cmd = i;
  if (cmd < 0 || (o.prune && cmd != ACL_APPLY)) return rh_cli_usage_error(&cli);
  o.command = (acl_command_t)cmd;
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  rh_kafka_principal_set("admin"); /* its party on the brokers (docs/security.md) */
  o.cfg = cfg;
  rc = acl_run(&o);
  rh_config_destroy(cfg);
  return rc;
}
