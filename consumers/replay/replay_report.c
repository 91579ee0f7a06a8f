/* replay_report: see replay_report.h. */
#include "replay_report.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_array.h"
#include "rh_idnum.h"

static char *xstrdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

int replay_report_set(char **dst, const char *s) {
  free(*dst);
  *dst = NULL;
  if (!s) return 0;
  return (*dst = xstrdup(s)) ? 0 : -1;
}

static const char *kind_str(const rh_config_feed_t *f) {
  return f ? rh_feed_kind_name(f->kind) : "?";
}

size_t replay_report_feed(replay_report_t *r, const char *department, const char *feed) {
  for (size_t i = 0; i < r->nfeeds; i++)
    if (strcmp(r->feeds[i].department, department) == 0 && strcmp(r->feeds[i].feed, feed) == 0)
      return i;
  if (RH_ARRAY_RESERVE(r->feeds, r->nfeeds + 1, r->feeds_cap, 32)) return (size_t)-1;
  replay_feed_t *f = &r->feeds[r->nfeeds];
  memset(f, 0, sizeof *f);
  f->department = xstrdup(department);
  f->feed = xstrdup(feed);
  f->kind = "?";
  if (!f->department || !f->feed) {
    free(f->department);
    free(f->feed);
    return (size_t)-1;
  }
  return r->nfeeds++;
}

int replay_report_init(replay_report_t *r, const rh_config_t *cfg, const char *period,
                       const char *department, const char *feed, const char *source) {
  memset(r, 0, sizeof *r);
  if (replay_report_set(&r->period, period) || replay_report_set(&r->department, department) ||
      replay_report_set(&r->feed, feed) || replay_report_set(&r->source, source))
    return -1;
  for (size_t i = 0; i < cfg->department_count; i++) {
    const rh_config_department_t *d = &cfg->departments[i];
    if (department && strcmp(d->code, department) != 0) continue;
    for (size_t j = 0; j < d->feed_count; j++) {
      if (feed && strcmp(d->feeds[j].code, feed) != 0) continue;
      size_t k = replay_report_feed(r, d->code, d->feeds[j].code);
      if (k == (size_t)-1) return -1;
      r->feeds[k].kind = kind_str(&d->feeds[j]);
    }
  }
  return 0;
}

int replay_report_init_like(replay_report_t *r, const replay_report_t *like) {
  memset(r, 0, sizeof *r);
  if (replay_report_set(&r->period, like->period) ||
      replay_report_set(&r->department, like->department) ||
      replay_report_set(&r->feed, like->feed) || replay_report_set(&r->source, like->source))
    return -1;
  for (size_t i = 0; i < like->nfeeds; i++) {
    size_t k = replay_report_feed(r, like->feeds[i].department, like->feeds[i].feed);
    if (k == (size_t)-1) return -1;
    r->feeds[k].kind = like->feeds[i].kind;
  }
  return 0;
}

int replay_report_merge(replay_report_t *dst, replay_report_t *src) {
  size_t *map = calloc(src->nfeeds ? src->nfeeds : 1, sizeof *map);
  if (!map) return -1;
  for (size_t i = 0; i < src->nfeeds; i++) {
    const replay_feed_t *s = &src->feeds[i];
    size_t k = replay_report_feed(dst, s->department, s->feed);
    if (k == (size_t)-1) {
      free(map);
      return -1;
    }
    map[i] = k;
    replay_feed_t *d = &dst->feeds[k];
    if (strcmp(d->kind, "?") == 0) d->kind = s->kind;
    d->batches += s->batches;
    d->records += s->records;
    d->records_expected += s->records_expected;
    d->rejects += s->rejects;
    d->alerts_expected += s->alerts_expected;
    d->alerts_published += s->alerts_published;
    d->checks_expected += s->checks_expected;
    d->checks_published += s->checks_published;
    d->checks_reissued += s->checks_reissued;
    d->missing += s->missing;
    d->extra += s->extra;
    d->changed += s->changed;
  }
  if (dst->ndiffs + src->ndiffs > dst->diffs_cap) {
    size_t cap = dst->ndiffs + src->ndiffs;
    replay_diff_t *d = realloc(dst->diffs, cap * sizeof *d);
    if (!d) {
      free(map);
      return -1;
    }
    dst->diffs = d;
    dst->diffs_cap = cap;
  }
  for (size_t i = 0; i < src->ndiffs; i++) {
    replay_diff_t d = src->diffs[i];
    d.feed = d.feed < src->nfeeds ? map[d.feed] : d.feed;
    dst->diffs[dst->ndiffs++] = d;
  }
  src->ndiffs = 0;
  dst->manifests_unreadable += src->manifests_unreadable;
  dst->records_unreadable += src->records_unreadable;
  dst->published_unreadable += src->published_unreadable;
  dst->published_scanned += src->published_scanned;
  dst->withdrawals_published += src->withdrawals_published;
  dst->dlq += src->dlq;
  free(map);
  return 0;
}

