/*
 * web_events: new warnings, as the open pages learn of them (server-sent
 * events, docs/web.md). A thread LISTENs on PostgreSQL's channel
 * riskhub_warnings (migration 009: the ledger's inserts NOTIFY the townships
 * they added warnings to, at commit) and counts, a township each, the
 * notices; a page's event stream waits for its township's count to move.
 * Lost and found again, the connection counts one for every township (a page
 * reloads its list: a notice may have gone by meanwhile).
 */
#ifndef WEB_EVENTS_H
#define WEB_EVENTS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "rh_config.h"

typedef struct web_events web_events_t;

/* Start listening (the thread connects, and connects again, by itself). NULL
 * only if the thread cannot start. */
web_events_t *web_events_start(const char *conninfo, const rh_config_t *cfg);
/* The count of township (9 digits; "" the whole county). */
uint64_t web_events_count(web_events_t *e, const char *township);
/* Wait up to timeout_ms for township's count to differ from *seen: 1 (and
 * *seen updated), 0 (the time passed) or -1 (the server is stopping). */
int web_events_wait(web_events_t *e, const char *township, uint64_t *seen, int timeout_ms);
/* Whether the LISTEN connection is up (for /healthz). */
bool web_events_listening(web_events_t *e);
/* Wake every waiter with -1, now and from now on (the server is stopping). */
void web_events_quit(web_events_t *e);
/* web_events_quit, then stop the thread and free: once nobody waits any more. */
void web_events_stop(web_events_t *e);

#endif
