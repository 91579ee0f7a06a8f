/* web_run: see web_run.h. */
#include "web_run.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "rh_exit.h"
#include "rh_log.h"
#include "rh_metrics_serve.h"
#include "rh_paths.h"
#include "web_publish.h"
#include "web_auth.h"
#include "web_server.h"

#define POOL 8
/* how long an outcome waits for the brokers before the official is told 503 */
#define PUBLISH_TIMEOUT_MS 10000

static const rh_metric_def_t FAMILIES[] = {
    {"riskhub_web_signins_total", RH_METRIC_COUNTER,
     "sign-ins by result: ok, refused (wrong name or password), throttled"},
    {"riskhub_web_outcomes_total", RH_METRIC_COUNTER,
     "home-visit outcomes published to verifications.<township> (the ledger applies them)"},
    {"riskhub_web_requests_total", RH_METRIC_COUNTER, "HTTP requests answered"},
    {"riskhub_web_event_streams", RH_METRIC_GAUGE, "pages open on the event stream"},
};

const rh_metric_def_t *web_metrics_families(size_t *n) {
  *n = sizeof FAMILIES / sizeof FAMILIES[0];
  return FAMILIES;
}

static void publish(rh_metrics_t *m, web_counts_t *n, web_events_t *ev) {
  if (!m) return;
  char l[64];
  rh_metrics_set(m, "riskhub_web_signins_total", rh_metrics_labels(l, sizeof l, 1, "result", "ok"),
                 (double)atomic_load(&n->signins_ok));
  rh_metrics_set(m, "riskhub_web_signins_total",
                 rh_metrics_labels(l, sizeof l, 1, "result", "refused"),
                 (double)atomic_load(&n->signins_refused));
  rh_metrics_set(m, "riskhub_web_signins_total",
                 rh_metrics_labels(l, sizeof l, 1, "result", "throttled"),
                 (double)atomic_load(&n->signins_throttled));
  rh_metrics_set(m, "riskhub_web_outcomes_total", "", (double)atomic_load(&n->outcomes));
  rh_metrics_set(m, "riskhub_web_requests_total", "", (double)atomic_load(&n->requests));
  rh_metrics_set(m, "riskhub_web_event_streams", "", (double)atomic_load(&n->streams));
  rh_metrics_health(m, atomic_load(&n->db_down) || !web_events_listening(ev)
                           ? "waiting for PostgreSQL"
                           : NULL);
  rh_metrics_publish(m);
}

int web_run(const web_run_opts_t *o) {
  if (web_auth_init()) {
    rh_log_error("libsodium cannot start (out of memory?)");
    return RH_EXIT_SOFTWARE;
  }
  char err[600], url[300], host[256];
  int port;
  if (rh_listen_parse(o->listen, host, sizeof host, &port, err, sizeof err)) {
    fprintf(stderr, "riskhub-web: --listen: %s\n", err);
    return RH_EXIT_USAGE;
  }
  rh_listener_t l;
  if (rh_listen(o->listen, &l, err, sizeof err)) {
    rh_log_error("--listen %s: %s", o->listen, err);
    return l.in_use ? RH_EXIT_UNAVAILABLE : RH_EXIT_CONFIG;
  }
  rh_metrics_t *m;
  rh_metrics_server_t *msrv;
  size_t nf;
  const rh_metric_def_t *fam = web_metrics_families(&nf);
  int rc = rh_metrics_start("riskhub-web", o->metrics, fam, nf, &m, &msrv);
  if (rc) {
    close(l.fd);
    return rc;
  }
  /* the Verification records the outcomes are published as (docs/web.md) */
  rh_avro_schemas_t *schemas = rh_avro_schemas_new();
  if (!schemas || rh_avro_schemas_load_dir(schemas, rh_path_schemas(), err, sizeof err)) {
    rh_log_error("schemas: %s", schemas ? err : "out of memory");
    rh_avro_schemas_destroy(schemas);
    close(l.fd);
    rh_metrics_end(m, msrv);
    return schemas ? RH_EXIT_CONFIG : RH_EXIT_SOFTWARE;
  }
  web_counts_t counts = {0};
  web_publish_t *pub = web_publish_new(o->cfg, schemas, PUBLISH_TIMEOUT_MS);
  web_db_t *db = pub ? web_db_new(o->cfg->pg_conninfo, POOL) : NULL;
  web_events_t *ev = db ? web_events_start(o->cfg->pg_conninfo, o->cfg) : NULL;
  web_server_t *s = ev ? web_server_start(&l, rh_path_web(), o->cfg, db, ev, pub, &counts, err,
                                          sizeof err)
                       : NULL;
  if (!s) {
    if (!ev) {
      close(l.fd);
      snprintf(err, sizeof err, "out of memory");
    }
    rh_log_error("%s", err);
    web_events_stop(ev);
    web_db_free(db);
    web_publish_free(pub);
    rh_avro_schemas_destroy(schemas);
    rh_metrics_end(m, msrv);
    return ev ? RH_EXIT_CONFIG : RH_EXIT_SOFTWARE;
  }
  rh_listen_url(&l, url, sizeof url);
  rh_log_info("serving on %s/", url);
  while (!*o->stop) {
    publish(m, &counts, ev);
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
  }
  rh_log_info("stopping");
  web_server_stop(s);
  web_db_free(db);
  web_publish_free(pub);
  rh_avro_schemas_destroy(schemas);
  rh_metrics_end(m, msrv);
  return RH_EXIT_OK;
}
