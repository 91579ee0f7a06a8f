/* riskhub-scale: the month's risks of large-scale return to poverty onto the
 * county topic, as the scale party (scale_run.h, docs/scale.md). */
#include <stdio.h>

#include "rh_cli_month.h"
#include "scale_run.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-scale [--config FILE] --period YYYY-MM|current|previous\n"
      "                     [--schemas DIR] [--timeout-ms MS] [--log-level LEVEL]\n"
      "Counts the month's live warnings per village and township against the\n"
      "configuration's scale_risks rules and sends each place that crosses a rule to\n"
      "the county topic riskhub.scale-risks: RAISED once, UPDATED when the households\n"
      "behind it change, CLEARED when it no longer crosses; a version the topic has\n"
      "already is not sent again. current and previous are the county's months\n"
      "(UTC+08:00). Exit: 0 done; 64 usage; 69 PostgreSQL or the broker away\n"
      "(nothing sent); 77 refused; 78 configuration; 70 internal.\n");
}

int main(int argc, char **argv) {
  rh_cli_t cli;
  rh_cli_month_t m;
  rh_cli_init(&cli, "riskhub-scale", usage);
  int rc = rh_cli_month(&cli, argc, argv, "svc.scale", &m);
  if (rc != RH_CLI_CONTINUE) return rc;
  scale_run_opts_t o = {m.cfg, m.schemas, m.period, m.timeout_ms};
  rc = scale_run(&o);
  rh_cli_month_free(&m);
  return rc;
}
