/* gen: the driver (options, directories, groups) and the buffered CSV
 * output shared by the registry, feed and bad-file writers. */
#include "gen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rh_exit.h"
#include "gen_internal.h"

void gen_set_err(char *errstr, size_t n, const char *fmt, ...) {
  if (!errstr || n == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errstr, n, fmt, ap);
  va_end(ap);
}

/* ---- output ---- */

int gen_out_open(gen_out_t *w, const char *path, bool bom, bool crlf, char *errstr,
                    size_t errstr_size) {
  memset(w, 0, sizeof(*w));
  w->crlf = crlf;
  w->cap = GEN_OUT_CAP;
  w->buf = malloc(w->cap);
  if (!w->buf) {
    gen_set_err(errstr, errstr_size, "out of memory");
    return -1;
  }
  if (path) {
    const char *slash = strrchr(path, '/');
    int dn = slash ? (int)(slash - path) + 1 : 0;
    if ((size_t)snprintf(w->path, sizeof(w->path), "%s", path) >= sizeof(w->path) ||
        (size_t)snprintf(w->tmp, sizeof(w->tmp), "%.*s.%s.part", dn, path,
                         slash ? slash + 1 : path) >= sizeof(w->tmp)) {
      gen_set_err(errstr, errstr_size, "%s: path too long", path);
      free(w->buf);
      w->buf = NULL;
      return -1;
    }
    w->fp = fopen(w->tmp, "wb");
    if (!w->fp) {
      gen_set_err(errstr, errstr_size, "cannot create %s: %s", w->tmp, strerror(errno));
      free(w->buf);
      w->buf = NULL;
      return -1;
    }
  }
  if (bom) gen_out_mem(w, "\xEF\xBB\xBF", 3);
  return 0;
}

static void out_flush(gen_out_t *w) {
  if (!w->fp || w->len == 0) return;
  if (!w->err && fwrite(w->buf, 1, w->len, w->fp) != w->len) w->err = errno ? errno : EIO;
  w->len = 0;
}

/* Room for n more bytes. */
static inline void out_need(gen_out_t *w, size_t n) {
  if (w->len + n <= w->cap) return;
  if (w->fp) {
    out_flush(w);
    if (n <= w->cap) return;
  }
  size_t cap = w->cap;
  while (cap < w->len + n) cap *= 2;
  char *nb = realloc(w->buf, cap);
  if (!nb) {
    /* Keep going without writing more; the error is reported at close. */
    w->err = ENOMEM;
    w->len = 0;
    return;
  }
  w->buf = nb;
  w->cap = cap;
}

void gen_out_mem(gen_out_t *w, const void *p, size_t n) {
  out_need(w, n);
  if (w->len + n > w->cap) return; /* out of memory */
  memcpy(w->buf + w->len, p, n);
  w->len += n;
  w->bytes += n;
}

void gen_out_str(gen_out_t *w, const char *s) { gen_out_mem(w, s, strlen(s)); }

static inline void out_sep(gen_out_t *w) {
  if (w->col++ > 0) gen_out_mem(w, ",", 1);
}

void gen_out_field_raw(gen_out_t *w, const char *s, size_t n) {
  out_sep(w);
  gen_out_mem(w, s, n);
}

void gen_out_field_n(gen_out_t *w, const char *s, size_t n) {
  out_sep(w);
  bool quote = false;
  for (size_t i = 0; i < n && !quote; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
  if (!quote) {
    gen_out_mem(w, s, n);
    return;
  }
  gen_out_mem(w, "\"", 1);
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') {
      gen_out_mem(w, s + start, i + 1 - start); /* up to and including the quote */
      gen_out_mem(w, "\"", 1);
      start = i + 1;
    }
  }
  gen_out_mem(w, s + start, n - start);
  gen_out_mem(w, "\"", 1);
}

void gen_out_field(gen_out_t *w, const char *s) { gen_out_field_n(w, s, strlen(s)); }

size_t gen_fmt_uint(char *out, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return n;
}

size_t gen_fmt_money(char *out, uint64_t fen) {
  size_t n = gen_fmt_uint(out, fen / 100);
  out[n++] = '.';
  out[n++] = (char)('0' + (fen % 100) / 10);
  out[n++] = (char)('0' + fen % 10);
  out[n] = '\0';
  return n;
}

size_t gen_fmt_date(char *out, int y, int m, int d) {
  out[0] = (char)('0' + y / 1000 % 10);
  out[1] = (char)('0' + y / 100 % 10);
  out[2] = (char)('0' + y / 10 % 10);
  out[3] = (char)('0' + y % 10);
  out[4] = '-';
  out[5] = (char)('0' + m / 10);
  out[6] = (char)('0' + m % 10);
  out[7] = '-';
  out[8] = (char)('0' + d / 10);
  out[9] = (char)('0' + d % 10);
  out[10] = '\0';
  return 10;
}

