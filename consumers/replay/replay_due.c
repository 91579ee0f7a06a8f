/* replay_due: see replay_due.h. */
#include "replay_due.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay_run.h"
#include "rh_file.h"
#include "rh_archive.h"
#include "rh_exit.h"
#include "rh_ledger.h"
#include "rh_log.h"
#include "rh_pg.h"

#define PG_WAIT_MS 10000

typedef struct {
  const replay_due_opts_t *o;
  int rc; /* the first failure's exit code */
  unsigned archived, already, not_due, failed;
} due_t;

static void fail(due_t *d, int rc) {
  d->failed++;
  if (d->rc == RH_EXIT_OK) d->rc = rc;
}

/* Every file of a flat folder removed, then the folder (ENOENT is fine). */
static int remove_flat(const char *dir) {
  DIR *dp = opendir(dir);
  if (!dp) return errno == ENOENT ? 0 : -1;
  struct dirent *e;
  char path[4400];
  while ((e = readdir(dp)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path) unlink(path);
    }
  closedir(dp);
  return rmdir(dir);
}

static int fsync_path(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

/* fsync every file of a flat folder, then the folder. */
static int fsync_flat(const char *dir) {
  DIR *dp = opendir(dir);
  if (!dp) return -1;
  struct dirent *e;
  char path[4400];
  int rc = 0;
  while ((e = readdir(dp)) && rc == 0)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      rc = snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path
               ? fsync_path(path, O_RDONLY)
               : -1;
    }
  closedir(dp);
  return rc ? rc : fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

/* The months of the ledger's list_manifests, oldest first. An exit code. */
static int ledger_months(const rh_config_t *cfg, char (**out)[8], size_t *n) {
  char e[1024];
  PGconn *pg = rh_pg_connect_as(cfg->pg_conninfo, RH_PG_ROLE_AUDIT, PG_WAIT_MS, e, sizeof e);
  if (!pg) {
    rh_log_error("PostgreSQL: %s", e);
    return RH_EXIT_UNAVAILABLE;
  }
  int rc = RH_EXIT_OK;
  if (rh_ledger_months(pg, out, n, e, sizeof e)) {
    int lost = rh_pg_connection_lost(pg);
    rh_log_error("PostgreSQL: %s%s", e,
                 lost ? "" : " (has `riskhub-registry migrate` been run on this database?)");
    rc = lost ? RH_EXIT_UNAVAILABLE : strstr(e, "out of memory") ? RH_EXIT_SOFTWARE : RH_EXIT_CONFIG;
  }
  PQfinish(pg);
  return rc;
}

/* The same month, read from the broker and from its archive? */
static bool same(const replay_result_t *a, const replay_result_t *b) {
  return a->reported && b->reported && a->batches == b->batches && a->records == b->records &&
         a->alerts_published == b->alerts_published &&
         a->checks_published == b->checks_published && a->rejects == b->rejects &&
         a->differences == b->differences;
}

static void archive_month(due_t *d, const char *period) {
  const replay_due_opts_t *o = d->o;
  const char *root = o->cfg->archive.dir;
  char final[4096], partial[4200], report[4200], report_tmp[4300];
  rh_archive_month_dir(o->cfg, period, final, sizeof final);
  snprintf(partial, sizeof partial, "%s/.%s.partial", root, period);
  snprintf(report, sizeof report, "%s/%s.replay.json", root, period);
  snprintf(report_tmp, sizeof report_tmp, "%s.tmp", report);
  if (remove_flat(partial) && errno != ENOENT) {
    rh_log_error("%s: cannot remove the last run's partial archive: %s", partial,
                 strerror(errno));
    fail(d, RH_EXIT_IOERR);
    return;
  }

  /* 1. from the broker, written to the partial archive */
  char err[512];
  FILE *rep = rh_file_create_private(report_tmp, O_TRUNC, err, sizeof err);
  if (!rep) {
    rh_log_error("%s", err);
    fail(d, RH_EXIT_IOERR);
    return;
  }
  replay_result_t from_broker = {0}, from_archive = {0};
  replay_opts_t r = {.cfg = o->cfg, .schemas_dir = o->schemas_dir, .period = period,
                     .format = REPLAY_FORMAT_JSON, .archive_dir = partial, .threads = o->threads,
                     .out = rep, .result = &from_broker};
  int rc = replay_run(&r);
  if (fclose(rep) && rc != RH_EXIT_UNAVAILABLE) rc = RH_EXIT_IOERR;
  const char *refused = NULL;
  if (rc != RH_EXIT_OK && !(rc == RH_EXIT_SOFTWARE && from_broker.reported)) {
    refused = "the replay from the broker failed (the log says why)";
  } else if (from_broker.records_not_found) {
    refused = "the broker no longer has every record of the month's lists: retention is "
              "shorter than the deadline and archive.grace (docs/operations.md)";
    rc = RH_EXIT_REFUSED;
  }
  /* 2. verified: the same month from the partial archive */
  if (!refused) {
    FILE *null = fopen("/dev/null", "w");
    replay_opts_t v = {.cfg = o->cfg, .schemas_dir = o->schemas_dir, .period = period,
                       .format = REPLAY_FORMAT_JSON, .from_archive_dir = partial,
                       .out = null ? null : stdout, .result = &from_archive};
    int vrc = replay_run(&v);
    if (null) fclose(null);
    if (vrc == RH_EXIT_UNAVAILABLE) {
      refused = "PostgreSQL went away during the verification";
      rc = vrc;
    } else if (!same(&from_broker, &from_archive)) {
      refused = "the verification failed: the archive does not give back what the broker "
                "gave";
      rc = RH_EXIT_REFUSED;
    }
  }
  /* 3. durable, then in place */
  if (!refused && (fsync_flat(partial) || fsync_path(report_tmp, O_RDONLY))) {
    refused = "writing the archive to disk failed";
    rc = RH_EXIT_IOERR;
  }
  if (!refused && (rename(partial, final) || rename(report_tmp, report) ||
                   fsync_path(root, O_RDONLY | O_DIRECTORY))) {
    refused = "moving the archive into place failed";
    rc = RH_EXIT_IOERR;
  }
  if (refused) {
    rh_log_error("%s: not archived: %s", period, refused);
    fprintf(o->out, "%s: not archived: %s\n", period, refused);
    remove_flat(partial);
    unlink(report_tmp);
    fail(d, rc == RH_EXIT_OK ? RH_EXIT_SOFTWARE : rc);
    return;
  }
  d->archived++;
  fprintf(o->out,
          "%s: archived in %s (verified): batches=%" PRIu64 " records=%" PRIu64
          " rejects=%" PRIu64 " alerts=%" PRIu64 " checks=%" PRIu64 " differences=%zu (report %s)\n",
          period, final, from_broker.batches, from_broker.records, from_broker.rejects,
          from_broker.alerts_published, from_broker.checks_published, from_broker.differences,
          report);
  fflush(o->out);
}

int replay_due_run(const replay_due_opts_t *o) {
  const rh_config_t *cfg = o->cfg;
  if (!cfg->archive.dir) {
    rh_log_error("%s: archive.dir is not set (or RH_ARCHIVE_DIR): where should the months go?",
                 cfg->source);
    return RH_EXIT_CONFIG;
  }
  if (mkdir(cfg->archive.dir, 0700) && errno != EEXIST) {
    rh_log_error("%s: %s", cfg->archive.dir, strerror(errno));
    return RH_EXIT_IOERR;
  }
  char (*months)[8] = NULL;
  size_t n = 0;
  int rc = ledger_months(cfg, &months, &n);
  if (rc) return rc;
  due_t d = {.o = o};
  for (size_t i = 0; i < n; i++) {
    char dir[4096];
    int64_t due;
    if (rh_archive_month_due(cfg, months[i], dir, sizeof dir, &due)) continue;
    if (rh_archive_complete(dir)) {
      d.already++;
    } else if (o->as_of_ms < due) {
      d.not_due++;
      rh_log_info("%s: not due before %" PRId64 " (deadline and archive.grace)", months[i], due);
    } else {
      archive_month(&d, months[i]);
    }
  }
  free(months);
  fprintf(o->out, "riskhub-replay: archive %s: archived=%u already=%u not_due=%u failed=%u\n",
          cfg->archive.dir, d.archived, d.already, d.not_due, d.failed);
  fflush(o->out);
  return d.rc;
}
