/* riskhub-ledger: the warnings ledger (docs/ledger.md). The work is in ledger_loop.c. */
#include <inttypes.h>
#include <stdio.h>

#include "ledger_loop.h"
#include "ledger_metrics.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_kafka.h"
#include "rh_metrics_serve.h"
#include "rh_service_cli.h"

/* a batch is collected at most this long by default (--batch-ms) */
#define LEDGER_BATCH_MS 200

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-ledger [--config FILE] [--schemas DIR] [--group ID] [--instance NAME]\n"
      "                      [--idle-exit-ms MS] [--wait-s S] [--batch-max N] [--batch-ms MS]\n"
      "                      [--metrics ADDR] [--log-level LEVEL]\n"
      "Writes the join's township alerts (alerts.<township>) as rows of PostgreSQL's warnings\n"
      "table and its applicant comparisons (checks.<township>) as rows of check_results, read\n"
      "read_committed, exactly once: each batch's rows and the ledger's position in every\n"
      "partition go in one PostgreSQL transaction (table ledger_offsets), and the ledger\n"
      "starts from those positions, never from Kafka's (docs/ledger.md).\n"
      "  --group ID          consumer group and ledger_offsets key (default <prefix>riskhub-ledger)\n"
      "  --instance NAME     static group member <group>.<NAME> (default 0)\n");
  rh_service_opts_t d = rh_service_opts_default(LEDGER_BATCH_MS);
  rh_service_usage_options(fp, &d);
  fprintf(fp,
      "Prints one summary line on exit, and at any stop the records remaining. Exit: 0 idle or\n"
      "SIGTERM with nothing left; 69 records remain or could not be counted, or a service away\n"
      "longer than --wait-s; 70 a database statement error; 78 configuration, schemas or a\n"
      "database without the ledger's tables; 64 usage (docs/ledger.md).\n");
}

static void print_summary(const ledger_stats_t *s) {
  printf("riskhub-ledger: records=%" PRIu64 " warnings=%" PRIu64 " checks=%" PRIu64
         " unmatched=%" PRIu64 " manifests=%" PRIu64 " existing=%" PRIu64 " skipped=%" PRIu64 " transactions=%" PRIu64 " refused=%" PRIu64
         " outages=%" PRIu64 " steps=%" PRIu64 " steps_refused=%" PRIu64 " steps_late=%" PRIu64
         " withdrawn=%" PRIu64 " withdraw_refused=%" PRIu64 " busy_s=%.3f write_s=%.3f\n",
         s->records, s->warnings, s->checks, s->unmatched, s->manifests, s->existing, s->skipped, s->transactions, s->refused,
         s->outages, s->steps, s->steps_refused, s->steps_late, s->withdrawn, s->withdraw_refused, s->busy_s,
         s->write_s);
  fflush(stdout);
}

int main(int argc, char **argv) {
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-ledger", usage);
  rh_service_opts_t so = rh_service_opts_default(LEDGER_BATCH_MS);
  int rc;
  if ((rc = rh_service_parse(&cli, argc, argv, &so)) != RH_CLI_CONTINUE) return rc;
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  rh_kafka_principal_set("svc.ledger"); /* its party on the brokers (docs/security.md) */
  rh_metrics_t *mx;
  rh_metrics_server_t *srv;
  size_t nf;
  const rh_metric_def_t *families = ledger_metrics_families(&nf);
  if ((rc = rh_metrics_start("riskhub-ledger", so.metrics, families, nf, &mx, &srv))) {
    rh_config_destroy(cfg);
    return rc;
  }
  ledger_opts_t o = {.cfg = cfg, .schemas_dir = so.schemas_dir, .group = so.group,
                     .instance = so.instance, .idle_exit_ms = so.idle_exit_ms,
                     .wait_s = so.wait_s, .batch_max = so.batch_max, .batch_ms = so.batch_ms,
                     .stop = rh_cli_catch_stop(), .metrics = mx};
  ledger_stats_t st;
  rc = ledger_run(&o, &st);
  print_summary(&st);
  rh_metrics_end(mx, srv);
  rh_config_destroy(cfg);
  return rc;
}
