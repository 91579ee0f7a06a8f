/* ledger_metrics: see ledger_metrics.h. */
#include "ledger_metrics.h"

#include <stdlib.h>

#define ROWS "riskhub_ledger_rows_total"
#define LAST "riskhub_last_list_timestamp_seconds"

static const rh_metric_def_t FAMILIES[] = {
    {"riskhub_ledger_records_total", RH_METRIC_COUNTER,
     "records of the alert and check topics committed to PostgreSQL "
     "(rows written, rows there already, records that give no row)"},
    {ROWS, RH_METRIC_COUNTER,
     "rows inserted, by table; existing: rows that were there already"},
    {"riskhub_ledger_transactions_total", RH_METRIC_COUNTER,
     "PostgreSQL transactions committed"},
    {"riskhub_ledger_refused_total", RH_METRIC_COUNTER,
     "records refused (docs/ledger.md)"},
    {"riskhub_ledger_pg_outages_total", RH_METRIC_COUNTER,
     "times PostgreSQL went away under a batch"},
    {LAST, RH_METRIC_GAUGE,
     "when each department's feed last finished publishing a list "
     "(list_manifests.finished_at, Unix time)"},
};

const rh_metric_def_t *ledger_metrics_families(size_t *n) {
  *n = sizeof FAMILIES / sizeof FAMILIES[0];
  return FAMILIES;
}

void ledger_metrics_lists(rh_metrics_t *m, PGconn *pg) {
  if (!m || !pg) return;
  PGresult *r = PQexec(pg, "SELECT department, feed, extract(epoch FROM max(finished_at)) "
     "FROM list_manifests GROUP BY department, feed");
  if (PQresultStatus(r) == PGRES_TUPLES_OK) {
    char l[512];
    rh_metrics_drop(m, LAST);
    for (int i = 0; i < PQntuples(r); i++)
      rh_metrics_set(m, LAST,
                     rh_metrics_labels(l, sizeof l, 2, "department", PQgetvalue(r, i, 0), "feed",
                                       PQgetvalue(r, i, 1)),
                     strtod(PQgetvalue(r, i, 2), NULL));
  }
  PQclear(r);
}

void ledger_metrics_publish(rh_metrics_t *m, const ledger_stats_t *st) {
  if (!m) return;
  char l[64];
  const struct {
    const char *table;
    uint64_t n;
  } rows[] = {{"warnings", st->warnings},
              {"check_results", st->checks},
              {"unmatched_alerts", st->unmatched},
              {"list_manifests", st->manifests},
              {"warning_steps", st->steps},
              {"existing", st->existing}};
  rh_metrics_set(m, "riskhub_ledger_records_total", "", (double)st->records);
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    rh_metrics_set(m, ROWS, rh_metrics_labels(l, sizeof l, 1, "table", rows[i].table),
                   (double)rows[i].n);
  rh_metrics_set(m, "riskhub_ledger_transactions_total", "", (double)st->transactions);
  rh_metrics_set(m, "riskhub_ledger_refused_total", "", (double)st->refused);
  rh_metrics_set(m, "riskhub_ledger_pg_outages_total", "", (double)st->outages);
  rh_metrics_publish(m);
}
