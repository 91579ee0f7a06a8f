/*
 * web_run: riskhub-web serving until SIGTERM: PostgreSQL's pool, the LISTEN
 * thread, the HTTP server, and /metrics (--metrics) published once a second.
 */
#ifndef WEB_RUN_H
#define WEB_RUN_H

#include <signal.h>

#include "rh_config.h"
#include "rh_metrics.h"

typedef struct {
  const rh_config_t *cfg;
  const char *listen;  /* --listen ADDR */
  const char *metrics; /* --metrics ADDR or NULL */
  volatile sig_atomic_t *stop;
} web_run_opts_t;

/* The exit code: 0 after SIGTERM; 64 a malformed --listen; 69 the port taken; 78 cannot listen there or
 * the page's files missing; 70 out of memory. */
int web_run(const web_run_opts_t *o);

/* The metric families riskhub-web serves (docs/metrics.md). */
const rh_metric_def_t *web_metrics_families(size_t *n);

#endif