static void free_where(replay_where_t *w) {
  free(w->topic);
  free(w->batch_id);
}

void replay_report_free(replay_report_t *r) {
  free(r->forged);
  free(r->altered);
  for (size_t i = 0; i < r->nfeeds; i++) {
    free(r->feeds[i].department);
    free(r->feeds[i].feed);
  }
  for (size_t i = 0; i < r->ndiffs; i++) {
    replay_diff_t *d = &r->diffs[i];
    free(d->id);
    free(d->person);
    free(d->rule);
    free(d->household_expected);
    free(d->household_published);
    for (size_t k = 0; k < d->nchanges; k++) {
      free(d->changes[k].field);
      free(d->changes[k].published);
      free(d->changes[k].expected);
    }
    free(d->changes);
    free_where(&d->source);
    free_where(&d->published);
  }
  free(r->feeds);
  free(r->diffs);
  free(r->period);
  free(r->department);
  free(r->feed);
  free(r->source);
  memset(r, 0, sizeof *r);
}

int replay_report_add_change(replay_diff_t *d, const char *field, const char *published,
                             const char *expected) {
  replay_change_t *c = realloc(d->changes, (d->nchanges + 1) * sizeof *c);
  if (!c) return -1;
  d->changes = c;
  c = &d->changes[d->nchanges];
  memset(c, 0, sizeof *c);
  if (replay_report_set(&c->field, field) || replay_report_set(&c->published, published) ||
      replay_report_set(&c->expected, expected)) {
    free(c->field);
    free(c->published);
    free(c->expected);
    return -1;
  }
  d->nchanges++;
  return 0;
}

replay_diff_t *replay_report_add_diff(replay_report_t *r, replay_diff_kind_t kind,
                                      replay_out_t what, size_t feed, const char *id) {
  if (RH_ARRAY_RESERVE(r->diffs, r->ndiffs + 1, r->diffs_cap, 64)) return NULL;
  replay_diff_t *d = &r->diffs[r->ndiffs];
  memset(d, 0, sizeof *d);
  d->kind = kind;
  d->what = what;
  d->feed = feed;
  d->source.offset = d->published.offset = -1;
  d->source.partition = d->published.partition = -1;
  d->created_at = d->reference_ms = d->registry_changed_at = -1;
  if (!(d->id = xstrdup(id))) return NULL;
  r->ndiffs++;
  if (feed < r->nfeeds) {
    replay_feed_t *f = &r->feeds[feed];
    if (kind == REPLAY_MISSING) f->missing++;
    else if (kind == REPLAY_EXTRA) f->extra++;
    else f->changed++;
  }
  return d;
}

uint64_t replay_report_records_not_found(const replay_report_t *r) {
  uint64_t n = 0;
  for (size_t i = 0; i < r->nfeeds; i++)
    if (r->feeds[i].records_expected > r->feeds[i].records)
      n += r->feeds[i].records_expected - r->feeds[i].records;
  return n;
}

size_t replay_report_differences(const replay_report_t *r) {
  return r->ndiffs + (replay_report_records_not_found(r) ? 1 : 0) + r->batches_altered;
}

static int by_feed_kind_id(const void *pa, const void *pb) {
  const replay_diff_t *a = pa, *b = pb;
  if (a->feed != b->feed) return a->feed < b->feed ? -1 : 1;
  if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
  if (a->what != b->what) return a->what < b->what ? -1 : 1;
  int c = strcmp(a->id, b->id);
  if (c) return c;
  return a->published.offset < b->published.offset ? -1 : a->published.offset > b->published.offset;
}

