/*
 * rh_metrics: what a long-running service shows its operator (docs/metrics.md):
 * counters and gauges in Prometheus' text format (version 0.0.4) for
 * GET /metrics, and one health verdict for GET /healthz. The HTTP side is
 * rh_metrics_serve.h; librdkafka's statistics are read into it by
 * rh_metrics_kafka.h.
 *
 * Threads: the service's own thread declares families, sets samples and
 * publishes; rh_metrics_publish() renders the page and hands it over under a
 * lock, and the HTTP thread reads only what was handed over
 * (rh_metrics_page, rh_metrics_health_page). A service that stops publishing
 * (a loop stuck in a call) is reported unhealthy after RH_METRICS_STALE_MS.
 *
 * Nothing personal goes in: label values are topic names, feeds, kinds and
 * broker names, never an ID number or a name.
 */
#ifndef RH_METRICS_H
#define RH_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* the service loop must publish at least this often to stay healthy (or
 * within what rh_metrics_stale_ms set) */
#define RH_METRICS_STALE_MS 60000

typedef enum { RH_METRIC_COUNTER, RH_METRIC_GAUGE } rh_metric_type_t;

typedef struct rh_metrics rh_metrics_t;

/* program: "riskhub-join", shown as riskhub_info{program=...}. NULL: out of memory. */
rh_metrics_t *rh_metrics_new(const char *program);
void rh_metrics_destroy(rh_metrics_t *m);

/* Declare a family (a name [a-zA-Z_:][a-zA-Z0-9_:]*, its type and one line
 * of help); the page lists families in the order declared. Declaring a
 * declared name again is a no-op. 0, -1 (a bad name, out of memory). */
int rh_metrics_family(rh_metrics_t *m, const char *name, rh_metric_type_t type, const char *help);

/* The label set of a sample, for rh_metrics_set/_add: npairs pairs of a
 * label name and a value, escaped as the format wants (\\, \", \n).
 * Returns out, or NULL when it does not fit n (or out of memory): set/add
 * then refuse it, so that two series are never merged into one. */
const char *rh_metrics_labels(char *out, size_t n, int npairs, ...);

/* A service's families as a table: declared in its order (above). */
typedef struct {
  const char *name;
  rh_metric_type_t type;
  const char *help;
} rh_metric_def_t;
int rh_metrics_declare(rh_metrics_t *m, const rh_metric_def_t *defs, size_t n);

/* Set / add to the sample of a declared family with these labels ("": none),
 * creating it. 0, -1 (an undeclared family, labels NULL, out of memory). */
int rh_metrics_set(rh_metrics_t *m, const char *name, const char *labels, double v);
int rh_metrics_add(rh_metrics_t *m, const char *name, const char *labels, double delta);
/* Forget every sample of a family (partitions revoked: their lag goes). */
void rh_metrics_drop(rh_metrics_t *m, const char *name);

/* The service's health: NULL healthy, else what is wrong, in one line for
 * the operator ("waiting for PostgreSQL: ..."). Copied, line breaks made
 * blanks and scrubbed as log lines are (rh_log_scrub: no ID number, no
 * password); takes effect at the next publish. */
void rh_metrics_health(rh_metrics_t *m, const char *problem);
/* The client's own verdict on Kafka (rh_metrics_kafka.c: no broker up in
 * consecutive reports), NULL none: reported when the service has no problem
 * of its own, and riskhub_healthy is 0 while it stands. */
void rh_metrics_kafka_problem(rh_metrics_t *m, const char *problem);
/* The longest a service may go without publishing and stay healthy: at
 * least RH_METRICS_STALE_MS (its default). A service whose loop legitimately
 * blocks longer (a transaction open for --batch-ms, a commit waiting out the
 * transaction timeout) sets its bound. */
void rh_metrics_stale_ms(rh_metrics_t *m, int64_t ms);

/* Render the page and hand it (and the health) to the HTTP side; the
 * moment counts as the loop's last sign of life. 0, -1 out of memory (the
 * previous page stays). */
int rh_metrics_publish(rh_metrics_t *m);

/* For the HTTP thread: a copy of the last page (malloc'd, *len bytes), NULL
 * when nothing was published yet or out of memory. */
char *rh_metrics_page(rh_metrics_t *m, size_t *len);
/* For the HTTP thread: 200 and "ok\n", or 503 and the reason (nothing
 * published yet, the last publish older than RH_METRICS_STALE_MS, or the
 * service's problem), in out. now_ms: rh_mono_ms(). */
int rh_metrics_health_page(rh_metrics_t *m, int64_t now_ms, char *out, size_t n);

#endif
