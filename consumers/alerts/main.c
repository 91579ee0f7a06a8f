/* riskhub-alerts: what a township dashboard subscribes with (docs/alerts.md).
 * The work is in alerts_run.c; the command line in alerts_opts.c. */
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts_opts.h"
#include "alerts_run.h"
#include "rh_config.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_paths.h"

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

int main(int argc, char **argv) {
  rh_log_set_program("riskhub-alerts");
  char err[4096];
  alerts_args_t a;
  if (alerts_args_parse(argc, argv, &a, err, sizeof err)) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-alerts: %s\n", err);
    alerts_usage(stderr);
    return RH_EXIT_USAGE;
  }
  if (a.help) {
    alerts_usage(stdout);
    return RH_EXIT_OK;
  }
  if (a.log_level) {
    rh_log_level_t lvl;
    if (rh_log_level_parse(a.log_level, &lvl)) {
      fprintf(stderr, "riskhub-alerts: --log-level: unknown level '%.32s'\n", a.log_level);
      return RH_EXIT_USAGE;
    }
    rh_log_set_level(lvl);
  }
  rh_config_t *cfg = rh_config_load(a.config_path ? a.config_path : rh_path_config(), err,
                                    sizeof err);
  if (!cfg) {
    fprintf(stderr, "riskhub-alerts: %s\n", err);
    return RH_EXIT_CONFIG;
  }
  /* who runs it: the OS account (for the group name and the export record) */
  char host[256] = "";
  if (gethostname(host, sizeof host - 1)) snprintf(host, sizeof host, "unknown");
  const struct passwd *pw = getpwuid(geteuid());
  const char *user = pw && pw->pw_name && *pw->pw_name ? pw->pw_name : getenv("USER");
  if (!user || !*user) user = host;

  alerts_plan_t plan;
  if (alerts_plan_make(cfg, &a, user, &plan, err, sizeof err)) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-alerts: %s\n", err);
    rh_config_destroy(cfg);
    return RH_EXIT_USAGE;
  }
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error (74), not a silent death */

  alerts_run_opts_t o = {.cfg = cfg, .args = &a, .plan = &plan, .os_user = user,
                         .hostname = host, .stop = &stop_flag};
  int rc = alerts_run(&o);
  alerts_plan_free(&plan);
  rh_config_destroy(cfg);
  return rc;
}
