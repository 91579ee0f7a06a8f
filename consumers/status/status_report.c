/* status_report: see status_report.h. */
#include "status_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_hash.h"
#include "rh_err.h"
#include "rh_period.h"
#include "status_time.h"

const char *status_state_code(status_state_t s) {
  switch (s) {
  case STATUS_ON_TIME: return "on_time";
  case STATUS_LATE: return "late";
  case STATUS_MISSING: return "missing";
  case STATUS_PENDING: return "pending";
  default: return "?";
  }
}

const char *status_state_label(status_state_t s) {
  switch (s) {
  case STATUS_ON_TIME: return "on time (按时)";
  case STATUS_LATE: return "late (迟报)";
  case STATUS_MISSING: return "missing (未报)";
  case STATUS_PENDING: return "pending (未到期)";
  default: return "?";
  }
}

uint64_t status_key_hex(const char *hex) {
  uint64_t k;
  rh_hex_key64(hex, &k);
  return k;
}

uint64_t status_key_str(const char *s) {
  uint64_t h = UINT64_C(14695981039346656037);
  for (; s && *s; s++) {
    h ^= (unsigned char)*s;
    h *= UINT64_C(1099511628211);
  }
  return h;
}

/* an id's key: its hex prefix, or (not hex) a hash of the whole text */
static uint64_t id_key(const char *id) {
  uint64_t k = status_key_hex(id);
  return k ? k : status_key_str(id);
}

status_list_t *status_report_list(const status_report_t *r, size_t feed, int month) {
  return &r->lists[feed * (size_t)r->nmonths + (size_t)month];
}

status_tally_t *status_report_tally(const status_report_t *r, size_t row, int month) {
  return &r->tallies[row * (size_t)(r->nmonths + 1) + (size_t)month];
}

static void tally_free(status_tally_t *t) {
  free(t->alerts_);
  free(t->households_);
  free(t->checks_);
  free(t->matched_);
  t->alerts_ = t->households_ = t->checks_ = t->matched_ = NULL;
  t->na_ = t->nh_ = t->nc_ = t->nm_ = t->ca_ = t->ch_ = t->cc_ = t->cm_ = 0;
}

void status_report_destroy(status_report_t *r) {
  if (!r) return;
  if (r->lists)
    for (size_t i = 0; i < r->nfeeds * (size_t)r->nmonths; i++) free(r->lists[i].all_);
  if (r->tallies)
    for (size_t i = 0; i < r->nrows * (size_t)(r->nmonths + 1); i++) tally_free(&r->tallies[i]);
  free(r->lists);
  free(r->tallies);
  free(r->feeds);
  free(r->feed_state_counts);
  free(r->superseded_);
  free(r);
}

status_report_t *status_report_new(const rh_config_t *cfg, int first_year, int first_month,
                                   int nmonths, int quarter, int64_t as_of_ms,
                                   int utc_offset_min, char *errstr, size_t errstr_size) {
  if (!cfg || nmonths < 1 || nmonths > STATUS_MAX_MONTHS || first_month < 1 || first_month > 12 ||
      utc_offset_min < -STATUS_UTC_OFFSET_MAX || utc_offset_min > STATUS_UTC_OFFSET_MAX) {
    rh_errf(errstr, errstr_size, "status report: invalid arguments");
    return NULL;
  }
  status_report_t *r = calloc(1, sizeof *r);
  if (!r) goto oom;
  r->cfg = cfg;
  r->nmonths = nmonths;
  r->quarter = quarter;
  r->as_of_ms = as_of_ms;
  r->utc_offset_min = utc_offset_min;
  int y = first_year, m = first_month;
  for (int i = 0; i < nmonths; i++) {
    r->year[i] = y;
    r->month[i] = m;
    status_period_format(y, m, r->period[i]);
    r->deadline_ms[i] = status_deadline_ms(y, m, cfg->deadlines.delivery_day, utc_offset_min);
    r->deadline_day[i] = rh_period_local_days(r->deadline_ms[i], utc_offset_min) - 1;
    status_period_add(&y, &m, 1);
  }
  for (size_t i = 0; i < cfg->department_count; i++) r->nfeeds += cfg->departments[i].feed_count;
  r->nrows = cfg->township_count + 1;
  r->feeds = calloc(r->nfeeds ? r->nfeeds : 1, sizeof *r->feeds);
  r->lists = calloc(r->nfeeds * (size_t)nmonths + 1, sizeof *r->lists);
  r->tallies = calloc(r->nrows * (size_t)(nmonths + 1), sizeof *r->tallies);
  r->feed_state_counts = calloc(r->nfeeds * STATUS_STATE_COUNT + 1, sizeof *r->feed_state_counts);
  if (!r->feeds || !r->lists || !r->tallies || !r->feed_state_counts) goto oom;
  size_t k = 0;
  for (size_t i = 0; i < cfg->department_count; i++)
    for (size_t j = 0; j < cfg->departments[i].feed_count; j++)
      r->feeds[k++] = &cfg->departments[i].feeds[j];
  return r;
oom:
  status_report_destroy(r);
  rh_errf(errstr, errstr_size, "out of memory");
  return NULL;
}