void replay_report_sort(replay_report_t *r) {
  if (r->ndiffs > 1) qsort(r->diffs, r->ndiffs, sizeof *r->diffs, by_feed_kind_id);
}

const char *replay_diff_kind_name(replay_diff_kind_t k) {
  switch (k) {
  case REPLAY_MISSING: return "missing";
  case REPLAY_EXTRA: return "extra";
  case REPLAY_CHANGED: return "changed";
  }
  return "?";
}

const char *replay_cause_name(replay_cause_t c) {
  return c == REPLAY_REGISTRY_CHANGED ? "registry changed since" : "unexplained";
}

/* ISO 8601 UTC with milliseconds, or "-" */
static void iso(int64_t ms, char out[32]) {
  if (ms < 0) {
    snprintf(out, 32, "-");
    return;
  }
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&s, &tm);
  size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

static void masked(const char *id, char out[RH_ID_BUFSZ]) {
  if (!id) {
    snprintf(out, RH_ID_BUFSZ, "-");
    return;
  }
  rh_id_mask(id, out);
}

/* ---- table ---- */

void replay_report_totals(const replay_report_t *r, replay_feed_t *t) {
  memset(t, 0, sizeof *t);
  for (size_t i = 0; i < r->nfeeds; i++) {
    const replay_feed_t *f = &r->feeds[i];
    t->batches += f->batches;
    t->records += f->records;
    t->records_expected += f->records_expected;
    t->rejects += f->rejects;
    t->alerts_expected += f->alerts_expected;
    t->alerts_published += f->alerts_published;
    t->checks_expected += f->checks_expected;
    t->checks_published += f->checks_published;
    t->checks_reissued += f->checks_reissued;
    t->missing += f->missing;
    t->extra += f->extra;
    t->changed += f->changed;
  }
}

static void pair(char *out, size_t size, uint64_t a, uint64_t b, bool show) {
  if (!show) snprintf(out, size, "-");
  else snprintf(out, size, "%" PRIu64 "/%" PRIu64, a, b);
}

static void feed_row(FILE *fp, const char *dept, const char *feed, const replay_feed_t *f) {
  char alerts[48], checks[48], recs[48];
  bool check = strcmp(f->kind, "check") == 0;
  pair(alerts, sizeof alerts, f->alerts_expected, f->alerts_published,
       !check || f->alerts_expected || f->alerts_published);
  pair(checks, sizeof checks, f->checks_expected, f->checks_published,
       check || f->checks_expected || f->checks_published);
  if (f->records_expected > f->records)
    snprintf(recs, sizeof recs, "%" PRIu64 " of %" PRIu64, f->records, f->records_expected);
  else
    snprintf(recs, sizeof recs, "%" PRIu64, f->records);
  fprintf(fp, "%-18s %-22s %7" PRIu64 " %10s %7" PRIu64 " %15s %15s %5" PRIu64 "\n", dept, feed,
          f->batches, recs, f->rejects, alerts, checks, f->missing + f->extra + f->changed);
}

static void where_line(FILE *fp, const char *label, const replay_where_t *w, int64_t created) {
  char t[32];
  if (!w->topic && !w->batch_id) return;
  fprintf(fp, "      %-12s", label);
  if (w->topic) fprintf(fp, " %s", w->topic);
  if (w->partition >= 0) fprintf(fp, " [%d]", (int)w->partition);
  if (w->offset >= 0) fprintf(fp, " offset %" PRId64, w->offset);
  if (w->batch_id) fprintf(fp, ", batch %s", w->batch_id);
  if (created >= 0) {
    iso(created, t);
    fprintf(fp, ", created %s", t);
  }
  fputc('\n', fp);
}

