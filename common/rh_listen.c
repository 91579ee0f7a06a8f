/* rh_listen: see rh_listen.h. */
#include "rh_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int rh_listen_parse(const char *s, char *host, size_t hostsz, int *port, char *err,
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

/* A listening socket on host:port, or -1 with err. */
static int listen_on(const char *host, int port, int *family, bool *in_use, char *err,
                     size_t errsz) {
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
  for (int pass = 0; pass < 2 && fd < 0 && !*in_use; pass++)
  for (struct addrinfo *a = res; a && fd < 0 && !*in_use; a = a->ai_next) {
    if ((pass == 0) != (a->ai_family == AF_INET) || (!*host && a->ai_family != AF_INET)) continue;
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      snprintf(err, errsz, "socket: %s", strerror(errno));
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 64)) {
      /* taken here is taken: another address of the name is no answer */
      if (errno == EADDRINUSE) *in_use = true;
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


int rh_listen(const char *listen, rh_listener_t *l, char *err, size_t errsz) {
  memset(l, 0, sizeof *l);
  l->fd = -1;
  err[0] = '\0';
  if (rh_listen_parse(listen, l->host, sizeof l->host, &l->port, err, errsz)) return -1;
  l->fd = listen_on(l->host, l->port, &l->family, &l->in_use, err, errsz);
  if (l->fd < 0) return -1;
  struct sockaddr_storage sa;
  socklen_t sl = sizeof sa;
  if (getsockname(l->fd, (struct sockaddr *)&sa, &sl)) {
    snprintf(err, errsz, "%s", strerror(errno));
    close(l->fd);
    l->fd = -1;
    return -1;
  }
  l->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                           : ((struct sockaddr_in *)&sa)->sin_port);
  return 0;
}

void rh_listen_url(const rh_listener_t *l, char *buf, size_t size) {
  bool v6 = strchr(l->host, ':') != NULL;
  snprintf(buf, size, "http://%s%s%s:%d", v6 ? "[" : "", l->host[0] ? l->host : "0.0.0.0",
           v6 ? "]" : "", l->port);
}