int status_report_month(const status_report_t *r, const char *period) {
  if (!period) return -1;
  for (int i = 0; i < r->nmonths; i++)
    if (strcmp(r->period[i], period) == 0) return i;
  return -1;
}

static long feed_index(const status_report_t *r, const char *department, const char *feed) {
  for (size_t i = 0; i < r->nfeeds; i++)
    if (strcmp(r->feeds[i]->code, feed) == 0 &&
        strcmp(r->feeds[i]->department->code, department) == 0)
      return (long)i;
  return -1;
}

int status_report_add_manifest(status_report_t *r, const char *department, const char *feed,
                               const char *period, const char *batch_id, int64_t finished_at,
                               int64_t rows_total, int64_t rows_accepted,
                               int64_t rows_rejected) {
  int m = status_report_month(r, period);
  if (m < 0 || !department || !feed) return 0;
  long f = feed_index(r, department, feed);
  if (f < 0) {
    r->manifests_other_feeds++;
    return 0;
  }
  if (finished_at > r->as_of_ms) {
    r->manifests_after_as_of++;
    return 0;
  }
  status_list_t *l = status_report_list(r, (size_t)f, m);
  if (RH_ARRAY_RESERVE(l->all_, l->len_ + 1, l->cap_, 4)) return -1;
  status_manifest_t *x = &l->all_[l->len_];
  memset(x, 0, sizeof *x);
  snprintf(x->batch_id, sizeof x->batch_id, "%s", batch_id ? batch_id : "");
  x->finished_at = finished_at;
  x->rows_total = rows_total;
  x->rows_accepted = rows_accepted;
  x->rows_rejected = rows_rejected;
  x->seq = ++r->seq_;
  l->len_++;
  return 0;
}

static int push(uint64_t **v, size_t *n, size_t *cap, uint64_t key) {
  if (RH_ARRAY_RESERVE(*v, *n + 1, *cap, 64)) return -1;
  (*v)[(*n)++] = key;
  return 0;
}

int status_report_add_alert(status_report_t *r, size_t row, const char *period,
                            const char *alert_id, const char *household_id, int64_t created_at) {
  int m = status_report_month(r, period);
  if (m < 0 || row >= r->nrows || !alert_id) return 0;
  if (created_at > r->as_of_ms) {
    r->alerts_after_as_of++;
    return 0;
  }
  status_tally_t *t = status_report_tally(r, row, m);
  if (push(&t->alerts_, &t->na_, &t->ca_, id_key(alert_id))) return -1;
  if (household_id && *household_id && row != STATUS_UNMATCHED(r) &&
      push(&t->households_, &t->nh_, &t->ch_, status_key_str(household_id)))
    return -1;
  return 0;
}

int status_report_add_check(status_report_t *r, size_t row, const char *period,
                            const char *check_id, bool matched, int64_t created_at,
                            const char *supersedes) {
  int m = status_report_month(r, period);
  if (m < 0 || row >= r->nrows || !check_id) return 0;
  if (created_at > r->as_of_ms) {
    r->checks_after_as_of++;
    return 0;
  }
  if (supersedes && *supersedes &&
      push(&r->superseded_, &r->nsup_, &r->csup_, id_key(supersedes)))
    return -1;
  status_tally_t *t = status_report_tally(r, row, m);
  uint64_t k = id_key(check_id);
  if (push(&t->checks_, &t->nc_, &t->cc_, k)) return -1;
  if (matched && push(&t->matched_, &t->nm_, &t->cm_, k)) return -1;
  return 0;
}

int status_report_set_tally(status_report_t *r, size_t row, int m, uint64_t warnings,
                            uint64_t households, uint64_t checks, uint64_t checks_matched) {
  if (row >= r->nrows || m < 0 || m > r->nmonths) return -1;
  status_tally_t *t = status_report_tally(r, row, m);
  t->warnings = warnings;
  t->households = row == STATUS_UNMATCHED(r) ? 0 : households;
  t->checks = checks;
  t->checks_matched = checks_matched;
  r->tallies_set_ = true;
  return 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static uint64_t distinct(uint64_t *v, size_t n) {
  if (!n) return 0;
  qsort(v, n, sizeof *v, cmp_u64);
  uint64_t d = 1;
  for (size_t i = 1; i < n; i++)
    if (v[i] != v[i - 1]) d++;
  return d;
}

/* Keep the keys of v that are not superseded (r->superseded_ sorted): the new n. */
static size_t drop_superseded(const status_report_t *r, uint64_t *v, size_t n) {
  if (!r->nsup_) return n;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!bsearch(&v[i], r->superseded_, r->nsup_, sizeof *r->superseded_, cmp_u64)) v[k++] = v[i];
  return k;
}