void gen_out_field_uint(gen_out_t *w, uint64_t v) {
  char b[24];
  gen_out_field_raw(w, b, gen_fmt_uint(b, v));
}

void gen_out_field_money(gen_out_t *w, uint64_t fen) {
  char b[32];
  gen_out_field_raw(w, b, gen_fmt_money(b, fen));
}

void gen_out_field_date(gen_out_t *w, int y, int m, int d) {
  char b[16];
  gen_out_field_raw(w, b, gen_fmt_date(b, y, m, d));
}

void gen_out_end_row(gen_out_t *w, bool data_row) {
  if (w->crlf)
    gen_out_mem(w, "\r\n", 2);
  else
    gen_out_mem(w, "\n", 1);
  w->col = 0;
  if (data_row) w->rows++;
}

int gen_out_close(gen_out_t *w, char *errstr, size_t errstr_size) {
  out_flush(w);
  int rc = 0;
  if (w->fp) {
    if (fclose(w->fp) != 0 && !w->err) w->err = errno ? errno : EIO;
    w->fp = NULL;
    if (!w->err && rename(w->tmp, w->path) != 0) w->err = errno;
    if (w->err) {
      gen_set_err(errstr, errstr_size, "cannot write %s: %s", w->path, strerror(w->err));
      unlink(w->tmp);
      rc = -1;
    }
  } else if (w->err) {
    gen_set_err(errstr, errstr_size, "out of memory");
    rc = -1;
  }
  free(w->buf);
  w->buf = NULL;
  return rc;
}

void gen_out_abort(gen_out_t *w) {
  if (w->fp) {
    fclose(w->fp);
    unlink(w->tmp);
    w->fp = NULL;
  }
  free(w->buf);
  w->buf = NULL;
}

char *gen_out_take(gen_out_t *w, size_t *len) {
  char *b = w->buf;
  *len = w->len;
  w->buf = NULL;
  if (w->err) {
    free(b);
    *len = 0;
    return NULL;
  }
  return b;
}

int gen_write_file(const char *path, const void *data, size_t len, char *errstr,
                      size_t errstr_size) {
  gen_out_t w;
  if (gen_out_open(&w, path, false, false, errstr, errstr_size)) return -1;
  gen_out_mem(&w, data, len);
  return gen_out_close(&w, errstr, errstr_size);
}

/* ---- randomness, dates ---- */

void gen_rng_for(rh_rng_t *r, uint64_t seed, const char *name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    h ^= *p;
    h *= 0x100000001b3ULL;
  }
  rh_rng_seed(r, seed * 0x9e3779b97f4a7c15ULL ^ h);
}

int gen_days_in_month(int y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

int gen_parse_period(const char *s, int *year, int *month) {
  if (!s || strlen(s) != 7 || s[4] != '-') return -1;
  for (int i = 0; i < 7; i++)
    if (i != 4 && (s[i] < '0' || s[i] > '9')) return -1;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0');
  if (y < 2000 || y > 2099 || m < 1 || m > 12) return -1;
  *year = y;
  *month = m;
  return 0;
}

/* ---- facts about the output ---- */

void gen_feed_style(size_t department_index, bool *bom, bool *crlf) {
  *bom = department_index % 3 == 1;
  *crlf = department_index % 2 == 1;
}

const rh_config_feed_t *gen_bad_feed(const rh_config_t *cfg) {
  const rh_config_feed_t *f = rh_config_feed_find(cfg, "medical-insurance", "high-self-pay");
  if (f) return f;
  for (size_t d = 0; d < cfg->department_count; d++)
    for (size_t i = 0; i < cfg->departments[d].feed_count; i++) {
      const rh_config_feed_t *c = &cfg->departments[d].feeds[i];
      if (c->columns[RH_COL_TOWNSHIP] && c->columns[RH_COL_EVENT_DATE] &&
          c->columns[RH_COL_AMOUNT])
        return c;
    }
  return &cfg->departments[0].feeds[0];
}

const rh_config_feed_t *gen_bench_feed(const rh_config_t *cfg) {
  const rh_config_feed_t *f = rh_config_feed_find(cfg, "health", "major-disease");
  if (f) return f;
  for (size_t d = 0; d < cfg->department_count; d++)
    for (size_t i = 0; i < cfg->departments[d].feed_count; i++)
      if (cfg->departments[d].feeds[i].kind == RH_FEED_SIGNAL) return &cfg->departments[d].feeds[i];
  return &cfg->departments[0].feeds[0];
}

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
