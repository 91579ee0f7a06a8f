/* riskhub-identity: public security's identity list of the month against the
 * registry, each discrepancy to its township's topic, as the identity party
 * (identity_run.h, docs/identity.md). */
#include <stdio.h>

#include "identity_run.h"
#include "rh_cli_month.h"

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-identity [--config FILE] --period YYYY-MM|current|previous\n"
      "                        [--schemas DIR] [--timeout-ms MS] [--log-level LEVEL]\n"
      "Compares the month's identity list of public security (every identity feed's\n"
      "list that finished last, signed) with the household registry and sends each\n"
      "discrepancy to the topic identity.<township> of the township that keeps the\n"
      "record: OPEN once, UPDATED when its values change, CLOSED when the registry or\n"
      "the list is corrected; a version the topics have already is not sent again.\n"
      "current and previous are the county's months (UTC+08:00). Exit: 0 done (also:\n"
      "no list yet); 64 usage; 65 a list the broker does not hold whole; 69 PostgreSQL\n"
      "or the broker away (nothing sent); 77 refused; 78 configuration; 70 internal.\n");
}

int main(int argc, char **argv) {
  rh_cli_t cli;
  rh_cli_month_t m;
  rh_cli_init(&cli, "riskhub-identity", usage);
  int rc = rh_cli_month(&cli, argc, argv, "svc.identity", &m);
  if (rc != RH_CLI_CONTINUE) return rc;
  identity_run_opts_t o = {m.cfg, m.schemas, m.period, m.timeout_ms};
  rc = identity_run(&o);
  rh_cli_month_free(&m);
  return rc;
}
