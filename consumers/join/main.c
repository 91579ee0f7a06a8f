/* riskhub-join: the join service (docs/join.md). The work is in join_loop.c. */
#include <inttypes.h>
#include <stdio.h>

#include "join_loop.h"
#include "join_metrics.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_kafka.h"
#include "rh_metrics_serve.h"
#include "rh_service_cli.h"

/* a transaction stays open at most this long by default (--batch-ms) */
#define JOIN_BATCH_MS 100

static void usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-join [--config FILE] [--schemas DIR] [--group ID] [--instance NAME]\n"
      "                    [--idle-exit-ms MS] [--wait-s S] [--batch-max N] [--batch-ms MS]\n"
      "                    [--metrics ADDR] [--log-level LEVEL]\n"
      "Joins every department feed with the household registry, exactly once: alerts to\n"
      "alerts.<township>, unknown persons to alerts.unmatched, applicant comparisons to\n"
      "checks.<township>, undecodable records to riskhub.dlq (docs/join.md).\n"
      "  --group ID          consumer group (default <prefix>riskhub-join)\n"
      "  --instance NAME     this instance's name (default 0): its transactional id and\n"
      "                      static group member. Run any number of instances with\n"
      "                      different names: the group shares the feed partitions and\n"
      "                      each alert is published once (the published ids follow the\n"
      "                      partitions: topic <prefix>riskhub-join.published). Never two\n"
      "                      running with one name (the second fences the first: 70)\n");
  rh_service_opts_t d = rh_service_opts_default(JOIN_BATCH_MS);
  rh_service_usage_options(fp, &d);
  fprintf(fp,
      "Prints one summary line on exit, and at any stop the records remaining. Exit: 0 idle or\n"
      "SIGTERM with nothing left and everything written visible; 69 records remain or could\n"
      "not be counted, or a service away longer than --wait-s; 70 a hanging transaction on an\n"
      "output, a fatal Kafka or database error; 78 configuration; 64 usage (docs/join.md).\n");
}

/* The one summary line on stdout. */
static void print_summary(const join_counts_t *c, const join_stats_t *st) {
  printf("riskhub-join: records=%" PRIu64 " alerts=%" PRIu64 " unmatched=%" PRIu64
         " no_rule=%" PRIu64 " duplicates=%" PRIu64 " dlq=%" PRIu64 " checks=%" PRIu64
         " check_records=%" PRIu64 " identity=%" PRIu64 " manifests=%" PRIu64
         " withdrawn=%" PRIu64 " merged=%" PRIu64 " transactions=%" PRIu64 " aborts=%" PRIu64 " busy_s=%.3f registry_load_s=%.3f"
         " registry_mib=%.1f transform_s=%.3f commit_s=%.3f\n",
         c->records, c->alerts, c->unmatched, c->no_rule, c->duplicates, c->dlq, c->checks,
         c->check_records, c->identity, c->manifests, c->withdrawn, c->merged, st->transactions, st->aborts, st->busy_s,
         st->registry_load_s, (double)st->registry_bytes / (1024.0 * 1024.0), st->transform_s,
         st->commit_s);
  fflush(stdout);
}

int main(int argc, char **argv) {
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-join", usage);
  rh_service_opts_t so = rh_service_opts_default(JOIN_BATCH_MS);
  int rc;
  if ((rc = rh_service_parse(&cli, argc, argv, &so)) != RH_CLI_CONTINUE) return rc;
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  rh_kafka_principal_set("svc.join"); /* its party on the brokers (docs/security.md) */
  rh_metrics_t *mx;
  rh_metrics_server_t *srv;
  size_t nf;
  const rh_metric_def_t *families = join_metrics_families(&nf);
  if ((rc = rh_metrics_start("riskhub-join", so.metrics, families, nf, &mx, &srv))) {
    rh_config_destroy(cfg);
    return rc;
  }
  join_opts_t o = {.cfg = cfg, .schemas_dir = so.schemas_dir, .group = so.group,
                   .instance = so.instance, .idle_exit_ms = so.idle_exit_ms, .wait_s = so.wait_s,
                   .batch_max = so.batch_max, .batch_ms = so.batch_ms,
                   .stop = rh_cli_catch_stop(), .metrics = mx};
  join_counts_t c;
  join_stats_t st;
  rc = join_run(&o, &c, &st);
  print_summary(&c, &st);
  rh_metrics_end(mx, srv);
  rh_config_destroy(cfg);
  return rc;
}
