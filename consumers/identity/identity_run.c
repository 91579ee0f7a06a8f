/* identity_run: see identity_run.h. */
#include "identity_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity_find.h"
#include "identity_publish.h"
#include "identity_source.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_manifest.h"
#include "rh_pg.h"
#include "rh_regmap.h"

typedef struct {
  identity_findings_t *f;
  const rh_config_t *cfg;
  const rh_regmap_t *map;
  char err[512];
} reading_t;

static int record_one(void *arg, const rh_feedrecord_t *r) {
  reading_t *x = arg;
  return identity_find_record(x->f, x->cfg, x->map, r, x->err, sizeof x->err);
}

/* The registry as riskhub_identity: a map, or NULL with the exit code. */
static rh_regmap_t *registry(const rh_config_t *cfg, int *rc) {
  char err[1024];
  PGconn *conn = rh_pg_connect_as(cfg->pg_conninfo, RH_PG_ROLE_IDENTITY, 0, err, sizeof err);
  rh_regmap_t *map = conn ? rh_regmap_load(conn, err, sizeof err) : NULL;
  if (conn) PQfinish(conn);
  if (!map) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-identity: PostgreSQL: %s; nothing sent\n", err);
    *rc = strstr(err, "its password is looked for") || strstr(err, "permission denied")
              ? RH_EXIT_NOPERM
              : RH_EXIT_UNAVAILABLE;
  }
  return map;
}

int identity_run(const identity_run_opts_t *o) {
  const rh_config_t *cfg = o->cfg;
  char err[1024];
  int rc = RH_EXIT_OK;
  const rh_config_feed_t *feeds[64];
  identity_batch_t batches[64];
  size_t nfeeds = 0;
  for (size_t d = 0; d < cfg->department_count; d++)
    for (size_t i = 0; i < cfg->departments[d].feed_count && nfeeds < 64; i++)
      if (cfg->departments[d].feeds[i].kind == RH_FEED_IDENTITY)
        feeds[nfeeds++] = &cfg->departments[d].feeds[i];
  rh_manifest_keys_t *keys = rh_manifest_keys_load(cfg, err, sizeof err);
  if (!keys) {
    fprintf(stderr, "riskhub-identity: %s\n", err);
    return RH_EXIT_CONFIG;
  }
  /* the month's list of each identity feed; the feeds without one are not compared */
  const rh_config_feed_t *compared[64];
  size_t ncompared = 0;
  for (size_t i = 0; i < nfeeds; i++) {
    identity_batch_t *b = &batches[ncompared];
    if ((rc = identity_source_batch(cfg, o->schemas, keys, feeds[i], o->period, b, err,
                                    sizeof err))) {
      rh_log_scrub(err);
      fprintf(stderr, "riskhub-identity: %s; nothing sent\n", err);
      rh_manifest_keys_free(keys);
      return rc;
    }
    if (!b->found) {
      printf("riskhub-identity: %s: no list of %s/%s for the month yet\n", o->period,
             feeds[i]->department->code, feeds[i]->code);
      continue;
    }
    compared[ncompared++] = feeds[i];
  }
  rh_manifest_keys_free(keys);
  if (ncompared == 0) return RH_EXIT_OK;
  rh_regmap_t *map = registry(cfg, &rc);
  if (!map) return rc;
  identity_findings_t found;
  identity_find_init(&found, o->period);
  reading_t x = {.f = &found, .cfg = cfg, .map = map};
  for (size_t i = 0; i < ncompared && rc == RH_EXIT_OK; i++) {
    x.err[0] = '\0';
    if (identity_find_list(&found, compared[i], batches[i].batch_id)) {
      snprintf(x.err, sizeof x.err, "out of memory");
      rc = RH_EXIT_SOFTWARE;
    } else if ((rc = identity_source_records(cfg, o->schemas, compared[i], &batches[i],
                                             record_one, &x, err, sizeof err))) {
      if (x.err[0]) snprintf(err, sizeof err, "%s", x.err); /* the comparison's, not the read's */
    } else if (identity_find_households(&found, map, err, sizeof err)) {
      rc = RH_EXIT_SOFTWARE;
    } else {
      printf("riskhub-identity: %s: %s/%s list %.16s: %lld persons compared\n", o->period,
             compared[i]->department->code, compared[i]->code, batches[i].batch_id,
             (long long)batches[i].rows_accepted);
    }
  }
  if (rc == RH_EXIT_OK) {
    identity_find_done(&found);
    identity_tally_t *tally = calloc(cfg->township_count + 1, sizeof *tally);
    if (!tally) {
      snprintf(err, sizeof err, "out of memory");
      rc = RH_EXIT_SOFTWARE;
    } else if ((rc = identity_publish(cfg, o->schemas, o->period, &found, compared, ncompared,
                                      o->timeout_ms, tally, err, sizeof err)) == RH_EXIT_OK) {
      identity_tally_t all = {0};
      for (size_t t = 0; t <= cfg->township_count; t++) {
        const identity_tally_t *y = &tally[t];
        all.open += y->open, all.opened += y->opened, all.updated += y->updated,
            all.closed += y->closed;
        if (!y->open && !y->closed) continue;
        const char *code = t < cfg->township_count ? cfg->townships[t].code : "unmatched";
        const char *name = t < cfg->township_count ? cfg->townships[t].name : "";
        printf("riskhub-identity: %s %s %s: %zu open (%zu opened, %zu updated, %zu closed)\n",
               o->period, code, name, y->open, y->opened, y->updated, y->closed);
      }
      printf("riskhub-identity: %s: %zu discrepancies open: %zu opened, %zu updated, %zu closed, "
             "%zu on the topics already\n",
             o->period, all.open, all.opened, all.updated, all.closed,
             all.open - all.opened - all.updated);
    }
    free(tally);
  }
  if (rc != RH_EXIT_OK) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-identity: %s; nothing sent\n", err);
  }
  identity_find_free(&found);
  rh_regmap_destroy(map);
  return rc;
}
