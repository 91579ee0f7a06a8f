/* produce_metrics: see produce_metrics.h. */
#include "produce_metrics.h"

#include "rh_clock.h"
#include "rh_exit.h"

#define FILES "riskhub_produce_files_total"
#define ROWS "riskhub_produce_rows_total"
#define LAST "riskhub_last_list_timestamp_seconds"

static const rh_metric_def_t FAMILIES[] = {
    {FILES, RH_METRIC_COUNTER,
     "files of the drop folder by outcome: published (rows_rejected: "
     "with rejected rows), already (published before), refused, retry "
     "(the broker away)"},
    {ROWS, RH_METRIC_COUNTER,
     "rows of the published files: accepted or rejected"},
    {LAST, RH_METRIC_GAUGE,
     "when each feed's last list was published from this folder "
     "(Unix time)"},
    {"riskhub_produce_files_waiting", RH_METRIC_GAUGE,
     "files in the folder not published yet (being written, or waiting "
     "for the broker)"},
};

const rh_metric_def_t *produce_metrics_families(size_t *n) {
  *n = sizeof FAMILIES / sizeof FAMILIES[0];
  return FAMILIES;
}

void produce_metrics_file(rh_metrics_t *m, const char *dept, const char *feed, int rc,
                          const produce_batch_result_t *res) {
  if (!m) return;
  const char *outcome = rc == RH_EXIT_OK              ? "published"
                        : rc == RH_EXIT_ROWS_REJECTED  ? "rows_rejected"
                        : rc == RH_EXIT_ALREADY_DONE   ? "already"
                        : rc == RH_EXIT_UNAVAILABLE    ? "retry"
                                                       : "refused";
  char l[512];
  if (dept && feed &&
      (rc == RH_EXIT_OK || rc == RH_EXIT_ROWS_REJECTED || rc == RH_EXIT_ALREADY_DONE)) {
    rh_metrics_add(m, FILES,
                   rh_metrics_labels(l, sizeof l, 3, "department", dept, "feed", feed, "outcome",
                                     outcome),
                   1);
    if (rc != RH_EXIT_ALREADY_DONE) {
      rh_metrics_add(m, ROWS,
                     rh_metrics_labels(l, sizeof l, 3, "department", dept, "feed", feed, "kind",
                                       "accepted"),
                     (double)res->rows_accepted);
      rh_metrics_add(m, ROWS,
                     rh_metrics_labels(l, sizeof l, 3, "department", dept, "feed", feed, "kind",
                                       "rejected"),
                     (double)res->rows_rejected);
      rh_metrics_set(m, LAST, rh_metrics_labels(l, sizeof l, 2, "department", dept, "feed", feed),
                     (double)rh_wall_ms() / 1000.0);
    }
  } else {
    rh_metrics_add(m, FILES, rh_metrics_labels(l, sizeof l, 1, "outcome", outcome), 1);
  }
}

void produce_metrics_publish(rh_metrics_t *m, int waiting, const char *trouble) {
  if (!m) return;
  rh_metrics_set(m, "riskhub_produce_files_waiting", "", waiting);
  rh_metrics_health(m, trouble);
  rh_metrics_publish(m);
}
