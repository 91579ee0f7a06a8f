/*
 * web_server: riskhub-web's HTTP side on libmicrohttpd, a thread a
 * connection (an event stream waits in its own thread): the static page,
 * the JSON API of web_api.h behind a session cookie, the event stream, and
 * /healthz. docs/web.md lists the routes.
 *
 * Every answer carries a Content-Security-Policy that allows the page's own
 * files only, no framing and no sniffing; API answers are never cached. A
 * POST must carry "X-Riskhub: 1" (no other site's form can), and the session
 * cookie is HttpOnly, Secure and SameSite=Strict.
 */
#ifndef WEB_SERVER_H
#define WEB_SERVER_H

#include <stdatomic.h>
#include <stdint.h>

#include "rh_config.h"
#include "rh_listen.h"
#include "web_db.h"
#include "web_events.h"
#include "web_publish.h"

typedef struct {
  atomic_uint_fast64_t signins_ok, signins_refused, signins_throttled, outcomes, requests;
  atomic_int streams; /* event streams open */
  atomic_int db_down; /* the last request found PostgreSQL away */
} web_counts_t;

typedef struct web_server web_server_t;

/* Serve on l (its socket is the server's from here on) with the page's files
 * from static_dir; outcomes are published through pub. NULL with err. */
web_server_t *web_server_start(const rh_listener_t *l, const char *static_dir,
                               const rh_config_t *cfg, web_db_t *db, web_events_t *ev,
                               web_publish_t *pub, web_counts_t *counts, char *err,
                               size_t errsz);
/* Stop: event streams end, then the server. ev is stopped here too. */
void web_server_stop(web_server_t *s);

#endif
