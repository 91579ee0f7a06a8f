#include "produce_watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "produce_metrics.h"
#include "rh_i18n.h"
#include "rh_file.h"
#include "rh_array.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_parse.h"

int produce_watch_parse_name(const char *name, char *dept, size_t dept_size, char *feed,
                        size_t feed_size, char *period, size_t period_size, char *errstr,
                        size_t errstr_size) {
  size_t len = strlen(name);
  if (len < 5 || strcmp(name + len - 4, ".csv") != 0) {
    snprintf(errstr, errstr_size, _("not a .csv file"));
    return -1;
  }
  const char *d1 = strchr(name, '.');
  const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
  const char *d3 = d2 ? strchr(d2 + 1, '.') : NULL;
  if (!d1 || !d2 || !d3 || d3 != name + len - 4 || d1 == name || d2 == d1 + 1 || d3 == d2 + 1 ||
      (size_t)(d1 - name) >= dept_size || (size_t)(d2 - d1 - 1) >= feed_size ||
      (size_t)(d3 - d2 - 1) >= period_size) {
    snprintf(errstr, errstr_size,
             _("file name must be <department>.<feed>.<period>.csv, e.g. "
             "health.major-disease.2026-10.csv"));
    return -1;
  }
  snprintf(dept, dept_size, "%.*s", (int)(d1 - name), name);
  snprintf(feed, feed_size, "%.*s", (int)(d2 - d1 - 1), d1 + 1);
  snprintf(period, period_size, "%.*s", (int)(d3 - d2 - 1), d2 + 1);
  int y, m;
  if (rh_parse_period(period, &y, &m)) {
    snprintf(errstr, errstr_size, _("period '%s' in the file name is not YYYY-MM"), period);
    return -1;
  }
  return 0;
}

/* done/ and failed/ hold the departments' lists and their reports: the
 * watcher's account only (0700; an older folder is tightened). */
static int ensure_dir(const char *path) {
  if ((mkdir(path, 0700) == 0 || errno == EEXIST) && chmod(path, 0700) == 0) return 0;
  rh_log_error("cannot create %s: %s", path, strerror(errno));
  return -1;
}

/* A summary or reason beside a file: 0600, never through a link. */
static void write_text(const char *path, const char *text) {
  char err[512];
  FILE *fp = rh_file_create_private(path, O_TRUNC, err, sizeof err);
  if (!fp) {
    rh_log_error("cannot write %s", err);
    return;
  }
  fprintf(fp, "%s\n", text);
  fclose(fp);
}

/* A file name for the log: control characters (a newline would forge a log
 * line) shown as '?'. */
