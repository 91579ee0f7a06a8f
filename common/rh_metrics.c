/* rh_metrics: see rh_metrics.h. */
#include "rh_metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_clock.h"
#include "rh_log.h"
#include "rh_sbuf.h"

typedef struct {
  char *labels; /* "" or k="v",... */
  double v;
} sample_t;

typedef struct {
  char *name, *help;
  rh_metric_type_t type;
  sample_t *s;
  size_t n, cap;
} family_t;

struct rh_metrics {
  family_t *f;
  size_t n, cap;
  char program[64];
  char problem[512]; /* the service's, "" healthy */
  char kafka[256];   /* rh_metrics_kafka's verdict, "" none */
  /* handed over to the HTTP thread */
  pthread_mutex_t lock;
  char *page;
  size_t page_len;
  char health[512];
  int64_t published_ms; /* 0: never */
  int64_t stale_ms;     /* rh_metrics_stale_ms */
};

rh_metrics_t *rh_metrics_new(const char *program) {
  rh_metrics_t *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  pthread_mutex_init(&m->lock, NULL);
  m->stale_ms = RH_METRICS_STALE_MS;
  snprintf(m->program, sizeof m->program, "%s", program);
  char l[128];
  if (rh_metrics_family(m, "riskhub_info", RH_METRIC_GAUGE, "the program serving this page") ||
      rh_metrics_set(m, "riskhub_info", rh_metrics_labels(l, sizeof l, 1, "program", program), 1) ||
      rh_metrics_family(m, "riskhub_published_timestamp_seconds", RH_METRIC_GAUGE,
                        "when the service loop rendered this page (Unix time)") ||
      rh_metrics_family(m, "riskhub_healthy", RH_METRIC_GAUGE,
                        "1 when the service reported no problem, else 0 (the reason is on "
                        "/healthz, which also fails when the service stopped reporting)")) {
    rh_metrics_destroy(m);
    return NULL;
  }
  return m;
}

void rh_metrics_destroy(rh_metrics_t *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) {
    for (size_t k = 0; k < m->f[i].n; k++) free(m->f[i].s[k].labels);
    free(m->f[i].s);
    free(m->f[i].name);
    free(m->f[i].help);
  }
  free(m->f);
  free(m->page);
  pthread_mutex_destroy(&m->lock);
  free(m);
}

static bool name_ok(const char *s) {
  if (!s || !*s) return false;
  for (const char *p = s; *p; p++) {
    bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':';
    if (!alpha && !(p > s && *p >= '0' && *p <= '9')) return false;
  }
  return true;
}

static family_t *find(rh_metrics_t *m, const char *name) {
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->f[i].name, name) == 0) return &m->f[i];
  return NULL;
}

int rh_metrics_family(rh_metrics_t *m, const char *name, rh_metric_type_t type, const char *help) {
  if (!name_ok(name)) return -1;
  if (find(m, name)) return 0;
  if (RH_ARRAY_RESERVE(m->f, m->n + 1, m->cap, 32)) return -1;
  family_t *f = &m->f[m->n];
  *f = (family_t){.name = strdup(name), .help = strdup(help ? help : ""), .type = type};
  if (!f->name || !f->help) {
    free(f->name);
    free(f->help);
    return -1;
  }
  m->n++;
  return 0;
}

int rh_metrics_declare(rh_metrics_t *m, const rh_metric_def_t *defs, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (rh_metrics_family(m, defs[i].name, defs[i].type, defs[i].help)) return -1;
  return 0;
}

const char *rh_metrics_labels(char *out, size_t n, int npairs, ...) {
  rh_sbuf_t b = RH_SBUF_INIT;
  va_list ap;
  va_start(ap, npairs);
  for (int i = 0; i < npairs; i++) {
    const char *k = va_arg(ap, const char *), *v = va_arg(ap, const char *);
    if (i) rh_sbuf_puts(&b, ",");
    rh_sbuf_puts(&b, k);
    rh_sbuf_puts(&b, "=\"");
    for (const char *p = v ? v : ""; *p; p++) {
      if (*p == '\\' || *p == '"') rh_sbuf_put(&b, "\\", 1);
      if (*p == '\n')
        rh_sbuf_puts(&b, "\\n");
      else
        rh_sbuf_put(&b, p, 1);
    }
    rh_sbuf_puts(&b, "\"");
  }
  va_end(ap);
  const char *r = NULL;
  if (!b.oom && b.len < n) {
    memcpy(out, b.p ? b.p : "", b.len + 1);
    r = out;
  }
  rh_sbuf_free(&b);
  return r;
}

static sample_t *sample(rh_metrics_t *m, const char *name, const char *labels) {
  family_t *f = find(m, name);
  if (!f || !labels) return NULL; /* a label set that did not fit: never merged into another */
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->s[i].labels, labels) == 0) return &f->s[i];
  if (RH_ARRAY_RESERVE(f->s, f->n + 1, f->cap, 8)) return NULL;
  char *l = strdup(labels);
  if (!l) return NULL;
  f->s[f->n] = (sample_t){.labels = l, .v = 0};
  return &f->s[f->n++];
}

