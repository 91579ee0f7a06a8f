/* riskhub-web: the township officials' and the bureau's page (docs/web.md).
 * The work is in web_run.c (serving) and web_user.c (accounts). */
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "web_run.h"
#include "web_user.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-web [--config FILE] [--listen ADDR] [--metrics ADDR] [--log-level LEVEL]\n"
      "       riskhub-web [--config FILE] user add NAME (--township CODE | --bureau) [--display TEXT]\n"
      "       riskhub-web [--config FILE] user password NAME | disable NAME | enable NAME\n"
      "Serves the township officials' page (their township's warnings, new ones as they come,\n"
      "the outcome of a home visit, CSV) and the bureau's (every township's figures, the\n"
      "month's lists), in Chinese, behind a sign-in (docs/web.md).\n"
      "  --listen ADDR    HOST:PORT, [IPV6]:PORT or :PORT (default 127.0.0.1:8080)\n"
      "  --metrics ADDR   /metrics and /healthz there (docs/metrics.md)\n"
      "user: the accounts; a password is read from standard input, at least 10 characters.\n"
      "Exit: 0 stopped by SIGTERM or done; 64 usage; 65 refused (user); 69 the port taken or\n"
      "PostgreSQL away (user); 70 out of memory; 78 configuration, the page's files, or an\n"
      "address it cannot listen on.\n");
}

int main(int argc, char **argv) {
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-web", usage);
  static const struct option longopts[] = {
      {"listen", required_argument, NULL, 'l'}, {"metrics", required_argument, NULL, 'm'},
      RH_CLI_LONGOPTS, {NULL, 0, NULL, 0}};
  web_run_opts_t o = {.listen = "127.0.0.1:8080"};
  int ch, rc;
  while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'l': o.listen = optarg; break;
    case 'm': o.metrics = optarg; break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  bool user = optind < argc && strcmp(argv[optind], "user") == 0;
  if (optind < argc && !user) return rh_cli_usage_error(&cli);
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  if (user) {
    rc = web_user_command(cfg, argc - optind - 1, argv + optind + 1);
  } else {
    o.cfg = cfg;
    o.stop = rh_cli_catch_stop();
    rc = web_run(&o);
  }
  rh_config_destroy(cfg);
  return rc;
}
