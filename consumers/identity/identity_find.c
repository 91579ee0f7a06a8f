/* identity_find: see identity_find.h. */
#include "identity_find.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_err.h"

int identity_find_init(identity_findings_t *f, const char *period) {
  memset(f, 0, sizeof *f);
  f->period = period;
  return 0;
}

void identity_find_free(identity_findings_t *f) {
  join_identity_list_destroy(f->list);
  free(f->v);
  memset(f, 0, sizeof *f);
}

int identity_find_list(identity_findings_t *f, const rh_config_feed_t *feed, const char *batch_id) {
  join_identity_list_destroy(f->list);
  f->feed = feed;
  f->batch_id = batch_id;
  return (f->list = join_identity_list_new()) ? 0 : -1;
}

static int add(identity_findings_t *f, const join_identity_discrepancy_t *d) {
  if (RH_ARRAY_RESERVE(f->v, f->n + 1, f->cap, 64)) return -1;
  identity_found_t *x = &f->v[f->n];
  x->seq = f->n++;
  x->d = *d;
  x->feed = f->feed;
  snprintf(x->batch_id, sizeof x->batch_id, "%s", f->batch_id);
  join_identity_id(d->id_number, d->kind, f->period, x->id);
  return 0;
}

int identity_find_record(identity_findings_t *f, const rh_config_t *cfg, const rh_regmap_t *map,
                         const rh_feedrecord_t *r, char *errstr, size_t errstr_size) {
  const char *hhno = NULL;
  for (size_t i = 0; i < r->fact_count; i++)
    if (strcmp(r->facts[i].name, JOIN_IDENTITY_FACT_HOUSEHOLD_NUMBER) == 0)
      hhno = r->facts[i].value;
  int added = join_identity_list_add(f->list, r->id_number, hhno);
  if (added < 0) {
    rh_errf(errstr, errstr_size, "out of memory (or a record of %s/%s without an ID number)",
            r->department, r->feed);
    return -1;
  }
  if (added == 1) { /* named before: the first row stands */
    f->duplicates++;
    return 0;
  }
  join_identity_discrepancy_t d[JOIN_IDENTITY_PERSON_MAX];
  int n = join_identity_compare(cfg, map, r, d, &f->counts, errstr, errstr_size);
  if (n < 0) return -1;
  for (int i = 0; i < n; i++)
    if (add(f, &d[i])) {
      rh_errf(errstr, errstr_size, "out of memory");
      return -1;
    }
  return 0;
}

static int household_one(void *arg, const join_identity_discrepancy_t *d) {
  return add(arg, d);
}

int identity_find_households(identity_findings_t *f, const rh_regmap_t *map, char *errstr,
                             size_t errstr_size) {
  if (join_identity_list_households(f->list, map, household_one, f, &f->counts, errstr,
                                   errstr_size) < 0)
    return -1;
  if (join_identity_list_moved(f->list, map, household_one, f, &f->counts) < 0) {
    snprintf(errstr, errstr_size, "out of memory");
    return -1;
  }
  return 0;
}

static int by_id(const void *a, const void *b) {
  const identity_found_t *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int by_person(const void *a, const void *b) {
  const identity_found_t *x = *(const identity_found_t *const *)a;
  const identity_found_t *y = *(const identity_found_t *const *)b;
  int c = strcmp(x->d.id_number, y->d.id_number);
  return c ? c : (int)x->d.kind - (int)y->d.kind;
}

void identity_find_done(identity_findings_t *f) {
  /* a stranger in a household: the household kind only */
  const identity_found_t **p = malloc((f->n ? f->n : 1) * sizeof *p);
  bool *drop = calloc(f->n ? f->n : 1, 1);
  if (p && drop) {
    for (size_t i = 0; i < f->n; i++) p[i] = &f->v[i];
    qsort(p, f->n, sizeof *p, by_person);
    for (size_t i = 0; i + 1 < f->n; i++)
      for (size_t j = i + 1; j < f->n && strcmp(p[j]->d.id_number, p[i]->d.id_number) == 0; j++)
        if (p[i]->d.kind == JOIN_IDENTITY_NOT_IN_REGISTRY &&
            p[j]->d.kind == JOIN_IDENTITY_MEMBER_MISSING_FROM_REGISTRY)
          drop[p[i] - f->v] = true;
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++)
      if (!drop[i]) f->v[k++] = f->v[i];
    f->n = k;
  }
  free(p);
  free(drop);
  /* each id once: the first found (seq breaks the ties) */
  qsort(f->v, f->n, sizeof *f->v, by_id);
  size_t k = 0;
  for (size_t i = 0; i < f->n; i++)
    if (k == 0 || strcmp(f->v[k - 1].id, f->v[i].id) != 0) f->v[k++] = f->v[i];
  f->n = k;
}