static int cmp_manifest(const void *a, const void *b) {
  const status_manifest_t *x = a, *y = b;
  if (x->finished_at != y->finished_at) return (x->finished_at > y->finished_at) ? 1 : -1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

static void decide(const status_report_t *r, status_list_t *l, int m) {
  l->manifests = (uint32_t)l->len_;
  l->republished = l->len_ ? (uint32_t)l->len_ - 1 : 0;
  l->batches = 0;
  l->days_late = 0;
  l->has_batch = false;
  if (!l->len_) {
    l->state = r->as_of_ms >= r->deadline_ms[m] ? STATUS_MISSING : STATUS_PENDING;
    return;
  }
  qsort(l->all_, l->len_, sizeof *l->all_, cmp_manifest);
  for (size_t i = 0; i < l->len_; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++) seen = strcmp(l->all_[i].batch_id, l->all_[j].batch_id) == 0;
    if (!seen) l->batches++;
  }
  /* sorted by finished_at: the first one is the first on-time one if any is */
  l->has_batch = true;
  l->shown = l->all_[0];
  if (l->shown.finished_at < r->deadline_ms[m]) {
    l->state = STATUS_ON_TIME;
  } else {
    l->state = STATUS_LATE;
    l->days_late = (int)(rh_period_local_days(l->shown.finished_at, r->utc_offset_min) -
                         r->deadline_day[m]);
  }
}

int status_report_finish(status_report_t *r) {
  if (r->finished) return 0;
  memset(r->state_counts, 0, sizeof r->state_counts);
  for (size_t f = 0; f < r->nfeeds; f++)
    for (int m = 0; m < r->nmonths; m++) {
      status_list_t *l = status_report_list(r, f, m);
      decide(r, l, m);
      r->state_counts[m][l->state]++;
      r->state_counts[r->nmonths][l->state]++;
      r->feed_state_counts[f * STATUS_STATE_COUNT + l->state]++;
    }
  /* the check results replaced by as-of do not count (issue 11) */
  if (r->nsup_) qsort(r->superseded_, r->nsup_, sizeof *r->superseded_, cmp_u64);
  for (size_t row = 0; row < r->nrows && !r->tallies_set_; row++) {
    status_tally_t *all = status_report_tally(r, row, r->nmonths);
    for (int m = 0; m < r->nmonths; m++) {
      status_tally_t *t = status_report_tally(r, row, m);
      t->nc_ = drop_superseded(r, t->checks_, t->nc_);
      t->nm_ = drop_superseded(r, t->matched_, t->nm_);
      /* the whole range gets a copy of every month's keys */
      for (size_t i = 0; i < t->na_; i++)
        if (push(&all->alerts_, &all->na_, &all->ca_, t->alerts_[i])) return -1;
      for (size_t i = 0; i < t->nh_; i++)
        if (push(&all->households_, &all->nh_, &all->ch_, t->households_[i])) return -1;
      for (size_t i = 0; i < t->nc_; i++)
        if (push(&all->checks_, &all->nc_, &all->cc_, t->checks_[i])) return -1;
      for (size_t i = 0; i < t->nm_; i++)
        if (push(&all->matched_, &all->nm_, &all->cm_, t->matched_[i])) return -1;
      t->warnings = distinct(t->alerts_, t->na_);
      t->households = distinct(t->households_, t->nh_);
      t->checks = distinct(t->checks_, t->nc_);
      t->checks_matched = distinct(t->matched_, t->nm_);
      tally_free(t);
    }
    all->warnings = distinct(all->alerts_, all->na_);
    all->households = distinct(all->households_, all->nh_);
    all->checks = distinct(all->checks_, all->nc_);
    all->checks_matched = distinct(all->matched_, all->nm_);
    tally_free(all);
  }
  r->finished = true;
  return 0;
}

bool status_report_all_on_time(const status_report_t *r) {
  const uint32_t *c = r->state_counts[r->nmonths];
  return c[STATUS_LATE] == 0 && c[STATUS_MISSING] == 0 && c[STATUS_PENDING] == 0;
}
