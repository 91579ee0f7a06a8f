/*
 * rh_listen: a listening TCP socket from an address a person writes on a
 * command line (--metrics ADDR, riskhub-web --listen ADDR), for the
 * libmicrohttpd servers (rh_metrics_serve.c, consumers/web/).
 */
#ifndef RH_LISTEN_H
#define RH_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

/* "HOST:PORT", "[IPV6]:PORT" or ":PORT" (every IPv4 interface); PORT 0 to 65535
 * (0: any free port). 0, or -1 with err saying what is wrong. */
int rh_listen_parse(const char *s, char *host, size_t hostsz, int *port, char *err,
                    size_t errsz);

typedef struct {
  int fd;         /* listening, close-on-exec */
  int family;     /* AF_INET or AF_INET6 */
  int port;       /* the one chosen for port 0 */
  char host[256]; /* as written ("" for ":PORT") */
  bool in_use;    /* on failure: the address is taken by another process */
} rh_listener_t;

/* Parse listen and listen there (IPv4 first when a name gives both). 0, or -1
 * with err: a bad address, a name that does not resolve, the port taken
 * (l->in_use set: the caller may say the service is unavailable rather than
 * misconfigured), no permission. */
int rh_listen(const char *listen, rh_listener_t *l, char *err, size_t errsz);

/* "http://HOST:PORT" of l into buf (brackets for IPv6, 0.0.0.0 for ":PORT"). */
void rh_listen_url(const rh_listener_t *l, char *buf, size_t size);

#endif
