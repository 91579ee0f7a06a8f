/* join_metrics: see join_metrics.h. */
#include "join_metrics.h"

#include <stddef.h>

#define IN "riskhub_join_records_in_total"
#define OUT "riskhub_join_records_out_total"
#define TXN "riskhub_join_transactions_total"

static const rh_metric_def_t FAMILIES[] = {
    {IN, RH_METRIC_COUNTER,
     "records of each input topic (a department's feed or manifests) "
     "consumed in committed transactions"},
    {OUT, RH_METRIC_COUNTER,
     "what committed transactions wrote, by kind: alerts, unmatched, "
     "checks (results), identity, dlq; no_rule and duplicates wrote "
     "nothing"},
    {TXN, RH_METRIC_COUNTER,
     "Kafka transactions by outcome: committed or aborted"},
    {"riskhub_dead_letters_total", RH_METRIC_COUNTER,
     "undecodable or refused records written to riskhub.dlq"},
    {"riskhub_hanging_transactions", RH_METRIC_GAUGE,
     "output partitions whose last stable offset stays below what "
     "the join wrote (docs/join.md, \"The LSO check\"): the join stops"},
    {"riskhub_lso_pending", RH_METRIC_GAUGE,
     "output partitions whose last stable offset has not yet passed "
     "what the join wrote"},
    {"riskhub_registry_persons", RH_METRIC_GAUGE,
     "persons of the household registry in memory"},
    {"riskhub_registry_households", RH_METRIC_GAUGE,
     "households of the household registry in memory"},
    {"riskhub_registry_bytes", RH_METRIC_GAUGE,
     "memory the registry in memory holds"},
    {"riskhub_registry_changelog_watermark", RH_METRIC_GAUGE,
     "the last registry_changes.change_id the registry in memory "
     "contains"},
};

const rh_metric_def_t *join_metrics_families(size_t *n) {
  *n = sizeof FAMILIES / sizeof FAMILIES[0];
  return FAMILIES;
}

void join_metrics_input(rh_metrics_t *m, const char *topic, uint64_t n) {
  char l[512];
  if (m) rh_metrics_add(m, IN, rh_metrics_labels(l, sizeof l, 1, "topic", topic), (double)n);
}

void join_metrics_publish(rh_metrics_t *m, const join_counts_t *c, const join_stats_t *st,
                          const rh_regmap_t *map, const join_lso_t *lso) {
  if (!m) return;
  char l[64];
  const struct {
    const char *kind;
    uint64_t n;
  } out[] = {{"alerts", c->alerts},     {"unmatched", c->unmatched}, {"checks", c->checks},
             {"identity", c->identity}, {"dlq", c->dlq},             {"no_rule", c->no_rule},
             {"duplicates", c->duplicates}};
  for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
    rh_metrics_set(m, OUT, rh_metrics_labels(l, sizeof l, 1, "kind", out[i].kind),
                   (double)out[i].n);
  rh_metrics_set(m, TXN, rh_metrics_labels(l, sizeof l, 1, "outcome", "committed"),
                 (double)st->transactions);
  rh_metrics_set(m, TXN, rh_metrics_labels(l, sizeof l, 1, "outcome", "aborted"),
                 (double)st->aborts);
  rh_metrics_set(m, "riskhub_dead_letters_total", "", (double)c->dlq);
  size_t hanging = 0;
  for (size_t i = 0; i < lso->n; i++) hanging += lso->parts[i].verdict == JOIN_LSO_HANGING;
  rh_metrics_set(m, "riskhub_hanging_transactions", "", (double)hanging);
  rh_metrics_set(m, "riskhub_lso_pending", "", (double)lso->n);
  if (map) {
    rh_regmap_stats_t rs;
    rh_regmap_stats(map, &rs);
    rh_metrics_set(m, "riskhub_registry_persons", "", (double)rs.persons);
    rh_metrics_set(m, "riskhub_registry_households", "", (double)rs.households);
    rh_metrics_set(m, "riskhub_registry_bytes", "", (double)rs.bytes);
    rh_metrics_set(m, "riskhub_registry_changelog_watermark", "", (double)rs.watermark);
  }
  rh_metrics_publish(m);
}
