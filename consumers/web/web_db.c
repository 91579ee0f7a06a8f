/* web_db: see web_db.h. */
#include "web_db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_clock.h"
#include "rh_log.h"
#include "rh_pg.h"

struct web_db {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char *conninfo;
  PGconn **idle;
  int nidle, lent, size;
};

web_db_t *web_db_new(const char *conninfo, int size) {
  web_db_t *db = calloc(1, sizeof *db);
  if (!db || !(db->conninfo = strdup(conninfo)) ||
      !(db->idle = calloc((size_t)size, sizeof *db->idle))) {
    if (db) free(db->conninfo);
    free(db);
    return NULL;
  }
  db->size = size;
  pthread_mutex_init(&db->mu, NULL);
  pthread_cond_init(&db->cv, NULL);
  return db;
}

PGconn *web_db_take(web_db_t *db, int wait_ms, char *err, size_t errsz) {
  struct timespec until;
  rh_deadline_in(&until, CLOCK_REALTIME, wait_ms);
  pthread_mutex_lock(&db->mu);
  while (db->nidle == 0 && db->lent >= db->size) {
    if (pthread_cond_timedwait(&db->cv, &db->mu, &until) == ETIMEDOUT) {
      pthread_mutex_unlock(&db->mu);
      snprintf(err, errsz, "PostgreSQL unavailable: every connection busy");
      return NULL;
    }
  }
  db->lent++;
  PGconn *c = db->nidle ? db->idle[--db->nidle] : NULL;
  pthread_mutex_unlock(&db->mu);
  if (c) return c;
  char e[512];
  if (!(c = rh_pg_connect_as(db->conninfo, RH_PG_ROLE_WEB, 0, e, sizeof e))) {
    rh_log_scrub(e);
    snprintf(err, errsz, "PostgreSQL unavailable: %s", e);
    pthread_mutex_lock(&db->mu);
    db->lent--;
    pthread_cond_signal(&db->cv);
    pthread_mutex_unlock(&db->mu);
  }
  return c;
}

void web_db_give(web_db_t *db, PGconn *c) {
  if (c && (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE)) {
    PQfinish(c); /* broken, or left inside a transaction: never lent again */
    c = NULL;
  }
  pthread_mutex_lock(&db->mu);
  db->lent--;
  if (c) db->idle[db->nidle++] = c;
  pthread_cond_signal(&db->cv);
  pthread_mutex_unlock(&db->mu);
}

void web_db_free(web_db_t *db) {
  if (!db) return;
  for (int i = 0; i < db->nidle; i++) PQfinish(db->idle[i]);
  pthread_mutex_destroy(&db->mu);
  pthread_cond_destroy(&db->cv);
  free(db->idle);
  free(db->conninfo);
  free(db);
}
