/* web_events: see web_events.h. */
#include "web_events.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_clock.h"
#include "rh_log.h"
#include "rh_pg.h"

struct web_events {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char *conninfo;
  char (*codes)[10];
  uint64_t *counts; /* [ntowns] the townships', [ntowns] the county's */
  size_t ntowns;
  bool stopping, listening;
};

static size_t slot(const web_events_t *e, const char *township) {
  for (size_t i = 0; i < e->ntowns; i++)
    if (strcmp(e->codes[i], township) == 0) return i;
  return e->ntowns; /* "" or not a township of the configuration: the county */
}

static void bump(web_events_t *e, const char *township) {
  pthread_mutex_lock(&e->mu);
  if (!township) {
    for (size_t i = 0; i <= e->ntowns; i++) e->counts[i]++;
  } else {
    size_t i = slot(e, township);
    if (i < e->ntowns) e->counts[i]++;
    e->counts[e->ntowns]++;
  }
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
}

static bool stopping(web_events_t *e) {
  pthread_mutex_lock(&e->mu);
  bool s = e->stopping;
  pthread_mutex_unlock(&e->mu);
  return s;
}

static void set_listening(web_events_t *e, bool on) {
  pthread_mutex_lock(&e->mu);
  e->listening = on;
  pthread_mutex_unlock(&e->mu);
}

static void *listen_loop(void *arg) {
  web_events_t *e = arg;
  int backoff_ms = 200;
  while (!stopping(e)) {
    char err[512];
    PGconn *c = rh_pg_connect_as(e->conninfo, RH_PG_ROLE_WEB, 0, err, sizeof err);
    if (c && rh_pg_exec(c, "LISTEN riskhub_warnings", err, sizeof err)) {
      PQfinish(c);
      c = NULL;
    }
    if (!c) {
      rh_log_scrub(err);
      rh_log_debug("events: %s; again in %d ms", err, backoff_ms);
      struct timespec ts = {backoff_ms / 1000, (long)(backoff_ms % 1000) * 1000000L};
      nanosleep(&ts, NULL);
      if (backoff_ms < 2000) backoff_ms *= 2;
      continue;
    }
    backoff_ms = 200;
    set_listening(e, true);
    bump(e, NULL); /* anything may have happened while not listening */
    int64_t asked = rh_mono_ms();
    while (!stopping(e)) {
      struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
      if (poll(&p, 1, 500) < 0 && errno != EINTR) break;
      if (rh_mono_ms() - asked > 30000) { /* a connection silently gone is found out */
        if (rh_pg_exec(c, "SELECT 1", err, sizeof err)) break;
        asked = rh_mono_ms();
      }
      if (!PQconsumeInput(c)) break;
      PGnotify *n;
      while ((n = PQnotifies(c))) {
        bump(e, n->extra);
        PQfreemem(n);
      }
    }
    set_listening(e, false);
    if (!stopping(e)) rh_log_warn("events: the connection to PostgreSQL was lost; listening again");
    PQfinish(c);
  }
  return NULL;
}

web_events_t *web_events_start(const char *conninfo, const rh_config_t *cfg) {
  web_events_t *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->ntowns = cfg->township_count;
  /* a connection attempt never waits long (the thread is joined at stop) */
  size_t n = strlen(conninfo) + 64;
  if ((e->conninfo = malloc(n)))
    snprintf(e->conninfo, n, "%s connect_timeout=5 keepalives_idle=30", conninfo);
  e->codes = calloc(e->ntowns + 1, sizeof *e->codes);
  e->counts = calloc(e->ntowns + 1, sizeof *e->counts);
  if (!e->conninfo || !e->codes || !e->counts) goto fail;
  for (size_t i = 0; i < e->ntowns; i++)
    snprintf(e->codes[i], sizeof e->codes[i], "%s", cfg->townships[i].code);
  pthread_mutex_init(&e->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&e->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&e->thread, NULL, listen_loop, e) == 0) return e;
  pthread_mutex_destroy(&e->mu);
  pthread_cond_destroy(&e->cv);
fail:
  free(e->conninfo);
  free(e->codes);
  free(e->counts);
  free(e);
  return NULL;
}

uint64_t web_events_count(web_events_t *e, const char *township) {
  pthread_mutex_lock(&e->mu);
  uint64_t n = e->counts[slot(e, township)];
  pthread_mutex_unlock(&e->mu);
  return n;
}

int web_events_wait(web_events_t *e, const char *township, uint64_t *seen, int timeout_ms) {
  struct timespec until;
  rh_deadline_in(&until, CLOCK_MONOTONIC, timeout_ms);
  size_t i = slot(e, township);
  int rc = 0;
  pthread_mutex_lock(&e->mu);
  while (!e->stopping && e->counts[i] == *seen)
    if (pthread_cond_timedwait(&e->cv, &e->mu, &until) == ETIMEDOUT) break;
  if (e->stopping) {
    rc = -1;
  } else if (e->counts[i] != *seen) {
    *seen = e->counts[i];
    rc = 1;
  }
  pthread_mutex_unlock(&e->mu);
  return rc;
}

bool web_events_listening(web_events_t *e) {
  pthread_mutex_lock(&e->mu);
  bool on = e->listening;
  pthread_mutex_unlock(&e->mu);
  return on;
}

void web_events_quit(web_events_t *e) {
  if (!e) return;
  pthread_mutex_lock(&e->mu);
  e->stopping = true;
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
}

void web_events_stop(web_events_t *e) {
  if (!e) return;
  web_events_quit(e);
  pthread_join(e->thread, NULL);
  pthread_mutex_destroy(&e->mu);
  pthread_cond_destroy(&e->cv);
  free(e->conninfo);
  free(e->codes);
  free(e->counts);
  free(e);
}
