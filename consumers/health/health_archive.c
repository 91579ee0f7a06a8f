/* health_archive: see health_archive.h. */
#include "health_archive.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health_judge.h"
#include "rh_archive.h"
#include "rh_ledger.h"
#include "rh_pg.h"

int health_probe_archive(const rh_config_t *cfg, int64_t now_ms, int wait_ms, health_state_t *s) {
  if (!(s->archive_dir = cfg->archive.dir)) return 0;
  char e[512];
  PGconn *pg = rh_pg_connect_as(cfg->pg_conninfo, RH_PG_ROLE_STATUS, wait_ms, e, sizeof e);
  if (!pg) {
    snprintf(s->archive_error, sizeof s->archive_error, "PostgreSQL: %s", e);
    return 0;
  }
  char (*months)[8] = NULL;
  size_t n = 0;
  int rc = rh_ledger_months(pg, &months, &n, e, sizeof e);
  PQfinish(pg);
  if (rc) {
    if (strstr(e, "out of memory")) return -1;
    snprintf(s->archive_error, sizeof s->archive_error, "PostgreSQL: %s", e);
    return 0;
  }
  if (n && !(s->archive_overdue = calloc(n, sizeof *s->archive_overdue))) {
    free(months);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    char dir[4096];
    int64_t due;
    if (rh_archive_month_due(cfg, months[i], dir, sizeof dir, &due)) continue;
    s->archive_months++;
    if (rh_archive_complete(dir)) {
      s->archive_done++;
    } else if (health_judge_archive_overdue(due, now_ms)) {
      memcpy(s->archive_overdue[s->archive_noverdue++], months[i], 8);
    }
  }
  free(months);
  return 0;
}
