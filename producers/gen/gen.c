/* gen: the driver (options, directories, groups): gen_run writes the registry
 * (gen_registry.c), every feed (gen_feeds.c) and the bad files (gen_bad.c)
 * over the output of gen_out.c and the shared facts of gen_facts.c. */
#include "gen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rh_exit.h"
#include "gen_bad.h"
#include "gen_facts.h"
#include "gen_feeds.h"
#include "gen_registry.h"

void gen_opts_init(gen_opts_t *o) {
  memset(o, 0, sizeof(*o));
  o->households = GEN_DEFAULT_HOUSEHOLDS;
  o->seed = GEN_DEFAULT_SEED;
  o->rows_per_feed = -1;
}

/* ---- the run ---- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* mkdir -p. 0 ok, -1 with errstr naming the path. */
static int make_dirs(const char *path, char *errstr, size_t errstr_size) {
  char buf[4096];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof(buf)) {
    gen_set_err(errstr, errstr_size, "%s: bad directory name", path);
    return -1;
  }
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char c = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
      gen_set_err(errstr, errstr_size, "cannot create directory %s: %s", buf, strerror(errno));
      return -1;
    }
    buf[i] = c;
  }
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
    gen_set_err(errstr, errstr_size, "%s: not a directory", path);
    return -1;
  }
  if (access(path, W_OK | X_OK) != 0) {
    gen_set_err(errstr, errstr_size, "cannot write in %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

static int join_path(char *out, size_t n, const char *a, const char *b, char *errstr,
                     size_t errstr_size) {
  if ((size_t)snprintf(out, n, "%s/%s", a, b) >= n) {
    gen_set_err(errstr, errstr_size, "%s/%s: path too long", a, b);
    return -1;
  }
  return 0;
}

int gen_run(const gen_opts_t *o, gen_summary_t *sum, char *errstr,
               size_t errstr_size) {
  gen_summary_t local;
  if (!sum) sum = &local;
  memset(sum, 0, sizeof(*sum));
  if (errstr && errstr_size) errstr[0] = '\0';
  int year, month;
  if (!o || !o->cfg || !o->out_dir) {
    gen_set_err(errstr, errstr_size, "configuration and output directory are required");
    return RH_EXIT_USAGE;
  }
  if (gen_parse_period(o->period, &year, &month)) {
    gen_set_err(errstr, errstr_size, "period '%s' is not YYYY-MM (2000-01 .. 2099-12)",
            o->period ? o->period : "");
    return RH_EXIT_USAGE;
  }
  if (o->households == 0) {
    gen_set_err(errstr, errstr_size, "households must be at least 1");
    return RH_EXIT_USAGE;
  }
  const rh_config_t *cfg = o->cfg;
  for (size_t i = 0; i < o->feed_count; i++)
    if (!rh_config_feed_find_ref(cfg, o->feeds[i])) {
      gen_set_err(errstr, errstr_size, "unknown feed '%s' (not in %s; expected department/feed)",
              o->feeds[i], cfg->source ? cfg->source : "the configuration");
      return RH_EXIT_USAGE;
    }

  int rc = RH_EXIT_OK;
  gen_registry_t reg;
  memset(&reg, 0, sizeof(reg));
  char dir[4096], path[4096], name[1024];
  bool oom = false;
  double t0 = now_s();
  if (gen_registry_build(&reg, cfg, o->households, o->seed, year, month, &oom, errstr,
                            errstr_size)) {
    rc = oom ? RH_EXIT_SOFTWARE : RH_EXIT_USAGE;
    goto cleanup;
  }
  sum->registry_build_seconds = now_s() - t0;
  sum->households = reg.hh_count;
  sum->members = reg.p_count;
  sum->applications = reg.applicant_count;

  rc = RH_EXIT_IOERR;
  if (make_dirs(o->out_dir, errstr, errstr_size)) goto cleanup;

  /* 1. the registry */
  if (o->feed_count == 0) {
    t0 = now_s();
    if (join_path(dir, sizeof(dir), o->out_dir, "registry", errstr, errstr_size) ||
        make_dirs(dir, errstr, errstr_size) ||
        gen_registry_write(&reg, dir, o->period, &sum->registry, errstr, errstr_size))
      goto cleanup;
    sum->registry.seconds = now_s() - t0 + sum->registry_build_seconds;
  }

  /* 2. the feeds */
  t0 = now_s();
  if (join_path(dir, sizeof(dir), o->out_dir, o->period, errstr, errstr_size) ||
      make_dirs(dir, errstr, errstr_size))
    goto cleanup;
  for (size_t d = 0; d < cfg->department_count; d++) {
    const rh_config_department_t *dep = &cfg->departments[d];
    for (size_t i = 0; i < dep->feed_count; i++) {
      const rh_config_feed_t *f = &dep->feeds[i];
      if (o->feed_count > 0) {
        bool wanted = false;
        for (size_t k = 0; k < o->feed_count && !wanted; k++)
          wanted = rh_config_feed_find_ref(cfg, o->feeds[k]) == f;
        if (!wanted) continue;
      }
      size_t rows = o->rows_per_feed >= 0 ? (size_t)o->rows_per_feed
                                          : gen_feed_default_rows(f, o->households);
      snprintf(name, sizeof(name), "%s.%s.%s.csv", dep->code, f->code, o->period);
      if (join_path(path, sizeof(path), dir, name, errstr, errstr_size)) goto cleanup;
      if (gen_feed_write(&reg, f, d, o->seed, o->period, path, rows, false, &sum->feeds,
                            &oom, errstr, errstr_size)) {
        if (oom) rc = RH_EXIT_SOFTWARE;
        goto cleanup;
      }
    }
  }
  sum->feeds.seconds = now_s() - t0;

  /* 3. the benchmark file */
  if (o->big_feed_rows > 0) {
    t0 = now_s();
    const rh_config_feed_t *f = gen_bench_feed(cfg);
    size_t d = (size_t)(f->department - cfg->departments);
    snprintf(name, sizeof(name), "bench.%s.%s.%s.csv", f->department->code, f->code, o->period);
    if (join_path(path, sizeof(path), dir, name, errstr, errstr_size)) goto cleanup;
    if (gen_feed_write(&reg, f, d, o->seed, o->period, path, o->big_feed_rows, true,
                          &sum->bench, &oom, errstr, errstr_size)) {
      if (oom) rc = RH_EXIT_SOFTWARE;
      goto cleanup;
    }
    sum->bench.seconds = now_s() - t0;
  }

  /* 4. the bad files */
  if (o->feed_count == 0) {
    t0 = now_s();
    if (join_path(dir, sizeof(dir), o->out_dir, "bad", errstr, errstr_size) ||
        make_dirs(dir, errstr, errstr_size))
      goto cleanup;
    int brc = gen_bad_write(&reg, o->seed, o->period, dir, &sum->bad, errstr, errstr_size);
    if (brc != RH_EXIT_OK) {
      rc = brc;
      goto cleanup;
    }
    sum->bad.seconds = now_s() - t0;
  }
  rc = RH_EXIT_OK;

cleanup:
  gen_registry_free(&reg);
  return rc;
}