static const char *shown(const char *name, char *out, size_t size) {
  size_t i = 0;
  for (; name[i] && i + 1 < size; i++)
    out[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
  out[i] = '\0';
  return out;
}

static bool has_control(const char *name) {
  for (; *name; name++)
    if ((unsigned char)*name < 0x20 || *name == 0x7f) return true;
  return false;
}

/* Moved to failed/ with the reason beside it (the name as shown). */
static int move_into(const char *dir, const char *folder, const char *name);
static void refuse(const char *dir, const char *name, const char *why) {
  char sh[256], side[4352];
  rh_log_error("%s: refused: %s", shown(name, sh, sizeof sh), why);
  if (move_into(dir, "failed", name) == 0) {
    snprintf(side, sizeof(side), "%s/failed/%s.reason.txt", dir, name);
    write_text(side, why);
  }
}

typedef struct {
  char name[256];
  time_t mtime;
} entry_t;

static int by_mtime(const void *a, const void *b) {
  const entry_t *x = a, *y = b;
  if (x->mtime != y->mtime) return x->mtime < y->mtime ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* Move src into folder/ under the same name (replacing an older copy). */
static int move_into(const char *dir, const char *folder, const char *name) {
  char from[4096], to[4096];
  snprintf(from, sizeof(from), "%s/%s", dir, name);
  snprintf(to, sizeof(to), "%s/%s/%s", dir, folder, name);
  if (rename(from, to) == 0) return 0;
  char sh[256];
  rh_log_error("cannot move %s to %s/: %s", shown(name, sh, sizeof sh), folder, strerror(errno));
  return -1;
}

/* One file. Returns 1 if it must be retried later, 0 otherwise. */
static int process(const produce_watch_opts_t *o, const char *name) {
  char dept[128], feed[128], period[16], err[512], path[4096], side[4352];
  snprintf(path, sizeof(path), "%s/%s", o->dir, name);
  if (produce_watch_parse_name(name, dept, sizeof(dept), feed, sizeof(feed), period, sizeof(period),
                          err, sizeof(err))) {
    refuse(o->dir, name, err);
    produce_metrics_file(o->metrics, NULL, NULL, RH_EXIT_REFUSED, NULL);
    return 0;
  }
  if (o->batch.department && strcmp(dept, o->batch.department) != 0) {
    snprintf(err, sizeof err,
             _("this folder is department %s's: a list of %s is not published from it"),
             o->batch.department, dept);
    refuse(o->dir, name, err);
    produce_metrics_file(o->metrics, NULL, NULL, RH_EXIT_REFUSED, NULL);
    return 0;
  }
  char done_dir[4096];
  snprintf(done_dir, sizeof(done_dir), "%s/done", o->dir);
  produce_batch_opts_t b = o->batch;
  b.department = dept;
  b.feed = feed;
  b.period = period;
  b.input = path;
  b.source_name = name;
  b.report_dir = done_dir;
  b.progress = false;
  produce_batch_result_t res;
  int rc = produce_batch_publish(&b, &res);
  produce_metrics_file(o->metrics, dept, feed, rc, &res);
  if (rc == RH_EXIT_OK || rc == RH_EXIT_ROWS_REJECTED || rc == RH_EXIT_ALREADY_DONE) {
    rh_log_info("%s", res.summary); /* already published: done/ too, its summary says so */
    if (move_into(o->dir, "done", name) == 0) {
      snprintf(side, sizeof(side), "%s/done/%s.summary.txt", o->dir, name);
      write_text(side, res.summary);
    }
    return 0;
  }
  if (rc == RH_EXIT_UNAVAILABLE) {
    rh_log_warn("%s: %s; the file stays and is tried again", name, res.error);
    return 1;
  }
  refuse(o->dir, name, res.error);
  return 0;
}

/* Sleep ms (or until a stop), showing the folder's state on /metrics every
 * second: waiting files, and the broker's trouble (NULL: none). */
static void pause_ms(const produce_watch_opts_t *o, int ms, int waiting, const char *trouble) {
  volatile sig_atomic_t *stop = o->stop;
  int shown = 0;
  while (ms > 0 && !(stop && *stop)) {
    if (shown <= 0) {
      produce_metrics_publish(o->metrics, waiting, trouble);
      shown = 1000;
    }
    int step = ms < 100 ? ms : 100;
    struct timespec ts = {0, step * 1000000L};
    nanosleep(&ts, NULL);
    ms -= step;
    shown -= step;
  }
}

int produce_watch_run(const produce_watch_opts_t *o) {
  char sub[4096];
  int poll = o->poll_ms > 0 ? o->poll_ms : 2000;
  int settle = o->settle_ms >= 0 ? o->settle_ms : 2000;
  int backoff = poll;
  snprintf(sub, sizeof(sub), "%s/done", o->dir);
  if (ensure_dir(sub)) return RH_EXIT_IOERR;
  snprintf(sub, sizeof(sub), "%s/failed", o->dir);
  if (ensure_dir(sub)) return RH_EXIT_IOERR;
  rh_log_info("watching %s for <department>.<feed>.<period>.csv", o->dir);

  while (!(o->stop && *o->stop)) {
    DIR *d = opendir(o->dir);
    if (!d) {
      rh_log_error("cannot read %s: %s", o->dir, strerror(errno));
      return RH_EXIT_IOERR;
    }
    entry_t *list = NULL;
    size_t n = 0, cap = 0;
    int waiting = 0; /* files still being written, perhaps */
    struct dirent *de;
    time_t now = time(NULL);
    while ((de = readdir(d)) != NULL) {
      if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(list->name)) continue;
      size_t len = strlen(de->d_name);
      if (len < 4 || strcmp(de->d_name + len - 4, ".csv") != 0) continue;
      char p[4096];
      struct stat st;
      snprintf(p, sizeof(p), "%s/%s", o->dir, de->d_name);
      /* never followed: a link (to a list outside the folder, to /etc/shadow)
       * or anything but a regular file is refused by its name alone */
      if (lstat(p, &st) != 0) continue;
      if (!S_ISREG(st.st_mode)) {
        refuse(o->dir, de->d_name,
               S_ISLNK(st.st_mode) ? "a symbolic link: not followed; put the file itself here"
                                   : "not a regular file");
        continue;
      }
      if (has_control(de->d_name)) {
        refuse(o->dir, de->d_name,
               "the file name holds a control character (a line break?): rename it as "
               "<department>.<feed>.<period>.csv");
        continue;
      }
      if ((now - st.st_mtime) * 1000 < settle) {
        waiting++; /* still being written, perhaps */
        continue;
      }
      if (RH_ARRAY_RESERVE(list, n + 1, cap, 16)) break;
      snprintf(list[n].name, sizeof(list[n].name), "%s", de->d_name);
      list[n].mtime = st.st_mtime;
      n++;
    }
    closedir(d);
    if (n > 1) qsort(list, n, sizeof(*list), by_mtime); /* list is NULL when n == 0 */
    int retry = 0, unsent = 0;
    for (size_t i = 0; i < n && !(o->stop && *o->stop); i++) {
      if (process(o, list[i].name)) {
        retry = 1;
        unsent = (int)(n - i); /* this one and the rest */
        break; /* the broker is away: the rest would fail too */
      }
    }
    free(list);
    if (o->once && !waiting) return retry ? RH_EXIT_UNAVAILABLE : RH_EXIT_OK;
    waiting += unsent;
    if (retry) {
      char trouble[128];
      snprintf(trouble, sizeof trouble,
               "Kafka unavailable: %d file(s) wait to be published (see the log)", waiting);
      pause_ms(o, backoff, waiting, trouble);
      backoff = backoff < 60000 ? backoff * 2 : 60000;
    } else {
      backoff = poll;
      pause_ms(o, poll, waiting, NULL);
    }
  }
  return RH_EXIT_OK;
}
