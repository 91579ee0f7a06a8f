/* rh_metrics_serve: see rh_metrics_serve.h. */
#include "rh_metrics_serve.h"

#include <microhttpd.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_listen.h"
#include "rh_log.h"

struct rh_metrics_server {
  struct MHD_Daemon *d;
  rh_metrics_t *m;
  int port;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, char *body, size_t len,
                             const char *type) {
  struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
  if (!r) {
    free(body);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (code == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  enum MHD_Result ok = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned code, const char *s) {
  char *b = strdup(s);
  return b ? reply(c, code, b, strlen(b), "text/plain; charset=utf-8") : MHD_NO;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state) {
  rh_metrics_server_t *s = cls;
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
  if (strcmp(url, "/metrics") == 0) {
    size_t len;
    char *page = rh_metrics_page(s->m, &len);
    if (!page) return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "starting: nothing published yet\n");
    return reply(c, MHD_HTTP_OK, page, len, "text/plain; version=0.0.4; charset=utf-8");
  }
  if (strcmp(url, "/healthz") == 0) {
    char body[600];
    int code = rh_metrics_health_page(s->m, rh_mono_ms(), body, sizeof body);
    return text(c, (unsigned)code, body);
  }
  if (strcmp(url, "/") == 0) return text(c, MHD_HTTP_OK, "riskhub: /metrics /healthz\n");
  return text(c, MHD_HTTP_NOT_FOUND, "not found: /metrics or /healthz\n");
}

rh_metrics_server_t *rh_metrics_serve(rh_metrics_t *m, const rh_listener_t *l, char *err,
                                      size_t errsz) {
  rh_metrics_server_t *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errsz, "out of memory");
    close(l->fd);
    return NULL;
  }
  s->m = m;
  s->port = l->port;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
  if (l->family == AF_INET6) flags |= MHD_USE_IPv6;
  s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, l->fd,
                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
  if (!s->d) {
    /* not closed here: MHD 0.9.75 closes a socket it was given on most of its
     * failure paths, and a second close could hit another thread's descriptor */
    snprintf(err, errsz, "cannot start the HTTP server on port %d", l->port);
    free(s);
    return NULL;
  }
  return s;
}

int rh_metrics_server_port(const rh_metrics_server_t *s) { return s->port; }

void rh_metrics_server_stop(rh_metrics_server_t *s) {
  if (!s) return;
  MHD_stop_daemon(s->d); /* closes the listening socket */
  free(s);
}

int rh_metrics_start(const char *program, const char *listen, const rh_metric_def_t *families,
                     size_t nfamilies, rh_metrics_t **m, rh_metrics_server_t **srv) {
  char host[256], err[512], url[300];
  int port;
  *m = NULL;
  *srv = NULL;
  if (!listen) return RH_EXIT_OK;
  if (rh_listen_parse(listen, host, sizeof host, &port, err, sizeof err)) {
    fprintf(stderr, "%s: --metrics: %s\n", program, err);
    return RH_EXIT_USAGE;
  }
  rh_listener_t l;
  if (rh_listen(listen, &l, err, sizeof err)) {
    rh_log_error("--metrics %s: %s", listen, err);
    /* taken by another process: the address is right, the place is busy */
    return l.in_use ? RH_EXIT_UNAVAILABLE : RH_EXIT_CONFIG;
  }
  if (!(*m = rh_metrics_new(program)) || rh_metrics_declare(*m, families, nfamilies)) {
    rh_log_error("metrics: out of memory");
    rh_metrics_destroy(*m);
    *m = NULL;
    close(l.fd);
    return RH_EXIT_SOFTWARE;
  }
  rh_metrics_health(*m, "starting");
  rh_metrics_publish(*m);
  if (!(*srv = rh_metrics_serve(*m, &l, err, sizeof err))) {
    rh_log_error("--metrics %s: %s", listen, err);
    rh_metrics_destroy(*m);
    *m = NULL;
    return RH_EXIT_SOFTWARE;
  }
  rh_listen_url(&l, url, sizeof url);
  rh_log_info("metrics on %s/metrics, health on /healthz", url);
  return RH_EXIT_OK;
}

void rh_metrics_end(rh_metrics_t *m, rh_metrics_server_t *srv) {
  rh_metrics_server_stop(srv);
  rh_metrics_destroy(m);
}
