/* status_scale: see status_scale.h. */
#include "status_scale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"

static void item_free(status_scale_item_t *it) {
  free(it->rule_id);
  free(it->period);
  free(it->place_level);
  free(it->township_code);
  free(it->village);
}

void status_scale_free(status_scale_t *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) item_free(&s->v[i]);
  free(s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}

static char *dup(const char *x) { return strdup(x ? x : ""); }

int status_scale_add(status_scale_t *s, const status_report_t *r, const rh_scale_record_t *rec) {
  if (!rec->scale_risk_id || status_report_month(r, rec->period) < 0) return 0;
  if (rec->created_at > r->as_of_ms) {
    s->after_as_of++;
    return 0;
  }
  s->versions++;
  status_scale_item_t *it = NULL;
  for (size_t i = 0; i < s->n && !it; i++)
    if (strcmp(s->v[i].id, rec->scale_risk_id) == 0) it = &s->v[i];
  if (it && it->version > rec->version) return 0; /* an older version after a newer one */
  if (!it) {
    if (RH_ARRAY_RESERVE(s->v, s->n + 1, s->cap, 16)) return -1;
    it = &s->v[s->n++];
    memset(it, 0, sizeof *it);
  }
  status_scale_item_t x = {0};
  snprintf(x.id, sizeof x.id, "%s", rec->scale_risk_id);
  x.rule_id = dup(rec->rule_id);
  x.period = dup(rec->period);
  x.place_level = dup(rec->place_level);
  x.township_code = dup(rec->township_code);
  x.village = dup(rec->village);
  if (!x.rule_id || !x.period || !x.place_level || !x.township_code || !x.village) {
    item_free(&x);
    return -1;
  }
  x.status = rec->status;
  x.version = rec->version;
  x.households = rec->households;
  x.place_households = rec->place_households;
  x.baseline = rec->baseline;
  x.since = rec->since;
  x.created_at = rec->created_at;
  item_free(it);
  *it = x;
  return 0;
}

static const rh_config_t *sort_cfg; /* qsort has no argument; one thread */

static size_t township_rank(const char *code) {
  for (size_t i = 0; i < sort_cfg->township_count; i++)
    if (strcmp(sort_cfg->townships[i].code, code) == 0) return i;
  return sort_cfg->township_count;
}

static int cmp_item(const void *a, const void *b) {
  const status_scale_item_t *x = a, *y = b;
  int c = strcmp(x->period, y->period);
  if (c) return c;
  size_t tx = township_rank(x->township_code), ty = township_rank(y->township_code);
  if (tx != ty) return tx < ty ? -1 : 1;
  if ((c = strcmp(x->township_code, y->township_code))) return c;
  if ((c = strcmp(x->village, y->village))) return c;
  return strcmp(x->rule_id, y->rule_id);
}

void status_scale_finish(status_scale_t *s, const rh_config_t *cfg) {
  if (s->n < 2) return;
  sort_cfg = cfg;
  qsort(s->v, s->n, sizeof *s->v, cmp_item);
  sort_cfg = NULL;
}

size_t status_scale_open(const status_scale_t *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->n; i++) n += s->v[i].status != RH_SCALE_CLEARED;
  return n;
}
