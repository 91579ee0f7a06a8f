/*
 * rh_metrics_serve: the HTTP side of rh_metrics (docs/metrics.md), on
 * libmicrohttpd's own thread: GET /metrics (Prometheus' text format), GET
 * /healthz (200 "ok", or 503 and the reason), anything else 404 or 405.
 * It reads only what the service published (rh_metrics.h).
 */
#ifndef RH_METRICS_SERVE_H
#define RH_METRICS_SERVE_H

#include <stddef.h>

#include "rh_listen.h"
#include "rh_metrics.h"

typedef struct rh_metrics_server rh_metrics_server_t;

/* Serve m on l (rh_listen.h; its socket is the server's from here on, also
 * on failure) until rh_metrics_server_stop. NULL with err. */
rh_metrics_server_t *rh_metrics_serve(rh_metrics_t *m, const rh_listener_t *l, char *err,
                                      size_t errsz);
/* The port it listens on (the one chosen for port 0). */
int rh_metrics_server_port(const rh_metrics_server_t *s);
void rh_metrics_server_stop(rh_metrics_server_t *s);

/* For a service's main(), --metrics ADDR: NULL listen, nothing (both NULL,
 * RH_EXIT_OK); else make *m with the service's families (nfamilies of
 * them) declared, serve it, log "metrics on http://HOST:PORT/metrics" and
 * return RH_EXIT_OK, or log why not and return RH_EXIT_USAGE (a bad
 * address), RH_EXIT_UNAVAILABLE (another process has the port),
 * RH_EXIT_CONFIG (it cannot listen there otherwise: no such host, no
 * permission) or RH_EXIT_SOFTWARE (out of memory). */
int rh_metrics_start(const char *program, const char *listen, const rh_metric_def_t *families,
                     size_t nfamilies, rh_metrics_t **m, rh_metrics_server_t **srv);
/* Stop the server and free both (either may be NULL). */
void rh_metrics_end(rh_metrics_t *m, rh_metrics_server_t *srv);

#endif
