/* rh_metrics_serve: see rh_metrics_serve.h. */
#include "rh_metrics_serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_log.h"

struct rh_metrics_server {
  struct MHD_Daemon *d;
  rh_metrics_t *m;
  int port;
};

int rh_metrics_listen_parse(const char *s, char *host, size_t hostsz, int *port, char *err,
                            size_t errsz) {
  const char *colon = s ? strrchr(s, ':') : NULL;
  if (!colon) {
    snprintf(err, errsz, "expected HOST:PORT, [IPV6]:PORT or :PORT, got '%s'", s ? s : "");
    return -1;
  }
  const char *h = s, *he = colon;
  if (*h == '[') { /* [::1]:9400 */
    const char *close = strchr(h, ']');
    if (!close || close + 1 != colon || close == h + 1) {
      snprintf(err, errsz, "expected [IPV6]:PORT, e.g. [::1]:9400, got '%s'", s);
      return -1;
    }
    h++;
    he--;
  } else if (memchr(h, ':', (size_t)(he - h))) {
    snprintf(err, errsz, "an IPv6 address goes in brackets: [::1]:9400, got '%s'", s);
    return -1;
  }
  if ((size_t)(he - h) >= hostsz) {
    snprintf(err, errsz, "the host in '%s' is too long", s);
    return -1;
  }
  memcpy(host, h, (size_t)(he - h));
  host[he - h] = '\0';
  const char *p = colon + 1;
  long v = 0;
  if (!*p || strlen(p) > 5) v = -1;
  for (const char *q = p; v >= 0 && *q; q++) v = (*q >= '0' && *q <= '9') ? v * 10 + (*q - '0') : -1;
  if (v < 0 || v > 65535) {
    snprintf(err, errsz, "the port in '%s' is not a number from 0 to 65535", s);
    return -1;
  }
  *port = (int)v;
  return 0;
}

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

/* A listening socket on host:port, or -1 with err. */
static int listen_on(const char *host, int port, int *family, char *err, size_t errsz) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *res = NULL;
  char ps[8];
  snprintf(ps, sizeof ps, "%d", port);
  int e = getaddrinfo(*host ? host : NULL, ps, &hints, &res);
  if (e) {
    snprintf(err, errsz, "%s: %s", *host ? host : "*", gai_strerror(e));
    return -1;
  }
  int fd = -1;
  /* IPv4 first (a name like localhost may give ::1 first); ":PORT": IPv4 only */
  for (int pass = 0; pass < 2 && fd < 0; pass++)
  for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
    if ((pass == 0) != (a->ai_family == AF_INET) || (!*host && a->ai_family != AF_INET)) continue;
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      snprintf(err, errsz, "socket: %s", strerror(errno));
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 64)) {
      snprintf(err, errsz, "cannot listen on %s:%d: %s", *host ? host : "*", port,
               strerror(errno));
      close(fd);
      fd = -1;
    } else {
      *family = a->ai_family;
    }
  }
  if (!res || (fd < 0 && !err[0])) snprintf(err, errsz, "%s: no address", host);
  freeaddrinfo(res);
  return fd;
}

rh_metrics_server_t *rh_metrics_serve(rh_metrics_t *m, const char *listen, char *err,
                                      size_t errsz) {
  char host[256];
  int port, family = AF_INET;
  err[0] = '\0';
  if (rh_metrics_listen_parse(listen, host, sizeof host, &port, err, errsz)) return NULL;
  int fd = listen_on(host, port, &family, err, errsz);
  if (fd < 0) return NULL;
  struct sockaddr_storage sa;
  socklen_t sl = sizeof sa;
  rh_metrics_server_t *s = calloc(1, sizeof *s);
  if (!s || getsockname(fd, (struct sockaddr *)&sa, &sl)) {
    snprintf(err, errsz, "%s", s ? strerror(errno) : "out of memory");
    free(s);
    close(fd);
    return NULL;
  }
  s->m = m;
  s->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                           : ((struct sockaddr_in *)&sa)->sin_port);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
  if (family == AF_INET6) flags |= MHD_USE_IPv6;
  s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, fd,
                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
  if (!s->d) {
    /* not closed here: MHD 0.9.75 closes a socket it was given on most of its
     * failure paths, and a second close could hit another thread's descriptor */
    snprintf(err, errsz, "cannot start the HTTP server on %s", listen);
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
  char host[256], err[512];
  int port;
  *m = NULL;
  *srv = NULL;
  if (!listen) return RH_EXIT_OK;
  if (rh_metrics_listen_parse(listen, host, sizeof host, &port, err, sizeof err)) {
    fprintf(stderr, "%s: --metrics: %s\n", program, err);
    return RH_EXIT_USAGE;
  }
  if (!(*m = rh_metrics_new(program)) || rh_metrics_declare(*m, families, nfamilies)) {
    rh_log_error("metrics: out of memory");
    rh_metrics_destroy(*m);
    *m = NULL;
    return RH_EXIT_SOFTWARE;
  }
  rh_metrics_health(*m, "starting");
  rh_metrics_publish(*m);
  if (!(*srv = rh_metrics_serve(*m, listen, err, sizeof err))) {
    rh_log_error("--metrics %s: %s", listen, err);
    rh_metrics_destroy(*m);
    *m = NULL;
    return RH_EXIT_CONFIG;
  }
  bool v6 = strchr(host, ':') != NULL;
  rh_log_info("metrics on http://%s%s%s:%d/metrics, health on /healthz", v6 ? "[" : "",
              host[0] ? host : "0.0.0.0", v6 ? "]" : "", rh_metrics_server_port(*srv));
  return RH_EXIT_OK;
}

void rh_metrics_end(rh_metrics_t *m, rh_metrics_server_t *srv) {
  rh_metrics_server_stop(srv);
  rh_metrics_destroy(m);
}