int replay_report_print_table(const replay_report_t *r, FILE *fp) {
  replay_feed_t t;
  replay_report_totals(r, &t);
  fprintf(fp, "riskhub-replay: period %s, ", r->period);
  if (r->department) fprintf(fp, "department %s, ", r->department);
  if (r->feed) fprintf(fp, "feed %s, ", r->feed);
  if (!r->department && !r->feed) fprintf(fp, "all departments, ");
  fprintf(fp, "from the %s\n", r->source);
  fprintf(fp, "%-18s %-22s %7s %10s %7s %15s %15s %5s\n", "department", "feed", "batches",
          "records", "rejects", "alerts exp/pub", "checks exp/pub", "diffs");
  for (size_t i = 0; i < r->nfeeds; i++)
    feed_row(fp, r->feeds[i].department, r->feeds[i].feed, &r->feeds[i]);
  t.kind = "total";
  feed_row(fp, "total", "", &t);
  if (r->manifests_unreadable || r->records_unreadable || r->published_unreadable || r->dlq)
    fprintf(fp,
            "unreadable: %" PRIu64 " manifests, %" PRIu64 " records in the batches' ranges, "
            "%" PRIu64
            " messages on the output topics; %" PRIu64 " records the join would dead-letter\n",
            r->manifests_unreadable, r->records_unreadable, r->published_unreadable, r->dlq);
  if (r->withdrawals_published)
    fprintf(fp, "withdrawals: %" PRIu64 " on the alert topics (corrected lists, docs/join.md "
                "\"Corrections\"): not re-derived by the replay, not compared\n",
            r->withdrawals_published);
  if (r->manifests_forged) {
    fprintf(fp, "FORGED: %" PRIu64 " manifest(s) of the month not signed by their department, "
                "not believed, no part of the replay (清单签名无效):\n",
            r->manifests_forged);
    for (size_t i = 0; i < r->nforged; i++)
      fprintf(fp, "  %s/%s, %s [%d] offset %" PRId64 ": %s\n", r->forged[i].department,
              r->forged[i].feed, r->forged[i].topic[0] ? r->forged[i].topic : "manifests",
              (int)r->forged[i].partition, r->forged[i].offset, r->forged[i].reason);
    if (r->nforged < r->manifests_forged)
      fprintf(fp, "  ... and %" PRIu64 " more (the log names each)\n",
              r->manifests_forged - r->nforged);
  }
  if (r->batches_altered) {
    fprintf(fp, "ALTERED: %" PRIu64 " batch(es) whose records are not those their department "
                "signed (记录与签名不符):\n",
            r->batches_altered);
    for (size_t i = 0; i < r->naltered; i++)
      fprintf(fp, "  %s/%s, manifest at its department's manifests topic [%d] offset %" PRId64
                  ": %s\n",
              r->altered[i].department, r->altered[i].feed, (int)r->altered[i].partition,
              r->altered[i].offset, r->altered[i].reason);
  }
  uint64_t nf = replay_report_records_not_found(r);
  if (nf)
    fprintf(fp, "NOT FOUND: %" PRIu64 " records the manifests name are not on the broker "
                "(retention? deleted?): the replay is incomplete\n", nf);
  size_t reg = 0;
  for (size_t i = 0; i < r->ndiffs; i++) reg += r->diffs[i].cause == REPLAY_REGISTRY_CHANGED;
  if (!r->ndiffs) {
    fprintf(fp, "%s: %s\n", nf ? "no difference in what could be replayed" : "no difference",
            "the published alerts and check results are what the join's rules give");
  } else {
    fprintf(fp,
            "DIFFERENCES: %zu (%" PRIu64 " missing, %" PRIu64 " extra, %" PRIu64
            " changed): %zu registry changed since, %zu unexplained\n",
            r->ndiffs, t.missing, t.extra, t.changed, reg, r->ndiffs - reg);
  }
  for (size_t i = 0; i < r->ndiffs; i++) {
    const replay_diff_t *d = &r->diffs[i];
    const replay_feed_t *f = &r->feeds[d->feed];
    char pid[RH_ID_BUFSZ], t1[32];
    masked(d->person, pid);
    fprintf(fp, "  %-7s %s %s  %s/%s  %s %s", replay_diff_kind_name(d->kind),
            d->what == REPLAY_OUT_ALERT ? "alert" : "check", d->id, f->department, f->feed,
            d->what == REPLAY_OUT_ALERT ? "person" : "member", pid);
    if (d->rule) fprintf(fp, "  rule %s", d->rule);
    if (d->duplicate) fprintf(fp, "  (published more than once)");
    fputc('\n', fp);
    if (d->nchanges) {
      fprintf(fp, "      %-12s", "fields:");
      for (size_t k = 0; k < d->nchanges; k++) {
        const replay_change_t *c = &d->changes[k];
        fprintf(fp, "%s %s", k ? "," : "", c->field);
        if (c->published || c->expected)
          fprintf(fp, " (published %s, expected %s)", c->published ? c->published : "-",
                  c->expected ? c->expected : "-");
      }
      fputc('\n', fp);
    }
    if (d->household_expected || d->household_published) {
      bool same = d->household_expected && d->household_published &&
                  strcmp(d->household_expected, d->household_published) == 0;
      if (same || !d->household_published)
        fprintf(fp, "      %-12s %s\n", "household:", d->household_expected);
      else if (!d->household_expected)
        fprintf(fp, "      %-12s %s\n", "household:", d->household_published);
      else
        fprintf(fp, "      %-12s %s (published: %s)\n", "household:", d->household_expected,
                d->household_published);
    }
    where_line(fp, "feed record:", &d->source, -1);
    where_line(fp, "published:", &d->published, d->created_at);
    if (d->cause == REPLAY_REGISTRY_CHANGED) {
      iso(d->registry_changed_at, t1);
      fprintf(fp, "      %-12s registry changed since (last change %s)\n", "cause:", t1);
    } else {
      fprintf(fp, "      %-12s unexplained\n", "cause:");
    }
  }
  fprintf(fp, "result: %s (%.2f s)\n",
          replay_report_differences(r) ? "DIFFERENT" : "equal", r->seconds);
  fflush(fp);
  return ferror(fp) ? -1 : 0;
}