int rh_metrics_set(rh_metrics_t *m, const char *name, const char *labels, double v) {
  sample_t *s = sample(m, name, labels);
  if (!s) return -1;
  s->v = v;
  return 0;
}

int rh_metrics_add(rh_metrics_t *m, const char *name, const char *labels, double delta) {
  sample_t *s = sample(m, name, labels);
  if (!s) return -1;
  s->v += delta;
  return 0;
}

void rh_metrics_drop(rh_metrics_t *m, const char *name) {
  family_t *f = find(m, name);
  if (!f) return;
  for (size_t i = 0; i < f->n; i++) free(f->s[i].labels);
  f->n = 0;
}

void rh_metrics_health(rh_metrics_t *m, const char *problem) {
  snprintf(m->problem, sizeof m->problem, "%s", problem ? problem : "");
  for (char *p = m->problem; *p; p++)
    if (*p == '\n') *p = ' ';
  rh_log_scrub(m->problem); /* served to anyone who asks: as the log, no ID number */
}

void rh_metrics_kafka_problem(rh_metrics_t *m, const char *problem) {
  snprintf(m->kafka, sizeof m->kafka, "%s", problem ? problem : "");
}

void rh_metrics_stale_ms(rh_metrics_t *m, int64_t ms) {
  pthread_mutex_lock(&m->lock);
  m->stale_ms = ms > RH_METRICS_STALE_MS ? ms : RH_METRICS_STALE_MS;
  pthread_mutex_unlock(&m->lock);
}

/* HELP text: \ and line breaks escaped (the format's rule) */
static void put_help(rh_sbuf_t *b, const char *s) {
  for (; *s; s++) {
    if (*s == '\\')
      rh_sbuf_puts(b, "\\\\");
    else if (*s == '\n')
      rh_sbuf_puts(b, "\\n");
    else
      rh_sbuf_put(b, s, 1);
  }
}

/* a sample's value as the format writes it: +Inf, -Inf, NaN, else %.15g */
static void put_value(rh_sbuf_t *b, double v) {
  if (isnan(v))
    rh_sbuf_puts(b, " NaN\n");
  else if (isinf(v))
    rh_sbuf_puts(b, v > 0 ? " +Inf\n" : " -Inf\n");
  else
    rh_sbuf_printf(b, " %.15g\n", v);
}

static void render(const rh_metrics_t *m, rh_sbuf_t *b) {
  for (size_t i = 0; i < m->n; i++) {
    const family_t *f = &m->f[i];
    rh_sbuf_printf(b, "# HELP %s ", f->name);
    put_help(b, f->help);
    rh_sbuf_printf(b, "\n# TYPE %s %s\n", f->name,
                   f->type == RH_METRIC_COUNTER ? "counter" : "gauge");
    for (size_t k = 0; k < f->n; k++) {
      rh_sbuf_puts(b, f->name);
      if (f->s[k].labels[0]) {
        rh_sbuf_puts(b, "{");
        rh_sbuf_puts(b, f->s[k].labels);
        rh_sbuf_puts(b, "}");
      }
      put_value(b, f->s[k].v);
    }
  }
}

int rh_metrics_publish(rh_metrics_t *m) {
  rh_metrics_set(m, "riskhub_published_timestamp_seconds", "", (double)rh_wall_ms() / 1000.0);
  rh_metrics_set(m, "riskhub_healthy", "", m->problem[0] || m->kafka[0] ? 0 : 1);
  rh_sbuf_t b = RH_SBUF_INIT;
  render(m, &b);
  if (b.oom) {
    rh_sbuf_free(&b);
    return -1;
  }
  pthread_mutex_lock(&m->lock);
  free(m->page);
  m->page = b.p;
  m->page_len = b.len;
  /* the service's own problem first: it knows more of what it waits for */
  snprintf(m->health, sizeof m->health, "%s", m->problem[0] ? m->problem : m->kafka);
  m->published_ms = rh_mono_ms();
  pthread_mutex_unlock(&m->lock);
  return 0;
}

char *rh_metrics_page(rh_metrics_t *m, size_t *len) {
  char *out = NULL;
  pthread_mutex_lock(&m->lock);
  if (m->page && (out = malloc(m->page_len + 1))) {
    memcpy(out, m->page, m->page_len + 1);
    *len = m->page_len;
  }
  pthread_mutex_unlock(&m->lock);
  return out;
}

int rh_metrics_health_page(rh_metrics_t *m, int64_t now_ms, char *out, size_t n) {
  int code = 503;
  pthread_mutex_lock(&m->lock);
  if (!m->published_ms)
    snprintf(out, n, "starting: the service has not reported yet\n");
  else if (now_ms - m->published_ms > m->stale_ms)
    snprintf(out, n, "stuck: the service loop has not reported for %lld s\n",
             (long long)((now_ms - m->published_ms) / 1000));
  else if (m->health[0])
    snprintf(out, n, "%s\n", m->health);
  else {
    snprintf(out, n, "ok\n");
    code = 200;
  }
  pthread_mutex_unlock(&m->lock);
  return code;
}
