/* scale_judge: see scale_judge.h. */
#include "scale_judge.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_period.h"

/* The same place: the township, and the village when the rule's places are
 * villages. */
static int cmp_place(const scale_warning_t *a, const scale_warning_t *b, bool by_village) {
  int c = strcmp(a->township, b->township);
  if (c || !by_village) return c;
  return strcmp(a->village, b->village);
}

/* The warnings of a rule by place, period, household, alert (qsort_r: arg
 * points to the rule's by_village). */
static int cmp_warning(const void *x, const void *y, void *arg) {
  const scale_warning_t *a = *(const scale_warning_t *const *)x;
  const scale_warning_t *b = *(const scale_warning_t *const *)y;
  int c = cmp_place(a, b, *(const bool *)arg);
  if (!c) c = strcmp(a->period, b->period);
  if (!c) c = strcmp(a->household_id, b->household_id);
  if (!c) c = strcmp(a->alert_id, b->alert_id);
  return c;
}

static int cmp_str(const void *x, const void *y) {
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int risk_index(const rh_config_scale_rule_t *r, const char *risk) {
  for (size_t i = 0; i < r->risk_count; i++)
    if (strcmp(r->risks[i], risk) == 0) return (int)i;
  return -1;
}

/* The registry's households of a place. */
static int64_t place_size(const scale_place_t *places, size_t np, const char *township,
                          const char *village) {
  int64_t n = 0;
  for (size_t i = 0; i < np; i++)
    if (strcmp(places[i].township, township) == 0 &&
        (!village || strcmp(places[i].village, village) == 0))
      n += places[i].households;
  return n;
}

/* count reaches the share of size (with the rounding of a double forgiven) */
static bool share_reached(int64_t count, int64_t size, double share) {
  return size > 0 && (double)count + 1e-9 >= share * (double)size;
}

static bool crosses(const rh_config_scale_rule_t *r, int64_t count, const int64_t *per_risk,
                    int64_t size, double baseline) {
  if (r->all_risks) {
    for (size_t i = 0; i < r->risk_count; i++) {
      if (r->min_households && per_risk[i] < r->min_households) return false;
      if (r->min_share > 0 && !share_reached(per_risk[i], size, r->min_share)) return false;
    }
  } else {
    if (r->min_households && count < r->min_households) return false;
    if (r->min_share > 0 && !share_reached(count, size, r->min_share)) return false;
  }
  if (r->min_rise > 0 && baseline > 0 && (double)count + 1e-9 < r->min_rise * baseline)
    return false;
  return count > 0;
}

/* One place's sorted warnings [lo, hi) of rule r: its month's figures, and
 * the finding when it crosses. 0 (*found set or not), -1 out of memory. */
static int judge_place(const rh_config_scale_rule_t *r, int baseline_months, const char *period,
                       const scale_warning_t *const *w, size_t lo, size_t hi,
                       const scale_place_t *places, size_t np, scale_found_t *f, bool *found) {
  int64_t per_risk[64] = {0}; /* risk_count is small: the risk codes are 12 */
  const char *last_per_risk[64] = {NULL};
  int64_t count = 0, before = 0;
  size_t month_lo = hi, month_hi = hi;
  *found = false;
  for (size_t i = lo; i < hi; i++) {
    bool new_household = i == lo || strcmp(w[i]->period, w[i - 1]->period) != 0 ||
                         strcmp(w[i]->household_id, w[i - 1]->household_id) != 0;
    if (strcmp(w[i]->period, period) == 0) {
      if (month_lo == hi) month_lo = i;
      if (new_household) count++;
      int k = risk_index(r, w[i]->risk);
      if (k >= 0 && k < 64 &&
          (!last_per_risk[k] || strcmp(last_per_risk[k], w[i]->household_id) != 0)) {
        per_risk[k]++;
        last_per_risk[k] = w[i]->household_id;
      }
    } else if (strcmp(w[i]->period, period) < 0 && new_household) {
      before++;
    }
  }
  if (month_lo == hi) return 0;
  while (month_hi > month_lo && strcmp(w[month_hi - 1]->period, period) != 0) month_hi--;
  double baseline = (double)before / baseline_months;
  const char *village = r->place == RH_PLACE_VILLAGE ? w[lo]->village : NULL;
  int64_t size = place_size(places, np, w[lo]->township, village);
  if (!crosses(r, count, per_risk, size, baseline)) return 0;
  memset(f, 0, sizeof *f);
  f->rule = r;
  f->township = w[lo]->township;
  f->village = village ? village : "";
  f->households = count;
  f->place_households = size;
  f->baseline = baseline;
  size_t rows = month_hi - month_lo;
  f->household_ids = malloc(rows * sizeof *f->household_ids);
  f->alert_ids = malloc(rows * sizeof *f->alert_ids);
  if (!f->household_ids || !f->alert_ids) {
    free(f->household_ids);
    free(f->alert_ids);
    return -1;
  }
  for (size_t i = month_lo; i < month_hi; i++) {
    if (i == month_lo || strcmp(w[i]->household_id, w[i - 1]->household_id) != 0)
      f->household_ids[f->household_count++] = w[i]->household_id;
    f->alert_ids[f->alert_count++] = w[i]->alert_id;
  }
  qsort(f->alert_ids, f->alert_count, sizeof *f->alert_ids, cmp_str);
  *found = true;
  return 0;
}

int scale_judge(const rh_config_scale_t *cfg, const char *period, const scale_warning_t *warnings,
                size_t n, const scale_place_t *places, size_t np, scale_found_list_t *out) {
  char first[16];
  rh_period_before(period, cfg->baseline_months, first);
  memset(out, 0, sizeof *out);
  const scale_warning_t **w = malloc((n ? n : 1) * sizeof *w);
  if (!w) return -1;
  size_t cap = 0;
  for (size_t ri = 0; ri < cfg->rule_count; ri++) {
    const rh_config_scale_rule_t *r = &cfg->rules[ri];
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (risk_index(r, warnings[i].risk) >= 0 && strcmp(warnings[i].period, first) >= 0 &&
          strcmp(warnings[i].period, period) <= 0)
        w[m++] = &warnings[i];
    bool by_village = r->place == RH_PLACE_VILLAGE;
    qsort_r(w, m, sizeof *w, cmp_warning, &by_village);
    for (size_t lo = 0, hi; lo < m; lo = hi) {
      for (hi = lo + 1; hi < m && cmp_place(w[lo], w[hi], by_village) == 0; hi++) {}
      if (RH_ARRAY_RESERVE(out->v, out->n + 1, cap, 8)) goto oom;
      bool found;
      if (judge_place(r, cfg->baseline_months, period, w, lo, hi, places, np, &out->v[out->n],
                      &found))
        goto oom;
      out->n += found;
    }
  }
  free(w);
  return 0;
oom:
  free(w);
  scale_found_free(out);
  return -1;
}

void scale_found_free(scale_found_list_t *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].household_ids);
    free(l->v[i].alert_ids);
  }
  free(l->v);
  memset(l, 0, sizeof *l);
}