/* ---- JSON ---- */

/* forged manifests / altered batches: where and why */
static json_t *described(const replay_forged_t *list, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "department", json_string(list[i].department));
    json_object_set_new(o, "feed", json_string(list[i].feed));
    if (list[i].topic[0]) json_object_set_new(o, "topic", json_string(list[i].topic));
    json_object_set_new(o, "partition", json_integer(list[i].partition));
    json_object_set_new(o, "offset", json_integer((json_int_t)list[i].offset));
    json_object_set_new(o, "reason", json_string(list[i].reason));
    json_array_append_new(a, o);
  }
  return a;
}


static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *jwhere(const replay_where_t *w, int64_t created) {
  if (!w->topic && !w->batch_id) return json_null();
  json_t *o = json_object();
  json_object_set_new(o, "topic", jstr(w->topic));
  json_object_set_new(o, "partition", w->partition >= 0 ? json_integer(w->partition) : json_null());
  json_object_set_new(o, "offset", w->offset >= 0 ? json_integer(w->offset) : json_null());
  json_object_set_new(o, "batch_id", jstr(w->batch_id));
  if (created >= 0) json_object_set_new(o, "created_at", json_integer(created));
  return o;
}

static json_t *jfeed(const replay_feed_t *f) {
  json_t *o = json_object();
  json_object_set_new(o, "department", jstr(f->department));
  json_object_set_new(o, "feed", jstr(f->feed));
  json_object_set_new(o, "kind", jstr(f->kind));
  json_object_set_new(o, "batches", json_integer((json_int_t)f->batches));
  json_object_set_new(o, "records", json_integer((json_int_t)f->records));
  json_object_set_new(o, "records_in_manifests", json_integer((json_int_t)f->records_expected));
  json_object_set_new(o, "rejects", json_integer((json_int_t)f->rejects));
  json_object_set_new(o, "alerts_expected", json_integer((json_int_t)f->alerts_expected));
  json_object_set_new(o, "alerts_published", json_integer((json_int_t)f->alerts_published));
  json_object_set_new(o, "checks_expected", json_integer((json_int_t)f->checks_expected));
  json_object_set_new(o, "checks_published", json_integer((json_int_t)f->checks_published));
  json_object_set_new(o, "checks_reissued", json_integer((json_int_t)f->checks_reissued));
  json_object_set_new(o, "missing", json_integer((json_int_t)f->missing));
  json_object_set_new(o, "extra", json_integer((json_int_t)f->extra));
  json_object_set_new(o, "changed", json_integer((json_int_t)f->changed));
  return o;
}

