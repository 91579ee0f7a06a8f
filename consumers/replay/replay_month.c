/* replay_month: see replay_month.h. */
#include "replay_month.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_archive.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_pg.h"

#define PG_WAIT_MS 10000

/* The manifests of the month (and filters) the ledger holds, or -1 when it
 * cannot say (PostgreSQL away, a database before migration 006). */
static int64_t ledger_manifests(const replay_opts_t *o) {
  char e[1024];
  PGconn *pg = rh_pg_connect_as(o->cfg->pg_conninfo, RH_PG_ROLE_AUDIT, PG_WAIT_MS, e, sizeof e);
  if (!pg) return -1;
  const char *params[3] = {o->period, o->department ? o->department : "",
                           o->feed ? o->feed : ""};
  PGresult *r = rh_pg_exec_params(
      pg, "SELECT count(*) FROM list_manifests WHERE period = $1 AND ($2 = '' OR department = $2) "
          "AND ($3 = '' OR feed = $3)",
      3, params, e, sizeof e);
  int64_t n = r && PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
  if (r) PQclear(r);
  PQfinish(pg);
  return n;
}

/* The month's archive, when it is this namespace's, whole, and its sums hold. */
static int usable_archive(const replay_opts_t *o, char *dir, size_t size) {
  rh_archive_info_t info;
  int refused = 0;
  char e[1024];
  int got = rh_archive_open_month(o->cfg, o->period, dir, size, &info, &refused, e, sizeof e);
  if (got < 0) rh_log_warn("the monthly archive is not read: %s", e);
  return got > 0;
}

int replay_month(const replay_opts_t *o) {
  if (o->archive_dir || o->from_archive_dir || !o->period) return replay_run(o);
  char dir[4096];
  int archive = usable_archive(o, dir, sizeof dir);

  /* the broker first, its report held back */
  char *text = NULL;
  size_t len = 0;
  FILE *held = open_memstream(&text, &len);
  if (!held) {
    rh_log_error("out of memory");
    return RH_EXIT_SOFTWARE;
  }
  replay_result_t res = {0};
  replay_opts_t b = *o;
  b.out = held;
  b.result = &res;
  int rc = replay_run(&b);
  fclose(held);
  int64_t known = res.reported ? ledger_manifests(o) : -1;
  char why[256] = "";
  if (rc == RH_EXIT_UNAVAILABLE)
    snprintf(why, sizeof why, "Kafka or PostgreSQL did not answer");
  else if (res.reported && res.records_not_found > 0)
    snprintf(why, sizeof why, "%" PRIu64 " of the %" PRIu64 " records its manifests name are gone",
             res.records_not_found, res.records_expected);
  else if (res.reported && known > (int64_t)res.batches)
    snprintf(why, sizeof why, "the ledger holds %" PRId64 " manifests of the month, the broker %" PRIu64,
             known, res.batches);
  if (*why && archive) {
    free(text);
    rh_log_warn("the broker no longer has %s (%s): replaying from the monthly archive %s",
                o->period, why, dir);
    char note[300];
    snprintf(note, sizeof note, "(the broker no longer has the month: %s)", why);
    replay_opts_t a = *o;
    a.from_archive_dir = dir;
    a.source_note = note;
    return replay_run(&a);
  }
  if (o->result) *o->result = res;
  if (len && fwrite(text, 1, len, o->out) != len) rc = RH_EXIT_IOERR;
  free(text);
  if (rc == RH_EXIT_OK && res.reported && known > (int64_t)res.batches) {
    rh_log_error("the broker no longer has every list of %s (%s) and no monthly archive has "
                 "them (archive.dir, riskhub-replay --archive-due): the month cannot be "
                 "replayed in full",
                 o->period, why);
    rc = RH_EXIT_SOFTWARE;
  }
  return rc;
}
