/* scale_run: see scale_run.h. */
#include "scale_run.h"

#include <stdio.h>
#include <string.h>

#include "rh_exit.h"
#include "rh_log.h"
#include "rh_pg.h"
#include "scale_judge.h"
#include "scale_publish.h"
#include "scale_rows.h"

int scale_run(const scale_run_opts_t *o) {
  char err[1024];
  if (o->cfg->scale.rule_count == 0) {
    printf("riskhub-scale: %s: the configuration has no scale_risks rules; nothing to do\n",
           o->period);
    return RH_EXIT_OK;
  }
  PGconn *conn = rh_pg_connect_as(o->cfg->pg_conninfo, RH_PG_ROLE_SCALE, 0, err, sizeof err);
  if (!conn) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-scale: PostgreSQL: %s; nothing sent\n", err);
    return strstr(err, "its password is looked for") ? RH_EXIT_NOPERM : RH_EXIT_UNAVAILABLE;
  }
  scale_rows_t rows;
  int rc = scale_rows_load(conn, o->cfg, o->period, &rows, err, sizeof err);
  PQfinish(conn);
  if (rc) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-scale: PostgreSQL: %s; nothing sent\n", err);
    return strstr(err, "permission denied") ? RH_EXIT_NOPERM : RH_EXIT_UNAVAILABLE;
  }
  scale_found_list_t found;
  if (scale_judge(&o->cfg->scale, o->period, rows.warnings, rows.n, rows.places, rows.np,
                  &found)) {
    scale_rows_free(&rows);
    fprintf(stderr, "riskhub-scale: out of memory; nothing sent\n");
    return RH_EXIT_SOFTWARE;
  }
  scale_items_t items;
  rc = scale_publish(o->cfg, o->schemas, o->period, &found, o->timeout_ms, &items, err,
                     sizeof err);
  if (rc == RH_EXIT_OK) {
    size_t counts[3] = {0}, already = 0;
    for (size_t i = 0; i < items.n; i++) {
      const rh_scale_record_t *r = &items.v[i].rec;
      const char *place = r->village && *r->village ? r->village : r->township_code;
      if (items.v[i].send) counts[r->status]++;
      else already++;
      printf("riskhub-scale: %s %s %s %s: %lld of %lld households (baseline %.1f), %s v%lld%s\n",
             r->period, r->rule_id, r->township_code, place, (long long)r->households,
             (long long)r->place_households, r->baseline, rh_scale_status_name(r->status),
             (long long)r->version, items.v[i].send ? " sent" : ", on the topic already");
    }
    printf("riskhub-scale: %s: %zu scale risks: %zu raised, %zu updated, %zu cleared, %zu on the "
           "topic already\n",
           o->period, items.n, counts[RH_SCALE_RAISED], counts[RH_SCALE_UPDATED],
           counts[RH_SCALE_CLEARED], already);
  } else {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-scale: %s; nothing sent\n", err);
  }
  scale_items_free(&items);
  scale_found_free(&found);
  scale_rows_free(&rows);
  return rc;
}