int replay_report_print_json(const replay_report_t *r, FILE *fp) {
  replay_feed_t t;
  replay_report_totals(r, &t);
  t.department = "total";
  t.feed = "";
  t.kind = "";
  json_t *root = json_object(), *feeds = json_array(), *diffs = json_array();
  json_object_set_new(root, "period", jstr(r->period));
  json_object_set_new(root, "department", jstr(r->department));
  json_object_set_new(root, "feed", jstr(r->feed));
  json_object_set_new(root, "source", jstr(r->source));
  for (size_t i = 0; i < r->nfeeds; i++) json_array_append_new(feeds, jfeed(&r->feeds[i]));
  json_object_set_new(root, "feeds", feeds);
  json_t *tot = jfeed(&t);
  json_object_del(tot, "department");
  json_object_del(tot, "feed");
  json_object_del(tot, "kind");
  json_object_set_new(root, "totals", tot);
  json_t *un = json_object();
  json_object_set_new(un, "manifests", json_integer((json_int_t)r->manifests_unreadable));
  json_object_set_new(un, "records", json_integer((json_int_t)r->records_unreadable));
  json_object_set_new(un, "published", json_integer((json_int_t)r->published_unreadable));
  json_object_set_new(un, "dead_letter", json_integer((json_int_t)r->dlq));
  json_object_set_new(root, "unreadable", un);
  json_object_set_new(root, "withdrawals_published",
                      json_integer((json_int_t)r->withdrawals_published));
  json_t *fg = described(r->forged, r->nforged);
  json_object_set_new(root, "forged_manifests", fg);
  json_t *al = described(r->altered, r->naltered);
  json_object_set_new(root, "altered_batches", al);
  json_object_set_new(root, "altered_batches_count", json_integer((json_int_t)r->batches_altered));
  json_object_set_new(root, "forged_manifests_count", json_integer((json_int_t)r->manifests_forged));
  json_object_set_new(root, "records_not_found",
                      json_integer((json_int_t)replay_report_records_not_found(r)));
  for (size_t i = 0; i < r->ndiffs; i++) {
    const replay_diff_t *d = &r->diffs[i];
    const replay_feed_t *f = &r->feeds[d->feed];
    char pid[RH_ID_BUFSZ];
    masked(d->person, pid);
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(replay_diff_kind_name(d->kind)));
    json_object_set_new(o, "type", json_string(d->what == REPLAY_OUT_ALERT ? "alert" : "check"));
    json_object_set_new(o, "id", jstr(d->id));
    json_object_set_new(o, "department", jstr(f->department));
    json_object_set_new(o, "feed", jstr(f->feed));
    json_object_set_new(o, "person", d->person ? json_string(pid) : json_null());
    json_object_set_new(o, "rule", jstr(d->rule));
    json_object_set_new(o, "duplicate", json_boolean(d->duplicate));
    json_object_set_new(o, "household_expected", jstr(d->household_expected));
    json_object_set_new(o, "household_published", jstr(d->household_published));
    json_t *fl = json_array();
    for (size_t k = 0; k < d->nchanges; k++) {
      const replay_change_t *c = &d->changes[k];
      json_t *x = json_object();
      json_object_set_new(x, "field", jstr(c->field));
      if (c->published || c->expected) {
        json_object_set_new(x, "published", jstr(c->published));
        json_object_set_new(x, "expected", jstr(c->expected));
      }
      json_array_append_new(fl, x);
    }
    json_object_set_new(o, "fields", fl);
    json_object_set_new(o, "lineage", jwhere(&d->source, -1));
    json_object_set_new(o, "published", jwhere(&d->published, d->created_at));
    json_object_set_new(o, "cause", json_string(d->cause == REPLAY_REGISTRY_CHANGED
                                                    ? "registry_changed_since"
                                                    : "unexplained"));
    json_object_set_new(o, "registry_changed_at",
                        d->registry_changed_at >= 0 ? json_integer(d->registry_changed_at)
                                                    : json_null());
    json_array_append_new(diffs, o);
  }
  json_object_set_new(root, "differences", diffs);
  json_object_set_new(root, "result",
                      json_string(replay_report_differences(r) ? "different" : "equal"));
  json_object_set_new(root, "seconds", json_real(r->seconds));
  int flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6);
  int rc = json_dumpf(root, fp, (size_t)flags) == 0 ? 0 : -1;
  fputc('\n', fp);
  fflush(fp);
  json_decref(root);
  if (rc == 0 && ferror(fp)) rc = -1;
  (void)errno;
  return rc;
}
