/* riskhub-alerts: what a township dashboard subscribes with (docs/alerts.md).
 * The work is in alerts_run.c (--scale: alerts_scale_run.c; --identity:
 * alerts_identity_run.c); the command line in alerts_opts.c. */
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "alerts_identity_run.h"
#include "alerts_opts.h"
#include "alerts_run.h"
#include "alerts_scale_run.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_log.h"

/* Who runs it: the OS account (for the group name and the export record),
 * else $USER, else the host name. */
static const char *os_user(const char *host) {
  const struct passwd *pw = getpwuid(geteuid());
  const char *user = pw && pw->pw_name && *pw->pw_name ? pw->pw_name : getenv("USER");
  return user && *user ? user : host;
}

int main(int argc, char **argv) {
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-alerts", alerts_usage);
  char err[4096];
  alerts_args_t a;
  if (alerts_args_parse(argc, argv, &a, err, sizeof err)) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-alerts: %s\n", err);
    return rh_cli_usage_error(&cli);
  }
  if (a.help) return rh_cli_option(&cli, 'h', NULL);
  int rc;
  if ((rc = rh_cli_log_level(&cli, a.log_level))) return rc;
  if (a.config_path) cli.config_path = a.config_path;
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  char host[256] = "";
  if (gethostname(host, sizeof host - 1)) snprintf(host, sizeof host, "unknown");
  const char *user = os_user(host);

  alerts_plan_t plan;
  if (alerts_plan_make(cfg, &a, user, &plan, err, sizeof err)) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-alerts: %s\n", err);
    rh_config_destroy(cfg);
    return RH_EXIT_USAGE;
  }
  /* its party on the brokers (docs/security.md, "Kafka"): one township's
   * dashboard is that township (its warnings, or with --identity its identity
   * discrepancies); several, --all, --unmatched or --scale are the bureau's */
  static char role[64];
  if (plan.township_count == 1 && !plan.unmatched)
    snprintf(role, sizeof role, "town.%s", plan.townships[0]->code);
  else
    snprintf(role, sizeof role, "svc.audit");
  rh_kafka_principal_set(role);
  volatile sig_atomic_t *stop = rh_cli_catch_stop();
  signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error (74), not a silent death */

  alerts_run_opts_t o = {.cfg = cfg, .args = &a, .plan = &plan, .os_user = user,
                         .hostname = host, .stop = stop};
  rc = plan.scale ? alerts_scale_run(&o) : plan.identity ? alerts_identity_run(&o) : alerts_run(&o);
  alerts_plan_free(&plan);
  rh_config_destroy(cfg);
  return rc;
}
